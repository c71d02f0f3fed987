import { mkdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ModelFileError } from '../core/errors.js';

/**
 * The only code in the project that downloads anything, and only when a user
 * runs `specinfer models pull`. Files come from Karpathy's tinyllamas release
 * on Hugging Face (MIT licence).
 */
const HF = 'https://huggingface.co/karpathy/tinyllamas/resolve/main';
const LLAMA2C_TOKENIZER = 'https://raw.githubusercontent.com/karpathy/llama2.c/master/tokenizer.bin';

export const PULLABLE: Readonly<Record<string, readonly { url: string; file: string }[]>> = {
  stories260K: [
    { url: `${HF}/stories260K/stories260K.bin`, file: 'stories260K.bin' },
    { url: `${HF}/stories260K/tok512.bin`, file: 'tok512.bin' },
  ],
  stories15M: [
    { url: `${HF}/stories15M.bin`, file: 'stories15M.bin' },
    { url: LLAMA2C_TOKENIZER, file: 'tokenizer.bin' },
  ],
  stories42M: [
    { url: `${HF}/stories42M.bin`, file: 'stories42M.bin' },
    { url: LLAMA2C_TOKENIZER, file: 'tokenizer.bin' },
  ],
  stories110M: [
    { url: `${HF}/stories110M.bin`, file: 'stories110M.bin' },
    { url: LLAMA2C_TOKENIZER, file: 'tokenizer.bin' },
  ],
};

/** Downloads model `name` into `<modelsDir>/<name>/`; returns the folder. */
export async function pullModel(name: string, modelsDir: string, log: (line: string) => void): Promise<string> {
  const files = PULLABLE[name];
  if (!files) throw new ConfigError(`no download is known for '${name}'; known: ${Object.keys(PULLABLE).join(', ')}`);
  const dir = join(modelsDir, name);
  mkdirSync(dir, { recursive: true });
  for (const { url, file } of files) {
    const dest = join(dir, file);
    if (existsSync(dest)) {
      log(`${dest} exists, skipped`);
      continue;
    }
    log(`downloading ${url}`);
    const res = await fetch(url);
    if (!res.ok) throw new ModelFileError(dest, `download of ${url} failed: HTTP ${res.status}`);
    writeFileSync(`${dest}.part`, new Uint8Array(await res.arrayBuffer()));
    renameSync(`${dest}.part`, dest);
  }
  return dir;
}
