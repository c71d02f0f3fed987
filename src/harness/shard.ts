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

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

const LOOKED_FOR = 'looked for SLURM_ARRAY_TASK_ID (a Slurm job array task) and JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); outside a scheduler give --shard k/N';

/**
 * `--shard auto`: the shard of this process from its scheduler's
 * environment. A Slurm array task is shard rank + 1 of the array's task
 * count, its rank being (SLURM_ARRAY_TASK_ID - MIN) / STEP (so
 * `--array=0-4:2` gives shards 1..3); a Kubernetes Indexed Job's pod is
 * shard JOB_COMPLETION_INDEX + 1 of `shards` (its completions). `shards`,
 * when given, must equal a Slurm array's task count.
 */
export function shardFromEnv(env: Env, shards?: number): Shard {
  if (env.SLURM_ARRAY_TASK_ID !== undefined) return checkCount(slurmShard(env), shards);
  if (env.JOB_COMPLETION_INDEX !== undefined) return kubernetesShard(env, shards);
  throw new ConfigError(`--shard auto: no scheduler shard found; ${LOOKED_FOR}`);
}

/** `--shard` (k/N or auto) with `--shards` (auto only). */
export function resolveShard(text: string, shards: number | undefined, env: Env): Shard {
  if (text.trim() === 'auto') return shardFromEnv(env, shards);
  if (shards !== undefined) throw new ConfigError(`--shards goes with --shard auto; --shard ${text} names its count already`);
  return parseShard(text);
}

function envInt(env: Env, name: string): number | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`--shard auto: ${name}=${text} is not a whole number`);
  return Number(text);
}

function slurmShard(env: Env): Shard {
  const id = envInt(env, 'SLURM_ARRAY_TASK_ID') ?? 0;
  const min = envInt(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const step = envInt(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
  const max = envInt(env, 'SLURM_ARRAY_TASK_MAX');
  const stated = envInt(env, 'SLURM_ARRAY_TASK_COUNT');
  const count = max !== undefined && step > 0 ? Math.floor((max - min) / step) + 1 : stated;
  const rank = step > 0 ? (id - min) / step : NaN;
  if (count === undefined)
    throw new ConfigError('--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX; cannot tell the array size');
  if ((stated !== undefined && stated !== count) || !Number.isInteger(rank) || rank < 0 || rank >= count) {
    const vars = ['ID', 'MIN', 'MAX', 'STEP', 'COUNT'].map((k) => `${k}=${env[`SLURM_ARRAY_TASK_${k}`] ?? '-'}`).join(' ');
    throw new ConfigError(`--shard auto: the Slurm array is not a regular range (SLURM_ARRAY_TASK_ ${vars}); submit it as --array=1-N or --array=A-B:S`);
  }
  return { index: rank + 1, count };
}

function kubernetesShard(env: Env, shards: number | undefined): Shard {
  const index = envInt(env, 'JOB_COMPLETION_INDEX') ?? 0;
  if (shards === undefined) throw new ConfigError(`--shard auto in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=${index}) needs --shards N, N = the Job's completions`);
  if (index >= shards) throw new ConfigError(`--shard auto: JOB_COMPLETION_INDEX=${index} but --shards ${shards}; the Job's completions and --shards must be equal`);
  return { index: index + 1, count: shards };
}

function checkCount(shard: Shard, shards: number | undefined): Shard {
  if (shards !== undefined && shards !== shard.count) {
    throw new ConfigError(
      `--shard auto: the Slurm array has ${shard.count} tasks but --shards ${shards}; submit all ${shards} as one array (--array=1-${shards}), or name the shard: --shard k/${shards}`,
    );
  }
  return shard;
}
