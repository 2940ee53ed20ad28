/**
 * Matches a parsed STIX pattern against observed-data objects (STIX 2.1 §9.5–9.7), with the
 * semantics of the OASIS reference matcher (cti-pattern-matcher):
 *
 * - An observed-data object stands for `number_observed` observations, all in its
 *   `[first_observed, last_observed]` interval. Its cyber-observable objects are the 2.0-style
 *   `objects` dictionary and/or the 2.1 `object_refs` resolved against `options.scos`.
 * - A bracketed observation expression matches an observation when its comparison expression
 *   holds there. Comparisons joined by AND must hold for the same root object (the object whose
 *   type starts the path); OR takes either. `_ref`/`_refs` are followed within the observation's
 *   own objects. A path with `[*]` tests every list element; NOT negates each value's test, so a
 *   missing property fails both `p = x` and `p NOT = x`.
 * - AND between observation expressions needs distinct observations; OR either side;
 *   `A FOLLOWEDBY B` needs B's observations to be possibly no earlier than A's (latest
 *   first_observed of A <= earliest last_observed of B).
 * - `WITHIN n SECONDS`: a window of n seconds can touch the intervals of all observations bound
 *   under it. `REPEATS n TIMES`: n disjoint bindings of the expression. `START s STOP e`: every
 *   observation bound under it overlaps `[s, e)`.
 *
 * The search is a depth-first backtracking over candidate observations with the time
 * constraints checked as each observation is bound, under a step budget
 * (`PATTERN_LIMITS.maxMatchSteps`): a hostile combination of pattern and data ends in a
 * `match_limit` error, never a stalled node. The first binding found is returned.
 */
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { parseStixTimestamp } from '../stix/time.js'
import type { Comparison, ComparisonExpression, ObjectPath, ObservationBracket, ObservationExpression, Pattern } from './ast.js'
import { flattenChain } from './ast.js'
import { networkContains, parseIpOrCidr, type IpNetwork } from './ip.js'
import { PATTERN_LIMITS, type MatchError } from './limits.js'
import { compileRegex, type CompiledRegex } from './regex.js'
import {
  base64ToBytes,
  bytesToLatin1,
  compareValue,
  compileLike,
  hexToBytes,
  likeMatches,
  prepareLiteral,
  valueEquals,
  type LikePattern,
  type PreparedLiteral,
  type PropertyValue,
} from './values.js'

/** Where the 2.1 `object_refs` of observed-data are looked up: a map by id, or a list of SCOs. */
export type ScoSource = ReadonlyMap<string, unknown> | readonly unknown[]

export interface MatchOptions {
  /** Cyber-observable objects referenced by `object_refs` (STIX 2.1 observed-data). */
  readonly scos?: ScoSource
  /** Search step budget (default PATTERN_LIMITS.maxMatchSteps). */
  readonly maxSteps?: number
}

/** One observation bound to one bracketed observation expression. */
export interface PatternBinding {
  /** Index of the bracketed observation expression, 0-based, left to right in the pattern. */
  readonly expression: number
  /** Index of the observed-data object in the input array. */
  readonly observation: number
  /** Its `id`, when it has one. */
  readonly id?: string
}

export interface MatchOutcome {
  readonly matched: boolean
  /** The binding found (empty when nothing matched). REPEATS binds one expression several times. */
  readonly bindings: readonly PatternBinding[]
  /** Distinct observation indexes in the binding, ascending. */
  readonly observations: readonly number[]
}

type JsonObject = Readonly<Record<string, unknown>>

interface Observation {
  readonly index: number
  readonly id: string | undefined
  /** Instants in milliseconds (with sub-millisecond fraction). */
  readonly first: number
  readonly last: number
  readonly capacity: number
  /** key (2.0 dictionary key or 2.1 id) → object. */
  readonly objects: ReadonlyMap<string, unknown>
  /** type → root keys. */
  readonly byType: ReadonlyMap<string, readonly string[]>
}

/** Unwinds the search when the budget runs out. */
class OutOfSteps {}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)

