/**
 * The fast paths of correlation agree with the simple ones (issue 4, performance work):
 * - `matchEach` (batch, reused query state) gives, element by element, what `matchObjects` gives;
 * - `simpleEqualityLookup` (no parser) gives what `indexLookups(parsePattern(…))` gives;
 * - the substring index finds exactly what a brute-force scan finds, and LIKE patterns filed in it
 *   match exactly what evaluating every pattern matches;
 * - the warninglist fast path `check` gives the verdict of `match(…)[0]`, cold and cached.
 */
import { join } from 'node:path'
import { fc, test as fcTest } from '@fast-check/vitest'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadWarninglists } from '../../platform/warninglists.js'
import { SHARED_DATA } from '../../../test/data.js'
import { parsePattern } from '../pattern/parser.js'
import { compileLike, likeMatches } from '../pattern/values.js'
import { indexLookups, simpleEqualityLookup } from './cover.js'
import { matchEitherForm, patternForms, prepareObservationForms } from './evaluate.js'
import { canonicalValue, ruleFor } from './normalise.js'
import { ObservableIndex, type IndicatorMatch } from './observable-index.js'
import { SubstringIndex } from './substring-index.js'
import { VALUE_KINDS, WarninglistMatcher, type ValueKind, type Warninglist } from './warninglists.js'

