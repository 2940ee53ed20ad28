/** node:crypto implementations of the service ports: hashing, ids, token and password secrets. */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import type { Hasher, Ids, Secrets, Clock } from '../services/deps.js'

const LEAF_PREFIX = Uint8Array.of(0)
const NODE_PREFIX = Uint8Array.of(1)

export const nodeHasher: Hasher = {
  sha256: (data) => createHash('sha256').update(data).digest(),
  leafHash: (text) => createHash('sha256').update(LEAF_PREFIX).update(text, 'utf8').digest(),
  nodeHash: (l, r) => createHash('sha256').update(NODE_PREFIX).update(l).update(r).digest(),
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
