/**
 * Shards: `--shard k/N` (k = 1..N) runs the cells whose index mod N is
 * k - 1, a deterministic split of an experiment over processes or machines;
 * `specinfer merge` puts the shards' folders back together.
 */
import { ConfigError } from '../core/errors.js';

export interface Shard {
  /** 1..count. */
  readonly index: number;
  readonly count: number;
}

export const WHOLE: Shard = { index: 1, count: 1 };

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && index >= 1 && index <= count)) {
    throw new ConfigError(`--shard must be k/N with 1 <= k <= N (e.g. 1/4 ... 4/4), got '${text}'`);
  }
  return { index, count };
}

/** The cells of `shard`, by their index in the whole experiment. */
export function shardCells<T extends { readonly info: { readonly index: number } }>(cells: readonly T[], shard: Shard): T[] {
  return cells.filter((c) => c.info.index % shard.count === shard.index - 1);
}
