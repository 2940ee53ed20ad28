import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { DECAY_MODELS, decayModelFor, decayScore, overCorrelation } from './decay.js'

const DAY = 86_400_000
const T0 = Date.parse('2026-08-01T00:00:00Z')
const ip = DECAY_MODELS['ipv4-addr']!

describe('decayScore', () => {
  it('follows base × (1 − (t/τ)^(1/δ))', () => {
    expect(decayScore({ validFrom: T0 }, ip, T0)).toEqual({ score: 75, decayed: false, ageDays: 0 })
    // IPs: τ = 30 days, δ = 2: after 7.5 days, 75 × (1 − 0.5) = 37.5.
    expect(decayScore({ validFrom: T0 }, ip, T0 + 7.5 * DAY).score).toBe(37.5)
    expect(decayScore({ validFrom: T0, confidence: 100 }, ip, T0 + 7.5 * DAY).score).toBe(50)
    expect(decayScore({ validFrom: T0 }, ip, T0 + 20 * DAY)).toMatchObject({ decayed: true })
    expect(decayScore({ validFrom: T0 }, ip, T0 + 30 * DAY).score).toBe(0)
    // Hashes hold their score (δ < 1).
    expect(decayScore({ validFrom: T0 }, decayModelFor('file'), T0 + 180 * DAY).score).toBeGreaterThan(55)
    expect(decayModelFor('x-custom')).toBe(DECAY_MODELS.default)
  })

  it('a sighting resets the clock; revoked, expired or not yet valid indicators score 0', () => {
    expect(decayScore({ validFrom: T0, lastSighting: T0 + 20 * DAY }, ip, T0 + 20 * DAY).score).toBe(75)
    expect(decayScore({ validFrom: T0, revoked: true }, ip, T0).score).toBe(0)
    expect(decayScore({ validFrom: T0, validUntil: T0 + DAY }, ip, T0 + DAY).score).toBe(0)
    expect(decayScore({ validFrom: T0 }, ip, T0 - 1).score).toBe(0)
  })

  fcTest.prop([fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), fc.constantFrom(...Object.values(DECAY_MODELS))])('never increases with age and stays within [0, base]', (a, b, model) => {
    const [x, y] = a <= b ? [a, b] : [b, a]
    const sx = decayScore({ validFrom: T0 }, model, T0 + x * DAY).score
    const sy = decayScore({ validFrom: T0 }, model, T0 + y * DAY).score
    expect(sy).toBeLessThanOrEqual(sx)
    expect(sx).toBeGreaterThanOrEqual(0)
    expect(sx).toBeLessThanOrEqual(75)
  })
})

describe('overCorrelation', () => {
  it('flags values shared by too many indicators or observations, with the reason', () => {
    expect(overCorrelation({ indicators: 100 })).toBeNull()
    expect(overCorrelation({ indicators: 101 })).toBe('over-correlated: the value is in 101 indicators (limit 100)')
    expect(overCorrelation({ indicators: 1, observations: 10_001 })).toMatch(/seen in 10001 observations/)
    expect(overCorrelation({ indicators: 3 }, { maxIndicatorsPerValue: 2, maxObservationsPerValue: 5 })).toMatch(/limit 2/)
  })
})
