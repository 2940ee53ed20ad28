/**
 * Federation between Entente nodes, and pulls from plain TAXII 2.1 feeds (issue 5):
 * - peering: single-use invitations, registration in both directions, fingerprints approved out of
 *   band, a pinned key (a peer presenting another key stops syncing: `key-changed`);
 * - per-peer collections: what the policy engine (`decide`, src/core/policy, under the agreements with
 *   the peer) lets the peer see is published into the collection the peer reads (one log entry per
 *   version, so provenance can be served for it), and checked again at every read of that collection;
 * - pulls with a durable cursor advanced in the batch's transaction, provenance verified with the
 *   pinned key before anything is stored, the peer's checkpoint witnessed at every sync, origins
 *   recorded so nothing is offered back to the node it came from, and the path (hops) of every
 *   received version stored with it, so relays obey every agreement on the path.
 * The network is behind the `PeerClient` port; scheduling is in `src/federation/scheduler.ts`.
 */
import type { Viewer } from '../../core/policy/viewer.js'
import { isAdmin } from '../../core/policy/viewer.js'
import type { Issue } from '../../core/shared/errors.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs, toStoredTimestamp } from '../../core/stix/time.js'
import { bytesEqual } from '../../core/translog/merkle.js'
import { parseVerifierKey, verifierKey } from '../../core/translog/note.js'
import type { NewObjectVersion, Peer, PeerAuth, PeerOrganisation, SyncCursor, Tx } from '../../store/port.js'
import type { AdminService } from '../admin/admin.js'
import type { ServiceDeps } from '../deps.js'
import type { RemoteLogService } from '../log/remote.js'
import { actorOf, entryBase, loggedObject, makeLogRecorder, type Recorded } from '../log/record.js'
import type { IngestService, ItemResult } from '../pipeline/ingest.js'
import type { Preparer, RawItem } from '../pipeline/preparer.js'
import { prepareReceived, type ReceivedOutcome, type ReceiveEvidence, type ReceivedPageText } from '../../core/ingest/receive.js'
import type { PrepareOutcome } from '../../core/ingest/prepare.js'
import { backoffMs, type BackoffOptions } from './backoff.js'
import { advance } from './cursor.js'
import { checkPeerUrl, encodeInvitation, fingerprint, normaliseFingerprint, parseInvitation } from './invitation.js'
import { agreementsSignature, checkReceivedPath, peerReader, shareDecision, tlpMarkingId, TLP2, type StoredVersionInfo } from './policy.js'
import { AGREEMENTS_COLLECTION_ALIAS, nodeIdOfOrigin, type AgreementsService } from '../agreements/agreements.js'
import type { AgreementView } from '../../core/agreement/view.js'
import { recipientsOf } from '../../core/marking/recipients.js'
import type { Hop, Origin, PolicyEnv } from '../../core/policy/audience.js'
import type { CollectionEntry, KeysetPosition } from '../../store/port.js'
import type { EntriesPage, ObjectsService } from '../share/objects.js'
import type { ObjectsPage, PeerClient, RegisterAnswer, RegisterRequest } from './ports.js'

/** Objects per pull page and per provenance request (the provenance endpoint takes at most 1,000). */
export const PULL_PAGE = 1000
/** Memberships examined per publish transaction. */
export const PUBLISH_BATCH = 1000
const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/
const MAX_ORGANISATIONS = 100

export interface FederationOptions {
  /** This node's public base URL (config node.baseUrl), put in invitations and registrations. */
  readonly baseUrl?: string
  /** Time between two syncs of a healthy peer. */
  readonly pollIntervalMs: number
  readonly backoff: BackoffOptions
  /** Days an invitation stays usable by default. */
  readonly invitationTtlHours: number
  readonly random?: () => number
}

export const DEFAULT_FEDERATION_OPTIONS: FederationOptions = {
  pollIntervalMs: 60_000,
  backoff: { baseMs: 5_000, maxMs: 3_600_000 },
  invitationTtlHours: 72,
}

export interface FederationDeps extends ServiceDeps {
  readonly admin: AdminService
  readonly ingest: IngestService
  readonly remoteLog: RemoteLogService
  readonly peerClient?: PeerClient
  readonly federation?: FederationOptions
  /** The agreements this node holds (none: only TLP:CLEAR goes to peers). */
  readonly agreements?: Pick<AgreementsService, 'activeAgreements' | 'invalidate'> & Partial<Pick<AgreementsService, 'onChange'>>
  /**
   * Exchanges the agreements between this node and a peer at the start of every sync (newer versions
   * in, unconfirmed ones out: services/agreements/exchange.ts), so a suspension or termination on
   * either side counts from the next sync. Throws when the peer cannot be asked (the sync fails).
   */
  readonly exchangeAgreements?: (peer: Peer) => Promise<unknown>
  /** Where received pages are prepared and their provenance verified (a worker thread in `entente serve`). */
  readonly preparer?: Preparer
}

/** A peer as administrators see it (no secrets). */
export interface PeerView {
  readonly id: string
  readonly kind: 'node' | 'feed'
  readonly name: string
  readonly url: string
  readonly status: Peer['status']
  /** Fingerprint of the pinned key (nodes). */
  readonly fingerprint: string | null
  /** Fingerprint of a different key the peer presented (status key-changed). */
  readonly presentedFingerprint: string | null
  readonly origin: string | null
  readonly organisations: PeerOrganisation[]
  readonly remoteCollection: string | null
  readonly outboundCollectionId: string | null
  readonly inboundCollectionId: string
  readonly defaultMarking: string | null
  readonly createdAt: string
  readonly approvedAt: string | null
  readonly lastAttemptAt: string | null
  readonly lastSyncAt: string | null
  /** Seconds since the last complete sync (everything the peer offered up to then was received). */
  readonly lagSeconds: number | null
  readonly lastError: string | null
  readonly failures: number
  readonly nextAttemptAt: string | null
  readonly received: number
  readonly duplicates: number
  readonly rejected: number
  readonly published: number
  readonly cursor: SyncCursor
}

export interface SyncSummary {
  readonly peer: string
  readonly published: number
  readonly pages: number
  readonly received: number
  readonly duplicates: number
  readonly rejected: number
  readonly checkpoint: { readonly size: number; readonly verdict: string } | null
}

/** A remembered share decision for one version in a per-peer collection, with the path it was stored with. */
export interface RecentDecision {
  readonly share: boolean
  readonly agreementId: string
  readonly path: readonly Hop[] | null
  readonly expiresAt: string | null
}

/**
 * Share decisions of recently read versions of per-peer collections, keyed by peer, object id and
 * version, valid for `ttlMs` under the same signature (agreements, whom the peer acts for); at most
 * `max` kept (the oldest dropped).
 */
