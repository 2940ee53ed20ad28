/**
 * Peering invitations and key fingerprints. An invitation is one line an administrator passes to the
 * other node's administrator (mail, chat, paper): the inviting node's URL, its log key (C2SP verifier
 * key) and fingerprint, an invitation id and a one-time secret, and when it expires. It is a
 * credential until used: anyone holding it can register once as a peer (still pending approval).
 *
 *   entente-invite-1.<base64url of the JSON {v, url, key, fp, id, secret, name, exp}>
 */
import { err, ok, type Result } from '../../core/shared/result.js'
import { parseVerifierKey } from '../../core/translog/note.js'

export const INVITATION_PREFIX = 'entente-invite-1.'
export const MAX_INVITATION_LENGTH = 4096

export interface Invitation {
  /** The inviting node's base URL (http or https, no credentials, query or fragment). */
  readonly url: string
  /** Its C2SP verifier key (`origin+keyid+base64`). */
  readonly key: string
  /** Fingerprint of its public key (see `fingerprint`). */
  readonly fingerprint: string
  readonly id: string
  readonly secret: string
  /** The inviting node's name. */
  readonly name: string
  /** Expiry, RFC 3339. */
  readonly expiresAt: string
}

/**
 * The fingerprint of an Ed25519 public key that two administrators compare out of band: the first
 * 128 bits of its SHA-256 in eight groups of four hex digits, `3f2a-91c0-…`.
 */
export function fingerprint(publicKey: Uint8Array, sha256: (b: Uint8Array) => Uint8Array): string {
  const hex = Buffer.from(sha256(publicKey)).toString('hex').slice(0, 32)
  return (hex.match(/.{4}/g) ?? []).join('-')
}

/** A fingerprint as typed by a person: hex digits only, lower case (spaces, dashes and colons dropped). */
export function normaliseFingerprint(s: string): string {
  return s.toLowerCase().replace(/[\s:-]/g, '')
}

/** Checks a peer URL: http(s), no credentials, query or fragment; returns it without a trailing slash. */
export function checkPeerUrl(value: string): Result<string, string> {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return err(`${JSON.stringify(value.slice(0, 200))} is not a URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return err('only http and https URLs are allowed')
  if (u.username || u.password) return err('credentials do not belong in the URL')
  if (u.search || u.hash) return err('the URL must not have a query or fragment')
  if (value.length > 2000) return err('the URL is longer than 2000 characters')
  return ok(u.toString().replace(/\/+$/, ''))
}

export function encodeInvitation(inv: Invitation): string {
  const body = { v: 1, url: inv.url, key: inv.key, fp: inv.fingerprint, id: inv.id, secret: inv.secret, name: inv.name, exp: inv.expiresAt }
  return INVITATION_PREFIX + Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')
}

const str = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

/**
 * Parses an invitation line. Never throws; says what is wrong. Checks the shapes only: that the key
 * matches the fingerprint and that the node at the URL presents that key are checked by `accept`.
 */
export function parseInvitation(text: string): Result<Invitation, string> {
  const t = text.trim()
  if (t.length > MAX_INVITATION_LENGTH) return err(`an invitation is at most ${MAX_INVITATION_LENGTH} characters`)
  if (!t.startsWith(INVITATION_PREFIX)) return err(`an invitation starts with ${INVITATION_PREFIX}`)
  const payload = t.slice(INVITATION_PREFIX.length)
  if (!/^[A-Za-z0-9_-]+$/.test(payload)) return err('the invitation is not base64url after its prefix (was it cut or wrapped?)')
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return err('the invitation does not decode (was it cut?)')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return err('the invitation does not decode')
  const o = v as Record<string, unknown>
  if (o['v'] !== 1) return err('this invitation format version is not supported')
  if (!str(o['url'], 2000)) return err('the invitation has no node URL')
  const url = checkPeerUrl(o['url'])
  if (!url.ok) return err(`the invitation's URL: ${url.error}`)
  if (!str(o['key'], 1000) || !parseVerifierKey(o['key']).ok) return err('the invitation has no valid node key')
  if (!str(o['fp'], 100) || !/^[0-9a-f]{32}$/.test(normaliseFingerprint(o['fp']))) return err('the invitation has no valid fingerprint')
  if (!str(o['id'], 100) || !/^[0-9a-f-]{36}$/.test(o['id'])) return err('the invitation has no valid id')
  if (!str(o['secret'], 200) || !/^[A-Za-z0-9_-]{32,200}$/.test(o['secret'])) return err('the invitation has no valid secret')
  if (!str(o['name'], 200)) return err('the invitation has no node name')
  if (!str(o['exp'], 40) || Number.isNaN(Date.parse(o['exp']))) return err('the invitation has no valid expiry')
  return ok({ url: url.value, key: o['key'], fingerprint: o['fp'], id: o['id'], secret: o['secret'], name: o['name'], expiresAt: o['exp'] })
}
