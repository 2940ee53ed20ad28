import { randomBytes } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { decodeCursor, encodeCursor, scopeKey, type CursorScope } from './cursor.js'

const key = randomBytes(32)
const otherKey = randomBytes(32)
const storedTs = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) => fc.integer({ min: 0, max: 999 }).map((us) => `${d.toISOString().slice(0, 23)}${String(us).padStart(3, '0')}Z`))
const position = fc.record({ dateAdded: storedTs, seq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) })
const scopeArb: fc.Arbitrary<CursorScope> = fc.record({
  endpoint: fc.constantFrom('objects', 'manifest', 'versions', 'object'),
  collection: fc.string({ minLength: 1, maxLength: 40 }),
  filters: fc.record({ types: fc.array(fc.stringMatching(/^[a-z]{1,10}$/), { minLength: 1, maxLength: 4 }), addedAfter: storedTs }, { requiredKeys: [] }),
})

describe('cursors', () => {
  test.prop([position, scopeArb])('round-trip for the scope they were issued for', (pos, scope) => {
    expect(decodeCursor(encodeCursor(pos, scope, key), scope, key)).toEqual({ ok: true, value: pos })
  })

  test.prop([position, scopeArb, scopeArb])('are refused for another scope', (pos, a, b) => {
    fc.pre(scopeKey(a) !== scopeKey(b))
    expect(decodeCursor(encodeCursor(pos, a, key), b, key).ok).toBe(false)
  })

  test.prop([position, scopeArb])('are refused with another key (another node)', (pos, scope) => {
    expect(decodeCursor(encodeCursor(pos, scope, key), scope, otherKey).ok).toBe(false)
  })

  test.prop([position, scopeArb, fc.nat(), fc.integer({ min: 1, max: 255 })])('any edit is detected', (pos, scope, at, flip) => {
    const c = encodeCursor(pos, scope, key)
    const i = at % c.length
    const edited = c.slice(0, i) + String.fromCharCode(c.charCodeAt(i) ^ flip) + c.slice(i + 1)
    fc.pre(edited !== c)
    const r = decodeCursor(edited, scope, key)
    // Base64url has equivalent encodings only in the unused low bits of the last character.
    if (r.ok) expect(r.value).toEqual(pos)
  })

  test.prop([fc.anything(), scopeArb])('garbage is an issue, never a throw', (garbage, scope) => {
    const r = decodeCursor(garbage, scope, key)
    expect(r.ok).toBe(false)
  })

  it('is the same for filters in any order', () => {
    const a: CursorScope = { endpoint: 'objects', collection: 'c', filters: { types: ['a', 'b'], ids: ['x--1', 'y--2'] } }
    const b: CursorScope = { endpoint: 'objects', collection: 'c', filters: { ids: ['y--2', 'x--1'], types: ['b', 'a'] } }
    expect(scopeKey(a)).toBe(scopeKey(b))
  })

  it('refuses a forged payload with a copied tag', () => {
    const scope: CursorScope = { endpoint: 'objects', collection: 'c', filters: {} }
    const c = encodeCursor({ dateAdded: '2026-01-01T00:00:00.000000Z', seq: 5 }, scope, key)
    const forgedPayload = Buffer.from(JSON.stringify([1, '2026-01-01T00:00:00.000000Z', 0])).toString('base64url')
    expect(decodeCursor(`${forgedPayload}.${c.split('.')[1]}`, scope, key).ok).toBe(false)
  })
})
