/**
 * Signing and the lifecycle of agreements.
 *
 * The *terms* are the agreement object without `modified` and `events`; their RFC 8785 canonical
 * JSON is hashed (SHA-256). Every lifecycle event is signed by one party's Ed25519 node key over the
 * canonical JSON of `{agreement_id, terms_sha256, action, node_id, at, reason?}`, so a signature
 * binds the exact terms and cannot be moved to another agreement or another event. The terms never
 * change after the proposal; a new version of the object only appends events (changed terms are
 * a new agreement).
 *
 * Lifecycle, evaluated at a time `now` from the events with `at ≤ now`:
 *   proposed   the proposer (parties[0]) signed `propose`; waiting for the other party
 *   active     both signed (`propose` by parties[0], `accept` by parties[1]), start ≤ now < end,
 *              and not suspended or terminated
 *   suspended  a party signed `suspend` and has not signed `resume` since (each party lifts its own)
 *   terminated either party signed `terminate`: final, never active again
 *   pending / expired  signed by both, but now is before start_date / at or after end_date
 *   invalid    a signature does not verify, a key does not match its fingerprint or the pinned
 *              one, or the events are out of order: never active
 * Core stays pure: Ed25519 verification is passed in.
 */
import { canonicalize } from '../stix/canonical.js'
import { utf8Bytes } from '../stix/sha1.js'
import { parseStixTimestamp } from '../stix/time.js'
import { base64Decode, base64Encode, type Ed25519Verify } from '../translog/note.js'
import { sha256 } from '../translog/sha256.js'
import { keyFingerprint } from './fingerprint.js'
import type { Agreement, AgreementAction, AgreementEvent, AgreementTerms } from './model.js'

export type { Ed25519Verify } from '../translog/note.js'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** The signed terms: the agreement without `modified` and `events`. */
export function agreementTerms(a: Agreement | AgreementTerms): AgreementTerms {
  const { modified: _m, events: _e, ...terms } = a as Agreement
  return terms
}

/** RFC 8785 canonical bytes of the terms. */
export function termsBytes(a: Agreement | AgreementTerms): Uint8Array {
  return utf8Bytes(canonicalize(agreementTerms(a)))
}

/** Hex SHA-256 of the canonical terms: how events (and administrators) name the exact terms. */
export function termsDigest(a: Agreement | AgreementTerms): string {
  return hex(sha256(termsBytes(a)))
}

/** An event before it is signed. */
export type UnsignedEvent = Omit<AgreementEvent, 'signature'>

/** The bytes a party signs for one event. */
export function eventSigningBytes(a: Agreement | AgreementTerms, e: UnsignedEvent): Uint8Array {
  const body: Record<string, string> = { agreement_id: a.id, terms_sha256: termsDigest(a), action: e.action, node_id: e.node_id, at: e.at }
  if (e.reason !== undefined) body['reason'] = e.reason
  return utf8Bytes(canonicalize(body))
}

/** Signs an event with `sign` (the node's Ed25519 signer) and returns it with its signature. */
export function signEvent(a: Agreement | AgreementTerms, e: UnsignedEvent, sign: (message: Uint8Array) => Uint8Array): AgreementEvent {
  return { ...e, signature: base64Encode(sign(eventSigningBytes(a, e))) }
}

/**
 * A copy of the agreement with one more signed event and `modified` set to the event's time (when
 * later). Does not check whether the event is allowed: {@link agreementStatus} judges the result.
 */
export function appendEvent(a: Agreement, e: AgreementEvent): Agreement {
  const ev = parseStixTimestamp(e.at)
  const mod = parseStixTimestamp(a.modified)
  // STIX wants `modified` with millisecond precision; event times may have less.
  const later = ev.ok && mod.ok && ev.value.epochMs > mod.value.epochMs ? new Date(ev.value.epochMs).toISOString() : a.modified
  return { ...a, modified: later, events: [...a.events, e] }
}

export const AGREEMENT_STATUSES = ['proposed', 'active', 'suspended', 'terminated', 'pending', 'expired', 'invalid', 'draft'] as const
export type AgreementStatusName = (typeof AGREEMENT_STATUSES)[number]

export interface AgreementStatus {
  readonly status: AgreementStatusName
  /** One line saying why, for administrators and logs. */
  readonly reason: string
  /** True only for `active`: the one thing policy reads. */
  readonly active: boolean
  /** Node ids whose suspension is in force. */
  readonly suspendedBy: readonly string[]
}

export interface StatusOptions {
  /** The fingerprint this node pinned for a node id (peering); a party whose key differs makes the agreement invalid. */
  readonly pinned?: (nodeId: string) => string | undefined
}

