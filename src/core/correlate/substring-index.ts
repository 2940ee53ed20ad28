/**
 * A substring index: which stored literals occur in a text, found without scanning every literal.
 * Used by the observable index for `LIKE '%…%'` patterns (Maltrail's URL-path trails): a pattern is
 * filed under one literal run it requires, and a probed value is a candidate for it only when that
 * run occurs in the value; candidates are then confirmed with the LIKE matcher.
 *
 * An n-gram index (n = 3 UTF-16 code units): each literal is filed under one of its trigrams (the
 * one whose bucket is emptiest when it is added, so common trigrams such as `php` do not collect
 * everything). A search hashes every trigram of the text (a rolling window, no allocation), and for
 * each non-empty bucket checks its literals with `startsWith` at the offset the trigram implies.
 * Work per search: one table read per text position plus the literals filed under trigrams the
 * text has, each checked in time linear in its length. Hash collisions only cost a `startsWith`.
 *
 * Literals shorter than `MIN_LITERAL` are refused (`add` returns false): they would match too much
 * to be worth indexing.
 */

/** Shortest literal the index takes. */
export const MIN_LITERAL = 3

const BITS = 20
const MASK = (1 << BITS) - 1

function gramHash(a: number, b: number, c: number): number {
  return (Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) ^ c) & MASK
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
  /** Entries per bucket (only non-empty buckets are in the map); `load` mirrors their sizes. */
  private readonly buckets = new Map<number, Entry[]>()
  private load: Uint16Array | null = null
  private readonly byLiteral = new Map<string, Entry>()
  private epoch = 0

  /** Distinct literals stored. */
  get size(): number {
    return this.byLiteral.size
  }

  /** Files `value` under `literal`. False (nothing stored) when the literal is shorter than MIN_LITERAL. */
  add(literal: string, value: number): boolean {
    if (literal.length < MIN_LITERAL) return false
    const known = this.byLiteral.get(literal)
    if (known) {
      if (typeof known.values === 'number') {
        if (known.values !== value) known.values = [known.values, value]
      } else if (!known.values.includes(value)) known.values.push(value)
      return true
    }
    const load = (this.load ??= new Uint16Array(MASK + 1))
    let best = 0
    let bestLoad = Infinity
    for (let i = 0; i + MIN_LITERAL <= literal.length; i++) {
      const h = gramHash(literal.charCodeAt(i), literal.charCodeAt(i + 1), literal.charCodeAt(i + 2))
      const l = load[h] as number
      if (l < bestLoad) {
        bestLoad = l
        best = i
        if (l === 0) break
      }
    }
    const bucket = gramHash(literal.charCodeAt(best), literal.charCodeAt(best + 1), literal.charCodeAt(best + 2))
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
    const list = this.buckets.get(e.bucket) as Entry[]
    list.splice(list.indexOf(e), 1)
    if (list.length === 0) this.buckets.delete(e.bucket)
    const load = this.load as Uint16Array
    if ((load[e.bucket] as number) > 0) load[e.bucket] = (load[e.bucket] as number) - 1
    return true
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
    const load = this.load
    if (load === null || this.byLiteral.size === 0 || text.length < MIN_LITERAL) return
    const epoch = ++this.epoch
    let a = text.charCodeAt(0)
    let b = text.charCodeAt(1)
    for (let i = 2; i < text.length; i++) {
      const c = text.charCodeAt(i)
      const h = gramHash(a, b, c)
      a = b
      b = c
      if (load[h] === 0) continue
      const list = this.buckets.get(h)
      if (list === undefined) continue
      const at = i - 2
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
