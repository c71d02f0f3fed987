/**
 * One error class per kind of failure. Every message names the file, key or
 * value at fault and says how to fix it; the message text is built by the
 * helpers below so wording stays consistent.
 */
export class SpecInferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A checkpoint or model folder is missing, truncated or malformed. */
export class ModelFileError extends SpecInferError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A tokenizer file is malformed or does not fit the model. */
export class TokenizerError extends SpecInferError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A request cannot be run by the engine as given (e.g. too long for the context). */
export class EngineError extends SpecInferError {}

/** Bad command-line or config input. */
export class ConfigError extends SpecInferError {}

/**
 * A download failed (network, HTTP status, checksum, disk). `keepsPartial`:
 * the staged files were kept on purpose (an interrupted transfer or an
 * unreachable server), so running the same pull again resumes.
 */
export class DownloadError extends SpecInferError {
  constructor(
    message: string,
    readonly keepsPartial = false,
  ) {
    super(message);
  }
}

/** A command line that cannot be run as typed (a bad option value): exit status 2. */
export class UsageError extends ConfigError {}
