import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { networkContains, parseIpOrCidr, type IpNetwork } from '../pattern/ip.js'
import { PrefixTrie } from './prefix-trie.js'

const net = (s: string): IpNetwork => {
  const n = parseIpOrCidr(s)
  if (!n) throw new Error(s)
  return n
}

describe('PrefixTrie', () => {
  it('finds every stored block containing an address or a block, in both families', () => {
    const t = new PrefixTrie()
    t.insert(net('10.0.0.0/8'), 1)
    t.insert(net('10.1.0.0/16'), 2)
    t.insert(net('10.1.2.3'), 3)
    t.insert(net('0.0.0.0/0'), 4)
    t.insert(net('2001:db8::/32'), 5)
    const sorted = (n: string) => t.containing(net(n)).sort()
    expect(sorted('10.1.2.3')).toEqual([1, 2, 3, 4])
    expect(sorted('10.1.9.9')).toEqual([1, 2, 4])
    expect(sorted('10.1.0.0/16')).toEqual([1, 2, 4])
    expect(sorted('10.0.0.0/7')).toEqual([4])
    expect(sorted('2001:db8::1')).toEqual([5])
    expect(sorted('2001:db9::1')).toEqual([])
    expect(t.remove(net('10.1.0.0/16'), 2)).toBe(true)
    expect(t.remove(net('10.1.0.0/16'), 2)).toBe(false)
    expect(t.remove(net('10.1.2.3'), 9)).toBe(false)
    expect(sorted('10.1.2.3')).toEqual([1, 3, 4])
    expect(t.stats().blocks).toBe(4)
  })

  const v4 = fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })).map(([b, p]) => net(`${b.join('.')}/${p}`))
  const v6 = fc.tuple(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), fc.integer({ min: 0, max: 128 })).map(([w, p]) => net(`${w.map((x) => x.toString(16)).join(':')}/${p}`))
  // Few distinct leading bits, so that containment happens often.
  const small4 = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 12 })).map(([a, b, p]) => net(`10.${a * 64}.${b}.0/${p + 8}`))

  fcTest.prop([fc.array(fc.oneof(v4, v6, small4), { maxLength: 40 }), fc.array(fc.oneof(v4, v6, small4), { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 10 })])(
    'agrees with a naive scan, also after removals',
    (stored, probes, removals) => {
      const t = new PrefixTrie()
      const live = stored.map((n, i) => ({ n, i, alive: true }))
      for (const s of live) t.insert(s.n, s.i)
      for (const r of removals) {
        const s = live[r % Math.max(live.length, 1)]
        if (s?.alive) {
          expect(t.remove(s.n, s.i)).toBe(true)
          s.alive = false
        }
      }
      for (const p of [...probes, ...stored]) {
        const naive = live.filter((s) => s.alive && networkContains(s.n, p)).map((s) => s.i).sort((a, b) => a - b)
        expect([...new Set(t.containing(p))].sort((a, b) => a - b)).toEqual(naive)
      }
    },
  )
})
