/**
 * The small checker toolkit the STIX validator is built from: a context that collects issues with
 * RFC 6901 pointers, and property checkers (string, timestamp, reference, list, vocabulary, …)
 * composed into table-driven object definitions (see `defs-*.ts`).
 *
 * Hand-written rather than AJV: STIX needs cross-property rules (ordering of timestamps, reference
 * target types, extension-dependent custom properties) that would be custom keywords anyway, and
 * a direct walk is several times faster on the ingest path.
 */
import type { Issue } from '../shared/errors.js'
import { LIMITS } from '../shared/limits.js'
import { idType, isStixId } from './id.js'
import type { ParsedStixTimestamp } from './time.js'
import { compareParsedTimestamps, parseStixTimestamp } from './time.js'
import type { StixCategory } from './types.js'
import { stixCategory } from './types.js'
import type { EnumerationName, OpenVocabularyName } from './vocab.js'
import { ENUMERATIONS, OPEN_VOCABULARIES } from './vocab.js'

/** Most errors, and most warnings, reported for one object; the rest are counted in one closing issue. */
export const MAX_ISSUES_PER_OBJECT = 100

/** Longest pointer segment kept verbatim; longer member names (never valid STIX) are shortened. */
const MAX_SEGMENT = 256

/**
 * Collects issues while walking one value; `path` is the pointer of the value being checked.
 * Hostile input cannot make the report much bigger than a fixed budget per object: issues beyond
 * MAX_ISSUES_PER_OBJECT are only counted, and over-long member names are shortened in pointers.
 */
export class Ctx {
  readonly errors: Issue[] = []
  readonly warnings: Issue[] = []
  readonly path: (string | number)[] = []
  private errorBudget = MAX_ISSUES_PER_OBJECT
  private warningBudget = MAX_ISSUES_PER_OBJECT

  /** The RFC 6901 pointer of the current location, or of a child of it. */
  pointer(child?: string | number): string {
    let p = ''
    for (const seg of this.path) p += '/' + escapeSegment(seg)
    if (child !== undefined) p += '/' + escapeSegment(child)
    return p
  }

  error(message: string, child?: string | number): void {
    if (this.errorBudget-- > 0) this.errors.push({ pointer: this.pointer(child), message })
  }

  warn(message: string, child?: string | number): void {
    if (this.warningBudget-- > 0) this.warnings.push({ pointer: this.pointer(child), message })
  }

  /** Starts a new object: resets the per-object issue budgets. */
  beginObject(): void {
    this.errorBudget = MAX_ISSUES_PER_OBJECT
    this.warningBudget = MAX_ISSUES_PER_OBJECT
  }

  /** Ends an object: reports how many issues were left out, at the object's pointer. */
  endObject(): void {
    if (this.errorBudget < 0) this.errors.push({ pointer: this.pointer(), message: `${-this.errorBudget} more errors not shown` })
    if (this.warningBudget < 0) this.warnings.push({ pointer: this.pointer(), message: `${-this.warningBudget} more warnings not shown` })
    this.beginObject()
  }
}

