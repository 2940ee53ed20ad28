import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { networkContains, parseIpOrCidr } from '../../core/pattern/ip.js'
import { parsePattern } from '../../core/pattern/parser.js'
import { ObservableIndex } from '../../core/correlate/observable-index.js'
import { ObservationValues, observedValues, patternProbes, type ObservationRecord } from './observations.js'

const rec = (id: string, collectionId = 'c1'): ObservationRecord => ({ id, kind: 'sco', type: 'x', collectionId, objectSeq: 0, reporterOrg: 'o', dateAdded: '2026-11-01T00:00:00.000000Z' })
const probesOf = (pattern: string) => {
  const p = parsePattern(pattern)
  if (!p.ok) throw new Error(pattern)
  return patternProbes(p.value)
}
const ids = (r: readonly ObservationRecord[] | null) => r?.map((x) => `${x.collectionId}/${x.id}`) ?? null

describe('ObservationValues', () => {
  it('finds an observation that matches only in canonical form, whatever the spelling on either side', () => {
    const v = new ObservationValues()
    v.put(rec('a'), [{ type: 'domain-name', value: 'X Y' }])
    // 'x y.' is no domain name by its shape (a space), but under domain-name:value it is compared as one.
    expect(ids(v.candidates(probesOf("[domain-name:value = 'x y.']"), 10))).toEqual(['c1/a'])
  })

  it('finds observations by a value in any of its forms, in filing order, and forgets replaced and removed ones', () => {
    const v = new ObservationValues()
    v.put(rec('a'), [{ type: 'domain-name', value: 'EVIL.example.' }])
    v.put(rec('b'), [{ type: 'url', value: 'HTTP://Evil.example:80' }])
    v.put(rec('c'), [{ type: 'domain-name', value: 'evil.example' }])
    v.put(rec('a', 'c2'), [{ type: 'domain-name', value: 'evil.example' }]) // the same id in another collection
    v.put(rec('d'), [{ type: 'file', name: 'x.exe', hashes: { sha256: 'AB12' } }])
    expect(v.size).toBe(5)
    expect(ids(v.candidates(probesOf("[domain-name:value = 'evil.example']"), 10))).toEqual(['c1/a', 'c1/c', 'c2/a'])
    expect(ids(v.candidates(probesOf("[url:value = 'http://evil.example/']"), 10))).toEqual(['c1/b'])
    expect(ids(v.candidates(probesOf("[file:hashes.'SHA-256' = 'ab12']"), 10))).toEqual(['c1/d'])
    // A new version replaces the old one's values.
    v.put(rec('a'), [{ type: 'domain-name', value: 'other.example' }])
    expect(v.size).toBe(5)
    expect(ids(v.candidates(probesOf("[domain-name:value = 'evil.example']"), 10))).toEqual(['c1/c', 'c2/a'])
    expect(ids(v.candidates(probesOf("[domain-name:value = 'other.example']"), 10))).toEqual(['c1/a'])
    v.remove({ collectionId: 'c2', id: 'a' })
    v.remove({ collectionId: 'c2', id: 'missing' })
    expect(v.size).toBe(4)
    expect(ids(v.candidates(probesOf("[domain-name:value = 'evil.example']"), 10))).toEqual(['c1/c'])
    // Without a usable probe: every observation, or null beyond maxScan.
    expect(ids(v.candidates(probesOf("[domain-name:value LIKE '%evil%']"), 10))).toEqual(['c1/b', 'c1/c', 'c1/d', 'c1/a'])
    expect(v.candidates(probesOf("[domain-name:value LIKE '%evil%']"), 3)).toBeNull()
  })

  it('finds addresses inside the blocks of a pattern, in every spelling', () => {
    const v = new ObservationValues()
    v.put(rec('plain'), [{ type: 'ipv4-addr', value: '198.51.100.7' }])
    v.put(rec('zeros'), [{ type: 'ipv4-addr', value: '198.051.100.8' }])
    v.put(rec('block'), [{ type: 'ipv4-addr', value: '198.51.100.0/28' }])
    v.put(rec('v6'), [{ type: 'ipv6-addr', value: '2001:DB8::1' }])
    v.put(rec('outside'), [{ type: 'ipv4-addr', value: '203.0.113.1' }])
    v.put(rec('twice'), [
      { type: 'ipv4-addr', value: '198.51.100.9' },
      { type: 'ipv4-addr', value: '198.51.100.9' },
    ])
    expect(ids(v.candidates(probesOf("[ipv4-addr:value ISSUBSET '198.51.100.0/24']"), 0))).toEqual(['c1/plain', 'c1/twice', 'c1/zeros', 'c1/block'])
    expect(ids(v.candidates(probesOf("[ipv6-addr:value ISSUBSET '2001:db8::/32']"), 0))).toEqual(['c1/v6'])
    v.remove({ collectionId: 'c1', id: 'plain' })
    expect(ids(v.candidates(probesOf("[ipv4-addr:value = '198.51.100.0/24']"), 0))).toEqual(['c1/twice', 'c1/zeros', 'c1/block'])
  })

  it('compacts after many removals without losing or reordering what is left', () => {
    const v = new ObservationValues()
    const n = 5_000
    for (let i = 0; i < n; i++) v.put(rec(`o${i}`), [{ type: 'domain-name', value: `d${i % 10}.example` }, { type: 'ipv4-addr', value: `10.0.${i >> 8}.${i & 255}` }])
    for (let i = 0; i < n; i++) if (i % 4 !== 0) v.remove({ collectionId: 'c1', id: `o${i}` })
    expect(v.size).toBe(n / 4)
    const left = (d: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 4 === 0 && i % 10 === d).map((i) => `c1/o${i}`)
    expect(ids(v.candidates(probesOf("[domain-name:value = 'd2.example']"), 0))).toEqual(left(2))
    expect(ids(v.candidates(probesOf("[domain-name:value = 'd3.example']"), 0))).toEqual(left(3))
    expect(ids(v.candidates(probesOf("[ipv4-addr:value ISSUBSET '10.0.0.0/24']"), 0))).toEqual(Array.from({ length: 64 }, (_, i) => `c1/o${i * 4}`))
    // Slots are handed out after the compaction as before it.
    v.put(rec('new'), [{ type: 'domain-name', value: 'd2.example' }])
    expect(ids(v.candidates(probesOf("[domain-name:value = 'd2.example']"), 0))).toEqual([...left(2), 'c1/new'])
  })

  // A differential test against a plain model: the observations whose keys meet the probes'.
  const valueArb = fc.constantFrom('EVIL.example.', 'evil.example', 'Evil.Example', '198.51.100.7', '198.51.100.07', '10.1.2.3', '2001:DB8::1', 'http://A.example:80', 'a@B.example', 'AA-BB-CC-DD-EE-FF', 'x')
  const scoArb = fc.oneof(
    fc.tuple(fc.constantFrom('domain-name', 'ipv4-addr', 'ipv6-addr', 'url', 'email-addr', 'mac-addr', 'user-account'), valueArb).map(([type, value]) => ({ type, value })),
    valueArb.map((h) => ({ type: 'file', hashes: { 'SHA-256': h } })),
  )
  const opArb = fc.tuple(fc.constantFrom('put', 'put', 'remove'), fc.nat({ max: 8 }), fc.constantFrom('c1', 'c2'), fc.array(scoArb, { maxLength: 3 }))
  const patternArb = fc.oneof(
    fc.tuple(fc.constantFrom('domain-name', 'ipv4-addr', 'url', 'network-traffic:dst_ref'), valueArb).map(([t, v]) => `[${t.includes(':') ? t : `${t}:`}${t.includes(':') ? '.' : ''}value = '${v}']`),
    fc.constantFrom("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "[ipv6-addr:value ISSUBSET '2001:db8::/32']", "[url:value LIKE '%a%']"),
  )
  fcTest.prop([fc.array(opArb, { maxLength: 60 }), fc.array(patternArb, { minLength: 1, maxLength: 5 })])('agrees with a scan of the live observations', (ops, patterns) => {
    const v = new ObservationValues()
    const live = new Map<string, { rec: ObservationRecord; scos: unknown[] }>()
    for (const [kind, n, c, scos] of ops) {
      const r = rec(`o${n}`, c)
      if (kind === 'put') {
        v.put(r, scos)
        live.set(`${c}/o${n}`, { rec: r, scos })
      } else {
        v.remove(r)
        live.delete(`${c}/o${n}`)
      }
    }
    expect(v.size).toBe(live.size)
    for (const pattern of patterns) {
      const probes = probesOf(pattern)
      const nets = probes.networks.map((n) => parseIpOrCidr(n)).filter((n) => n !== null)
      const expected = [...live]
        .filter(([, o]) =>
          probes.unbounded ||
          o.scos.some((s) => {
            const { keys, ips } = observedValues(s)
            return keys.some((k) => probes.keys.includes(k)) || ips.some((ip) => nets.some((n) => { const a = parseIpOrCidr(ip); return a !== null && networkContains(n, a) }))
          }),
        )
        .map(([k]) => k)
        .sort()
      expect(ids(v.candidates(probes, 1000))?.sort()).toEqual(expected)
    }
  })
})

describe('ObservationValues and patternProbes', () => {
  // Values in several spellings, and patterns on them through every kind of path the probes handle.
  const spellings = ['EVIL.example.', 'evil.example', 'Evil.Example', 'evil.example..', '198.51.100.7', '198.51.100.7/32', '198.051.100.7', '2001:DB8::1', '2001:db8:0:0:0:0:0:1', 'http://A.example:80', 'HTTP://a.example/', 'a@B.Example.', 'A@b.example', 'AA-BB-CC-DD-EE-FF', 'aa:bb:cc:dd:ee:ff', 'HKLM\\Run', 'hklm\\run', 'AB12', 'ab12', 'x y.', 'X Y']
  const valueArb = fc.constantFrom(...spellings)
  const typeArb = fc.constantFrom('domain-name', 'ipv4-addr', 'ipv6-addr', 'url', 'email-addr', 'mac-addr', 'x-custom')
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  const comparisonArb = fc.oneof(
    fc.tuple(typeArb, valueArb).map(([t, v]) => `${t}:value = ${q(v)}`),
    fc.tuple(typeArb, valueArb, valueArb).map(([t, a, b]) => `${t}:value IN (${q(a)}, ${q(b)})`),
    valueArb.map((v) => `network-traffic:dst_ref.value = ${q(v)}`),
    valueArb.map((v) => `windows-registry-key:key = ${q(v)}`),
    valueArb.map((v) => `x509-certificate:serial_number = ${q(v)}`),
    valueArb.map((v) => `file:name = ${q(v)}`),
    fc.tuple(fc.constantFrom("'SHA-256'", 'sha256', 'MD5', 'SSDEEP'), valueArb).map(([alg, v]) => `file:hashes.${alg} = ${q(v)}`),
  )
  const patternArb = fc.oneof(
    comparisonArb.map((c) => `[${c}]`),
    fc.tuple(comparisonArb, comparisonArb).map(([a, b]) => `[${a} OR ${b}]`),
    fc.tuple(comparisonArb, comparisonArb).map(([a, b]) => `[${a} AND ${b}]`),
  )
  // Every observation of one SCO, and of network traffic to an address or a name, in every spelling.
  const types = ['domain-name', 'ipv4-addr', 'ipv6-addr', 'url', 'email-addr', 'mac-addr', 'x-custom']
  const all: unknown[][] = []
  for (const value of spellings) {
    for (const type of types) {
      all.push([{ type, value }])
      all.push([
        { type: 'network-traffic', id: 'network-traffic--1', dst_ref: `${type}--9` },
        { type, id: `${type}--9`, value },
      ])
    }
    all.push([{ type: 'windows-registry-key', key: value }], [{ type: 'x509-certificate', serial_number: value }])
    for (const alg of ['SHA-256', 'sha256', 'MD5', 'SSDEEP']) all.push([{ type: 'file', name: value, hashes: { [alg]: value } }])
  }
  const stored = new ObservationValues()
  all.forEach((scos, i) => stored.put(rec(`o${i}`), scos))

  fcTest.prop([patternArb], { numRuns: 1000 })('every stored observation a pattern matches is among its candidates', (pattern) => {
    const parsed = parsePattern(pattern)
    if (!parsed.ok) throw new Error(pattern)
    const index = new ObservableIndex()
    expect(index.add({ id: 'indicator--00000000-0000-4000-8000-000000000001', pattern: parsed.value }).ok).toBe(true)
    const found = new Set(ids(stored.candidates(patternProbes(parsed.value), 100_000)))
    all.forEach((scos, i) => {
      const objects = (scos as { type: string }[]).map((s, k) => ({ id: `${s.type}--${k}`, ...s }))
      if (index.matchObjects(objects, { now: 0, partial: false }).matches.length > 0) expect(found.has(`c1/o${i}`), `${pattern} matches ${JSON.stringify(scos)}`).toBe(true)
    })
  })
})
