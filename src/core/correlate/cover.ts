/**
 * Index covers beyond what `extractLookups` gives: comparisons that reach an observable's `value`
 * through a reference, such as Maltrail's address-and-port trails
 *
 *     [network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '51.210.1.239' AND network-traffic:dst_port = 8443]
 *
 * `x:some_ref.value = 'v'` (or `x:some_refs[*].value`, `[n]`, and `IN`) can only hold when the
 * observation contains an object with `value` equal to `v` (the matcher follows references only
 * within the observation), and the index sees every object of the observation. So such a comparison
 * is covered by a lookup of `v` on the `value` of an object of any type (`ANY_TYPE`): the index
 * stores the literal as written and in its canonical form (by its shape, `ruleByShape`), and
 * probes every observed `value` as given and in its type's canonical form. The cover is never exact: these
 * indicators are confirmed by evaluating the pattern.
 *
 * For brackets where `extractLookups` already has a cover, that cover is kept.
 */
import type { Comparison, ComparisonExpression, ObservationBracket, Pattern } from '../pattern/ast.js'
import { flattenChain } from '../pattern/ast.js'
import { extractLookups, INDEXABLE_PATHS, type ExactLookup, type PatternLookups } from '../pattern/extract.js'
import { formatNetwork, parseIpOrCidr } from '../pattern/ip.js'
import { PATTERN_LIMITS } from '../pattern/limits.js'
import { isReservedWord } from '../pattern/lexer.js'
import { canonicalValue, HASHED_TYPES, isRefValuePath, ruleByShape } from './normalise.js'
import { ipv4Number } from './prefix-trie.js'

/** The object type of lookups on the `value` of an object of any type. */
export const ANY_TYPE = '*'

function refValueLookups(c: Comparison): ExactLookup[] | null {
  if (c.negated || (c.operator !== '=' && c.operator !== 'IN')) return null
  if (!isRefValuePath(c.path.steps)) return null
  const literals = c.operator === 'IN' ? c.values : c.operator === '=' ? [c.value] : []
  const values: string[] = []
  for (const l of literals) {
    if (l.type !== 'string') return null
    values.push(l.value)
    // The canonical pattern compares the literal in canonical form (by its shape); for an
    // address, that is also the form the matcher's network comparison agrees with.
    const c = canonicalValue(ruleByShape(l.value), l.value)
    if (c !== l.value) values.push(c)
  }
  return [{ objectType: ANY_TYPE, path: 'value', match: 'exact', values }]
}

function leafLookups(c: Comparison): readonly ExactLookup[] | null {
  const bracket: ObservationBracket = { kind: 'observation', comparison: c, span: c.span }
  const direct = extractLookups({ expression: bracket, observationCount: 1, span: c.span }).observations[0]?.lookups ?? null
  return direct ?? refValueLookups(c)
}

/** A cover of a comparison expression (AND: either side's; OR: both sides' or none). */
function coverOf(e: ComparisonExpression): readonly ExactLookup[] | null {
  if (e.kind === 'comparison') return leafLookups(e)
  const operands = flattenChain(e)
  if (e.kind === 'and') {
    for (const o of operands) {
      const c = coverOf(o)
      if (c !== null) return c
    }
    return null
  }
  const out: ExactLookup[] = []
  for (const o of operands) {
    const c = coverOf(o)
    if (c === null) return null
    out.push(...c)
  }
  return out
}

/** Brackets in the order the matcher and extractLookups number them. */
function brackets(p: Pattern): ObservationBracket[] {
  const out: ObservationBracket[] = []
  const walk = (e: Pattern['expression']): void => {
    if (e.kind === 'observation') out.push(e)
    else if (e.kind === 'qualified') walk(e.expression)
    else {
      walk(e.left)
      walk(e.right)
    }
  }
  walk(p.expression)
  return out
}

/**
 * `extractLookups(p)`, with brackets it leaves without a cover covered through reference paths
 * where possible (see the module comment). `needsFullEvaluation` is unchanged: a bracket without
 * an exact cover already needs it.
 */
