/**
 * The storage port: what services may ask of storage, in domain types only.
 * Adapters (src/store/kysely) implement it for SQLite and PostgreSQL; the conformance suite
 * (src/store/conformance) asserts the same behaviour on both. No Kysely or driver type leaks out.
 *
 * Conventions:
 * - Timestamps are fixed-width UTC ISO-8601 text with microseconds, `2026-01-02T03:04:05.123456Z`
 *   (see `core/stix/time.ts`: `toStoredTimestamp`). They sort in time order as text.
 * - Ids are text. Internal ids are UUIDs; STIX ids are `type--uuid`.
 * - Sequence numbers (`seq`) are integers assigned by the store, strictly increasing in insertion order.
 */
import type { Result } from '../core/shared/result.js'
import type { DomainError } from '../core/shared/errors.js'
import type { Role } from '../core/policy/viewer.js'

// ---------------------------------------------------------------------------------------------
// Organisations, users, tokens

export interface Organisation {
  readonly id: string
  readonly name: string
  /** The STIX `identity--…` id this organisation signs as (`created_by_ref`). */
  readonly identityId: string
  readonly createdAt: string
  /**
   * The organisation's default TLP rank (0 CLEAR … 4 RED) for unmarked input its users and tokens
   * submit: such input gets the stricter of this and the receiving collection's default
   * (docs/markings.md "Defaults"). Absent: no organisation default (the collection's alone).
   */
  readonly defaultTlp?: 0 | 1 | 2 | 3 | 4
}

/**
 * "`clientOrgId` is a client of `parentOrgId`": TLP:AMBER reaches the recipient organisations and
 * their clients (docs/markings.md "Clients"). Not transitive.
 */
export interface OrgClient {
  readonly clientOrgId: string
  readonly parentOrgId: string
  readonly createdAt: string
}

export interface User {
  readonly id: string
  readonly orgId: string
  readonly username: string
  readonly role: Role
  /** A memory-hard password hash (scrypt, PHC-like string), or null for token-only users. */
  readonly passwordHash: string | null
  readonly createdAt: string
  readonly disabledAt: string | null
}

export interface ApiToken {
  readonly id: string
  readonly userId: string
  readonly name: string
  /** First characters of the token, shown in listings so an operator can tell tokens apart. Not secret. */
  readonly prefix: string
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly revokedAt: string | null
  readonly lastUsedAt: string | null
}

/** A token found by its hash, with the user and organisation it acts for. */
export interface TokenPrincipal {
  readonly token: ApiToken
  readonly user: User
  readonly org: Organisation
}

export interface OrgStore {
  create(org: Organisation): Promise<Result<Organisation>>
  get(id: string): Promise<Organisation | null>
  getByName(name: string): Promise<Organisation | null>
  list(): Promise<Organisation[]>
  /** Sets (a rank) or clears (null) the organisation's default TLP; null when there is no such organisation. */
  setDefaultTlp(id: string, tlp: 0 | 1 | 2 | 3 | 4 | null): Promise<Organisation | null>
  /** Records a client relation; false when it already exists. Both organisations must exist (else `not_found`). */
  addClient(c: OrgClient): Promise<Result<boolean>>
  /** Ends a client relation; false when there was none. */
  removeClient(clientOrgId: string, parentOrgId: string): Promise<boolean>
  /** Client relations: all of them, or those `orgId` takes part in (as client or as parent); by (client, parent). */
  clients(orgId?: string): Promise<OrgClient[]>
  /** The organisations `orgId` is a client of, by id. */
  parentsOf(orgId: string): Promise<Organisation[]>
}

export interface UserStore {
  /** Fails with `conflict` when the username is taken. */
  create(user: User): Promise<Result<User>>
  get(id: string): Promise<User | null>
  getByUsername(username: string): Promise<User | null>
  list(orgId?: string): Promise<User[]>
  setRole(id: string, role: Role): Promise<Result<User>>
  /** Disables a user (its tokens stop working) at `at`, or enables it again with null. */
  setDisabled(id: string, at: string | null): Promise<Result<User>>
}

