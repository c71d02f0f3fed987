// A speculator kind as a plugin: after each token, the token that followed it
// last time in the request's prompt and output. An experiment file loads it with
//   plugins: [./bigram.mjs]        (a path relative to the YAML file)
// and then uses it as `speculator: {kind: bigram}`. docs/extending.md walks through it.
import { defineSpeculator, LookupSpeculator, z } from 'specinfer-ts';

/** One request's state: the last follower of each token seen. */
class BigramState {
  proposerId = 'bigram';
  next = new Map();

  constructor(prompt) {
    for (let i = 0; i + 1 < prompt.length; i++) this.next.set(prompt[i], prompt[i + 1]);
    this.last = prompt[prompt.length - 1];
  }

  /** Row 0 is the last committed token; row r > 0 holds tree.tokens[r - 1]. */
  async propose(tree, rows) {
    return rows.map((row) => {
      const follower = this.next.get(row === 0 ? this.last : tree.tokens[row - 1]);
      return { kind: 'ranked', tokens: follower === undefined ? [] : [follower], probs: follower === undefined ? [] : [1] };
    });
  }

  reset() {}

  observe(outcome) {
    for (const t of outcome.emitted) {
      this.next.set(this.last, t);
      this.last = t;
    }
  }
}

export default defineSpeculator({
  kind: 'bigram',
  description: 'The token that last followed the current one in the request (a plugin example).',
  options: {
    depth: z.number().int().min(1).default(4).describe('Tokens proposed at most (a chain).'),
  },
  defaultPolicy: (c) => ({ kind: 'chain', depth: c.depth, children: 'auto' }),
  create: async (_c, deps) => new LookupSpeculator('bigram', deps.policy, (prompt) => new BigramState(prompt)),
});
