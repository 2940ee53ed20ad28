/**
 * Audiences, exactly as FIRST TLP 2.0 defines them, in Entente's terms (docs/markings.md):
 *
 * | TLP | who sees it on this node | which peer nodes get it |
 * |---|---|---|
 * | CLEAR | anyone, public pages included | any |
 * | GREEN | every organisation on this node (the community) | every node with an active agreement covering it |
 * | AMBER | the recipient organisations and their clients | agreement partners that are recipient organisations |
 * | AMBER+STRICT | the recipient organisations | as AMBER |
 * | RED | the named recipients (listed on the object) | nodes of named recipients, only from the origin node: never relayed |
 *
 * The producing organisation always sees its own objects; a local system job (named, audited)
 * sees everything this node holds. Recipient organisations: the identities named on the object
 * (./marking/recipients.ts) when it names any; otherwise the collection's recipients and, for an
 * object received from a peer, this node's organisations party to the agreement it arrived under;
 * towards a peer, the partner organisations of the agreement it is shared under.
 *
 * The decision is made on an {@link AudienceKey}: a few scalar facts per stored version, so the
 * storage query can filter on the same columns ({@link audienceAllows} is the predicate; the SQL form
 * is in docs/markings.md) and pages are not emptied after the fact.
 */
import type { Issue } from '../shared/errors.js'
import { err, ok, type Result } from '../shared/result.js'
import { coversType, otherSide, sideOf, type AgreementView } from '../agreement/view.js'
import { effectiveTlp, type MarkingLookup } from '../marking/effective.js'
import { granularRules, structuralRank } from '../marking/granular.js'
import { recipientsOf } from '../marking/recipients.js'
import { tlpRank, type TlpLevel, type TlpRank } from '../marking/tlp.js'

/** Who is reading. */
export type Reader =
  /** Anyone without an account: public pages, anonymous API. */
  | { readonly kind: 'public' }
  /** A job run by this node itself (retention, re-indexing, export by the operator). Named for the audit trail. */
  | { readonly kind: 'system'; readonly name: string }
  /**
   * A user of an organisation on this node. `clientOf`: organisations this one is a client of
   * (TLP:AMBER reaches "the recipient organisations and their clients").
   */
  | { readonly kind: 'org'; readonly orgIdentityId: string; readonly clientOf?: readonly string[] }
  /** A peer node, acting for its organisations in the agreements with us (or only `actingFor` among them). */
  | { readonly kind: 'peer'; readonly nodeId: string; readonly actingFor?: readonly string[] }

/** One hop an object took between nodes, under an agreement between the two. */
export interface Hop {
  readonly from: string
  readonly to: string
  readonly agreementId: string
}

/** Where a stored version came from. */
export type Origin =
  /**
   * Written on this node by one of its organisations (the producer), or derived by the node itself
   * with no producing organisation (null: correlation's sightings), seen only by their audience.
   */
  | { readonly kind: 'local'; readonly producer: string | null }
  /**
   * Received from a peer. `path` runs from the origin node to this one (`path[0].from` is the origin,
   * the last hop's `to` is this node); `producer` is the organisation that wrote it at the origin,
   * when known.
   */
  | { readonly kind: 'peer'; readonly producer: string | null; readonly path: readonly Hop[] }

/** The stored version's context: its collection, its default marking, where it came from, when. */
export interface StoredContext {
  readonly collectionId: string
  /** The collection's default marking, used when the object carries no TLP marking. */
  readonly defaultTlp: TlpLevel
  readonly origin: Origin
  /** When this node received it (ISO timestamp); retention counts from here. */
  readonly receivedAt: string
}

/** What the policy needs to know about this node and its agreements. */
export interface PolicyEnv {
  /** This node's id. */
  readonly nodeId: string
  /** Decision time (ms since the epoch). */
  readonly now: number
  /** Every agreement this node knows (active or not), by id. */
  readonly agreements: ReadonlyMap<string, AgreementView>
  /** The recipient organisations of a collection (identity ids), if the collection names any. */
  readonly collectionRecipients?: (collectionId: string) => readonly string[] | undefined
  /** Marking definitions this node holds, for markings other than the built-in TLP and PAP ones. */
  readonly lookup?: MarkingLookup
}

