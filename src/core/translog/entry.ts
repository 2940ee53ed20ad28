/**
 * Transparency log entries: what one leaf of the log says. Typed kinds, each with a version, encoded as
 * RFC 8785 canonical JSON (UTF-8). The encoding is the RFC 6962 `leaf_input`; its leaf hash is
 * SHA-256(0x00 ‖ leaf_input). Anyone can decode and check an entry with this module alone.
 *
 * Every entry has:
 * - `v`     the entry format version (1);
 * - `kind`  what happened (below);
 * - `at`    when the node accepted it (stored timestamp form, UTC with microseconds);
 * - `by`    who did it: `{ org, user? }` (internal ids, never names: the log is permanent and public),
 *           or `{ system }` for work the operator ran on the node itself (CLI import, `entente init`).
 *
 * Object entries name the object by STIX id, version key and the SHA-256 of its canonical JSON, so a
 * holder of the object can prove it is the one the node accepted, without the log holding content.
 */
import { canonicalize } from '../stix/canonical.js'
import { isTlpLevel, TLP_LEVELS, type TlpLevel } from '../marking/tlp.js'
import { err, ok, type Result } from '../shared/result.js'

export const ENTRY_VERSION = 1

/** Who did what an entry records. */
export type LogActor = { readonly org: string; readonly user?: string } | { readonly system: string }

/** An object version as the log names it. */
export interface LoggedObject {
  readonly id: string
  readonly type: string
  /** The store's version key: `modified`, else `created`, else `h:<content hash>`. */
  readonly version: string
  /** Lower-case hex SHA-256 of the object's RFC 8785 canonical JSON. */
  readonly sha256: string
  /** Present (true) on versions that revoke the object. */
  readonly revoked?: true
}

interface Base<K extends string> {
  readonly v: typeof ENTRY_VERSION
  readonly kind: K
  readonly at: string
  readonly by: LogActor
}

/** Every kind of entry, with what it carries. */
export type LogEntry =
  /** An object version was accepted into a collection (stored now, or already stored for another collection). */
  | (Base<'object.added'> & { readonly collection: string; readonly object: LoggedObject })
  /** An object version was removed from a collection (TAXII Delete An Object); the version stays stored. */
  | (Base<'object.removed'> & { readonly collection: string; readonly object: LoggedObject })
  | (Base<'org.created'> & { readonly org: { readonly id: string; readonly identity: string } })
  | (Base<'user.created'> & { readonly user: { readonly id: string; readonly org: string; readonly role: string } })
  | (Base<'user.role_changed'> & { readonly user: { readonly id: string; readonly role: string } })
  | (Base<'user.disabled'> & { readonly user: { readonly id: string } })
  | (Base<'user.enabled'> & { readonly user: { readonly id: string } })
  | (Base<'token.created'> & { readonly token: { readonly id: string; readonly user: string; readonly expires: string | null } })
  | (Base<'token.revoked'> & { readonly token: { readonly id: string } })
  | (Base<'collection.created'> & { readonly collection: { readonly id: string } })
  | (Base<'collection.permission_set'> & {
      readonly permission: { readonly collection: string; readonly org: string; readonly read: boolean; readonly write: boolean }
    })
  /** The node's signing key (the first one at `entente init`, or a replacement). */
  | (Base<'node.key'> & { readonly key: { readonly ed25519: string; readonly origin: string } })
  /** A collection's default TLP (what unmarked input stored there gets) was set: at creation when given, or changed. */
  | (Base<'collection.default_tlp_set'> & { readonly collection: { readonly id: string; readonly tlp: TlpLevel } })
  /** An organisation's default TLP was set (at creation when given, or changed), or cleared (null). */
  | (Base<'org.default_tlp_set'> & { readonly org: { readonly id: string; readonly tlp: TlpLevel | null } })
  /** Organisation `client.org` became a client of organisation `client.of` (TLP:AMBER reaches it too). */
  | (Base<'org.client_added'> & { readonly client: { readonly org: string; readonly of: string } })
  /** Organisation `client.org` is no longer a client of `client.of`. */
  | (Base<'org.client_removed'> & { readonly client: { readonly org: string; readonly of: string } })
  /**
   * An administrator approved a peer node's key after comparing fingerprints (`entente peer approve`):
   * the key is pinned and sync starts. `ed25519` is the pinned public key (base64), `origin` the peer's
   * log origin.
   */
  | (Base<'peer.approved'> & { readonly peer: { readonly id: string; readonly origin: string; readonly ed25519: string } })
  /** A peer node or feed was removed: sync stopped and its credential here revoked. */
  | (Base<'peer.removed'> & { readonly peer: { readonly id: string } })