const NOW = Date.parse('2026-09-01T00:00:00Z')
const id = (n: number): string => `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

// ---- batch = single ------------------------------------------------------------------------------

const VALUES = ['vote.example', 'VOTE.example.', 'c2.example', '198.51.100.7', '198.51.100.9', '2001:db8::1', 'http://a.example/x/login.php', 'HTTP://A.example:80/x/Login.php?id=1']
const valueArb = fc.constantFrom(...VALUES)
const typeOf = (v: string): string => (v.includes('://') ? 'url' : /^[\d.]+$/.test(v) ? 'ipv4-addr' : v.includes(':') ? 'ipv6-addr' : 'domain-name')
const patternArb = fc.oneof(
  valueArb.map((v) => `[${typeOf(v)}:value = ${quote(v)}]`),
  fc.tuple(valueArb, valueArb).map(([a, b]) => `[${typeOf(a)}:value = ${quote(a)}] OR [${typeOf(b)}:value = ${quote(b)}]`),
  fc.tuple(valueArb, fc.integer({ min: 80, max: 81 })).map(([v, p]) => `[network-traffic:dst_ref.value = ${quote(v)} AND network-traffic:dst_port = ${p}]`),
  fc.constantFrom('%login%', '%Login.php%', '%/x/%', 'http://a.%', '%vote%', '%VOTE%', '%ogi_%', '%c2%').map((l) => `[${l.includes('/') || l.includes('ogi') || l.includes('http') ? 'url' : 'domain-name'}:value LIKE ${quote(l)}]`),
  fc.constantFrom('^vote', 'php$').map((r) => `[url:value MATCHES ${quote(r)}]`),
  fc.constantFrom('198.51.100.0/24', '2001:db8::/32').map((c) => `[${c.includes(':') ? 'ipv6' : 'ipv4'}-addr:value ISSUBSET ${quote(c)}]`),
)
const scoArb = fc.oneof(
  valueArb.map((value) => ({ type: typeOf(value), value })),
  fc.tuple(valueArb, fc.integer({ min: 80, max: 81 })).map(([value, port]) => [
    { type: 'network-traffic', dst_ref: 'x--1', dst_port: port },
    { type: typeOf(value), id: 'x--1', value },
  ]),
)

const shape = (m: IndicatorMatch) => ({ indicator: m.indicator, via: m.via, values: m.values, observations: m.observations })

describe('matchEach', () => {
  fcTest.prop([fc.array(patternArb, { minLength: 1, maxLength: 20 }), fc.array(scoArb, { minLength: 1, maxLength: 30 })], { numRuns: 150 })(
    'gives, element by element, what matchObjects gives without partial hits',
    (patterns, observables) => {
      const index = new ObservableIndex()
      patterns.forEach((pattern, i) => expect(index.add({ id: id(i), pattern, created_by_ref: 'identity--a' }).ok).toBe(true))
      const got: IndicatorMatch[][] = observables.map(() => [])
      const outcome = index.matchEach(observables, { now: NOW }, (i, m) => (got[i] as IndicatorMatch[]).push(m))
      expect(outcome.queries).toBe(observables.length)
      expect(outcome.errors).toEqual([])
      observables.forEach((o, i) => {
        const single = index.matchObjects(Array.isArray(o) ? o : [o], { now: NOW, partial: false })
        expect((got[i] as IndicatorMatch[]).map(shape)).toEqual(single.matches.map(shape))
      })
      expect(outcome.matched).toBe(got.reduce((n, g) => n + g.length, 0))
    },
  )

  it('rejects a time that is not a number', () => {
    expect(() => new ObservableIndex().matchEach([], { now: Number.NaN }, () => undefined)).toThrow(RangeError)
  })
})

// ---- single-equality patterns without the parser ---------------------------------------------------

const PATHS = ['ipv4-addr:value', 'ipv6-addr:value', 'domain-name:value', 'url:value', 'email-addr:value', 'autonomous-system:number', 'user-account:user_id', 'file:name', 'mutex:name', 'x509-certificate:serial_number']
const literalArb = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('198.51.100.7/32', '2001:DB8::1', '10.0.0.0/8', "o'brien", 'a\\b', 'x\\'), fc.string({ unit: fc.constantFrom('a', "'", '\\', ' ', ']', '=', '%'), maxLength: 8 }))

describe('simpleEqualityLookup', () => {
  fcTest.prop([fc.constantFrom(...PATHS), literalArb], { numRuns: 500 })('reads [type:path = literal] as the parser and indexLookups do', (path, literal) => {
    const text = `[${path} = ${quote(literal)}]`
    const fast = simpleEqualityLookup(text)
    const p = parsePattern(text)
    expect(p.ok).toBe(true)
    if (!p.ok) return
    const slow = indexLookups(p.value)
    expect(slow.needsFullEvaluation).toBe(false)
    expect(fast).not.toBeNull()
    expect(slow.observations).toEqual([{ expression: 0, lookups: [fast] }])
  })

  fcTest.prop([fc.string({ maxLength: 40 }), fc.constantFrom(...PATHS)], { numRuns: 500 })('never accepts what the parser reads differently', (junk, path) => {
    for (const text of [junk, `[${path} = '${junk}']`, `[${path} = ${quote(junk)}] `, `[${path}  = ${quote(junk)}]`, `[${path} = ${quote(junk)}] OR [${path} = 'x']`]) {
      const fast = simpleEqualityLookup(text)
      if (fast === null) continue
      const p = parsePattern(text)
      expect(p.ok).toBe(true)
      if (p.ok) expect(indexLookups(p.value)).toEqual({ needsFullEvaluation: false, observations: [{ expression: 0, lookups: [fast] }] })
    }
  })

  it('leaves other shapes to the parser', () => {
    for (const t of ["[file:hashes.MD5 = 'x']", "[url:value != 'x']", "[mutex:name = 'a' AND mutex:name = 'b']", "[ipv4-addr:value = 'x'] REPEATS 2 TIMES", "[x-custom:value = 'a']", "[url:value = 'a\\nb']"])
      expect(simpleEqualityLookup(t)).toBeNull()
  })
})

// ---- substring index ------------------------------------------------------------------------------

describe('SubstringIndex', () => {
  const small = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '.'), minLength: 0, maxLength: 7 })
  fcTest.prop([fc.array(small, { maxLength: 40 }), fc.array(fc.nat({ max: 39 }), { maxLength: 10 }), fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', '.', 'é'), maxLength: 30 }), { minLength: 1, maxLength: 10 })], { numRuns: 300 })(
    'finds exactly the stored literals a text contains',
    (literals, removals, texts) => {
      const index = new SubstringIndex()
      const stored = new Map<string, Set<number>>()
      literals.forEach((l, v) => {
        const ok = index.add(l, v)
        expect(ok).toBe(l.length > 0)
        if (ok) stored.set(l, (stored.get(l) ?? new Set()).add(v))
      })
      for (const r of removals) {
        const l = literals[r]
        if (l === undefined) continue
        expect(index.remove(l, r)).toBe(stored.get(l)?.has(r) === true)
        stored.get(l)?.delete(r)
      }
      for (const text of texts) {
        const got: string[] = []
        index.search(text, (v, l) => got.push(`${l}#${v}`))
        const expected: string[] = []
        for (const [l, vs] of stored) if (text.includes(l)) for (const v of vs) expected.push(`${l}#${v}`)
        expect(got.sort()).toEqual(expected.sort())
      }
    },
  )
})

