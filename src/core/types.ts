/** Seeded random source; one stream per request. `uniform()` is in [0, 1). */
export interface Rng {
  uniform(): number;
  fork(stream: string): Rng;
}

/** Monotonic clock in milliseconds. */
export interface Clock {
  nowMs(): number;
}

export const monotonicClock: Clock = {
  nowMs: () => performance.now(),
};