export type LogEntryKind = LogEntry['kind']

export const ENTRY_KINDS: readonly LogEntryKind[] = [
  'object.added',
  'object.removed',
  'org.created',
  'user.created',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'token.created',
  'token.revoked',
  'collection.created',
  'collection.permission_set',
  'node.key',
  'collection.default_tlp_set',
  'org.default_tlp_set',
  'org.client_added',
  'org.client_removed',
  'peer.approved',
  'peer.removed',
]

/** Entries about objects: their visibility follows the object's (the collection it was added to). */
export const isObjectEntry = (e: LogEntry): e is Extract<LogEntry, { kind: 'object.added' | 'object.removed' }> =>
  e.kind === 'object.added' || e.kind === 'object.removed'

/** Largest encoded entry accepted by {@link decodeEntry} (entries are small: ids and hashes). */
export const MAX_ENTRY_BYTES = 4096

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const str = JSON.stringify

/**
 * The canonical text of an object entry, written directly: the same bytes as `canonicalize` (RFC 8785
 * serialises strings exactly as JSON.stringify does, and the keys below are in code-unit order), for
 * the hot path of ingest, where the generic canonicaliser measured several microseconds per entry.
 */
function objectEntryText(e: Extract<LogEntry, { kind: 'object.added' | 'object.removed' }>): string {
  const by = 'system' in e.by ? `{"system":${str(e.by.system)}}` : `{"org":${str(e.by.org)}${e.by.user === undefined ? '' : `,"user":${str(e.by.user)}`}}`
  const o = e.object
  return (
    `{"at":${str(e.at)},"by":${by},"collection":${str(e.collection)},"kind":${str(e.kind)},` +
    `"object":{"id":${str(o.id)},${o.revoked === true ? '"revoked":true,' : ''}"sha256":${str(o.sha256)},"type":${str(o.type)},"version":${str(o.version)}},"v":${e.v}}`
  )
}

/** The canonical text of an entry (RFC 8785). */
export const entryText = (e: LogEntry): string => (isPlainObjectEntry(e) ? objectEntryText(e) : canonicalize(e))

const TOP_KEYS = new Set(['v', 'kind', 'at', 'by', 'collection', 'object'])
const OBJECT_KEYS = new Set(['id', 'type', 'version', 'sha256', 'revoked'])
const BY_KEYS = new Set(['org', 'user', 'system'])

/** An object entry with exactly the known properties (anything else takes the generic path). */
function isPlainObjectEntry(e: LogEntry): e is Extract<LogEntry, { kind: 'object.added' | 'object.removed' }> {
  if (e.kind !== 'object.added' && e.kind !== 'object.removed') return false
  for (const k of Object.keys(e)) if (!TOP_KEYS.has(k)) return false
  for (const k of Object.keys(e.object)) if (!OBJECT_KEYS.has(k)) return false
  for (const k of Object.keys(e.by)) if (!BY_KEYS.has(k)) return false
  return typeof e.v === 'number'
}

/** The `leaf_input` bytes of an entry: its canonical JSON in UTF-8. */
export const encodeEntry = (e: LogEntry): Uint8Array => encoder.encode(entryText(e))

// ---------------------------------------------------------------------------------------------
// Decoding: strict, so that an entry that decodes is exactly one that `encodeEntry` produces.

interface Shape {
  readonly [property: string]: 'string' | 'boolean' | 'string|null' | 'true?' | 'string?' | 'tlp' | 'tlp|null' | Shape
}

