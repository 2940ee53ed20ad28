import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { parsePattern } from '../pattern/parser.js'
import { printPattern } from '../pattern/printer.js'
import { canonicalHashAlgorithm, canonicaliseObject, canonicalisePattern, canonicalUrl, canonicalValue, ruleByShape, type CanonicalRule } from './normalise.js'

describe('canonical values', () => {
  it('normalises each kind as documented', () => {
    expect(canonicalValue('ip', '2001:0DB8:0:0:0:0:0:1/128')).toBe('2001:db8::1')
    expect(canonicalValue('ip', '010.1.1.1')).toBe('10.1.1.1')
    expect(canonicalValue('domain', 'Vote.Example..')).toBe('vote.example')
    expect(canonicalUrl('HTTPS://User@Results.Example.:443')).toBe('https://User@results.example/')
    expect(canonicalUrl('http://a.example:8080/P?Q#F')).toBe('http://a.example:8080/P?Q#F')
    expect(canonicalUrl('HTTP://[2001:DB8::1]:80/x')).toBe('http://[2001:db8::1]/x')
    expect(canonicalUrl('not a url')).toBe('not a url')
    expect(canonicalValue('email', 'Press.Office@Ministry.EXAMPLE')).toBe('Press.Office@ministry.example')
    expect(canonicalValue('mac', 'AA-BB-CC-DD-EE-FF')).toBe('aa:bb:cc:dd:ee:ff')
    expect(canonicalValue('hash', 'ABCDEF', 'SHA-256')).toBe('abcdef')
    expect(canonicalValue('hash', '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C', 'SSDEEP')).toBe('3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C')
    expect(canonicalValue('domain', 64496)).toBe(64496)
    expect(['sha256', 'SHA256', 'Sha-256', 'sha_256'].map(canonicalHashAlgorithm)).toEqual(['SHA-256', 'SHA-256', 'SHA-256', 'SHA-256'])
    expect(canonicalHashAlgorithm('sha3-512')).toBe('SHA3-512')
    expect(canonicalHashAlgorithm('whirlpool')).toBe('WHIRLPOOL')
    expect(['198.51.100.0/24', 'http://x', 'a@b', 'aa:bb:cc:dd:ee:ff', 'evil.example', 'plain'].map(ruleByShape)).toEqual(['ip', 'url', 'email', 'mac', 'domain', 'exact'])
  })

  fcTest.prop([fc.constantFrom<CanonicalRule>('ip', 'domain', 'url', 'email', 'mac', 'fold', 'exact'), fc.oneof(fc.string(), fc.webUrl(), fc.domain(), fc.emailAddress(), fc.ipV4(), fc.ipV6())])('is idempotent', (rule, s) => {
    const once = canonicalValue(rule, s)
    expect(canonicalValue(rule, once)).toBe(once)
  })
})

describe('canonicalisePattern and canonicaliseObject', () => {
  const canon = (s: string) => {
    const p = parsePattern(s)
    if (!p.ok) throw new Error(p.error.message)
    return printPattern(canonicalisePattern(p.value))
  }
  it('rewrites literals on canonical properties and leaves the rest alone', () => {
    expect(canon("[domain-name:value = 'EVIL.example.' AND domain-name:value LIKE 'EVIL%' AND domain-name:value MATCHES '^EVIL']")).toBe(
      "[domain-name:value = 'evil.example' AND domain-name:value LIKE 'evil%' AND domain-name:value MATCHES '(?i)^EVIL']",
    )
    expect(canon("[file:hashes.sha256 IN ('AA', 'bb') AND file:name = 'A.EXE']")).toBe("[file:hashes.'SHA-256' IN ('aa', 'bb') AND file:name = 'A.EXE']")
    expect(canon("[network-traffic:dst_ref.value = 'C2.Example' AND network-traffic:dst_port = 443]")).toBe("[network-traffic:dst_ref.value = 'c2.example' AND network-traffic:dst_port = 443]")
    const p = parsePattern("[file:name = 'x']")
    if (p.ok) expect(canonicalisePattern(p.value)).toBe(p.value)
  })
  it('canonicalises observed objects without touching the input', () => {
    const f = { type: 'file', name: 'A.EXE', hashes: { md5: 'ABCD', 'SHA-256': 'ef' } }
    expect(canonicaliseObject(f)).toEqual({ type: 'file', name: 'A.EXE', hashes: { MD5: 'abcd', 'SHA-256': 'ef' } })
    expect(f.hashes.md5).toBe('ABCD')
    const d = { type: 'domain-name', value: 'a.example' }
    expect(canonicaliseObject(d)).toBe(d)
  })
})
