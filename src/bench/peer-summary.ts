/**
 * Results of `npm run bench:peer` and their summary: per target, weight type
 * and mode, our best setting against the strongest llama.cpp variant.
 */

export type PeerBenchMode = 'incremental' | 'draft' | 'model-free';
export type PeerSide = 'specinfer' | 'llama.cpp' | 'llama.cpp native';

export interface SystemResult {
  readonly target: string;
  /** GGUF weight type both sides ran (F32 for the node-llama-cpp comparison). */
  readonly weights: string;
  readonly system: string;
  readonly side: PeerSide;
  readonly mode: PeerBenchMode;
  /** Tokens/s per repetition (all prompts of the repetition). */
  readonly tokensPerSecond: number[];
  readonly median: number;
  /** specinfer only: generated tokens / target forwards. */
  readonly tokensPerStep?: number;
  /** Whether every output equalled our incremental greedy tokens (always true where not checked, e.g. llama-bench). */
  readonly matches: boolean;
  /** Tokens in agreement with our incremental greedy tokens, summed over prompts and repetitions, and out of how many. */
  readonly agreement?: { readonly tokens: number; readonly of: number };
}

export interface SummaryEntry {
  readonly target: string;
  readonly weights: string;
  readonly mode: PeerBenchMode | 'best';
  readonly ours_tok_s: number;
  readonly ours_setting: string;
  /** The strongest llama.cpp variant of the mode: 'llama.cpp' (node-llama-cpp) or 'llama.cpp native'. */
  readonly peer: PeerSide;
  readonly peer_tok_s: number;
  readonly peer_setting: string;
  /** ours_tok_s / peer_tok_s. */
  readonly ratio: number;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function best(rows: readonly SystemResult[]): SystemResult | undefined {
  return [...rows].sort((a, b) => b.median - a.median)[0];
}

function entry(mode: SummaryEntry['mode'], us: SystemResult, peer: SystemResult): SummaryEntry {
  return {
    target: us.target,
    weights: us.weights,
    mode,
    ours_tok_s: us.median,
    ours_setting: us.system,
    peer: peer.side,
    peer_tok_s: peer.median,
    peer_setting: peer.system,
    ratio: us.median / peer.median,
  };
}

/** One entry per (target, weights, mode) where both sides have a result, then `best` over all modes. */
export function summarize(results: readonly SystemResult[]): SummaryEntry[] {
  const out: SummaryEntry[] = [];
  const keys = [...new Set(results.map((r) => `${r.target}\u0000${r.weights}`))];
  for (const key of keys) {
    const rows = results.filter((r) => `${r.target}\u0000${r.weights}` === key);
    const ours = rows.filter((r) => r.side === 'specinfer');
    const peers = rows.filter((r) => r.side !== 'specinfer');
    for (const mode of ['incremental', 'draft', 'model-free'] as const) {
      const us = best(ours.filter((r) => r.mode === mode));
      const peer = best(peers.filter((r) => r.mode === mode));
      if (us && peer) out.push(entry(mode, us, peer));
    }
    const us = best(ours);
    const peer = best(peers);
    if (us && peer) out.push(entry('best', us, peer));
  }
  return out;
}

/** The summary as a Markdown table. */
export function summaryTable(entries: readonly SummaryEntry[]): string {
  const lines = ['| target | weights | mode | ours tok/s | ours setting | peer | peer tok/s | peer setting | ratio |', '|---|---|---|---|---|---|---|---|---|'];
  for (const e of entries) {
    lines.push(
      `| ${e.target} | ${e.weights} | ${e.mode} | ${e.ours_tok_s.toFixed(1)} | ${e.ours_setting} | ${e.peer} | ${e.peer_tok_s.toFixed(1)} | ${e.peer_setting} | ${e.ratio.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
