/**
 * Peak-memory benchmark (`npm run bench:memory`, not a test): for each weight
 * type, runs `specinfer generate --target T --weights W --max-tokens 16` as a
 * child process on stories260K and on stories260K-x78M (made by
 * `npm run models:x78m` if absent) and reads the child's peak resident set
 * size (maxrss-preload.ts). The overhead ratio is
 * (peak(x78M) - peak(stories260K)) / bytes of x78M's weights at that type
 * (issue 13 asks for <= 2). Two sources per type: the models as stored
 * (stories260K a llama2.c checkpoint, x78M a float32 Hugging Face folder)
 * converted at load by `--weights W`, and GGUF files of type W written by our
 * exporter (made beside x78M if absent) run as stored. Runs are sequential;
 * each is repeated `--repeats` times (default 1) and the smallest peak kept.
 * Prints a markdown table and writes results/bench/memory.json.
 *
 *   node dist/src/bench/memory.js [--weights f32,q8_0,q4_0] [--sources load,gguf] [--repeats N] [--threads N] [--out NAME]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORT_VERSION } from '../engine/ort.js';
import { X78M_NAME } from '../model/inflate.js';
import { writeGguf } from '../model/formats/gguf-writer.js';
import { loadModel, loadModelAs, modelVocab } from '../model/models.js';
import { QUANT_TYPES, type WeightsType } from '../model/formats/quant.js';
import { weightBytes } from '../model/weights.js';
import { ensureX78m } from './make-x78m.js';
import { workModelsDir } from './work-dir.js';

const BASELINE = 'stories260K';
const MAX_TOKENS = 16;
const PROMPT = 'Once upon a time';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(HERE, '..', 'cli', 'main.js');
const PRELOAD = path.join(HERE, 'maxrss-preload.js');

/** `load`: the stored model with `--weights W`; `gguf`: a GGUF file of type W, as stored. */
export type MemorySource = 'load' | 'gguf';
const SOURCES: readonly MemorySource[] = ['load', 'gguf'];

export interface MemoryRun {
  readonly target: string;
  readonly source: MemorySource;
  readonly weights: WeightsType;
  /** Smallest peak resident set size over the repeats, bytes. */
  readonly peakBytes: number;
  readonly peaks: readonly number[];
  readonly seconds: number;
}

export interface MemoryRow {
  readonly source: MemorySource;
  readonly weights: WeightsType;
  readonly weightBytes: number;
  readonly baselinePeakBytes: number;
  readonly peakBytes: number;
  /** (peakBytes - baselinePeakBytes) / weightBytes. */
  readonly ratio: number;
}

export interface MemoryArgs {
  readonly weights: readonly WeightsType[];
  readonly sources: readonly MemorySource[];
  readonly repeats: number;
  readonly threads: number;
  readonly out: string;
}

export function parseMemoryArgs(argv: readonly string[]): MemoryArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const types: readonly WeightsType[] = ['f32', ...QUANT_TYPES];
  const weights = (value('--weights') ?? types.join(',')).split(',') as WeightsType[];
  const bad = weights.find((w) => !types.includes(w));
  if (bad !== undefined) throw new Error(`--weights: unknown type "${bad}" (use a comma-separated list of ${types.join(', ')})`);
  const sources = (value('--sources') ?? SOURCES.join(',')).split(',') as MemorySource[];
  const badSource = sources.find((x) => !SOURCES.includes(x));
  if (badSource !== undefined) throw new Error(`--sources: unknown source "${badSource}" (use a comma-separated list of ${SOURCES.join(', ')})`);
  const int = (flag: string, fallback: number, min: number): number => {
    const v = Number(value(flag) ?? fallback);
    if (!Number.isInteger(v) || v < min) throw new Error(`${flag} must be an integer >= ${min}, got ${value(flag)}`);
    return v;
  };
  return { weights, sources, repeats: int('--repeats', 1, 1), threads: int('--threads', 1, 0), out: value('--out') ?? 'memory' };
}

