import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WarninglistMatcher } from '../core/correlate/warninglists.js'
import { SHARED_DATA } from '../../test/data.js'
import { loadWarninglists } from './warninglists.js'

const DIR = join(SHARED_DATA, 'misp', 'warninglists')

describe('loadWarninglists', () => {
  it('loads every real MISP list in ../shared/data', async () => {
    const { lists, problems } = await loadWarninglists(DIR)
    expect(problems).toEqual([])
    expect(lists.length).toBe(26)
    expect(lists.map((l) => l.type).sort()).toContain('cidr')
    expect(lists.find((l) => l.name === 'List of RFC 1918 CIDR blocks')?.list).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])
  })

  it('suppresses known-benign values with the real lists, and builds them quickly', async () => {
    const { lists } = await loadWarninglists(DIR)
    const t = performance.now()
    const m = new WarninglistMatcher(lists)
    expect(performance.now() - t).toBeLessThan(5_000)
    const names = (value: string, kind: Parameters<WarninglistMatcher['match']>[1]) => m.match(value, kind).map((h) => h.list)
    expect(names('192.168.4.20', 'ip')).toEqual(['List of RFC 1918 CIDR blocks', 'List of RFC 5735 CIDR blocks'])
    expect(names('8.8.8.8', 'ip')).toContain('List of known IPv4 public DNS resolvers')
    expect(names('2001:db8::5', 'ip')).toContain('List of RFC 3849 CIDR blocks')
    expect(names('d41d8cd98f00b204e9800998ecf8427e', 'hash')).toContain('List of known hashes for empty files')
    expect(names('D41D8CD98F00B204E9800998ECF8427E', 'hash')).toContain('List of known hashes for empty files')
    expect(names('foo.duckdns.org', 'domain')).toContain('List of known dynamic DNS domains')
    expect(names('https://bit.ly/abc', 'url')).toContain('List of known URL Shorteners domains')
    expect(names('someone@mailinator.com', 'email')).toContain('List of disposable email domains')
    // Data-centre lists also cover real C2 hosts (a Maltrail address-and-port trail at OVH):
    // operators choose which lists to enable.
    expect(names('51.210.1.239', 'ip')).toEqual(['Specialized list of vpn-ipv4 addresses belonging to common VPN providers and datacenters'])
    expect(names('2a0b:7280:1:2::9', 'ip')).toEqual([])
    expect(names('vote-results-update.example', 'domain')).toEqual([])
    expect(m.stats()).toMatchObject({ lists: 26, skippedRegexes: 0 })
  })

  it('reports unusable lists and skips directories without one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-'))
    mkdirSync(join(dir, 'bad'))
    writeFileSync(join(dir, 'bad', 'list.json'), '{"name": "x"')
    mkdirSync(join(dir, 'wrong'))
    writeFileSync(join(dir, 'wrong', 'list.json'), JSON.stringify({ name: 'w', description: '', version: 1, type: 'glob', list: [] }))
    mkdirSync(join(dir, 'empty'))
    mkdirSync(join(dir, 'good'))
    writeFileSync(join(dir, 'good', 'list.json'), JSON.stringify({ name: 'g', description: 'd', version: 2, type: 'string', list: ['a'] }))
    const r = await loadWarninglists(dir)
    expect(r.lists.map((l) => l.name)).toEqual(['g'])
    expect(r.problems.map((p) => [p.path.endsWith(join('bad', 'list.json')), p.message.slice(0, 14)])).toEqual([
      [true, 'is not JSON: E'],
      [false, 'type must be o'],
    ])
  })
})