/**
 * Per stored version: what the audience depends on. Computed once when the version is stored
 * ({@link audienceKey}); a storage row keeps these as columns.
 */
export interface AudienceKey {
  /** The rank needed to see the object at all: its effective TLP, raised by granular markings on structural properties. */
  readonly tlp: TlpRank
  readonly type: string
  /** The producing organisation (identity id), or null when unknown. */
  readonly producer: string | null
  /** Identities named on the object, or null when it names none. */
  readonly recipients: readonly string[] | null
  readonly collectionId: string
  /** null for local objects, else the hops from the origin node to this one. */
  readonly path: readonly Hop[] | null
  /** When retention deletes it (ms since the epoch), or null. */
  readonly expiresAt: number | null
}

const MS_PER_DAY = 86_400_000

/** The audience key of a stored version. Errors (malformed markings or recipients) point into the object. */
export function audienceKey(object: Readonly<Record<string, unknown>>, ctx: StoredContext, env: Pick<PolicyEnv, 'agreements' | 'lookup'>): Result<AudienceKey, Issue[]> {
  const type = object['type']
  if (typeof type !== 'string') return err([{ pointer: '/type', message: 'must be a STIX type' }])
  const rules = granularRules(object, env.lookup)
  if (!rules.ok) return rules
  const rec = recipientsOf(object)
  if (!rec.ok) return rec
  const own = tlpRank(effectiveTlp(object, ctx.defaultTlp, env.lookup))
  const structural = structuralRank(rules.value)
  const tlp = (structural !== null && structural > own ? structural : own) as TlpRank
  let expiresAt: number | null = null
  let path: readonly Hop[] | null = null
  if (ctx.origin.kind === 'peer') {
    path = ctx.origin.path
    if (path.length === 0) return err([{ pointer: '', message: 'an object received from a peer must have at least one hop' }])
    const arrival = env.agreements.get((path[path.length - 1] as Hop).agreementId)
    const received = Date.parse(ctx.receivedAt)
    if (Number.isNaN(received)) return err([{ pointer: '', message: `receivedAt '${ctx.receivedAt.slice(0, 40)}' is not a timestamp` }])
    if (arrival?.retentionDays != null) expiresAt = received + arrival.retentionDays * MS_PER_DAY
  }
  const producer = ctx.origin.producer
  return ok({ tlp, type, producer, recipients: rec.value, collectionId: ctx.collectionId, path, expiresAt })
}

/** Why a reader may or may not see something. Stable strings (logged in the audit trail). */
export type AudienceReason =
  | 'system'
  | 'clear'
  | 'producer'
  | 'community'
  | 'recipient'
  | 'client_of_recipient'
  | 'agreement'
  | 'expired'
  | 'not_public'
  | 'not_recipient'
  | 'no_agreement'
  | 'already_on_path'
  | 'relay_not_allowed'

export interface AudienceVerdict {
  readonly allowed: boolean
  readonly reason: AudienceReason
  /** For a peer reader: the agreement it is shared under (the first by id that allows it). */
  readonly agreementId?: string
}

const yes = (reason: AudienceReason, agreementId?: string): AudienceVerdict => (agreementId === undefined ? { allowed: true, reason } : { allowed: true, reason, agreementId })
const no = (reason: AudienceReason): AudienceVerdict => ({ allowed: false, reason })

/** The recipient organisations on this node when the object names none. */
function implicitLocalRecipients(key: AudienceKey, env: PolicyEnv): Set<string> {
  const out = new Set<string>(env.collectionRecipients?.(key.collectionId) ?? [])
  if (key.path !== null && key.path.length > 0) {
    const arrival = env.agreements.get((key.path[key.path.length - 1] as Hop).agreementId)
    const mine = arrival !== undefined ? sideOf(arrival, env.nodeId) : undefined
    if (mine !== undefined) for (const o of mine.orgs) out.add(o)
  }
  return out
}

