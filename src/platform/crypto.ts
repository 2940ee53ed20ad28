/** node:crypto implementations of the service ports: hashing, ids, token and password secrets. */
import { hash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import type { Hasher, Ids, Secrets, Clock } from '../services/deps.js'

/** One reused buffer for node hashes: 0x01 ‖ left ‖ right (hashing is synchronous, so no overlap). */
const nodeInput = Buffer.alloc(65)
nodeInput[0] = 0x01

// `crypto.hash` (one-shot, Node ≥ 20.12) allocates no Hash object: measured about twice as fast as
// createHash for the short inputs of the log, where allocation dominated.
export const nodeHasher: Hasher = {
  sha256: (data) => hash('sha256', data, 'buffer'),
  // The UTF-8 encoding of U+0000 is the single byte 0x00: the RFC 6962 leaf prefix.
  leafHash: (text) => hash('sha256', `\u0000${text}`, 'buffer'),
  nodeHash: (l, r) => {
    nodeInput.set(l, 1)
    nodeInput.set(r, 33)
    return hash('sha256', nodeInput, 'buffer')
  },
}

export const nodeIds: Ids = { uuid: () => randomUUID() }

export const systemClock: Clock = { nowMs: () => Date.now() }

/** Token format: `ent_` + 32 random bytes in base64url (256 bits). */
export const TOKEN_PREFIX = 'ent_'

// scrypt parameters: N=2^15, r=8, p=1 → 32 MiB of memory per hash (OWASP's minimum is N=2^17 with r=8,
// p=1 or equivalent; 2^15 with maxmem raised keeps a login under ~100 ms on two cores).
const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLen: 32, maxmem: 64 * 1024 * 1024 }

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLen, { N: n, r, p, maxmem: SCRYPT.maxmem }, (e, key) => (e ? reject(e) : resolve(key)))
  })
}

export const nodeSecrets: Secrets = {
  newToken: () => TOKEN_PREFIX + randomBytes(32).toString('base64url'),
  async hashPassword(password) {
    const salt = randomBytes(16)
    const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen)
    return `$scrypt$ln=${Math.log2(SCRYPT.N)},r=${SCRYPT.r},p=${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
  },
  async verifyPassword(password, encoded) {
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(encoded)
    if (!m) return false
    const [, ln, r, p, salt, hash] = m as unknown as [string, string, string, string, string, string]
    const expected = Buffer.from(hash, 'base64url')
    const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), 1 << Number(ln), Number(r), Number(p), expected.length)
    return key.length === expected.length && timingSafeEqual(key, expected)
  },
}
