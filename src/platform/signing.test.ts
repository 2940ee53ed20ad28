import { generateKeyPairSync } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ed25519Verify, generateNodeKey, loadPrivateKey, readKeyFile, writeKeyFile } from './signing.js'

const dir = mkdtempSync(join(tmpdir(), 'entente-signing-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const enc = new TextEncoder()

describe('Ed25519 keys', () => {
  it('generates a key whose signatures verify with the raw public key', () => {
    const { privateKeyPem, publicKey } = generateNodeKey()
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(publicKey).toHaveLength(32)
    const key = loadPrivateKey(privateKeyPem)
    expect(key.publicKey).toEqual(publicKey)
    const msg = enc.encode('example.com/log\n5\nAAAA\n')
    const sig = key.sign(msg)
    expect(sig).toHaveLength(64)
    expect(key.sign(msg)).toEqual(sig) // deterministic (RFC 8032)
    expect(ed25519Verify(publicKey, msg, sig)).toBe(true)
  })

  it('rejects altered messages, signatures and keys without throwing', () => {
    const { privateKeyPem, publicKey } = generateNodeKey()
    const key = loadPrivateKey(privateKeyPem)
    const msg = enc.encode('hello\n')
    const sig = key.sign(msg)
    const flip = (b: Uint8Array, i: number) => b.map((x, j) => (j === i ? x ^ 1 : x))
    expect(ed25519Verify(publicKey, enc.encode('hellO\n'), sig)).toBe(false)
    for (const i of [0, 31, 32, 63]) expect(ed25519Verify(publicKey, msg, flip(sig, i))).toBe(false)
    expect(ed25519Verify(flip(publicKey, 3), msg, sig)).toBe(false)
    expect(ed25519Verify(generateNodeKey().publicKey, msg, sig)).toBe(false)
    expect(ed25519Verify(publicKey.subarray(0, 31), msg, sig)).toBe(false)
    expect(ed25519Verify(publicKey, msg, sig.subarray(0, 63))).toBe(false)
    expect(ed25519Verify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false) // not a curve point
  })

  it('keeps verifying correctly once the key cache has turned over', () => {
    const keys = Array.from({ length: 300 }, () => loadPrivateKey(generateNodeKey().privateKeyPem))
    const msg = enc.encode('m')
    const sigs = keys.map((k) => k.sign(msg))
    for (let round = 0; round < 2; round++) {
      keys.forEach((k, i) => {
        expect(ed25519Verify(k.publicKey, msg, sigs[i]!)).toBe(true)
        expect(ed25519Verify(k.publicKey, msg, sigs[(i + 1) % keys.length]!)).toBe(false)
      })
    }
  })

  it('refuses PEM that is not an Ed25519 private key, with a clear message', () => {
    expect(() => loadPrivateKey('not a key')).toThrow(/not a PEM private key/)
    const rsa = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    expect(() => loadPrivateKey(rsa)).toThrow('the signing key must be an Ed25519 key, not ec')
    const pub = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()
    expect(() => loadPrivateKey(pub)).toThrow(/not a PEM private key/)
  })
})

describe('key files', () => {
  it('writes the key with mode 0600 and reads it back', () => {
    const path = join(dir, 'node.key')
    const { privateKeyPem } = generateNodeKey()
    writeKeyFile(path, privateKeyPem)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readKeyFile(path)).toBe(privateKeyPem)
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('keeps mode 0600 whatever the umask', () => {
    const old = process.umask(0o000)
    try {
      const path = join(dir, 'umask.key')
      writeKeyFile(path, generateNodeKey().privateKeyPem)
      expect(statSync(path).mode & 0o777).toBe(0o600)
    } finally {
      process.umask(old)
    }
  })

  it('refuses to overwrite an existing file and leaves it untouched', () => {
    const path = join(dir, 'existing.key')
    writeFileSync(path, 'original', { mode: 0o600 })
    expect(() => writeKeyFile(path, generateNodeKey().privateKeyPem)).toThrow(`the key file ${path} already exists; refusing to overwrite it`)
    expect(readKeyFile(path)).toBe('original')
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('fails clearly when the directory does not exist', () => {
    expect(() => writeKeyFile(join(dir, 'missing', 'node.key'), 'x')).toThrow(/ENOENT/)
  })

  it('refuses a key file that group or others can access, naming the fix', () => {
    const path = join(dir, 'loose.key')
    writeKeyFile(path, generateNodeKey().privateKeyPem)
    for (const mode of [0o640, 0o604, 0o644, 0o660, 0o602]) {
      chmodSync(path, mode)
      expect(() => readKeyFile(path)).toThrow(`the key file ${path} is accessible by group or others (mode 0${mode.toString(8)}); run \`chmod 600 ${path}\``)
    }
    chmodSync(path, 0o400)
    expect(readKeyFile(path)).toMatch(/PRIVATE KEY/)
  })

  it('says when the key file is missing or not a file', () => {
    expect(() => readKeyFile(join(dir, 'nope.key'))).toThrow(`the key file ${join(dir, 'nope.key')} does not exist (create one with \`entente init\`)`)
    expect(() => readKeyFile(dir)).toThrow(`the key file ${dir} is not a regular file`)
  })
})
