/**
 * Failed sign-in counting per key (a username, an address): a fixed window per key, bounded in
 * memory. In-process: several processes behind one database each count on their own, which still
 * bounds guessing to (processes × limit) per window.
 */
export interface FailureLimiter {
  /** Seconds until the key may try again, or 0 when it may try now. */
  blockedFor(key: string, nowMs: number): number
  /** Counts a failure. */
  fail(key: string, nowMs: number): void
  /** Forgets a key (after a successful sign-in). */
  reset(key: string): void
}

export function makeFailureLimiter(opts: { readonly max: number; readonly windowMs: number; readonly maxKeys?: number }): FailureLimiter {
  const maxKeys = opts.maxKeys ?? 100_000
  const windows = new Map<string, { count: number; resetAt: number }>()
  return {
    blockedFor(key, nowMs) {
      const w = windows.get(key)
      if (!w || w.resetAt <= nowMs) return 0
      return w.count >= opts.max ? Math.ceil((w.resetAt - nowMs) / 1000) : 0
    },
    fail(key, nowMs) {
      const w = windows.get(key)
      if (!w || w.resetAt <= nowMs) {
        windows.delete(key)
        if (windows.size >= maxKeys) {
          // Drop expired windows first, then the oldest (Map keeps insertion order).
          for (const [k, v] of windows) if (v.resetAt <= nowMs) windows.delete(k)
          while (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string)
        }
        windows.set(key, { count: 1, resetAt: nowMs + opts.windowMs })
        return
      }
      w.count++
    },
    reset(key) {
      windows.delete(key)
    },
  }
}
