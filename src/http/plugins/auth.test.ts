import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { readCredentials } from './auth.js'

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`

describe('readCredentials', () => {
  it('reads Bearer tokens and Basic passwords (any user name)', () => {
    expect(readCredentials('Bearer ent_abc')).toEqual({ kind: 'token', secret: 'ent_abc' })
    expect(readCredentials('bearer ent_abc')).toEqual({ kind: 'token', secret: 'ent_abc' })
    expect(readCredentials(basic('anyone:ent_abc'))).toEqual({ kind: 'token', secret: 'ent_abc' })
    expect(readCredentials(basic(':ent:with:colons'))).toEqual({ kind: 'token', secret: 'ent:with:colons' })
  })
  it('tells absent from malformed', () => {
    expect(readCredentials(undefined)).toEqual({ kind: 'none' })
    for (const h of ['Bearer', 'Bearer ', 'Token abc', 'Basic !!!', basic('no-colon'), basic('user:'), 'x'.repeat(5000)]) {
      expect(readCredentials(h).kind, h).toBe('malformed')
    }
  })
  test.prop([fc.string({ maxLength: 300 })])('never throws', (h) => {
    expect(['none', 'token', 'malformed']).toContain(readCredentials(h).kind)
  })
})
