/**
 * A Bloom filter over strings: "certainly not stored" in a hash and two bit reads, before a probe of
 * a large Map. At a million keys a Map probe with a fresh string (one not hashed before, as every
 * observed value is) costs several cache misses; most observed values are not indicators, so
 * skipping their probes roughly halves the cost of a query (bench/correlate.ts).
 *
 * Bits are never cleared (a removed key only leaves a false positive); `reset` starts over, empty
 * and sized for a number of keys, and the owner adds the keys still stored when the number of keys
 * outgrows the filter.
 */

/** FNV-1a over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h
}

const BITS_PER_KEY = 16
const MIN_BITS = 1 << 16

export class BloomFilter {
  private bits: Int32Array
  private mask: number
  /** Keys added since the last rebuild (removed ones included). */
  private added = 0

  constructor(expectedKeys = 0) {
    const size = BloomFilter.sizeFor(expectedKeys)
    this.bits = new Int32Array(size >>> 5)
    this.mask = size - 1
  }

  private static sizeFor(keys: number): number {
    let size = MIN_BITS
    while (size < keys * BITS_PER_KEY && size < 1 << 30) size *= 2
    return size
  }

  /** Whether the filter holds more keys than it was sized for (time to rebuild, bigger). */
  get full(): boolean {
    return this.added * BITS_PER_KEY > this.mask + 1
  }

  add(key: string): void {
    const h = fnv1a(key)
    const a = h & this.mask
    const b = (Math.imul(h, 0x9e3779b1) >>> 7) & this.mask
    this.bits[a >>> 5] = (this.bits[a >>> 5] as number) | (1 << (a & 31))
    this.bits[b >>> 5] = (this.bits[b >>> 5] as number) | (1 << (b & 31))
    this.added++
  }

  /** False when `key` was certainly never added; true when it may have been. */
  mayHave(key: string): boolean {
    const h = fnv1a(key)
    const a = h & this.mask
    if (((this.bits[a >>> 5] as number) & (1 << (a & 31))) === 0) return false
    const b = (Math.imul(h, 0x9e3779b1) >>> 7) & this.mask
    return ((this.bits[b >>> 5] as number) & (1 << (b & 31))) !== 0
  }

  /** Empties the filter, sized for `keys` keys. */
  reset(keys: number): void {
    const size = BloomFilter.sizeFor(keys)
    this.bits = new Int32Array(size >>> 5)
    this.mask = size - 1
    this.added = 0
  }
}
