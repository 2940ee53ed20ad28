/**
 * Sharing agreements (docs/agreements.md): propose, accept, suspend, resume, terminate, list, show,
 * export and import. Every version of an agreement is a STIX object (`x-entente-agreement`) stored
 * through the one ingest pipeline in the node-internal `agreements` collection, so it is validated,
 * stored append-only and written to the transparency log like any other object. Each lifecycle step
 * is an event signed with this node's key (`deps.nodeKey`) and a new version of the object.
 *
 * This node's id in agreements is its transparency-log origin with `/` written as `:` (node ids may
 * only hold letters, digits, `.`, `_`, `:` and `-`): see {@link nodeIdOfOrigin}. A peer's node id is
 * derived the same way from the origin pinned at peering, and the peer's pinned key is what
 * {@link agreementStatus} compares each party's key with.
 *
 * Administrators only (and system jobs). `activeAgreements(now)` gives the policy engine its
 * AgreementViews; the parsed agreements are cached and the cache is dropped on every change.
 */
import {
  AGREEMENT_EXTENSION_ID,
  AGREEMENT_LIMITS,
  AGREEMENT_TYPE,
  agreementStatus,
  agreementView,
  appendEvent,
  keyFingerprint,
  signEvent,
  termsDigest,
  validateAgreement,
  type Agreement,
  type AgreementAction,
  type AgreementStatus,
  type AgreementView,
  type IepPolicy,
  type ObjectTypeScope,
  type OnwardSharing,
} from '../../core/agreement/index.js'
import { isTlpLevel, type TlpLevel } from '../../core/marking/tlp.js'
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import type { Issue } from '../../core/shared/errors.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { parseStixTimestamp } from '../../core/stix/time.js'
import type { Collection, Peer } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import type { IngestService } from '../pipeline/ingest.js'

/** The alias of the node-internal collection agreements are stored in. Only administrators read it. */
export const AGREEMENTS_COLLECTION_ALIAS = 'agreements'

/** The node id an agreement names for a node with this transparency-log origin. */
export function nodeIdOfOrigin(origin: string): string {
  return origin.replace(/[^A-Za-z0-9._:-]/g, ':').slice(0, AGREEMENT_LIMITS.maxNodeIdLength)
}

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

/** An agreement as administrators see it: the signed object, its computed status and who we are in it. */
export interface AgreementRecord {
  readonly agreement: Agreement
  readonly status: AgreementStatus
  /** SHA-256 of the canonical terms (what both parties signed). */
  readonly termsSha256: string
  /** This node's side: 0 (proposer), 1 (acceptor), or null when this node is not a party. */
  readonly ourSide: 0 | 1 | null
  /** After a change: whether the new version reached the other party's inbox (federation peers only). */
  readonly delivery?: AgreementDelivery
}

/** The outcome of handing a new version to the other party's inbox (retried at every sync until it lands). */
export interface AgreementDelivery {
  readonly peer: string
  readonly delivered: boolean
  readonly error?: string
}

/** What an administrator writes to propose an agreement. */
export interface ProposeInput {
  /** The other node: a federation peer's name or id (its pinned key and organisations are used)… */
  readonly peer?: string
  /** …or given by hand (no federation): its node id, base64 Ed25519 key and organisation identity ids. */
  readonly peerNodeId?: string
  readonly peerKey?: string
  readonly peerOrgs?: readonly string[]
  /** This node's organisations under the agreement (names, ids or identity ids); default: the host organisation. */
  readonly orgs?: readonly string[]
  readonly name?: string
  readonly purpose: string
  readonly maxTlp: string
  readonly types?: ObjectTypeScope
  readonly onward?: OnwardSharing
  readonly retentionDays?: number
  readonly start?: string
  readonly end?: string
  readonly iep?: Partial<Omit<IepPolicy, 'start_date' | 'end_date'>>
}

export interface AgreementsDeps extends ServiceDeps {
  readonly ingest: () => IngestService
  /** Creates the agreements collection the first time (through the admin service, so it is logged). */
  readonly createCollection: (viewer: Viewer, input: { title: string; description?: string; alias?: string }) => Promise<Result<Collection>>
  /**
   * Hands a new version to the other party when it is an approved federation peer (see exchange.ts);
   * null when it is not a peer. Never fails the change: an undelivered version goes at the next sync.
   */
  readonly deliver?: (a: Agreement) => Promise<AgreementDelivery | null>
}

