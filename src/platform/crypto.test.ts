import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { leafHash, nodeHash } from '../core/translog/merkle.js'
import { sha256 } from '../core/translog/sha256.js'
import { nodeHasher } from './crypto.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('nodeHasher (node:crypto) computes exactly core’s RFC 6962 functions', () => {
  test.prop([fc.string({ unit: 'grapheme', maxLength: 300 })])('leaf hash of any text', (text) => {
    expect(hex(nodeHasher.leafHash(text))).toBe(hex(leafHash(new TextEncoder().encode(text))))
  })
  test.prop([fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 })])('node hash, order-sensitive, no aliasing of results', (l, r) => {
    const a = nodeHasher.nodeHash(l, r)
    const b = nodeHasher.nodeHash(r, l)
    expect(hex(a)).toBe(hex(nodeHash(l, r)))
    expect(hex(b)).toBe(hex(nodeHash(r, l)))
  })
  test.prop([fc.uint8Array({ maxLength: 500 })])('sha256 of bytes', (d) => {
    expect(hex(nodeHasher.sha256(d))).toBe(hex(sha256(d)))
  })
})
