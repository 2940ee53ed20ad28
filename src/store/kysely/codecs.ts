/**
 * Row ↔ domain codecs. Every value read from the database passes through a decoder that checks it,
 * so a row that does not fit the domain type fails loudly here instead of flowing on under a cast.
 * A decoding failure means a corrupt or foreign database: it throws (infrastructure, not a Result).
 */
import { ROLES, type Role } from '../../core/policy/viewer.js'
import { canonicalize } from '../../core/stix/canonical.js'
import type {
  Alert,
  ApiToken,
  Collection,
  CollectionPermission,
  ImportFailure,
  ImportJob,
  Organisation,
  StatusDetail,
  StatusRecord,
  User,
} from '../port.js'
import type { Insertable, Selectable } from 'kysely'
import type {
  AlertsTable,
  ApiTokensTable,
  CollectionPermissionsTable,
  CollectionsTable,
  ImportJobsTable,
  IntBool,
  OrganisationsTable,
  TaxiiStatusesTable,
  UsersTable,
} from './schema.js'

/** Thrown when a stored value cannot be decoded into its domain type. */
export class CodecError extends Error {
  override readonly name = 'CodecError'
}

function fail(what: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value)
  throw new CodecError(`store: cannot decode ${what} from ${shown}`)
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** Booleans are stored as integer 0/1 on both engines. */
export const encodeBool = (b: boolean): IntBool => (b ? 1 : 0)

export function decodeBool(v: unknown, what = 'boolean'): boolean {
  if (v === 1 || v === 1n || v === true) return true
  if (v === 0 || v === 0n || v === false) return false
  return fail(what, v)
}

/**
 * Integers: SQLite gives numbers; PostgreSQL int4 gives numbers and int8 (sequences, counts) is parsed
 * to a number by the pool's type parser. bigint and digit strings are accepted defensively.
 */
export function decodeInt(v: unknown, what = 'integer'): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER))
    return Number(v)
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v)
  return fail(what, v)
}

/**
 * Hashes: stored as blob (SQLite) / bytea (PostgreSQL). Both drivers return a Node Buffer, which is a
 * Uint8Array subclass sharing a pooled slab; we hand out a plain, independent Uint8Array copy.
 */
export function decodeBytes(v: unknown, what = 'bytes'): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v)
  return fail(what, v)
}

/** Both drivers accept a Uint8Array parameter for blob/bytea. */
export const encodeBytes = (b: Uint8Array): Uint8Array => b

export function decodeRole(v: string): Role {
  const role = ROLES.find((r) => r === v)
  return role ?? fail('role', v)
}

export function decodeStatusState(v: string): StatusRecord['status'] {
  if (v === 'pending' || v === 'complete') return v
  return fail('status', v)
}

export function decodeJobState(v: string): ImportJob['state'] {
  if (v === 'running' || v === 'completed' || v === 'failed') return v
  return fail('job state', v)
}

// ---------------------------------------------------------------------------------------------
// JSON text columns

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return fail(what, text)
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function decodeStringArray(text: string, what = 'string array'): string[] {
  const v = parseJson(text, what)
  if (!Array.isArray(v)) return fail(what, text)
  return v.map((s) => (typeof s === 'string' ? s : fail(what, text)))
}

function decodeStatusDetail(v: unknown): StatusDetail {
  if (!isRecord(v) || typeof v.id !== 'string' || typeof v.version !== 'string') return fail('status detail', JSON.stringify(v))
  if (v.message === undefined) return { id: v.id, version: v.version }
  if (typeof v.message !== 'string') return fail('status detail message', JSON.stringify(v))
  return { id: v.id, version: v.version, message: v.message }
}

export function decodeStatusDetails(text: string): StatusDetail[] {
  const v = parseJson(text, 'status details')
  if (!Array.isArray(v)) return fail('status details', text)
  return v.map(decodeStatusDetail)
}

/** Keeps only the StatusDetail properties, so nothing else is ever written. */
export const encodeStatusDetails = (ds: readonly StatusDetail[]): string =>
  JSON.stringify(ds.map((d) => (d.message === undefined ? { id: d.id, version: d.version } : { id: d.id, version: d.version, message: d.message })))

