import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';

interface EngineBenchEntry {
  readonly model?: unknown;
  readonly threads?: unknown;
  readonly graph?: unknown;
  readonly forwardMs?: unknown;
}

/**
 * The target's forward latency curve (ms by tree rows) from an engine
 * benchmark file (results/bench/engine.json of `npm run bench:engine`):
 * the entry of `model` run with `threads` threads and the fused graph
 * (entries without a graph field predate the reference graph: fused is meant).
 */
export function readForwardLatency(file: string, model: string, threads: number): Readonly<Record<string, number>> {
  if (!existsSync(file)) throw new ConfigError(`latency file ${file} not found; run \`npm run bench:engine\` to write results/bench/engine.json`);
  let data: { results?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as { results?: unknown };
  } catch (e) {
    throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const results = Array.isArray(data.results) ? (data.results as EngineBenchEntry[]) : [];
  const entry = results.find((r) => r.model === model && r.threads === threads && (r.graph ?? 'fused') === 'fused');
  if (!entry || typeof entry.forwardMs !== 'object' || entry.forwardMs === null) {
    const have = results.map((r) => `${String(r.model)} (${String(r.threads)} threads)`).join(', ');
    throw new ConfigError(`${file}: no forwardMs for model ${model} with ${threads} threads; it has: ${have || 'nothing'}`);
  }
  const curve: Record<string, number> = {};
  for (const [rows, ms] of Object.entries(entry.forwardMs as Record<string, unknown>)) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new ConfigError(`${file}: forwardMs[${rows}] of ${model} is not a number`);
    curve[rows] = ms;
  }
  return curve;
}
