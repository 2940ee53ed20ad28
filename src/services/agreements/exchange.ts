/**
 * Agreements travel between federation peers by themselves (docs/agreements.md, "Between peers"):
 *
 * - **push**: a version this node signs (propose, accept, suspend, resume, terminate) is handed at
 *   once to the other party's inbox (`POST /api/v1/agreements/inbox`) with the credential this node
 *   holds to read that peer;
 * - **at every sync** with a peer, this node first asks the peer for the agreements between the two
 *   (`GET /api/v1/agreements/peer`) and imports every newer version (signatures checked against the
 *   pinned key, terms never changed, events only appended), then pushes every version the peer has
 *   not confirmed yet.
 *
 * What the peer confirmed is kept per agreement and peer in the node metadata
 * (`agreement.delivered.<peer id>.<agreement id>` = the `modified` of the version the peer holds), so
 * a version whose push failed is retried at every sync until the peer has it, across restarts. A
 * peer is hostile: at most {@link MAX_PEER_AGREEMENTS} agreements are read from one answer, and every
 * one goes through the same import as a file.
 */
import type { Agreement } from '../../core/agreement/index.js'
import type { Peer, Store } from '../../store/port.js'
import type { Logger } from '../deps.js'
import type { PeerClient } from '../federation/ports.js'
import type { AgreementDelivery, AgreementsService } from './agreements.js'
import { nodeIdOfOrigin } from './agreements.js'

/** Agreements read from one peer's answer (two nodes sign a handful; the rest is ignored). */
export const MAX_PEER_AGREEMENTS = 1000

export interface AgreementExchangeDeps {
  readonly store: Pick<Store, 'peers' | 'meta'>
  readonly logger: Logger
  readonly peerClient?: PeerClient
  readonly agreements: () => Pick<AgreementsService, 'between' | 'importFromPeer'>
}

/** What one exchange with a peer did. */
export interface ExchangeSummary {
  /** Newer versions imported from the peer. */
  readonly received: number
  /** Versions handed to the peer's inbox. */
  readonly delivered: number
  /** One line per agreement the peer offered that was refused, or that could not be delivered. */
  readonly errors: readonly string[]
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]?.slice(0, 300) ?? 'error'
const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
const markerKey = (peer: Peer, agreementId: string) => `agreement.delivered.${peer.id}.${agreementId}`

/** `later` holds every event of `earlier`, and more. */
function extends_(later: Agreement, earlier: readonly unknown[]): boolean {
  return later.events.length > earlier.length && earlier.every((e, i) => isRecord(e) && later.events[i]?.signature === e['signature'])
}

export function makeAgreementExchange(deps: AgreementExchangeDeps) {
  const { store, logger } = deps

  /** Pushes one version to the peer's inbox and records that the peer holds it. */
  async function push(peer: Peer, a: Agreement): Promise<void> {
    if (!deps.peerClient) throw new Error('this process cannot reach other nodes')
    await deps.peerClient.deliverAgreement(peer.url, peer.auth, a)
    await store.meta.set(markerKey(peer, a.id), a.modified)
  }

  /** Pushes every version between us and the peer that the peer has not confirmed. */
  async function deliverPending(peer: Peer, errors: string[]): Promise<number> {
    let delivered = 0
    for (const a of await deps.agreements().between(peer)) {
      if ((await store.meta.get(markerKey(peer, a.id))) === a.modified) continue
      try {
        await push(peer, a)
        delivered++
      } catch (e) {
        errors.push(`${a.id}: not delivered to ${peer.name}: ${message(e)}`)
      }
    }
    return delivered
  }

  /** Imports every newer version the peer holds; records what the peer holds. */
  async function receive(peer: Peer, errors: string[]): Promise<number> {
    if (!deps.peerClient) return 0
    const raw = await deps.peerClient.peerAgreements(peer.url, peer.auth)
    const offered = isRecord(raw) && Array.isArray(raw['agreements']) ? raw['agreements'] : null
    if (offered === null) throw new Error(`${peer.name} answered the agreements request without an agreements list`)
    const ours = new Map((await deps.agreements().between(peer)).map((a) => [a.id, a]))
    let received = 0
    for (const item of offered.slice(0, MAX_PEER_AGREEMENTS)) {
      const id = isRecord(item) && typeof item['id'] === 'string' ? item['id'].slice(0, 200) : '?'
      const mine = ours.get(id)
      // The peer is behind (it misses events this node signed or imported): the push below sends them.
      if (mine !== undefined && isRecord(item) && Array.isArray(item['events']) && extends_(mine, item['events'] as unknown[])) {
        await store.meta.set(markerKey(peer, id), typeof item['modified'] === 'string' ? item['modified'].slice(0, 64) : '')
        continue
      }
      const r = await deps.agreements().importFromPeer(peer, item)
      if (!r.ok) {
        errors.push(`${id}: refused from ${peer.name}: ${r.error.code === 'conflict' ? r.error.detail : r.error.code}`)
        continue
      }
      if (!r.value.unchanged) received++
      // The peer holds this version (the one this node now holds too): nothing to push back.
      await store.meta.set(markerKey(peer, r.value.agreement.id), r.value.agreement.modified)
    }
    return received
  }

  return {
    /**
     * Hands a version this node just signed to the other party, when that party is an approved
     * federation peer; null when it is not (the file route). A failure is reported, not thrown: the
     * version goes at the next sync.
     */
    async deliver(a: Agreement): Promise<AgreementDelivery | null> {
      const peers = (await store.peers.list()).filter((p) => p.kind === 'node' && p.status === 'approved' && p.origin !== null && p.publicKey !== null)
      const peer = peers.find((p) => a.parties.some((x) => x.node_id === nodeIdOfOrigin(p.origin as string) && x.node_key === b64(p.publicKey as Uint8Array)))
      if (peer === undefined) return null
      try {
        await push(peer, a)
        return { peer: peer.name, delivered: true }
      } catch (e) {
        logger.warn({ peer: peer.name, agreement: a.id, err: message(e) }, 'agreement not delivered; it is retried at the next sync')
        return { peer: peer.name, delivered: false, error: message(e) }
      }
    },

    /**
     * The exchange at the start of every sync with an approved node peer: newer versions in, then
     * every version the peer has not confirmed out. Throws when the peer cannot be asked at all.
     */
    async exchange(peer: Peer): Promise<ExchangeSummary> {
      if (peer.kind !== 'node' || peer.status !== 'approved' || peer.publicKey === null || peer.origin === null) return { received: 0, delivered: 0, errors: [] }
      const errors: string[] = []
      const received = await receive(peer, errors)
      const delivered = await deliverPending(peer, errors)
      for (const e of errors) logger.warn({ peer: peer.name }, `agreement exchange: ${e}`)
      return { received, delivered, errors }
    },
  }
}

export type AgreementExchange = ReturnType<typeof makeAgreementExchange>
