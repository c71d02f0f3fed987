/** Help text shared by several commands. */

/** Where models come from: the epilogue of `specinfer --help`, `generate --help` and `run --help`. */
export const MODELS_EPILOGUE =
  'Models: a name under $SPECINFER_MODELS (default ./models), e.g. stories260K and its drafts ' +
  'stories260K-ssm-s, stories260K-ssm-m and stories260K-ssm-s-boost; a path (a folder, a .bin or a .gguf file); ' +
  'or random:tiny / random:stories110M (random weights, no files). `specinfer models pull NAME` downloads known models ' +
  '(stories260K, stories15M, stories42M, stories110M) into $SPECINFER_MODELS.';
