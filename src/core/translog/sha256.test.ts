import { createHash } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { sha256, sha256Prefixed } from './sha256.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'))
const nodeSha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('sha256: FIPS 180-4 / NIST CAVP vectors', () => {
  // FIPS 180-4 examples (NIST "SHA256.pdf", "SHA2_Additional.pdf") and the well-known million-'a' vector.
  const vectors: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['"abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      '448-bit message',
      ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      '896-bit message',
      ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
    ['one byte 0xbd', Uint8Array.of(0xbd), '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b'],
    ['four bytes c98c8e55', Uint8Array.of(0xc9, 0x8c, 0x8e, 0x55), '7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504'],
    ['1,000,000 × "a"', new Uint8Array(1_000_000).fill(0x61), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ]
  for (const [name, input, digest] of vectors) {
    it(name, () => expect(hex(sha256(input))).toBe(digest))
  }
})

describe('sha256: equals node:crypto', () => {
  it('for every length 0..200 (all padding boundaries: 55/56/63/64/119/120/128)', () => {
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)
      expect(hex(sha256(data))).toBe(nodeSha(data))
    }
  })

  test.prop([fc.uint8Array({ maxLength: 1000 })], { numRuns: 300 })('random inputs', (data) => {
    expect(hex(sha256(data))).toBe(nodeSha(data))
  })

  test.prop([fc.integer({ min: 50, max: 70 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))], { numRuns: 200 })(
    'random inputs of 50..70 bytes',
    (data) => {
      expect(hex(sha256(data))).toBe(nodeSha(data))
    },
  )

  test.prop([fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 200 }), fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined })])(
    'sha256Prefixed(p, a, b) = sha256(p ‖ a ‖ b)',
    (p, a, b) => {
      const all = Buffer.concat([Uint8Array.of(p), a, b ?? new Uint8Array(0)])
      expect(hex(sha256Prefixed(p, a, b))).toBe(nodeSha(all))
    },
  )

  it('does not alias its result with the next call', () => {
    const first = sha256(ascii('abc'))
    sha256(ascii('other'))
    expect(hex(first)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})
