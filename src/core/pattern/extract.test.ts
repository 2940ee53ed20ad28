import { describe, expect, it } from 'vitest'
import { extractLookups, type PatternLookups } from './extract.js'
import { parsePattern } from './parser.js'

const lookups = (s: string): PatternLookups => {
  const r = parsePattern(s)
  if (!r.ok) throw new Error(r.error.message)
  return extractLookups(r.value)
}

describe('extractLookups', () => {
  it('gives exact lookups for = and IN on indexable paths, with IPs normalised', () => {
    expect(lookups("[ipv4-addr:value = '198.51.100.1/32' OR ipv6-addr:value IN ('2001:0DB8:0:0:0:0:0:1', '2001:db8::/32')]")).toEqual({
      observations: [
        {
          expression: 0,
          lookups: [
            { objectType: 'ipv4-addr', path: 'value', match: 'exact', values: ['198.51.100.1'] },
            { objectType: 'ipv6-addr', path: 'value', match: 'exact', values: ['2001:db8::1', '2001:db8::/32'] },
          ],
        },
      ],
      needsFullEvaluation: false,
    })
  })

  it('covers hashes, accounts, AS numbers and the other indexable paths', () => {
    const r = lookups(
      "[file:hashes.'SHA-256' = 'aec0'] OR [user-account:user_id = '1007'] OR [autonomous-system:number = 64496] OR [domain-name:value = 'vote-update.example'] OR [url:value = 'http://x.example/'] OR [email-addr:value = 'a@b.example']",
    )
    expect(r.needsFullEvaluation).toBe(false)
    expect(r.observations.map((o) => o.lookups?.[0])).toEqual([
      { objectType: 'file', path: "hashes.'SHA-256'", match: 'exact', values: ['aec0'] },
      { objectType: 'user-account', path: 'user_id', match: 'exact', values: ['1007'] },
      { objectType: 'autonomous-system', path: 'number', match: 'exact', values: [64496] },
      { objectType: 'domain-name', path: 'value', match: 'exact', values: ['vote-update.example'] },
      { objectType: 'url', path: 'value', match: 'exact', values: ['http://x.example/'] },
      { objectType: 'email-addr', path: 'value', match: 'exact', values: ['a@b.example'] },
    ])
  })

  it('uses either side of an AND as a cover, but then needs full evaluation', () => {
    const r = lookups("[file:hashes.MD5 = 'cead' AND file:mime_type = 'application/x-pdf']")
    expect(r.observations[0]?.lookups).toEqual([{ objectType: 'file', path: 'hashes.MD5', match: 'exact', values: ['cead'] }])
    expect(r.needsFullEvaluation).toBe(true)
    expect(lookups("[file:mime_type = 'x' AND domain-name:value = 'a.example']").observations[0]?.lookups?.[0]?.objectType).toBe('domain-name')
  })

  it('has no cover when one side of an OR cannot be looked up', () => {
    const r = lookups("[domain-name:value = 'a.example' OR url:value LIKE 'http://%']")
    expect(r.observations[0]?.lookups).toBeNull()
    expect(r.needsFullEvaluation).toBe(true)
  })

  it.each([
    "[domain-name:value != 'a.example']",
    "[domain-name:value NOT = 'a.example']",
    "[domain-name:value MATCHES '^a']",
    "[process:name = 'x']",
    "[network-traffic:dst_ref.value = '198.51.100.1']",
    '[EXISTS domain-name:value]',
    "[email-message:to_refs[0].value = 'a@b.example']",
  ])('has no cover for %s', (s) => {
    const r = lookups(s)
    expect(r.observations[0]?.lookups).toBeNull()
    expect(r.needsFullEvaluation).toBe(true)
  })

  it('gives subnet lookups for ISSUBSET on IP values', () => {
    const r = lookups("[ipv4-addr:value ISSUBSET '10.1.2.3/8']")
    expect(r.observations[0]?.lookups).toEqual([{ objectType: 'ipv4-addr', path: 'value', match: 'subnet', values: ['10.0.0.0/8'] }])
    expect(r.needsFullEvaluation).toBe(true)
  })

  it('needs full evaluation for qualifiers, AND and FOLLOWEDBY between observations', () => {
    expect(lookups("[domain-name:value = 'a.example'] WITHIN 5 SECONDS").needsFullEvaluation).toBe(true)
    expect(lookups("[domain-name:value = 'a.example'] AND [url:value = 'b']").needsFullEvaluation).toBe(true)
    expect(lookups("[domain-name:value = 'a.example'] FOLLOWEDBY [url:value = 'b']").needsFullEvaluation).toBe(true)
    const or = lookups("[domain-name:value = 'a.example'] OR ([url:value = 'b'] OR [url:value = 'c'])")
    expect(or.needsFullEvaluation).toBe(false)
    expect(or.observations.map((o) => o.expression)).toEqual([0, 1, 2])
  })
})