function decodeImportFailure(v: unknown): ImportFailure {
  if (
    !isRecord(v) ||
    typeof v.index !== 'number' ||
    !(typeof v.id === 'string' || v.id === null) ||
    typeof v.code !== 'string' ||
    typeof v.message !== 'string'
  )
    return fail('import failure', JSON.stringify(v))
  const base = { index: v.index, id: v.id, code: v.code, message: v.message }
  if (v.pointer === undefined) return base
  if (typeof v.pointer !== 'string') return fail('import failure pointer', JSON.stringify(v))
  return { ...base, pointer: v.pointer }
}

export function decodeImportFailures(text: string): ImportFailure[] {
  const v = parseJson(text, 'import failures')
  if (!Array.isArray(v)) return fail('import failures', text)
  return v.map(decodeImportFailure)
}

export const encodeImportFailures = (fs: readonly ImportFailure[]): string =>
  JSON.stringify(
    fs.map((f) => {
      const base = { index: f.index, id: f.id, code: f.code, message: f.message }
      return f.pointer === undefined ? base : { ...base, pointer: f.pointer }
    }),
  )

// ---------------------------------------------------------------------------------------------
// Rows

/** An organisation row; `default_tlp` may be left out by joins that do not need it (then: no default). */
export const decodeOrganisation = (r: Omit<Selectable<OrganisationsTable>, 'default_tlp'> & { default_tlp?: unknown }): Organisation => ({
  id: r.id,
  name: r.name,
  identityId: r.identity_id,
  createdAt: r.created_at,
  ...(r.default_tlp === null || r.default_tlp === undefined ? {} : { defaultTlp: decodeTlpRank(r.default_tlp) }),
})

export const encodeOrganisation = (o: Organisation): OrganisationsTable => ({
  id: o.id,
  name: o.name,
  identity_id: o.identityId,
  created_at: o.createdAt,
  default_tlp: o.defaultTlp ?? null,
})

export const decodeUser = (r: Selectable<UsersTable>): User => ({
  id: r.id,
  orgId: r.org_id,
  username: r.username,
  role: decodeRole(r.role),
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
})

export const encodeUser = (u: User): UsersTable => ({
  id: u.id,
  org_id: u.orgId,
  username: u.username,
  role: u.role,
  password_hash: u.passwordHash,
  created_at: u.createdAt,
  disabled_at: u.disabledAt,
})

/** Token columns without the hash: the hash never leaves the adapter. */
export type TokenRow = Omit<Selectable<ApiTokensTable>, 'token_hash'>

export const decodeToken = (r: TokenRow): ApiToken => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
})

export const encodeToken = (t: ApiToken, secretHash: Uint8Array): ApiTokensTable => ({
  id: t.id,
  user_id: t.userId,
  name: t.name,
  prefix: t.prefix,
  token_hash: encodeBytes(secretHash),
  created_at: t.createdAt,
  expires_at: t.expiresAt,
  revoked_at: t.revokedAt,
  last_used_at: t.lastUsedAt,
})

export const decodeCollection = (r: Selectable<CollectionsTable>): Collection => ({
  id: r.id,
  title: r.title,
  description: r.description,
  alias: r.alias,
  mediaTypes: decodeStringArray(r.media_types, 'collection media types'),
  createdAt: r.created_at,
  defaultTlp: decodeTlpRank(r.default_tlp),
})

/** A stored TLP rank; anything else reads as RED (never wider). */
export function decodeTlpRank(v: unknown): 0 | 1 | 2 | 3 | 4 {
  const n = Number(v)
  return n === 0 || n === 1 || n === 2 || n === 3 ? n : 4
}

export const encodeCollection = (c: Collection): Insertable<CollectionsTable> => ({
  id: c.id,
  title: c.title,
  description: c.description,
  alias: c.alias,
  media_types: JSON.stringify(c.mediaTypes),
  created_at: c.createdAt,
  ...(c.defaultTlp !== undefined ? { default_tlp: c.defaultTlp } : {}),
})

