/**
 * Matcher tests. Many cases are ported from the OASIS reference matcher's test suite
 * (oasis-open/cti-pattern-matcher, BSD-3-Clause): stix2matcher/test/v21/test_basic_ops.py,
 * test_observation_exprs.py and test_temporal_qualifiers.py, rewritten in STIX 2.1 syntax
 * (upper-case keywords, t'…' timestamps).
 */
import { describe, expect, it } from 'vitest'
import { PATTERN_LIMITS } from './limits.js'
import { matchPattern, prepareObservations, type MatchOptions, type MatchOutcome } from './matcher.js'
import { parsePattern } from './parser.js'

const outcome = (pattern: string, observations: readonly unknown[], options?: MatchOptions): MatchOutcome => {
  const p = parsePattern(pattern)
  if (!p.ok) throw new Error(`${pattern}: ${p.error.message}`)
  const r = matchPattern(p.value, observations, options)
  if (!r.ok) throw new Error(`${pattern}: ${r.error.message}`)
  return r.value
}
const matches = (pattern: string, observations: readonly unknown[], options?: MatchOptions): boolean => outcome(pattern, observations, options).matched

const od = (time: string, objects: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'observed-data',
  first_observed: time,
  last_observed: time,
  number_observed: 1,
  objects,
  ...extra,
})

// ---- basic operators (test_basic_ops.py, v21) --------------------------------------------------

const TEST_SCO = {
  type: 'test',
  id: 'test--9c61d8ff-21ca-489a-accd-7356c2ea0a7b',
  int: 5,
  float: 12.658,
  float_int: 12.0,
  bool: true,
  string: 'hello',
  ip: '11.22.33.44',
  cidr: '11.22.33.44/20',
}
const BASIC = [
  {
    type: 'observed-data',
    id: 'observed-data--647947aa-4cc3-43a3-a42f-2c670986d777',
    number_observed: 1,
    first_observed: '2014-04-19T06:51:26Z',
    last_observed: '2014-04-19T06:51:26Z',
    objects: {},
    object_refs: [TEST_SCO.id],
    spec_version: '2.1',
  },
]
const basic = (pattern: string): boolean => matches(pattern, BASIC, { scos: [TEST_SCO] })

