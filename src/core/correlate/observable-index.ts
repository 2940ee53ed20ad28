/**
 * The observable index (issue 4 item 4): which indicators an observation can match, found in
 * constant time per observed value instead of by evaluating every pattern.
 *
 * Adding an indicator extracts its exact-lookup keys (`extractLookups`) and files it under one of
 * three modes:
 *
 * - **exact**: the pattern means exactly "an observation with one of these values" (bracketed
 *   `=`/`IN` on indexable properties joined by OR, no qualifiers). An index hit *is* a match; no
 *   pattern is kept, only the keys.
 * - **confirm**: the pattern has a cover of exact keys (every match hits one of them) but says
 *   more (AND with other comparisons, several observations, qualifiers, ISSUBSET). A hit makes it
 *   a candidate, confirmed by evaluating the whole pattern against the observation(s). The
 *   pattern text is kept; parsed patterns live in a bounded cache.
 * - **fallback**: no cover (`LIKE`/`MATCHES`/`!=`/other paths only). Evaluated fully against every
 *   observation containing an object of a type the pattern mentions. At most
 *   `INDEX_LIMITS.maxFallbackPatterns`; beyond that `add` fails with `fallback_full` (the caller
 *   records the indicator as not correlated; nothing is evicted silently).
 *
 * Values are canonicalised before they are stored and before they are looked up (normalise.ts),
 * and a match means the pattern matches in raw or canonical form (evaluate.ts). A query takes
 * `now` (milliseconds) and skips indicators outside `[valid_from, valid_until)`; revoked
 * indicators are never stored (`add` with `revoked: true` removes the previous version).
 *
 * Memory: one slot per indicator in typed arrays (validity, mode, creator), the id string (found
 * again through a hashed table of slots, HashedCells, checked against the string), and per key one
 * Map entry whose value is the slot number (an array only when several indicators share the
 * value). Key strings are stored once, in the maps.
 *
 * Most patterns are read without the parser: single equalities (`simpleEqualityLookup`) and one
 * bracket of equalities joined by AND (`conjunctionCover`), both property-tested against it.
 */
import type { Pattern } from '../pattern/ast.js'
import type { ExactLookup, PatternLookups } from '../pattern/extract.js'
import { formatNetwork, parseIpOrCidr } from '../pattern/ip.js'
import { PATTERN_LIMITS, type MatchError, type PatternError } from '../pattern/limits.js'
import type { ScoSource } from '../pattern/matcher.js'
import { parsePattern } from '../pattern/parser.js'
import { formatKey, printPattern } from '../pattern/printer.js'
import { compileLike, likeMatches, type LikePattern } from '../pattern/values.js'
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { parseStixTimestamp } from '../stix/time.js'
import { BloomFilter } from './bloom.js'
import { HashedCells } from './hashed-cells.js'
import { ANY_TYPE, conjunctionCover, indexLookups, simpleEqualityLookup } from './cover.js'
import { matchEitherForm, patternForms, prepareObservationForms, type ObservationForms, type PatternForms } from './evaluate.js'
import { canonicalHash, canonicalHashAlgorithm, canonicalValue, HASHED_TYPES, ruleFor, type CanonicalRule } from './normalise.js'
import { PrefixTrie } from './prefix-trie.js'
import { SubstringIndex } from './substring-index.js'

export const INDEX_LIMITS = {
  /** Most indicators without an index cover (evaluated against every observation of their object types). */
  maxFallbackPatterns: 10_000,
  /** Parsed patterns of `confirm` indicators kept between queries (least recently used first out). */
  parsedPatternCache: 4_096,
  /** Most full pattern evaluations in one query; beyond it the result says `truncated`. */
  maxEvaluationsPerQuery: 10_000,
} as const

/** What `add` needs of a STIX indicator (its own property names). */
export interface IndexableIndicator {
  readonly id: string
  /** Pattern text, or an already parsed pattern. */
  readonly pattern: string | Pattern
  /** When present it must be `stix`. */
  readonly pattern_type?: string
  readonly valid_from?: string
  readonly valid_until?: string
  readonly revoked?: boolean
  readonly created_by_ref?: string
}

export type IndexMode = 'exact' | 'confirm' | 'substring' | 'fallback'

export interface AddOutcome {
  /** How the indicator is indexed; `removed` for a revoked one (any earlier version is gone). */
  readonly mode: IndexMode | 'removed'
  /** Distinct keys stored (values and CIDR blocks). */
  readonly keys: number
}

export interface AddError {
  /** `not_stix`: another pattern_type; `pattern_invalid`: does not parse; `invalid_time`: bad
   * valid_from/valid_until; `fallback_full`: not indexable and the fallback list is full. */
  readonly code: 'not_stix' | 'pattern_invalid' | 'invalid_time' | 'fallback_full'
  readonly message: string
  readonly pattern?: PatternError
}

/** An indexed value an observation hit. */
export interface IndexedValue {
  readonly objectType: string
  /** Path as in a pattern: `value`, `hashes.'SHA-256'`. */
  readonly path: string
  /** The canonical value looked up (for a CIDR hit: the observed address). */
  readonly value: string | number
  /** How many live indicators share this key (for over-correlation checks). */
  readonly indicators: number
}

export interface IndicatorMatch {
  readonly indicator: string
  readonly createdBy?: string
  /** `index`: found through a key (exact or confirmed); `fallback`: from the fallback list. */
  readonly via: 'index' | 'fallback'
  /** Keys hit (empty for fallback matches). */
  readonly values: readonly IndexedValue[]
  /** Indexes of the observations (observed-data objects) the match used. */
  readonly observations: readonly number[]
}

/**
 * An indicator whose indexed values the observation hit, but whose whole pattern did not match: the
 * other observation expressions of a multi-observation pattern are missing, or the other
 * comparisons fail (an address-and-port trail seen without the port).
 */
export interface PartialMatch {
  readonly indicator: string
  readonly createdBy?: string
  readonly values: readonly IndexedValue[]
}

export interface CorrelationResult {
  readonly matches: readonly IndicatorMatch[]
  readonly partial: readonly PartialMatch[]
  /** Candidates that could not be decided (e.g. `match_limit`). */
  readonly errors: readonly { readonly indicator: string; readonly error: MatchError }[]
  /** True when `maxEvaluationsPerQuery` stopped the evaluation of further candidates. */
  readonly truncated: boolean
}