export const decodePermission = (r: Selectable<CollectionPermissionsTable>): CollectionPermission => ({
  collectionId: r.collection_id,
  orgId: r.org_id,
  canRead: decodeBool(r.can_read, 'can_read'),
  canWrite: decodeBool(r.can_write, 'can_write'),
})

export const encodePermission = (p: CollectionPermission): CollectionPermissionsTable => ({
  collection_id: p.collectionId,
  org_id: p.orgId,
  can_read: encodeBool(p.canRead),
  can_write: encodeBool(p.canWrite),
})

export const decodeStatus = (r: Selectable<TaxiiStatusesTable>): StatusRecord => ({
  id: r.id,
  collectionId: r.collection_id,
  status: decodeStatusState(r.status),
  requestTimestamp: r.request_timestamp,
  totalCount: decodeInt(r.total_count),
  successCount: decodeInt(r.success_count),
  failureCount: decodeInt(r.failure_count),
  pendingCount: decodeInt(r.pending_count),
  successes: decodeStatusDetails(r.successes),
  failures: decodeStatusDetails(r.failures),
  pendings: decodeStatusDetails(r.pendings),
  orgId: r.org_id,
})

export const encodeStatus = (s: StatusRecord): TaxiiStatusesTable => ({
  id: s.id,
  collection_id: s.collectionId,
  org_id: s.orgId,
  status: s.status,
  request_timestamp: s.requestTimestamp,
  total_count: s.totalCount,
  success_count: s.successCount,
  failure_count: s.failureCount,
  pending_count: s.pendingCount,
  successes: encodeStatusDetails(s.successes),
  failures: encodeStatusDetails(s.failures),
  pendings: encodeStatusDetails(s.pendings),
})

export const decodeJob = (r: Selectable<ImportJobsTable>): ImportJob => ({
  id: r.id,
  collectionId: r.collection_id,
  source: r.source,
  fingerprint: r.fingerprint,
  state: decodeJobState(r.state),
  processed: decodeInt(r.processed),
  added: decodeInt(r.added),
  duplicates: decodeInt(r.duplicates),
  failed: decodeInt(r.failed),
  failures: decodeImportFailures(r.failures),
  error: r.error,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export const encodeJob = (j: ImportJob): ImportJobsTable => ({
  id: j.id,
  collection_id: j.collectionId,
  source: j.source,
  fingerprint: j.fingerprint,
  state: j.state,
  processed: j.processed,
  added: j.added,
  duplicates: j.duplicates,
  failed: j.failed,
  failures: encodeImportFailures(j.failures),
  error: j.error,
  created_by: j.createdBy,
  created_at: j.createdAt,
  updated_at: j.updatedAt,
})

/** Byte-wise equality of two hashes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// Alerts

export function decodeAlertKind(v: string): Alert['kind'] {
  if (v === 'indicator_sighted' || v === 'observation_matched') return v
  return fail('alert kind', v)
}

export function encodeAlert(a: Alert): AlertsTable {
  return {
    id: a.id,
    org_id: a.orgId,
    created_at: a.createdAt,
    kind: a.kind,
    indicator_id: a.indicatorId,
    sighting_id: a.sightingId,
    observation_id: a.observationId,
    value: a.value,
    detail: canonicalize(a.detail),
    suppressed: a.suppressed,
    read_at: a.readAt,
  }
}

export function decodeAlert(r: Selectable<AlertsTable>): Alert {
  const detail = parseJson(r.detail, 'alert detail')
  if (!isRecord(detail)) return fail('alert detail', r.detail)
  return {
    id: r.id,
    orgId: r.org_id,
    createdAt: r.created_at,
    kind: decodeAlertKind(r.kind),
    indicatorId: r.indicator_id,
    sightingId: r.sighting_id,
    observationId: r.observation_id,
    value: r.value,
    detail,
    suppressed: r.suppressed,
    readAt: r.read_at,
  }
}