describe('comparison operators (OASIS basic ops)', () => {
  it.each([
    '[test:int = 5]',
    '[test:int NOT != 5]',
    '[test:int > 3]',
    '[test:int NOT < 3]',
    '[test:int < 12]',
    '[test:int > 4.9]',
    '[test:int < 5.1]',
    '[test:int >= 5]',
    '[test:int NOT < 5]',
    '[test:int <= 5]',
    '[test:int != false]',
    '[test:int != true]',
    '[test:int NOT = true]',
    "[test:int != 'world']",
    "[test:int != h'010203']",
    "[test:int != b'AQIDBA==']",
    "[test:int != t'1965-07-19T22:41:38Z']",
    '[test:int IN (-4, 5, 6)]',
    '[test:int IN (-4, 5, 6.6)]',
    "[test:int NOT IN ('a', 'b', 'c')]",
    "[test:int NOT MATCHES 'l+']",
    "[test:int NOT LIKE 'he%']",
    '[test:float = 12.658]',
    '[test:float NOT != 12.658]',
    '[test:float > 3]',
    '[test:float > 12.65799]',
    '[test:float < 12.65801]',
    '[test:float >= 12.658]',
    '[test:float <= 12.658]',
    '[test:float != false]',
    "[test:float != 'world']",
    '[test:float IN (-4.21, 12.658, 964.321)]',
    '[test:float_int IN (11, 12, 13)]',
    '[test:float_int IN (11.1, 12, 13)]',
    '[test:bool != 1]',
    '[test:bool = true]',
    '[test:bool NOT != true]',
    '[test:bool != false]',
    '[test:bool NOT = false]',
    "[test:bool != 'world']",
    '[test:bool IN (false, true, false)]',
    "[test:bool NOT MATCHES 'l+']",
    '[test:string != 1]',
    '[test:string != true]',
    "[test:string = 'hello']",
    "[test:string NOT != 'hello']",
    "[test:string != 'world']",
    "[test:string NOT = 'world']",
    "[test:string > 'alice']",
    "[test:string < 'zelda']",
    "[test:string >= 'hello']",
    "[test:string <= 'hello']",
    "[test:string != h'010203']",
    "[test:string != b'AQIDBA==']",
    "[test:string LIKE 'he%']",
    "[test:string LIKE 'he__o']",
    "[test:string MATCHES 'l+']",
    "[test:string MATCHES '.lo$']",
    "[test:string IN ('goodbye', 'hello', 'world')]",
    '[test:string NOT IN (1, 2, 3)]',
    "[test:ip ISSUBSET '11.22.41.123/20']",
    "[test:ip NOT ISSUBSET '11.22.123.41/20']",
    "[test:cidr ISSUPERSET '11.22.41.123']",
    "[test:cidr ISSUPERSET '11.22.41.123/29']",
    "[test:cidr NOT ISSUPERSET '11.22.33.44/13']",
    "[test:cidr NOT ISSUPERSET '11.22.123.41/29']",
    "[test:int NOT ISSUPERSET '11.22.33.44']",
    "[test:int NOT ISSUBSET '11.22.33.44']",
    "[test:bool NOT ISSUBSET '11.22.33.44']",
    "[test:string NOT IN ()]",
    '[EXISTS test:int]',
  ])('matches %s', (p) => {
    expect(basic(p)).toBe(true)
  })

  it.each([
    '[test:int NOT = 5]',
    '[test:int NOT != 8]',
    '[test:int > 8]',
    '[test:int < 2]',
    '[test:int > 5.1]',
    '[test:int < 4.9]',
    '[test:int = false]',
    '[test:int = true]',
    "[test:int = 'world']",
    "[test:int = h'010203']",
    "[test:int > h'010203']",
    "[test:int = b'AQIDBA==']",
    "[test:int < b'AQIDBA==']",
    "[test:int = t'1965-07-19T22:41:38Z']",
    "[test:int > t'1965-07-19T22:41:38Z']",
    "[test:int LIKE 'he%']",
    "[test:int MATCHES 'l+']",
    '[test:int NOT IN (-4, 5, 6)]',
    '[test:int NOT IN (-4, 5, 6.6)]',
    "[test:int IN ('a', 'b', 'c')]",
    '[test:float NOT = 12.658]',
    '[test:float != 12.658]',
    '[test:float > 22]',
    '[test:float < 3]',
    "[test:float = 'world']",
    "[test:float NOT != 'world']",
    '[test:float NOT IN (-4.21, 12.658, 964.321)]',
    '[test:float_int NOT IN (11, 12, 13)]',
    '[test:bool = 1]',
    '[test:bool != true]',
    '[test:bool NOT = true]',
    '[test:bool = false]',
    "[test:bool LIKE 'he%']",
    '[test:bool NOT IN (false, true, false)]',
    '[test:string = 1]',
    "[test:string != 'hello']",
    "[test:string NOT = 'hello']",
    "[test:string = 'world']",
    "[test:string < 'alice']",
    "[test:string > 'zelda']",
    "[test:string <= 'alice']",
    "[test:string >= 'zelda']",
    "[test:string = h'010203']",
    "[test:string NOT LIKE 'he%']",
    "[test:string NOT LIKE 'he__o']",
    "[test:string NOT MATCHES 'l+']",
    "[test:string NOT MATCHES '.lo$']",
    "[test:string NOT IN ('goodbye', 'hello', 'world')]",
    '[test:string IN (1, 2, 3)]',
    "[test:ip NOT ISSUBSET '11.22.41.123/20']",
    "[test:ip ISSUBSET '11.22.123.41/20']",
    "[test:cidr NOT ISSUPERSET '11.22.41.123']",
    "[test:cidr ISSUPERSET '11.22.33.44/13']",
    "[test:int ISSUPERSET '11.22.33.44']",
    "[test:bool ISSUBSET '11.22.33.44']",
    '[test:string IN ()]',
    '[EXISTS test:missing]',
    "[test:missing NOT = 'x']",
    "[other:string = 'hello']",
  ])('does not match %s', (p) => {
    expect(basic(p)).toBe(false)
  })
})