export interface TokenStore {
  /** Stores a token by the SHA-256 of its secret; the secret itself is never stored. */
  create(token: ApiToken, secretHash: Uint8Array): Promise<Result<ApiToken>>
  /** The live (not revoked, not expired at `now`) token with this secret hash, its user (not disabled) and org. */
  findActiveByHash(secretHash: Uint8Array, now: string): Promise<TokenPrincipal | null>
  list(userId?: string): Promise<ApiToken[]>
  revoke(id: string, at: string): Promise<Result<ApiToken>>
  /** Best effort, may be skipped under load: records when a token was last used. */
  touch(id: string, at: string): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Collections and permissions

export interface Collection {
  readonly id: string
  readonly title: string
  readonly description: string | null
  readonly alias: string | null
  readonly mediaTypes: readonly string[]
  readonly createdAt: string
  /**
   * The TLP rank (0 CLEAR … 4 RED) unmarked input gets when stored here (docs/markings.md). Absent on
   * create: AMBER (2). Always set when read back.
   */
  readonly defaultTlp?: 0 | 1 | 2 | 3 | 4
}

export interface CollectionPermission {
  readonly collectionId: string
  readonly orgId: string
  readonly canRead: boolean
  readonly canWrite: boolean
}

export interface CollectionStore {
  /** Fails with `conflict` when the alias is taken. */
  create(c: Collection): Promise<Result<Collection>>
  get(id: string): Promise<Collection | null>
  /** By id or by alias. */
  find(idOrAlias: string): Promise<Collection | null>
  list(): Promise<Collection[]>
  /** Sets (inserts or replaces) one organisation's rights on a collection. */
  setPermission(p: CollectionPermission): Promise<Result<CollectionPermission>>
  permissions(collectionId: string): Promise<CollectionPermission[]>
  /** This organisation's rights on this collection, or null when it has none. */
  permissionOf(collectionId: string, orgId: string): Promise<CollectionPermission | null>
  /** Number of object versions in the collection (for listings and metrics). */
  countObjects(collectionId: string): Promise<number>
  /** Sets the collection's default TLP rank (docs/markings.md "Defaults"); null when there is no such collection. */
  setDefaultTlp(collectionId: string, tlp: 0 | 1 | 2 | 3 | 4): Promise<Collection | null>
  /**
   * Raises the stored audience TLP of these memberships (object versions) of the collection to `tlp`
   * where it is lower; never lowers it. Returns how many memberships changed.
   */
  raiseMemberTlp(collectionId: string, objectSeqs: readonly number[], tlp: 0 | 1 | 2 | 3 | 4): Promise<number>
  /**
   * Memberships, in every collection, of versions written on this node (no path) by `producer` (an
   * identity id) whose stored TLP is below `belowTlp`, with the object's JSON: the candidates when an
   * organisation's default is narrowed. Keyset by membership `seq` (after `afterSeq`), at most `limit`.
   */
  producedBelow(producer: string, belowTlp: 0 | 1 | 2 | 3 | 4, afterSeq: number, limit: number): Promise<ProducedMember[]>
}

/** One membership returned by {@link CollectionStore.producedBelow}. */
export interface ProducedMember {
  readonly seq: number
  readonly collectionId: string
  readonly objectSeq: number
  readonly json: string
}

// ---------------------------------------------------------------------------------------------
// STIX objects

/** One object version ready to store: validated, canonicalised and hashed by the ingest pipeline. */
export interface NewObjectVersion {
  readonly stixId: string
  readonly type: string
  /** `2.1` (or `2.0` for legacy content accepted through import). */
  readonly specVersion: string
  /** Stored timestamp form, or null when the object has no such property (SCOs, some marking definitions). */
  readonly created: string | null
  readonly modified: string | null
  /**
   * What makes this version unique for its id: the stored `modified`, else `created`, else
   * `h:` + hex content hash (objects without timestamps, such as SCOs, are versioned by content).
   */
  readonly versionKey: string
  readonly revoked: boolean
  readonly createdByRef: string | null
  /** SHA-256 of `json` (32 bytes). */
  readonly contentHash: Uint8Array
  /** RFC 8785 canonical JSON of the whole object: every property kept, custom ones included. */
  readonly json: string
  /**
   * The audience key of the membership this call adds (core/policy/audience.ts, computed by ingest).
   * Absent: RED with no producer, so only system reads see the row.
   */
  readonly audience?: StoredAudience
}

/** The audience key as stored with a collection membership (docs/markings.md, migration 0007). */
export interface StoredAudience {
  /** 0 CLEAR … 4 RED: the rank needed to see the version at all. */
  readonly tlp: 0 | 1 | 2 | 3 | 4
  readonly producer: string | null
  /** Named recipient identity ids, or null when the object names none. */
  readonly recipients: readonly string[] | null
  /** Stored timestamp at which retention ends reads, or null. */
  readonly expiresAt: string | null
  /** For versions received from a peer: the hops (from, to, agreementId), else null. */
  readonly path: readonly { readonly from: string; readonly to: string; readonly agreementId: string }[] | null
}

/**
 * Which rows a reader may see, as the store filters them (the SQL form of `audienceAllows`; the
 * service computes the parameter sets from the agreements once per request).
 */
export type AudienceFilter =
  /** System jobs and node administrators: every row. */
  | { readonly kind: 'all' }
  | { readonly kind: 'public'; readonly now: string }
  | {
      readonly kind: 'org'
      /** The reader's organisation identity id. */
      readonly identity: string
      /** Organisations the reader's is a client of (AMBER only). */
      readonly clientOf: readonly string[]
      /** Collections in which the reader's organisation is an implied recipient. */
      readonly recipientCollections: readonly string[]
      /** Collections in which one of `clientOf` is an implied recipient. */
      readonly clientRecipientCollections: readonly string[]
      /** Agreements whose side for this node lists the reader's organisation. */
      readonly agreements: readonly string[]
      /** Agreements whose side for this node lists one of `clientOf`. */
      readonly clientAgreements: readonly string[]
      readonly now: string
    }

/** What happened to one `NewObjectVersion` of a `putVersions` call, in input order. */
export type PutOutcome =
  /** Newly in the collection; `stored` is false when the same version was already stored (in another collection). */
  | { readonly kind: 'added'; readonly seq: number; readonly stored: boolean; readonly objectSeq: number }
  /** This exact version (same id, version key and content hash) is already in the collection. */
  | { readonly kind: 'duplicate' }
  /** A different object with the same id and version key exists: a new version needs a new `modified`. */
  | { readonly kind: 'conflict' }

/** One object version as a member of a collection. */
export interface CollectionEntry {
  /** Membership sequence number: the tie-breaker after `dateAdded` in keyset pagination. */
  readonly seq: number
  /** The stored version this membership is of. */
  readonly objectSeq: number
  readonly stixId: string
  readonly type: string
  readonly specVersion: string
  /** TAXII version: `modified`, else `created`, else `dateAdded`. Stored timestamp form. */
  readonly version: string
  readonly dateAdded: string
  readonly contentHash: Uint8Array
  /** The canonical JSON; omitted when the query asked for `withContent: false`. */
  readonly json?: string
  /** The stored audience key columns (recipients not included): what `present` needs besides the object. */
  readonly audience?: Omit<StoredAudience, 'recipients'> & { readonly hasRecipients: boolean }
}

/** TAXII `match[version]`: several values are OR-ed. */
export interface VersionFilter {
  readonly first: boolean
  readonly last: boolean
  readonly all: boolean
  /** Exact versions (stored timestamp form). */
  readonly versions: readonly string[]
}

/** A keyset position: the last (dateAdded, seq) already returned. */
export interface KeysetPosition {
  readonly dateAdded: string
  readonly seq: number
}

export interface ObjectQuery {
  readonly collectionId: string
  /** Strictly after this stored timestamp. */
  readonly addedAfter?: string
  readonly ids?: readonly string[]
  readonly types?: readonly string[]
  /** Default when absent: `last` only. */
  readonly versions?: VersionFilter
  readonly specVersions?: readonly string[]
  readonly after?: KeysetPosition
  /** At least 1. The store fetches `limit + 1` rows to decide `more`. */
  readonly limit: number
  readonly withContent: boolean
  /** Only rows this reader may see (absent: every row, as for system reads). */
  readonly audience?: AudienceFilter
}

export interface EntryPage {
  readonly items: readonly CollectionEntry[]
  readonly more: boolean
}

/** A stored version whose membership in a collection was removed. */
export interface RemovedVersion {
  readonly objectSeq: number
  readonly stixId: string
  readonly type: string
  readonly versionKey: string
  readonly revoked: boolean
  readonly contentHash: Uint8Array
}

export interface ObjectStore {
  /**
   * Stores versions and adds them to a collection, all with the same `dateAdded`. Idempotent: a replay
   * of the same batch adds nothing and reports duplicates. Duplicates inside one batch are detected too.
   * Versions are append-only: an existing row is never changed.
   */
  putVersions(collectionId: string, items: readonly NewObjectVersion[], dateAdded: string): Promise<PutOutcome[]>
  /** Collection members in (dateAdded, seq) order, filtered as TAXII asks. */
  query(q: ObjectQuery): Promise<EntryPage>
  /**
   * Removes matching versions of one object from a collection (TAXII Delete An Object). The stored
   * versions stay (they may be in other collections, and the transparency log refers to them).
   * Returns the versions whose membership was removed.
   */
  removeFromCollection(
    collectionId: string,
    stixId: string,
    filter: { readonly versions?: VersionFilter; readonly specVersions?: readonly string[] },
  ): Promise<RemovedVersion[]>
  /** Every stored version of an object (all collections), oldest first, with its canonical JSON. */
  versionsOf(stixId: string): Promise<{ readonly seq: number; readonly versionKey: string; readonly json: string }[]>
  /**
   * The ids among `stixIds` that have at least one stored version (in any collection): for a batch,
   * what `versionsOf(id).length > 0` answers for one id. Any number of ids (the store chunks them).
   */
  storedIds(stixIds: readonly string[]): Promise<Set<string>>
  /**
   * Streams the latest version of every object in a collection (or in all collections when
   * `collectionId` is null) in batches, for export. Keyset-paginated internally: no long-running query.
   */
  exportLatest(collectionId: string | null, batchSize: number): AsyncIterable<readonly string[]>
  /**
   * Collection memberships of objects of the given types across every collection, in membership
   * order (`seq` ascending) after `afterSeq`, with each version's canonical JSON and the text of the
   * transparency-log entry that added it (null when there is none). Every version, not only the
   * latest: the caller keeps the latest (correlation rebuilds its index from this).
   */
  scanMembers(q: { readonly types: readonly string[]; readonly afterSeq: number; readonly limit: number }): Promise<ScannedMember[]>
}

/** One membership as `scanMembers` returns it. */
export interface ScannedMember {
  readonly seq: number
  readonly collectionId: string
  readonly objectSeq: number
  readonly stixId: string
  readonly type: string
  readonly dateAdded: string
  readonly json: string
  /** The `object.added` log entry text that added this version to this collection. */
  readonly logEntry: string | null
}

// ---------------------------------------------------------------------------------------------
// TAXII status resources

export interface StatusDetail {
  readonly id: string
  readonly version: string
  readonly message?: string
}

export interface StatusRecord {
  readonly id: string
  readonly collectionId: string
  /** `pending` while work remains, `complete` after. */
  readonly status: 'pending' | 'complete'
  readonly requestTimestamp: string
  readonly totalCount: number
  readonly successCount: number
  readonly failureCount: number
  readonly pendingCount: number
  readonly successes: readonly StatusDetail[]
  readonly failures: readonly StatusDetail[]
  readonly pendings: readonly StatusDetail[]
  /** The organisation whose request produced it: only it may read the status. */
  readonly orgId: string
}

export interface StatusStore {
  put(s: StatusRecord): Promise<void>
  get(id: string): Promise<StatusRecord | null>
  /** Deletes statuses whose requestTimestamp is before `before`; returns how many. */
  purge(before: string): Promise<number>
}

// ---------------------------------------------------------------------------------------------
// Import jobs (CLI and REST imports of bundle files; resumable)

export interface ImportFailure {
  /** Zero-based position of the object in the bundle's `objects` array. */
  readonly index: number
  readonly id: string | null
  readonly code: string
  readonly message: string
  readonly pointer?: string
}

export interface ImportJob {
  readonly id: string
  readonly collectionId: string
  /** What the user imported (a file name), for display. */
  readonly source: string
  /** A fingerprint of the source content (SHA-256 hex) so a re-run of the same file resumes the job. */
  readonly fingerprint: string
  readonly state: 'running' | 'completed' | 'failed'
  /** Objects of the bundle already processed, in bundle order: a resume skips this many. */
  readonly processed: number
  readonly added: number
  readonly duplicates: number
  readonly failed: number
  /** The first `LIMITS.maxReportedFailures` failures; `failed` keeps the exact count. */
  readonly failures: readonly ImportFailure[]
  readonly error: string | null
  readonly createdBy: string
  readonly createdAt: string
  readonly updatedAt: string
}

export interface ImportProgress {
  readonly processed: number
  readonly added: number
  readonly duplicates: number
  readonly failed: number
  readonly newFailures: readonly ImportFailure[]
  readonly at: string
}

export interface JobStore {
  create(job: ImportJob): Promise<ImportJob>
  get(id: string): Promise<ImportJob | null>
  list(limit: number): Promise<ImportJob[]>
  /** The running job for this collection and fingerprint, if a previous run stopped midway. */
  findRunning(collectionId: string, fingerprint: string): Promise<ImportJob | null>
  /** Adds a batch's counts (deltas) and sets `processed` (absolute); call inside the batch's transaction. */
  advance(id: string, p: ImportProgress): Promise<void>
  finish(id: string, state: 'completed' | 'failed', error: string | null, at: string): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Node metadata (key/value)

export interface MetaStore {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Transparency log (RFC 6962 / 9162 Merkle tree over canonical entries; see core/translog)

/** One entry to append: its canonical bytes were made by `core/translog/entry.ts`. */
export interface LogAppend {
  readonly kind: string
  readonly at: string
  /** The entry text (the `leaf_input`, UTF-8). */
  readonly text: string
  /** Object entries: the collection and the stored version they are about (read policy, provenance). */
  readonly collectionId: string | null
  readonly objectSeq: number | null
}

/** RFC 6962 hashing: leaf = SHA-256(0x00 ‖ UTF-8 entry text), node = SHA-256(0x01 ‖ left ‖ right). */
export interface LogHashing {
  leafHash(entryText: string): Uint8Array
  nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array
}

export interface LogHead {
  readonly size: number
  readonly root: Uint8Array
}

export interface StoredLogEntry {
  readonly index: number
  readonly kind: string
  readonly at: string
  readonly collectionId: string | null
  readonly objectSeq: number | null
  readonly leafHash: Uint8Array
  readonly text: string
}

export interface StoredCheckpoint {
  readonly seq: number
  readonly size: number
  readonly root: Uint8Array
  readonly timestamp: string
  /** The signed note text (C2SP checkpoint). */
  readonly note: string
}

/** A stored object version of a collection and the log entry that added it there (see LogStore.entriesOfObjects). */
export interface ObjectEntry {
  readonly objectSeq: number
  /** The version key the version is stored (and logged) under. */
  readonly versionKey: string
  /** The entry that added it to the collection (the first, if re-added), or null when none did. */
  readonly entry: StoredLogEntry | null
}

/** A Merkle node address: level 0 are leaves, see core/translog/merkle.ts. */
export interface NodeAddress {
  readonly level: number
  readonly index: number
}

export interface LogStore {
  /**
   * Appends entries at the end of the log, in order, and stores every Merkle node they complete.
   * Must run inside `store.transaction` (it throws otherwise), so entries commit with the writes they
   * record. Appends are serialised across connections and processes (one log order); the log head
   * stays locked until the transaction ends, so append last. `hashing` computes RFC 6962 leaf and
   * node hashes (core's, or a faster implementation of the same functions).
   */
  append(entries: readonly LogAppend[], hashing: LogHashing): Promise<LogHead & { readonly first: number }>
  head(): Promise<LogHead>
  /** Entries [start, end) in index order (end exclusive, clamped to the size). */
  entries(start: number, end: number): Promise<StoredLogEntry[]>
  /** Stored hashes of the given nodes, keyed `level:index`; nodes outside the tree are absent. */
  nodes(addresses: readonly NodeAddress[]): Promise<Map<string, Uint8Array>>
  /**
   * Brings the leaf-hash lookup up to date with at most `limit` more entries (in its own transaction;
   * call outside one). Returns how many entries are not indexed yet after this call.
   */
  indexLeafHashes(limit: number): Promise<number>
  /** The lowest index whose leaf hash is this one, among the indexed entries (see indexLeafHashes), or null. */
  indexOfLeafHash(leafHash: Uint8Array): Promise<number | null>
  /** The entry that added this stored object version to this collection (the first, if re-added), or null. */
  entryOfObject(objectSeq: number, collectionId: string): Promise<StoredLogEntry | null>
  /**
   * {@link entryOfObject} for a batch (provenance of a page): for each wanted version of an object in
   * the collection (`version`: a TAXII version, the membership's `version`; null: the latest in the
   * collection), the stored version and the entry that added it to the collection, in input order;
   * null when the collection holds no such version. A few statements for the whole batch.
   */
  entriesOfObjects(collectionId: string, wanted: readonly { readonly id: string; readonly version: string | null }[]): Promise<(ObjectEntry | null)[]>
  addCheckpoint(cp: Omit<StoredCheckpoint, 'seq'>): Promise<StoredCheckpoint>
  /** The checkpoint with the highest seq (the newest), or null before the first. */
  latestCheckpoint(): Promise<StoredCheckpoint | null>
  /** Every checkpoint this node issued, oldest first (`afterSeq` for paging). */
  checkpoints(afterSeq: number, limit: number): Promise<StoredCheckpoint[]>
}

/** Raw reads for `entente log verify`: the stored state the log must account for, row by row. */
export interface AuditStore {
  /** Stored object versions by seq (any order). */
  objectsBySeq(seqs: readonly number[]): Promise<
    { readonly seq: number; readonly stixId: string; readonly versionKey: string; readonly contentHash: Uint8Array; readonly json: string }[]
  >
  /** Seqs of stored object versions after `afterSeq`, ascending. */
  objectSeqs(afterSeq: number, limit: number): Promise<number[]>
  /** Collection memberships after `afterSeq` in seq order. */
  memberships(afterSeq: number, limit: number): Promise<{ readonly seq: number; readonly collectionId: string; readonly objectSeq: number }[]>
  /** Stored interior log nodes of one level with index in [from, to). */
  logNodes(level: number, from: number, to: number): Promise<{ readonly index: number; readonly hash: Uint8Array }[]>
  /** Log entry rows with index at or after `from` (including any beyond the head), ascending, at most `limit`. */
  logRows(from: number, limit: number): Promise<StoredLogEntry[]>
}

/** A log this node witnesses: another node's, pinned by its verifier key. */
export interface WitnessedLog {
  readonly origin: string
  readonly url: string | null
  /** C2SP verifier key string `name+keyid+base64key`. */
  readonly verifierKey: string
  readonly addedAt: string
  readonly checkedAt: string | null
  readonly lastError: string | null
  /** Set (with a description of the evidence) once two inconsistent checkpoints were seen. */
  readonly fork: string | null
}

export interface WitnessedCheckpoint {
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
  readonly timestamp: string | null
  readonly note: string
  readonly seenAt: string
}

export interface WitnessStore {
  /** Adds or replaces (url, key) a watched log; a replaced key is only set by an explicit re-approval. */
  putLog(log: Pick<WitnessedLog, 'origin' | 'url' | 'verifierKey' | 'addedAt'>): Promise<WitnessedLog>
  getLog(origin: string): Promise<WitnessedLog | null>
  listLogs(): Promise<WitnessedLog[]>
  /** Records the outcome of a check; `fork` is only ever set, never cleared, by this call. */
  recordCheck(origin: string, at: string, lastError: string | null, fork: string | null): Promise<void>
  /** Stores a checkpoint (ignored when the same origin, size and root is stored). */
  addCheckpoint(cp: WitnessedCheckpoint): Promise<void>
  /** Checkpoints seen from a log, by size then root. */
  checkpoints(origin: string): Promise<WitnessedCheckpoint[]>
}

// ---------------------------------------------------------------------------------------------
// Correlation alerts (issue 4): who was told about which match, and suppressed matches

export type AlertKind = 'indicator_sighted' | 'observation_matched'
export const ALERT_KINDS: readonly AlertKind[] = ['indicator_sighted', 'observation_matched']

export interface Alert {
  readonly id: string
  /** The organisation the alert is for (for a suppressed match: the indicator's owner). */
  readonly orgId: string
  readonly createdAt: string
  /** `indicator_sighted`: to the indicator's owner; `observation_matched`: to the reporter. */
  readonly kind: AlertKind
  readonly indicatorId: string
  /** The deterministic id of the sighting the match makes (stored unless suppressed). */
  readonly sightingId: string
  readonly observationId: string
  /** The matched (canonical) value, when the match went through an indexed value. */
  readonly value: string | null
  /** What this organisation may see of the match (JSON object; the read policy was applied). */
  readonly detail: Readonly<Record<string, unknown>>
  /** Why the match was suppressed (no sighting, not shown to users), or null. */
  readonly suppressed: string | null
  readonly readAt: string | null
}

/** A keyset position in the newest-first alert order. */
export interface AlertPosition {
  readonly createdAt: string
  readonly id: string
}

export interface AlertQuery {
  /** One organisation's alerts; absent: every organisation's. */
  readonly orgId?: string
  /** true: only suppressed matches; false: only alerts (not suppressed). */
  readonly suppressed: boolean
  /** Strictly older than this position (created_at desc, id desc). */
  readonly before?: AlertPosition
  /** At least 1. */
  readonly limit: number
}

export interface AlertStore {
  /**
   * Adds alerts; one that already exists for the same (orgId, sightingId) is left as it is (a
   * re-correlation does not duplicate). Returns the alerts actually added.
   */
  add(alerts: readonly Alert[]): Promise<Alert[]>
  /**
   * The sighting ids among `sightingIds` for which `orgId` has an alert (suppressed or not): those for
   * which `add` would leave a new alert out. Any number of ids (the store chunks them).
   */
  alertedSightings(orgId: string, sightingIds: readonly string[]): Promise<Set<string>>
  get(id: string): Promise<Alert | null>
  /** Newest first (createdAt desc, id desc); fetches `limit + 1` to decide `more`. */
  list(q: AlertQuery): Promise<{ readonly items: readonly Alert[]; readonly more: boolean }>
  /** Sets `readAt` (kept when already read); null when there is no such alert. */
  markRead(id: string, at: string): Promise<Alert | null>
}

// ---------------------------------------------------------------------------------------------
// Web sign-in (issue 6): passwords and cookie sessions; the explorer's search

export interface WebSession {
  readonly userId: string
  readonly createdAt: string
  readonly lastSeenAt: string
  /** Ends unless used again before this (pushed forward by `touch`). */
  readonly idleExpiresAt: string
  /** Ends at this time whatever the use (absolute lifetime). */
  readonly expiresAt: string
  readonly revokedAt: string | null
}

/** A live session found by the hash of its id, with the user and organisation it acts for. */
export interface SessionPrincipal {
  readonly session: WebSession
  readonly user: User
  readonly org: Organisation
}

export interface SessionStore {
  /** Stores a session by the SHA-256 of its random id; the id itself is never stored. */
  create(idHash: Uint8Array, session: WebSession): Promise<Result<WebSession>>
  /** The session with this id hash if it is live at `now` (not revoked, neither expiry passed, user not disabled). */
  findActive(idHash: Uint8Array, now: string): Promise<SessionPrincipal | null>
  /** Records use: sets `lastSeenAt` and pushes `idleExpiresAt` forward (never past `expiresAt`). */
  touch(idHash: Uint8Array, at: string, idleExpiresAt: string): Promise<void>
  /** Ends one session (sign-out); true when a live one was ended. */
  revoke(idHash: Uint8Array, at: string): Promise<boolean>
  /** Ends every live session of a user (disabled, new password); returns how many. */
  revokeUser(userId: string, at: string): Promise<number>
  /** Sets (or clears, with null) a user's password hash. */
  setPasswordHash(userId: string, passwordHash: string | null): Promise<Result<User>>
  /** Deletes sessions that ended before `before`; returns how many. */
  purge(before: string): Promise<number>
}

/** A keyset position in the newest-first search order. */
export interface SearchPosition {
  readonly dateAdded: string
  readonly seq: number
}

/**
 * The explorer's search over one collection: latest versions, newest first, filtered. Every filter is
 * optional. `text` matches the object's JSON case-insensitively (ASCII); `marking` an id among its
 * `object_marking_refs`; `source` its `created_by_ref`.
 */
export interface SearchQuery {
  readonly collectionId: string
  readonly types?: readonly string[]
  readonly marking?: string
  readonly source?: string
  /** date_added at or after / strictly before (stored timestamp form). */
  readonly addedFrom?: string
  readonly addedBefore?: string
  readonly text?: string
  /** Strictly older than this position. */
  readonly before?: SearchPosition
  /** At least 1. */
  readonly limit: number
  /**
   * The most memberships one call examines: a page may hold fewer than `limit` items (even none) with
   * `more` true and `next` set, so that a selective filter never scans a million rows in one request.
   */
  readonly scanLimit: number
}

export interface SearchHit {
  readonly seq: number
  readonly dateAdded: string
  readonly json: string
  /** The membership's stored audience key columns (who produced it, the path it came by): what `present` needs besides the object. */
  readonly audience?: CollectionEntry['audience']
}

export interface SearchPage {
  readonly items: readonly SearchHit[]
  /** Where the next call resumes, or null at the end. */
  readonly next: SearchPosition | null
}

export interface SearchStore {
  objects(q: SearchQuery): Promise<SearchPage>
}

// ---------------------------------------------------------------------------------------------
// Federation (issue 5): peer nodes, vendor feeds, invitations, origins of received versions

/** How this node authenticates to a peer or feed. Stored as given: the node must present it. */
export type PeerAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }

/** An organisation of a peer node, as the peer announced it (its STIX identity id is what objects name). */
export interface PeerOrganisation {
  readonly name: string
  readonly identityId: string
}

/**
 * `pending`: registered, fingerprint not approved yet; `approved`: syncing; `key-changed`: the peer
 * presented another key (sync stopped until re-approved); `fork`: its log showed two histories;
 * `active`: a feed; `removed`: kept for history, never synced.
 */
export type PeerStatus = 'pending' | 'approved' | 'key-changed' | 'fork' | 'active' | 'removed'
export const PEER_STATUSES: readonly PeerStatus[] = ['pending', 'approved', 'key-changed', 'fork', 'active', 'removed']

/** Where the next pull starts: TAXII `added_after` and, inside a run of pages, the server's `next`. */
export interface SyncCursor {
  readonly addedAfter: string | null
  readonly next: string | null
}

export interface PeerStats {
  readonly lastAttemptAt: string | null
  readonly lastSuccessAt: string | null
  readonly lastError: string | null
  /** Consecutive failed attempts (0 after a success): drives the backoff. */
  readonly failures: number
  readonly nextAttemptAt: string | null
  readonly received: number
  readonly duplicates: number
  readonly rejected: number
  /** Versions offered to the peer (added to its per-peer collection). */
  readonly published: number
  /** The newest date_added the peer reported for what was pulled (its clock). */
  readonly remoteLastAdded: string | null
}

/** A peer node (`kind: 'node'`) or a plain TAXII 2.1 feed (`kind: 'feed'`). */
export interface Peer {
  readonly id: string
  readonly kind: 'node' | 'feed'
  /** Unique local name (what the administrator types). */
  readonly name: string
  /** The node's base URL, or the feed's API root URL. */
  readonly url: string
  /** TAXII API root URL to pull from. */
  readonly apiRoot: string
  /** The collection to pull from (the peer's per-peer collection for this node), once known. */
  readonly remoteCollection: string | null
  readonly auth: PeerAuth
  /** Checkpoint origin (key name) of a node peer. */
  readonly origin: string | null
  /** The pinned Ed25519 public key (32 bytes) of a node peer. */
  readonly publicKey: Uint8Array | null
  /** Another key the peer presented since it was pinned (status `key-changed`). */
  readonly presentedKey: Uint8Array | null
  readonly status: PeerStatus
  readonly organisations: readonly PeerOrganisation[]
  /** The local organisation and user (system principal) the peer reads as. */
  readonly localOrgId: string | null
  readonly localUserId: string | null
  /** The per-peer collection the peer reads here. */
  readonly outboundCollectionId: string | null
  /** Where objects received from the peer are stored. */
  readonly inboundCollectionId: string
  /** Feeds: the marking given to objects that arrive without one. */
  readonly defaultMarking: string | null
  readonly createdAt: string
  readonly approvedAt: string | null
  readonly cursor: SyncCursor
  /** Membership seq (local collections) up to which objects were offered to the peer. */
  readonly publishSeq: number
  readonly stats: PeerStats
}

export type PeerPatch = Partial<
  Pick<Peer, 'name' | 'url' | 'apiRoot' | 'remoteCollection' | 'auth' | 'origin' | 'publicKey' | 'presentedKey' | 'status' | 'organisations' | 'approvedAt' | 'localOrgId' | 'localUserId' | 'outboundCollectionId'>
>

export interface PeerInvitation {
  readonly id: string
  readonly name: string | null
  readonly createdAt: string
  readonly expiresAt: string
  readonly usedAt: string | null
  readonly peerId: string | null
}

/** A membership of a local collection not yet offered to a peer, with its stored version. */
export interface PendingMember {
  readonly seq: number
  readonly collectionId: string
  readonly version: NewObjectVersion
  /** The version was received from some peer or feed (it would be relayed). */
  readonly relayed: boolean
  /** The version was received from the peer asked about: never offer it back. */
  readonly fromPeer: boolean
  /** When the membership was added (stored timestamp). */
  readonly dateAdded: string
  /** The membership's stored audience key (migration 0007): what the sharing decision needs besides the object. */
  readonly audience: Omit<StoredAudience, 'recipients'>
}

export interface ObjectOrigin {
  readonly stixId: string
  readonly versionKey: string
  readonly peerId: string
  readonly verified: boolean
  readonly receivedAt: string
}

export interface PeerStore {
  /** Fails with `conflict` when the name is taken. */
  create(peer: Peer): Promise<Result<Peer>>
  get(id: string): Promise<Peer | null>
  /** By id or by name. */
  find(idOrName: string): Promise<Peer | null>
  /** The peer whose system principal is this user. */
  findByUser(userId: string): Promise<Peer | null>
  list(): Promise<Peer[]>
  update(id: string, patch: PeerPatch): Promise<Peer | null>
  /** Records the outcome of a sync attempt (backoff state, last error). */
  recordAttempt(id: string, a: { readonly at: string; readonly success: boolean; readonly error: string | null; readonly failures: number; readonly nextAttemptAt: string | null }): Promise<void>
  /**
   * Moves the cursor from `from` to `to` and adds the counts, only when the stored cursor still is
   * `from` (compare-and-set): false when another sync moved it. Call in the batch's transaction.
   */
  advanceCursor(
    id: string,
    from: SyncCursor,
    to: SyncCursor,
    counts: { readonly received: number; readonly duplicates: number; readonly rejected: number },
    remoteLastAdded: string | null,
  ): Promise<boolean>
  /** Resets the cursor (pull everything again; duplicates are recognised). */
  resetCursor(id: string): Promise<void>
  /**
   * Locks the peer row until the transaction ends (PostgreSQL row lock; SQLite has one writer) and
   * returns its publish position: publishing to one peer is serialised across processes.
   */
  lockPublish(id: string): Promise<number>
  setPublished(id: string, seq: number, added: number): Promise<void>
  /**
   * Memberships after `afterSeq` of every collection except `excludeCollections`, in seq order, at most
   * `limit`; versions received from `peerId` are flagged `fromPeer` (listed, so the position moves past them).
   */
  pending(q: { readonly peerId: string; readonly afterSeq: number; readonly excludeCollections: readonly string[]; readonly limit: number }): Promise<PendingMember[]>
  /** The highest membership seq of the store (0 when empty). */
  maxMemberSeq(): Promise<number>
  /** Records where versions came from (ignores rows already recorded). */
  recordOrigins(rows: readonly ObjectOrigin[]): Promise<void>
  originsOf(stixId: string, versionKey: string): Promise<ObjectOrigin[]>
  addInvitation(inv: PeerInvitation, secretHash: Uint8Array): Promise<void>
  /** The invitation with this id and secret hash, used or not. */
  findInvitation(id: string, secretHash: Uint8Array): Promise<PeerInvitation | null>
  /** Marks an invitation used (compare-and-set): false when it was used already or has expired at `at`. */
  useInvitation(id: string, at: string, peerId: string): Promise<boolean>
}

// ---------------------------------------------------------------------------------------------
// Joint cases (issue 6): an index derived from the case objects stored as versions, and webhooks

/** The list fields of a case's latest version (timestamps in stored form). */
export interface CaseIndexRow {
  readonly caseId: string
  readonly collectionId: string
  readonly title: string
  readonly status: string
  readonly severity: string
  /** The lead organisation's STIX identity id. */
  readonly leadRef: string
  readonly tlp: string
  readonly created: string
  readonly modified: string
  /** Every organisation identity taking part (the lead included): the read filter of listings. */
  readonly orgRefs: readonly string[]
}

/** One object of a case (the case itself, a task, note, request or offer) and its latest version. */
export interface CaseMember {
  readonly stixId: string
  readonly caseId: string
  readonly type: string
  /** Stored timestamp form. */
  readonly created: string
  /** Stored timestamp form of the latest version: the optimistic-concurrency head. */
  readonly modified: string
}

export interface CaseListQuery {
  /** Only cases in which one of these organisation identities takes part; absent: every case. */
  readonly orgRefs?: readonly string[]
  readonly statuses?: readonly string[]
  readonly severities?: readonly string[]
  readonly leadRef?: string
  /** Strictly older than this position (created desc, caseId desc). */
  readonly before?: { readonly created: string; readonly caseId: string }
  /** At least 1; the store fetches `limit + 1` to decide `more`. */
  readonly limit: number
}

export interface CaseStore {
  /** Stores a case version's list fields unless a newer version is indexed; replaces its organisations. */
  indexCase(row: CaseIndexRow): Promise<void>
  getCase(caseId: string): Promise<CaseIndexRow | null>
  /** Newest first (created desc, caseId desc). */
  listCases(q: CaseListQuery): Promise<{ readonly items: readonly CaseIndexRow[]; readonly more: boolean }>
  /** Records an object of a case; an existing row keeps the later `modified`. */
  putMember(m: CaseMember): Promise<void>
  member(stixId: string): Promise<CaseMember | null>
  /** Objects of a case of the given types, oldest first (created, stixId), at most `limit`. */
  members(caseId: string, types: readonly string[], limit: number): Promise<CaseMember[]>
  countMembers(caseId: string, type: string): Promise<number>
  /** Compare-and-set of an object's head: sets `modified` to `next` only where it is `expected`. True when it did. */
  claimVersion(stixId: string, expected: string, next: string): Promise<boolean>
  /** The indexed heads (`modified`, stored form) of those of `stixIds` that are case objects; absent ids are not indexed. */
  heads(stixIds: readonly string[]): Promise<Map<string, string>>
}

export interface Webhook {
  readonly id: string
  readonly orgId: string
  readonly url: string
  readonly description: string | null
  /** The HMAC secret, sealed by the node (never returned by the API after creation). */
  readonly sealedSecret: string
  readonly events: readonly string[]
  readonly active: boolean
  readonly createdBy: string
  readonly createdAt: string
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed'

export interface WebhookDelivery {
  readonly id: string
  readonly webhookId: string
  readonly eventId: string
  readonly eventType: string
  /** The exact JSON body that is signed and sent. */
  readonly payload: string
  readonly state: WebhookDeliveryState
  readonly attempts: number
  readonly nextAttemptAt: string | null
  readonly lockedUntil: string | null
  readonly lastStatus: number | null
  readonly lastError: string | null
  readonly createdAt: string
  readonly finishedAt: string | null
}

export interface WebhookStore {
  create(w: Webhook): Promise<Webhook>
  get(id: string): Promise<Webhook | null>
  /** One organisation's webhooks (every organisation's when absent), oldest first. */
  list(orgId?: string): Promise<Webhook[]>
  setActive(id: string, active: boolean): Promise<Webhook | null>
  /** Deletes a webhook and its deliveries; false when there was none. */
  remove(id: string): Promise<boolean>
  /** Queues deliveries; one for the same (webhook, event) is ignored. Returns how many were added. */
  enqueue(deliveries: readonly WebhookDelivery[]): Promise<number>
  /**
   * Leases up to `limit` pending deliveries due at `now` (next_attempt_at <= now, lease expired) until
   * `leaseUntil`, each by compare-and-set so that two workers never send the same delivery at once.
   */
  claimDue(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]>
  /** Records the outcome of an attempt and releases the lease. */
  recordAttempt(
    id: string,
    o: { readonly state: WebhookDeliveryState; readonly attempts: number; readonly nextAttemptAt: string | null; readonly lastStatus: number | null; readonly lastError: string | null; readonly finishedAt: string | null },
  ): Promise<void>
  getDelivery(id: string): Promise<WebhookDelivery | null>
  /** A webhook's deliveries, newest first (createdAt desc, id desc). */
  deliveries(webhookId: string, q: { readonly before?: { readonly createdAt: string; readonly id: string }; readonly limit: number }): Promise<{ readonly items: readonly WebhookDelivery[]; readonly more: boolean }>
}

// ---------------------------------------------------------------------------------------------
// The store

/** Everything a transaction can reach. */
export interface Tx {
  readonly orgs: OrgStore
  readonly users: UserStore
  readonly tokens: TokenStore
  readonly collections: CollectionStore
  readonly objects: ObjectStore
  readonly statuses: StatusStore
  readonly jobs: JobStore
  readonly meta: MetaStore
  readonly log: LogStore
  readonly witness: WitnessStore
  readonly audit: AuditStore
  readonly alerts: AlertStore
  readonly peers: PeerStore
  readonly sessions: SessionStore
  readonly search: SearchStore
  readonly cases: CaseStore
  readonly webhooks: WebhookStore
}

/** Engine differences, named (Kysely's DialectAdapter idea). */
export interface StoreCapabilities {
  /** Several processes and connections may use the database at once (PostgreSQL). */
  readonly multipleConnections: boolean
}

export interface TransactionOptions {
  /**
   * `relaxed`: the commit does not wait for the disk (SQLite `synchronous = NORMAL` for this
   * transaction, PostgreSQL `synchronous_commit = off`). A crash of the process loses nothing; a power
   * loss may lose the last relaxed commits, never corrupting the database or reordering them. Only for
   * writes that can be redone from their source: a peer pull, whose cursor moves in the same
   * transaction, so a lost commit is pulled again. The next ordinary commit (a signed log checkpoint,
   * any user's write) makes every earlier one durable, so a checkpoint never covers lost entries.
   */
  readonly durability?: 'full' | 'relaxed'
}

export interface Store extends Tx {
  readonly engine: 'sqlite' | 'postgres'
  readonly capabilities: StoreCapabilities
  /**
   * Runs `fn` in one transaction. Commits when `fn` returns `ok`, rolls back when it returns `err`
   * (the Result is passed through) or throws (the error is rethrown). Nested calls are not supported.
   */
  transaction<T>(fn: (tx: Tx) => Promise<Result<T, DomainError>>, opts?: TransactionOptions): Promise<Result<T, DomainError>>
  /** Applies pending migrations; returns the names applied. Run at start and by `entente migrate`. */
  migrate(): Promise<string[]>
  /** Names of migrations applied and pending. */
  migrationStatus(): Promise<{ readonly applied: string[]; readonly pending: string[] }>
  /**
   * Refreshes the query planner's statistics after a bulk load, so that reads of a freshly filled
   * collection get index plans at once (PostgreSQL); a no-op where plans are pinned (SQLite).
   */
  refreshStatistics(): Promise<void>
  /** Cheap liveness check for /healthz. */
  ping(): Promise<boolean>
  close(): Promise<void>
}

/** How to open a store. Config builds this; the store never reads config itself. */
export type StoreOptions =
  | { readonly driver: 'sqlite'; readonly path: string; readonly synchronous?: 'FULL' | 'NORMAL' }
  | {
      readonly driver: 'postgres'
      readonly url: string
      readonly poolMax?: number
      /** PostgreSQL schema to use (tests use one schema per file); created if missing. */
      readonly schema?: string
      readonly statementTimeoutMs?: number
    }