export function indexLookups(p: Pattern): PatternLookups {
  const base = extractLookups(p)
  if (base.observations.every((o) => o.lookups !== null)) return base
  const list = brackets(p)
  return {
    needsFullEvaluation: base.needsFullEvaluation,
    observations: base.observations.map((o) => (o.lookups !== null ? o : { expression: o.expression, lookups: coverOf((list[o.expression] as ObservationBracket).comparison) })),
  }
}

/** An address or block as extractLookups normalises it (a plain dotted quad already is: no parse). */
function normalisedAddress(v: string): string {
  if (ipv4Number(v) >= 0) return v
  const net = parseIpOrCidr(v)
  return net ? formatNetwork(net) : v
}

/**
 * The lookup of a pattern that is exactly one equality on an indexable property,
 * `[type:path = 'literal']` (one space on each side of `=`, the only escapes `\'` and `\\`), read
 * without the parser: most shared indicators have this shape, and rebuilding the index of a
 * million of them is dominated by parsing. Returns null for anything else (the caller parses);
 * when it returns a lookup, `indexLookups(parsePattern(text))` gives exactly that lookup with
 * `needsFullEvaluation: false` (property-tested).
 */
export function simpleEqualityLookup(text: string): ExactLookup | null {
  const n = text.length
  if (n < 8 || n > PATTERN_LIMITS.maxPatternLength || text.charCodeAt(0) !== 91 /* [ */ || text.charCodeAt(n - 1) !== 93 /* ] */ || text.charCodeAt(n - 2) !== 39 /* ' */) return null
  const colon = text.indexOf(':')
  if (colon < 0) return null
  const eq = text.indexOf(" = '", colon)
  if (eq < 0) return null
  const objectType = text.slice(1, colon)
  const path = text.slice(colon + 1, eq)
  if (!INDEXABLE_PATHS.has(`${objectType}:${path}`)) return null
  let value = ''
  let from = eq + 4
  const end = n - 2
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === 39) return null
    if (c === 92 /* \ */) {
      const e = text.charCodeAt(i + 1)
      if (i + 1 >= end || (e !== 39 && e !== 92)) return null
      value += text.slice(from, i) + String.fromCharCode(e)
      i++
      from = i + 1
    }
  }
  value += text.slice(from, end)
  if (objectType === 'ipv4-addr' || objectType === 'ipv6-addr') value = normalisedAddress(value)
  return { objectType, path, match: 'exact', values: [value] }
}

/** A cover read from pattern text without the parser (`conjunctionCover`). */
export interface ReadCover {
  /** The lookups of the one bracket, as `indexLookups` gives them. */
  readonly lookups: readonly ExactLookup[]
  /** As `indexLookups` says: false only for a single comparison on an indexable property. */
  readonly needsFullEvaluation: boolean
  /** The object types the comparisons name (each once). */
  readonly types: readonly string[]
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const isDigit = (c: number): boolean => c >= 48 && c <= 57

/** One comparison read by `conjunctionCover`. */
interface ReadComparison {
  readonly objectType: string
  readonly keys: readonly string[]
  readonly value: string | number
}

/** The end of an identifier starting at `i` (or -1), with or without hyphens. */
function identifierEnd(text: string, i: number, hyphens: boolean): number {
  if (!isIdentStart(text.charCodeAt(i))) return -1
  let j = i + 1
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j)
    if (!(isIdentStart(c) || isDigit(c) || (hyphens && c === 45))) break
  }
  // Keywords (upper case) and the booleans are not identifiers (a hyphen makes a word an identifier
  // again); only words starting with A–Z, t or f can be one.
  const c0 = text.charCodeAt(i)
  const maybeReserved = (c0 >= 65 && c0 <= 90) || c0 === 116 || c0 === 102
  return maybeReserved && isReservedWord(text.slice(i, j)) ? -1 : j
}