// ---- LIKE patterns through the substring index = brute force -----------------------------------------

const likeLiteral = fc.string({ unit: fc.constantFrom('a', 'B', 'x', '/', '.', '%', '_', 'é', 'e\u0301', 'ph', 'p'), minLength: 1, maxLength: 8 })
const likeValue = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'B', 'x', '/', '.', 'é', 'e\u0301', 'ph', 'p', 'A'), maxLength: 16 }).map((s) => `http://Host.example/${s}`),
  fc.string({ unit: fc.constantFrom('a', 'B', 'x', '.', 'é', 'ph'), maxLength: 12 }),
)

const likeSeen = { substring: 0, matches: 0 }

describe('LIKE patterns in the substring index', () => {
  fcTest.prop([fc.array(fc.tuple(fc.constantFrom('url', 'domain-name', 'mutex'), fc.constantFrom('value', 'name'), likeLiteral), { minLength: 1, maxLength: 15 }), fc.array(fc.tuple(fc.constantFrom('url', 'domain-name', 'mutex'), likeValue), { minLength: 1, maxLength: 10 })], { numRuns: 300 })(
    'match exactly what a brute-force LIKE matcher finds',
    (patterns, random) => {
      const index = new ObservableIndex()
      const texts = patterns.map(([t, p, l]) => `[${t}:${p} LIKE ${quote(l)}]`)
      texts.forEach((pattern, i) => {
        const r = index.add({ id: id(i), pattern })
        expect(r.ok).toBe(true)
        if (r.ok && r.value.mode === 'substring') likeSeen.substring++
      })
      // Values made from the literals (so that many match), in other spellings: decomposed é, upper case.
      const derived = patterns.flatMap(([t, , l]) => {
        const v = l.replace(/%/g, 'x/').replace(/_/g, 'B')
        return [
          [t, t === 'url' ? `http://H.example/${v}` : v],
          [t, (t === 'url' ? `HTTP://H.EXAMPLE:80/${v}` : v.toUpperCase()).normalize('NFD')],
        ] as [string, string][]
      })
      for (const [type, value] of [...random, ...derived]) {
        const o = type === 'mutex' ? { type, name: value } : { type, value }
        const got = index.matchObjects([o], { now: NOW }).matches.map((m) => m.indicator).sort()
        // Brute force: LIKE on the property as given, or in canonical form with the canonical literal.
        const expected = patterns
          .map(([t, p, l], i) => ({ t, p, l, i }))
          .filter(({ t, p, l }) => {
            const v = (o as Record<string, unknown>)[p]
            if (t !== type || typeof v !== 'string') return false
            const budget = { remaining: 1e9 }
            const parsed = parsePattern(`[${t}:${p} LIKE ${quote(l)}]`)
            if (!parsed.ok) throw new Error(parsed.error.message)
            const canonicalLiteral = (() => {
              const e = patternForms(parsed.value).canonical.expression
              return e.kind === 'observation' && e.comparison.kind === 'comparison' && e.comparison.operator === 'LIKE' ? e.comparison.value.value : l
            })()
            return likeMatches(compileLike(l), v, budget) || likeMatches(compileLike(canonicalLiteral), canonicalValue(ruleFor(t, p), v), budget)
          })
          .map(({ i }) => id(i))
          .sort()
        expect(got).toEqual(expected)
        // And the matcher agrees (the index is the matcher, faster).
        const when = new Date(NOW).toISOString()
        const forms = prepareObservationForms([{ type: 'observed-data', first_observed: when, last_observed: when, number_observed: 1, objects: { 0: o } }])
        if (!forms.ok) throw new Error(forms.error.message)
        const byMatcher = texts
          .map((t, i) => ({ t, i }))
          .filter(({ t }) => {
            const p = parsePattern(t)
            if (!p.ok) throw new Error(p.error.message)
            const m = matchEitherForm(patternForms(p.value), forms.value)
            return m.ok && m.value.matched
          })
          .map(({ i }) => id(i))
          .sort()
        expect(got).toEqual(byMatcher)
        likeSeen.matches += got.length
      }
    },
  )

  it('exercised substring-filed patterns and their matches', () => {
    expect(likeSeen.substring).toBeGreaterThan(100)
    expect(likeSeen.matches).toBeGreaterThan(100)
  })

  it('files patterns with a literal run, and reports the observed value', () => {
    const index = new ObservableIndex()
    expect(index.add({ id: id(1), pattern: "[url:value LIKE '%/wp-admin/x.php%']" })).toMatchObject({ ok: true, value: { mode: 'substring' } })
    expect(index.add({ id: id(2), pattern: "[url:value LIKE '_']" })).toMatchObject({ ok: true, value: { mode: 'fallback' } })
    expect(index.add({ id: id(3), pattern: "[url:value LIKE '%/wp-admin/x.php%' AND url:value LIKE 'https:%']" })).toMatchObject({ ok: true, value: { mode: 'fallback' } })
    const r = index.matchObjects([{ type: 'url', value: 'http://evil.example/wp-admin/x.php?q=1' }], { now: NOW })
    expect(r.matches).toEqual([
      { indicator: id(1), via: 'index', values: [{ objectType: 'url', path: 'value', value: 'http://evil.example/wp-admin/x.php?q=1', indicators: 1 }], observations: [0] },
    ])
    expect(index.remove(id(1))).toBe(true)
    expect(index.matchObjects([{ type: 'url', value: 'http://evil.example/wp-admin/x.php' }], { now: NOW }).matches).toEqual([])
    expect(index.stats()).toMatchObject({ substring: 0, fallback: 2 })
  })

  it('keeps a bounded short list for runs without a 4-gram', () => {
    const s = new SubstringIndex(2)
    expect(s.add('ab', 1)).toBe(true)
    expect(s.add('ab', 2)).toBe(true)
    expect(s.accepts(['cd', 'ef'])).toBe(false)
    expect(s.accepts(['cd', 'ab', 'longer'])).toBe(true)
    expect(s.add('cd', 3)).toBe(true)
    expect(s.add('ef', 4)).toBe(false)
    expect(s.add('', 5)).toBe(false)
    const got: string[] = []
    s.search('xxabcd', (v, l) => got.push(`${l}#${v}`))
    expect(got.sort()).toEqual(['ab#1', 'ab#2', 'cd#3'])
    expect(s.remove('ab', 1)).toBe(true)
    expect(s.remove('ab', 2)).toBe(true)
    expect(s.add('ef', 4)).toBe(true)
  })
})

