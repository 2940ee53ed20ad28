/**
 * A multimap from strings to small integers (slots) that keeps no strings: each key is held as two
 * 32-bit hashes in an open-addressing table of typed arrays (linear probing, backward-shift
 * deletion). Filing a million observations' values in a `Map<string, …>` cost seconds, most of it
 * in the map's growth and in the garbage collector copying a few million small objects; here one
 * key costs 12 bytes of one typed array and no object.
 *
 * The price: two different keys whose two hashes both collide (about one pair in 2^64) share a
 * cell. So a lookup may return a slot filed under another key, and callers must treat the answer
 * as candidates to confirm (the correlation service evaluates every candidate's pattern, and
 * checks the record of an id it looks up); it never misses a slot filed under the key.
 *
 * A cell is one slot held inline, or a list (slots in filing order). `add` skips a slot that is
 * already the cell's last one, so filing a slot's keys in one go never files it twice under one key.
 */

/** 2^30 entries at most (12 GB of table: far beyond any use). */
const MAX_ENTRIES = 1 << 30

/** The table grows when more than this share of its entries are used. */
const MAX_LOAD = 0.6

/** Finalising mix (MurmurHash3's fmix32): every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** See the module comment. */
export class HashedCells {
  /** Three int32 per entry: hash 1, hash 2, cell (slot + 1 when > 0, -(list + 1) when < 0, 0 when empty). */
  private table: Int32Array
  private mask: number
  private used = 0
  private readonly lists: (number[] | undefined)[] = []
  private readonly freeLists: number[] = []
  // The hashes of the last key hashed (two numbers without allocating), and that key: a lookup
  // followed by an insertion of the same key hashes it once.
  private h1 = 0
  private h2 = 0
  private lastKey: string | null = null
  private lastPrefix = ''

  constructor(expectedKeys = 0) {
    let entries = 1024
    while (entries * MAX_LOAD < expectedKeys && entries < MAX_ENTRIES) entries *= 2
    this.table = new Int32Array(entries * 3)
    this.mask = entries - 1
  }

  /** Distinct keys held (keys whose hashes collide count once). */
  get size(): number {
    return this.used
  }

  /** Bytes of the table and the lists (an estimate of the lists), for memory reports. */
  get bytes(): number {
    let lists = 0
    for (const l of this.lists) if (l) lists += 16 + 8 * l.length
    return this.table.byteLength + lists
  }

