/**
 * The one policy decision: for a reader and a stored object version, may the reader see it, what
 * must be redacted, and may what the reader receives travel further. Every read path (REST, TAXII,
 * SSE, exports, search, alerts, log entries) and every share path asks this; storage queries filter
 * on the same {@link AudienceKey} with {@link audienceAllows}, which `decide().see` equals exactly.
 *
 * Pure and total: malformed markings give `see: false`, never a throw.
 */
import type { Issue } from '../shared/errors.js'
import type { AgreementView } from '../agreement/view.js'
import { granularRules, redactObject, selectorsToRedact } from '../marking/granular.js'
import { tlpLevel, type TlpLevel, type TlpRank } from '../marking/tlp.js'
import { audienceKey, audienceVerdict, type AudienceKey, type AudienceReason, type Hop, type PolicyEnv, type Reader, type StoredContext } from './audience.js'

export type { AudienceKey, AudienceReason, Hop, Origin, PolicyEnv, Reader, StoredContext } from './audience.js'
export { audienceAllows, audienceKey, audienceVerdict, pathAllowsHop } from './audience.js'

/** Whether, and how far, what the reader receives may travel on. */
export interface Relay {
  readonly allowed: boolean
  /** The most restrictive TLP that may travel on (null when nothing may). */
  readonly maxTlp: TlpLevel | null
  /** Nodes it may go to next: a list, or 'any' node with an active agreement (each agreement still applies). */
  readonly to: readonly string[] | 'any'
  readonly reason: RelayReason
}

export type RelayReason = 'not_seen' | 'red_never_relayed' | 'clear' | 'own_data' | 'onward_allowed' | 'onward_not_allowed' | 'above_onward_tlp' | 'hops_exhausted'

export interface Decision {
  readonly see: boolean
  readonly reason: AudienceReason | 'invalid_markings'
  /** The rank the decision was made at (effective TLP, raised by structural granular markings). */
  readonly tlp: TlpLevel
  /** Granular-marking selectors to remove before the object reaches the reader (see {@link present}). */
  readonly redact: readonly string[]
  readonly relay: Relay
  /** For a peer reader: the agreement the object is shared under. */
  readonly agreementId?: string
  /** Problems with the object's markings, when `reason` is `invalid_markings`. */
  readonly issues?: readonly Issue[]
}

const NO_RELAY = (reason: RelayReason): Relay => ({ allowed: false, maxTlp: null, to: [], reason })

/** Combined onward rights of a path for one more hop after this node (to = the last hop's list). */
function pathOnward(path: readonly Hop[], tlp: TlpRank, agreements: ReadonlyMap<string, AgreementView>, extraHops: number): Relay {
  const k = path.length
  let max: TlpRank = 3
  let to: readonly string[] | 'any' = 'any'
  for (let i = 0; i < k; i++) {
    const a = agreements.get((path[i] as Hop).agreementId)
    if (a === undefined || !a.active || !a.onward.allowed) return NO_RELAY('onward_not_allowed')
    if (k - i + extraHops > a.onward.maxHops) return NO_RELAY('hops_exhausted')
    if (a.onward.maxTlp < max) max = a.onward.maxTlp
    if (i === k - 1 && extraHops === 0) to = a.onward.to === null ? 'any' : [...a.onward.to].sort()
  }
  if (tlp > max) return NO_RELAY('above_onward_tlp')
  return { allowed: true, maxTlp: tlpLevel(max), to, reason: 'onward_allowed' }
}

function relayFor(reader: Reader, key: AudienceKey, env: PolicyEnv, agreementId: string | undefined): Relay {
  if (key.tlp === 4) return NO_RELAY('red_never_relayed')
  if (key.tlp === 0) return { allowed: true, maxTlp: 'clear', to: 'any', reason: 'clear' }
  if (reader.kind === 'public') return NO_RELAY('not_seen')
  if (reader.kind === 'peer') {
    const a = agreementId !== undefined ? env.agreements.get(agreementId) : undefined
    if (a === undefined || !a.onward.allowed) return NO_RELAY('onward_not_allowed')
    if (key.tlp > a.onward.maxTlp) return NO_RELAY('above_onward_tlp')
    let max = a.onward.maxTlp
    if (key.path !== null) {
      // The peer's relay would be one more hop on top of the path and the hop to the peer.
      const earlier = pathOnward(key.path, key.tlp, env.agreements, 1)
      if (!earlier.allowed) return earlier
      if (earlier.maxTlp !== null) max = Math.min(max, ['clear', 'green', 'amber', 'amber+strict'].indexOf(earlier.maxTlp)) as TlpRank
    }
    const to = a.onward.to === null ? 'any' : [...a.onward.to].filter((n) => n !== reader.nodeId && n !== env.nodeId).sort()
    return { allowed: true, maxTlp: tlpLevel(max), to, reason: 'onward_allowed' }
  }
  // Local readers: what this node may share on.
  if (key.path === null) return { allowed: true, maxTlp: 'amber+strict', to: 'any', reason: 'own_data' }
  return pathOnward(key.path, key.tlp, env.agreements, 0)
}

/**
 * The policy decision for `reader` and one stored version of `object` in context `ctx`.
 *
 * - `see`: {@link audienceAllows} on the version's audience key (TLP 2.0 audiences, agreements, the
 *   path it travelled, retention).
 * - `redact`: selectors of granular markings above what the reader is entitled to (entitlement at a
 *   granular marking's level is the same audience rule at that level).
 * - `relay`: RED never; CLEAR always; otherwise what the agreements on the path (and, for a peer,
 *   the agreement it receives under) allow: the hop downgrade.
 */
export function decide(reader: Reader, object: Readonly<Record<string, unknown>>, ctx: StoredContext, env: PolicyEnv): Decision {
  const k = audienceKey(object, ctx, env)
  if (!k.ok) return { see: false, reason: 'invalid_markings', tlp: 'red', redact: [], relay: NO_RELAY('not_seen'), issues: k.error }
  const key = k.value
  const v = audienceVerdict(key, reader, env)
  const tlp = tlpLevel(key.tlp)
  if (!v.allowed) return { see: false, reason: v.reason, tlp, redact: [], relay: NO_RELAY(key.tlp === 4 ? 'red_never_relayed' : 'not_seen') }
  const rules = granularRules(object, env.lookup)
  const redact = rules.ok ? selectorsToRedact(rules.value, (rank) => rank <= key.tlp || audienceVerdict({ ...key, tlp: rank }, reader, env).allowed) : []
  const relay = relayFor(reader, key, env, v.agreementId)
  const base = { see: true, reason: v.reason, tlp, redact, relay }
  return v.agreementId === undefined ? base : { ...base, agreementId: v.agreementId }
}

/**
 * What the reader gets: the object with the decision's redactions applied (a new object), or null
 * when the reader may not see it.
 */
export function present(reader: Reader, object: Readonly<Record<string, unknown>>, ctx: StoredContext, env: PolicyEnv): Record<string, unknown> | null {
  const d = decide(reader, object, ctx, env)
  if (!d.see) return null
  return redactObject(object, d.redact)
}
