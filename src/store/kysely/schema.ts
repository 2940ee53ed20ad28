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
  /** The organisation's default TLP rank (0–4) for unmarked input it submits, or null (migration 0008). */
  default_tlp: number | null
}

/** "`client_org_id` is a client of `parent_org_id`" (TLP:AMBER's "recipients and their clients"; migration 0008). */
export interface OrgClientsTable {
  client_org_id: string
  parent_org_id: string
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
  /** The TLP rank (0–4) unmarked input gets (migration 0007; default AMBER). */
  default_tlp: Generated<number>
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
  /** The audience key (migration 0007, docs/markings.md): effective TLP rank 0–4 (default RED). */
  tlp: Generated<number>
  /** The producing organisation's identity id, or null when unknown. */
  producer: string | null
  /** 1 when the version names recipients (rows in `object_recipients`). */
  has_recipients: Generated<IntBool>
  /** When retention ends reads (stored timestamp), or null. */
  expires_at: string | null
  /** For versions received from a peer: the agreement of the last hop. */
  arrival_agreement: string | null
  /** For versions received from a peer: the hops (canonical JSON), else null. */
  path: string | null
}

/** Named recipients of a stored version (migration 0007). */
export interface ObjectRecipientsTable {
  object_seq: number
  identity_id: string
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

/** Web sign-in sessions (0005-web): found by the SHA-256 of the cookie value. */
export interface WebSessionsTable {
  id_hash: Uint8Array
  user_id: string
  created_at: string
  last_seen_at: string
  idle_expires_at: string
  expires_at: string
  revoked_at: string | null
}

/** Federation (0004-federation): peer nodes and vendor feeds, invitations, origins of received versions. */
export interface PeersTable {
  id: string
  /** CHECK: node | feed. */
  kind: string
  name: string
  url: string
  api_root: string
  remote_collection: string | null
  /** JSON text: PeerAuth. */
  auth: string
  origin: string | null
  public_key: Uint8Array | null
  presented_key: Uint8Array | null
  /** CHECK: pending | approved | key-changed | fork | active | removed. */
  status: string
  /** JSON text: PeerOrganisation[]. */
  organisations: string
  local_org_id: string | null
  local_user_id: string | null
  outbound_collection_id: string | null
  inbound_collection_id: string
  default_marking: string | null
  created_at: string
  approved_at: string | null
  cursor_added_after: string | null
  cursor_next: string | null
  publish_seq: Generated<number>
  last_attempt_at: string | null
  last_success_at: string | null
  last_error: string | null
  failures: Generated<number>
  next_attempt_at: string | null
  received: Generated<number>
  duplicates: Generated<number>
  rejected: Generated<number>
  published: Generated<number>
  remote_last_added: string | null
}

export interface PeerInvitationsTable {
  id: string
  secret_hash: Uint8Array
  name: string | null
  created_at: string
  expires_at: string
  used_at: string | null
  peer_id: string | null
}

export interface FederationOriginsTable {
  stix_id: string
  version_key: string
  peer_id: string
  verified: IntBool
  received_at: string
}

/** Joint cases (migration 0006): derived from the case objects' versions. */
export interface CaseIndexTable {
  case_id: string
  collection_id: string
  title: string
  status: string
  severity: string
  lead_ref: string
  tlp: string
  created: string
  modified: string
}

export interface CaseOrgsTable {
  case_id: string
  identity_ref: string
}

export interface CaseMembersTable {
  stix_id: string
  case_id: string
  type: string
  created: string
  modified: string
}

export interface WebhooksTable {
  id: string
  org_id: string
  url: string
  description: string | null
  /** Sealed (AES-256-GCM) by the node. */
  secret: string
  /** JSON text: an array of event types. */
  events: string
  active: IntBool
  created_by: string
  created_at: string
}

export interface WebhookDeliveriesTable {
  id: string
  webhook_id: string
  event_id: string
  event_type: string
  payload: string
  /** CHECK: pending | delivered | failed. */
  state: string
  attempts: number
  next_attempt_at: string | null
  locked_until: string | null
  last_status: number | null
  last_error: string | null
  created_at: string
  finished_at: string | null
}

export interface DB {
  organisations: OrganisationsTable
  org_clients: OrgClientsTable
  users: UsersTable
  api_tokens: ApiTokensTable
  collections: CollectionsTable
  collection_permissions: CollectionPermissionsTable
  stix_objects: StixObjectsTable
  collection_objects: CollectionObjectsTable
  object_recipients: ObjectRecipientsTable
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
  peers: PeersTable
  peer_invitations: PeerInvitationsTable
  federation_origins: FederationOriginsTable
  web_sessions: WebSessionsTable
  case_index: CaseIndexTable
  case_orgs: CaseOrgsTable
  case_members: CaseMembersTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
}
