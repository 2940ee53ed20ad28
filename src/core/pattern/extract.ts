/**
 * Exact-lookup keys of a pattern, for an observable index: which indexed values an observation
 * must contain for a bracketed observation expression to possibly match it.
 *
 * For each bracketed expression this gives a *cover*: a list of lookups such that every
 * observation matching the expression hits at least one of them (or `null` when there is no such
 * list and the expression can only be checked by scanning):
 *
 * - `p = v` / `p IN (…)` on an indexable path (without NOT) → lookups of those values;
 *   `p ISSUBSET 'cidr'` on an IP `value` → a `subnet` lookup;
 * - `A AND B` → the cover of A if it has one, else B's (both must hold, so either side's cover works);
 * - `A OR B`  → the union of both covers, or null if either has none;
 * - anything else (`!=`, ordering, LIKE, MATCHES, NOT, EXISTS, other paths) → null.
 *
 * `needsFullEvaluation` is false only when the pattern means exactly "an observation hitting one
 * of these lookups": bracketed expressions joined by OR, each an OR of `=`/`IN` lookups, no
 * qualifiers. Otherwise candidates found through the index must still go through `matchPattern`.
 */
import type { Comparison, ComparisonExpression, ObservationExpression, Pattern } from './ast.js'
import { formatNetwork, parseIpOrCidr } from './ip.js'
import { formatKey } from './printer.js'

/** One index probe. */
export interface ExactLookup {
  /** STIX object type, e.g. `ipv4-addr`. */
  readonly objectType: string
  /** The path after the colon as printed, e.g. `value`, `hashes.'SHA-256'`. */
  readonly path: string
  /** `exact`: the property equals one of `values`; `subnet`: an address inside the CIDR block in `values`. */
  readonly match: 'exact' | 'subnet'
  /**
   * Values as written, except IP addresses and CIDR blocks, which are normalised
   * (`198.51.100.1/32` → `198.51.100.1`, IPv6 in RFC 5952 form, host bits cleared).
   */
  readonly values: readonly (string | number)[]
}

export interface ObservationLookups {
  /** Index of the bracketed expression, left to right (as in match bindings). */
  readonly expression: number
  /** A cover (see the module comment), or null when the expression needs a scan. */
  readonly lookups: readonly ExactLookup[] | null
}

export interface PatternLookups {
  readonly observations: readonly ObservationLookups[]
  /** Whether index hits must still be confirmed with `matchPattern`. */
  readonly needsFullEvaluation: boolean
}

/** `type:path` pairs (path as printed) whose `=`/`IN` comparisons an index can answer. */
export const INDEXABLE_PATHS: ReadonlySet<string> = new Set([
  'ipv4-addr:value',
  'ipv6-addr:value',
  'domain-name:value',
  'url:value',
  'email-addr:value',
  'mac-addr:value',
  'autonomous-system:number',
  'user-account:user_id',
  'user-account:account_login',
  'windows-registry-key:key',
  'mutex:name',
  'file:name',
  'directory:path',
  'x509-certificate:serial_number',
  'email-message:message_id',
])

/** Object types whose `hashes.<ALGORITHM>` paths are indexable. */
const HASHED_TYPES: ReadonlySet<string> = new Set(['file', 'artifact', 'x509-certificate'])

const IP_PATHS: ReadonlySet<string> = new Set(['ipv4-addr:value', 'ipv6-addr:value'])

/** The printed path after the colon, or null when it has index steps. */
function pathText(c: Comparison): string | null {
  const parts: string[] = []
  for (const s of c.path.steps) {
    if (s.kind !== 'key') return null
    parts.push(formatKey(s.key))
  }
  return parts.join('.')
}

function isIndexable(type: string, path: string): boolean {
  if (INDEXABLE_PATHS.has(`${type}:${path}`)) return true
  return HASHED_TYPES.has(type) && /^hashes\.[^.]+$/.test(path)
}

function lookupOf(c: Comparison): ExactLookup[] | null {
  if (c.negated) return null
  const path = pathText(c)
  if (path === null || !isIndexable(c.path.objectType, path)) return null
  const ip = IP_PATHS.has(`${c.path.objectType}:${path}`)
  const norm = (v: string | number): string | number => {
    if (!ip || typeof v !== 'string') return v
    const n = parseIpOrCidr(v)
    return n ? formatNetwork(n) : v
  }
  const base = { objectType: c.path.objectType, path }
  if (c.operator === '=') {
    const l = c.value
    if (l.type !== 'string' && l.type !== 'integer') return null
    return [{ ...base, match: 'exact', values: [norm(l.value)] }]
  }
  if (c.operator === 'IN') {
    const values: (string | number)[] = []
    for (const l of c.values) {
      if (l.type !== 'string' && l.type !== 'integer') return null
      values.push(norm(l.value))
    }
    return [{ ...base, match: 'exact', values }]
  }
  if (c.operator === 'ISSUBSET' && ip) {
    const n = parseIpOrCidr(c.value.value)
    return n ? [{ ...base, match: 'subnet', values: [formatNetwork(n)] }] : null
  }
  return null
}

/** Operands of a chain of one operator, left to right (iterative: OR lists of indicators can be long). */
function operands(e: ComparisonExpression, kind: 'and' | 'or'): ComparisonExpression[] {
  const out: ComparisonExpression[] = []
  const stack: ComparisonExpression[] = [e]
  while (stack.length > 0) {
    const x = stack.pop() as ComparisonExpression
    if (x.kind === kind) stack.push(x.right, x.left)
    else out.push(x)
  }
  return out
}

/** A cover for a comparison expression, and whether it is exact (the expression means just that). */
function cover(e: ComparisonExpression): { lookups: ExactLookup[] | null; exact: boolean } {
  if (e.kind === 'comparison') {
    const l = lookupOf(e)
    return { lookups: l, exact: l !== null && (e.operator === '=' || e.operator === 'IN') }
  }
  const parts = operands(e, e.kind).map(cover)
  if (e.kind === 'or') {
    const lookups: ExactLookup[] = []
    for (const p of parts) {
      if (p.lookups === null) return { lookups: null, exact: false }
      lookups.push(...p.lookups)
    }
    return { lookups, exact: parts.every((p) => p.exact) }
  }
  return { lookups: parts.find((p) => p.lookups !== null)?.lookups ?? null, exact: false }
}

/**
 * The exact-lookup keys of a parsed pattern (see the module comment). Pure and cheap: linear in
 * the size of the pattern.
 */
export function extractLookups(pattern: Pattern): PatternLookups {
  const observations: ObservationLookups[] = []
  let needsFull = false
  let index = 0
  const visit = (e: ObservationExpression, underOrOnly: boolean): void => {
    switch (e.kind) {
      case 'observation': {
        const c = cover(e.comparison)
        observations.push({ expression: index++, lookups: c.lookups })
        if (!underOrOnly || !c.exact) needsFull = true
        return
      }
      case 'qualified':
        needsFull = true
        visit(e.expression, false)
        return
      case 'or':
        visit(e.left, underOrOnly)
        visit(e.right, underOrOnly)
        return
      default:
        needsFull = true
        visit(e.left, false)
        visit(e.right, false)
    }
  }
  visit(pattern.expression, true)
  return { observations, needsFullEvaluation: needsFull }
}