describe('literal types and coercions', () => {
  const obs = [
    od('2020-01-01T00:00:00Z', {
      '0': {
        type: 'file',
        name: 'report.pdf',
        created: '2014-01-13T07:03:17.5Z',
        magic_number_hex: 'ffd8',
        hashes: { 'SHA-256': 'aec0', MD5: 'cead' },
        size: 371712,
      },
      '1': { type: 'artifact', payload_bin: 'AQIDBA==', mime_type: 'application/octet-stream' },
      '2': { type: 'ipv4-addr', value: '198.51.100.1' },
      '3': { type: 'ipv6-addr', value: '2001:0db8:0000:0000:0000:0000:0000:0001' },
      '4': { type: 'x-text', emoji: '😀', bmp: '\uffff', text: 'line one\nline two' },
    }),
  ]
  it.each([
    ["[file:created = t'2014-01-13T07:03:17.500Z']", true],
    ["[file:created > t'2014-01-13T07:03:17Z']", true],
    ["[file:created < t'2014-01-13T07:03:17.4999Z']", false],
    ["[file:created = '2014-01-13T07:03:17.500Z']", false], // a string literal compares as a string
    ["[file:magic_number_hex = h'ffd8']", true],
    ["[file:magic_number_hex = h'FFD8']", true],
    ["[file:magic_number_hex = b'/9g=']", true],
    ["[file:magic_number_hex = h'ffd9']", false],
    ["[file:magic_number_hex < h'ffd9']", true],
    ["[artifact:payload_bin = b'AQIDBA==']", true],
    ["[artifact:payload_bin = h'01020304']", true],
    ["[artifact:payload_bin = '\u0001\u0002\u0003\u0004']", true],
    ["[artifact:payload_bin MATCHES '^\\\\x01\\\\x02']", true],
    ["[artifact:payload_bin MATCHES '^\\\\x02']", false],
    ["[file:hashes.'SHA-256' = 'aec0']", true],
    ["[file:hashes.MD5 = 'CEAD']", false], // case-sensitive, as the spec and reference matcher
    ['[file:size = 371712.0]', true],
    ["[file:size = '371712']", false],
    ["[ipv4-addr:value = '198.51.100.1/32']", true], // IP values compare as networks
    ["[ipv4-addr:value = '198.51.100.0/24']", false],
    ["[ipv4-addr:value ISSUBSET '198.51.100.0/24']", true],
    ["[ipv6-addr:value = '2001:db8::1']", true],
    ["[ipv6-addr:value IN ('2001:db8::2', '2001:db8::1/128')]", true],
    ["[ipv6-addr:value ISSUBSET '2001:db8::/32']", true],
    ["[ipv6-addr:value ISSUBSET '2001:db9::/32']", false],
    ["[ipv4-addr:value ISSUBSET '2001:db8::/32']", false],
    ["[x-text:emoji > x-text:bmp]", 'parse-error'],
    ["[x-text:emoji > '\uffff']", true], // code point order, not UTF-16 order
    ["[x-text:text LIKE 'line%two']", true],
    ["[x-text:text LIKE 'line_one%']", true],
    ["[x-text:text LIKE 'line']", false],
    ["[x-text:text MATCHES '^line two$']", false],
    ["[x-text:text MATCHES '(?m)^line two$']", true],
    ["[x-text:emoji LIKE '_']", true],
  ] as const)('%s → %s', (pattern, expected) => {
    if (expected === 'parse-error') {
      expect(parsePattern(pattern).ok).toBe(false)
      return
    }
    expect(matches(pattern, obs)).toBe(expected)
  })

  it('treats a string that is not a timestamp as incomparable with a timestamp literal', () => {
    const o = [od('2020-01-01T00:00:00Z', { '0': { type: 'x', when: 'yesterday' } })]
    expect(matches("[x:when = t'2020-01-01T00:00:00Z']", o)).toBe(false)
    expect(matches("[x:when != t'2020-01-01T00:00:00Z']", o)).toBe(true)
    expect(matches("[x:when > t'2020-01-01T00:00:00Z']", o)).toBe(false)
  })
})

