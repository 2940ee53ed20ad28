/**
 * STIX identifiers (spec §2.9): `object-type--UUID`, UUIDv5 (RFC 4122 §4.3) and the deterministic
 * identifiers of STIX Cyber-observable Objects (§2.9 and each SCO's "ID Contributing Properties").
 */
import { canonicalize } from './canonical.js'
import { sha1, toHex, utf8Bytes } from './sha1.js'

/** The UUIDv5 namespace STIX 2.1 reserves for SCO deterministic identifiers. */
export const SCO_ID_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7'

function isHex(c: number): boolean {
  const l = c | 0x20
  return (c >= 48 && c <= 57) || (l >= 97 && l <= 102)
}

/**
 * Whether `s` from `off` to its end is an RFC 4122 UUID: 8-4-4-4-12 hex digits (either case), a
 * version digit 1–8 (RFC 9562's versions 6–8 share RFC 4122's layout) and the 10xx variant.
 * Hand-written: this runs several times per object on the ingest path.
 */
function uuidAt(s: string, off: number): boolean {
  if (s.length - off !== 36) return false
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(off + i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false
    } else if (!isHex(c)) return false
  }
  const version = s.charCodeAt(off + 14)
  if (version < 49 || version > 56) return false
  const variant = s.charCodeAt(off + 19) | 0x20
  return variant === 56 || variant === 57 || variant === 97 || variant === 98
}

/** Whether a string is an RFC 4122 UUID (versions 1–8, 10xx variant, any hex case). */
export function isUuid(s: string): boolean {
  return typeof s === 'string' && uuidAt(s, 0)
}

/** The version digit of a UUID string (no validation). */
export function uuidVersion(uuid: string): number {
  return uuid.charCodeAt(14) - 48
}

/**
 * Whether `s` is a STIX identifier: `type--UUID` where `type` is a valid type name and the UUID is
 * RFC 4122 (any hex case). With `type`, the identifier must also be of that type.
 */
export function isStixId(s: string, type?: string): boolean {
  if (typeof s !== 'string') return false
  if (type !== undefined) {
    const n = type.length
    return s.charCodeAt(n) === 45 && s.charCodeAt(n + 1) === 45 && s.startsWith(type) && typeCharsAt(s, 0, n) && uuidAt(s, n + 2)
  }
  // The first '--' is the separator, so the type part cannot contain '--' itself.
  const sep = s.indexOf('--')
  return typeCharsAt(s, 0, sep) && uuidAt(s, sep + 2)
}

/** Whether s[start, end) is 3–250 characters of a–z, 0–9 and '-' (a type name without its '--' check). */
function typeCharsAt(s: string, start: number, end: number): boolean {
  const n = end - start
  if (n < 3 || n > 250) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false
  }
  return true
}

/** The type part of a STIX identifier (everything before the first `--`), or null. */
export function idType(id: string): string | null {
  const sep = id.indexOf('--')
  return sep > 0 ? id.slice(0, sep) : null
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '')
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

/**
 * RFC 4122 name-based UUID, version 5 (SHA-1): `uuidv5(namespace, name)` with the name encoded as
 * UTF-8. Returns lower-case. Throws a TypeError if `namespace` is not a UUID (a programming error).
 */
export function uuidv5(namespace: string, name: string): string {
  if (typeof namespace !== 'string' || !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(namespace)) {
    throw new TypeError(`uuidv5: namespace ${String(namespace)} is not a UUID`)
  }
  const ns = uuidBytes(namespace)
  const nm = utf8Bytes(name)
  const data = new Uint8Array(16 + nm.length)
  data.set(ns)
  data.set(nm, 16)
  const h = sha1(data).subarray(0, 16)
  h[6] = ((h[6] as number) & 0x0f) | 0x50
  h[8] = ((h[8] as number) & 0x3f) | 0x80
  const x = toHex(h)
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

/**
 * Each SCO type's "ID Contributing Properties" (STIX 2.1 §6). `process` has none: it always uses a
 * UUIDv4.
 */
export const SCO_ID_CONTRIBUTING_PROPERTIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['artifact', ['hashes', 'payload_bin']],
  ['autonomous-system', ['number']],
  ['directory', ['path']],
  ['domain-name', ['value']],
  ['email-addr', ['value']],
  ['email-message', ['from_ref', 'subject', 'body']],
  ['file', ['hashes', 'name', 'extensions', 'parent_directory_ref']],
  ['ipv4-addr', ['value']],
  ['ipv6-addr', ['value']],
  ['mac-addr', ['value']],
  ['mutex', ['name']],
  ['network-traffic', ['start', 'end', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'extensions']],
  ['process', []],
  ['software', ['name', 'cpe', 'swid', 'vendor', 'version']],
  ['url', ['value']],
  ['user-account', ['account_type', 'user_id', 'account_login']],
  ['windows-registry-key', ['key', 'values']],
  ['x509-certificate', ['hashes', 'serial_number']],
])

/** Hash algorithms preferred when one hash has to stand for a `hashes` dictionary (§2.9). */
const HASH_PREFERENCE = ['MD5', 'SHA-1', 'SHA-256', 'SHA-512']

function chooseOneHash(hashes: Record<string, unknown>): Record<string, unknown> | null {
  for (const k of HASH_PREFERENCE) if (Object.hasOwn(hashes, k)) return { [k]: hashes[k] }
  const first = Object.keys(hashes)[0]
  return first === undefined ? null : { [first]: hashes[first] }
}

/**
 * The deterministic id a SCO should have from its id-contributing properties (spec 2.1 §2.9 and
 * each SCO's "ID Contributing Properties": a UUIDv5 in namespace `00abedb4-…` over the RFC 8785
 * form of those properties, with `hashes` reduced to one hash: MD5, else SHA-1, SHA-256, SHA-512,
 * else the first), or null for non-SCO/unknown types, for `process`, and when none of the
 * properties is present (the spec then falls back to a UUIDv4, which cannot be predicted).
 */
export function deterministicScoId(obj: Record<string, unknown>): string | null {
  if (obj === null || typeof obj !== 'object') return null
  const type = obj['type']
  if (typeof type !== 'string') return null
  const props = SCO_ID_CONTRIBUTING_PROPERTIES.get(type)
  if (props === undefined || props.length === 0) return null
  const name: Record<string, unknown> = {}
  let any = false
  for (const p of props) {
    if (!Object.hasOwn(obj, p)) continue
    const v = obj[p]
    if (v === undefined || v === null) continue
    if (p === 'hashes') {
      if (typeof v !== 'object' || Array.isArray(v)) return null
      const one = chooseOneHash(v as Record<string, unknown>)
      if (one === null) continue
      name[p] = one
    } else name[p] = v
    any = true
  }
  if (!any) return null
  let text: string
  try {
    text = canonicalize(name)
  } catch {
    return null
  }
  return `${type}--${uuidv5(SCO_ID_NAMESPACE, text)}`
}
