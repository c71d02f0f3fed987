/** Help text shared by several commands. */

/** Where models come from: the epilogue of `specinfer --help`, `generate --help` and `run --help`. */
export const MODELS_EPILOGUE =
  'Models: a name is looked up in $SPECINFER_MODELS when set, otherwise in ./models and then in the models/ folder ' +
  'shipped with specinfer (stories260K and its drafts stories260K-ssm-s, stories260K-ssm-m, stories260K-ssm-s-boost); ' +
  'or a path (a folder, a .bin or a .gguf file); or random:tiny / random:stories110M / random:tinyllama (random weights, no files). ' +
  '`specinfer models pull NAME` downloads others (stories15M, stories42M, stories110M, hf:ORG/NAME) into $SPECINFER_MODELS or ./models.';