describe('object paths', () => {
  const email = od('2020-01-01T00:00:00Z', {
    '0': { type: 'email-message', from_ref: '1', to_refs: ['2', '3', 'missing'], body_multipart: [{ body_raw_ref: '4' }, { body: 'hi' }], subject: 'Conference Info' },
    '1': { type: 'email-addr', value: 'jdoe@example.com' },
    '2': { type: 'email-addr', value: 'a@example.org' },
    '3': { type: 'email-addr', value: 'b@example.org' },
    '4': { type: 'file', name: 'Final Report 2024.exe' },
    '5': { type: 'network-traffic', src_ref: '6', protocols: ['ipv4', 'tcp'], extensions: { 'http-request-ext': { request_header: { 'User-Agent': 'curl' } } } },
    '6': { type: 'ipv4-addr', value: '203.0.113.33' },
  })
  it.each([
    ["[email-message:from_ref.value = 'jdoe@example.com']", true],
    ["[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", true],
    ["[email-message:to_refs[*].value = 'b@example.org']", true],
    ["[email-message:to_refs[1].value = 'b@example.org']", true],
    ["[email-message:to_refs[0].value = 'b@example.org']", false],
    ["[email-message:to_refs[-1].value = 'b@example.org']", false],
    ["[email-message:to_refs[*].value NOT = 'a@example.org']", true], // some element differs
    ["[email-message:to_refs.value = 'b@example.org']", false], // a list needs [*] or [n]
    ["[email-message:body_multipart[1].body = 'hi']", true],
    ["[network-traffic:src_ref.value = '203.0.113.33']", true],
    ["[network-traffic:src_ref.value = '203.0.113.33/32']", true],
    ["[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value ISSUBSET '203.0.113.0/24']", true],
    ["[network-traffic:protocols[*] = 'tcp']", true],
    ["[network-traffic:protocols[*] = 'udp']", false],
    ["[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl']", true],
    ["[EXISTS network-traffic:extensions.'http-request-ext']", true],
    ["[EXISTS network-traffic:extensions.'socket-ext']", false],
    ["[email-message:subject = 'Conference Info' AND email-message:sender_ref.value = 'jdoe@example.com']", false],
  ] as const)('%s → %s', (pattern, expected) => {
    expect(matches(pattern, [email])).toBe(expected)
  })

  it('dereferences only within the observation', () => {
    const a = od('2020-01-01T00:00:00Z', { '0': { type: 'network-traffic', dst_ref: '1' } })
    const b = od('2020-01-01T00:00:00Z', { '1': { type: 'ipv4-addr', value: '198.51.100.1' } })
    expect(matches("[network-traffic:dst_ref.value = '198.51.100.1']", [a, b])).toBe(false)
  })

  it('requires AND-ed comparisons to hold for the same root object', () => {
    const two = od('2020-01-01T00:00:00Z', { '0': { type: 'file', name: 'a.exe', size: 1 }, '1': { type: 'file', name: 'b.exe', size: 2 } })
    expect(matches("[file:name = 'a.exe' AND file:size = 1]", [two])).toBe(true)
    expect(matches("[file:name = 'a.exe' AND file:size = 2]", [two])).toBe(false)
    expect(matches("[file:name = 'a.exe' OR file:size = 2]", [two])).toBe(true)
    expect(matches("[(file:name = 'a.exe' OR file:name = 'b.exe') AND file:size = 2]", [two])).toBe(true)
  })

  it('resolves 2.1 object_refs and their references through the SCOs given', () => {
    const scos = new Map<string, unknown>([
      ['network-traffic--1', { type: 'network-traffic', id: 'network-traffic--1', dst_ref: 'ipv4-addr--2' }],
      ['ipv4-addr--2', { type: 'ipv4-addr', id: 'ipv4-addr--2', value: '198.51.100.7' }],
    ])
    const o = { ...od('2020-01-01T00:00:00Z', {}), objects: undefined, object_refs: ['network-traffic--1', 'ipv4-addr--2', 'domain-name--unknown'] }
    expect(matches("[network-traffic:dst_ref.value = '198.51.100.7']", [o], { scos })).toBe(true)
    expect(matches("[ipv4-addr:value = '198.51.100.7']", [o], { scos })).toBe(true)
    // Without the SCOs nothing resolves.
    expect(matches("[ipv4-addr:value = '198.51.100.7']", [o])).toBe(false)
    // A referenced object outside object_refs is not part of the observation.
    const partial = { ...o, object_refs: ['network-traffic--1'] }
    expect(matches("[network-traffic:dst_ref.value = '198.51.100.7']", [partial], { scos })).toBe(false)
  })
})

// ---- observation operators (test_observation_exprs.py) ----------------------------------------

