import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { parsePattern } from '../pattern/parser.js'
import { matchEitherForm, patternForms, prepareObservationForms } from './evaluate.js'
import { INDEX_LIMITS, ObservableIndex, type IndexableIndicator } from './observable-index.js'

const NOW = Date.parse('2026-09-01T00:00:00Z')
const id = (n: number): string => `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

function indexOf(patterns: readonly string[]): ObservableIndex {
  const index = new ObservableIndex()
  patterns.forEach((pattern, i) => {
    const r = index.add({ id: id(i), pattern, created_by_ref: 'identity--a' })
    if (!r.ok) throw new Error(r.error.message)
  })
  return index
}

const matched = (index: ObservableIndex, objects: unknown[]): string[] =>
  index
    .matchObjects(objects, { now: NOW })
    .matches.map((m) => m.indicator)
    .sort()

describe('ObservableIndex', () => {
  it('files indicators as exact, confirm, substring or fallback', () => {
    const index = new ObservableIndex()
    const mode = (pattern: string, n: number) => {
      const r = index.add({ id: id(n), pattern })
      return r.ok ? r.value.mode : r.error.code
    }
    expect(mode("[ipv4-addr:value = '198.51.100.7']", 1)).toBe('exact')
    expect(mode("[domain-name:value = 'a.example'] OR [url:value IN ('http://a.example/', 'http://b.example/')]", 2)).toBe('exact')
    expect(mode("[file:name = 'x.exe' AND file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']", 3)).toBe('confirm')
    expect(mode("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", 4)).toBe('confirm')
    expect(mode("[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value LIKE '%.example']", 5)).toBe('confirm')
    expect(mode("[domain-name:value LIKE '%.example']", 6)).toBe('substring')
    expect(mode("[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value LIKE '%.example']", 7)).toBe('fallback')
    expect(mode("[ipv4-addr:value = '1.2.3.4']", 8)).toBe('exact')
    expect(index.add({ id: id(9), pattern: '[a:b = ', pattern_type: 'stix' })).toMatchObject({ ok: false, error: { code: 'pattern_invalid' } })
    expect(index.add({ id: id(9), pattern: 'alert tcp any any', pattern_type: 'snort' })).toMatchObject({ ok: false, error: { code: 'not_stix' } })
    expect(index.add({ id: id(9), pattern: "[a:b = 'c']", valid_from: 'yesterday' })).toMatchObject({ ok: false, error: { code: 'invalid_time' } })
    expect(index.stats()).toMatchObject({ indicators: 8, exact: 3, confirm: 3, substring: 1, fallback: 1, subnets: 1 })
  })

  it('matches canonical forms: case, trailing dots, default ports, hash algorithm names, IPv6 spellings', () => {
    const index = indexOf([
      "[domain-name:value = 'Vote-Update.example.']",
      "[url:value = 'HTTP://Results.Example:80']",
      "[file:hashes.sha256 = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']",
      "[ipv6-addr:value = '2001:0DB8:0:0:0:0:0:1']",
      "[email-addr:value = 'Press@Ministry.EXAMPLE']",
      "[mac-addr:value = 'AA-BB-CC-DD-EE-FF']",
      "[autonomous-system:number = 64496]",
    ])
    expect(matched(index, [{ type: 'domain-name', value: 'vote-update.EXAMPLE' }])).toEqual([id(0)])
    expect(matched(index, [{ type: 'url', value: 'http://results.example/' }])).toEqual([id(1)])
    expect(matched(index, [{ type: 'file', hashes: { 'SHA-256': 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' } }])).toEqual([id(2)])
    expect(matched(index, [{ type: 'ipv6-addr', value: '2001:db8::1' }])).toEqual([id(3)])
    expect(matched(index, [{ type: 'email-addr', value: 'Press@ministry.example' }])).toEqual([id(4)])
    expect(matched(index, [{ type: 'email-addr', value: 'press@ministry.example' }])).toEqual([]) // the local part keeps its case
    expect(matched(index, [{ type: 'mac-addr', value: 'aa:bb:cc:dd:ee:ff' }])).toEqual([id(5)])
    expect(matched(index, [{ type: 'autonomous-system', number: 64496 }])).toEqual([id(6)])
    expect(matched(index, [{ type: 'autonomous-system', number: '64496' }])).toEqual([])
  })

  it('reports the values hit, their fan-out, the creator and the observations', () => {
    const index = indexOf(["[ipv4-addr:value = '198.51.100.7']", "[ipv4-addr:value IN ('198.51.100.7', '198.51.100.8')]"])
    const r = index.matchObjects([{ type: 'ipv4-addr', value: '198.51.100.7/32' }], { now: NOW })
    expect(r.matches).toHaveLength(2)
    expect(r.matches[0]).toEqual({
      indicator: id(0),
      createdBy: 'identity--a',
      via: 'index',
      values: [{ objectType: 'ipv4-addr', path: 'value', value: '198.51.100.7', indicators: 2 }],
      observations: [0],
    })
    expect(index.fanout('ipv4-addr', 'value', '198.51.100.7')).toBe(2)
    expect(index.fanout('ipv4-addr', 'value', '198.51.100.8')).toBe(1)
    expect(index.fanout('file', "hashes.'SHA-256'", 'ab')).toBe(0)
  })

  it('finds CIDR indicators through the prefix trie and confirms them', () => {
    const index = indexOf(["[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "[ipv4-addr:value ISSUBSET '198.51.0.0/16']", "[ipv6-addr:value ISSUBSET '2001:db8::/32']"])
    expect(matched(index, [{ type: 'ipv4-addr', value: '198.51.100.7' }])).toEqual([id(0), id(1)])
    expect(matched(index, [{ type: 'ipv4-addr', value: '198.51.7.7' }])).toEqual([id(1)])
    expect(matched(index, [{ type: 'ipv4-addr', value: '198.51.100.0/25' }])).toEqual([id(0), id(1)])
    expect(matched(index, [{ type: 'ipv4-addr', value: '198.0.0.0/8' }])).toEqual([])
    expect(matched(index, [{ type: 'ipv6-addr', value: '2001:DB8:1::5' }])).toEqual([id(2)])
  })

  it('confirms multi-comparison patterns and reports partial hits of multi-observation ones', () => {
    const index = indexOf([
      "[file:name = 'ballot.exe' AND file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']",
      "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'c2.example']",
    ])
    expect(matched(index, [{ type: 'file', name: 'ballot.exe', hashes: { md5: '79054025255FB1A26E4BC422AEF54EB4' } }])).toEqual([id(0)])
    expect(matched(index, [{ type: 'file', name: 'other.exe', hashes: { MD5: '79054025255fb1a26e4bc422aef54eb4' } }])).toEqual([])
    const r = index.matchObjects([{ type: 'ipv4-addr', value: '198.51.100.7' }], { now: NOW })
    expect(r.matches).toEqual([])
    expect(r.partial).toEqual([{ indicator: id(1), createdBy: 'identity--a', values: [{ objectType: 'ipv4-addr', path: 'value', value: '198.51.100.7', indicators: 1 }] }])
    // Across two observed-data objects the AND matches.
    const od = (n: number, ref: string) => ({ type: 'observed-data', id: `observed-data--${n}`, first_observed: '2026-08-31T00:00:00Z', last_observed: '2026-08-31T00:00:00Z', number_observed: 1, object_refs: [ref] })
    const scos = [
      { type: 'ipv4-addr', id: 'ipv4-addr--1', value: '198.51.100.7' },
      { type: 'domain-name', id: 'domain-name--1', value: 'C2.example' },
    ]
    const both = index.matchObservedData([od(1, 'ipv4-addr--1'), od(2, 'domain-name--1')], { now: NOW, scos })
    expect(both.ok && both.value.matches.map((m) => [m.indicator, m.observations])).toEqual([[id(1), [0, 1]]])
    const lean = index.matchObservedData([od(1, 'ipv4-addr--1'), od(2, 'domain-name--1')], { now: NOW, scos, partial: false })
    expect(lean.ok && lean.value.matches.map((m) => [m.indicator, m.observations])).toEqual([[id(1), [0, 1]]])
    // One observation alone cannot match the AND: with partial: false nothing is reported.
    const one = index.matchObservedData([od(1, 'ipv4-addr--1')], { now: NOW, scos, partial: false })
    expect(one.ok && [one.value.matches.length, one.value.partial.length]).toEqual([0, 0])
    expect(index.matchObservedData([{ type: 'observed-data' }], { now: NOW })).toMatchObject({ ok: false, error: { code: 'observation_invalid' } })
  })

  it('evaluates fallback patterns only against observations with their object types', () => {
    const index = indexOf(["[domain-name:value LIKE '%.vote.example']", "[network-traffic:dst_port = 8443]"])
    expect(matched(index, [{ type: 'domain-name', value: 'Polls.VOTE.example' }])).toEqual([id(0)])
    expect(matched(index, [{ type: 'ipv4-addr', value: '198.51.100.7' }])).toEqual([])
    const r = index.matchObjects([{ type: 'network-traffic', dst_port: 8443, protocols: ['tcp'] }], { now: NOW })
    expect(r.matches.map((m) => [m.indicator, m.via])).toEqual([[id(1), 'fallback']])
  })

  it('indexes values reached through references (address-and-port trails)', () => {
    const index = indexOf([
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '51.210.1.239/32' AND network-traffic:dst_port = 8443]",
      "[domain-name:resolves_to_refs[*].value = '198.51.100.7']",
      "[network-traffic:dst_ref.value = 'C2.example']",
    ])
    expect(index.stats()).toMatchObject({ confirm: 3, fallback: 0 })
    const nt = (port: number, value: string) => [
      { type: 'network-traffic', dst_ref: 'ipv4-addr--1', dst_port: port, protocols: ['tcp'] },
      { type: 'ipv4-addr', id: 'ipv4-addr--1', value },
    ]
    const r = index.matchObjects(nt(8443, '51.210.1.239'), { now: NOW })
    expect(r.matches.map((m) => [m.indicator, m.via, m.values])).toEqual([[id(0), 'index', [{ objectType: 'ipv4-addr', path: 'value', value: '51.210.1.239', indicators: 1 }]]])
    expect(matched(index, nt(443, '51.210.1.239'))).toEqual([])
    expect(matched(index, [{ type: 'domain-name', value: 'x.example', resolves_to_refs: ['ipv4-addr--1'] }, { type: 'ipv4-addr', id: 'ipv4-addr--1', value: '198.51.100.7' }])).toEqual([id(1)])
    expect(matched(index, [{ type: 'network-traffic', dst_ref: 'domain-name--1' }, { type: 'domain-name', id: 'domain-name--1', value: 'c2.EXAMPLE' }])).toEqual([id(2)])
  })

  it('removes, replaces and revokes indicators, and honours [valid_from, valid_until)', () => {
    const index = new ObservableIndex()
    const ind = (over: Partial<IndexableIndicator>): IndexableIndicator => ({ id: id(1), pattern: "[domain-name:value = 'a.example']", ...over })
    index.add(ind({ valid_from: '2026-08-01T00:00:00Z', valid_until: '2026-09-01T00:00:00Z' }))
    const q = (now: number) => index.matchObjects([{ type: 'domain-name', value: 'a.example' }], { now }).matches.length
    expect(q(Date.parse('2026-08-15T00:00:00Z'))).toBe(1)
    expect(q(Date.parse('2026-09-01T00:00:00Z'))).toBe(0) // valid_until is exclusive
    expect(q(Date.parse('2026-07-31T23:59:59Z'))).toBe(0)
    // A new version replaces the old keys.
    index.add(ind({ pattern: "[domain-name:value = 'b.example']" }))
    expect(index.size).toBe(1)
    expect(matched(index, [{ type: 'domain-name', value: 'a.example' }])).toEqual([])
    expect(matched(index, [{ type: 'domain-name', value: 'b.example' }])).toEqual([id(1)])
    expect(index.add(ind({ revoked: true }))).toEqual({ ok: true, value: { mode: 'removed', keys: 0 } })
    expect(index.size).toBe(0)
    expect(index.stats().keys).toBe(0)
    expect(index.remove(id(1))).toBe(false)
    // Slots are reused.
    index.add(ind({ id: id(2) }))
    expect(matched(index, [{ type: 'domain-name', value: 'a.example' }])).toEqual([id(2)])
  })

  it('bounds the fallback list and refuses more, without touching the indexed version', () => {
    const index = new ObservableIndex()
    for (let i = 0; i < INDEX_LIMITS.maxFallbackPatterns; i++) expect(index.add({ id: id(i), pattern: `[mutex:name MATCHES '^m${i}']` }).ok).toBe(true)
    const extra = index.add({ id: id(99_999), pattern: "[mutex:name MATCHES 'x']" })
    expect(extra).toMatchObject({ ok: false, error: { code: 'fallback_full' } })
    // Replacing a fallback pattern by another is allowed; an indexable one always is.
    expect(index.add({ id: id(0), pattern: "[mutex:name MATCHES 'y']" }).ok).toBe(true)
    expect(index.add({ id: id(99_998), pattern: "[mutex:name = 'x']" }).ok).toBe(true)
    const r = index.matchObjects([{ type: 'mutex', name: 'm5-x' }], { now: NOW, maxEvaluations: 100 })
    expect(r.truncated).toBe(true)
  }, 30_000)

  it('reports match_limit errors instead of stalling', () => {
    const index = indexOf(["([ipv4-addr:value = '198.51.100.7'] AND [ipv4-addr:value = '198.51.100.7']) REPEATS 400 TIMES"])
    const observed = Array.from({ length: 300 }, (_, i) => ({ type: 'observed-data', first_observed: '2026-08-31T00:00:00Z', last_observed: '2026-08-31T00:00:00Z', number_observed: 1, objects: { 0: { type: 'ipv4-addr', value: '198.51.100.7' } }, id: `o-${i}` }))
    const r = index.matchObservedData(observed, { now: NOW })
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.value.matches.length + r.value.errors.length).toBeLessThanOrEqual(1)
  })
})

// ---- the index agrees with brute force ---------------------------------------------------------

const DOMAINS = ['vote.example', 'VOTE.example.', 'polls.vote.example', 'c2.example']
const IPS = ['198.51.100.7', '198.51.100.7/32', '198.51.100.0/24', '203.0.113.9', '2001:db8::1', '2001:DB8:0:0::1']
const HASHES = ['79054025255fb1a26e4bc422aef54eb4', '79054025255FB1A26E4BC422AEF54EB4', 'e320bb753ba6fb13ea7ef15e7efc315e']
const ALGS = ['MD5', 'md5', "'Md-5'"]
const URLS = ['http://a.example/x', 'HTTP://A.example:80/x', 'https://a.example', 'https://a.example:443/']

const q = (s: string) => `'${s}'`
const comparison = fc.oneof(
  fc.constantFrom(...DOMAINS).map((d) => `domain-name:value = ${q(d)}`),
  fc.subarray(DOMAINS, { minLength: 1 }).map((ds) => `domain-name:value IN (${ds.map(q).join(', ')})`),
  fc.constantFrom(...IPS).map((ip) => `${ip.includes(':') ? 'ipv6' : 'ipv4'}-addr:value = ${q(ip)}`),
  fc.constantFrom('198.51.100.0/24', '198.51.0.0/16', '203.0.113.0/24', '2001:db8::/32').map((c) => `${c.includes(':') ? 'ipv6' : 'ipv4'}-addr:value ISSUBSET ${q(c)}`),
  fc.tuple(fc.constantFrom(...ALGS), fc.constantFrom(...HASHES)).map(([a, h]) => `file:hashes.${a} = ${q(h)}`),
  fc.constantFrom('a.exe', 'b.exe').map((n) => `file:name = ${q(n)}`),
  fc.constantFrom(...URLS).map((u) => `url:value = ${q(u)}`),
  fc.constantFrom('%vote%', 'VOTE%', 'c2.%').map((l) => `domain-name:value LIKE ${q(l)}`),
  fc.constantFrom('^vote', 'EXAMPLE$').map((r) => `domain-name:value MATCHES ${q(r)}`),
  fc.constantFrom(...DOMAINS).map((d) => `domain-name:value != ${q(d)}`),
  fc.constantFrom(...DOMAINS).map((d) => `network-traffic:dst_ref.value = ${q(d)}`),
)
const bracket = fc.oneof(
  comparison.map((c) => `[${c}]`),
  fc.tuple(comparison, comparison, fc.constantFrom('AND', 'OR')).map(([a, b, op]) => `[${a} ${op} ${b}]`),
)
const patternArb = fc.oneof(
  { weight: 3, arbitrary: bracket },
  fc.tuple(bracket, bracket, fc.constantFrom('AND', 'OR', 'FOLLOWEDBY')).map(([a, b, op]) => `${a} ${op} ${b}`),
  bracket.map((b) => `${b} REPEATS 2 TIMES`),
)
const sco = fc.oneof(
  fc.constantFrom(...DOMAINS).map((value) => ({ type: 'domain-name', value })),
  fc.constantFrom(...IPS).map((value) => ({ type: value.includes(':') ? 'ipv6-addr' : 'ipv4-addr', value })),
  fc.tuple(fc.constantFrom('MD5', 'md5', 'SHA-256'), fc.constantFrom(...HASHES), fc.constantFrom('a.exe', 'b.exe')).map(([a, h, name]) => ({ type: 'file', name, hashes: { [a]: h } })),
  fc.constantFrom(...URLS).map((value) => ({ type: 'url', value })),
  fc.constantFrom(...DOMAINS).map((value) => ({ type: 'network-traffic', dst_ref: 'domain-name--x', _dst: value })),
)
const DAY = 86_400_000
const indicatorArb = fc.record({
  pattern: patternArb,
  from: fc.option(fc.integer({ min: -3, max: 1 }), { nil: undefined }),
  until: fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }),
  revoked: fc.boolean(),
  removed: fc.boolean(),
})
const iso = (days: number) => new Date(NOW + days * DAY).toISOString()

/** SCOs of one observation; a network-traffic object brings the domain it points to. */
function observationObjects(list: readonly Record<string, unknown>[]): unknown[] {
  const out: unknown[] = []
  list.forEach((o) => {
    if (o.type === 'network-traffic') {
      out.push({ type: 'network-traffic', dst_ref: 'domain-name--x' }, { type: 'domain-name', id: 'domain-name--x', value: o._dst })
    } else out.push(o)
  })
  return out
}

const seen = { index: 0, fallback: 0, partial: 0, none: 0 }

describe('ObservableIndex agrees with evaluating every indicator', () => {
  fcTest.prop([fc.array(indicatorArb, { minLength: 1, maxLength: 25 }), fc.array(fc.array(sco, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 })], { numRuns: 200 })(
    'on random small worlds',
    (indicators, queries) => {
      const index = new ObservableIndex()
      const live: { id: string; pattern: string; from: number; until: number }[] = []
      indicators.forEach((ind, i) => {
        const input: IndexableIndicator = {
          id: id(i),
          pattern: ind.pattern,
          ...(ind.from === undefined ? {} : { valid_from: iso(ind.from) }),
          ...(ind.until === undefined ? {} : { valid_until: iso(ind.until) }),
          revoked: ind.revoked,
        }
        // Add an earlier version first, so replacement is exercised too.
        index.add({ id: id(i), pattern: "[domain-name:value = 'vote.example']" })
        const r = index.add(input)
        expect(r.ok).toBe(true)
        if (ind.removed) index.remove(id(i))
        if (!ind.revoked && !ind.removed) live.push({ id: id(i), pattern: ind.pattern, from: ind.from === undefined ? -Infinity : NOW + ind.from * DAY, until: ind.until === undefined ? Infinity : NOW + ind.until * DAY })
      })
      for (const q of queries) {
        const objects = observationObjects(q)
        const got = index.matchObjects(objects, { now: NOW })
        expect(got.errors).toEqual([])
        // The oracle: the same observation, every live indicator evaluated in both forms.
        const dict: Record<string, unknown> = {}
        objects.forEach((o, i) => {
          const rec = o as Record<string, unknown>
          dict[typeof rec.id === 'string' ? rec.id : `#${i}`] = o
        })
        const when = new Date(NOW).toISOString()
        const forms = prepareObservationForms([{ type: 'observed-data', first_observed: when, last_observed: when, number_observed: 1, objects: dict }])
        if (!forms.ok) throw new Error(forms.error.message)
        const expected = live
          .filter((l) => l.from <= NOW && NOW < l.until)
          .filter((l) => {
            const p = parsePattern(l.pattern)
            if (!p.ok) throw new Error(p.error.message)
            const m = matchEitherForm(patternForms(p.value), forms.value)
            return m.ok && m.value.matched
          })
          .map((l) => l.id)
          .sort()
        expect(got.matches.map((m) => m.indicator).sort()).toEqual(expected)
        // Without partial results: the same matches, and no partial list.
        const lean = index.matchObjects(objects, { now: NOW, partial: false })
        expect(lean.matches.map((m) => m.indicator).sort()).toEqual(expected)
        expect(lean.partial).toEqual([])
        for (const m of got.matches) seen[m.via]++
        seen.partial += got.partial.length
        if (got.matches.length === 0) seen.none++
      }
    },
  )

  it('exercised index, fallback and partial results', () => {
    expect(seen.index).toBeGreaterThan(20)
    expect(seen.fallback).toBeGreaterThan(20)
    expect(seen.partial).toBeGreaterThan(0)
    expect(seen.none).toBeGreaterThan(20)
  })
})
