/**
 * The narrow ports services depend on, besides storage. Implementations live in `src/platform`
 * (node:crypto, the real clock) and tests pass fakes for clock and ids only.
 */
import type { Store } from '../store/port.js'

export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number
}

export interface Ids {
  /** A random RFC 4122 version 4 UUID (STIX ids must be v4 or v5). */
  uuid(): string
}

export interface Hasher {
  sha256(data: string | Uint8Array): Uint8Array
  /** RFC 6962 leaf hash of a log entry: SHA-256(0x00 ‖ UTF-8 text). */
  leafHash(entryText: string): Uint8Array
  /** RFC 6962 node hash: SHA-256(0x01 ‖ left ‖ right). */
  nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array
}

/** The node's Ed25519 signing key (checkpoints, agreements). The private half never leaves the platform. */
export interface NodeKey {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/** Ed25519 signature verification (partners' checkpoints, provenance). */
export type SignatureVerify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

export interface Secrets {
  /** A new API token secret: high entropy, URL-safe, with a recognisable prefix. */
  newToken(): string
  /** Memory-hard password hash (scrypt) in a self-describing string. */
  hashPassword(password: string): Promise<string>
  verifyPassword(password: string, encoded: string): Promise<boolean>
}

/** The subset of pino the services use. */
export interface Logger {
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

/** One entry as another node's log API returns it: the entry bytes, or only its leaf hash (redacted). */
export type RemoteEntry = { readonly index: number; readonly leafInput: Uint8Array } | { readonly index: number; readonly leafHash: Uint8Array }

/** Another node's transparency log API (/api/v1/log), as seen by a partner. Every answer is untrusted. */
export interface RemoteLog {
  readonly url: string
  /** The latest checkpoint note text. */
  checkpoint(): Promise<string>
  /** The checkpoints it says it signed, oldest first. */
  checkpoints(after: number, limit: number): Promise<{ items: { seq: number; note: string }[]; next: number | null }>
  consistency(first: number, second: number): Promise<Uint8Array[]>
  /** Entries [start, end] inclusive; the server may return fewer. */
  entries(start: number, end: number): Promise<RemoteEntry[]>
}

/** Opens a remote log client for a base URL (scheme://host[:port]), with an optional API token. */
export type RemoteLogs = (baseUrl: string, token?: string) => RemoteLog

export interface ServiceDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: Ids
  readonly hasher: Hasher
  readonly secrets: Secrets
  readonly logger: Logger
  /** Absent on nodes that cannot sign (a CLI command that only reads); checkpoints need it. */
  readonly nodeKey?: NodeKey
  readonly verify: SignatureVerify
  /** HTTP access to other nodes' logs (witnessing, `log verify --remote`); absent where not needed. */
  readonly remoteLogs?: RemoteLogs
}