/** What `matchEach` did besides the matches it passed on. */
export interface BatchOutcome {
  /** Observations probed. */
  readonly queries: number
  /** Matches passed to the callback. */
  readonly matched: number
  /** Candidates that could not be decided, by the position of their observation. */
  readonly errors: readonly { readonly query: number; readonly indicator: string; readonly error: MatchError }[]
  /** Observations whose evaluations stopped at `maxEvaluations` (as `truncated` in CorrelationResult). */
  readonly truncated: number
}

export interface QueryOptions {
  /** The current time in milliseconds since the epoch: indicators outside [valid_from, valid_until) are skipped. */
  readonly now: number
  /** Override of INDEX_LIMITS.maxEvaluationsPerQuery. */
  readonly maxEvaluations?: number
  /**
   * Report partial hits (default true). With false, a candidate that cannot match because the query
   * has no object of a type its pattern needs is dropped at the probe: the common case of a bare
   * address hitting many address-and-port patterns costs nothing then.
   */
  readonly partial?: boolean
}

const NOTHING: CorrelationResult = Object.freeze({ matches: [], partial: [], errors: [], truncated: false })

const FREE = 0
const EXACT = 1
const CONFIRM = 2
const FALLBACK = 3
const SUBSTRING = 4
const MODE_NAMES: readonly IndexMode[] = ['exact', 'exact', 'confirm', 'fallback', 'substring']

/** Tries are numbered after the exact maps in key references. */
const TRIE_BASE = 1 << 20
const NO_KEY = -1
const MANY_KEYS = -2

type Values = number | number[]
type Key = string | number
interface KeyRef {
  readonly m: number
  readonly k: Key
}
/** An exact map: the object type and path it answers, and how its keys are canonicalised. */
interface MapInfo {
  readonly objectType: string
  /** Path as in a pattern: `value`, `hashes.'SHA-256'`. */
  readonly path: string
  readonly rule: CanonicalRule
  /** The canonical hash algorithm (`hashes.<ALG>` maps), else ''. */
  readonly alg: string
}
interface Probe {
  readonly prop: string
  readonly rule: CanonicalRule
  readonly m: number
}
interface Hit {
  readonly values: IndexedValue[]
  readonly observations: number[]
  /** A substring candidate whose LIKE could not be decided within the step budget: evaluate it fully. */
  unsure: boolean
}

type JsonObject = Readonly<Record<string, unknown>>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

const ascending = (a: number, b: number): number => a - b

function cellSize(c: Values | undefined): number {
  return c === undefined ? 0 : typeof c === 'number' ? 1 : c.length
}

