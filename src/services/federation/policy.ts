/**
 * What may leave this node for a peer: the one policy engine (`decide` in src/core/policy), asked
 * for a peer reader. This module only translates federation records into its terms:
 *
 * - the reader: the peer's node id (from the transparency-log origin pinned at peering, as agreements
 *   name nodes) acting for the organisations it announced at peering (each agreement's parties narrow
 *   that further: decide intersects them);
 * - the stored context of a version: its collection's default marking, its producer, and for versions
 *   received from peers the path (hops) it took, so the onward-sharing rules apply (a coordinator
 *   relays only where every agreement on the path allows it; RED never; never back to a node on the path);
 * - the outcome: shared only when the peer may see the whole object. A version the peer may see only
 *   with parts removed (granular markings above its entitlement) is withheld: a redacted copy would be
 *   another object under the same id and version, which the receiving node could not verify.
 *
 * Without an active agreement with the peer, decide allows TLP:CLEAR and nothing else.
 */
import { nodeIdOfOrigin } from '../agreements/agreements.js'
import type { AgreementView } from '../../core/agreement/view.js'
import { tlpLevel, type TlpRank } from '../../core/marking/tlp.js'
import { decide, type Hop, type PolicyEnv, type Reader, type StoredContext } from '../../core/policy/decide.js'
import type { Peer } from '../../store/port.js'

/** The STIX 2.1 TLP 2.0 marking definitions (OASIS cti-stix-common-objects). */
export const TLP2 = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  amberStrict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const

/** The marking id of a TLP level name (`clear`, `green`, `amber`, `amber+strict`, `red`), or null. */
export function tlpMarkingId(level: string): string | null {
  switch (level.toLowerCase().replace(/^tlp:/, '')) {
    case 'clear':
    case 'white':
      return TLP2.clear
    case 'green':
      return TLP2.green
    case 'amber':
      return TLP2.amber
    case 'amber+strict':
      return TLP2.amberStrict
    case 'red':
      return TLP2.red
    default:
      return null
  }
}

/** The policy reader for a peer node, or null when it is not a node with a pinned origin (feeds, pending peers). */
export function peerReader(peer: Pick<Peer, 'kind' | 'origin' | 'organisations'>): Extract<Reader, { kind: 'peer' }> | null {
  if (peer.kind !== 'node' || peer.origin === null) return null
  return { kind: 'peer', nodeId: nodeIdOfOrigin(peer.origin), actingFor: peer.organisations.map((o) => o.identityId) }
}

/** What is stored with a membership, besides the object, that the decision needs. */
export interface StoredVersionInfo {
  readonly collectionId: string
  /** The stored effective TLP rank (or the collection's default). Used as the default for unmarked objects. */
  readonly tlp: TlpRank
  readonly producer: string | null
  /** Hops from the origin node to this one, for versions received from peers; else null. */
  readonly path: readonly Hop[] | null
  /** When this node stored it (stored timestamp). */
  readonly receivedAt: string
  /** Stored end of retention, or null. */
  readonly expiresAt: string | null
}

/** The decide() context of a stored version. A received version without its path is treated as coming from nowhere known (nothing but CLEAR). */
export function contextOf(v: StoredVersionInfo): StoredContext {
  const origin: StoredContext['origin'] =
    v.path !== null && v.path.length > 0 ? { kind: 'peer', producer: v.producer, path: v.path } : { kind: 'local', producer: v.producer ?? '' }
  return { collectionId: v.collectionId, defaultTlp: tlpLevel(v.tlp), origin, receivedAt: v.receivedAt }
}

export interface ShareDecision {
  readonly share: boolean
  /** decide()'s reason, or `needs_redaction` / `expired`. */
  readonly reason: string
  /** The agreement the object is shared under ('' for CLEAR without an agreement). */
  readonly agreementId: string
}

/** Whether this version goes to (or may still be read by) the peer: decide() sees it whole. */
export function shareDecision(reader: Reader, object: Readonly<Record<string, unknown>>, v: StoredVersionInfo, env: PolicyEnv): ShareDecision {
  if (v.expiresAt !== null && Date.parse(v.expiresAt.replace(' ', 'T')) <= env.now) return { share: false, reason: 'expired', agreementId: '' }
  const d = decide(reader, object, contextOf(v), env)
  if (!d.see) return { share: false, reason: d.reason, agreementId: '' }
  if (d.redact.length > 0) return { share: false, reason: 'needs_redaction', agreementId: d.agreementId ?? '' }
  return { share: true, reason: d.reason, agreementId: d.agreementId ?? '' }
}

/**
 * A short text that changes whenever the set of agreements or any agreement's activity changes
 * (terms never change under one id). Publishing re-examines everything when it changes.
 */
export function agreementsSignature(agreements: ReadonlyMap<string, AgreementView>): string {
  return [...agreements.values()]
    .map((a) => `${a.id}:${a.active ? 1 : 0}`)
    .sort()
    .join(',')
}

const NODE = /^[A-Za-z0-9._:-]{1,200}$/
const AGREEMENT = /^x-entente-agreement--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Most hops a received path may have (agreements allow at most 8 further hops). */
export const MAX_PATH = 16

/**
 * Checks the path a peer reports for an object it sends us: well-formed hops, the last one from the
 * peer to this node, this node nowhere before it (a loop), no node twice. The last hop's agreement
 * must be one this node holds with the peer; otherwise it is recorded as '' (no agreement: nothing
 * but CLEAR travels on, and no retention or implicit recipients come from it).
 */
export function checkReceivedPath(raw: unknown, peerNode: string, me: string, agreements: ReadonlyMap<string, AgreementView>): Hop[] | string {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_PATH) return `the path must be a list of 1 to ${MAX_PATH} hops`
  const hops: Hop[] = []
  for (const h of raw) {
    if (typeof h !== 'object' || h === null) return 'a hop must be an object'
    const { from, to, agreementId } = h as Record<string, unknown>
    if (typeof from !== 'string' || !NODE.test(from) || typeof to !== 'string' || !NODE.test(to)) return 'a hop must name two node ids'
    if (typeof agreementId !== 'string' || (agreementId !== '' && !AGREEMENT.test(agreementId))) return 'a hop must name an agreement id or none'
    hops.push({ from, to, agreementId })
  }
  for (let i = 1; i < hops.length; i++) if ((hops[i] as Hop).from !== (hops[i - 1] as Hop).to) return 'the hops do not follow each other'
  const last = hops[hops.length - 1] as Hop
  if (last.from !== peerNode || last.to !== me) return `the last hop must be ${peerNode} → ${me}`
  const nodes = [(hops[0] as Hop).from, ...hops.map((h) => h.to)]
  if (new Set(nodes).size !== nodes.length) return 'the path visits a node twice (a loop)'
  const a = agreements.get(last.agreementId)
  const parties = a ? new Set(a.sides.map((s) => s.nodeId)) : null
  if (!parties || !parties.has(peerNode) || !parties.has(me)) hops[hops.length - 1] = { ...last, agreementId: '' }
  return hops
}
