/** Password hashing (platform/crypto.ts nodeSecrets): scrypt with N ≥ 2^15, r=8, p=1, a random salt per hash, parameters in the string. */
import { describe, expect, it } from 'vitest'
import { nodeSecrets } from './crypto.js'

const PASSWORD = 'correct horse battery staple'

describe('password hashing', () => {
  it('stores scrypt parameters with a fresh salt, and verifies only the same password', async () => {
    const [a, b] = await Promise.all([nodeSecrets.hashPassword(PASSWORD), nodeSecrets.hashPassword(PASSWORD)])
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(a)
    expect(m).not.toBeNull()
    const [, ln, r, p, salt, key] = m as RegExpExecArray
    expect(Number(ln)).toBeGreaterThanOrEqual(15)
    expect([Number(r), Number(p)]).toEqual([8, 1])
    expect(Buffer.from(salt as string, 'base64url')).toHaveLength(16)
    expect(Buffer.from(key as string, 'base64url')).toHaveLength(32)
    expect(a).not.toBe(b) // per-hash salt
    expect(await nodeSecrets.verifyPassword(PASSWORD, a)).toBe(true)
    expect(await nodeSecrets.verifyPassword(PASSWORD, b)).toBe(true)
    for (const wrong of ['correct horse battery stapl', `${PASSWORD} `, 'Correct horse battery staple', ''])
      expect(await nodeSecrets.verifyPassword(wrong, a)).toBe(false)
  })

  it('refuses altered or malformed hashes rather than throwing', async () => {
    const h = await nodeSecrets.hashPassword(PASSWORD)
    const parts = h.split('$')
    const key = Buffer.from(parts[4] as string, 'base64url')
    key[0] = (key[0] as number) ^ 1
    const flipped = [...parts.slice(0, 4), key.toString('base64url')].join('$')
    expect(await nodeSecrets.verifyPassword(PASSWORD, flipped)).toBe(false)
    for (const bad of ['', 'plain', '$scrypt$ln=15,r=8,p=1$$', '$bcrypt$10$abc', h.replace('ln=15', 'ln=x')]) expect(await nodeSecrets.verifyPassword(PASSWORD, bad)).toBe(false)
  })
})
