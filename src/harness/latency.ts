import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import type { WeightsType } from '../model/formats/quant.js';

interface EngineBenchEntry {
  readonly model?: unknown;
  readonly threads?: unknown;
  readonly graph?: unknown;
  readonly weights?: unknown;
  readonly forwardMs?: unknown;
}

/** The engine benchmark's output, where runs look for cost curves by default. */
export const ENGINE_BENCH_FILE = 'results/bench/engine.json';

/**
 * The target's forward latency curve (ms by tree rows) from an engine
 * benchmark file (results/bench/engine.json of `npm run bench:engine`):
 * the entry of `model` run with `threads` threads, the fused graph and
 * layer matrices stored as `weights` (entries without a graph field predate
 * the reference graph: fused is meant; entries without a weights field are f32).
 */
export function readForwardLatency(file: string, model: string, threads: number, weights: WeightsType = 'f32'): Readonly<Record<string, number>> {
  if (!existsSync(file)) throw new ConfigError(`latency file ${file} not found; run \`npm run bench:engine\` to write ${ENGINE_BENCH_FILE}`);
  const results = benchEntries(file);
  const curve = curveOf(file, results, model, threads, weights);
  if (curve === undefined) {
    const have = results.map((r) => `${shown(r.model)} (${shown(r.weights ?? 'f32')}, ${shown(r.threads)} threads)`).join(', ');
    throw new ConfigError(`${file}: no forwardMs for model ${model} (${weights}) with ${threads} threads; it has: ${have || 'nothing'}`);
  }
  return curve;
}

/** readForwardLatency, but undefined when the file or its entry does not exist (a malformed file is still an error). */
export function findForwardLatency(file: string, model: string, threads: number, weights: WeightsType): Readonly<Record<string, number>> | undefined {
  return existsSync(file) ? curveOf(file, benchEntries(file), model, threads, weights) : undefined;
}

function benchEntries(file: string): EngineBenchEntry[] {
  let data: { results?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as { results?: unknown };
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return Array.isArray(data.results) ? (data.results as EngineBenchEntry[]) : [];
}

function curveOf(file: string, results: readonly EngineBenchEntry[], model: string, threads: number, weights: WeightsType): Record<string, number> | undefined {
  const entry = results.find((r) => r.model === model && r.threads === threads && (r.graph ?? 'fused') === 'fused' && (r.weights ?? 'f32') === weights);
  if (!entry || typeof entry.forwardMs !== 'object' || entry.forwardMs === null) return undefined;
  const curve: Record<string, number> = {};
  for (const [rows, ms] of Object.entries(entry.forwardMs as Record<string, unknown>)) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new ConfigError(`${file}: forwardMs[${rows}] of ${model} (${weights}) is not a number`);
    curve[rows] = ms;
  }
  return curve;
}

/** A field of a results file as text: strings as they are, anything else as JSON. */
function shown(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');
}
