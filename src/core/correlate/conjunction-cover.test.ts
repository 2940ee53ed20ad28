/**
 * `conjunctionCover` reads one bracket of `=` comparisons joined by AND without the parser. It must
 * never accept a text the parser rejects, and must give what `indexLookups(parsePattern(…))` gives;
 * the index must answer the same whichever way a pattern was read.
 */
import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { comparisonsOf, parsePattern } from '../pattern/parser.js'
import type { Pattern } from '../pattern/ast.js'
import { ANY_TYPE, conjunctionCover, indexLookups } from './cover.js'
import { ObservableIndex, type IndicatorMatch } from './observable-index.js'

const NOW = Date.parse('2026-09-01T00:00:00Z')
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

const TYPES = ['network-traffic', 'ipv4-addr', 'ipv6-addr', 'domain-name', 'url', 'file', 'artifact', 'x-custom', 'autonomous-system', 'email-message', '_odd', 'AND-x', 'IN', 'true', 'Tru', 'false-x', 'Foo']
const PATHS = [
  'value', 'dst_ref.value', 'src_ref.value', 'dst_ref.type', 'dst_port', 'name', 'hashes.MD5', 'hashes.sha256', 'number', 'message_id',
  'extensions.x.y', 'from_ref.value', 'a_refs.value', 'value.deep', 'true', 'LIKE', 'Fvalue', 'dst_ref.false', 'tvalue',
]
const stringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('198.51.100.7', '198.51.100.7/32', '2001:DB8::1', '10.0.0.0/8', 'EVIL.example.', 'HTTP://A.example:80/x', "o'brien", 'a\\b', ' AND ', "x' AND y", ']', ''),
  fc.string({ unit: fc.constantFrom('a', "'", '\\', ' ', ']', '=', 'A', 'N', 'D'), maxLength: 8 }),
)
const literalArb = fc.oneof(
  stringArb.map(quote),
  fc.constantFrom('0', '8443', '64496', '123456789012345', '1234567890123456', '08', '-1', '1.5', '1e3', 'true', "h'ab'"),
)
const comparisonArb = fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom(...PATHS), literalArb).map(([t, p, l]) => `${t}:${p} = ${l}`)
const conjunctionArb = fc.array(comparisonArb, { minLength: 1, maxLength: 4 }).map((cs) => `[${cs.join(' AND ')}]`)

/** What the parser path gives: the lookups of the one bracket, needsFullEvaluation, the object types. */
function slow(p: Pattern) {
  const l = indexLookups(p)
  const e = p.expression
  const types = e.kind === 'observation' ? [...new Set(comparisonsOf(e.comparison).map((c) => c.path.objectType))] : []
  return { observations: l.observations, needsFullEvaluation: l.needsFullEvaluation, types: types.sort() }
}

