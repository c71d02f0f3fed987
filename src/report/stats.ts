export interface RunTotals {
  readonly tokens: number; // generated tokens
  readonly steps: number; // target forward passes (prefill excluded)
  readonly acceptedDrafts: number;
  readonly proposedDrafts: number;
  readonly decodeMs: number; // wall time of the decoding steps
}

/** The one-line summary `generate` prints to stderr. */
export function formatStats(t: RunTotals): string {
  const perStep = t.steps > 0 ? (t.tokens / t.steps).toFixed(2) : 'n/a';
  const acceptance = t.proposedDrafts > 0 ? (t.acceptedDrafts / t.proposedDrafts).toFixed(2) : 'n/a';
  const msPerToken = t.tokens > 0 ? (t.decodeMs / t.tokens).toFixed(2) : 'n/a';
  return `tokens/step: ${perStep}, acceptance: ${acceptance}, steps: ${t.steps}, ms/token: ${msPerToken}`;
}