function escapeSegment(seg: string | number): string {
  if (typeof seg === 'number') return String(seg)
  if (seg.length > MAX_SEGMENT) seg = `${seg.slice(0, MAX_SEGMENT)}...(${seg.length} characters)`
  return seg.includes('~') || seg.includes('/') ? seg.replace(/~/g, '~0').replace(/\//g, '~1') : seg
}

/** Checks one value; `depth` is the nesting level the value has if it is an object or array. */
export type Check = (v: unknown, ctx: Ctx, depth: number) => void

/** A plain JSON object (what JSON.parse produces), not an array, null or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const p = Object.getPrototypeOf(v) as unknown
  return p === Object.prototype || p === null
}

/** A short description of a JSON value's kind, for messages. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  switch (typeof v) {
    case 'string':
      return 'a string'
    case 'number':
      return Number.isFinite(v) ? (Number.isInteger(v) ? 'an integer' : 'a number') : `${String(v)} (not a JSON number)`
    case 'boolean':
      return 'a boolean'
    case 'object':
      return isPlainObject(v) ? 'an object' : 'a non-JSON object'
    default:
      return `${typeof v} (not a JSON value)`
  }
}

/** Reports a value of the wrong kind. */
export function typeError(ctx: Ctx, expected: string, v: unknown): void {
  if (v === null) ctx.error(`must be ${expected}, not null (omit the property instead)`)
  else ctx.error(`must be ${expected}, got ${kindOf(v)}`)
}

function tooLong(ctx: Ctx, s: string): boolean {
  if (s.length <= LIMITS.maxStringLength) return false
  ctx.error(`string is longer than the limit of ${LIMITS.maxStringLength} characters`)
  return true
}

function tooDeep(ctx: Ctx, depth: number): boolean {
  if (depth <= LIMITS.maxJsonDepth) return false
  ctx.error(`nesting is deeper than the limit of ${LIMITS.maxJsonDepth} levels`)
  return true
}

/** Options for walking JSON whose shape STIX does not define (custom properties and extensions). */
export interface WalkOptions {
  /** Warn about nested `*_ref`/`*_refs` members that do not hold STIX identifiers. */
  readonly refs: boolean
}

/**
 * A property that STIX does not define but whose name says it is a reference (§3.1 naming: `_ref`
 * holds an identifier, `_refs` a list of them): warns when the value does not fit. An empty string
 * is accepted as a "no reference" placeholder (ATT&CK ships `x_mitre_data_source_ref: ""`).
 */
export function checkRefKey(k: string, v: unknown, ctx: Ctx): void {
  if (k.endsWith('_ref')) {
    if (typeof v === 'string' ? v !== '' && !isStixId(v) : v !== null) {
      ctx.warn(`'${clip(k)}' ends in _ref but its value is not a STIX identifier (type--UUID)`, k)
    }
  } else if (k.endsWith('_refs')) {
    if (!Array.isArray(v)) ctx.warn(`'${clip(k)}' ends in _refs but is not a list of STIX identifiers`, k)
    else if (v.some((x) => typeof x !== 'string' || (x !== '' && !isStixId(x)))) ctx.warn(`'${clip(k)}' ends in _refs but not every entry is a STIX identifier (type--UUID)`, k)
  }
}

/**
 * Checks that a value is JSON within the size limits (string length, nesting depth, finite numbers,
 * no undefined/functions), recursing into arrays and objects.
 */
export function walkJson(v: unknown, ctx: Ctx, depth: number, opts: WalkOptions): void {
  switch (typeof v) {
    case 'string':
      tooLong(ctx, v)
      return
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(v)) ctx.error(`${String(v)} is not a JSON number`)
      return
    case 'object': {
      if (v === null) return
      if (tooDeep(ctx, depth)) return
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          ctx.path.push(i)
          if (!(i in v)) ctx.error('is not a JSON value (hole in array)')
          else walkJson(v[i], ctx, depth + 1, opts)
          ctx.path.pop()
        }
        return
      }
      if (!isPlainObject(v)) {
        ctx.error('is not a JSON value')
        return
      }
      for (const k of Object.keys(v)) {
        const x = v[k]
        if (opts.refs) checkRefKey(k, x, ctx)
        ctx.path.push(k)
        walkJson(x, ctx, depth + 1, opts)
        ctx.path.pop()
      }
      return
    }
    default:
      ctx.error(`${typeof v} is not a JSON value`)
  }
}

const WALK_PLAIN: WalkOptions = { refs: false }
const WALK_REFS: WalkOptions = { refs: true }

/** Any JSON value (size limits only). */
export const anyJson: Check = (v, ctx, depth) => walkJson(v, ctx, depth, WALK_PLAIN)
/** Any JSON value from custom content: also warns about malformed nested `_ref(s)`. */
export const customJson: Check = (v, ctx, depth) => walkJson(v, ctx, depth, WALK_REFS)

/** A string (optionally non-empty). */
export function str(opts?: { readonly nonEmpty?: boolean }): Check {
  const nonEmpty = opts?.nonEmpty === true
  return (v, ctx) => {
    if (typeof v !== 'string') return typeError(ctx, 'a string', v)
    if (tooLong(ctx, v)) return
    if (nonEmpty && v.length === 0) ctx.error('must not be empty')
  }
}

/** The plain string checker, shared. */
export const string: Check = str()

/** A boolean. */
export const bool: Check = (v, ctx) => {
  if (typeof v !== 'boolean') typeError(ctx, 'a boolean (true or false)', v)
}

