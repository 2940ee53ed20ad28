import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../../core/stix/canonical.js'
import { entryActor } from './log-actor.js'

/** What a full parse gives. */
const slow = (text: string): unknown => {
  try {
    const e: unknown = JSON.parse(text)
    const by = e !== null && typeof e === 'object' && !Array.isArray(e) ? (e as { by?: unknown }).by : undefined
    return by !== null && typeof by === 'object' && !Array.isArray(by) ? by : null
  } catch {
    return null
  }
}

describe('entryActor', () => {
  it('reads the actor of canonical entries, and of any other layout through a full parse', () => {
    const entry = (by: unknown, extra: Record<string, unknown> = {}) => canonicalize({ kind: 'object.added', at: '2026-11-25T03:47:50.591000Z', by, collection: 'c', ...extra })
    expect(entryActor(entry({ system: 'bench' }))).toEqual({ system: 'bench' })
    expect(entryActor(entry({ org: 'o-1', user: 'u}1' }))).toEqual({ org: 'o-1', user: 'u}1' })
    expect(entryActor(entry({ org: 'o', nested: { a: 1 } }))).toEqual({ org: 'o', nested: { a: 1 } })
    expect(entryActor(entry('not an object'))).toBeNull()
    expect(entryActor('{"at":"x","kind":"object.added"}')).toBeNull()
    expect(entryActor('{"by":{"org":"first"},"at":"x"}')).toEqual({ org: 'first' })
    expect(entryActor('{"at":"x\\",\\"by\\":{\\"org\\":\\"fake\\"}","by":{"org":"real"}}')).toEqual({ org: 'real' })
    expect(entryActor('not json')).toBeNull()
    // Only the actor is read: the rest of the text is not checked.
    expect(entryActor('{"at":"x","by":{"org":"o"}')).toEqual({ org: 'o' })
  })

  const value = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('}', '{', '"', '\\', '","by":{', '}"'), fc.integer(), fc.dictionary(fc.constantFrom('a', 'b'), fc.string({ maxLength: 3 }), { maxKeys: 2 }))
  fcTest.prop([fc.dictionary(fc.constantFrom('org', 'system', 'user', 'x'), value, { maxKeys: 3 }), fc.string({ maxLength: 6 }), fc.boolean()])(
    'gives what a full parse gives on canonical entries',
    (by, at, first) => {
      const text = canonicalize(first ? { at, by, kind: 'k' } : { by, kind: 'k', zeta: at })
      expect(entryActor(text)).toEqual(slow(text))
    },
  )
})
