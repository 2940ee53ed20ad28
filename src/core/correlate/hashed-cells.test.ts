import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { HashedCells, IdTable } from './hashed-cells.js'

/** The model: a Map of key → slots in filing order (`add` skips a slot already last in its cell). */
class Model {
  readonly m = new Map<string, number[]>()
  add(k: string, s: number): void {
    const c = this.m.get(k) ?? []
    if (c[c.length - 1] !== s) c.push(s)
    this.m.set(k, c)
  }
  remove(k: string, s: number): boolean {
    const c = this.m.get(k)
    const i = c?.indexOf(s) ?? -1
    if (!c || i < 0) return false
    c.splice(i, 1)
    if (c.length === 0) this.m.delete(k)
    return true
  }
}

const get = (h: HashedCells, k: string, prefix = ''): number[] => {
  const out: number[] = []
  h.get(k, out, prefix)
  return out
}

describe('HashedCells', () => {
  it('files slots under keys in filing order, apart by namespace, and removes them', () => {
    const h = new HashedCells()
    h.add('a', 1)
    h.add('a', 1) // already last: not filed twice
    h.add('a', 2)
    h.add('b', 3)
    h.add('a', 1, 'c1') // another namespace
    h.add('c1', 4) // not the same as namespace c1 with an empty key, nor as 'c1' + separator
    expect(get(h, 'a')).toEqual([1, 2])
    expect(get(h, 'b')).toEqual([3])
    expect(get(h, 'a', 'c1')).toEqual([1])
    expect(get(h, '', 'c1')).toEqual([])
    expect(get(h, 'c1')).toEqual([4])
    expect(get(h, 'missing')).toEqual([])
    expect(h.size).toBe(4)
    expect(h.remove('a', 9)).toBe(false)
    expect(h.remove('a', 1)).toBe(true)
    expect(get(h, 'a')).toEqual([2])
    expect(h.remove('a', 2)).toBe(true)
    expect(get(h, 'a')).toEqual([])
    expect(h.size).toBe(3)
    expect(get(h, 'b')).toEqual([3])
  })

  it('keeps every key findable as it grows and after removals move entries back', () => {
    const h = new HashedCells()
    const n = 50_000
    for (let i = 0; i < n; i++) h.add(`key-${i}`, i)
    for (let i = 0; i < n; i += 2) expect(h.remove(`key-${i}`, i)).toBe(true)
    for (let i = 0; i < n; i++) expect(get(h, `key-${i}`)).toEqual(i % 2 === 0 ? [] : [i])
    expect(h.size).toBe(n / 2)
  })

  it('renumbers and drops slots when compacted', () => {
    const h = new HashedCells()
    h.add('a', 0)
    h.add('a', 1)
    h.add('a', 2)
    h.add('b', 1)
    h.add('c', 3)
    h.compact(Int32Array.from([-1, 0, 1, -1]))
    expect(get(h, 'a')).toEqual([0, 1])
    expect(get(h, 'b')).toEqual([0])
    expect(get(h, 'c')).toEqual([])
    expect(h.size).toBe(2)
  })

  // Few distinct keys and slots, so that cells with several slots, removals and re-adds are common.
  const op = fc.tuple(fc.constantFrom('add', 'add', 'remove'), fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\u0000'), maxLength: 3 }), fc.nat({ max: 6 }))
  fcTest.prop([fc.array(op, { maxLength: 300 })])('agrees with a Map of lists', (ops) => {
    const h = new HashedCells()
    const model = new Model()
    for (const [kind, k, s] of ops) {
      if (kind === 'add') {
        h.add(k, s)
        model.add(k, s)
      } else expect(h.remove(k, s)).toBe(model.remove(k, s))
    }
    for (const [k, slots] of model.m) expect(get(h, k)).toEqual(slots)
    expect(h.size).toBe(model.m.size)
  })
})

describe('IdTable', () => {
  fcTest.prop([fc.array(fc.tuple(fc.constantFrom('set', 'set', 'delete'), fc.string({ unit: fc.constantFrom('a', 'b', '\u0000'), maxLength: 3 }), fc.integer()), { maxLength: 200 })])(
    'agrees with a Map',
    (ops) => {
      const t = new IdTable<number>()
      const m = new Map<string, number>()
      for (const [kind, k, v] of ops) {
        if (kind === 'set') {
          t.set(k, v)
          m.set(k, v)
        } else expect(t.delete(k)).toBe(m.delete(k))
        expect(t.size).toBe(m.size)
      }
      for (const k of ['', 'a', 'b', 'ab', 'ba', 'aaa', '\u0000']) {
        expect(t.get(k)).toBe(m.get(k))
        expect(t.has(k)).toBe(m.has(k))
      }
    },
  )

  it('holds a large number of ids exactly', () => {
    const t = new IdTable<number>()
    for (let i = 0; i < 100_000; i++) t.set(`indicator--${i}`, i)
    for (let i = 0; i < 100_000; i += 3) t.delete(`indicator--${i}`)
    for (let i = 0; i < 100_000; i++) expect(t.get(`indicator--${i}`)).toBe(i % 3 === 0 ? undefined : i)
    expect(t.get('indicator--100000')).toBeUndefined()
  })
})
