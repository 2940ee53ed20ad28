/**
 * STIX identifiers (spec §2.9): `object-type--UUID`, UUIDv5 (RFC 4122 §4.3) and the deterministic
 * identifiers of STIX Cyber-observable Objects (§2.9 and each SCO's "ID Contributing Properties").
 */
import { canonicalize } from './canonical.js'
import { sha1, toHex, utf8Bytes } from './sha1.js'
import { isValidTypeName } from './types.js'

/** The UUIDv5 namespace STIX 2.1 reserves for SCO deterministic identifiers. */
export const SCO_ID_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7'

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/

/**
 * Whether a string is an RFC 4122 UUID: the 10xx variant and a version digit (1–8; RFC 9562's
 * versions 6–8 share RFC 4122's layout). Hex digits may be in either case.
 */
export function isUuid(s: string): boolean {
  return typeof s === 'string' && s.length === 36 && UUID.test(s)
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
  const sep = s.indexOf('--')
  if (sep < 3) return false
  if (type !== undefined) {
    if (sep !== type.length || !s.startsWith(type)) return false
  } else if (!isValidTypeName(s.slice(0, sep))) return false
  return s.length - sep - 2 === 36 && UUID.test(s.slice(sep + 2))
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