const PEOPLE = [
  od('2004-10-11T21:44:58Z', { a0: { type: 'person', name: 'alice', age: 10 } }, { id: 'observed-data--a' }),
  od('2008-05-09T01:21:58.6Z', { b0: { type: 'person', name: 'bob', age: 17 } }, { id: 'observed-data--b' }),
  od('2006-11-03T07:42:18.96Z', { c0: { type: 'person', name: 'carol', age: 22 } }, { id: 'observed-data--c' }),
]

describe('observation operators (OASIS observation expressions)', () => {
  it.each([
    "[person:name='alice'] AND [person:age>20]",
    "[person:name='alice'] OR [person:name='carol']",
    "[person:name='alice'] OR [person:name='zelda']",
    "[person:age>10] OR [person:name='bob'] OR [person:name>'amber']",
    "[person:name='alice'] FOLLOWEDBY [person:name>'bill']",
    "[person:age > 20] OR ([person:name > 'zelda'] FOLLOWEDBY [person:age < 0])",
    "[person:age > 20] OR [person:name > 'zelda'] AND [person:age < 0]",
    "([person:name='carol'] FOLLOWEDBY [person:name < 'elizabeth']) AND [person:age < 15]",
  ])('matches %s', (p) => {
    expect(matches(p, PEOPLE)).toBe(true)
  })

  it.each([
    "[person:name='alice'] AND [person:name='zelda']",
    "[person:name='alice'] AND [person:age=10]",
    "[person:name='alice'] FOLLOWEDBY [person:age=10]",
    "[person:name='mary'] OR [person:name='zelda']",
    "[person:age > 70] OR [person:name > 'zelda'] AND [person:name MATCHES '^...?$']",
    "[person:name='bob'] FOLLOWEDBY [person:age<15]",
    "[person:age > 20] OR [person:name > 'zelda'] FOLLOWEDBY [person:age < 0]",
    "([person:age > 20] OR [person:name > 'zelda']) AND [person:age < 0]",
    "[person:name='carol'] FOLLOWEDBY [person:name < 'elizabeth'] AND [person:age < 15]",
  ])('does not match %s', (p) => {
    expect(matches(p, PEOPLE)).toBe(false)
  })

  it('returns the binding: which observation went to which expression', () => {
    const r = outcome("[person:name='carol'] FOLLOWEDBY [person:name = 'bob']", PEOPLE)
    expect(r).toEqual({
      matched: true,
      bindings: [
        { expression: 0, observation: 2, id: 'observed-data--c' },
        { expression: 1, observation: 1, id: 'observed-data--b' },
      ],
      observations: [1, 2],
    })
    expect(outcome("[person:name='zelda']", PEOPLE)).toEqual({ matched: false, bindings: [], observations: [] })
  })

  it('matches prepared observations the same way', () => {
    const prepared = prepareObservations(PEOPLE)
    if (!prepared.ok) throw new Error('prepare')
    expect(prepared.value.count).toBe(3)
    for (const s of ["[person:name='alice'] AND [person:age>20]", "[person:name='bob'] FOLLOWEDBY [person:age<15]"]) {
      const p = parsePattern(s)
      if (!p.ok) throw new Error(s)
      expect(matchPattern(p.value, prepared.value)).toEqual(matchPattern(p.value, PEOPLE))
    }
    expect(prepareObservations([{ type: 'observed-data' }]).ok).toBe(false)
  })

  it('counts number_observed as that many observations', () => {
    const twice = [{ ...od('2020-01-01T00:00:00Z', { '0': { type: 'x', v: 1 } }), number_observed: 2 }]
    expect(matches('[x:v = 1] AND [x:v = 1]', twice)).toBe(true)
    expect(matches('[x:v = 1] REPEATS 2 TIMES', twice)).toBe(true)
    expect(matches('[x:v = 1] REPEATS 3 TIMES', twice)).toBe(false)
    const once = [od('2020-01-01T00:00:00Z', { '0': { type: 'x', v: 1 } })]
    expect(matches('[x:v = 1] AND [x:v = 1]', once)).toBe(false)
    const r = outcome('[x:v = 1] REPEATS 2 TIMES', twice)
    expect(r.bindings).toEqual([
      { expression: 0, observation: 0 },
      { expression: 0, observation: 0 },
    ])
    expect(r.observations).toEqual([0])
  })
})

// ---- qualifiers (test_temporal_qualifiers.py) ---------------------------------------------------

