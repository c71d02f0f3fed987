/**
 * Parsers of the output of llama.cpp's own programs (built by `npm run
 * peer:build`), pure functions so that they are unit-tested on captured samples.
 */

/** One test of `llama-bench -o json`: tokens/s of `nGen` generated tokens after `nPrompt` prompt tokens. */
export interface LlamaBenchRow {
  readonly threads: number;
  readonly nPrompt: number;
  readonly nGen: number;
  /** Mean tokens/s over the repetitions, as llama-bench reports it. */
  readonly avgTokS: number;
  /** Tokens/s of each repetition. */
  readonly samplesTokS: readonly number[];
  readonly type: string;
}

function field<T>(o: Record<string, unknown>, key: string, check: (v: unknown) => v is T, where: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`${where}: field '${key}' is missing or has the wrong type (${JSON.stringify(v)})`);
  return v;
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

/** The JSON array `llama-bench -o json` prints on stdout. */
export function parseLlamaBenchJson(text: string): LlamaBenchRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`llama-bench output is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(data)) throw new Error('llama-bench output is not a JSON array');
  return data.map((row: unknown, i) => {
    if (typeof row !== 'object' || row === null) throw new Error(`llama-bench row ${i} is not an object`);
    const o = row as Record<string, unknown>;
    const where = `llama-bench row ${i}`;
    return {
      threads: field(o, 'n_threads', isNum, where),
      nPrompt: field(o, 'n_prompt', isNum, where),
      nGen: field(o, 'n_gen', isNum, where),
      avgTokS: field(o, 'avg_ts', isNum, where),
      samplesTokS: field(o, 'samples_ts', isNumArray, where),
      type: field(o, 'model_type', isStr, where),
    };
  });
}

/** Decoding statistics that `llama-speculative-simple` logs on stderr. */
export interface SpeculativeStats {
  /** Tokens generated (can exceed -n by the last accepted draft). */
  readonly decoded: number;
  readonly seconds: number;
  readonly tokS: number;
  readonly drafted: number;
  readonly accepted: number;
}

function match(text: string, re: RegExp, what: string): RegExpMatchArray {
  const m = text.match(re);
  if (!m) throw new Error(`llama-speculative-simple: no '${what}' line in its log`);
  return m;
}

export function parseSpeculativeLog(text: string): SpeculativeStats {
  const dec = match(text, /decoded\s+(\d+) tokens in\s+([\d.]+) seconds, speed:\s+([\d.]+) t\/s/, 'decoded N tokens');
  const drafted = match(text, /n_drafted\s*=\s*(\d+)/, 'n_drafted');
  const accepted = match(text, /n_accept\s*=\s*(\d+)/, 'n_accept');
  return { decoded: Number(dec[1]), seconds: Number(dec[2]), tokS: Number(dec[3]), drafted: Number(drafted[1]), accepted: Number(accepted[1]) };
}

/**
 * The speculative types a llama.cpp program accepts, read from its `--help`
 * (the line `--spec-type [none|draft-simple|...]`); empty when it has none.
 */
export function parseSpecTypes(help: string): string[] {
  const m = help.match(/--spec-type\s+\[?([a-z0-9|,-]+)\]?/);
  return m ? m[1].split(/[|,]/).filter((t) => t.length > 0) : [];
}

/** Text compared with whitespace and `<s>` / `</s>` removed (pieces print spaces differently). */
export function normalizeText(text: string): string {
  return text.replace(/<\/?s>/g, '').replace(/\s+/g, '');
}

/**
 * How many of our generated tokens (their printed pieces, in order) the
 * native program printed: `nativeStdout` is the prompt echoed then the
 * generated text; `ourPieces` are our tokens' texts. Counts the longest
 * prefix of our tokens whose normalized text starts the native generated
 * text; 0 when the native output does not contain the prompt.
 */
export function tokensInAgreement(nativeStdout: string, promptText: string, ourPieces: readonly string[]): number {
  const out = normalizeText(nativeStdout);
  const prompt = normalizeText(promptText);
  const at = out.indexOf(prompt);
  if (at < 0) return 0;
  const generated = out.slice(at + prompt.length);
  let pos = 0;
  let n = 0;
  for (const piece of ourPieces) {
    const p = normalizeText(piece);
    if (generated.slice(pos, pos + p.length) !== p) break;
    pos += p.length;
    n++;
  }
  return n;
}