/** An integer within optional bounds. */
export function int(min?: number, max?: number): Check {
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return typeError(ctx, 'an integer', v)
    if (min !== undefined && v < min) ctx.error(max !== undefined ? `must be between ${min} and ${max}` : `must be at least ${min}`)
    else if (max !== undefined && v > max) ctx.error(min !== undefined ? `must be between ${min} and ${max}` : `must be at most ${max}`)
  }
}

/** A finite number within optional bounds. */
export function num(min?: number, max?: number): Check {
  return (v, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return typeError(ctx, 'a number', v)
    if (min !== undefined && v < min) ctx.error(max !== undefined ? `must be between ${min} and ${max}` : `must be at least ${min}`)
    else if (max !== undefined && v > max) ctx.error(min !== undefined ? `must be between ${min} and ${max}` : `must be at most ${max}`)
  }
}

/** A STIX timestamp (§3.2); with `ms`, at least millisecond precision (created/modified). */
export function ts(ms = false): Check {
  return (v, ctx) => {
    if (typeof v !== 'string') return typeError(ctx, 'a timestamp string', v)
    const p = parseStixTimestamp(v)
    if (!p.ok) return ctx.error(`${p.error} (got '${clip(v)}')`)
    if (ms && p.value.fraction.length < 3) ctx.error(`must have at least millisecond precision, e.g. '${v.slice(0, 19)}.000Z'`)
  }
}

/** Shortens a value for a message. */
export function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s
}

/** Allowed target types of a reference property. */
export interface RefTarget {
  readonly allows: (type: string, category: StixCategory) => boolean
  /** Human wording, e.g. "an identity". */
  readonly desc: string
}

/** Targets limited to named types. */
export function types(...names: string[]): RefTarget {
  const s = new Set(names)
  const first = names[0] ?? ''
  const desc = names.length === 1 ? `${/^[aeiou]/.test(first) ? 'an' : 'a'} ${first}` : names.slice(0, -1).join(', ') + ' or ' + (names[names.length - 1] ?? '')
  return { allows: (t) => s.has(t), desc }
}

/** Targets limited to categories (a custom type passes when `custom` is listed). */
export function categories(desc: string, ...cats: StixCategory[]): RefTarget {
  const s = new Set(cats)
  return { allows: (_t, c) => s.has(c), desc }
}

/** A STIX identifier, optionally restricted to target types. */
export function ref(target?: RefTarget): Check {
  return (v, ctx) => {
    if (typeof v !== 'string') return typeError(ctx, 'a STIX identifier (type--UUID)', v)
    if (!isStixId(v)) return ctx.error(`'${clip(v)}' is not a STIX identifier (type--UUID, RFC 4122 UUID)`)
    if (target !== undefined) {
      const t = idType(v) as string
      if (!target.allows(t, stixCategory(t))) ctx.error(`must reference ${target.desc}, not a ${t}`)
    }
  }
}

/** A list; STIX lists must not be empty (§2.8). */
export function list(item: Check): Check {
  return (v, ctx, depth) => {
    if (!Array.isArray(v)) return typeError(ctx, 'a list', v)
    if (tooDeep(ctx, depth)) return
    if (v.length === 0) return ctx.error('must not be an empty list (omit the property instead)')
    for (let i = 0; i < v.length; i++) {
      ctx.path.push(i)
      item(v[i], ctx, depth + 1)
      ctx.path.pop()
    }
  }
}

/** A string from an open vocabulary: other values pass with a warning. */
export function ov(name: OpenVocabularyName): Check {
  const values: ReadonlySet<string> = OPEN_VOCABULARIES[name]
  return (v, ctx) => {
    if (typeof v !== 'string') return typeError(ctx, 'a string', v)
    if (tooLong(ctx, v)) return
    if (!values.has(v)) ctx.warn(`'${clip(v)}' is not in the open vocabulary ${name}`)
  }
}

