import type { Rng } from '../../src/core/types.js';

/** An Rng that returns the given uniforms in order (and fails loudly when they run out or on fork). */
export function scriptedRng(values: readonly number[]): Rng & { readonly used: number } {
  let i = 0;
  return {
    get used(): number {
      return i;
    },
    uniform(): number {
      if (i >= values.length) throw new Error(`scriptedRng: only ${values.length} uniforms were scripted`);
      return values[i++];
    },
    fork(): Rng {
      throw new Error('scriptedRng: fork() is not scripted');
    },
  };
}