describe('conjunctionCover', () => {
  fcTest.prop([conjunctionArb], { numRuns: 1500 })('reads what the parser and indexLookups read, and leaves the rest to them', (text) => {
    const fast = conjunctionCover(text)
    const p = parsePattern(text)
    if (fast === null) {
      // Refused: either the parser refuses too, or the text is outside the accepted subset, or there is no cover.
      if (p.ok && !/ = (-|0\d|\d{16}|\d+\.|\d+e|true|h')/.test(text))
        expect(slow(p.value).observations[0]?.lookups ?? null).toBeNull()
      return
    }
    expect(p.ok).toBe(true)
    if (!p.ok) return
    expect(slow(p.value)).toEqual({ observations: [{ expression: 0, lookups: fast.lookups }], needsFullEvaluation: fast.needsFullEvaluation, types: [...fast.types].sort() })
  })

  fcTest.prop([conjunctionArb, fc.nat(), fc.constantFrom('', ' ', '(', ')', ']', '[', "'", '\\', 'AND ', ' OR x:y = 1', '.', ':', '-', '/*', '=')], { numRuns: 1500 })(
    'never accepts a text the parser reads differently (insertions and deletions)',
    (text, at, insert) => {
      const i = at % (text.length + 1)
      for (const t of [text.slice(0, i) + insert + text.slice(i), text.slice(0, i) + text.slice(i + 1)]) {
        const fast = conjunctionCover(t)
        if (fast === null) continue
        const p = parsePattern(t)
        expect(p.ok).toBe(true)
        if (p.ok) expect(slow(p.value)).toEqual({ observations: [{ expression: 0, lookups: fast.lookups }], needsFullEvaluation: fast.needsFullEvaluation, types: [...fast.types].sort() })
      }
    },
  )

  it("reads Maltrail's address-and-port trails as a reference cover that needs evaluation", () => {
    expect(conjunctionCover("[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '51.210.1.239' AND network-traffic:dst_port = 8443]")).toEqual({
      lookups: [{ objectType: ANY_TYPE, path: 'value', match: 'exact', values: ['51.210.1.239'] }],
      needsFullEvaluation: true,
      types: ['network-traffic'],
    })
    // An indexable property covers the bracket before any reference; addresses are normalised.
    expect(conjunctionCover("[network-traffic:dst_ref.value = 'a.example' AND ipv4-addr:value = '198.51.100.7/32']")?.lookups).toEqual([
      { objectType: 'ipv4-addr', path: 'value', match: 'exact', values: ['198.51.100.7'] },
    ])
    // A reference value in another spelling is looked up as written and in canonical form.
    expect(conjunctionCover("[network-traffic:dst_ref.value = 'EVIL.example.' AND network-traffic:dst_port = 443]")?.lookups).toEqual([
      { objectType: ANY_TYPE, path: 'value', match: 'exact', values: ['EVIL.example.', 'evil.example'] },
    ])
    expect(conjunctionCover("[file:hashes.MD5 = 'AB']")).toEqual({ lookups: [{ objectType: 'file', path: 'hashes.MD5', match: 'exact', values: ['AB'] }], needsFullEvaluation: false, types: ['file'] })
  })

  it('leaves other shapes to the parser', () => {
    for (const t of [
      "[network-traffic:dst_port = 8443 AND network-traffic:protocols[*] = 'tcp']",
      "[network-traffic:dst_ref.value = 'a' OR network-traffic:dst_port = 1]",
      "[network-traffic:dst_ref.value = 'a'] AND [network-traffic:dst_port = 1]",
      "[network-traffic:dst_ref.value = 'a' AND network-traffic:dst_port = 1] REPEATS 2 TIMES",
      "[network-traffic:dst_ref.value != 'a' AND network-traffic:dst_port = 1]",
      "[network-traffic:dst_ref.value  = 'a']",
      "[network-traffic:dst_port = 1 AND network-traffic:src_port = 2]", // no cover
      "[network-traffic:dst_ref.value = 'a\\nb']",
      "[network-traffic:dst_ref.value = 'a' AND network-traffic:dst_port = 01]",
    ])
      expect(conjunctionCover(t)).toBeNull()
  })
})

describe('the index reads conjunctions without the parser', () => {
  const VALUES = ['198.51.100.7', '198.51.100.9', 'vote.example', 'VOTE.example.']
  const patternArb = fc.oneof(
    fc.tuple(fc.constantFrom(...VALUES), fc.integer({ min: 80, max: 81 })).map(([v, port]) => `[network-traffic:dst_ref.value = ${quote(v)} AND network-traffic:dst_port = ${port}]`),
    fc.tuple(fc.constantFrom(...VALUES), fc.integer({ min: 80, max: 81 })).map(([v, port]) => `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = ${quote(v)} AND network-traffic:dst_port = ${port}]`),
    fc.constantFrom(...VALUES).map((v) => `[domain-name:value = ${quote(v)} AND domain-name:resolves_to_refs[*].value = '198.51.100.7']`),
    fc.constantFrom(...VALUES).map((v) => `[domain-name:value = ${quote(v)} AND x-custom:flag = 1]`),
  )
  const obsArb = fc.tuple(fc.constantFrom(...VALUES), fc.integer({ min: 80, max: 81 }), fc.constantFrom('ipv4-addr', 'domain-name')).map(([value, port, type]) => [
    { type: 'network-traffic', dst_ref: 'x--1', dst_port: port },
    { type, id: 'x--1', value },
  ])
  const shape = (m: IndicatorMatch) => ({ indicator: m.indicator, via: m.via, values: m.values, observations: m.observations })

  fcTest.prop([fc.array(patternArb, { minLength: 1, maxLength: 12 }), fc.array(obsArb, { minLength: 1, maxLength: 12 })], { numRuns: 100 })(
    'gives the same matches and partial hits as an index given the parsed patterns',
    (patterns, observations) => {
      const fromText = new ObservableIndex()
      const fromAst = new ObservableIndex()
      patterns.forEach((pattern, i) => {
        const parsed = parsePattern(pattern)
        if (!parsed.ok) throw new Error(pattern)
        const id = `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
        expect(fromText.add({ id, pattern })).toEqual(fromAst.add({ id, pattern: parsed.value }))
      })
      expect(fromText.stats()).toEqual(fromAst.stats())
      for (const o of observations) {
        const a = fromText.matchObjects(o, { now: NOW })
        const b = fromAst.matchObjects(o, { now: NOW })
        expect(a.matches.map(shape)).toEqual(b.matches.map(shape))
        expect(a.partial).toEqual(b.partial)
      }
    },
  )
})