  /**
   * Hashes `prefix`, a separator and `key` (as if concatenated, without building the string):
   * FNV-1a and a multiply-xorshift hash over UTF-16 code units, each finalised with fmix32.
   */
  private hash(prefix: string, key: string): void {
    if (key === this.lastKey && prefix === this.lastPrefix) return
    this.lastKey = key
    this.lastPrefix = prefix
    let a = 0x811c9dc5 | 0
    let b = 0x9747b28c ^ (prefix.length * 0x10001 + key.length)
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i)
      a = Math.imul(a ^ c, 16777619)
      b = Math.imul(b ^ c, 0x5bd1e995)
      b ^= b >>> 15
    }
    if (prefix.length > 0) {
      a = Math.imul(a ^ 0xffff, 16777619)
      b = Math.imul(b ^ 0xffff, 0x5bd1e995)
      b ^= b >>> 15
    }
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i)
      a = Math.imul(a ^ c, 16777619)
      b = Math.imul(b ^ c, 0x5bd1e995)
      b ^= b >>> 15
    }
    this.h1 = fmix(a)
    this.h2 = fmix(b)
  }

  /** The entry of the last key hashed, or -1. */
  private find(): number {
    const t = this.table
    const h1 = this.h1
    const h2 = this.h2
    for (let i = h1 & this.mask; ; i = (i + 1) & this.mask) {
      const at = i * 3
      if (t[at + 2] === 0) return -1
      if (t[at] === h1 && t[at + 1] === h2) return i
    }
  }

  /** Files `slot` (≥ 0) under `key` (in the namespace `prefix`), unless it is already the last slot there. */
  add(key: string, slot: number, prefix = ''): void {
    this.hash(prefix, key)
    const t = this.table
    const h1 = this.h1
    const h2 = this.h2
    let i = h1 & this.mask
    for (; ; i = (i + 1) & this.mask) {
      const at = i * 3
      const cell = t[at + 2] as number
      if (cell === 0) break
      if (t[at] !== h1 || t[at + 1] !== h2) continue
      if (cell > 0) {
        if (cell - 1 === slot) return
        const l = this.freeLists.pop() ?? this.lists.length
        this.lists[l] = [cell - 1, slot]
        t[at + 2] = -(l + 1)
      } else {
        const list = this.lists[-cell - 1] as number[]
        if (list[list.length - 1] !== slot) list.push(slot)
      }
      return
    }
    const at = i * 3
    t[at] = h1
    t[at + 1] = h2
    t[at + 2] = slot + 1
    if (++this.used > (this.mask + 1) * MAX_LOAD) this.grow()
  }

  /** Appends the slots filed under `key` (in the namespace `prefix`) to `out`, in filing order. */
  get(key: string, out: number[], prefix = ''): void {
    this.hash(prefix, key)
    const i = this.find()
    if (i < 0) return
    const cell = this.table[i * 3 + 2] as number
    if (cell > 0) out.push(cell - 1)
    else for (const s of this.lists[-cell - 1] as number[]) out.push(s)
  }

  /** Removes `slot` from the cell of `key` (in the namespace `prefix`); false when it was not there. */
  remove(key: string, slot: number, prefix = ''): boolean {
    this.hash(prefix, key)
    const i = this.find()
    if (i < 0) return false
    const at = i * 3
    const cell = this.table[at + 2] as number
    if (cell > 0) {
      if (cell - 1 !== slot) return false
      this.deleteEntry(i)
      return true
    }
    const l = -cell - 1
    const list = this.lists[l] as number[]
    const k = list.indexOf(slot)
    if (k < 0) return false
    list.splice(k, 1)
    if (list.length === 1) {
      this.table[at + 2] = (list[0] as number) + 1
      this.lists[l] = undefined
      this.freeLists.push(l)
    }
    return true
  }

  /**
   * Renumbers every slot through `renumber` (a slot `s` becomes `renumber[s]`; a negative value
   * drops it), keeping the filing order; keys left without a slot are dropped.
   */
  compact(renumber: Int32Array): void {
    const old = this.table
    const oldLists = this.lists.slice()
    this.table = new Int32Array(old.length)
    this.lists.length = 0
    this.freeLists.length = 0
    this.used = 0
    for (let at = 0; at < old.length; at += 3) {
      const cell = old[at + 2] as number
      if (cell === 0) continue
      const slots = cell > 0 ? [cell - 1] : (oldLists[-cell - 1] as number[])
      const kept: number[] = []
      for (const s of slots) {
        const n = renumber[s] ?? -1
        if (n >= 0) kept.push(n)
      }
      if (kept.length === 0) continue
      let value: number
      if (kept.length === 1) value = (kept[0] as number) + 1
      else {
        this.lists.push(kept)
        value = -this.lists.length
      }
      this.place(old[at] as number, old[at + 1] as number, value)
      this.used++
    }
  }

  /** Puts an entry into the first free place from its home (the key is known to be absent). */
  private place(h1: number, h2: number, cell: number): void {
    const t = this.table
    let i = h1 & this.mask
    while (t[i * 3 + 2] !== 0) i = (i + 1) & this.mask
    t[i * 3] = h1
    t[i * 3 + 1] = h2
    t[i * 3 + 2] = cell
  }

  private grow(): void {
    const entries = (this.mask + 1) * 2
    if (entries > MAX_ENTRIES) throw new RangeError('HashedCells: too many keys')
    const old = this.table
    this.table = new Int32Array(entries * 3)
    this.mask = entries - 1
    for (let at = 0; at < old.length; at += 3) if (old[at + 2] !== 0) this.place(old[at] as number, old[at + 1] as number, old[at + 2] as number)
  }

  /** Empties entry `i`, moving later entries of its cluster back (linear probing without tombstones). */
  private deleteEntry(i: number): void {
    const t = this.table
    const mask = this.mask
    let hole = i
    for (let j = (i + 1) & mask; t[j * 3 + 2] !== 0; j = (j + 1) & mask) {
      const home = (t[j * 3] as number) & mask
      // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j
      if (stays) continue
      t[hole * 3] = t[j * 3] as number
      t[hole * 3 + 1] = t[j * 3 + 1] as number
      t[hole * 3 + 2] = t[j * 3 + 2] as number
      hole = j
    }
    t[hole * 3] = 0
    t[hole * 3 + 1] = 0
    t[hole * 3 + 2] = 0
    this.used--
  }
}

/**
 * A map from ids to values on HashedCells: the id strings are kept (in a slot array) and every
 * lookup is checked against them, so it is exact. For a million ids it fills several times faster
 * than a `Map` (whose growth and per-entry objects dominate), and takes less memory.
 */
export class IdTable<V> {
  private readonly cells = new HashedCells()
  private readonly keys: (string | undefined)[] = []
  private readonly values: (V | undefined)[] = []
  private readonly free: number[] = []
  private readonly scratch: number[] = []
  private count = 0

  /** Ids held. */
  get size(): number {
    return this.count
  }

  private slotOf(id: string): number {
    const found = this.scratch
    found.length = 0
    this.cells.get(id, found)
    for (const s of found) if (this.keys[s] === id) return s
    return -1
  }

  get(id: string): V | undefined {
    const s = this.slotOf(id)
    return s < 0 ? undefined : this.values[s]
  }

  has(id: string): boolean {
    return this.slotOf(id) >= 0
  }

  set(id: string, value: V): this {
    const s = this.slotOf(id)
    if (s >= 0) {
      this.values[s] = value
      return this
    }
    const slot = this.free.pop() ?? this.keys.length
    this.keys[slot] = id
    this.values[slot] = value
    this.cells.add(id, slot)
    this.count++
    return this
  }

  delete(id: string): boolean {
    const s = this.slotOf(id)
    if (s < 0) return false
    this.cells.remove(id, s)
    this.keys[s] = undefined
    this.values[s] = undefined
    this.free.push(s)
    this.count--
    return true
  }
}
