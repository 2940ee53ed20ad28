import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { uuidv5 } from '../../core/stix/id.js'
import { SIGHTING_NAMESPACE, sightingIdOf } from './sighting-id.js'

describe('sightingIdOf', () => {
  it('is the UUIDv5 of core/stix/id.ts over "indicator|observation"', () => {
    const id = sightingIdOf('indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd')
    expect(id).toBe(`sighting--${uuidv5(SIGHTING_NAMESPACE, 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f|ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd')}`)
    expect(id).toMatch(/^sighting--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('agrees with core for any strings, non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(sightingIdOf(a, b)).toBe(`sighting--${uuidv5(SIGHTING_NAMESPACE, `${a}|${b}`)}`)
      }),
      { numRuns: 500 },
    )
  })
})
