/**
 * TAXII 2.1 URL parameters → typed filters, as pure functions: `added_after`, `match[id]`,
 * `match[type]`, `match[version]`, `match[spec_version]`, `limit` and `next` (still opaque here; the
 * cursor is checked by cursor.ts against the scope). Comma-separated values are OR-ed; a parameter
 * given several times is read as one comma-separated list. Parameters an endpoint does not take are
 * ignored, as are unknown ones. Never throws: every problem is an issue with a `/query/…` pointer.
 */
import type { Issue } from '../../core/shared/errors.js'
import { LIMITS } from '../../core/shared/limits.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { toStoredTimestamp } from '../../core/stix/time.js'
import type { ObjectFilters } from '../../services/share/objects.js'
import type { VersionFilter } from '../../store/port.js'

export type TaxiiParam = 'added_after' | 'match[id]' | 'match[type]' | 'match[version]' | 'match[spec_version]' | 'limit' | 'next'

/** Which parameters each TAXII endpoint takes (TAXII 2.1 sections 5.3 to 5.8). */
export const ENDPOINT_PARAMS = {
  objects: ['added_after', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]', 'limit', 'next'],
  manifest: ['added_after', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]', 'limit', 'next'],
  object: ['added_after', 'match[version]', 'match[spec_version]', 'limit', 'next'],
  versions: ['added_after', 'match[spec_version]', 'limit', 'next'],
  delete: ['match[version]', 'match[spec_version]'],
} as const satisfies Record<string, readonly TaxiiParam[]>

export type TaxiiEndpoint = keyof typeof ENDPOINT_PARAMS

export interface PageLimits {
  readonly defaultLimit: number
  readonly maxLimit: number
}

export interface TaxiiQuery {
  readonly filters: ObjectFilters
  readonly limit: number
  /** The raw `next` cursor, when given. */
  readonly next: string | null
}

const STIX_TYPE = /^[a-z0-9][a-z0-9-]{0,248}[a-z0-9]$|^[a-z0-9]$/
const STIX_ID = /^[a-z0-9][a-z0-9-]{0,248}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const SPEC_VERSION = /^\d{1,3}\.\d{1,3}$/
const LIMIT = /^[0-9]{1,12}$/
const MAX_PARAM = 64 * 1024

type Raw = Readonly<Record<string, unknown>>

/** One parameter as a string, joining repeated ones with commas; undefined when absent. */
function raw(query: Raw, name: string): string | { bad: string } | undefined {
  const v = Object.prototype.hasOwnProperty.call(query, name) ? query[name] : undefined
  if (v === undefined) return undefined
  if (typeof v === 'string') return v.length > MAX_PARAM ? { bad: 'is too long' } : v
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    const joined = v.join(',')
    return joined.length > MAX_PARAM ? { bad: 'is too long' } : joined
  }
  return { bad: 'must be a string' }
}

function single(query: Raw, name: string, issues: Issue[]): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(query, name) ? query[name] : undefined
  if (Array.isArray(v)) {
    issues.push({ pointer: `/query/${name}`, message: 'must be given once' })
    return undefined
  }
  const r = raw(query, name)
  if (r === undefined) return undefined
  if (typeof r !== 'string') {
    issues.push({ pointer: `/query/${name}`, message: r.bad })
    return undefined
  }
  return r
}

function list(query: Raw, name: string, issues: Issue[], check: (v: string) => string | null): string[] | undefined {
  const r = raw(query, name)
  if (r === undefined) return undefined
  const pointer = `/query/${name}`
  if (typeof r !== 'string') {
    issues.push({ pointer, message: r.bad })
    return undefined
  }
  const values = r.split(',').map((v) => v.trim())
  if (values.length > LIMITS.maxFilterValues) {
    issues.push({ pointer, message: `must have at most ${LIMITS.maxFilterValues} values` })
    return undefined
  }
  const out: string[] = []
  for (const v of values) {
    if (v.length === 0) {
      issues.push({ pointer, message: 'must not contain empty values' })
      return undefined
    }
    const problem = check(v)
    if (problem !== null) {
      issues.push({ pointer, message: `${JSON.stringify(v.slice(0, 100))} ${problem}` })
      return undefined
    }
    out.push(v)
  }
  return [...new Set(out)]
}

function timestamp(v: string): string | null {
  return toStoredTimestamp(v)
}

