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
import { canonicalValue, isRefValuePath, ruleByShape } from './normalise.js'

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
  if (objectType === 'ipv4-addr' || objectType === 'ipv6-addr') {
    const net = parseIpOrCidr(value)
    if (net) value = formatNetwork(net)
  }
  return { objectType, path, match: 'exact', values: [value] }
}