function orgVerdict(key: AudienceKey, x: string, clientOf: readonly string[], env: PolicyEnv): AudienceVerdict {
  if (key.tlp <= 1) return yes(key.tlp === 0 ? 'clear' : 'community')
  if (key.producer !== null && key.producer === x) return yes('producer')
  if (key.tlp === 4) return key.recipients?.includes(x) === true ? yes('recipient') : no('not_recipient')
  const recipients = key.recipients !== null ? new Set(key.recipients) : implicitLocalRecipients(key, env)
  if (recipients.has(x)) return yes('recipient')
  if (key.tlp === 2) {
    for (const c of clientOf) if (recipients.has(c) || c === key.producer) return yes('client_of_recipient')
  }
  return no('not_recipient')
}

/**
 * Whether the path an object took allows one more hop to `next`, and at what TLP at most: every
 * agreement on the path must be known and active, allow onward sharing to the node that follows
 * it, allow at least `tlp`, and allow that many further hops.
 */
export function pathAllowsHop(path: readonly Hop[], next: string, tlp: TlpRank, agreements: ReadonlyMap<string, AgreementView>): boolean {
  const k = path.length
  for (let i = 0; i < k; i++) {
    const hop = path[i] as Hop
    const a = agreements.get(hop.agreementId)
    if (a === undefined || !a.active || !a.onward.allowed) return false
    const following = i + 1 < k ? (path[i + 1] as Hop).to : next
    if (a.onward.to !== null && !a.onward.to.has(following)) return false
    if (tlp > a.onward.maxTlp) return false
    if (k - i > a.onward.maxHops) return false
  }
  return true
}

function peerVerdict(key: AudienceKey, nodeId: string, actingFor: readonly string[] | undefined, env: PolicyEnv): AudienceVerdict {
  if (nodeId === env.nodeId) return no('no_agreement')
  if (key.path !== null && key.path.some((h) => h.from === nodeId || h.to === nodeId)) return no('already_on_path')
  if (key.tlp === 0) return yes('clear')
  if (key.tlp === 4 && key.path !== null) return no('relay_not_allowed')
  if (key.path !== null && !pathAllowsHop(key.path, nodeId, key.tlp, env.agreements)) return no('relay_not_allowed')
  let best: AudienceReason = 'no_agreement'
  const ids = [...env.agreements.keys()].sort()
  for (const id of ids) {
    const a = env.agreements.get(id) as AgreementView
    if (!a.active) continue
    const theirs = otherSide(a, env.nodeId)
    if (theirs === undefined || theirs.nodeId !== nodeId) continue
    if (key.tlp > a.maxTlp || !coversType(a, key.type)) continue
    if (key.path === null) {
      const mine = sideOf(a, env.nodeId)
      if (mine === undefined || key.producer === null || !mine.orgs.has(key.producer)) continue
    }
    const orgs = actingFor === undefined ? [...theirs.orgs] : actingFor.filter((o) => theirs.orgs.has(o))
    if (orgs.length === 0) continue
    if (key.tlp === 1) return yes('community', id)
    if (key.recipients === null) {
      if (key.tlp === 4) {
        best = 'not_recipient'
        continue
      }
      return yes('agreement', id)
    }
    if (orgs.some((o) => key.recipients?.includes(o) === true)) return yes('recipient', id)
    best = 'not_recipient'
  }
  return no(best)
}

/**
 * Whether `reader` may see a stored version with this key. The one predicate behind
 * `decide().see` (./decide.ts) and the storage filter: both must agree exactly, and property tests
 * hold them to an independent model of TLP 2.0.
 */
export function audienceVerdict(key: AudienceKey, reader: Reader, env: PolicyEnv): AudienceVerdict {
  if (reader.kind === 'system') return yes('system')
  if (key.expiresAt !== null && env.now >= key.expiresAt) return no('expired')
  switch (reader.kind) {
    case 'public':
      return key.tlp === 0 ? yes('clear') : no('not_public')
    case 'org':
      return orgVerdict(key, reader.orgIdentityId, reader.clientOf ?? [], env)
    case 'peer':
      return peerVerdict(key, reader.nodeId, reader.actingFor, env)
  }
}

/** {@link audienceVerdict}, as a boolean: what a storage filter must compute. */
export function audienceAllows(key: AudienceKey, reader: Reader, env: PolicyEnv): boolean {
  return audienceVerdict(key, reader, env).allowed
}