const forbidden = () => err({ code: 'forbidden' as const, reason: 'role' as const })
const invalid = (issues: Issue[]) => err({ code: 'validation_failed' as const, issues })
const conflict = (detail: string) => err({ code: 'conflict' as const, detail })
const ID = /^x-entente-agreement--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const IDENTITY = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Listing is bounded: at most this many agreements are read (far more than two nodes ever sign). */
const MAX_AGREEMENTS = 10_000

export function makeAgreementsService(deps: AgreementsDeps) {
  const { store, clock, ids } = deps
  let cache: { agreements: Agreement[]; pins: Map<string, string> } | null = null
  const listeners = new Set<() => void>()

  function changed(): void {
    cache = null
    for (const l of listeners) l()
  }

  async function identity(): Promise<Result<{ nodeId: string; publicKey: Uint8Array; sign: (m: Uint8Array) => Uint8Array }>> {
    const origin = await store.meta.get('log.origin')
    if (origin === null || deps.nodeKey === undefined) return conflict('this node has no signing key yet: run entente init')
    const key = deps.nodeKey
    return ok({ nodeId: nodeIdOfOrigin(origin), publicKey: key.publicKey, sign: (m) => key.sign(m) })
  }

  /** Pinned key fingerprints of federation peers, by the node id their origin gives. */
  async function pins(): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const p of await store.peers.list()) {
      if (p.kind !== 'node' || p.origin === null || p.publicKey === null || p.status === 'removed') continue
      out.set(nodeIdOfOrigin(p.origin), keyFingerprint(p.publicKey))
    }
    return out
  }

  async function collection(viewer: Viewer): Promise<Result<Collection>> {
    const found = await store.collections.find(AGREEMENTS_COLLECTION_ALIAS)
    if (found) return ok(found)
    const made = await deps.createCollection(
      { kind: 'system', name: 'agreements', orgId: viewer.orgId },
      { title: 'Agreements', alias: AGREEMENTS_COLLECTION_ALIAS, description: 'Sharing agreements of this node (node-internal; administrators only)' },
    )
    if (made.ok) return made
    // Created meanwhile by a concurrent request.
    const again = await store.collections.find(AGREEMENTS_COLLECTION_ALIAS)
    return again ? ok(again) : made
  }

  /** The latest stored version of every agreement (validated), in id order. */
  async function loadAll(): Promise<{ agreements: Agreement[]; pins: Map<string, string> }> {
    if (cache) return cache
    const c = await store.collections.find(AGREEMENTS_COLLECTION_ALIAS)
    const agreements: Agreement[] = []
    if (c) {
      let after: { dateAdded: string; seq: number } | undefined
      for (;;) {
        const page = await store.objects.query({ collectionId: c.id, types: [AGREEMENT_TYPE], limit: 500, withContent: true, ...(after ? { after } : {}) })
        for (const e of page.items) {
          const v = validateAgreement(JSON.parse(e.json ?? 'null'))
          if (v.ok) agreements.push(v.value)
        }
        const last = page.items[page.items.length - 1]
        if (!page.more || !last || agreements.length >= MAX_AGREEMENTS) break
        after = { dateAdded: last.dateAdded, seq: last.seq }
      }
    }
    agreements.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    cache = { agreements, pins: await pins() }
    return cache
  }

  function statusOf(a: Agreement, now: number, pinned: ReadonlyMap<string, string>): AgreementStatus {
    return agreementStatus(a, now, deps.verify, { pinned: (n) => pinned.get(n) })
  }

  async function record(a: Agreement, now: number): Promise<AgreementRecord> {
    const { pins: p } = await loadAll()
    const me = await identity()
    const fp = me.ok ? keyFingerprint(me.value.publicKey) : null
    const side = a.parties.findIndex((x) => me.ok && x.node_id === me.value.nodeId && x.node_key_fingerprint === fp)
    return { agreement: a, status: statusOf(a, now, p), termsSha256: termsDigest(a), ourSide: side === 0 ? 0 : side === 1 ? 1 : null }
  }

  /** Hands a version this node just signed to the other party, when it is a federation peer. */
  async function withDelivery(r: AgreementRecord): Promise<AgreementRecord> {
    if (deps.deliver === undefined) return r
    const d = await deps.deliver(r.agreement).catch((e: unknown) => ({ peer: '?', delivered: false, error: e instanceof Error ? e.message : String(e) }))
    return d === null ? r : { ...r, delivery: d }
  }

  /** The node id and base64 key an agreement names for this federation peer, or null (no pinned key yet). */
  function partyOf(peer: Peer): { nodeId: string; key: string } | null {
    if (peer.kind !== 'node' || peer.origin === null || peer.publicKey === null) return null
    return { nodeId: nodeIdOfOrigin(peer.origin), key: b64(peer.publicKey) }
  }

  /** The latest version of every agreement between this node and the peer (both named with their keys). */
  async function between(peer: Peer): Promise<Agreement[]> {
    const them = partyOf(peer)
    const me = await identity()
    if (them === null || !me.ok) return []
    const mine = b64(me.value.publicKey)
    const names = (a: Agreement, nodeId: string, key: string) => a.parties.some((p) => p.node_id === nodeId && p.node_key === key)
    return (await loadAll()).agreements.filter((a) => names(a, them.nodeId, them.key) && names(a, me.value.nodeId, mine))
  }

  /** The approved node peer a credential belongs to (the inbox and the peer listing), or null. */
  async function callingPeer(viewer: Viewer): Promise<Peer | null> {
    if (viewer.kind !== 'user') return null
    const peer = await store.peers.findByUser(viewer.userId)
    return peer && peer.kind === 'node' && peer.status === 'approved' && peer.publicKey !== null && peer.origin !== null ? peer : null
  }

  async function latest(id: string): Promise<Agreement | null> {
    if (!ID.test(id)) return null
    return (await loadAll()).agreements.find((a) => a.id === id) ?? null
  }

  /** Stores a version through the ingest pipeline (validation, append-only version, transparency log). */
  async function put(viewer: Viewer, a: Agreement): Promise<Result<Agreement>> {
    const c = await collection(viewer)
    if (!c.ok) return c
    const system: Viewer = { kind: 'system', name: 'agreements', orgId: viewer.orgId }
    const r = await deps.ingest().ingestBatch(system, { collection: c.value.id, objects: [a] })
    if (!r.ok) return r
    const item = r.value.results[0]
    if (!item || item.outcome === 'failed') {
      return err({ code: 'stix_invalid', issues: [{ pointer: item?.pointer ?? '', message: item?.message ?? 'not stored' }] })
    }
    changed()
    return ok(a)
  }

  function eventTime(a: Agreement | null): string {
    let at = clock.nowMs()
    if (a !== null) {
      // A new version needs a later `modified` (millisecond precision); events must be in time order.
      const mod = parseStixTimestamp(a.modified)
      if (mod.ok && at <= mod.value.epochMs) at = mod.value.epochMs + 1
      const last = a.events[a.events.length - 1]
      const lastAt = last ? parseStixTimestamp(last.at) : null
      if (lastAt?.ok && at <= lastAt.value.epochMs) at = lastAt.value.epochMs + 1
    }
    return new Date(at).toISOString()
  }

  async function resolveOrgs(names: readonly string[] | undefined, viewer: Viewer): Promise<Result<string[]>> {
    const all = await store.orgs.list()
    if (names === undefined || names.length === 0) {
      const hostId = (await store.meta.get('node.host_org')) ?? viewer.orgId
      const host = all.find((o) => o.id === hostId)
      return host ? ok([host.identityId]) : invalid([{ pointer: '/orgs', message: 'this node has no host organisation; name the organisations' }])
    }
    const out: string[] = []
    const issues: Issue[] = []
    names.forEach((n, i) => {
      const o = all.find((x) => x.id === n || x.name === n || x.identityId === n)
      if (o) out.push(o.identityId)
      else issues.push({ pointer: `/orgs/${i}`, message: `no organisation '${n.slice(0, 100)}' on this node` })
    })
    return issues.length > 0 ? invalid(issues) : ok([...new Set(out)])
  }

  async function resolvePeer(input: ProposeInput): Promise<Result<{ nodeId: string; key: string; orgs: string[] }>> {
    if (input.peer !== undefined) {
      const p: Peer | null = await store.peers.find(input.peer)
      if (!p || p.kind !== 'node') return err({ code: 'not_found', resource: 'peer', id: input.peer })
      if (p.publicKey === null || p.origin === null) return conflict(`peer ${p.name} has no pinned key yet: approve its fingerprint first`)
      const orgs = input.peerOrgs && input.peerOrgs.length > 0 ? [...input.peerOrgs] : p.organisations.map((o) => o.identityId)
      const bad = orgs.findIndex((o) => !IDENTITY.test(o))
      if (bad >= 0) return invalid([{ pointer: `/peerOrgs/${bad}`, message: 'must be an identity id (identity--<uuid>)' }])
      if (orgs.length === 0) return invalid([{ pointer: '/peerOrgs', message: `peer ${p.name} announced no organisations: name them` }])
      return ok({ nodeId: nodeIdOfOrigin(p.origin), key: b64(p.publicKey), orgs })
    }
    const issues: Issue[] = []
    if (input.peerNodeId === undefined) issues.push({ pointer: '/peerNodeId', message: 'name a peer (--peer) or give its node id, key and organisations' })
    if (input.peerKey === undefined) issues.push({ pointer: '/peerKey', message: "the other node's base64 Ed25519 key is required without --peer" })
    if (input.peerOrgs === undefined || input.peerOrgs.length === 0) issues.push({ pointer: '/peerOrgs', message: "the other node's organisation identity ids are required without --peer" })
    if (issues.length > 0) return invalid(issues)
    return ok({ nodeId: input.peerNodeId as string, key: input.peerKey as string, orgs: [...(input.peerOrgs as string[])] })
  }

  function tsOrNow(s: string | undefined, pointer: string, issues: Issue[], fallback: string): string {
    if (s === undefined) return fallback
    const p = parseStixTimestamp(s)
    if (!p.ok) {
      issues.push({ pointer, message: `${p.error} (e.g. 2026-03-01T00:00:00Z)` })
      return fallback
    }
    return s
  }

  async function act(viewer: Viewer, id: string, action: Exclude<AgreementAction, 'propose'>, reason: string | undefined, now: number): Promise<Result<AgreementRecord>> {
    if (!isAdmin(viewer)) return forbidden()
    if (reason !== undefined && reason.length > AGREEMENT_LIMITS.maxReasonLength) return invalid([{ pointer: '/reason', message: `must be at most ${AGREEMENT_LIMITS.maxReasonLength} characters` }])
    const me = await identity()
    if (!me.ok) return me
    const a = await latest(id)
    if (!a) return err({ code: 'not_found', resource: 'agreement', id })
    const side = a.parties.findIndex((p) => p.node_id === me.value.nodeId && p.node_key === b64(me.value.publicKey))
    if (side < 0) return conflict(`this node (${me.value.nodeId}) is not a party to ${id}`)
    const { pins: p } = await loadAll()
    const before = statusOf(a, now, p)
    const e = signEvent(a, { action, node_id: me.value.nodeId, at: eventTime(a), ...(reason !== undefined && reason !== '' ? { reason } : {}) }, me.value.sign)
    const next = appendEvent(a, e)
    // Judge the new version at the event's own time (it may be a millisecond ahead of the clock).
    const after = statusOf(next, Math.max(now, Date.parse(e.at)), p)
    if (after.status === 'invalid') return err({ code: 'invalid_transition', from: before.status, event: `${action} (${after.reason})` })
    if (action === 'accept' && before.status !== 'proposed') return err({ code: 'invalid_transition', from: before.status, event: action })
    const stored = await put(viewer, next)
    if (!stored.ok) return stored
    return ok(await withDelivery(await record(next, Math.max(now, Date.parse(e.at)))))
  }

  /**
   * Imports a signed agreement from the other party (a file, or the peer inbox). It must name this
   * node with this node's key, every signature must verify (against the pinned key of a federation
   * peer where there is one), and when a version is already stored the import must carry the same
   * terms and extend its events. `fromNodeKey`: the inbox passes the calling peer's pinned key, and
   * that key must be the other party's.
   */
  async function importAgreement(viewer: Viewer, value: unknown, opts: { readonly fromNodeKey?: Uint8Array } = {}): Promise<Result<AgreementRecord & { readonly unchanged: boolean }>> {
    if (!isAdmin(viewer)) return forbidden()
    // Compare with what is stored now, not with a cached copy (another process may have added a version).
    cache = null
    const v = validateAgreement(value)
    if (!v.ok) return invalid(v.error)
    const a = v.value
    const me = await identity()
    if (!me.ok) return me
    const mine = a.parties.findIndex((p) => p.node_id === me.value.nodeId && p.node_key === b64(me.value.publicKey))
    if (mine < 0) return conflict(`this agreement does not name this node (${me.value.nodeId}) with this node's key`)
    const other = a.parties[mine === 0 ? 1 : 0]
    if (opts.fromNodeKey !== undefined && other.node_key !== b64(opts.fromNodeKey)) return conflict('the agreement was sent by a node that is not its other party')
    const now = clock.nowMs()
    const latestAt = Math.max(now, ...a.events.map((e) => Date.parse(e.at)).filter((x) => Number.isFinite(x)))
    const st = statusOf(a, latestAt, (await loadAll()).pins)
    if (st.status === 'invalid') return conflict(`the agreement is invalid: ${st.reason}`)
    const stored = await latest(a.id)
    if (stored) {
      if (termsDigest(stored) !== termsDigest(a)) return conflict(`the terms differ from the stored agreement ${a.id}: changed terms need a new agreement`)
      const prefix = stored.events.every((e, i) => a.events[i]?.signature === e.signature)
      if (!prefix) return conflict(`the events do not extend the stored agreement ${a.id}`)
      if (a.events.length === stored.events.length) return ok({ ...(await record(stored, now)), unchanged: true })
    }
    const put1 = await put(viewer, a)
    if (!put1.ok) return put1
    return ok({ ...(await record(a, now)), unchanged: false })
  }

  async function importFromPeer(peer: Peer, value: unknown): Promise<Result<AgreementRecord & { readonly unchanged: boolean }>> {
    if (peer.kind !== 'node' || peer.publicKey === null) return forbidden()
    const orgId = peer.localOrgId ?? (await store.meta.get('node.host_org')) ?? ''
    return importAgreement({ kind: 'system', name: `peer:${peer.name}`, orgId }, value, { fromNodeKey: peer.publicKey })
  }

  return {
    /** Called after every change (the policy cache listens). */
    onChange(listener: () => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    /** This node's id and key fingerprint as agreements name them. */
    async self(viewer: Viewer): Promise<Result<{ nodeId: string; nodeKey: string; fingerprint: string }>> {
      if (!isAdmin(viewer)) return forbidden()
      const me = await identity()
      if (!me.ok) return me
      return ok({ nodeId: me.value.nodeId, nodeKey: b64(me.value.publicKey), fingerprint: keyFingerprint(me.value.publicKey) })
    },

    /** Builds, signs (propose) and stores a new agreement with this node as the proposer. */
    async propose(viewer: Viewer, input: ProposeInput): Promise<Result<AgreementRecord>> {
      if (!isAdmin(viewer)) return forbidden()
      const me = await identity()
      if (!me.ok) return me
      const peer = await resolvePeer(input)
      if (!peer.ok) return peer
      const orgs = await resolveOrgs(input.orgs, viewer)
      if (!orgs.ok) return orgs
      const issues: Issue[] = []
      if (!isTlpLevel(input.maxTlp)) issues.push({ pointer: '/maxTlp', message: 'must be one of clear, green, amber, amber+strict, red' })
      const now = eventTime(null)
      const start = tsOrNow(input.start, '/start', issues, now)
      const end = input.end === undefined ? undefined : tsOrNow(input.end, '/end', issues, now)
      if (issues.length > 0) return invalid(issues)
      const peerKeyRaw = Buffer.from(peer.value.key, 'base64')
      const draft = {
        type: AGREEMENT_TYPE,
        spec_version: '2.1' as const,
        id: `${AGREEMENT_TYPE}--${ids.uuid()}`,
        created: now,
        modified: now,
        created_by_ref: orgs.value[0] as string,
        name: input.name ?? `${me.value.nodeId} – ${peer.value.nodeId}`,
        purpose: input.purpose,
        parties: [
          { node_id: me.value.nodeId, node_key: b64(me.value.publicKey), node_key_fingerprint: keyFingerprint(me.value.publicKey), organization_refs: orgs.value },
          { node_id: peer.value.nodeId, node_key: peer.value.key, node_key_fingerprint: keyFingerprint(new Uint8Array(peerKeyRaw)), organization_refs: peer.value.orgs },
        ],
        iep: {
          encrypt_in_transit: input.iep?.encrypt_in_transit ?? 'must',
          permitted_actions: input.iep?.permitted_actions ?? 'internally-visible-actions',
          affected_party_notifications: input.iep?.affected_party_notifications ?? 'may',
          attribution: input.iep?.attribution ?? 'may',
          unmodified_resale: input.iep?.unmodified_resale ?? 'must-not',
          start_date: start,
          ...(end !== undefined ? { end_date: end } : {}),
        },
        max_tlp: input.maxTlp as TlpLevel,
        ...(input.types !== undefined ? { object_types: input.types } : {}),
        onward_sharing: input.onward ?? { allowed: false },
        ...(input.retentionDays !== undefined ? { retention_days: input.retentionDays } : {}),
        events: [],
        extensions: { [AGREEMENT_EXTENSION_ID]: { extension_type: 'new-sdo' } },
      }
      // Strict validation with pointers (a misspelt or out-of-range term is refused before signing).
      const v = validateAgreement(draft)
      if (!v.ok) return invalid(v.error)
      const signed = appendEvent(v.value, signEvent(v.value, { action: 'propose', node_id: me.value.nodeId, at: now }, me.value.sign))
      const stored = await put(viewer, signed)
      if (!stored.ok) return stored
      return ok(await withDelivery(await record(signed, clock.nowMs())))
    },

    accept: (viewer: Viewer, id: string) => act(viewer, id, 'accept', undefined, clock.nowMs()),
    suspend: (viewer: Viewer, id: string, reason?: string) => act(viewer, id, 'suspend', reason, clock.nowMs()),
    resume: (viewer: Viewer, id: string, reason?: string) => act(viewer, id, 'resume', reason, clock.nowMs()),
    terminate: (viewer: Viewer, id: string, reason?: string) => act(viewer, id, 'terminate', reason, clock.nowMs()),

    async list(viewer: Viewer): Promise<Result<AgreementRecord[]>> {
      if (!isAdmin(viewer)) return forbidden()
      const now = clock.nowMs()
      const out: AgreementRecord[] = []
      for (const a of (await loadAll()).agreements) out.push(await record(a, now))
      return ok(out)
    },

    async show(viewer: Viewer, id: string): Promise<Result<AgreementRecord>> {
      if (!isAdmin(viewer)) return forbidden()
      const a = await latest(id)
      if (!a) return err({ code: 'not_found', resource: 'agreement', id })
      return ok(await record(a, clock.nowMs()))
    },

    /** The latest signed version, as it is handed to the other administrator (`entente agreement export`). */
    async export(viewer: Viewer, id: string): Promise<Result<Agreement>> {
      if (!isAdmin(viewer)) return forbidden()
      const a = await latest(id)
      return a ? ok(a) : err({ code: 'not_found', resource: 'agreement', id })
    },

    import: importAgreement,

    /**
     * The policy view of every agreement this node is a party to, `active` as of `now` (signatures,
     * pinned keys, dates, suspensions). Parsed agreements are cached until the next change.
     */
    async activeAgreements(now: number): Promise<ReadonlyMap<string, AgreementView>> {
      const { agreements, pins: p } = await loadAll()
      const out = new Map<string, AgreementView>()
      for (const a of agreements) out.set(a.id, agreementView(a, statusOf(a, now, p).active))
      return out
    },

    /**
     * The peer inbox (`POST /api/v1/agreements/inbox`): an approved peer node hands over a signed
     * agreement (a proposal, or a new event) with its peer credential. The agreement must name the
     * calling peer, with the key this node pinned for it, as the other party.
     */
    async inbox(viewer: Viewer, value: unknown): Promise<Result<AgreementRecord & { readonly unchanged: boolean }>> {
      const peer = await callingPeer(viewer)
      if (peer === null) return forbidden()
      return importFromPeer(peer, value)
    },

    /**
     * `GET /api/v1/agreements/peer`: an approved peer node asks, with its peer credential, for the
     * latest version of every agreement between it and this node (at every sync; see exchange.ts).
     * Nothing about agreements with other nodes.
     */
    async forPeer(viewer: Viewer): Promise<Result<Agreement[]>> {
      const peer = await callingPeer(viewer)
      if (peer === null) return forbidden()
      // Read afresh: another process (`entente agreement terminate`) may have signed a new version.
      cache = null
      return ok(await between(peer))
    },

    /** The latest version of every agreement between this node and a federation peer (the sync's exchange). */
    between,

    /**
     * Imports a version a federation peer handed over or offered (inbox, or the sync's exchange): as
     * `import`, with every signature checked against the peer's pinned key, and the peer must be the
     * agreement's other party.
     */
    importFromPeer,

    /** Drops the cache (a peer's pinned key changed). */
    invalidate: changed,
  }
}

export type AgreementsService = ReturnType<typeof makeAgreementsService>