function instant(s: unknown): number | null {
  if (typeof s !== 'string') return null
  const t = parseStixTimestamp(s)
  if (!t.ok) return null
  const sub = t.value.fraction.length > 3 ? Number(`0.${t.value.fraction.slice(3, 12)}`) : 0
  return t.value.epochMs + sub
}

function prepare(input: readonly unknown[], scos: ScoSource | undefined): Result<Observation[], MatchError> {
  let scoMap: ReadonlyMap<string, unknown> | undefined
  if (scos instanceof Map) scoMap = scos as ReadonlyMap<string, unknown>
  else if (Array.isArray(scos)) {
    const m = new Map<string, unknown>()
    for (const o of scos as readonly unknown[]) if (isObject(o) && typeof o.id === 'string') m.set(o.id, o)
    scoMap = m
  }
  const out: Observation[] = []
  for (let i = 0; i < input.length; i++) {
    const o = input[i]
    const bad = (prop: string, message: string): Result<Observation[], MatchError> => err({ code: 'observation_invalid', pointer: `/${i}${prop ? `/${prop}` : ''}`, message })
    if (!isObject(o)) return bad('', 'is not an object')
    if (o.type !== undefined && o.type !== 'observed-data') return bad('type', "is not 'observed-data'")
    const first = instant(o.first_observed)
    const last = instant(o.last_observed)
    if (first === null) return bad('first_observed', 'must be a STIX timestamp')
    if (last === null) return bad('last_observed', 'must be a STIX timestamp')
    if (last < first) return bad('last_observed', 'is earlier than first_observed')
    const n = o.number_observed
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return bad('number_observed', 'must be an integer of at least 1')
    const objects = new Map<string, unknown>()
    if (isObject(o.objects)) for (const [k, v] of Object.entries(o.objects)) objects.set(k, v)
    if (Array.isArray(o.object_refs)) {
      for (const ref of o.object_refs as unknown[]) {
        if (typeof ref !== 'string') continue
        const sco = scoMap?.get(ref)
        if (sco !== undefined) objects.set(ref, sco)
      }
    }
    const byType = new Map<string, string[]>()
    for (const [k, v] of objects) {
      if (!isObject(v) || typeof v.type !== 'string') continue
      const list = byType.get(v.type)
      if (list) list.push(k)
      else byType.set(v.type, [k])
    }
    out.push({ index: i, id: typeof o.id === 'string' ? o.id : undefined, first, last, capacity: Math.min(n, PATTERN_LIMITS.maxBindingSize), objects, byType })
  }
  return ok(out)
}

// ---- comparisons -----------------------------------------------------------------------------

/** A comparison ready to test one property value (before NOT). */
type ValueTest = (pv: PropertyValue, budget: { remaining: number }) => boolean

const compiledTests = new WeakMap<Comparison, ValueTest>()

function testFor(c: Comparison): ValueTest {
  const cached = compiledTests.get(c)
  if (cached) return cached
  const t = buildTest(c)
  compiledTests.set(c, t)
  return t
}