function unquoteKey(k: string): string {
  return k.startsWith("'") && k.endsWith("'") && k.length >= 2 ? k.slice(1, -1).replace(/\\(['\\])/g, '$1') : k
}


/** Whether the observation expression can only match observations hitting some indexed bracket. */
function hasCover(p: Pattern, bracketCovered: readonly boolean[]): boolean {
  let i = 0
  const walk = (e: Pattern['expression']): boolean => {
    switch (e.kind) {
      case 'observation':
        return bracketCovered[i++] === true
      case 'qualified':
        return walk(e.expression)
      case 'or': {
        const l = walk(e.left)
        const r = walk(e.right)
        return l && r
      }
      default: {
        const l = walk(e.left)
        const r = walk(e.right)
        return l || r
      }
    }
  }
  return walk(p.expression)
}

/** Object types named by the pattern's comparisons (a pattern can only match an observation containing one). */
function typesOf(p: Pattern): string[] {
  const out = new Set<string>()
  const stackO: Pattern['expression'][] = [p.expression]
  while (stackO.length > 0) {
    const e = stackO.pop() as Pattern['expression']
    if (e.kind === 'qualified') stackO.push(e.expression)
    else if (e.kind !== 'observation') stackO.push(e.left, e.right)
    else {
      const stackC = [e.comparison]
      while (stackC.length > 0) {
        const c = stackC.pop() as (typeof stackC)[number]
        if (c.kind === 'comparison') out.add(c.path.objectType)
        else stackC.push(c.left, c.right)
      }
    }
  }
  return [...out]
}

/** `[type:prop LIKE '…']`: one LIKE on a top-level property and nothing else; its literal as written and in canonical form. */
interface LikeShape {
  readonly objectType: string
  readonly prop: string
  readonly raw: string
  readonly canonical: string
}

function likeShape(forms: PatternForms): LikeShape | null {
  const e = forms.raw.expression
  if (e.kind !== 'observation' || e.comparison.kind !== 'comparison') return null
  const c = e.comparison
  if (c.operator !== 'LIKE' || c.negated || c.path.steps.length !== 1) return null
  const step = c.path.steps[0]
  // Binary properties (`_hex`, `_bin`) are compared as bytes and references are followed: not plain strings.
  if (step?.kind !== 'key' || /_(hex|bin|refs?)$/.test(step.key)) return null
  const ce = forms.canonical.expression
  const canonical = ce.kind === 'observation' && ce.comparison.kind === 'comparison' && ce.comparison.operator === 'LIKE' ? ce.comparison.value.value : c.value.value
  return { objectType: c.path.objectType, prop: step.key, raw: c.value.value, canonical }
}

/** The longest run of a LIKE literal without wildcards, in NFC as the matcher compares it: every matching value contains it. */
function requiredRun(literal: string): string {
  let best = ''
  for (const part of literal.normalize('NFC').split(/[%_]/)) if (part.length > best.length) best = part
  return best
}

/** NFC form of a value (code units below U+0300 are already in NFC: no normalisation needed). */
function nfc(v: string): string {
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x300) return v.normalize('NFC')
  return v
}

/** Substring-indexed LIKE patterns on one property of one object type. */
interface LikeProbe {
  readonly prop: string
  readonly rule: CanonicalRule
  readonly index: SubstringIndex
}

/** One substring-indexed indicator: the runs it is filed under and its compiled LIKE (as written and canonical). */
interface LikeSlot {
  readonly probe: LikeProbe
  readonly runs: readonly string[]
  /** The LIKE literal as written and in canonical form. */
  readonly rawLiteral: string
  readonly canonicalLiteral: string
  /** Compiled on first need (a `'%run%'` pattern never needs them: memory for 80,000 URL paths). */
  compiled: { readonly raw: LikePattern; readonly canonical: LikePattern } | null
  /** For `'%run%'` literals (no other wildcard, already NFC, no surrogates): the run; finding it in the value is the match. */
  readonly rawPlain: string | null
  readonly canonicalPlain: string | null
}

/** The run of a `'%run%'` LIKE literal whose match is "contains run" in UTF-16 terms too, else null. */
function plainRun(literal: string): string | null {
  if (literal.length < 3 || !literal.startsWith('%') || !literal.endsWith('%')) return null
  const run = literal.slice(1, -1)
  if (/[%_\uD800-\uDFFF]/.test(run) || run.normalize('NFC') !== run) return null
  return run
}

/** The observable index. See the module comment. */
export class ObservableIndex {
  // ---- the indicator table (one slot per indicator) ----
  private capacity = 1024
  private used = 0
  private readonly free: number[] = []
  private mode = new Uint8Array(this.capacity)
  private validFrom = new Float64Array(this.capacity)
  private validUntil = new Float64Array(this.capacity)
  private creatorOf = new Int32Array(this.capacity)
  private keyM = new Int32Array(this.capacity)
  private typeSetOf = new Int32Array(this.capacity)
  private readonly keyK: (Key | KeyRef[] | undefined)[] = []
  private readonly ids: (string | undefined)[] = []
  /** Slots by id, hashed (a hit is checked against `ids`): a Map of a million ids cost more to fill than the rest of a simple indicator. */
  private readonly idSlots = new HashedCells()
  private readonly scratch: number[] = []
  private readonly creators: string[] = []
  private readonly creatorIds = new Map<string, number>()
  private readonly typeSets: (readonly string[])[] = []
  private readonly typeSetIds = new Map<string, number>()
  private live = 0

  // ---- keys ----
  private readonly maps: Map<Key, Values>[] = []
  /** String keys of all maps: most probes miss, and the filter answers those without a Map probe. */
  private readonly bloom = new BloomFilter()
  private stringKeys = 0
  private readonly mapInfo: MapInfo[] = []
  private readonly mapIds = new Map<string, number>()
  /** mapFor's answers by object type and path as given (no key string to build per indicator). */
  private readonly mapsByPath = new Map<string, Map<string, number>>()
  private readonly probes = new Map<string, Probe[]>()
  private readonly hashProbes = new Map<string, Map<string, number>>()
  private readonly tries: PrefixTrie[] = []
  private readonly trieOfType = new Map<string, number>()
  private readonly trieType: string[] = []

  // ---- confirm and fallback patterns ----
  private readonly texts = new Map<number, string>()
  private readonly parsed = new Map<number, PatternForms>()
  private readonly fallback = new Map<number, { forms: PatternForms; types: string[] }>()
  private readonly fallbackByType = new Map<string, Set<number>>()
  // ---- LIKE patterns with a literal run (substring index) ----
  private readonly likeProbes = new Map<string, LikeProbe[]>()
  private readonly likeOf = new Map<number, LikeSlot>()

  /** Indicators currently indexed (any mode). */
  get size(): number {
    return this.live
  }

  /** Whether an indicator id is indexed. */
  has(id: string): boolean {
    return this.slotOf(id) !== undefined
  }

  /** Ids of the indexed indicators (in slot order). */
  *indicatorIds(): IterableIterator<string> {
    for (const id of this.ids) if (id !== undefined) yield id
  }

  /** The slot of an indexed indicator. */
  private slotOf(id: string): number | undefined {
    const found = this.scratch
    found.length = 0
    this.idSlots.get(id, found)
    for (const s of found) if (this.ids[s] === id) return s
    return undefined
  }

  /**
   * Adds an indicator, or replaces the indexed version with the same id (a new version). A revoked
   * indicator removes the old version and is not indexed. On error nothing changes.
   */
  add(ind: IndexableIndicator): Result<AddOutcome, AddError> {
    if (ind.pattern_type !== undefined && ind.pattern_type !== 'stix') return err({ code: 'not_stix', message: `pattern_type '${ind.pattern_type}' is not indexed (only 'stix')` })
    if (ind.revoked === true) {
      this.remove(ind.id)
      return ok({ mode: 'removed', keys: 0 })
    }
    // Most indicators are one equality (`[domain-name:value = '…']`), and many others one bracket of
    // equalities joined by AND: read those without the parser.
    const simple = typeof ind.pattern === 'string' ? simpleEqualityLookup(ind.pattern) : null
    const read = simple === null && typeof ind.pattern === 'string' ? conjunctionCover(ind.pattern) : null
    let pattern: Pattern | null = null
    if (simple === null && read === null) {
      if (typeof ind.pattern === 'string') {
        const r = parsePattern(ind.pattern)
        if (!r.ok) return err({ code: 'pattern_invalid', message: r.error.message, pattern: r.error })
        pattern = r.value
      } else pattern = ind.pattern
    }
    const from = this.timeMs(ind.valid_from, -Infinity)
    const until = this.timeMs(ind.valid_until, Infinity)
    if (from === null) return err({ code: 'invalid_time', message: 'valid_from is not a STIX timestamp' })
    if (until === null) return err({ code: 'invalid_time', message: 'valid_until is not a STIX timestamp' })

    const lookups: PatternLookups | null =
      pattern !== null ? indexLookups(pattern) : read !== null ? { observations: [{ expression: 0, lookups: read.lookups }], needsFullEvaluation: read.needsFullEvaluation } : null
    const indexed = pattern === null || hasCover(pattern, (lookups as PatternLookups).observations.map((o) => o.lookups !== null))
    // Without an exact cover, a lone `LIKE` with a literal run goes to the substring index (short runs to its bounded short list).
    let like: { shape: LikeShape; runs: string[]; forms: PatternForms } | null = null
    if (!indexed && pattern !== null) {
      const forms = patternForms(pattern)
      const shape = likeShape(forms)
      if (shape) {
        const runs = [...new Set([requiredRun(shape.raw), requiredRun(shape.canonical)])]
        const probe = this.likeProbes.get(shape.objectType)?.find((x) => x.prop === shape.prop)
        if (probe ? probe.index.accepts(runs) : runs.every((r) => r.length > 0)) like = { shape, runs, forms }
      }
    }
    const replacing = this.slotOf(ind.id)
    const replacingFallback = replacing !== undefined && this.mode[replacing] === FALLBACK
    if (!indexed && like === null && this.fallback.size - (replacingFallback ? 1 : 0) >= INDEX_LIMITS.maxFallbackPatterns) {
      return err({ code: 'fallback_full', message: `the pattern has no indexable comparison and the fallback list is full (${INDEX_LIMITS.maxFallbackPatterns} patterns)` })
    }
    if (replacing !== undefined) this.remove(ind.id)

    const slot = this.allocate()
    this.ids[slot] = ind.id
    this.idSlots.add(ind.id, slot)
    this.validFrom[slot] = from
    this.validUntil[slot] = until
    this.creatorOf[slot] = ind.created_by_ref === undefined ? -1 : this.creatorId(ind.created_by_ref)
    this.live++

    if (like !== null) {
      const p = pattern as Pattern
      this.mode[slot] = SUBSTRING
      this.texts.set(slot, typeof ind.pattern === 'string' ? ind.pattern : printPattern(p))
      this.typeSetOf[slot] = this.typeSetId([like.shape.objectType])
      const probe = this.likeProbeFor(like.shape.objectType, like.shape.prop)
      for (const r of like.runs) probe.index.add(r, slot)
      this.likeOf.set(slot, {
        probe,
        runs: like.runs,
        rawLiteral: like.shape.raw,
        canonicalLiteral: like.shape.canonical,
        compiled: null,
        rawPlain: plainRun(like.shape.raw),
        canonicalPlain: plainRun(like.shape.canonical),
      })
      this.keyM[slot] = NO_KEY
      return ok({ mode: 'substring', keys: like.runs.length })
    }
    if (!indexed) {
      const p = pattern as Pattern
      const types = typesOf(p)
      this.mode[slot] = FALLBACK
      this.fallback.set(slot, { forms: patternForms(p), types })
      for (const t of types) {
        let s = this.fallbackByType.get(t)
        if (!s) this.fallbackByType.set(t, (s = new Set()))
        s.add(slot)
      }
      this.keyM[slot] = NO_KEY
      return ok({ mode: 'fallback', keys: 0 })
    }
    if (lookups === null) {
      // One equality (simpleEqualityLookup): one key, filed without building a list.
      const l = simple as ExactLookup
      const m = this.mapFor(l.objectType, l.path, true) as number
      const info = this.mapInfo[m] as MapInfo
      const k = canonicalValue(info.rule, l.values[0] as string | number, info.alg)
      this.mode[slot] = EXACT
      this.insertKey(m, k, slot)
      this.keyM[slot] = m
      this.keyK[slot] = k
      return ok({ mode: 'exact', keys: 1 })
    }
    this.mode[slot] = lookups.needsFullEvaluation ? CONFIRM : EXACT
    if (lookups.needsFullEvaluation) {
      this.texts.set(slot, typeof ind.pattern === 'string' ? ind.pattern : printPattern(pattern as Pattern))
      this.typeSetOf[slot] = this.typeSetId(read !== null ? read.types : typesOf(pattern as Pattern))
    }
    const refs = this.keysOf(lookups.observations.flatMap((o) => o.lookups ?? []))
    for (const r of refs) this.insertKey(r.m, r.k, slot)
    if (refs.length === 1) {
      const r = refs[0] as KeyRef
      this.keyM[slot] = r.m
      this.keyK[slot] = r.k
    } else {
      this.keyM[slot] = MANY_KEYS
      this.keyK[slot] = refs
    }
    return ok({ mode: MODE_NAMES[this.mode[slot] as number] as IndexMode, keys: refs.length })
  }

  /** Removes an indicator (revoked, expired, deleted). Returns whether it was indexed. */
  remove(id: string): boolean {
    const slot = this.slotOf(id)
    if (slot === undefined) return false
    const m = this.keyM[slot] as number
    if (m === MANY_KEYS) for (const r of this.keyK[slot] as KeyRef[]) this.removeKey(r, slot)
    else if (m !== NO_KEY) this.removeKey({ m, k: this.keyK[slot] as Key }, slot)
    const fb = this.fallback.get(slot)
    if (fb) {
      for (const t of fb.types) {
        const s = this.fallbackByType.get(t)
        s?.delete(slot)
        if (s?.size === 0) this.fallbackByType.delete(t)
      }
      this.fallback.delete(slot)
    }
    const like = this.likeOf.get(slot)
    if (like) {
      for (const r of like.runs) like.probe.index.remove(r, slot)
      this.likeOf.delete(slot)
    }
    this.texts.delete(slot)
    this.parsed.delete(slot)
    this.mode[slot] = FREE
    this.keyM[slot] = NO_KEY
    this.keyK[slot] = undefined
    this.ids[slot] = undefined
    this.idSlots.remove(id, slot)
    this.free.push(slot)
    this.live--
    return true
  }

  /** How many indexed indicators share the canonical form of a value (0 when none). */
  fanout(objectType: string, path: string, value: string | number): number {
    const m = this.mapFor(objectType, path, false)
    if (m === undefined) return 0
    const info = this.mapInfo[m] as { path: string }
    const alg = info.path.startsWith('hashes.') ? canonicalHashAlgorithm(unquoteKey(info.path.slice(7))) : ''
    const rule = alg !== '' ? 'hash' : ruleFor(objectType, path)
    return cellSize((this.maps[m] as Map<Key, Values>).get(canonicalValue(rule, value, alg)))
  }

  /** Sizes, for memory reports. */
  stats(): { indicators: number; exact: number; confirm: number; substring: number; fallback: number; keys: number; subnets: number } {
    let exact = 0
    let confirm = 0
    for (let s = 0; s < this.used; s++) {
      if (this.mode[s] === EXACT) exact++
      else if (this.mode[s] === CONFIRM) confirm++
    }
    let keys = 0
    for (const m of this.maps) keys += m.size
    let subnets = 0
    for (const t of this.tries) subnets += t.stats().blocks
    return { indicators: this.live, exact, confirm, substring: this.likeOf.size, fallback: this.fallback.size, keys, subnets }
  }

  /**
   * Correlates one observation made of these cyber-observable objects (e.g. a single
   * `{type: 'ipv4-addr', value: '198.51.100.7'}`), observed at `now`. References between them
   * resolve by `id`.
   */
  matchObjects(objects: readonly unknown[], options: QueryOptions): CorrelationResult {
    if (!Number.isFinite(options.now)) throw new RangeError('now must be a finite number of milliseconds')
    const q = new Query(options.now)
    q.wantPartial = options.partial !== false
    this.probeObservation(objects, q)
    if (q.hits === null && this.fallback.size === 0) return NOTHING
    const r = new Results(options.maxEvaluations ?? INDEX_LIMITS.maxEvaluationsPerQuery)
    this.settle(q, r)
    return { matches: r.matches, partial: r.partials, errors: r.errors, truncated: r.truncated }
  }

  /**
   * Correlates many observations in one call, without allocating per observation (one query state
   * is reused; only matches allocate). Each element of `observables` is one observation: a single
   * cyber-observable object, or an array of them (as `matchObjects` takes). Matches are passed to
   * `onMatch` with the element's position, in the order `matchObjects` would return them; partial
   * hits are not collected. The result is the same, element by element, as
   * `matchObjects(element, { ...options, partial: false })` (property-tested).
   */
  matchEach(observables: readonly unknown[], options: Omit<QueryOptions, 'partial'>, onMatch: (query: number, match: IndicatorMatch) => void): BatchOutcome {
    if (!Number.isFinite(options.now)) throw new RangeError('now must be a finite number of milliseconds')
    const sink = new BatchSink(onMatch, options.maxEvaluations ?? INDEX_LIMITS.maxEvaluationsPerQuery)
    const q = new Query(options.now)
    q.wantPartial = false
    for (let i = 0; i < observables.length; i++) {
      const x = observables[i]
      q.reset()
      if (Array.isArray(x)) this.probeObservation(x, q)
      else {
        if (isObject(x) && typeof x.type === 'string') q.types.push(x.type)
        this.probeObject(x, 0, q)
        q.single = x
        q.singleObject = true
      }
      if ((q.hits === null || q.hits.size === 0) && this.fallback.size === 0) continue
      sink.start(i)
      this.settle(q, sink)
      if (sink.truncated) sink.truncatedQueries++
    }
    return { queries: observables.length, matched: sink.matched, errors: sink.errors, truncated: sink.truncatedQueries }
  }

  /**
   * Correlates observed-data objects (2.0 `objects` and/or 2.1 `object_refs` resolved against
   * `scos`), as one batch: multi-observation patterns can match across them. Fails with
   * `observation_invalid` when an observed-data object lacks usable times or counts.
   */
  matchObservedData(observed: readonly unknown[], options: QueryOptions & { readonly scos?: ScoSource }): Result<CorrelationResult, MatchError> {
    if (!Number.isFinite(options.now)) throw new RangeError('now must be a finite number of milliseconds')
    const forms = prepareObservationForms(observed, options.scos)
    if (!forms.ok) return forms
    let scoMap: ReadonlyMap<string, unknown> | undefined
    if (options.scos instanceof Map) scoMap = options.scos as ReadonlyMap<string, unknown>
    else if (Array.isArray(options.scos)) {
      const m = new Map<string, unknown>()
      for (const o of options.scos as readonly unknown[]) if (isObject(o) && typeof o.id === 'string') m.set(o.id, o)
      scoMap = m
    }
    const q = new Query(options.now)
    q.forms = forms.value
    q.wantPartial = options.partial !== false
    const perObservation = observed.map((od) => {
      const objects = new Map<string, unknown>()
      if (!isObject(od)) return objects
      // The same objects the matcher sees: the `objects` dictionary, then resolvable `object_refs`.
      if (isObject(od.objects)) for (const [k, v] of Object.entries(od.objects)) objects.set(k, v)
      if (Array.isArray(od.object_refs)) {
        for (const ref of od.object_refs as unknown[]) {
          if (typeof ref !== 'string') continue
          const sco = scoMap?.get(ref)
          if (sco !== undefined) objects.set(ref, sco)
        }
      }
      return objects
    })
    if (!q.wantPartial)
      for (const objects of perObservation) for (const o of objects.values()) if (isObject(o) && typeof o.type === 'string' && !q.types.includes(o.type)) q.types.push(o.type)
    perObservation.forEach((objects, i) => {
      for (const o of objects.values()) this.probeObject(o, i, q)
    })
    const r = new Results(options.maxEvaluations ?? INDEX_LIMITS.maxEvaluationsPerQuery)
    this.settle(q, r)
    return ok({ matches: r.matches, partial: r.partials, errors: r.errors, truncated: r.truncated })
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Probes the objects of one observation (a later object with the same id replaces an earlier one). */
  private probeObservation(objects: readonly unknown[], q: Query): void {
    const probed = objects.length === 1 ? objects : Object.values(objectsById(objects))
    if (!q.wantPartial) for (const o of probed) if (isObject(o) && typeof o.type === 'string' && !q.types.includes(o.type)) q.types.push(o.type)
    for (const o of probed) this.probeObject(o, 0, q)
    q.objects = objects
    q.singleObject = probed.length === 1
  }

  private isLive(slot: number, now: number): boolean {
    return this.mode[slot] !== FREE && (this.validFrom[slot] as number) <= now && now < (this.validUntil[slot] as number)
  }

  /** True when the query has an object of a type the slot's pattern needs (else it cannot match). */
  private typesPresent(slot: number, types: readonly string[]): boolean {
    const needs = this.typeSets[this.typeSetOf[slot] as number] as readonly string[]
    for (const t of needs) if (types.includes(t)) return true
    return false
  }

  private record(q: Query, slot: number, value: IndexedValue, obs: number): void {
    // Without partial results, a candidate that cannot match is not worth remembering (types are known up front then).
    if (!q.wantPartial && this.mode[slot] !== EXACT && !this.typesPresent(slot, q.types)) return
    const hits = (q.hits ??= new Map())
    let h = hits.get(slot)
    if (!h) hits.set(slot, (h = { values: [], observations: [], unsure: false }))
    let known = false
    for (const v of h.values) if (v.objectType === value.objectType && v.path === value.path && v.value === value.value) known = true
    if (!known) h.values.push(value)
    if (!h.observations.includes(obs)) h.observations.push(obs)
  }

  private probeCell(cell: Values | undefined, m: number, k: Key, obs: number, q: Query, objectType?: string): void {
    if (cell === undefined) return
    const info = this.mapInfo[m] as { objectType: string; path: string }
    const value: IndexedValue = { objectType: objectType ?? info.objectType, path: info.path, value: k, indicators: cellSize(cell) }
    if (typeof cell === 'number') {
      if (this.isLive(cell, q.now)) this.record(q, cell, value, obs)
    } else for (const s of cell) if (this.isLive(s, q.now)) this.record(q, s, value, obs)
  }

  /** The canonical form of the probed object's `value` under `rule`, computed once per object (see probeObject). */
  private valueRule: CanonicalRule | undefined
  private valueCanonical: Key = ''
  private canonicalOfValue(rule: CanonicalRule, v: string | number): Key {
    if (this.valueRule !== rule) {
      this.valueRule = rule
      this.valueCanonical = canonicalValue(rule, v)
    }
    return this.valueCanonical
  }

  private probeObject(o: unknown, obs: number, q: Query): void {
    if (!isObject(o) || typeof o.type !== 'string') return
    const type = o.type
    if (!q.types.includes(type)) q.types.push(type)
    // The canonical `value` is computed once per object (an address or URL parse is the costly part
    // of a probe, and both the typed and the reference probes need it).
    this.valueRule = undefined
    const probes = this.probes.get(type)
    if (probes) {
      for (const p of probes) {
        const v = o[p.prop]
        if (typeof v !== 'string' && typeof v !== 'number') continue
        const k = p.prop === 'value' ? this.canonicalOfValue(p.rule, v) : canonicalValue(p.rule, v)
        this.probeCell(this.cellOf(p.m, k), p.m, k, obs, q)
      }
    }
    const any = this.probes.get(ANY_TYPE)
    if (any && typeof o.value === 'string') {
      // Values reached through references (cover.ts): as given and in the type's canonical form.
      const m = (any[0] as Probe).m
      const canonical = this.canonicalOfValue(ruleFor(type, 'value'), o.value)
      this.probeCell(this.cellOf(m, o.value), m, o.value, obs, q, type)
      if (canonical !== o.value) this.probeCell(this.cellOf(m, canonical), m, canonical, obs, q, type)
    }
    const t = this.trieOfType.get(type)
    if (t !== undefined && typeof o.value === 'string') {
      const net = parseIpOrCidr(o.value)
      if (net) {
        const slots = [...new Set((this.tries[t] as PrefixTrie).containing(net))]
        const value: IndexedValue = { objectType: type, path: 'value', value: formatNetwork(net), indicators: slots.length }
        for (const s of slots) if (this.isLive(s, q.now)) this.record(q, s, value, obs)
      }
    }
    const hp = this.hashProbes.get(type)
    if (hp && isObject(o.hashes)) {
      for (const [alg, v] of Object.entries(o.hashes)) {
        if (typeof v !== 'string') continue
        const a = canonicalHashAlgorithm(alg)
        const m = hp.get(a)
        if (m === undefined) continue
        const k = canonicalHash(a, v)
        this.probeCell(this.cellOf(m, k), m, k, obs, q)
      }
    }
    const lp = this.likeProbes.get(type)
    if (lp) for (const p of lp) if (Object.hasOwn(o, p.prop) && typeof o[p.prop] === 'string') this.probeLike(p, type, o[p.prop] as string, obs, q)
  }

  // State of the LIKE probe in progress (read by likeVisit, which the substring index calls).
  private likeQuery: Query | null = null
  private likeObs = 0
  private likeType = ''
  private likeProbe: LikeProbe | null = null
  private likeRaw = ''
  private likeCanonical = ''
  /** Whether the text being searched is the value in NFC as given, and/or in canonical form. */
  private likeInRaw = false
  private likeInCanonical = false
  private readonly likeBudget = { remaining: 0 }

  /** Candidates from the substring index, confirmed with the LIKE matcher on the value as given and in canonical form. */
  private probeLike(p: LikeProbe, type: string, v: string, obs: number, q: Query): void {
    const canonical = canonicalValue(p.rule, v)
    this.likeQuery = q
    this.likeObs = obs
    this.likeType = type
    this.likeProbe = p
    this.likeRaw = v
    this.likeCanonical = canonical
    const raw = nfc(v)
    const c = canonical === v ? raw : nfc(canonical)
    this.likeInRaw = true
    this.likeInCanonical = c === raw
    p.index.search(raw, this.likeVisit)
    if (c !== raw) {
      this.likeInRaw = false
      this.likeInCanonical = true
      p.index.search(c, this.likeVisit)
    }
    this.likeQuery = null
  }

  private readonly likeVisit = (slot: number, literal: string): void => {
    const q = this.likeQuery as Query
    if (!this.isLive(slot, q.now)) return
    const like = this.likeOf.get(slot) as LikeSlot
    const budget = this.likeBudget
    budget.remaining = PATTERN_LIMITS.maxMatchSteps
    // A `'%run%'` pattern whose run was found in the form it is compared in has matched; others are checked.
    const plain = (this.likeInRaw && like.rawPlain === literal) || (this.likeInCanonical && like.canonicalPlain === literal)
    let matched = plain
    if (!matched) {
      const c = (like.compiled ??= { raw: compileLike(like.rawLiteral), canonical: compileLike(like.canonicalLiteral) })
      matched = likeMatches(c.raw, this.likeRaw, budget) || likeMatches(c.canonical, this.likeCanonical, budget)
    }
    const unsure = !matched && budget.remaining < 0
    if (!matched && !unsure) return
    const p = this.likeProbe as LikeProbe
    this.record(q, slot, { objectType: this.likeType, path: p.prop, value: this.likeRaw, indicators: p.index.count(literal) }, this.likeObs)
    if (unsure) (q.hits?.get(slot) as Hit).unsure = true
  }

  private formsOf(slot: number): PatternForms {
    const fb = this.fallback.get(slot)
    if (fb) return fb.forms
    const cached = this.parsed.get(slot)
    if (cached) {
      this.parsed.delete(slot)
      this.parsed.set(slot, cached)
      return cached
    }
    const r = parsePattern(this.texts.get(slot) as string)
    // The text parsed when it was added; the same parser accepts it again.
    if (!r.ok) throw new Error(`indexed pattern no longer parses: ${r.error.message}`)
    const forms = patternForms(r.value)
    this.parsed.set(slot, forms)
    if (this.parsed.size > INDEX_LIMITS.parsedPatternCache) this.parsed.delete(this.parsed.keys().next().value as number)
    return forms
  }

  private matchOf(slot: number, via: 'index' | 'fallback', values: readonly IndexedValue[], observations: readonly number[]): IndicatorMatch {
    const c = this.creatorOf[slot] as number
    const indicator = this.ids[slot] as string
    return c < 0 ? { indicator, via, values, observations } : { indicator, createdBy: this.creators[c] as string, via, values, observations }
  }

  private partialOf(slot: number, values: readonly IndexedValue[]): PartialMatch {
    const c = this.creatorOf[slot] as number
    const indicator = this.ids[slot] as string
    return c < 0 ? { indicator, values } : { indicator, createdBy: this.creators[c] as string, values }
  }

  /** Evaluates one candidate's whole pattern against the query's observations. */
  private evaluate(q: Query, r: Sink, slot: number, via: 'index' | 'fallback', hit: Hit | undefined): void {
    if (r.evaluations >= r.maxEvaluations) {
      r.truncated = true
      return
    }
    r.evaluations++
    const f = q.observationForms()
    if (!f.ok) {
      r.error(this.ids[slot] as string, f.error)
      return
    }
    const m = matchEitherForm(this.formsOf(slot), f.value)
    if (!m.ok) r.error(this.ids[slot] as string, m.error)
    else if (m.value.matched) r.match(this.matchOf(slot, via, hit?.values ?? [], m.value.observations))
    else if (hit && q.wantPartial) r.partial(this.partialOf(slot, hit.values))
  }

  /** Turns a probed query's hits (and the fallback patterns) into matches, partial hits and errors. */
  private settle(q: Query, r: Sink): void {
    if (q.hits !== null) {
      for (const [slot, hit] of q.hits) {
        const mode = this.mode[slot]
        // A LIKE confirmed on the only object of the observation is what the matcher would answer.
        if (mode === EXACT || (mode === SUBSTRING && q.singleObject && !hit.unsure)) {
          if (hit.observations.length > 1) hit.observations.sort(ascending)
          r.match(this.matchOf(slot, 'index', hit.values, hit.observations))
          continue
        }
        // A pattern needs an object of a type it names: without one it cannot match (no evaluation).
        if (this.typesPresent(slot, q.types)) this.evaluate(q, r, slot, 'index', hit)
        else r.partial(this.partialOf(slot, hit.values))
      }
    }
    if (this.fallback.size > 0) {
      const seen = new Set<number>()
      for (const t of q.types) {
        const slots = this.fallbackByType.get(t)
        if (!slots) continue
        for (const s of slots) {
          if (seen.has(s)) continue
          seen.add(s)
          if (this.isLive(s, q.now)) this.evaluate(q, r, s, 'fallback', undefined)
        }
      }
    }
  }

  private allocate(): number {
    const reused = this.free.pop()
    if (reused !== undefined) return reused
    if (this.used === this.capacity) {
      const cap = this.capacity * 2
      const grow = <A extends Uint8Array | Int32Array | Float64Array>(a: A, make: (n: number) => A): A => {
        const b = make(cap)
        b.set(a)
        return b
      }
      this.mode = grow(this.mode, (n) => new Uint8Array(n))
      this.validFrom = grow(this.validFrom, (n) => new Float64Array(n))
      this.validUntil = grow(this.validUntil, (n) => new Float64Array(n))
      this.creatorOf = grow(this.creatorOf, (n) => new Int32Array(n))
      this.keyM = grow(this.keyM, (n) => new Int32Array(n))
      this.typeSetOf = grow(this.typeSetOf, (n) => new Int32Array(n))
      this.capacity = cap
    }
    return this.used++
  }

  /** The last timestamp parsed and its value: indicators of one feed share their valid_from. */
  private lastTimeText = ''
  private lastTimeMs: number | null = null
  private timeMs(s: string | undefined, fallback: number): number | null {
    if (s === undefined) return fallback
    if (s !== this.lastTimeText) {
      const t = parseStixTimestamp(s)
      this.lastTimeText = s
      this.lastTimeMs = t.ok ? t.value.epochMs : null
    }
    return this.lastTimeMs
  }

  private likeProbeFor(objectType: string, prop: string): LikeProbe {
    let list = this.likeProbes.get(objectType)
    if (!list) this.likeProbes.set(objectType, (list = []))
    let p = list.find((x) => x.prop === prop)
    if (!p) list.push((p = { prop, rule: ruleFor(objectType, prop), index: new SubstringIndex() }))
    return p
  }

  /** Interned sets of object types (patterns share a handful). */
  private typeSetId(types: readonly string[]): number {
    const sorted = types.length === 1 ? types : [...types].sort()
    const name = sorted.length === 1 ? (sorted[0] as string) : sorted.join('\u0000')
    let id = this.typeSetIds.get(name)
    if (id === undefined) {
      id = this.typeSets.length
      this.typeSets.push(sorted)
      this.typeSetIds.set(name, id)
    }
    return id
  }

  private creatorId(ref: string): number {
    let c = this.creatorIds.get(ref)
    if (c === undefined) {
      c = this.creators.length
      this.creators.push(ref)
      this.creatorIds.set(ref, c)
    }
    return c
  }

  /** The exact map for a type and a path as extractLookups prints it (created on demand). */
  private mapFor(objectType: string, path: string, create: boolean): number | undefined {
    const known = this.mapsByPath.get(objectType)?.get(path)
    if (known !== undefined) return known
    let prop = path
    let alg = ''
    if (HASHED_TYPES.has(objectType) && path.startsWith('hashes.')) {
      alg = canonicalHashAlgorithm(unquoteKey(path.slice(7)))
      prop = 'hashes'
    }
    const name = `${objectType}\u0000${prop}\u0000${alg}`
    let m = this.mapIds.get(name)
    if (m !== undefined) this.cacheMap(objectType, path, m)
    if (m !== undefined || !create) return m
    m = this.maps.length
    this.maps.push(new Map())
    this.mapInfo.push({ objectType, path: alg === '' ? prop : `hashes.${formatKey(alg)}`, rule: alg !== '' ? 'hash' : ruleFor(objectType, prop), alg })
    this.mapIds.set(name, m)
    if (alg !== '') {
      let hp = this.hashProbes.get(objectType)
      if (!hp) this.hashProbes.set(objectType, (hp = new Map()))
      hp.set(alg, m)
    } else {
      const list = this.probes.get(objectType) ?? []
      list.push({ prop, rule: ruleFor(objectType, prop), m })
      this.probes.set(objectType, list)
    }
    this.cacheMap(objectType, path, m)
    return m
  }

  private cacheMap(objectType: string, path: string, m: number): void {
    let byPath = this.mapsByPath.get(objectType)
    if (!byPath) this.mapsByPath.set(objectType, (byPath = new Map()))
    byPath.set(path, m)
  }

  private trieFor(objectType: string): number {
    let t = this.trieOfType.get(objectType)
    if (t === undefined) {
      t = this.tries.length
      this.tries.push(new PrefixTrie())
      this.trieType.push(objectType)
      this.trieOfType.set(objectType, t)
    }
    return t
  }

  /** Distinct key references of a list of lookups (values canonicalised). */
  private keysOf(lookups: readonly ExactLookup[]): KeyRef[] {
    const only = lookups.length === 1 ? (lookups[0] as ExactLookup) : null
    if (only !== null && only.match === 'exact' && only.values.length === 1) {
      // One value (most covers): nothing to deduplicate.
      const m = this.mapFor(only.objectType, only.path, true) as number
      const { rule, alg } = this.mapInfo[m] as MapInfo
      return [{ m, k: canonicalValue(rule, only.values[0] as string | number, alg) }]
    }
    const out: KeyRef[] = []
    const seen = new Set<string>()
    for (const l of lookups) {
      if (l.match === 'subnet') {
        const net = parseIpOrCidr(String(l.values[0]))
        if (!net) continue
        const ref = { m: TRIE_BASE + this.trieFor(l.objectType), k: formatNetwork(net) }
        const id = `${ref.m}\u0000${ref.k}`
        if (!seen.has(id)) out.push(ref)
        seen.add(id)
        continue
      }
      const m = this.mapFor(l.objectType, l.path, true) as number
      const { rule, alg } = this.mapInfo[m] as MapInfo
      for (const v of l.values) {
        const k = canonicalValue(rule, v, alg)
        const id = `${m}\u0000${typeof k}\u0000${k}`
        if (seen.has(id)) continue
        seen.add(id)
        out.push({ m, k })
      }
    }
    return out
  }

  private insertKey(m: number, k: Key, slot: number): void {
    if (m >= TRIE_BASE) {
      ;(this.tries[m - TRIE_BASE] as PrefixTrie).insert(parseIpOrCidr(k as string) as NonNullable<ReturnType<typeof parseIpOrCidr>>, slot)
      return
    }
    const map = this.maps[m] as Map<Key, Values>
    const cell = map.get(k)
    if (cell === undefined) {
      map.set(k, slot)
      if (typeof k === 'string') {
        this.stringKeys++
        this.bloom.add(k)
        if (this.bloom.full) this.rebuildBloom()
      }
    } else if (typeof cell === 'number') map.set(k, [cell, slot])
    else cell.push(slot)
  }

  /** Starts the Bloom filter over, sized for twice the string keys stored (so it is rebuilt each time they quadruple, not double). */
  private rebuildBloom(): void {
    this.bloom.reset(this.stringKeys * 2)
    for (const m of this.maps) for (const k of m.keys()) if (typeof k === 'string') this.bloom.add(k)
  }

  /** The cell of a key (the Bloom filter first: a miss costs no Map probe). */
  private cellOf(m: number, k: Key): Values | undefined {
    if (typeof k === 'string' && !this.bloom.mayHave(k)) return undefined
    return (this.maps[m] as Map<Key, Values>).get(k)
  }

  private removeKey(r: KeyRef, slot: number): void {
    if (r.m >= TRIE_BASE) {
      const net = parseIpOrCidr(r.k as string)
      if (net) (this.tries[r.m - TRIE_BASE] as PrefixTrie).remove(net, slot)
      return
    }
    const map = this.maps[r.m] as Map<Key, Values>
    const cell = map.get(r.k)
    if (cell === undefined) return
    if (typeof cell === 'number') {
      if (cell === slot) {
        map.delete(r.k)
        if (typeof r.k === 'string') this.stringKeys--
      }
      return
    }
    const i = cell.indexOf(slot)
    if (i >= 0) cell.splice(i, 1)
    if (cell.length === 1) map.set(r.k, cell[0] as number)
    else if (cell.length === 0) {
      map.delete(r.k)
      if (typeof r.k === 'string') this.stringKeys--
    }
  }
}

/** The observation's objects by id, as the matcher sees them (a later object with the same id wins). */
function objectsById(objects: readonly unknown[]): Record<string, unknown> {
  const dict: Record<string, unknown> = {}
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]
    dict[isObject(o) && typeof o.id === 'string' ? o.id : `#${i}`] = o
  }
  return dict
}

/** One query's state: what the probes hit, the object types seen, the observations (prepared on demand). */
class Query {
  hits: Map<number, Hit> | null = null
  readonly types: string[] = []
  /** Collect partial hits (QueryOptions.partial); when false, `types` is filled before probing. */
  wantPartial = true
  /** For matchObjects: the SCOs of the one observation. */
  objects: readonly unknown[] | null = null
  /** For matchEach: the one SCO of the observation (`objects` is then null). */
  single: unknown = undefined
  /** One observation with exactly one distinct object (a confirmed LIKE on it is a match). */
  singleObject = false
  forms: ObservationForms | null = null
  private failure: MatchError | null = null

  constructor(readonly now: number) {}

  /** Empties the query for the next observation (matchEach reuses one). */
  reset(): void {
    this.hits?.clear()
    this.types.length = 0
    this.objects = null
    this.single = undefined
    this.singleObject = false
    this.forms = null
    this.failure = null
  }

  observationForms(): Result<ObservationForms, MatchError> {
    if (this.forms) return ok(this.forms)
    if (this.failure) return err(this.failure)
    const when = new Date(this.now).toISOString()
    const objects = this.objects ?? (this.single === undefined ? [] : [this.single])
    const observed = [{ type: 'observed-data', first_observed: when, last_observed: when, number_observed: 1, objects: objectsById(objects) }]
    const r = prepareObservationForms(observed)
    if (r.ok) this.forms = r.value
    else this.failure = r.error
    return r
  }
}

/** Where settle puts what it finds (one query's arrays, or matchEach's callback). */
interface Sink {
  evaluations: number
  truncated: boolean
  readonly maxEvaluations: number
  match(m: IndicatorMatch): void
  partial(p: PartialMatch): void
  error(indicator: string, error: MatchError): void
}

class Results implements Sink {
  readonly matches: IndicatorMatch[] = []
  readonly partials: PartialMatch[] = []
  readonly errors: { indicator: string; error: MatchError }[] = []
  truncated = false
  evaluations = 0
  constructor(readonly maxEvaluations: number) {}
  partial(p: PartialMatch): void {
    this.partials.push(p)
  }
  match(m: IndicatorMatch): void {
    this.matches.push(m)
  }
  error(indicator: string, error: MatchError): void {
    this.errors.push({ indicator, error })
  }
}

class BatchSink implements Sink {
  evaluations = 0
  truncated = false
  matched = 0
  truncatedQueries = 0
  private query = 0
  readonly errors: { query: number; indicator: string; error: MatchError }[] = []
  constructor(
    private readonly onMatch: (query: number, match: IndicatorMatch) => void,
    readonly maxEvaluations: number,
  ) {}
  /** Starts the next query (the evaluation budget is per query, as for matchObjects). */
  start(query: number): void {
    this.query = query
    this.evaluations = 0
    this.truncated = false
  }
  match(m: IndicatorMatch): void {
    this.matched++
    this.onMatch(this.query, m)
  }
  partial(): void {}
  error(indicator: string, error: MatchError): void {
    this.errors.push({ query: this.query, indicator, error })
  }
}
