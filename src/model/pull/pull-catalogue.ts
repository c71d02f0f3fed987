/**
 * The models `specinfer models pull NAME` knows by name, each file pinned by
 * size (bytes) and sha256 (lower-case hex). Hugging Face files are fetched at
 * a fixed commit, so the pins cannot drift.
 */

/** One file of a catalogue model. */
interface CatalogueFile {
  /** Name inside the model folder. */
  readonly file: string;
  /** Path under the Hugging Face endpoint (`ORG/NAME/resolve/REV/PATH`), or an absolute http(s) URL. */
  readonly source: string;
  /** Size in bytes. */
  readonly size: number;
  /** sha256 of the content, lower-case hex. */
  readonly sha256: string;
}

export interface CatalogueEntry {
  /** What the model is, one line. */
  readonly description: string;
  /** Licence and origin, one line. */
  readonly origin: string;
  readonly files: readonly CatalogueFile[];
}

/** Model name (= folder name under the models dir) -> entry. */
export type Catalogue = Readonly<Record<string, CatalogueEntry>>;

/** karpathy/tinyllamas at commit 0bd21da (its `main` since Aug 2023). */
const TINYLLAMAS = 'karpathy/tinyllamas/resolve/0bd21da7698eaf29a0d7de3992de8a46ef624add';
const TINYLLAMAS_ORIGIN = 'MIT, Hugging Face karpathy/tinyllamas';

/** llama2.c's 32000-token Llama 2 tokenizer (git, not LFS) at commit 350e04f. */
const LLAMA2C_TOKENIZER: CatalogueFile = {
  file: 'tokenizer.bin',
  source: 'https://raw.githubusercontent.com/karpathy/llama2.c/350e04fe35433e6d2941dce5a1f53308f87058eb/tokenizer.bin',
  size: 433869,
  sha256: '50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361',
};

function tinyllama(description: string, file: string, size: number, sha256: string): CatalogueEntry {
  return {
    description,
    origin: `${TINYLLAMAS_ORIGIN}; tokenizer.bin from GitHub karpathy/llama2.c (MIT)`,
    files: [{ file, source: `${TINYLLAMAS}/${file}`, size, sha256 }, LLAMA2C_TOKENIZER],
  };
}

export const CATALOGUE: Catalogue = Object.freeze({
  stories260K: {
    description: 'llama2.c TinyStories Llama, 260K parameters, 512-token vocabulary (the shipped default target)',
    origin: TINYLLAMAS_ORIGIN,
    files: [
      {
        file: 'stories260K.bin',
        source: `${TINYLLAMAS}/stories260K/stories260K.bin`,
        size: 1056540,
        sha256: 'b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696',
      },
      {
        file: 'tok512.bin',
        source: `${TINYLLAMAS}/stories260K/tok512.bin`,
        size: 6227,
        sha256: '037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312',
      },
    ],
  },
  stories15M: tinyllama(
    'llama2.c TinyStories Llama, 15M parameters, 32000-token Llama 2 vocabulary (a draft for stories110M)',
    'stories15M.bin',
    60816028,
    'cd590644d963867a2b6e5a1107f51fad663c41d79c149fbecbbb1f95fa81f49a',
  ),
  stories42M: tinyllama(
    'llama2.c TinyStories Llama, 42M parameters, 32000-token Llama 2 vocabulary',
    'stories42M.bin',
    167020572,
    '9f65a1000e17d0bc167dd6332e0ce5119a0222a3d920cead5bce413bfab2ee7b',
  ),
  stories110M: tinyllama(
    'llama2.c TinyStories Llama, 110M parameters, 32000-token Llama 2 vocabulary',
    'stories110M.bin',
    438381596,
    '515267168726a1ed1317a64a408492e6af3b67c1f71c5bd98c01d9d721803a24',
  ),
});

/** Total bytes of an entry's files. */
export function entrySize(e: CatalogueEntry): number {
  return e.files.reduce((sum, f) => sum + f.size, 0);
}