function buildTest(c: Comparison): ValueTest {
  switch (c.operator) {
    case 'EXISTS':
      return () => true
    case '=':
    case '!=': {
      const lit = prepareLiteral(c.value)
      return c.operator === '=' ? (pv) => valueEquals(pv, lit) : (pv) => !valueEquals(pv, lit)
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const lit = prepareLiteral(c.value)
      const op = c.operator
      return (pv) => {
        const r = compareValue(pv, lit)
        if (r === null) return false
        return op === '<' ? r < 0 : op === '<=' ? r <= 0 : op === '>' ? r > 0 : r >= 0
      }
    }
    case 'IN': {
      // Strings, numbers and booleans answer from a set; a value that is bytes or an IP address,
      // and timestamp or binary literals, need the full comparison.
      const fast = new Set<unknown>()
      const always: PreparedLiteral[] = []
      const strings: PreparedLiteral[] = []
      for (const l of c.values.map(prepareLiteral)) {
        if (l.kind === 'number') fast.add(l.n)
        else if (l.kind === 'boolean') fast.add(l.b)
        else if (l.kind === 'string') {
          fast.add(l.s)
          strings.push(l)
        } else always.push(l)
      }
      return (pv, budget) => {
        const v = pv.v
        if ((typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && fast.has(v)) return true
        const slow = pv.ip || v instanceof Uint8Array ? [...always, ...strings] : always
        budget.remaining -= slow.length
        for (const l of slow) if (valueEquals(pv, l)) return true
        return false
      }
    }
    case 'LIKE': {
      const like: LikePattern = compileLike(c.value.value)
      return (pv, budget) => {
        const s = typeof pv.v === 'string' ? pv.v : pv.v instanceof Uint8Array ? bytesToLatin1(pv.v) : null
        return s !== null && likeMatches(like, s, budget)
      }
    }
    case 'MATCHES': {
      const re = compileRegex(c.value.value.normalize('NFC'))
      // The parser rejects unsupported expressions; a hand-built AST with one never matches.
      const regex: CompiledRegex | null = re.ok ? re.value : null
      return (pv, budget) => {
        if (!regex) return false
        const s = typeof pv.v === 'string' ? pv.v.normalize('NFC') : pv.v instanceof Uint8Array ? bytesToLatin1(pv.v) : null
        if (s === null) return false
        budget.remaining -= s.length
        return regex.test(s, budget)
      }
    }
    case 'ISSUBSET':
    case 'ISSUPERSET': {
      const net: IpNetwork | null = parseIpOrCidr(c.value.value)
      const subset = c.operator === 'ISSUBSET'
      return (pv) => {
        if (!net || typeof pv.v !== 'string') return false
        const v = parseIpOrCidr(pv.v)
        if (!v) return false
        return subset ? networkContains(net, v) : networkContains(v, net)
      }
    }
  }
}

class Evaluator {
  constructor(private readonly budget: { remaining: number }) {}

  private spend(n: number): void {
    this.budget.remaining -= n
    if (this.budget.remaining < 0) throw new OutOfSteps()
  }

  /** Values selected by `path` from the root object, following `_ref`/`_refs` inside the observation. */
  resolve(path: ObjectPath, root: unknown, obs: Observation): PropertyValue[] {
    let cur: PropertyValue[] = [{ v: root, ip: false }]
    const steps = path.steps
    for (let s = 0; s < steps.length && cur.length > 0; s++) {
      const step = steps[s] as (typeof steps)[number]
      const next: PropertyValue[] = []
      if (step.kind === 'key') {
        const key = step.key
        const isLast = s === steps.length - 1
        for (const { v } of cur) {
          if (!isObject(v) || !Object.hasOwn(v, key)) continue
          let x = v[key]
          if (typeof x === 'string') {
            if (key.endsWith('_hex')) x = hexToBytes(x) ?? x
            else if (key.endsWith('_bin')) x = base64ToBytes(x) ?? x
          }
          if (key.endsWith('_ref')) {
            if (typeof x === 'string' && obs.objects.has(x)) next.push({ v: obs.objects.get(x), ip: false })
            continue
          }
          if (key.endsWith('_refs')) {
            if (Array.isArray(x)) next.push({ v: (x as unknown[]).filter((r) => typeof r === 'string' && obs.objects.has(r)).map((r) => obs.objects.get(r as string)), ip: false })
            continue
          }
          next.push({ v: x, ip: isLast && key === 'value' && (v.type === 'ipv4-addr' || v.type === 'ipv6-addr') })
        }
      } else if (step.kind === 'index') {
        for (const { v } of cur) if (Array.isArray(v) && step.index >= 0 && step.index < v.length) next.push({ v: v[step.index], ip: false })
      } else {
        for (const { v } of cur) if (Array.isArray(v)) for (const e of v as unknown[]) next.push({ v: e, ip: false })
      }
      this.spend(next.length + 1)
      cur = next
    }
    return cur
  }

  /** Root keys of `obs` for which the comparison holds. */
  private comparisonRoots(c: Comparison, obs: Observation): Set<string> {
    const out = new Set<string>()
    const roots = obs.byType.get(c.path.objectType)
    if (!roots) return out
    const test = testFor(c)
    for (const key of roots) {
      const values = this.resolve(c.path, obs.objects.get(key), obs)
      for (const pv of values) {
        const r = test(pv, this.budget)
        if (this.budget.remaining < 0) throw new OutOfSteps()
        if (r !== c.negated) {
          out.add(key)
          break
        }
      }
    }
    return out
  }

  /** Root keys for which the comparison expression holds (AND: same root; OR: either). */
  roots(e: ComparisonExpression, obs: Observation): Set<string> {
    if (e.kind === 'comparison') return this.comparisonRoots(e, obs)
    // Flatten same-operator chains iteratively (OR lists of indicators can be long).
    const operands = flattenChain(e)
    if (e.kind === 'or') {
      const acc = new Set<string>()
      for (const x of operands) for (const k of this.roots(x, obs)) acc.add(k)
      return acc
    }
    let acc: Set<string> | null = null
    for (const x of operands) {
      const r = this.roots(x, obs)
      if (acc === null) acc = r
      else for (const k of acc) if (!r.has(k)) acc.delete(k)
      if (acc.size === 0) break
    }
    return acc ?? new Set()
  }
}

// ---- observation expressions -----------------------------------------------------------------

/** A time constraint active while binding the leaves of one subtree. */
type Constraint =
  | { readonly kind: 'within'; readonly ms: number; readonly maxFirst: number[]; readonly minLast: number[] }
  | { readonly kind: 'after'; readonly notBefore: number }

class Search {
  private readonly used: Int32Array
  readonly slotLeaf: number[] = []
  readonly slotObs: number[] = []
  private readonly active: Constraint[] = []

  constructor(
    private readonly obs: readonly Observation[],
    private readonly leafIndex: ReadonlyMap<ObservationBracket, number>,
    private readonly candidates: readonly (readonly number[])[],
    private readonly budget: { remaining: number },
  ) {
    this.used = new Int32Array(obs.length)
  }

  private spend(): void {
    if (--this.budget.remaining < 0) throw new OutOfSteps()
  }

  private latestFirst(from: number, to: number): number {
    let m = -Infinity
    for (let k = from; k < to; k++) m = Math.max(m, (this.obs[this.slotObs[k] as number] as Observation).first)
    return m
  }
  /** Runs `k` with the innermost constraint suspended (it only governs its own subtree). */
  private outside(k: () => boolean): boolean {
    const c = this.active.pop() as Constraint
    try {
      return k()
    } finally {
      this.active.push(c)
    }
  }

  /** Finds a binding of `e` (on top of the current one) for which `k` succeeds. */
  solve(e: ObservationExpression, k: () => boolean): boolean {
    switch (e.kind) {
      case 'observation':
        return this.leaf(this.leafIndex.get(e) as number, k)
      case 'and':
        return this.solve(e.left, () => this.solve(e.right, k))
      case 'or':
        return this.solve(e.left, k) || this.solve(e.right, k)
      case 'followedby': {
        const start = this.slotObs.length
        return this.solve(e.left, () => {
          // The right side's observations must not all end before the left side's latest start.
          const c: Constraint = { kind: 'after', notBefore: this.latestFirst(start, this.slotObs.length) }
          this.active.push(c)
          try {
            return this.solve(e.right, () => this.outside(k))
          } finally {
            this.active.pop()
          }
        })
      }
      case 'qualified': {
        const q = e.qualifier
        if (q.kind === 'startstop') return this.solve(e.expression, k) // applied to the leaves' candidates
        if (q.kind === 'within') {
          const c: Constraint = { kind: 'within', ms: q.seconds * 1000, maxFirst: [], minLast: [] }
          this.active.push(c)
          try {
            return this.solve(e.expression, () => this.outside(k))
          } finally {
            this.active.pop()
          }
        }
        return this.repeat(e.expression, q.times, 0, null, k)
      }
    }
  }

  /** `times` disjoint bindings of `e`, in non-decreasing order of their observation lists (no permutations). */
  private repeat(e: ObservationExpression, times: number, done: number, prev: number[] | null, k: () => boolean): boolean {
    if (done === times) return k()
    const mark = this.slotObs.length
    return this.solve(e, () => {
      const mine = this.slotObs.slice(mark)
      if (prev && compareLists(mine, prev) < 0) return false
      return this.repeat(e, times, done + 1, mine, k)
    })
  }

  private leaf(leaf: number, k: () => boolean): boolean {
    const cands = this.candidates[leaf] as readonly number[]
    for (const o of cands) {
      this.spend()
      if ((this.used[o] as number) >= (this.obs[o] as Observation).capacity) continue
      const ob = this.obs[o] as Observation
      // Check and extend every active time constraint.
      let ok = true
      let stop = false
      for (const c of this.active) {
        if (c.kind === 'after') {
          if (ob.last < c.notBefore) ok = false
        } else {
          const n = c.maxFirst.length
          const prevMax = n > 0 ? (c.maxFirst[n - 1] as number) : -Infinity
          const prevMin = n > 0 ? (c.minLast[n - 1] as number) : Infinity
          // Candidates are sorted by first_observed: once one starts too late for the earliest
          // last_observed already bound, every later one does too.
          if (n > 0 && ob.first - prevMin > c.ms) {
            ok = false
            stop = true
          }
          const maxFirst = Math.max(prevMax, ob.first)
          const minLast = Math.min(prevMin, ob.last)
          if (maxFirst - minLast > c.ms) ok = false
        }
        if (!ok) break
      }
      if (stop) break
      if (!ok) continue
      for (const c of this.active) {
        if (c.kind !== 'within') continue
        const n = c.maxFirst.length
        c.maxFirst.push(Math.max(n > 0 ? (c.maxFirst[n - 1] as number) : -Infinity, ob.first))
        c.minLast.push(Math.min(n > 0 ? (c.minLast[n - 1] as number) : Infinity, ob.last))
      }
      this.used[o] = (this.used[o] as number) + 1
      this.slotLeaf.push(leaf)
      this.slotObs.push(o)
      const found = k()
      if (found) return true
      this.slotLeaf.pop()
      this.slotObs.pop()
      this.used[o] = (this.used[o] as number) - 1
      for (const c of this.active) {
        if (c.kind !== 'within') continue
        c.maxFirst.pop()
        c.minLast.pop()
      }
    }
    return false
  }
}

function compareLists(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/**
 * Whether `e` could match at all, ignoring time and disjointness except for REPEATS over one
 * bracketed expression (which needs enough observations in total).
 */
function feasible(e: ObservationExpression, leafIndex: ReadonlyMap<ObservationBracket, number>, candidates: readonly (readonly number[])[], obs: readonly Observation[]): boolean {
  switch (e.kind) {
    case 'observation':
      return (candidates[leafIndex.get(e) as number] as readonly number[]).length > 0
    case 'or':
      return feasible(e.left, leafIndex, candidates, obs) || feasible(e.right, leafIndex, candidates, obs)
    case 'and':
    case 'followedby':
      return feasible(e.left, leafIndex, candidates, obs) && feasible(e.right, leafIndex, candidates, obs)
    case 'qualified': {
      const q = e.qualifier
      if (q.kind === 'repeats' && e.expression.kind === 'observation') {
        let total = 0
        for (const o of candidates[leafIndex.get(e.expression) as number] as readonly number[]) total += (obs[o] as Observation).capacity
        return total >= q.times
      }
      return feasible(e.expression, leafIndex, candidates, obs)
    }
  }
}

/** Bracketed expressions left to right, each with the START/STOP windows of the qualifiers above it. */
function collectLeaves(e: ObservationExpression, windows: readonly [number, number][], out: { node: ObservationBracket; windows: readonly [number, number][] }[]): void {
  switch (e.kind) {
    case 'observation':
      out.push({ node: e, windows })
      return
    case 'qualified': {
      const q = e.qualifier
      if (q.kind === 'startstop') {
        const s = instant(q.start)
        const t = instant(q.stop)
        collectLeaves(e.expression, [...windows, [s ?? Number.NaN, t ?? Number.NaN]], out)
      } else collectLeaves(e.expression, windows, out)
      return
    }
    default:
      collectLeaves(e.left, windows, out)
      collectLeaves(e.right, windows, out)
  }
}

/** Observed-data checked and indexed once, for matching many patterns against the same batch. */
export interface PreparedObservations {
  readonly prepared: true
  readonly count: number
  /** @internal */
  readonly observations: readonly unknown[]
}

const preparedData = new WeakMap<PreparedObservations, readonly Observation[]>()

/**
 * Checks and indexes observed-data objects (times, counts, objects by type) so that several
 * patterns can be matched against them without repeating the work.
 */
export function prepareObservations(observations: readonly unknown[], options: Pick<MatchOptions, 'scos'> = {}): Result<PreparedObservations, MatchError> {
  const r = prepare(observations, options.scos)
  if (!r.ok) return r
  const handle: PreparedObservations = { prepared: true, count: r.value.length, observations }
  preparedData.set(handle, r.value)
  return ok(handle)
}

/**
 * Matches `pattern` against observed-data objects. Returns whether it matched and the first
 * binding found (which observation was bound to which bracketed expression), an
 * `observation_invalid` error for an observed-data object without usable times or count, or a
 * `match_limit` error when deciding would take more than the step budget.
 *
 * @param observations observed-data objects (2.0 `objects` or 2.1 `object_refs`), or the result
 *   of `prepareObservations`
 * @param options.scos the SCOs that 2.1 `object_refs` point to (ignored for prepared observations)
 */
export function matchPattern(pattern: Pattern, observations: readonly unknown[] | PreparedObservations, options: MatchOptions = {}): Result<MatchOutcome, MatchError> {
  let obs: readonly Observation[]
  const ready = 'prepared' in observations ? preparedData.get(observations) : undefined
  if (ready) obs = ready
  else {
    const prepared = prepare('prepared' in observations ? observations.observations : observations, options.scos)
    if (!prepared.ok) return prepared
    obs = prepared.value
  }
  const maxSteps = options.maxSteps ?? PATTERN_LIMITS.maxMatchSteps
  const budget = { remaining: maxSteps }
  const limit = (): Result<MatchOutcome, MatchError> =>
    err({ code: 'match_limit', pointer: '', message: `matching this pattern against ${obs.length} observations needs more than ${maxSteps} steps` })

  const leaves: { node: ObservationBracket; windows: readonly [number, number][] }[] = []
  collectLeaves(pattern.expression, [], leaves)
  const leafIndex = new Map<ObservationBracket, number>()
  leaves.forEach((l, i) => leafIndex.set(l.node, i))

  // Observations in time order, so that time constraints prune early.
  const order = obs.map((o) => o.index).sort((a, b) => (obs[a] as Observation).first - (obs[b] as Observation).first || a - b)
  const evaluator = new Evaluator(budget)
  const candidates: number[][] = []
  try {
    for (const { node, windows } of leaves) {
      const list: number[] = []
      for (const i of order) {
        const o = obs[i] as Observation
        // START s STOP e: the observation interval overlaps [s, e) (touching s is enough, touching e is not).
        if (!windows.every(([s, t]) => s < t && o.first < t && o.last >= s)) continue
        if (evaluator.roots(node.comparison, o).size > 0) list.push(i)
      }
      candidates.push(list)
    }
    // Cheap necessary condition first: a leaf without candidates under an AND dooms the search.
    if (!feasible(pattern.expression, leafIndex, candidates, obs)) return ok({ matched: false, bindings: [], observations: [] })
    const search = new Search(obs, leafIndex, candidates, budget)
    const matched = search.solve(pattern.expression, () => true)
    if (!matched) return ok({ matched: false, bindings: [], observations: [] })
    const bindings: PatternBinding[] = search.slotLeaf.map((leaf, k) => {
      const o = obs[search.slotObs[k] as number] as Observation
      return o.id === undefined ? { expression: leaf, observation: o.index } : { expression: leaf, observation: o.index, id: o.id }
    })
    const distinct = [...new Set(bindings.map((b) => b.observation))].sort((a, b) => a - b)
    return ok({ matched: true, bindings, observations: distinct })
  } catch (e) {
    if (e instanceof OutOfSteps) return limit()
    // A stack overflow would mean a binding too large for the stack: report it as a limit.
    if (e instanceof RangeError) return limit()
    throw e
  }
}