export function makeDecisionMemo(max: number, ttlMs: number) {
  const m = new Map<string, RecentDecision & { readonly sig: string; readonly at: number }>()
  return {
    get(peerId: string, stixId: string, version: string, sig: string, nowMs: number): RecentDecision | undefined {
      const d = m.get(`${peerId}|${stixId}|${version}`)
      return d !== undefined && d.sig === sig && nowMs - d.at < ttlMs && nowMs >= d.at ? d : undefined
    },
    set(peerId: string, stixId: string, version: string, sig: string, nowMs: number, d: RecentDecision): void {
      const k = `${peerId}|${stixId}|${version}`
      m.delete(k)
      m.set(k, { ...d, sig, at: nowMs })
      if (m.size > max) {
        const oldest = m.keys().next()
        if (oldest.done !== true) m.delete(oldest.value)
      }
    },
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
const invalid = (issues: Issue[]) => err({ code: 'validation_failed' as const, issues })
const conflict = (detail: string) => err({ code: 'conflict' as const, detail })
const forbidden = () => err({ code: 'forbidden' as const, reason: 'role' as const })
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]?.slice(0, 500) ?? 'error'

/** The TAXII version of a received object (its stored `modified`, else `created`), or null. */
function taxiiVersionOf(o: Record<string, unknown>): string | null {
  const m = typeof o['modified'] === 'string' ? toStoredTimestamp(o['modified']) : null
  return m ?? (typeof o['created'] === 'string' ? toStoredTimestamp(o['created']) : null)
}

/** The accepted objects of a page that share one path, prepared (in the same order). */
interface PageGroup {
  readonly origin: Origin
  readonly objects: Record<string, unknown>[]
  readonly prepared: PrepareOutcome[]
}

/** A pull page fetched and checked, ready to store (see `pull`). */
interface FetchedPage {
  readonly page: ObjectsPage
  readonly groups: ReadonlyMap<string, PageGroup>
  /** The version key each accepted object is stored under. */
  readonly versionKeys: ReadonlyMap<Record<string, unknown>, string>
  /** Objects of the page refused before ingest (malformed, invalid, provenance, path). */
  readonly bad: number
  readonly nextSeen: string | null
  readonly to: SyncCursor
}

export function makeFederationService(deps: FederationDeps) {
  const { store, clock, hasher, ids, admin, ingest } = deps
  const options = deps.federation ?? DEFAULT_FEDERATION_OPTIONS
  const random = options.random ?? Math.random
  const logger = deps.logger.child({ module: 'federation' })
  const recorder = makeLogRecorder(hasher)
  const now = () => storedTimestampFromMs(clock.nowMs())
  const system = (name: string, orgId: string): Viewer => ({ kind: 'system', name, orgId })
  const listeners = new Set<(event: { kind: 'changed' } | { kind: 'notified'; peerId: string }) => void>()
  const fp = (key: Uint8Array) => fingerprint(key, (b) => hasher.sha256(b))

  function client(): PeerClient {
    if (!deps.peerClient) throw new Error('federation: this process cannot reach other nodes (no peer client)')
    return deps.peerClient
  }

  function view(p: Peer): PeerView {
    const last = p.stats.lastSuccessAt
    return {
      id: p.id, kind: p.kind, name: p.name, url: p.url, status: p.status,
      fingerprint: p.publicKey ? fp(p.publicKey) : null,
      presentedFingerprint: p.presentedKey ? fp(p.presentedKey) : null,
      origin: p.origin, organisations: [...p.organisations], remoteCollection: p.remoteCollection,
      outboundCollectionId: p.outboundCollectionId, inboundCollectionId: p.inboundCollectionId, defaultMarking: p.defaultMarking,
      createdAt: p.createdAt, approvedAt: p.approvedAt, lastAttemptAt: p.stats.lastAttemptAt, lastSyncAt: last,
      lagSeconds: last ? Math.max(0, Math.round((clock.nowMs() - Date.parse(last)) / 1000)) : null,
      lastError: p.stats.lastError, failures: p.stats.failures, nextAttemptAt: p.stats.nextAttemptAt,
      received: p.stats.received, duplicates: p.stats.duplicates, rejected: p.stats.rejected, published: p.stats.published, cursor: p.cursor,
    }
  }

  /** This node's identity as partners see it: URL, verifier key, organisations (not the peers' own). */
  async function self(urlOverride?: string): Promise<Result<{ url: string; name: string; verifierKey: string; publicKey: Uint8Array; hostOrgId: string; organisations: PeerOrganisation[] }>> {
    const raw = urlOverride ?? options.baseUrl
    if (raw === undefined) return invalid([{ pointer: '/url', message: "this node's public URL is needed: set node.baseUrl in the configuration or pass --url" }])
    const url = checkPeerUrl(raw)
    if (!url.ok) return invalid([{ pointer: '/url', message: url.error }])
    const origin = await store.meta.get('log.origin')
    const pk = await store.meta.get('log.public_key')
    const hostOrgId = await store.meta.get('node.host_org')
    if (origin === null || pk === null || hostOrgId === null) return conflict('this node has no log key yet: run entente init')
    const publicKey = Uint8Array.from(Buffer.from(pk, 'base64'))
    const peerOrgs = new Set((await store.peers.list()).map((p) => p.localOrgId))
    const organisations = (await store.orgs.list()).filter((o) => !peerOrgs.has(o.id)).slice(0, MAX_ORGANISATIONS).map((o) => ({ name: o.name, identityId: o.identityId }))
    return ok({ url: url.value, name: (await store.meta.get('node.name')) ?? 'entente', verifierKey: verifierKey(origin, publicKey), publicKey, hostOrgId, organisations })
  }

  function checkName(name: string, pointer: string): Issue[] {
    return NAME.test(name) ? [] : [{ pointer, message: 'must be 1 to 41 characters: lowercase letters, digits and -, starting with a letter or digit' }]
  }

  /** A peer name from a node name: lowercase, dashes, at most 41 characters. */
  function slug(s: string): string {
    const t = s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 41).replace(/-+$/, '')
    return t === '' ? 'peer' : t
  }

  function checkOrganisations(v: unknown): PeerOrganisation[] | null {
    if (!Array.isArray(v) || v.length > MAX_ORGANISATIONS) return null
    const out: PeerOrganisation[] = []
    for (const o of v) {
      if (!isRecord(o) || typeof o['name'] !== 'string' || typeof o['identityId'] !== 'string') return null
      if (o['name'].length === 0 || o['name'].length > 200 || !/^identity--[0-9a-f-]{36}$/.test(o['identityId'])) return null
      out.push({ name: o['name'], identityId: o['identityId'] })
    }
    return out
  }

  /**
   * The local side of a peer, in `tx`: an organisation and a read-only user with an API token (the
   * peer's credential here, stored hashed), the per-peer collection it may read, and the collection
   * what it sends is stored in.
   */
  async function setUpLocal(tx: Tx, name: string, hostOrgId: string) {
    const sys = system(`federation:${name}`, hostOrgId)
    const org = await admin.createOrganisation(sys, { name: `Peer node ${name}` }, tx)
    if (!org.ok) return org
    const user = await admin.createUser(sys, { orgId: org.value.id, username: `peer-${name}`, role: 'read_only' }, tx)
    if (!user.ok) return user
    const token = await admin.createToken(sys, { userId: user.value.id, name: `peer ${name} sync` }, tx)
    if (!token.ok) return token
    const outbound = await admin.createCollection(sys, { title: `To ${name}`, alias: `to-${name}`, description: `What peer ${name} may read: computed by the sharing policy` }, tx)
    if (!outbound.ok) return outbound
    const inbound = await admin.createCollection(sys, { title: `From ${name}`, alias: `from-${name}`, description: `Objects received from peer ${name}, provenance verified` }, tx)
    if (!inbound.ok) return inbound
    const at = now()
    for (const p of [
      { collectionId: outbound.value.id, orgId: org.value.id, canRead: true, canWrite: false },
      { collectionId: inbound.value.id, orgId: hostOrgId, canRead: true, canWrite: false },
    ]) {
      const r = await tx.collections.setPermission(p)
      if (!r.ok) return r
      const permission = { collection: p.collectionId, org: p.orgId, read: p.canRead, write: p.canWrite }
      await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(sys)), kind: 'collection.permission_set', permission } }])
    }
    return ok({ orgId: org.value.id, userId: user.value.id, token: token.value.secret, outbound: outbound.value.id, inbound: inbound.value.id })
  }

  function newPeer(p: Pick<Peer, 'id' | 'kind' | 'name' | 'url' | 'apiRoot' | 'remoteCollection' | 'auth' | 'origin' | 'publicKey' | 'status' | 'organisations' | 'localOrgId' | 'localUserId' | 'outboundCollectionId' | 'inboundCollectionId' | 'defaultMarking'>): Peer {
    return {
      ...p, presentedKey: null, createdAt: now(), approvedAt: null, cursor: { addedAfter: null, next: null }, publishSeq: 0,
      stats: { lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0, nextAttemptAt: null, received: 0, duplicates: 0, rejected: 0, published: 0, remoteLastAdded: null },
    }
  }

  async function findPeer(idOrName: string, kind?: Peer['kind']): Promise<Result<Peer>> {
    const p = await store.peers.find(idOrName)
    if (!p || p.status === 'removed' || (kind !== undefined && p.kind !== kind)) return err({ code: 'not_found', resource: kind === 'feed' ? 'feed' : 'peer', id: idOrName })
    return ok(p)
  }

  // --- Publishing: the per-peer collection ------------------------------------------------------

  /**
   * The policy environment now: this node's id and every agreement it holds. The agreements are read
   * again each time (another process — `entente agreement terminate`, another server on the same
   * database — may have changed them), so a suspension or termination counts from the next sync or read.
   */
  async function policyEnv(opts: { readonly reload?: boolean } = {}): Promise<PolicyEnv | null> {
    const origin = await store.meta.get('log.origin')
    if (origin === null) return null
    const nowMs = clock.nowMs()
    if (opts.reload !== false) deps.agreements?.invalidate()
    const agreements: ReadonlyMap<string, AgreementView> = deps.agreements ? await deps.agreements.activeAgreements(nowMs) : new Map()
    return { nodeId: nodeIdOfOrigin(origin), now: nowMs, agreements }
  }

  const parse = (json: string): Record<string, unknown> | null => {
    try {
      const o: unknown = JSON.parse(json)
      return isRecord(o) ? o : null
    } catch {
      return null
    }
  }

  /** Offers what the policy allows to one peer, in batches; returns how many versions were added. */
  async function publish(peer: Peer): Promise<number> {
    if (peer.kind !== 'node' || peer.status !== 'approved' || peer.outboundCollectionId === null) return 0
    const reader = peerReader(peer)
    const env = await policyEnv()
    if (reader === null || env === null) return 0
    const outbound = peer.outboundCollectionId
    const exclude = (await store.peers.list()).map((p) => p.outboundCollectionId).filter((c): c is string => c !== null)
    // What this peer sent us is never offered back to it: skip its collection in the query instead of
    // reading every received row once after a big pull (16 s for a million; other peers still get
    // what the policy lets them relay).
    exclude.push(peer.inboundCollectionId)
    // Agreements travel by export/import or the peer inbox, never by sync (the collection is node-internal).
    const agreementsCollection = await store.collections.find(AGREEMENTS_COLLECTION_ALIAS)
    if (agreementsCollection) exclude.push(agreementsCollection.id)
    // An agreement started, ended, was suspended or resumed: look at everything again (what was
    // withheld may now go; what went stays in the collection but reads check the policy again).
    const sigKey = `federation.publish.agreements.${peer.id}`
    const sig = agreementsSignature(env.agreements)
    if ((await store.meta.get(sigKey)) !== sig) {
      await store.transaction(async (tx) => {
        await tx.peers.lockPublish(peer.id)
        await tx.peers.setPublished(peer.id, 0, 0)
        await tx.meta.set(sigKey, sig)
        return ok(undefined)
      })
    }
    let total = 0
    for (;;) {
      const r = await store.transaction(async (tx) => {
        const from = await tx.peers.lockPublish(peer.id)
        const rows = await tx.peers.pending({ peerId: peer.id, afterSeq: from, excludeCollections: exclude, limit: PUBLISH_BATCH })
        const last = rows[rows.length - 1]
        if (!last) return ok({ added: 0, done: true })
        const share: NewObjectVersion[] = []
        for (const row of rows) {
          // Never offered back to the node it came from (decide also refuses any node on the path).
          if (row.fromPeer) continue
          const obj = parse(row.version.json)
          if (obj === null) continue
          const info: StoredVersionInfo = { collectionId: row.collectionId, tlp: row.audience.tlp, producer: row.audience.producer, path: row.audience.path, receivedAt: row.dateAdded, expiresAt: row.audience.expiresAt }
          if (!shareDecision(reader, obj, info, env).share) continue
          const rec = recipientsOf(obj)
          // The membership in the per-peer collection keeps the audience of the version it copies.
          share.push({ ...row.version, audience: { ...row.audience, recipients: rec.ok ? rec.value : null } })
        }
        const at = now()
        const outcomes = share.length > 0 ? await tx.objects.putVersions(outbound, share, at) : []
        const base = entryBase(at, { system: `federation:${peer.name}` })
        const logged: Recorded[] = []
        outcomes.forEach((o, i) => {
          const v = share[i]
          if (o.kind === 'added' && v) logged.push({ entry: { ...base, kind: 'object.added', collection: outbound, object: loggedObject(v) }, collectionId: outbound, objectSeq: o.objectSeq })
        })
        await tx.peers.setPublished(peer.id, last.seq, logged.length)
        await recorder.record(tx, logged)
        return ok({ added: logged.length, done: rows.length < PUBLISH_BATCH })
      })
      if (!r.ok) throw new Error(`publish failed: ${r.error.code}`)
      total += r.value.added
      if (r.value.done) break
    }
    if (total > 0 && peer.auth.kind !== 'none' && deps.peerClient) {
      // Push on change: a small authenticated "pull now"; the peer's scheduled pull is the fallback.
      deps.peerClient.notify(peer.url, peer.auth).catch((e: unknown) => logger.debug({ peer: peer.name, err: message(e) }, 'notify failed'))
    }
    return total
  }

  // --- Pulling ----------------------------------------------------------------------------------

  /**
   * Asks the peer for the path of each object it offers us (POST /api/v1/federation/paths) and checks
   * each ({@link checkReceivedPath}): a string is the reason an object is refused. One answer per
   * asked object, in order.
   */
  async function receivedPaths(peer: Peer, asked: readonly { id: string; version?: string }[], env: PolicyEnv | null): Promise<(Hop[] | string)[]> {
    if (env === null || peer.origin === null) return asked.map(() => 'this node has no identity yet')
    const peerNode = nodeIdOfOrigin(peer.origin)
    const raw = await client().paths(peer.url, peer.auth, asked)
    const byKey = new Map<string, unknown>()
    const items = isRecord(raw) && Array.isArray(raw['items']) ? raw['items'] : []
    for (const it of items.slice(0, asked.length * 2)) {
      if (!isRecord(it) || typeof it['id'] !== 'string') continue
      const version = typeof it['version'] === 'string' ? toStoredTimestamp(it['version']) : null
      byKey.set(`${it['id']}|${version ?? ''}`, it['path'])
      if (!byKey.has(`${it['id']}|*`)) byKey.set(`${it['id']}|*`, it['path'])
    }
    return asked.map((o) => {
      const p = o.version !== undefined ? byKey.get(`${o.id}|${o.version}`) : byKey.get(`${o.id}|*`)
      return p === undefined ? `${peer.name} reported no path for it` : checkReceivedPath(p, peerNode, env.nodeId, env.agreements)
    })
  }

  /** Prepares a received page and verifies its provenance: on a worker thread when the node has one. */
  function receive(items: readonly RawItem[] | ReceivedPageText, evidence: ReceiveEvidence | null): Promise<ReceivedOutcome[]> {
    if (deps.preparer?.receive) return deps.preparer.receive(items, evidence)
    return Promise.resolve(prepareReceived(items, evidence, deps.verify, (t) => hasher.sha256(t), (b) => hasher.sha256(b)))
  }

  /**
   * The policy environment for the pages of one pull: read afresh when the sync starts (another
   * process may have changed the agreements: a change counts from the next sync), then kept for every
   * page instead of reloading and re-verifying the agreements per page. A change made through this
   * process's agreements service drops it.
   */
  async function pullEnv(): Promise<{ get(): Promise<PolicyEnv | null>; close(): void }> {
    let env = await policyEnv()
    let stale = false
    const off = deps.agreements?.onChange?.(() => {
      stale = true
    })
    return {
      async get() {
        if (stale) {
          stale = false
          // The service's own cache was dropped by the change: no second invalidation needed.
          env = await policyEnv({ reload: false })
        }
        return env
      },
      close: () => {
        off?.()
      },
    }
  }

  /** The key the peer presents must be the pinned one; otherwise sync stops (status key-changed) until re-approved. */
  async function checkPeerKey(peer: Peer, pinnedKey: Uint8Array): Promise<Result<void>> {
    const presented = await client().nodeKey(peer.url)
    if (bytesEqual(presented.publicKey, pinnedKey)) return ok(undefined)
    await store.peers.update(peer.id, { status: 'key-changed', presentedKey: presented.publicKey })
    logger.error({ peer: peer.name, pinned: fp(pinnedKey), presented: fp(presented.publicKey) }, 'peer presented a different key: sync stopped until an administrator approves it')
    return conflict(`peer ${peer.name} presented a different key (fingerprint ${fp(presented.publicKey)}, pinned ${fp(pinnedKey)}): sync stopped until the new fingerprint is approved`)
  }

  async function pull(peer: Peer): Promise<Result<Omit<SyncSummary, 'peer' | 'published'>>> {
    if (peer.kind === 'node' && peer.status !== 'approved') return conflict(`peer ${peer.name} is ${peer.status}: ${peer.status === 'key-changed' ? 'it presented another key; compare the new fingerprint and approve it' : 'approve its fingerprint first'}`)
    if (peer.kind === 'feed' && peer.status !== 'active') return conflict(`feed ${peer.name} is ${peer.status}`)
    if (peer.remoteCollection === null) return conflict(`${peer.name} has no collection to pull from yet`)
    const c = client()
    let checkpoint: SyncSummary['checkpoint'] = null
    let pinned: { readonly origin: string; readonly publicKey: Uint8Array } | null = null
    if (peer.kind === 'node') {
      if (!peer.publicKey || !peer.origin) return conflict(`peer ${peer.name} has no pinned key`)
      const keyCheck = await checkPeerKey(peer, peer.publicKey)
      if (!keyCheck.ok) return keyCheck
      pinned = { origin: peer.origin, publicKey: peer.publicKey }
      // Witnessing: the peer's signed checkpoint must be consistent with every one seen before.
      if (deps.remoteLogs) {
        const token = peer.auth.kind === 'bearer' ? peer.auth.token : undefined
        const log = deps.remoteLogs(peer.url, token)
        const w = await deps.remoteLog.witnessCheckpoint(peer.origin, await log.checkpoint(), (a, b) => log.consistency(a, b))
        if (!w.ok) return w
        if (w.value.verdict === 'fork') {
          await store.peers.update(peer.id, { status: 'fork' })
          return conflict(`peer ${peer.name} signed two inconsistent checkpoints (a fork): ${w.value.detail}`)
        }
        checkpoint = { size: w.value.checkpoint.size, verdict: w.value.verdict }
      }
    }
    const viewer = system(`federation:${peer.name}`, (await store.meta.get('node.host_org')) ?? '')
    let cursor = peer.cursor
    let seenMax = peer.stats.remoteLastAdded
    let pages = 0
    let received = 0
    let duplicates = 0
    let rejected = 0
    /**
     * Fetches the page at `at` and makes it ready to store: the TAXII page, then (nodes) its provenance
     * verified with the pinned key and its paths. Nothing is stored here, so the next page can be
     * fetched and verified while this one is stored (the cursor still moves one page at a time, in
     * the page's own transaction).
     */
    const remote = peer.remoteCollection
    const envs = await pullEnv()
    const fetchPage = async (at: SyncCursor, seenBefore: string | null): Promise<Result<FetchedPage>> => {
      const page = await c.objects(peer.apiRoot, peer.auth, remote, { addedAfter: at.addedAfter, next: at.next, limit: PULL_PAGE })
      if (page.objects.length > PULL_PAGE * 10) return conflict(`${peer.name} sent ${page.objects.length} objects in one page`)
      let candidates: Record<string, unknown>[] = []
      /** Where each candidate is in the page's `objects` list. */
      const positions: number[] = []
      let bad = 0
      page.objects.forEach((o, i) => {
        if (isRecord(o) && typeof o['id'] === 'string' && o['id'].length <= 300) {
          candidates.push(o)
          positions.push(i)
        } else bad++
      })
      if (peer.kind === 'feed') {
        const marking = peer.defaultMarking ?? TLP2.amber
        candidates = candidates.map((o) => (o['object_marking_refs'] === undefined && o['type'] !== 'marking-definition' ? { ...o, object_marking_refs: [marking] } : o))
      }
      // What the peer is asked about each object: its version (modified, else created), or the latest.
      const asked = candidates.map((o) => {
        const v = taxiiVersionOf(o)
        return v !== null ? { id: o['id'] as string, version: v } : { id: o['id'] as string }
      })
      let pathsAhead: Promise<(Hop[] | string)[]> | null = null
      let evidence: ReceiveEvidence | null = null
      if (pinned && candidates.length > 0) {
        // The paths are asked for at the same time as the provenance (for every candidate; only verified ones are kept).
        pathsAhead = peer.kind === 'node' ? envs.get().then((env) => receivedPaths(peer, asked, env)) : null
        pathsAhead?.catch(() => undefined)
        // The answer's text goes to the worker unparsed: parsing it there spares this thread both the
        // parse and copying the parsed bundle across (about 1.6 KB per object).
        const answer = c.provenanceText ? { text: await c.provenanceText(peer.url, peer.auth, remote, asked) } : { value: await c.provenance(peer.url, peer.auth, remote, asked) }
        evidence = { answer, origin: pinned.origin, publicKey: pinned.publicKey, collection: remote }
      }
      // Parse, validate and canonicalise each object and verify its provenance against the canonical
      // JSON that will be stored: off this thread when the node has a worker (`entente serve` does).
      // A node's objects are prepared from the page's text (one string copy to the worker instead of a
      // clone of every object); a feed's were given their default marking here, so they go as values.
      const outcomes = await receive(peer.kind === 'node' && page.text !== undefined ? { pageText: page.text, indices: positions } : candidates.map((value) => ({ value })), evidence)
      const paths = pathsAhead ? await pathsAhead : null
      // Where each accepted object comes from: for a node, the path its policy reported (hops from
      // the origin node to us); a feed's objects are this node's input with no producer known.
      const groups = new Map<string, PageGroup>()
      const versionKeys = new Map<Record<string, unknown>, string>()
      candidates.forEach((o, i) => {
        const r = outcomes[i]
        if (!r) {
          bad++
          return
        }
        if (!r.ok) {
          bad++
          const issue = r.prepared.issues[0]
          logger.warn({ peer: peer.name, id: o['id'], code: r.prepared.code, pointer: issue?.pointer }, 'object rejected: not valid STIX')
          return
        }
        if (r.rejected !== null) {
          bad++
          logger.warn({ peer: peer.name, id: o['id'], reason: r.rejected }, 'object rejected: provenance does not verify')
          return
        }
        let key = 'feed'
        let origin: Origin = { kind: 'local', producer: '' }
        if (peer.kind === 'node') {
          const path = paths?.[i] ?? `${peer.name} reported no path for it`
          if (typeof path === 'string') {
            bad++
            logger.warn({ peer: peer.name, id: o['id'], reason: path }, 'object rejected: no acceptable path')
            return
          }
          key = JSON.stringify(path)
          origin = { kind: 'peer', producer: null, path }
        }
        const g = groups.get(key) ?? { origin, objects: [], prepared: [] }
        g.objects.push(o)
        g.prepared.push(r.prepared)
        groups.set(key, g)
        versionKeys.set(o, r.versionKey)
      })
      const pageMax = page.dateAddedLast
      const nextSeen = pageMax !== null && (seenBefore === null || pageMax > seenBefore) ? pageMax : seenBefore
      return ok({ page, groups, versionKeys, bad, nextSeen, to: advance(at, page, nextSeen) })
    }
    try {
      let ahead: Promise<Result<FetchedPage>> | null = fetchPage(cursor, seenMax)
      while (ahead !== null) {
        const fetched: Result<FetchedPage> = await ahead
        if (!fetched.ok) return fetched
        pages++
        const { page, groups, versionKeys, bad, nextSeen, to }: FetchedPage = fetched.value
        // Page n+1 is fetched and verified while page n is stored.
        ahead = page.more ? fetchPage(to, nextSeen) : null
        ahead?.catch(() => undefined)
        const from = cursor
        const at = now()
        // One ingest per path (usually one); the cursor moves with the last one, so a crash between two
        // re-reads the page and finds the earlier ones already stored.
        const batches: PageGroup[] = [...groups.values()]
        if (batches.length === 0) batches.push({ origin: { kind: 'local', producer: '' }, objects: [], prepared: [] })
        for (const [gi, g] of batches.entries()) {
          const lastGroup = gi === batches.length - 1
          const r = await ingest.ingestBatch(viewer, {
            collection: peer.inboundCollectionId,
            objects: g.objects,
            prepared: g.prepared,
            origin: g.origin,
            // The cursor moves in the same transaction: a commit lost to a power cut is pulled again.
            durability: 'relaxed',
            within: async (tx, results: readonly ItemResult[]) => {
              let added = 0
              let dups = 0
              let failed = 0
              const origins = []
              for (const [i, res] of results.entries()) {
                const o = g.objects[i]
                const versionKey = o ? versionKeys.get(o) : undefined
                if (res.outcome === 'failed' || !o || versionKey === undefined) {
                  failed++
                  continue
                }
                if (res.outcome === 'added') added++
                else dups++
                origins.push({ stixId: o['id'] as string, versionKey, peerId: peer.id, verified: pinned !== null, receivedAt: at })
              }
              await tx.peers.recordOrigins(origins)
              const rejectedHere = failed + (lastGroup ? bad : 0)
              const moved = await tx.peers.advanceCursor(peer.id, from, lastGroup ? to : from, { received: added, duplicates: dups, rejected: rejectedHere }, lastGroup ? nextSeen : null)
              if (!moved) return conflict(`another sync of ${peer.name} moved its cursor; this batch was not stored`)
              received += added
              duplicates += dups
              rejected += rejectedHere
              return ok(undefined)
            },
          })
          if (!r.ok) return r
          for (const res of r.value.results) if (res.outcome === 'failed') logger.warn({ peer: peer.name, id: res.id, code: res.code, pointer: res.pointer }, 'object rejected: not valid STIX')
        }
        cursor = to
        seenMax = nextSeen
      }
    } finally {
      envs.close()
    }
    if (received > 0) emit({ kind: 'changed' })
    return ok({ pages, received, duplicates, rejected, checkpoint })
  }

  function emit(e: { kind: 'changed' } | { kind: 'notified'; peerId: string }) {
    for (const l of listeners) {
      try {
        l(e)
      } catch (x) {
        logger.warn({ err: message(x) }, 'federation listener failed')
      }
    }
  }

  // --- Reads of a per-peer collection: the policy again, at read time ---------------------------

  /**
   * A peer reads a page (TAXII) and asks at once for the paths of the same objects: the second
   * request reuses the decisions of the first instead of parsing every object and deciding again.
   * Decisions live for a few seconds under the same agreements (any change to them, or to a peer's
   * status, gives another signature or is checked before); retention expiry is checked every time.
   */
  const recentDecisions = makeDecisionMemo(20_000, 10_000)

  /** The peer node whose credential this viewer is, or null. */
  async function peerOfViewer(viewer: Viewer): Promise<Peer | null> {
    if (viewer.kind !== 'user') return null
    const p = await store.peers.findByUser(viewer.userId)
    return p && p.kind === 'node' && p.status !== 'removed' ? p : null
  }

  /**
   * The entries of the peer's own collection it may read now (each with its decision's agreement):
   * decide() again, with the agreements as they are now — an agreement suspended or terminated since
   * publication stops serving what was published under it. Entries without content or audience are
   * not served (fail closed).
   */
  async function servable(peer: Peer, entries: readonly CollectionEntry[], env: PolicyEnv | null): Promise<{ entry: CollectionEntry; agreementId: string }[]> {
    const reader = peerReader(peer)
    if (reader === null || env === null || peer.status !== 'approved') return []
    const out: { entry: CollectionEntry; agreementId: string }[] = []
    const sig = decisionSignature(env, reader)
    for (const e of entries) {
      if (e.audience === undefined) continue
      const a = e.audience
      if (a.expiresAt !== null && Date.parse(a.expiresAt.replace(' ', 'T')) <= env.now) continue
      const known = recentDecisions.get(peer.id, e.stixId, e.version, sig, clock.nowMs())
      if (known !== undefined) {
        if (known.share) out.push({ entry: e, agreementId: known.agreementId })
        continue
      }
      const obj = e.json !== undefined ? parse(e.json) : null
      if (obj === null) continue
      const d = shareDecision(reader, obj, { collectionId: peer.outboundCollectionId ?? '', tlp: a.tlp, producer: a.producer, path: a.path, receivedAt: e.dateAdded, expiresAt: a.expiresAt }, env)
      recentDecisions.set(peer.id, e.stixId, e.version, sig, clock.nowMs(), { share: d.share, agreementId: d.agreementId, path: a.path, expiresAt: a.expiresAt })
      if (d.share) out.push({ entry: e, agreementId: d.agreementId })
    }
    return out
  }

  /** What a remembered decision was made under: the agreements and whom the peer acts for. */
  function decisionSignature(env: PolicyEnv, reader: NonNullable<ReturnType<typeof peerReader>>): string {
    return `${agreementsSignature(env.agreements)}|${(reader.actingFor ?? []).join(',')}`
  }

  /** Whether every entry's decision for the peer is still known (so `servable` needs no object content). */
  function allDecided(peer: Peer, entries: readonly CollectionEntry[], env: PolicyEnv): boolean {
    const reader = peerReader(peer)
    if (reader === null) return true
    const sig = decisionSignature(env, reader)
    const nowMs = clock.nowMs()
    return entries.every((e) => e.audience === undefined || recentDecisions.get(peer.id, e.stixId, e.version, sig, nowMs) !== undefined)
  }

  type EntriesResult = Result<EntriesPage & { readonly collectionId: string }>

  /** Wraps a TAXII read so that a peer reading its own collection gets only what the policy lets it see now. */
  function guardRead<Q extends { readonly withContent: boolean; readonly id?: string }>(read: (viewer: Viewer, q: Q) => Promise<EntriesResult>): (viewer: Viewer, q: Q) => Promise<EntriesResult> {
    return async (viewer, q) => {
      const peer = await peerOfViewer(viewer)
      if (peer === null) return read(viewer, q)
      const r = await read(viewer, { ...q, withContent: true })
      if (!r.ok) return r
      if (r.value.collectionId !== peer.outboundCollectionId) return q.withContent ? r : ok({ ...r.value, items: r.value.items.map(withoutJson) })
      const items = (await servable(peer, r.value.items, await policyEnv())).map((x) => (q.withContent ? x.entry : withoutJson(x.entry)))
      if (items.length === 0 && q.id !== undefined && !r.value.more && (q as { after?: unknown }).after == null) return err({ code: 'not_found', resource: 'object', id: q.id })
      return ok({ ...r.value, items })
    }
  }

  function withoutJson(e: CollectionEntry): CollectionEntry {
    const { json: _json, ...rest } = e
    return rest
  }

  /** One sync of one peer or feed: publish to it, pull from it, record the outcome and the backoff. */
  async function syncPeer(peer: Peer, opts: { readonly manual?: boolean } = {}): Promise<Result<SyncSummary>> {
    const at = now()
    let outcome: Result<SyncSummary>
    try {
      if (peer.kind === 'node' && peer.status === 'approved' && deps.exchangeAgreements && peer.publicKey) {
        // Nothing goes to, or is taken from, a node at the peer's address that does not hold the pinned key.
        const keyCheck = await checkPeerKey(peer, peer.publicKey)
        if (!keyCheck.ok) return await recordOutcome(peer, at, err(keyCheck.error), opts)
        await deps.exchangeAgreements(peer).catch((e: unknown) => {
          throw new Error(`agreements: ${message(e)}`)
        })
      }
      const published = await publish(peer)
      const pulled = await pull(peer)
      outcome = pulled.ok ? ok({ peer: peer.name, published, ...pulled.value }) : pulled
    } catch (e) {
      outcome = conflict(`cannot sync ${peer.name}: ${message(e)}`)
    }
    return await recordOutcome(peer, at, outcome, opts)
  }

  /** Records a sync's outcome on the peer: last attempt, error, failures and the next attempt (with backoff). */
  async function recordOutcome<T>(peer: Peer, at: string, outcome: Result<T>, opts: { readonly manual?: boolean }): Promise<Result<T>> {
    const fresh = (await store.peers.get(peer.id)) ?? peer
    if (outcome.ok) {
      await store.peers.recordAttempt(peer.id, { at, success: true, error: null, failures: 0, nextAttemptAt: storedTimestampFromMs(clock.nowMs() + options.pollIntervalMs) })
    } else {
      const failures = fresh.stats.failures + 1
      const detail = outcome.error.code === 'conflict' ? outcome.error.detail : outcome.error.code
      const next = storedTimestampFromMs(clock.nowMs() + backoffMs(failures, options.backoff, random))
      await store.peers.recordAttempt(peer.id, { at, success: false, error: detail, failures, nextAttemptAt: next })
      // A sync an administrator asked for reports its error to them; scheduled ones log it.
      if (opts.manual === true) logger.debug({ peer: peer.name, failures, next, error: detail }, 'sync failed')
      else logger.warn({ peer: peer.name, failures, next, error: detail }, 'sync failed')
    }
    return outcome
  }

  return {
    view,

    /** Subscribes to "something new to publish" and "a peer asked us to pull" (the scheduler does). */
    subscribe(listener: (event: { kind: 'changed' } | { kind: 'notified'; peerId: string }) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    /** Local objects changed (ingest's derive step): publish soon. */
    changed(): void {
      emit({ kind: 'changed' })
    },

    /** `entente peer invite`: a single-use, expiring invitation for one other node. */
    async invite(viewer: Viewer, input: { name?: string; url?: string; ttlHours?: number }): Promise<Result<{ invitation: string; id: string; fingerprint: string; expiresAt: string; url: string }>> {
      if (!isAdmin(viewer)) return forbidden()
      const issues: Issue[] = []
      if (input.name !== undefined) issues.push(...checkName(input.name, '/name'))
      const ttl = input.ttlHours ?? options.invitationTtlHours
      if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 24 * 30) issues.push({ pointer: '/ttlHours', message: 'must be more than 0 and at most 720 hours' })
      if (issues.length) return invalid(issues)
      const me = await self(input.url)
      if (!me.ok) return me
      const secret = deps.secrets.newToken()
      const id = ids.uuid()
      const expiresMs = clock.nowMs() + ttl * 3_600_000
      const expiresAt = new Date(expiresMs).toISOString()
      await store.peers.addInvitation({ id, name: input.name ?? null, createdAt: now(), expiresAt: storedTimestampFromMs(expiresMs), usedAt: null, peerId: null }, hasher.sha256(secret))
      const fingerprintText = fp(me.value.publicKey)
      const invitation = encodeInvitation({ url: me.value.url, key: me.value.verifierKey, fingerprint: fingerprintText, id, secret, name: me.value.name, expiresAt })
      return ok({ invitation, id, fingerprint: fingerprintText, expiresAt, url: me.value.url })
    },

    /**
     * `entente peer accept`: registers the inviting node as a peer (pending approval) and registers this
     * node with it, in one transaction here. The invitation's key must match its fingerprint and be the
     * key the node at its URL presents.
     */
    async accept(viewer: Viewer, input: { invitation: string; name?: string; url?: string }): Promise<Result<PeerView>> {
      if (!isAdmin(viewer)) return forbidden()
      const inv = parseInvitation(input.invitation)
      if (!inv.ok) return invalid([{ pointer: '/invitation', message: inv.error }])
      if (Date.parse(inv.value.expiresAt) <= clock.nowMs()) return invalid([{ pointer: '/invitation', message: `the invitation expired at ${inv.value.expiresAt}; ask for a new one` }])
      const key = parseVerifierKey(inv.value.key)
      if (!key.ok) return invalid([{ pointer: '/invitation', message: key.error }])
      if (normaliseFingerprint(fp(key.value.publicKey)) !== normaliseFingerprint(inv.value.fingerprint))
        return invalid([{ pointer: '/invitation', message: "the invitation's key does not match its fingerprint" }])
      const name = input.name ?? slug(inv.value.name)
      const bad = checkName(name, '/name')
      if (bad.length) return invalid(bad)
      if (await store.peers.find(name)) return conflict(`a peer or feed named ${name} already exists; choose another with --name`)
      const me = await self(input.url)
      if (!me.ok) return me
      const c = client()
      let presented
      try {
        presented = await c.nodeKey(inv.value.url)
      } catch (e) {
        return conflict(`cannot reach ${inv.value.url}: ${message(e)}`)
      }
      if (!bytesEqual(presented.publicKey, key.value.publicKey)) return conflict(`the node at ${inv.value.url} presents another key than the invitation names (fingerprint ${fp(presented.publicKey)})`)
      const id = ids.uuid()
      const r = await store.transaction(async (tx) => {
        const local = await setUpLocal(tx, name, me.value.hostOrgId)
        if (!local.ok) return local
        let answer: RegisterAnswer
        try {
          answer = await c.register(inv.value.url, {
            invitationId: inv.value.id, secret: inv.value.secret, name: me.value.name, url: me.value.url, verifierKey: me.value.verifierKey,
            token: local.value.token, collection: local.value.outbound, organisations: me.value.organisations,
          })
        } catch (e) {
          return conflict(`${inv.value.url} did not accept the registration: ${message(e)}`)
        }
        if (answer.verifierKey !== inv.value.key) return conflict(`${inv.value.url} answered with another key than the invitation names`)
        const organisations = checkOrganisations(answer.organisations)
        if (!organisations) return conflict(`${inv.value.url} sent malformed organisations`)
        return tx.peers.create(
          newPeer({
            id, kind: 'node', name, url: inv.value.url, apiRoot: `${inv.value.url}/taxii2/api`, remoteCollection: answer.collection,
            auth: { kind: 'bearer', token: answer.token }, origin: key.value.name, publicKey: key.value.publicKey, status: 'pending', organisations,
            localOrgId: local.value.orgId, localUserId: local.value.userId, outboundCollectionId: local.value.outbound, inboundCollectionId: local.value.inbound, defaultMarking: null,
          }),
        )
      })
      if (!r.ok) return r
      logger.info({ peer: name, url: inv.value.url }, 'peer registered; waiting for fingerprint approval')
      return ok(view(r.value))
    },

    /** The other half of `accept`, on the inviting node: POST /api/v1/federation/register. */
    async register(input: RegisterRequest): Promise<Result<RegisterAnswer>> {
      const issues: Issue[] = []
      const url = checkPeerUrl(input.url)
      if (!url.ok) issues.push({ pointer: '/url', message: url.error })
      const key = parseVerifierKey(input.verifierKey)
      if (!key.ok) issues.push({ pointer: '/verifierKey', message: key.error })
      const organisations = checkOrganisations(input.organisations)
      if (!organisations) issues.push({ pointer: '/organisations', message: `must be at most ${MAX_ORGANISATIONS} {name, identityId} items` })
      if (issues.length || !url.ok || !key.ok || !organisations) return invalid(issues)
      const secretHash = hasher.sha256(input.secret)
      const inv = await store.peers.findInvitation(input.invitationId, secretHash)
      const at = now()
      // One answer for unknown, used and expired: the secret is the only credential here.
      const unusable = () => err({ code: 'forbidden' as const, reason: 'role' as const })
      if (!inv || inv.usedAt !== null || inv.expiresAt <= at) return unusable()
      const name = inv.name ?? slug(input.name)
      if (await store.peers.find(name)) return conflict(`a peer named ${name} already exists here`)
      const me = await self()
      if (!me.ok) return me
      let presented
      try {
        presented = await client().nodeKey(url.value)
      } catch (e) {
        return conflict(`cannot reach ${url.value}: ${message(e)}`)
      }
      if (!bytesEqual(presented.publicKey, key.value.publicKey)) return conflict(`the node at ${url.value} presents another key than the one registered`)
      const id = ids.uuid()
      const r = await store.transaction(async (tx) => {
        if (!(await tx.peers.useInvitation(inv.id, at, id))) return unusable()
        const local = await setUpLocal(tx, name, me.value.hostOrgId)
        if (!local.ok) return local
        const created = await tx.peers.create(
          newPeer({
            id, kind: 'node', name, url: url.value, apiRoot: `${url.value}/taxii2/api`, remoteCollection: input.collection,
            auth: { kind: 'bearer', token: input.token }, origin: key.value.name, publicKey: key.value.publicKey, status: 'pending', organisations,
            localOrgId: local.value.orgId, localUserId: local.value.userId, outboundCollectionId: local.value.outbound, inboundCollectionId: local.value.inbound, defaultMarking: null,
          }),
        )
        if (!created.ok) return created
        return ok({ name: me.value.name, verifierKey: me.value.verifierKey, token: local.value.token, collection: local.value.outbound, organisations: [...me.value.organisations] })
      })
      if (r.ok) logger.info({ peer: name, url: url.value }, 'peer registered through an invitation; waiting for fingerprint approval')
      return r
    },

    /**
     * `entente peer approve`: the administrators compared fingerprints out of band. Pins the key (or the
     * new key after a key change) and starts syncing. The fingerprint must be the key's.
     */
    async approve(viewer: Viewer, input: { peer: string; fingerprint: string }): Promise<Result<PeerView>> {
      if (!isAdmin(viewer)) return forbidden()
      const found = await findPeer(input.peer, 'node')
      if (!found.ok) return found
      const p = found.value
      const key = p.presentedKey ?? p.publicKey
      if (!key || !p.origin) return conflict(`peer ${p.name} has no key to approve`)
      if (!/^[0-9a-f]{32}$/.test(normaliseFingerprint(input.fingerprint))) return invalid([{ pointer: '/fingerprint', message: 'must be the 32 hex digits the other administrator read out (dashes optional)' }])
      if (normaliseFingerprint(input.fingerprint) !== normaliseFingerprint(fp(key)))
        return conflict(`the fingerprint does not match the key ${p.name} presented (${fp(key)}); do not approve until the administrators agree on it`)
      const at = now()
      const origin = p.origin
      // The pinned key and its log entry (`peer.approved`) commit together, or neither does.
      const updated = await store.transaction(async (tx) => {
        await tx.witness.putLog({ origin, url: p.url, verifierKey: verifierKey(origin, key), addedAt: at })
        const u = await tx.peers.update(p.id, { status: 'approved', publicKey: key, presentedKey: null, approvedAt: at })
        await tx.peers.recordAttempt(p.id, { at, success: false, error: null, failures: 0, nextAttemptAt: null })
        const entry = { ...entryBase(at, actorOf(viewer)), kind: 'peer.approved' as const, peer: { id: p.id, origin, ed25519: Buffer.from(key).toString('base64') } }
        await recorder.record(tx, [{ entry }])
        return ok(u)
      })
      if (!updated.ok) return updated
      logger.info({ peer: p.name, fingerprint: fp(key) }, 'peer approved')
      emit({ kind: 'notified', peerId: p.id })
      return ok(view(updated.value ?? p))
    },

    async list(viewer: Viewer, kind?: Peer['kind']): Promise<Result<PeerView[]>> {
      if (!isAdmin(viewer)) return forbidden()
      return ok((await store.peers.list()).filter((p) => p.status !== 'removed' && (kind === undefined || p.kind === kind)).map(view))
    },

    async get(viewer: Viewer, idOrName: string, kind?: Peer['kind']): Promise<Result<PeerView>> {
      if (!isAdmin(viewer)) return forbidden()
      const p = await findPeer(idOrName, kind)
      return p.ok ? ok(view(p.value)) : p
    },

    /** `entente peer sync` / `feed sync`: one sync now (publish, then pull). */
    async sync(viewer: Viewer, idOrName: string, kind?: Peer['kind']): Promise<Result<SyncSummary>> {
      if (!isAdmin(viewer)) return forbidden()
      const p = await findPeer(idOrName, kind)
      if (!p.ok) return p
      return syncPeer(p.value, { manual: true })
    },

    /**
     * Puts the policy in the read path of per-peer collections: a peer's credential reading its own
     * collection (TAXII Get Objects, Get Manifest, Get An Object, Get Object Versions) gets only what
     * decide() lets it see at the time of the read. Other readers pass through unchanged.
     */
    guardObjects<S extends Pick<ObjectsService, 'listObjects' | 'objectEntries'>>(objects: S): S {
      return { ...objects, listObjects: guardRead(objects.listObjects), objectEntries: guardRead(objects.objectEntries) }
    },

    /**
     * POST /api/v1/federation/paths by a peer's credential: for objects of its collection here, the
     * hops each took from its origin node to the peer (this node's stored path plus the hop to the
     * peer, under the agreement decide() shares it under). Only objects the peer may read now.
     */
    async paths(viewer: Viewer, objects: readonly { id: string; version?: string }[]): Promise<Result<{ items: { id: string; version: string; path: Hop[] }[] }>> {
      const peer = await peerOfViewer(viewer)
      if (peer === null || peer.outboundCollectionId === null || peer.origin === null) return err({ code: 'not_found', resource: 'peer' })
      if (objects.length > PULL_PAGE) return invalid([{ pointer: '/objects', message: `at most ${PULL_PAGE} objects per request` }])
      const env = await policyEnv()
      if (env === null) return ok({ items: [] })
      const peerNode = nodeIdOfOrigin(peer.origin)
      const wanted = new Map<string, Set<string> | null>()
      const items: { id: string; version: string; path: Hop[] }[] = []
      // The versions the peer just read: their decisions (and stored paths) are remembered.
      const reader = peerReader(peer)
      const sig = reader === null ? '' : decisionSignature(env, reader)
      const nowMs = clock.nowMs()
      const answered = new Set<string>()
      if (reader !== null && peer.status === 'approved') {
        for (const o of objects) {
          const v = o.version !== undefined ? toStoredTimestamp(o.version) : null
          if (v === null) continue
          const d = recentDecisions.get(peer.id, o.id, v, sig, nowMs)
          if (d === undefined || (d.expiresAt !== null && Date.parse(d.expiresAt.replace(' ', 'T')) <= env.now)) continue
          const k = `${o.id}|${v}`
          if (answered.has(k)) continue
          answered.add(k)
          if (d.share) items.push({ id: o.id, version: v, path: [...(d.path ?? []), { from: env.nodeId, to: peerNode, agreementId: d.agreementId }] })
        }
      }
      for (const o of objects) {
        const v = o.version !== undefined ? toStoredTimestamp(o.version) : null
        if (v !== null && answered.has(`${o.id}|${v}`)) continue
        const cur = wanted.get(o.id)
        if (v === null) wanted.set(o.id, null)
        else if (cur !== null) wanted.set(o.id, (cur ?? new Set<string>()).add(v))
      }
      const ids = [...wanted.keys()]
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200)
        let after: KeysetPosition | undefined
        for (;;) {
          const q = { collectionId: peer.outboundCollectionId, ids: chunk, versions: { first: false, last: false, all: true, versions: [] }, limit: 1000, ...(after ? { after } : {}) }
          // Without the objects first: the decisions of the TAXII read of the same page are usually
          // still known; only when one is not are the objects read and decided again.
          let page = await store.objects.query({ ...q, withContent: false })
          if (!allDecided(peer, page.items, env)) page = await store.objects.query({ ...q, withContent: true })
          const ok1 = await servable(peer, page.items, env)
          for (const { entry, agreementId } of ok1) {
            const w = wanted.get(entry.stixId)
            if (w !== null && w !== undefined && !w.has(entry.version)) continue
            const stored = entry.audience?.path ?? []
            items.push({ id: entry.stixId, version: entry.version, path: [...stored, { from: env.nodeId, to: peerNode, agreementId }] })
          }
          const last = page.items[page.items.length - 1]
          if (!page.more || !last) break
          after = { dateAdded: last.dateAdded, seq: last.seq }
        }
      }
      return ok({ items })
    },

    /** The scheduler's sync (no viewer: the node itself). */
    syncPeer,
    publish,

    /** Peers and feeds due for a sync at `nowMs` (approved nodes, active feeds). */
    async due(nowMs: number): Promise<Peer[]> {
      const at = storedTimestampFromMs(nowMs)
      return (await store.peers.list()).filter((p) => (p.status === 'approved' || p.status === 'active') && (p.stats.nextAttemptAt === null || p.stats.nextAttemptAt <= at))
    },

    /** Approved node peers (to publish to on change). */
    async approvedPeers(): Promise<Peer[]> {
      return (await store.peers.list()).filter((p) => p.kind === 'node' && p.status === 'approved')
    },

    /** POST /api/v1/federation/notify by a peer's credential: pull from it soon. */
    async notified(viewer: Viewer): Promise<Result<{ peer: string }>> {
      if (viewer.kind !== 'user') return err({ code: 'not_found', resource: 'peer' })
      const p = await store.peers.findByUser(viewer.userId)
      if (!p || p.kind !== 'node') return err({ code: 'not_found', resource: 'peer' })
      emit({ kind: 'notified', peerId: p.id })
      return ok({ peer: p.name })
    },

    /** Stops syncing with a peer or feed and revokes its credential here; its collections stay. */
    async remove(viewer: Viewer, idOrName: string, kind?: Peer['kind']): Promise<Result<PeerView>> {
      if (!isAdmin(viewer)) return forbidden()
      const found = await findPeer(idOrName, kind)
      if (!found.ok) return found
      const p = found.value
      // Credential revoked, principal disabled, peer removed and `peer.removed` logged: all or nothing.
      const updated = await store.transaction(async (tx) => {
        if (p.localUserId) {
          for (const t of await tx.tokens.list(p.localUserId)) {
            if (t.revokedAt !== null) continue
            const r = await admin.revokeToken(viewer, t.id, tx)
            if (!r.ok) return r
          }
          const d = await admin.setUserDisabled(viewer, { userId: p.localUserId, disabled: true }, tx)
          if (!d.ok) return d
        }
        // The name is freed for a new peering with the same node; the row stays for history.
        const u = await tx.peers.update(p.id, { status: 'removed', name: `removed-${p.id}` })
        await recorder.record(tx, [{ entry: { ...entryBase(now(), actorOf(viewer)), kind: 'peer.removed', peer: { id: p.id } } }])
        return ok(u)
      })
      if (!updated.ok) return updated
      logger.info({ peer: p.name }, 'peer removed')
      return ok(view(updated.value ?? p))
    },

    /** `entente feed add`: a plain TAXII 2.1 collection to pull from (no provenance; recorded unsigned). */
    async addFeed(
      viewer: Viewer,
      input: { name: string; url: string; collection: string; auth: PeerAuth; defaultMarking?: string },
    ): Promise<Result<PeerView>> {
      if (!isAdmin(viewer)) return forbidden()
      const issues = checkName(input.name, '/name')
      const url = checkPeerUrl(input.url)
      if (!url.ok) issues.push({ pointer: '/url', message: url.error })
      if (input.collection.length === 0 || input.collection.length > 300 || /[/?#\s]/.test(input.collection)) issues.push({ pointer: '/collection', message: 'must be a TAXII collection id' })
      const marking = input.defaultMarking === undefined ? TLP2.amber : tlpMarkingId(input.defaultMarking)
      if (marking === null) issues.push({ pointer: '/defaultMarking', message: 'must be one of clear, green, amber, amber+strict, red' })
      if (issues.length || !url.ok || marking === null) return invalid(issues)
      if (await store.peers.find(input.name)) return conflict(`a peer or feed named ${input.name} already exists`)
      const hostOrgId = await store.meta.get('node.host_org')
      if (hostOrgId === null) return conflict('this node is not initialised')
      const sys = system(`federation:${input.name}`, hostOrgId)
      const r = await store.transaction(async (tx) => {
        const inbound = await admin.createCollection(sys, { title: `Feed ${input.name}`, alias: `feed-${input.name}`, description: `Objects pulled from the TAXII feed ${url.value} (unsigned)` }, tx)
        if (!inbound.ok) return inbound
        return tx.peers.create(
          newPeer({
            id: ids.uuid(), kind: 'feed', name: input.name, url: url.value, apiRoot: url.value, remoteCollection: input.collection, auth: input.auth,
            origin: null, publicKey: null, status: 'active', organisations: [], localOrgId: null, localUserId: null, outboundCollectionId: null,
            inboundCollectionId: inbound.value.id, defaultMarking: marking,
          }),
        )
      })
      return r.ok ? ok(view(r.value)) : r
    },
  }
}

export type FederationService = ReturnType<typeof makeFederationService>