const TIMED = [
  od('1994-11-29T13:37:52Z', { '0': { type: 'person', name: 'alice' } }),
  od('1994-11-29T13:37:57Z', { '0': { type: 'person', name: 'bob' } }),
  od('1994-11-29T13:38:02Z', { '0': { type: 'person', name: 'carol' } }),
]

describe('qualifiers (OASIS temporal qualifiers)', () => {
  it.each([
    "[person:name = 'bob'] WITHIN 1 SECONDS",
    "[person:name = 'bob'] WITHIN .0001 SECONDS",
    "[person:name = 'alice'] AND [person:name < 'carol'] WITHIN 1 SECONDS",
    "([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 5 SECONDS",
    "([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 6 SECONDS",
    "([person:name = 'alice'] OR [person:name = 'darlene']) WITHIN 1 SECONDS",
    "[person:name = 'bob'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'",
    "[person:name LIKE 'a%'] AND [person:name = 'bob'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'",
    "([person:name LIKE 'a%'] AND [person:name = 'bob']) START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
    "[person:name = 'alice'] OR [person:name = 'darlene'] START t'1994-11-29T13:37:57Z' STOP t'1994-11-29T13:37:58Z'",
    "([person:name = 'alice'] OR [person:name = 'darlene']) START t'1994-11-29T13:37:52Z' STOP t'1994-11-29T13:37:58Z'",
    "[person:name MATCHES ''] REPEATS 2 TIMES START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
    "[person:name MATCHES ''] REPEATS 3 TIMES WITHIN 10 SECONDS",
    "[person:name = 'alice'] FOLLOWEDBY [person:name = 'carol'] WITHIN 1 SECONDS",
  ])('matches %s', (p) => {
    expect(matches(p, TIMED)).toBe(true)
  })

  it.each([
    "([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 4 SECONDS",
    "([person:name = 'alice'] AND [person:name < 'carol']) WITHIN 4.9999 SECONDS",
    "[person:name = 'elizabeth'] WITHIN 10 SECONDS",
    "([person:name < 'alice'] OR [person:name = 'darlene']) WITHIN 10 SECONDS",
    "[person:name = 'bob'] START t'1994-11-29T13:37:58Z' STOP t'1994-11-29T13:37:59Z'",
    "[person:name = 'bob'] START t'1994-11-29T13:37:56Z' STOP t'1994-11-29T13:37:57Z'", // touching STOP is outside
    "([person:name LIKE 'a%'] AND [person:name = 'bob']) START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:57Z'",
    "([person:name LIKE 'z%'] OR [person:name = 'darlene']) START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:57Z'",
    "[person:name MATCHES ''] REPEATS 3 TIMES START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:58Z'",
    "[person:name NOT LIKE 'foo'] START t'1994-11-29T13:37:50Z' STOP t'1994-11-29T13:37:57Z' REPEATS 3 TIMES",
    "[person:name MATCHES ''] REPEATS 3 TIMES WITHIN 9.9 SECONDS",
    "([person:name = 'alice'] FOLLOWEDBY [person:name = 'carol']) WITHIN 9 SECONDS",
    "[person:name = 'carol'] FOLLOWEDBY [person:name = 'alice']",
  ])('does not match %s', (p) => {
    expect(matches(p, TIMED)).toBe(false)
  })

  it('uses the observation intervals, not points', () => {
    const long = { ...od('2020-01-01T00:00:00Z', { '0': { type: 'x', n: 1 } }), last_observed: '2020-01-01T01:00:00Z' }
    const later = od('2020-01-01T00:30:00Z', { '0': { type: 'x', n: 2 } })
    // The first interval spans the second's time: either order is possible.
    expect(matches('[x:n = 2] FOLLOWEDBY [x:n = 1]', [long, later])).toBe(true)
    expect(matches('[x:n = 1] FOLLOWEDBY [x:n = 2]', [long, later])).toBe(true)
    expect(matches('([x:n = 1] AND [x:n = 2]) WITHIN 1 SECONDS', [long, later])).toBe(true)
    expect(matches("[x:n = 1] START t'2020-01-01T00:59:59Z' STOP t'2020-01-01T02:00:00Z'", [long, later])).toBe(true)
  })

  it('finds the REPEATS cluster of the spec example among many spread-out observations', () => {
    const obs: Record<string, unknown>[] = []
    const base = Date.UTC(2020, 0, 1)
    for (let i = 0; i < 500; i++) {
      obs.push(od(new Date(base + i * 3_600_000).toISOString(), { '0': { type: 'network-traffic', dst_ref: '1' }, '1': { type: 'domain-name', value: 'example.com' } }))
    }
    const pattern = "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS"
    expect(matches(pattern, obs)).toBe(false)
    // Five within half an hour, late in the list.
    for (let k = 0; k < 5; k++) obs.push(od(new Date(base + 400 * 3_600_000 + 1_801_000 + k * 60_000).toISOString(), { '0': { type: 'network-traffic', dst_ref: '1' }, '1': { type: 'domain-name', value: 'example.com' } }))
    const r = outcome(pattern, obs)
    expect(r.matched).toBe(true)
    expect(r.observations).toEqual([500, 501, 502, 503, 504])
  })
})

