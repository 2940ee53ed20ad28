import { describe, expect, it } from 'vitest'
import { makeFailureLimiter } from './rate-limit.js'

describe('failure limiter', () => {
  it('blocks a key after max failures until its window ends, and forgets it on reset', () => {
    const l = makeFailureLimiter({ max: 3, windowMs: 60_000 })
    for (let i = 0; i < 2; i++) l.fail('alice', 1000)
    expect(l.blockedFor('alice', 1000)).toBe(0)
    l.fail('alice', 2000)
    expect(l.blockedFor('alice', 2000)).toBe(59)
    expect(l.blockedFor('bob', 2000)).toBe(0)
    expect(l.blockedFor('alice', 61_000)).toBe(0)
    l.fail('alice', 61_000)
    expect(l.blockedFor('alice', 61_000)).toBe(0)
    l.fail('carol', 0)
    l.fail('carol', 0)
    l.fail('carol', 0)
    l.reset('carol')
    expect(l.blockedFor('carol', 0)).toBe(0)
  })

  it('stays within its key budget', () => {
    const l = makeFailureLimiter({ max: 1, windowMs: 60_000, maxKeys: 100 })
    for (let i = 0; i < 1000; i++) l.fail(`k${i}`, 0)
    // The newest keys are still counted; the oldest were let go.
    expect(l.blockedFor('k999', 0)).toBeGreaterThan(0)
    expect(l.blockedFor('k0', 0)).toBe(0)
  })
})