// ---- warninglists: check = match()[0] --------------------------------------------------------------

const wlValue = fc.oneof(
  fc.constantFrom('8.8.8.8', '10.1.2.3', '010.1.2.3', ' 8.8.4.4 ', '2001:4860:4860::8888', '1.1.1.1', '255.255.255.255', '0.0.0.0', '198.51.100.7', '224.0.0.1'),
  fc.constantFrom('google.com', 'WWW.Google.COM.', 'x.duckdns.org', 'duckdns.org', 'evil.example', 'bit.ly', 'a..bit.ly', '.com', 'com', 'mailinator.com', 'user@mailinator.com', 'x@evil.example'),
  fc.constantFrom('http://www.google.com/x', 'https://8.8.8.8/dns-query', 'http://[2001:4860:4860::8888]/', 'https://bit.ly/abc', 'ftp://evil.example/'),
  fc.constantFrom('d41d8cd98f00b204e9800998ecf8427e', 'D41D8CD98F00B204E9800998ECF8427E', '44d88612fea8a8f36de82e1278abb02f'),
  fc.string({ unit: fc.constantFrom('a', '.', '8', '1', '@', '/', ':'), maxLength: 14 }),
)

describe('warninglist fast path', () => {
  let lists: readonly Warninglist[] = []
  beforeAll(async () => {
    lists = (await loadWarninglists(join(SHARED_DATA, 'misp', 'warninglists'))).lists
    expect(lists.length).toBeGreaterThan(20)
  }, 60_000)

  it('gives the verdict of the simple match, cold and from its cache, on the shipped lists', () => {
    const m = new WarninglistMatcher(lists)
    fc.assert(
      fc.property(wlValue, fc.constantFrom(...VALUE_KINDS), (value: string, kind: ValueKind) => {
        const simple = m.match(value, kind)[0] ?? null
        expect(m.check(value, kind)).toEqual(simple)
        expect(m.check(value, kind)).toEqual(simple)
      }),
      { numRuns: 2000 },
    )
    // The sample hit lists of every kind it can.
    expect(m.check('8.8.8.8', 'ip')).not.toBeNull()
    expect(m.check('x.duckdns.org', 'domain')).not.toBeNull()
    expect(m.check('evil.example', 'domain')).toBeNull()
  }, 60_000)

  fcTest.prop(
    [
      fc.array(
        fc.record({
          type: fc.constantFrom('string', 'substring', 'hostname', 'cidr', 'regex'),
          list: fc.array(fc.oneof(fc.constantFrom('a.b', '.b', '*.a.b', 'A.B', '10.0.0.0/8', '10.1.2.3', '2001:db8::/32', '^a', 'b$', 'ab', '..b'), fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 4 })), { maxLength: 6 }),
          matching_attributes: fc.option(fc.subarray(['ip-src', 'domain', 'url', 'email-src', 'md5', 'filename', 'domain|ip']), { nil: undefined }),
        }),
        { maxLength: 6 },
      ),
      fc.array(fc.tuple(fc.oneof(fc.string({ unit: fc.constantFrom('a', 'b', '.', 'A'), maxLength: 8 }), fc.constantFrom('10.1.2.3', '10.1.2.3 ', '2001:db8::5', 'http://a.b/', 'x@a.b', 'http://10.0.0.1/')), fc.constantFrom(...VALUE_KINDS)), { minLength: 1, maxLength: 20 }),
    ],
    { numRuns: 200 },
  )('gives the verdict of the simple match on random lists', (specs, probes) => {
    const ls: Warninglist[] = specs.map((s, i) => ({ name: `l${i}`, description: '', version: 1, type: s.type, list: s.list, ...(s.matching_attributes ? { matching_attributes: s.matching_attributes } : {}) }))
    const m = new WarninglistMatcher(ls)
    for (const [value, kind] of probes) {
      const simple = m.match(value, kind)[0] ?? null
      expect(m.check(value, kind)).toEqual(simple)
      expect(m.check(value, kind)).toEqual(simple)
    }
  })
})

describe('warninglist substring lists', () => {
  fcTest.prop([fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '.', 'é', 'Z'), minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '.', 'é', 'z', 'Z'), maxLength: 12 }), { minLength: 1, maxLength: 10 })], { numRuns: 300 })(
    'find exactly the entries a brute-force search finds (Aho–Corasick)',
    (entries, values) => {
      // One list per entry, so that every hit shows (a list reports its first entry only).
      const m = new WarninglistMatcher(entries.map((e, i) => ({ name: `l${i}`, description: '', version: 1, type: 'substring', list: [e] })))
      for (const v of values) {
        const expected = entries.map((e, i) => ({ e, i })).filter(({ e }) => v.toLowerCase().includes(e.toLowerCase())).map(({ i }) => `l${i}`)
        expect(m.match(v, 'other').map((h) => h.list)).toEqual(expected)
        expect(m.check(v, 'other')?.list ?? null).toEqual(expected[0] ?? null)
      }
    },
  )
})
