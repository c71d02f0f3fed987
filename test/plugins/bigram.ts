/**
 * A speculator defined outside src/, through the public API only (the
 * walk-through of docs/extending.md): after each token, the token that
 * followed it last time in this request's prompt + output.
 */
import { defineSpeculator, LookupSpeculator, z, type LookupState, type RowProposal, type StepOutcome, type TreeShape } from '../../src/index.js';

class BigramState implements LookupState {
  readonly proposerId = 'bigram';
  private readonly next = new Map<number, number>();
  private last: number;

  constructor(prompt: Int32Array) {
    for (let i = 0; i + 1 < prompt.length; i++) this.next.set(prompt[i], prompt[i + 1]);
    this.last = prompt[prompt.length - 1];
  }

  async propose(tree: TreeShape, rows: readonly number[]): Promise<readonly RowProposal[]> {
    return rows.map((row) => {
      const follower = this.next.get(row === 0 ? this.last : tree.tokens[row - 1]);
      return { kind: 'ranked', tokens: follower === undefined ? [] : [follower], probs: follower === undefined ? [] : [1] };
    });
  }

  reset(): void {}

  observe(outcome: StepOutcome): void {
    for (const t of outcome.emitted) {
      this.next.set(this.last, t);
      this.last = t;
    }
  }
}

export const bigramSpeculator = defineSpeculator({
  kind: 'bigram',
  description: 'The token that last followed the current one in the request (a plugin example).',
  options: {
    depth: z.number().int().min(1).default(4).describe('Tokens proposed at most (a chain).'),
  },
  defaultPolicy: (c) => ({ kind: 'chain', depth: c.depth, children: 'auto' }),
  create: async (_c, deps) => new LookupSpeculator('bigram', deps.policy, (prompt) => new BigramState(prompt)),
});

/** The plugin module contract, its second form: `definitions`, a list (examples/plugins/bigram.mjs shows the default export). */
export const definitions = [bigramSpeculator];