/**
 * The cover of a pattern that is one bracket of `=` comparisons joined by `AND`,
 * `[type:key.key = 'literal' AND type:key = 123 AND …]`, read without the parser: Maltrail's
 * address-and-port trails (a fifth of its rows) and most multi-property indicators have this shape.
 * It accepts only a strict subset of the grammar: single spaces around `=` and `AND`, no
 * parentheses, keys that are plain identifiers (letters, digits, `_`), string literals whose only
 * escapes are `\'` and `\\`, and integers without sign or leading zeros (at most 15 digits).
 * Returns null for anything else, and for a bracket without a cover (the caller parses then).
 * When it returns a cover, `parsePattern` accepts the text, and `indexLookups` of the parsed
 * pattern gives the same lookups and `needsFullEvaluation` (property-tested).
 */
export function conjunctionCover(text: string): ReadCover | null {
  const n = text.length
  if (n < 8 || n > PATTERN_LIMITS.maxPatternLength || text.charCodeAt(0) !== 91 /* [ */ || text.charCodeAt(n - 1) !== 93 /* ] */) return null
  const comparisons: ReadComparison[] = []
  let i = 1
  for (;;) {
    const typeEnd = identifierEnd(text, i, true)
    if (typeEnd < 0 || text.charCodeAt(typeEnd) !== 58 /* : */) return null
    const objectType = text.slice(i, typeEnd)
    const keys: string[] = []
    i = typeEnd
    do {
      const keyEnd = identifierEnd(text, i + 1, false)
      if (keyEnd < 0) return null
      keys.push(text.slice(i + 1, keyEnd))
      i = keyEnd
    } while (text.charCodeAt(i) === 46 /* . */ && keys.length < PATTERN_LIMITS.maxPathSteps)
    if (!text.startsWith(' = ', i)) return null
    i += 3
    let value: string | number
    if (text.charCodeAt(i) === 39 /* ' */) {
      let v = ''
      let from = i + 1
      let j = from
      for (; ; j++) {
        if (j >= n) return null
        const c = text.charCodeAt(j)
        if (c === 39) break
        if (c === 92 /* \ */) {
          const e = text.charCodeAt(j + 1)
          if (e !== 39 && e !== 92) return null
          v += text.slice(from, j) + String.fromCharCode(e)
          j++
          from = j + 1
        }
      }
      value = v + text.slice(from, j)
      i = j + 1
    } else {
      let j = i
      while (j < n && isDigit(text.charCodeAt(j))) j++
      const digits = j - i
      if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(i) === 48)) return null
      value = Number(text.slice(i, j))
      i = j
    }
    comparisons.push({ objectType, keys, value })
    if (comparisons.length > PATTERN_LIMITS.maxComparisons) return null
    if (i === n - 1) break
    if (!text.startsWith(' AND ', i)) return null
    i += 5
  }
  // extractLookups: the first comparison on an indexable property covers an AND; exact when it is alone.
  const types: string[] = []
  for (const c of comparisons) if (!types.includes(c.objectType)) types.push(c.objectType)
  for (const c of comparisons) {
    const path = c.keys.join('.')
    const hashed = HASHED_TYPES.has(c.objectType) && c.keys.length === 2 && c.keys[0] === 'hashes'
    if (!INDEXABLE_PATHS.has(`${c.objectType}:${path}`) && !hashed) continue
    let v = c.value
    if (typeof v === 'string' && path === 'value' && (c.objectType === 'ipv4-addr' || c.objectType === 'ipv6-addr')) v = normalisedAddress(v)
    return { lookups: [{ objectType: c.objectType, path, match: 'exact', values: [v] }], needsFullEvaluation: comparisons.length > 1, types }
  }
  // indexLookups: else the first comparison reaching a `value` through a reference (refValueLookups).
  for (const c of comparisons) {
    const k = c.keys.length
    if (typeof c.value !== 'string' || k < 2 || c.keys[k - 1] !== 'value' || !(c.keys[k - 2] as string).endsWith('_ref')) continue
    const values = [c.value]
    const canonical = canonicalValue(ruleByShape(c.value), c.value)
    if (canonical !== c.value) values.push(canonical)
    return { lookups: [{ objectType: ANY_TYPE, path: 'value', match: 'exact', values }], needsFullEvaluation: true, types }
  }
  return null
}