const status = (s: AgreementStatusName, reason: string, suspendedBy: readonly string[] = []): AgreementStatus => ({ status: s, reason, active: s === 'active', suspendedBy })

/**
 * The status of a validated agreement at `now` (ms since the epoch) and why. Verifies every event
 * signature with `verify` and each party's key against its fingerprint (and the pinned one).
 */
export function agreementStatus(a: Agreement, now: number, verify: Ed25519Verify, opts: StatusOptions = {}): AgreementStatus {
  const keys = new Map<string, Uint8Array>()
  for (const [i, p] of a.parties.entries()) {
    const raw = base64Decode(p.node_key)
    if (raw === undefined || raw.length !== 32) return status('invalid', `party ${i} (${p.node_id}) has no valid key`)
    if (keyFingerprint(raw) !== p.node_key_fingerprint) return status('invalid', `party ${i} (${p.node_id}): the key does not match its fingerprint`)
    const pin = opts.pinned?.(p.node_id)
    if (pin !== undefined && pin !== p.node_key_fingerprint) return status('invalid', `party ${i} (${p.node_id}): the key is not the one pinned for this node (${pin})`)
    keys.set(p.node_id, raw)
  }
  const [proposer, acceptor] = [a.parties[0].node_id, a.parties[1].node_id]
  let lastAt = -Infinity
  let proposed = false
  let accepted = false
  let terminated: AgreementEvent | null = null
  const suspended = new Set<string>()
  for (const [i, e] of a.events.entries()) {
    const at = parseStixTimestamp(e.at)
    if (!at.ok) return status('invalid', `event ${i}: ${at.error}`)
    if (at.value.epochMs < lastAt) return status('invalid', `event ${i} (${e.action}) is earlier than the event before it`)
    lastAt = at.value.epochMs
    const key = keys.get(e.node_id)
    const sig = base64Decode(e.signature)
    if (key === undefined) return status('invalid', `event ${i} (${e.action}) is signed by ${e.node_id}, which is not a party`)
    if (sig === undefined || sig.length !== 64 || !safeVerify(verify, key, eventSigningBytes(a, e), sig)) return status('invalid', `event ${i} (${e.action} by ${e.node_id}): the signature does not verify`)
    if (at.value.epochMs > now) continue // signed for later: not in force yet
    const ok = applyEvent(e.action, e.node_id, { proposer, acceptor, proposed, accepted, terminated: terminated !== null })
    if (ok !== null) return status('invalid', `event ${i}: ${ok}`)
    switch (e.action) {
      case 'propose':
        proposed = true
        break
      case 'accept':
        accepted = true
        break
      case 'suspend':
        suspended.add(e.node_id)
        break
      case 'resume':
        suspended.delete(e.node_id)
        break
      case 'terminate':
        terminated = e
        break
    }
  }
  if (terminated !== null) return status('terminated', `terminated by ${terminated.node_id} at ${terminated.at}${terminated.reason ? `: ${terminated.reason}` : ''}`)
  if (!proposed) return status('draft', 'not yet signed by the proposer')
  if (!accepted) return status('proposed', `signed by ${proposer}; waiting for ${acceptor} to accept`)
  if (suspended.size > 0) return status('suspended', `suspended by ${[...suspended].sort().join(' and ')}`, [...suspended].sort())
  const start = Date.parse(a.iep.start_date)
  if (now < start) return status('pending', `signed by both; takes effect at ${a.iep.start_date}`)
  if (a.iep.end_date !== undefined && now >= Date.parse(a.iep.end_date)) return status('expired', `ended at ${a.iep.end_date}`)
  return status('active', `signed by ${proposer} and ${acceptor}; in force since ${a.iep.start_date}${a.iep.end_date ? ` until ${a.iep.end_date}` : ''}`)
}

function safeVerify(verify: Ed25519Verify, key: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    return verify(key, msg, sig) === true
  } catch {
    return false
  }
}

/** Whether an event may follow the state so far; a message when not. */
function applyEvent(action: AgreementAction, node: string, s: { proposer: string; acceptor: string; proposed: boolean; accepted: boolean; terminated: boolean }): string | null {
  if (s.terminated) return `${action} after termination`
  switch (action) {
    case 'propose':
      if (node !== s.proposer) return 'only the first party proposes'
      return s.proposed ? 'proposed twice' : null
    case 'accept':
      if (node !== s.acceptor) return 'only the second party accepts'
      if (!s.proposed) return 'accepted before it was proposed'
      return s.accepted ? 'accepted twice' : null
    case 'suspend':
    case 'resume':
      return s.accepted ? null : `${action} before both parties signed`
    case 'terminate':
      return null
  }
}