/** Parses `match[version]` values into a store version filter. */
export function parseVersionFilter(values: readonly string[]): Result<VersionFilter, string> {
  let first = false
  let last = false
  let all = false
  const versions: string[] = []
  for (const v of values) {
    if (v === 'first') first = true
    else if (v === 'last') last = true
    else if (v === 'all') all = true
    else {
      const t = timestamp(v)
      if (t === null) return err(`${JSON.stringify(v.slice(0, 100))} is not first, last, all or an RFC 3339 timestamp`)
      versions.push(t)
    }
  }
  return ok({ first, last, all, versions: [...new Set(versions)] })
}

/**
 * Parses the query of one TAXII endpoint. `limit` defaults to `defaultLimit` and is capped at
 * `maxLimit` (TAXII lets a server return fewer objects than asked).
 */
export function parseTaxiiQuery(endpoint: TaxiiEndpoint, query: unknown, limits: PageLimits): Result<TaxiiQuery, Issue[]> {
  const q: Raw = query !== null && typeof query === 'object' && !Array.isArray(query) ? (query as Raw) : {}
  const allowed = new Set<string>(ENDPOINT_PARAMS[endpoint])
  const issues: Issue[] = []
  const filters: { -readonly [K in keyof ObjectFilters]: ObjectFilters[K] } = {}

  if (allowed.has('added_after')) {
    const v = single(q, 'added_after', issues)
    if (v !== undefined) {
      const t = timestamp(v)
      if (t === null) issues.push({ pointer: '/query/added_after', message: 'must be an RFC 3339 timestamp such as 2026-11-01T00:00:00.000Z' })
      else filters.addedAfter = t
    }
  }
  if (allowed.has('match[id]')) {
    const ids = list(q, 'match[id]', issues, (v) => (STIX_ID.test(v) ? null : 'is not a STIX id (type--UUID)'))
    if (ids !== undefined) filters.ids = ids
  }
  if (allowed.has('match[type]')) {
    const types = list(q, 'match[type]', issues, (v) => (STIX_TYPE.test(v) ? null : 'is not a STIX type name'))
    if (types !== undefined) filters.types = types
  }
  if (allowed.has('match[version]')) {
    const values = list(q, 'match[version]', issues, () => null)
    if (values !== undefined) {
      const vf = parseVersionFilter(values)
      if (vf.ok) filters.versions = vf.value
      else issues.push({ pointer: '/query/match[version]', message: vf.error })
    }
  }
  if (allowed.has('match[spec_version]')) {
    const sv = list(q, 'match[spec_version]', issues, (v) => (SPEC_VERSION.test(v) ? null : 'is not a spec version such as 2.1'))
    if (sv !== undefined) filters.specVersions = sv
  }
  let limit = limits.defaultLimit
  if (allowed.has('limit')) {
    const v = single(q, 'limit', issues)
    if (v !== undefined) {
      const n = LIMIT.test(v) ? Number(v) : NaN
      if (!(n >= 1)) issues.push({ pointer: '/query/limit', message: 'must be a positive integer' })
      else limit = Math.min(n, limits.maxLimit)
    }
  }
  let next: string | null = null
  if (allowed.has('next')) {
    const v = single(q, 'next', issues)
    if (v !== undefined) {
      if (v.length === 0) issues.push({ pointer: '/query/next', message: 'must not be empty' })
      else next = v
    }
  }
  if (issues.length > 0) return err(issues)
  return ok({ filters, limit, next })
}

/**
 * The inverse of `parseTaxiiQuery`: URL parameters for filters, a limit and a cursor. Used by tests
 * (round-trip) and by TAXII clients of this code base.
 */
export function formatTaxiiQuery(filters: ObjectFilters, limit?: number, next?: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (filters.addedAfter !== undefined) out['added_after'] = filters.addedAfter
  if (filters.ids !== undefined) out['match[id]'] = filters.ids.join(',')
  if (filters.types !== undefined) out['match[type]'] = filters.types.join(',')
  if (filters.versions !== undefined) {
    const v = filters.versions
    out['match[version]'] = [...(v.first ? ['first'] : []), ...(v.last ? ['last'] : []), ...(v.all ? ['all'] : []), ...v.versions].join(',')
  }
  if (filters.specVersions !== undefined) out['match[spec_version]'] = filters.specVersions.join(',')
  if (limit !== undefined) out['limit'] = String(limit)
  if (next !== undefined) out['next'] = next
  return out
}
