/** Exponential backoff with jitter for failing peers (pure; the random source is passed in). */

export interface BackoffOptions {
  /** Delay after the first failure (ms). */
  readonly baseMs: number
  /** Largest delay (ms). */
  readonly maxMs: number
}

/**
 * The delay before the next attempt after `failures` consecutive failures (at least 1): the
 * exponential step `min(max, base · 2^(failures−1))`, of which a random half is taken off ("equal
 * jitter"), so peers that failed together do not retry in lockstep but never retry sooner than half
 * the step. `random` returns a number in [0, 1).
 */
export function backoffMs(failures: number, opts: BackoffOptions, random: () => number): number {
  const n = Math.max(1, Math.floor(failures))
  const step = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n - 1, 52))
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.round(step / 2 + (step / 2) * r)
}
