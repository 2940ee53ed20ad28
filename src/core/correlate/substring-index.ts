/**
 * A substring index: which stored literals occur in a text, found without scanning every literal.
 * Used by the observable index for `LIKE '%…%'` patterns (Maltrail's URL-path trails): a pattern is
 * filed under one literal run it requires, and a probed value is a candidate for it only when that
 * run occurs in the value; candidates are then confirmed with the LIKE matcher.
 *
 * An n-gram index (n = 4 UTF-16 code units): each literal is filed under one of its 4-grams (the
 * one whose bucket is emptiest when it is added, so common ones such as `.php` do not collect
 * everything). A search hashes every 4-gram of the text (a rolling window, no allocation), and for
 * each non-empty bucket checks its literals with `startsWith` at the offset the 4-gram implies.
 * Work per search: one table read per text position plus the literals filed under 4-grams the
 * text has, each checked in time linear in its length. Hash collisions only cost a `startsWith`.
 * (Trigrams were tried: the Maltrail URL paths have only about 24,500 distinct ones, and a search
 * checked three times more entries.)
 *
 * Literals shorter than `MIN_LITERAL` (but not empty) have no 4-gram: they are kept in a short
 * list checked with `includes` on every search, at most `maxShort` of them (then `add` refuses
 * more, returning false). The empty literal is always refused.
 */

/** Shortest literal the index takes. */
export const MIN_LITERAL = 4

const BITS = 20
const MASK = (1 << BITS) - 1

/** A 4-gram's bucket: the four code units mixed (murmur3's finaliser), so that the low bits depend on all of them. */
function gramHash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35) ^ Math.imul(d, 0x27d4eb2f)
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  return h & MASK
}

/** One distinct literal: its trigram offset and the values filed under it. */
interface Entry {
  readonly literal: string
  readonly offset: number
  readonly bucket: number
  /** Values (e.g. indicator slots), one or several. */
  values: number | number[]
  /** The last search that reported it (each entry is reported once per search). */
  seen: number
}

export class SubstringIndex {
  /** Literals without a 4-gram, checked on every search. */
  private readonly short: Entry[] = []

  constructor(private readonly maxShort = 10_000) {}

  /** Entries per bucket (only non-empty buckets are in the map); `load` mirrors their sizes. */
  private readonly buckets = new Map<number, Entry[]>()
  private load: Uint16Array | null = null
  private readonly byLiteral = new Map<string, Entry>()
  private epoch = 0

  /** Distinct literals stored. */
  get size(): number {
    return this.byLiteral.size
  }

  /** Files `value` under `literal`. False (nothing stored) for the empty literal, or a short one when the short list is full. */
  add(literal: string, value: number): boolean {
    if (literal.length === 0) return false
    const known = this.byLiteral.get(literal)
    if (known) {
      if (typeof known.values === 'number') {
        if (known.values !== value) known.values = [known.values, value]
      } else if (!known.values.includes(value)) known.values.push(value)
      return true
    }
    if (literal.length < MIN_LITERAL) {
      if (this.short.length >= this.maxShort) return false
      const entry: Entry = { literal, offset: 0, bucket: -1, values: value, seen: 0 }
      this.short.push(entry)
      this.byLiteral.set(literal, entry)
      return true
    }
    const load = (this.load ??= new Uint16Array(MASK + 1))
    let best = 0
    let bestLoad = Infinity
    for (let i = 0; i + MIN_LITERAL <= literal.length; i++) {
      const h = gramHash(literal.charCodeAt(i), literal.charCodeAt(i + 1), literal.charCodeAt(i + 2), literal.charCodeAt(i + 3))
      const l = load[h] as number
      if (l < bestLoad) {
        bestLoad = l
        best = i
        if (l === 0) break
      }
    }
    const bucket = gramHash(literal.charCodeAt(best), literal.charCodeAt(best + 1), literal.charCodeAt(best + 2), literal.charCodeAt(best + 3))
    const entry: Entry = { literal, offset: best, bucket, values: value, seen: 0 }
    const list = this.buckets.get(bucket)
    if (list) list.push(entry)
    else this.buckets.set(bucket, [entry])
    if ((load[bucket] as number) < 0xffff) load[bucket] = (load[bucket] as number) + 1
    this.byLiteral.set(literal, entry)
    return true
  }

  /** Removes `value` from `literal`. Returns whether it was there. */
  remove(literal: string, value: number): boolean {
    const e = this.byLiteral.get(literal)
    if (!e) return false
    if (typeof e.values === 'number') {
      if (e.values !== value) return false
    } else {
      const i = e.values.indexOf(value)
      if (i < 0) return false
      e.values.splice(i, 1)
      if (e.values.length === 1) e.values = e.values[0] as number
      return true
    }
    this.byLiteral.delete(literal)
    if (e.bucket < 0) {
      this.short.splice(this.short.indexOf(e), 1)
      return true
    }
    const list = this.buckets.get(e.bucket) as Entry[]
    list.splice(list.indexOf(e), 1)
    if (list.length === 0) this.buckets.delete(e.bucket)
    const load = this.load as Uint16Array
    if ((load[e.bucket] as number) > 0) load[e.bucket] = (load[e.bucket] as number) - 1
    return true
  }

  /** Whether `add` would store all these literals (none empty; new short ones only while there is room). */
  accepts(literals: readonly string[]): boolean {
    let newShort = 0
    for (const l of literals) {
      if (l.length === 0) return false
      if (l.length < MIN_LITERAL && !this.byLiteral.has(l)) newShort++
    }
    return this.short.length + newShort <= this.maxShort
  }

  /** How many values share `literal` (0 when it is not stored). */
  count(literal: string): number {
    const e = this.byLiteral.get(literal)
    return e === undefined ? 0 : typeof e.values === 'number' ? 1 : e.values.length
  }

  /**
   * Calls `visit(value, literal)` for every value filed under a literal that occurs in `text`, once
   * per value and literal.
   */
  search(text: string, visit: (value: number, literal: string) => void): void {
    if (this.byLiteral.size === 0) return
    const epoch = ++this.epoch
    for (let k = 0; k < this.short.length; k++) {
      const e = this.short[k] as Entry
      if (!text.includes(e.literal)) continue
      e.seen = epoch
      if (typeof e.values === 'number') visit(e.values, e.literal)
      else for (const v of e.values) visit(v, e.literal)
    }
    const load = this.load
    if (load === null || text.length < MIN_LITERAL) return
    let a = text.charCodeAt(0)
    let b = text.charCodeAt(1)
    let c = text.charCodeAt(2)
    for (let i = 3; i < text.length; i++) {
      const d = text.charCodeAt(i)
      const h = gramHash(a, b, c, d)
      a = b
      b = c
      c = d
      if (load[h] === 0) continue
      const list = this.buckets.get(h)
      if (list === undefined) continue
      const at = i - 3
      for (let k = 0; k < list.length; k++) {
        const e = list[k] as Entry
        const start = at - e.offset
        if (start < 0 || e.seen === epoch || !text.startsWith(e.literal, start)) continue
        e.seen = epoch
        if (typeof e.values === 'number') visit(e.values, e.literal)
        else for (const v of e.values) visit(v, e.literal)
      }
    }
  }
}