/** Peak RSS of one `generate` child process, bytes; `weights` undefined: the target as stored. */
function peakOf(target: string, weights: WeightsType | undefined, threads: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'specinfer-mem-'));
  const file = path.join(dir, 'maxrss.json');
  try {
    const convert = weights === undefined ? [] : ['--weights', weights];
    const args = [
      '--import',
      PRELOAD,
      CLI,
      'generate',
      '--target',
      target,
      ...convert,
      '--max-tokens',
      String(MAX_TOKENS),
      '--prompt',
      PROMPT,
      '--greedy',
      '--threads',
      String(threads),
    ];
    const r = spawnSync(process.execPath, args, { env: { ...process.env, SPECINFER_MAXRSS_FILE: file }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`generate --target ${target} --weights ${weights} failed (exit ${r.status}): ${r.stderr.trim().slice(-2000)}`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { maxRssBytes: number }).maxRssBytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measure(target: string, source: MemorySource, weights: WeightsType, a: MemoryArgs): MemoryRun {
  const t0 = Date.now();
  const peaks = Array.from({ length: a.repeats }, () => peakOf(target, source === 'load' ? weights : undefined, a.threads));
  return { target, source, weights, peakBytes: Math.min(...peaks), peaks, seconds: (Date.now() - t0) / 1000 };
}

/** `<dir>/<name>-<weights>.gguf`, written by our exporter if absent. */
async function ensureGguf(dir: string, name: string, weights: WeightsType, log: (line: string) => void): Promise<string> {
  const file = path.join(dir, `${name}-${weights}.gguf`);
  if (!existsSync(file)) {
    const m = await loadModel(name);
    writeGguf(file, m.weights, modelVocab(m), { dtype: weights === 'f32' ? 'F32' : weights === 'q8_0' ? 'Q8_0' : 'Q4_0' });
    log(`wrote ${file}`);
  }
  return file;
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

export function memoryTable(rows: readonly MemoryRow[]): string {
  const lines = [
    `| source | weights | x78M weight MiB | peak MiB, ${BASELINE} | peak MiB, x78M | difference MiB | ratio (difference / weights) |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.source === 'load' ? '--weights' : 'GGUF'} | ${r.weights} | ${mb(r.weightBytes)} | ${mb(r.baselinePeakBytes)} | ${mb(r.peakBytes)} | ${mb(r.peakBytes - r.baselinePeakBytes)} | ${r.ratio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = parseMemoryArgs(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const dir = workModelsDir(log);
  await ensureX78m(dir, log);
  const targets = async (source: MemorySource, weights: WeightsType): Promise<[string, string]> =>
    source === 'load' ? [BASELINE, X78M_NAME] : [await ensureGguf(dir, BASELINE, weights, log), await ensureGguf(dir, X78M_NAME, weights, log)];
  const loadBefore = os.loadavg();
  const runs: MemoryRun[] = [];
  const rows: MemoryRow[] = [];
  for (const source of a.sources)
    for (const weights of a.weights) {
      const [small, large] = await targets(source, weights);
      const bytes = weightBytes((await loadModelAs(large, source === 'load' ? weights : undefined)).weights);
      const base = measure(small, source, weights, a);
      const big = measure(large, source, weights, a);
      runs.push(base, big);
      rows.push({ source, weights, weightBytes: bytes, baselinePeakBytes: base.peakBytes, peakBytes: big.peakBytes, ratio: (big.peakBytes - base.peakBytes) / bytes });
      log(`${source} ${weights}: ${path.basename(small)} ${mb(base.peakBytes)} MiB, ${path.basename(large)} ${mb(big.peakBytes)} MiB (${big.seconds.toFixed(1)} s)`);
    }
  const setting = {
    command: `generate --target T [--weights W] --max-tokens ${MAX_TOKENS} --prompt "${PROMPT}" --greedy --threads ${a.threads}`,
    repeats: a.repeats,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    onnxruntime: ORT_VERSION,
    loadAverageBefore: loadBefore,
    loadAverageAfter: os.loadavg(),
    date: new Date().toISOString(),
  };
  const outDir = path.join('results', 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${a.out}.json`), `${JSON.stringify({ setting, rows, runs }, null, 2)}\n`);
  log(`\n${setting.command}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${setting.loadAverageAfter.map((l) => l.toFixed(1)).join(' ')} after\n`);
  log(memoryTable(rows));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
