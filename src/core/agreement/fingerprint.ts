import { sha256 } from '../translog/sha256.js'

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/**
 * A node key's fingerprint: `sha256:` + the lower-case hex SHA-256 of the raw 32-byte Ed25519 public
 * key. Administrators compare it out of band when peering; agreements name each party's.
 */
export function keyFingerprint(publicKey: Uint8Array): string {
  return `sha256:${hex(sha256(publicKey))}`
}
