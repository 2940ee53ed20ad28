/**
 * Ed25519 with node:crypto for the node's signing key (checkpoints, signed notes), and the key file.
 *
 * The private key is a PKCS #8 PEM file readable by its owner only (mode 0600). It is written once,
 * atomically, and never overwritten; reading refuses a file that group or others can read.
 * Public keys travel as raw 32-byte Ed25519 keys (RFC 8032), as the signed-note format uses them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, existsSync, fchmodSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Ed25519Sign, Ed25519Verify } from '../core/translog/note.js'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33 bytes) }. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64

/** A loaded signing key: the raw public key and a signing function. */
export interface NodeSigningKey {
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  /** Signs a message (Ed25519, deterministic): the 64-byte signature. */
  readonly sign: Ed25519Sign
}

const rawPublicKey = (key: KeyObject): Uint8Array => {
  const der = key.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - PUBLIC_KEY_BYTES))
}

/** A new Ed25519 key pair: the private key as PKCS #8 PEM, and the raw public key. */
export function generateNodeKey(): { privateKeyPem: string; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicKey: rawPublicKey(publicKey) }
}

/** Loads an Ed25519 private key from PKCS #8 PEM. Throws an Error saying what is wrong otherwise. */
export function loadPrivateKey(pem: string): NodeSigningKey {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (e) {
    throw new Error(`the signing key is not a PEM private key (${e instanceof Error ? e.message : String(e)})`)
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key must be an Ed25519 key, not ${key.asymmetricKeyType ?? 'unknown'}`)
  const publicKey = rawPublicKey(createPublicKey(key))
  return { publicKey, sign: (message) => new Uint8Array(cryptoSign(null, message, key)) }
}

/** KeyObjects for recently used public keys (creating one costs more than a verification). */
const KEY_CACHE_MAX = 256
const keyCache = new Map<string, KeyObject>()

function publicKeyObject(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
  const hit = keyCache.get(id)
  if (hit !== undefined) return hit
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
  keyCache.set(id, key)
  return key
}

/** Ed25519 verification with node:crypto. False for a malformed key or signature; never throws. */
export const ed25519Verify: Ed25519Verify = (publicKey, message, signature) => {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
  try {
    return cryptoVerify(null, message, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}

/**
 * Writes a private key file atomically with mode 0600, refusing to replace an existing file: the PEM
 * goes to a temporary file (created 0600, exclusively) in the same directory, is flushed to disk, and
 * is then hard-linked to `path` (which fails if `path` exists) and the temporary name removed. On
 * file systems without hard links it is renamed after a last existence check instead.
 */
export function writeKeyFile(path: string, pem: string): void {
  if (existsSync(path)) throw new Error(`the key file ${path} already exists; refusing to overwrite it`)
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    fchmodSync(fd, 0o600)
    writeSync(fd, pem)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    unlinkSync(tmp)
    throw e
  }
  closeSync(fd)
  try {
    try {
      linkSync(tmp, path)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST') throw new Error(`the key file ${path} already exists; refusing to overwrite it`)
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e
      if (existsSync(path)) throw new Error(`the key file ${path} already exists; refusing to overwrite it`)
      renameSync(tmp, path)
    }
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp)
  }
  syncDirectory(dir)
}

/** Flushes a directory entry change to disk where the platform allows opening directories. */
function syncDirectory(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Windows cannot fsync a directory; the file itself was flushed.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Reads a private key file. Throws an Error naming the problem when the file is missing, not a
 * regular file, or readable or writable by group or others (`mode & 0o077`), with the fix.
 */
export function readKeyFile(path: string): string {
  let mode: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new Error(`the key file ${path} is not a regular file`)
    mode = st.mode
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`the key file ${path} does not exist (create one with \`entente init\`)`)
    throw e
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(`the key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run \`chmod 600 ${path}\``)
  }
  return readFileSync(path, 'utf8')
}
