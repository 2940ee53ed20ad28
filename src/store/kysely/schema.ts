/**
 * The Kysely database interface: one entry per table, column names as stored (snake_case).
 *
 * Portable subset (STYLE.md, "Storage: Kysely over two engines"): text ids, timestamps as fixed-width
 * UTC ISO text, booleans as integer 0/1, JSON as text, hashes as blob/bytea, integer sequences.
 * The column types below are what both drivers hand back (PostgreSQL int8 is parsed to a JS number
 * in `dialects/postgres.ts`); rows are still decoded through `codecs.ts` before leaving the adapter.
 */
import type { Generated } from 'kysely'

/** 0 or 1; CHECK-constrained in the migration. */
export type IntBool = number

export interface OrganisationsTable {
  id: string
  name: string
  identity_id: string
  created_at: string
}

export interface UsersTable {
  id: string
  org_id: string
  username: string
  /** CHECK: one of `ROLES`. */
  role: string
  password_hash: string | null
  created_at: string
  disabled_at: string | null
}

export interface ApiTokensTable {
  id: string
  user_id: string
  name: string
  prefix: string
  /** SHA-256 of the secret (32 bytes), unique. */
  token_hash: Uint8Array
  created_at: string
  expires_at: string | null
  revoked_at: string | null
  last_used_at: string | null
}

export interface CollectionsTable {
  id: string
  title: string
  description: string | null
  alias: string | null
  /** JSON text: an array of strings. */
  media_types: string
  created_at: string
}

export interface CollectionPermissionsTable {
  collection_id: string
  org_id: string
  can_read: IntBool
  can_write: IntBool
}

export interface StixObjectsTable {
  seq: Generated<number>
  stix_id: string
  type: string
  spec_version: string
  created: string | null
  modified: string | null
  version_key: string
  revoked: IntBool
  created_by_ref: string | null
  content_hash: Uint8Array
  json: string
}

export interface CollectionObjectsTable {
  /** The membership sequence number: keyset tie-breaker after `date_added`. */
  seq: Generated<number>
  collection_id: string
  object_seq: number
  /** Denormalised from `stix_objects` so TAXII filters and pages are served by this table's indexes. */
  stix_id: string
  type: string
  spec_version: string
  /** TAXII version: modified ?? created ?? date_added. */
  version: string
  date_added: string
}

export interface TaxiiStatusesTable {
  id: string
  collection_id: string
  org_id: string
  /** CHECK: pending | complete. */
  status: string
  request_timestamp: string
  total_count: number
  success_count: number
  failure_count: number
  pending_count: number
  /** JSON text: StatusDetail[]. */
  successes: string
  failures: string
  pendings: string
}

export interface ImportJobsTable {
  id: string
  collection_id: string
  source: string
  fingerprint: string
  /** CHECK: running | completed | failed. */
  state: string
  processed: number
  added: number
  duplicates: number
  failed: number
  /** JSON text: ImportFailure[]. */
  failures: string
  error: string | null
  created_by: string
  created_at: string
  updated_at: string
}

export interface NodeMetaTable {
  key: string
  value: string
}

export interface LogEntriesTable {
  idx: number
  kind: string
  at: string
  collection_id: string | null
  object_seq: number | null
  leaf_hash: Uint8Array
  entry: string
}

export interface LogNodesTable {
  level: number
  idx: number
  hash: Uint8Array
}

export interface LogHeadTable {
  id: number
  size: number
  /** The compact range: one 32-byte hash per set bit of `size`, largest subtree first. */
  frontier: Uint8Array
  root: Uint8Array
  leaf_indexed: number
}

export interface LogLeafIndexTable {
  leaf_hash: Uint8Array
  idx: number
}

export interface LogCheckpointsTable {
  seq: Generated<number>
  size: number
  root: Uint8Array
  timestamp: string
  note: string
}

export interface WitnessLogsTable {
  origin: string
  url: string | null
  verifier_key: string
  added_at: string
  checked_at: string | null
  last_error: string | null
  fork: string | null
}

export interface WitnessedCheckpointsTable {
  origin: string
  size: number
  root: Uint8Array
  timestamp: string | null
  note: string
  seen_at: string
}

export interface AlertsTable {
  id: string
  org_id: string
  created_at: string
  /** CHECK: indicator_sighted | observation_matched. */
  kind: string
  indicator_id: string
  sighting_id: string
  observation_id: string
  value: string | null
  /** Canonical JSON text: what the organisation may see of the match. */
  detail: string
  suppressed: string | null
  read_at: string | null
}

export interface DB {
  organisations: OrganisationsTable
  users: UsersTable
  api_tokens: ApiTokensTable
  collections: CollectionsTable
  collection_permissions: CollectionPermissionsTable
  stix_objects: StixObjectsTable
  collection_objects: CollectionObjectsTable
  taxii_statuses: TaxiiStatusesTable
  import_jobs: ImportJobsTable
  node_meta: NodeMetaTable
  log_entries: LogEntriesTable
  log_nodes: LogNodesTable
  log_head: LogHeadTable
  log_leaf_index: LogLeafIndexTable
  log_checkpoints: LogCheckpointsTable
  witness_logs: WitnessLogsTable
  witnessed_checkpoints: WitnessedCheckpointsTable
  alerts: AlertsTable
}