const OBJECT: Shape = { id: 'string', type: 'string', version: 'string', sha256: 'string', revoked: 'true?' }
const SHAPES: Record<LogEntryKind, Shape> = {
  'object.added': { collection: 'string', object: OBJECT },
  'object.removed': { collection: 'string', object: OBJECT },
  'org.created': { org: { id: 'string', identity: 'string' } },
  'user.created': { user: { id: 'string', org: 'string', role: 'string' } },
  'user.role_changed': { user: { id: 'string', role: 'string' } },
  'user.disabled': { user: { id: 'string' } },
  'user.enabled': { user: { id: 'string' } },
  'token.created': { token: { id: 'string', user: 'string', expires: 'string|null' } },
  'token.revoked': { token: { id: 'string' } },
  'collection.created': { collection: { id: 'string' } },
  'collection.permission_set': { permission: { collection: 'string', org: 'string', read: 'boolean', write: 'boolean' } },
  'node.key': { key: { ed25519: 'string', origin: 'string' } },
  'collection.default_tlp_set': { collection: { id: 'string', tlp: 'tlp' } },
  'org.default_tlp_set': { org: { id: 'string', tlp: 'tlp|null' } },
  'org.client_added': { client: { org: 'string', of: 'string' } },
  'org.client_removed': { client: { org: 'string', of: 'string' } },
  'peer.approved': { peer: { id: 'string', origin: 'string', ed25519: 'string' } },
  'peer.removed': { peer: { id: 'string' } },
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

function checkShape(value: unknown, shape: Shape, path: string): string | undefined {
  if (!isRecord(value)) return `${path} must be an object`
  for (const key of Object.keys(value)) if (!(key in shape)) return `${path}/${key} is not a known property`
  for (const [key, want] of Object.entries(shape)) {
    const v = value[key]
    const at = `${path}/${key}`
    if (typeof want === 'object') {
      const bad = checkShape(v, want, at)
      if (bad) return bad
    } else if (want === 'true?') {
      if (v !== undefined && v !== true) return `${at} must be true or absent`
    } else if (want === 'string?') {
      if (v !== undefined && typeof v !== 'string') return `${at} must be a string or absent`
    } else if (want === 'string|null') {
      if (v !== null && typeof v !== 'string') return `${at} must be a string or null`
    } else if (want === 'tlp' || want === 'tlp|null') {
      if (!(isTlpLevel(v) || (want === 'tlp|null' && v === null))) return `${at} must be a TLP level (${TLP_LEVELS.join(', ')})${want === 'tlp|null' ? ' or null' : ''}`
    } else if (typeof v !== want) return `${at} must be a ${want}`
  }
  return undefined
}

const ACTOR_ORG: Shape = { org: 'string', user: 'string?' }
const ACTOR_SYSTEM: Shape = { system: 'string' }

/** Checks that a parsed value is a well-formed entry. */
export function checkEntry(value: unknown): Result<LogEntry, string> {
  if (!isRecord(value)) return err('an entry must be a JSON object')
  if (value.v !== ENTRY_VERSION) return err(`unknown entry version ${JSON.stringify(value.v)}`)
  const kind = value.kind
  if (typeof kind !== 'string' || !(ENTRY_KINDS as readonly string[]).includes(kind)) return err(`unknown entry kind ${JSON.stringify(kind)}`)
  const { v: _v, kind: _k, at, by, ...rest } = value
  if (typeof at !== 'string') return err('/at must be a string')
  const byBad = isRecord(by) && 'system' in by ? checkShape(by, ACTOR_SYSTEM, '/by') : checkShape(by, ACTOR_ORG, '/by')
  if (byBad) return err(byBad)
  const bad = checkShape(rest, SHAPES[kind as LogEntryKind], '')
  if (bad) return err(bad)
  return ok(value as unknown as LogEntry)
}

/**
 * Decodes a `leaf_input`. Fails unless the bytes are exactly the canonical encoding of a well-formed
 * entry (so two different byte strings never decode to the same entry).
 */
export function decodeEntry(bytes: Uint8Array): Result<LogEntry, string> {
  if (bytes.length > MAX_ENTRY_BYTES) return err(`entry is larger than ${MAX_ENTRY_BYTES} bytes`)
  let text: string
  let parsed: unknown
  try {
    text = decoder.decode(bytes)
    parsed = JSON.parse(text)
  } catch {
    return err('entry is not UTF-8 JSON')
  }
  const checked = checkEntry(parsed)
  if (!checked.ok) return checked
  if (entryText(checked.value) !== text) return err('entry is not in RFC 8785 canonical form')
  return checked
}
