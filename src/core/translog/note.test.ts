import { createPrivateKey, sign as cryptoSign } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../../platform/signing.js'
import {
  base64Decode,
  base64Encode,
  formatNote,
  isValidKeyName,
  keyId,
  keyIdHex,
  MAX_NOTE_BYTES,
  noteVerifier,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
  verifierKey,
  type Ed25519Sign,
} from './note.js'

/*
 * The example of golang.org/x/mod/sumdb/note (BSD-3-Clause): a signer key, its verifier key, a note
 * signed by it, and the same note with a second signature by another key.
 */
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
const GO_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'
const GO_MSG = `${GO_TEXT}\n${GO_SIG}`
const GO_MSG2 = `${GO_MSG}— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n`

/** The C2SP signed-note example (a body with a blank line inside). */
const C2SP_EXAMPLE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n'

/** A signer from a Go signer key string (PRIVATE+KEY+name+id+base64(0x01 ‖ seed)). */
function goSigner(skey: string): Ed25519Sign {
  const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1)
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
  return (m) => new Uint8Array(cryptoSign(null, m, key))
}

const goVerifier = () => {
  const v = parseVerifierKey(GO_VKEY)
  if (!v.ok) throw new Error(v.error)
  return v.value
}

const flipBit = (b: Uint8Array, bit: number): Uint8Array => {
  const c = b.slice()
  c[(bit >> 3) % c.length] = (c[(bit >> 3) % c.length] as number) ^ (1 << (bit & 7))
  return c
}

const enc = new TextEncoder()

describe('base64', () => {
  test.prop([fc.uint8Array({ maxLength: 200 })])('encodes like node and round-trips', (bytes) => {
    const s = base64Encode(bytes)
    expect(s).toBe(Buffer.from(bytes).toString('base64'))
    expect(base64Decode(s)).toEqual(bytes)
  })

  test.prop([fc.string({ maxLength: 40 })])('decodes exactly the canonical encodings', (s) => {
    const d = base64Decode(s)
    if (d !== undefined) expect(base64Encode(d)).toBe(s)
  })

  it('rejects non-canonical padding bits, bad characters and lengths', () => {
    expect(base64Decode('AB==')).toBeUndefined() // 'B' leaves non-zero unused bits
    expect(base64Decode('AAB=')).toBeUndefined()
    expect(base64Decode('AA==')).toEqual(new Uint8Array([0]))
    expect(base64Decode('AA=A')).toBeUndefined()
    expect(base64Decode('A===')).toBeUndefined()
    expect(base64Decode('AAA')).toBeUndefined()
    expect(base64Decode('AA-_')).toBeUndefined()
    expect(base64Decode('AAÀA')).toBeUndefined()
    expect(base64Decode('')).toEqual(new Uint8Array(0))
  })
})