/** A string from a closed enumeration. */
export function en(name: EnumerationName): Check {
  const values: ReadonlySet<string> = ENUMERATIONS[name]
  return (v, ctx) => {
    if (typeof v !== 'string') return typeError(ctx, 'a string', v)
    if (!values.has(v)) ctx.error(`'${clip(v)}' is not one of ${name}: ${[...values].join(', ')}`)
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/
/** The hex type (§2.5): an even number of hexadecimal characters. */
export const hex: Check = (v, ctx) => {
  if (typeof v !== 'string') return typeError(ctx, 'a hex string', v)
  if (tooLong(ctx, v)) return
  if (!HEX.test(v)) ctx.error('must be an even number of hexadecimal characters')
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
/** The binary type (§2.2): base64 (RFC 4648 §4). */
export const binary: Check = (v, ctx) => {
  if (typeof v !== 'string') return typeError(ctx, 'a base64 string', v)
  if (tooLong(ctx, v)) return
  if (v.length % 4 !== 0 || !BASE64.test(v)) ctx.error('must be base64 (RFC 4648) with padding')
}

const DICT_KEY = /^[a-zA-Z0-9_-]+$/

/** Checks a dictionary's keys (§2.6): ASCII letters, digits, '-' and '_', at most 250 characters. */
function dictKeys(o: Record<string, unknown>, ctx: Ctx): void {
  for (const k of Object.keys(o)) {
    if (!DICT_KEY.test(k)) ctx.error('dictionary keys may only contain a-z, A-Z, 0-9, hyphen and underscore', k)
    else if (k.length > 250) ctx.error('dictionary keys must be at most 250 characters', k)
  }
}

/** A dictionary (§2.6): a non-empty object with well-formed keys; values checked by `value`. */
export function dict(value: Check = anyJson): Check {
  return (v, ctx, depth) => {
    if (!isPlainObject(v)) return typeError(ctx, 'a dictionary (JSON object)', v)
    if (tooDeep(ctx, depth)) return
    const keys = Object.keys(v)
    if (keys.length === 0) return ctx.error('must not be an empty dictionary (omit the property instead)')
    dictKeys(v, ctx)
    for (const k of keys) {
      ctx.path.push(k)
      value(v[k], ctx, depth + 1)
      ctx.path.pop()
    }
  }
}

/** A string or a non-empty list of strings (e.g. header values that may repeat). */
export function stringOrList(): Check {
  const l = list(string)
  return (v, ctx, depth) => (Array.isArray(v) ? l(v, ctx, depth) : string(v, ctx, depth))
}

const HASH_FORMATS: ReadonlyMap<string, RegExp> = new Map([
  ['MD5', /^[a-fA-F0-9]{32}$/],
  ['SHA-1', /^[a-fA-F0-9]{40}$/],
  ['SHA-256', /^[a-fA-F0-9]{64}$/],
  ['SHA-512', /^[a-fA-F0-9]{128}$/],
  ['SHA3-256', /^[a-fA-F0-9]{64}$/],
  ['SHA3-512', /^[a-fA-F0-9]{128}$/],
])
const TLSH = /^(?:T1)?[a-fA-F0-9]{70}$/

/**
 * The hashes type (§2.7): a dictionary from hash algorithm (hashing-algorithm-ov) to hash value.
 * Values of the hex-digest algorithms must have the right length. `strict` (external references,
 * where the spec requires vocabulary keys) turns unknown algorithm names into errors.
 */
export function hashes(strict = false): Check {
  const known = OPEN_VOCABULARIES['hashing-algorithm-ov'] as ReadonlySet<string>
  return (v, ctx, depth) => {
    if (!isPlainObject(v)) return typeError(ctx, 'a hashes dictionary', v)
    if (tooDeep(ctx, depth)) return
    const keys = Object.keys(v)
    if (keys.length === 0) return ctx.error('must not be an empty dictionary (omit the property instead)')
    dictKeys(v, ctx)
    for (const k of keys) {
      const h = v[k]
      ctx.path.push(k)
      if (typeof h !== 'string') typeError(ctx, 'a hash value string', h)
      else if (!tooLong(ctx, h)) {
        const f = HASH_FORMATS.get(k)
        if (f !== undefined) {
          if (!f.test(h)) ctx.error(`is not a valid ${k} hash (hexadecimal of the right length)`)
        } else if (k === 'TLSH') {
          if (!TLSH.test(h)) ctx.warn('does not look like a TLSH digest')
        } else if (!known.has(k)) {
          const msg = `'${clip(k)}' is not in hashing-algorithm-ov (${[...known].join(', ')})`
          if (strict) ctx.error(msg)
          else ctx.warn(msg)
        } else if (h.length === 0) ctx.error('must not be empty')
      }
      ctx.path.pop()
    }
  }
}

/** An embedded (non-top-level) object type: external-reference, kill-chain-phase, extensions… */
export interface ObjectDef {
  /** Name for messages, e.g. "external reference". */
  readonly name: string
  readonly props: ReadonlyMap<string, Check>
  readonly required: readonly string[]
  /** Cross-property rules, run after the properties. */
  readonly rules?: (o: Record<string, unknown>, ctx: Ctx) => void
  /** The object must have at least one property (predefined extensions, some embedded types). */
  readonly nonEmpty?: boolean
}

/** Builds a property table. */
export function props(entries: Record<string, Check>): ReadonlyMap<string, Check> {
  return new Map(Object.entries(entries))
}

const CUSTOM_NAME = /^[a-z0-9_]{3,250}$/

/**
 * Checks the name of a property that STIX does not define (§11.1): 3–250 characters of a–z, 0–9
 * and '_'. Returns false (after reporting) when the name is invalid.
 */
export function checkCustomName(k: string, ctx: Ctx): boolean {
  if (!CUSTOM_NAME.test(k)) {
    ctx.error(`'${clip(k)}' is not a valid property name: custom property names are 3-250 characters of a-z, 0-9 and _`, k)
    return false
  }
  const c = k.charCodeAt(0)
  if (c < 97 || c > 122) ctx.warn(`property names should begin with a letter`, k)
  return true
}

/** An embedded object of the given definition. */
export function obj(def: ObjectDef): Check {
  return (v, ctx, depth) => {
    if (!isPlainObject(v)) return typeError(ctx, `an object (${def.name})`, v)
    if (tooDeep(ctx, depth)) return
    const keys = Object.keys(v)
    if (def.nonEmpty === true && keys.length === 0) ctx.error(`${def.name} must have at least one property`)
    for (const k of keys) {
      const c = def.props.get(k)
      if (c !== undefined) {
        ctx.path.push(k)
        c(v[k], ctx, depth + 1)
        ctx.path.pop()
      } else if (checkCustomName(k, ctx)) {
        ctx.warn(`'${k}' is not a property of ${def.name} in STIX 2.1`, k)
        ctx.path.push(k)
        customJson(v[k], ctx, depth + 1)
        ctx.path.pop()
      }
    }
    for (const r of def.required) if (!Object.hasOwn(v, r)) ctx.error(`required property '${r}' of ${def.name} is missing`, r)
    def.rules?.(v, ctx)
  }
}

/** Parses a property of `o` if it is a valid timestamp. */
export function tsOf(o: Record<string, unknown>, k: string): ParsedStixTimestamp | null {
  const v = o[k]
  if (typeof v !== 'string') return null
  const p = parseStixTimestamp(v)
  return p.ok ? p.value : null
}

/**
 * Reports at `/later` when both timestamps are valid and `later` is before `earlier` (or equal to
 * it, when `strict`).
 */
export function order(o: Record<string, unknown>, ctx: Ctx, earlier: string, later: string, strict: boolean): void {
  const b = o[later]
  const a = o[earlier]
  if (typeof a !== 'string' || typeof b !== 'string') return
  if (a === b) {
    if (strict) ctx.error(`must be later than ${earlier}`, later)
    return
  }
  const pa = tsOf(o, earlier)
  const pb = tsOf(o, later)
  if (pa === null || pb === null) return
  const c = compareParsedTimestamps(pa, pb)
  if (c > 0 || (strict && c === 0)) ctx.error(strict ? `must be later than ${earlier}` : `must not be earlier than ${earlier}`, later)
}

/** Reports when none of the properties is present. */
export function atLeastOne(o: Record<string, unknown>, ctx: Ctx, names: readonly string[], what?: string): void {
  for (const n of names) if (Object.hasOwn(o, n)) return
  ctx.error(what ?? `at least one of ${names.join(', ')} must be present`)
}

/** Reports at the second property when both are present. */
export function exclusive(o: Record<string, unknown>, ctx: Ctx, a: string, b: string): void {
  if (Object.hasOwn(o, a) && Object.hasOwn(o, b)) ctx.error(`must not be present together with ${a}`, b)
}
