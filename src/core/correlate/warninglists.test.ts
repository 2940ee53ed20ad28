import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { kindOf, kindsForAttribute, parseWarninglist, WarninglistMatcher, type Warninglist } from './warninglists.js'

const list = (over: Partial<Warninglist> & Pick<Warninglist, 'type' | 'list'>): Warninglist => ({ name: `${over.type} list`, description: 'test', version: 1, ...over })

describe('parseWarninglist', () => {
  it('accepts the MISP format and rejects what does not fit it', () => {
    expect(parseWarninglist({ name: 'n', description: 'd', version: 3, type: 'cidr', list: ['10.0.0.0/8'], matching_attributes: ['ip-src'] }).ok).toBe(true)
    expect(parseWarninglist([])).toEqual({ ok: false, error: 'is not a JSON object' })
    expect(parseWarninglist({ name: 'n', description: 'd', version: 1.5, type: 'cidr', list: [] })).toMatchObject({ ok: false, error: 'version must be an integer' })
    expect(parseWarninglist({ name: 'n', description: 'd', version: 1, type: 'glob', list: [] })).toMatchObject({ ok: false })
    expect(parseWarninglist({ name: 'n', description: 'd', version: 1, type: 'string', list: [1] })).toMatchObject({ ok: false, error: 'list must be an array of strings' })
  })
})

describe('kinds', () => {
  it('maps MISP attribute types and STIX properties to value kinds', () => {
    expect(kindsForAttribute('domain|ip')).toEqual(['domain', 'ip'])
    expect(kindsForAttribute('filename|sha256')).toEqual(['hash'])
    expect(kindsForAttribute('ip-dst|port')).toEqual(['ip'])
    expect(kindsForAttribute('whois-registrant-email')).toEqual(['email'])
    expect(kindsForAttribute('mutex')).toEqual([])
    expect(kindOf('ipv6-addr', 'value')).toBe('ip')
    expect(kindOf('file', "hashes.'SHA-256'")).toBe('hash')
    expect(kindOf('url', 'value')).toBe('url')
    expect(kindOf('mutex', 'name')).toBe('other')
  })
})

describe('WarninglistMatcher', () => {
  const m = new WarninglistMatcher([
    list({ type: 'string', list: ['AAA', 'd41d8cd98f00b204e9800998ecf8427e'], matching_attributes: ['hostname', 'domain', 'md5'] }),
    list({ type: 'hostname', list: ['.duckdns.org', 'bit.ly', '*.example.net'], matching_attributes: ['domain', 'url', 'email-src'] }),
    list({ type: 'cidr', list: ['10.0.0.0/8', '2001:DB8::/32', '8.8.8.8', 'not-a-cidr'], matching_attributes: ['ip-src', 'domain|ip'] }),
    list({ type: 'substring', list: ['mailinator.', 'tempmail'], matching_attributes: ['email-src'] }),
    list({ type: 'regex', list: ['^[a-z]+\\.invalid$', '(a+)+$', '(?<=x)y'], matching_attributes: ['filename'] }),
  ])
  const names = (v: string, k: Parameters<WarninglistMatcher['match']>[1]) => m.match(v, k).map((h) => `${h.list}:${h.entry}`)

  it('string lists compare case-insensitively, for the kinds they apply to', () => {
    expect(names('aaa', 'domain')).toEqual(['string list:AAA'])
    expect(names('D41D8CD98F00B204E9800998ECF8427E', 'hash')).toEqual(['string list:d41d8cd98f00b204e9800998ecf8427e'])
    expect(names('aaa', 'email')).toEqual([])
  })

  it('hostname lists match the host and its subdomains, also inside URLs and e-mail addresses', () => {
    expect(names('duckdns.org', 'domain')).toEqual(['hostname list:.duckdns.org'])
    expect(names('A.B.DuckDNS.org.', 'domain')).toEqual(['hostname list:.duckdns.org'])
    expect(names('notduckdns.org', 'domain')).toEqual([])
    expect(names('https://user@bit.ly:443/x?y', 'url')).toEqual(['hostname list:bit.ly'])
    expect(names('x@mx.example.net', 'email')).toEqual(['hostname list:*.example.net'])
    expect(names('bit.ly', 'ip')).toEqual([])
  })

  it('cidr lists match addresses and blocks inside their entries; bad entries are counted', () => {
    expect(names('10.20.30.40', 'ip')).toEqual(['cidr list:10.0.0.0/8'])
    expect(names('10.20.0.0/16', 'ip')).toEqual(['cidr list:10.0.0.0/8'])
    expect(names('8.8.8.8', 'ip')).toEqual(['cidr list:8.8.8.8'])
    expect(names('8.8.4.4', 'ip')).toEqual([])
    expect(names('2001:db8:ffff::1', 'ip')).toEqual(['cidr list:2001:DB8::/32'])
    expect(names('10.1.1.1', 'domain')).toEqual(['cidr list:10.0.0.0/8']) // domain|ip
    expect(m.stats().ignored).toBe(2) // 'not-a-cidr' and the lookbehind regex
  })

  it('substring lists find entries anywhere in the value', () => {
    expect(names('Someone@MAILINATOR.com', 'email')).toEqual(['substring list:mailinator.'])
    expect(names('x@my-tempmail-box.example', 'email')).toEqual(['substring list:tempmail'])
    expect(names('x@example.org', 'email')).toEqual([])
  })

  it('regex lists run in the linear-time engine (a ReDoS entry returns quickly) or are skipped', () => {
    expect(names('abc.invalid', 'filename')).toEqual(['regex list:^[a-z]+\\.invalid$'])
    expect(names('abc.invalid', 'domain')).toEqual([])
    expect(names('xaaa', 'filename')).toEqual(['regex list:(a+)+$'])
    // The classic catastrophic-backtracking input answers at once.
    let t = performance.now()
    expect(names(`${'a'.repeat(2_000)}b`, 'filename')).toEqual([])
    expect(performance.now() - t).toBeLessThan(1_000)
    // Beyond the step budget the answer is "not suppressed" (fail open: an alert is not hidden).
    t = performance.now()
    expect(names(`${'a'.repeat(100_000)}b`, 'filename')).toEqual([])
    expect(performance.now() - t).toBeLessThan(1_000)
    const skipped = new WarninglistMatcher([list({ type: 'regex', list: ['x', 'y'] })], { regexes: 'skip' })
    expect(skipped.match('x', 'other')).toEqual([])
    expect(skipped.stats()).toEqual({ lists: 1, entries: 2, ignored: 0, skippedRegexes: 2 })
  })

  const word = fc.stringMatching(/^[a-c.@]{1,6}$/)
  fcTest.prop([fc.array(word, { minLength: 1, maxLength: 12 }), fc.array(fc.stringMatching(/^[a-cA-C.@]{0,14}$/), { maxLength: 20 })])('substring matching agrees with a naive scan', (entries, values) => {
    const mm = new WarninglistMatcher([list({ type: 'substring', list: entries })])
    for (const v of values) {
      const naive = entries.some((e) => v.toLowerCase().includes(e.toLowerCase()))
      expect(mm.match(v, 'other').length > 0).toBe(naive)
    }
  })
})