describe('keys', () => {
  it('computes the key ID and verifier key of the Go example', () => {
    const v = goVerifier()
    expect(v.name).toBe('PeterNeumann')
    expect(v.keyId).toBe(0xc74f20a3)
    expect(keyId('PeterNeumann', v.publicKey)).toBe(0xc74f20a3)
    expect(verifierKey('PeterNeumann', v.publicKey)).toBe(GO_VKEY)
    expect(keyIdHex(0x0000abcd)).toBe('0000abcd')
  })

  it('rejects malformed verifier keys', () => {
    const bad = [
      '',
      'PeterNeumann',
      'PeterNeumann+c74f20a3',
      'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // wrong ID
      'PeterNeumenn+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // ID of another name
      'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
      'PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // not base64 of 33 bytes
      'PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', // algorithm 2
      'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==',
    ]
    for (const s of bad) expect(parseVerifierKey(s).ok, s).toBe(false)
    expect(parseVerifierKey(GO_VKEY.replace('c74f20a3', 'C74F20A3')).ok).toBe(true)
  })

  it('validates key names as the spec defines them', () => {
    expect(isValidKeyName('example.com/log')).toBe(true)
    expect(isValidKeyName('köln.example/λ')).toBe(true)
    for (const n of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u2003b', 'a\u3000b', 'a\nb', '\ud800']) expect(isValidKeyName(n), JSON.stringify(n)).toBe(false)
    const pk = new Uint8Array(32)
    expect(() => keyId('a b', pk)).toThrow(RangeError)
    expect(() => keyId('ok', new Uint8Array(31))).toThrow(RangeError)
  })

  test.prop([fc.stringMatching(/^[a-z0-9./-]{1,40}$/), fc.uint8Array({ minLength: 32, maxLength: 32 })])('verifier keys round-trip', (name, pk) => {
    const parsed = parseVerifierKey(verifierKey(name, pk))
    expect(parsed).toEqual({ ok: true, value: { name, keyId: keyId(name, pk), publicKey: pk } })
  })
})

describe('signNote and openNote', () => {
  it('reproduces the Go example byte for byte and opens it', () => {
    const v = goVerifier()
    expect(signNote(GO_TEXT, v.name, v.publicKey, goSigner(GO_SKEY))).toBe(GO_MSG)
    expect(openNote(GO_MSG, v, ed25519Verify)).toEqual({ ok: true, value: { body: GO_TEXT } })
    expect(openNote(enc.encode(GO_MSG), v, ed25519Verify)).toEqual({ ok: true, value: { body: GO_TEXT } })
  })

  it('ignores signatures by other keys, in any position', () => {
    const v = goVerifier()
    expect(openNote(GO_MSG2, v, ed25519Verify).ok).toBe(true)
    const reordered = `${GO_TEXT}\n${GO_MSG2.split('\n').slice(-2).join('\n')}${GO_SIG}`
    expect(openNote(reordered, v, ed25519Verify).ok).toBe(true)
    const parsed = parseNote(GO_MSG2)
    expect(parsed.ok && parsed.value.signatures.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot'])
  })

  it('rejects a note signed only by other keys, even sharing the name or the ID', () => {
    const v = goVerifier()
    const other = generateNodeKey()
    const otherKey = loadPrivateKey(other.privateKeyPem)
    const sameName = signNote(GO_TEXT, 'PeterNeumann', otherKey.publicKey, otherKey.sign)
    expect(openNote(sameName, v, ed25519Verify)).toEqual({ ok: false, error: 'note is not signed by PeterNeumann+c74f20a3' })
    // Same key ID, other name: build the line by hand.
    const sig = parseNote(GO_MSG)
    if (!sig.ok) throw new Error(sig.error)
    const renamed = formatNote(GO_TEXT, [{ ...sig.value.signatures[0]!, name: 'PeterNeumann2' }])
    expect(openNote(renamed, v, ed25519Verify).ok).toBe(false)
  })

  it('rejects the whole note when a signature by the trusted key fails, even if another one verifies', () => {
    const v = goVerifier()
    const parsed = parseNote(GO_MSG)
    if (!parsed.ok) throw new Error(parsed.error)
    const good = parsed.value.signatures[0]!
    const bad = { ...good, signature: flipBit(good.signature, 5) }
    expect(openNote(formatNote(GO_TEXT, [good, bad]), v, ed25519Verify)).toEqual({ ok: false, error: 'the signature by PeterNeumann+c74f20a3 does not verify' })
    expect(openNote(formatNote(GO_TEXT, [{ ...good, signature: good.signature.subarray(0, 63) }]), v, ed25519Verify).ok).toBe(false)
    expect(openNote(formatNote(GO_TEXT, [good, good]), v, ed25519Verify).ok).toBe(true)
  })

  it('rejects a verifier whose key ID does not match its key', () => {
    const v = goVerifier()
    expect(openNote(GO_MSG, { ...v, keyId: v.keyId ^ 1 }, ed25519Verify).ok).toBe(false)
    expect(openNote(GO_MSG, { ...v, publicKey: flipBit(v.publicKey, 3) }, ed25519Verify).ok).toBe(false)
  })

  it('refuses to sign bodies that are not notes', () => {
    const { publicKey, sign } = loadPrivateKey(generateNodeKey().privateKeyPem)
    for (const body of ['', 'no newline', 'tab\there\n', 'cr\r\n', 'lone \ud800 surrogate\n', 'nul\u0000\n']) {
      expect(() => signNote(body, 'n', publicKey, sign), JSON.stringify(body)).toThrow(RangeError)
    }
    expect(() => signNote('ok\n', 'bad name', publicKey, sign)).toThrow(RangeError)
    expect(() => signNote('ok\n', 'n', publicKey, () => new Uint8Array(10))).toThrow(RangeError)
    expect(() => signNote(`${'x'.repeat(MAX_NOTE_BYTES)}\n`, 'n', publicKey, sign)).toThrow(RangeError)
  })

  const line = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[\u0000-\u001f]/.test(s))
  const body = fc.array(line, { minLength: 1, maxLength: 6 }).map((ls) => ls.map((l) => `${l}\n`).join(''))

  test.prop([body], { numRuns: 60 })('sign then open returns the body, for any text (blank lines included)', (text) => {
    const { publicKey, sign } = KEY
    const note = signNote(text, 'entente.example/log', publicKey, sign)
    expect(openNote(note, noteVerifier('entente.example/log', publicKey), ed25519Verify)).toEqual({ ok: true, value: { body: text } })
  })

  test.prop([body, fc.nat()], { numRuns: 150 })('flipping any bit of a signed note makes opening fail', (text, bit) => {
    const { publicKey, sign } = KEY
    const bytes = enc.encode(signNote(text, 'entente.example/log', publicKey, sign))
    const r = openNote(flipBit(bytes, bit % (bytes.length * 8)), noteVerifier('entente.example/log', publicKey), ed25519Verify)
    expect(r.ok).toBe(false)
  })
})

const KEY = loadPrivateKey(generateNodeKey().privateKeyPem)

describe('parseNote', () => {
  it('parses the C2SP example, whose body has a blank line', () => {
    const r = parseNote(C2SP_EXAMPLE)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.body).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n')
    expect(r.value.signatures).toHaveLength(1)
    expect(r.value.signatures[0]!.name).toBe('quasimodo.example/salvatore')
    expect(r.value.signatures[0]!.signature).toHaveLength(64)
  })

  it('rejects malformed notes', () => {
    const cases: [string, string | Uint8Array][] = [
      ['no blank line', `${GO_TEXT}${GO_SIG}`],
      ['no signatures', `${GO_TEXT}\n`],
      ['no final newline', GO_MSG.slice(0, -1)],
      ['hyphen instead of em dash', `${GO_TEXT}\n${GO_SIG.replace('—', '-')}`],
      ['no space after the dash', `${GO_TEXT}\n${GO_SIG.replace('— ', '—')}`],
      ['no signature after the name', `${GO_TEXT}\n— PeterNeumann\n`],
      ['empty signature', `${GO_TEXT}\n— PeterNeumann \n`],
      ['two spaces', `${GO_TEXT}\n${GO_SIG.replace('n x08', 'n  x08')}`],
      ['signature too short', `${GO_TEXT}\n— PeterNeumann AAAAAA==\n`],
      ['non-canonical base64', `${GO_TEXT}\n${GO_SIG.replace('AM=', 'AN=')}`],
      ['trailing text after the signatures', `${GO_MSG}x\n`],
      ['blank line among signatures handled as body split: garbage block', `${GO_MSG}\n${GO_SIG}junk\n`],
      ['carriage return', GO_MSG.replace('problem,\n', 'problem,\r\n')],
      ['tab', GO_MSG.replace('If you', 'If\tyou')],
      ['lone surrogate', GO_MSG.replace('If', '\udc00If')],
      ['invalid UTF-8', new Uint8Array([...enc.encode('a\xff'), 0xff, ...enc.encode(`\n\n${GO_SIG}`)])],
      ['overlong UTF-8', new Uint8Array([0xc0, 0xaf, ...enc.encode(`\n\n${GO_SIG}`)])],
      ['too large', `${'x'.repeat(MAX_NOTE_BYTES)}\n\n${GO_SIG}`],
      ['too large in bytes', `${'é'.repeat(MAX_NOTE_BYTES / 2)}\n\n${GO_SIG}`],
      ['too many signatures', `${GO_TEXT}\n${GO_SIG.repeat(101)}`],
    ]
    for (const [what, note] of cases) expect(parseNote(note).ok, what).toBe(false)
    expect(parseNote(`${GO_TEXT}\n${GO_SIG.repeat(100)}`).ok).toBe(true)
  })

  it('keeps a leading byte order mark as part of the signed body', () => {
    const v = goVerifier()
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(GO_MSG)])
    expect(openNote(withBom, v, ed25519Verify).ok).toBe(false)
  })

  test.prop([fc.string({ maxLength: 300 })])('never throws on arbitrary text', (s) => {
    expect(typeof parseNote(s).ok).toBe('boolean')
    expect(typeof parseNote(`${s}\n\n— a ${s}\n`).ok).toBe('boolean')
  })
})