describe('input checks and limits', () => {
  const p = (s: string) => {
    const r = parsePattern(s)
    if (!r.ok) throw new Error(r.error.message)
    return r.value
  }

  it.each([
    [[null], '/0', 'is not an object'],
    [[{ ...od('2020-01-01T00:00:00Z', {}), type: 'indicator' }], '/0/type', 'observed-data'],
    [[{ ...od('2020-01-01T00:00:00Z', {}), first_observed: 'x' }], '/0/first_observed', 'STIX timestamp'],
    [[{ ...od('2020-01-01T00:00:00Z', {}), last_observed: '2019-01-01T00:00:00Z' }], '/0/last_observed', 'earlier than first_observed'],
    [[od('2020-01-01T00:00:00Z', {}), { ...od('2020-01-01T00:00:00Z', {}), number_observed: 0 }], '/1/number_observed', 'at least 1'],
  ] as const)('rejects invalid observed-data %#', (input, pointer, message) => {
    const r = matchPattern(p('[x:y = 1]'), input)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('observation_invalid')
      expect(r.error.pointer).toBe(pointer)
      expect(r.error.message).toContain(message)
    }
  })

  it('gives up with match_limit instead of stalling', () => {
    const obs = Array.from({ length: 60 }, (_, i) => od(new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString(), { '0': { type: 'x', v: i } }))
    // Twelve distinct observations with v < 11 are needed and only eleven exist: proving it means
    // trying the arrangements of eleven observations, far more than the budget allows.
    const hard = p(Array.from({ length: 12 }, () => '[x:v < 11]').join(' AND '))
    const r = matchPattern(hard, obs, { maxSteps: 10_000 })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('match_limit')
    // An expression nothing satisfies settles the question without a search.
    const doomed = matchPattern(p('[x:v >= 0] AND [x:v >= 0] AND [x:v >= 0] AND [x:v = 1000]'), obs, { maxSteps: 10_000 })
    expect(doomed.ok && doomed.value.matched).toBe(false)
    const small = matchPattern(p('[x:v = 59]'), obs, { maxSteps: 10_000 })
    expect(small.ok && small.value.matched).toBe(true)
  })

  it('handles the largest bindings without exhausting the stack', () => {
    const obs = [{ ...od('2020-01-01T00:00:00Z', { '0': { type: 'x', v: 1 } }), number_observed: 5000 }]
    const r = matchPattern(p(`[x:v = 1] REPEATS ${PATTERN_LIMITS.maxBindingSize} TIMES`), obs)
    expect(r.ok && r.value.matched).toBe(true)
    const chain = p(Array.from({ length: PATTERN_LIMITS.maxObservationExpressions }, () => '[x:v = 1]').join(' AND '))
    const r2 = matchPattern(chain, obs)
    expect(r2.ok && r2.value.bindings.length).toBe(PATTERN_LIMITS.maxObservationExpressions)
  })

  it('bounds MATCHES work on long values', () => {
    const obs = [od('2020-01-01T00:00:00Z', { '0': { type: 'x', s: 'a'.repeat(30_000) + 'b' } })]
    const t0 = performance.now()
    expect(matches("[x:s MATCHES '(a+)+b$']", obs)).toBe(true)
    expect(matches("[x:s MATCHES '(a+)+$']", obs)).toBe(false)
    expect(matches("[x:s MATCHES '^(a+)+$']", obs)).toBe(false)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
