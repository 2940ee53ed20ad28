import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../../platform/signing.js'
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js'
import { emptyRoot } from './merkle.js'
import { noteVerifier, parseNote, signNote } from './note.js'

const KEY = loadPrivateKey(generateNodeKey().privateKeyPem)
const ORIGIN = 'entente.example.org/log'
const VERIFIER = noteVerifier(ORIGIN, KEY.publicKey)
const root = (b: number): Uint8Array => new Uint8Array(32).fill(b)

/** The C2SP tlog-checkpoint example body. */
const C2SP_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'

describe('formatCheckpoint / parseCheckpoint', () => {
  it('parses the C2SP example (no timestamp, no extensions)', () => {
    const r = parseCheckpoint(C2SP_BODY)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, timestamp: null, extensions: [] })
    expect(Buffer.from(r.value.root).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=')
    expect(formatCheckpoint(r.value)).toBe(C2SP_BODY)
  })

  it('writes the timestamp as the first extension line', () => {
    const cp: Checkpoint = { origin: ORIGIN, size: 5, root: root(7), timestamp: '2026-05-01T12:00:00.123456Z', extensions: ['note one', 'x'] }
    const body = formatCheckpoint(cp)
    expect(body).toBe(`${ORIGIN}\n5\n${Buffer.from(root(7)).toString('base64')}\ntime 2026-05-01T12:00:00.123456Z\nnote one\nx\n`)
    expect(parseCheckpoint(body)).toEqual({ ok: true, value: cp })
  })

  const cpArb = fc.record({
    origin: fc.stringMatching(/^[a-z0-9./-]{1,30}$/),
    size: fc.oneof(fc.integer({ min: 1, max: 2 ** 40 }), fc.constant(Number.MAX_SAFE_INTEGER)),
    root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    timestamp: fc.option(fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), { nil: null }),
    extensions: fc.array(fc.stringMatching(/^[a-zA-Z0-9 =:]{1,20}$/).filter((s) => !s.startsWith('time ')), { maxLength: 3 }),
  })

  test.prop([cpArb])('parse(format(cp)) = cp', (cp) => {
    expect(parseCheckpoint(formatCheckpoint(cp))).toEqual({ ok: true, value: cp })
  })

  it('accepts the empty tree only with the empty-tree root', () => {
    const empty: Checkpoint = { origin: ORIGIN, size: 0, root: emptyRoot(), timestamp: null, extensions: [] }
    expect(parseCheckpoint(formatCheckpoint(empty)).ok).toBe(true)
    expect(() => formatCheckpoint({ ...empty, root: root(1) })).toThrow(RangeError)
    expect(parseCheckpoint(`${ORIGIN}\n0\n${Buffer.from(root(1)).toString('base64')}\n`).ok).toBe(false)
  })

  it('rejects malformed bodies', () => {
    const r64 = Buffer.from(root(1)).toString('base64')
    const bad = [
      '',
      `${ORIGIN}\n5\n${r64}`, // no final newline
      `${ORIGIN}\n5\n`, // two lines
      `\n5\n${r64}\n`, // empty origin
      `${ORIGIN}\n05\n${r64}\n`, // leading zero
      `${ORIGIN}\n+5\n${r64}\n`,
      `${ORIGIN}\n5.0\n${r64}\n`,
      `${ORIGIN}\n-1\n${r64}\n`,
      `${ORIGIN}\n9007199254740992\n${r64}\n`, // 2^53
      `${ORIGIN}\n5\n${r64.slice(0, -4)}AAA=\n`.replace(/.{4}=\n$/, '=\n'), // not 32 bytes
      `${ORIGIN}\n5\n${Buffer.alloc(31).toString('base64')}\n`,
      `${ORIGIN}\n5\n${r64}\n\n`, // empty extension line
      `${ORIGIN}\n5\n${r64}\ntime yesterday\n`,
      `${ORIGIN}\n5\n${r64}\ntime 2026-05-01T12:00:00+02:00\n`,
      `${ORIGIN}\n5\n${r64}\nother\ntime 2026-05-01T12:00:00Z\n`, // time not first
      `${ORIGIN}\n5\n${r64}\ntime 2026-05-01T12:00:00Z\ntime 2026-05-01T12:00:00Z\n`,
      `${ORIGIN}\n5\n${r64}\nta\tb\n`,
    ]
    for (const b of bad) expect(parseCheckpoint(b).ok, JSON.stringify(b)).toBe(false)
  })

  it('refuses to format impossible checkpoints', () => {
    const cp: Checkpoint = { origin: ORIGIN, size: 1, root: root(1), timestamp: null, extensions: [] }
    for (const c of [
      { ...cp, origin: '' },
      { ...cp, origin: 'a\nb' },
      { ...cp, size: -1 },
      { ...cp, size: 1.5 },
      { ...cp, size: 2 ** 53 },
      { ...cp, root: new Uint8Array(31) },
      { ...cp, timestamp: 'now' },
      { ...cp, extensions: [''] },
      { ...cp, extensions: ['time 2026-05-01T12:00:00Z'] },
      { ...cp, extensions: ['a\nb'] },
    ]) {
      expect(() => formatCheckpoint(c), JSON.stringify({ ...c, root: undefined })).toThrow(RangeError)
    }
  })
})

describe('signCheckpoint / openCheckpoint', () => {
  const cp: Checkpoint = { origin: ORIGIN, size: 1234, root: root(9), timestamp: '2026-05-01T12:00:00Z', extensions: [] }

  it('signs a checkpoint as a signed note whose key name is the origin', () => {
    const note = signCheckpoint(cp, ORIGIN, KEY.publicKey, KEY.sign)
    const parsed = parseNote(note)
    expect(parsed.ok && parsed.value.body).toBe(formatCheckpoint(cp))
    expect(note.split('\n').at(-2)).toMatch(/^— entente\.example\.org\/log [A-Za-z0-9+/]{91}=$/)
    expect(openCheckpoint(note, VERIFIER, ed25519Verify)).toEqual({ ok: true, value: cp })
    expect(openCheckpoint(note, VERIFIER, ed25519Verify, { origin: ORIGIN }).ok).toBe(true)
  })

  it('fails for another key, another origin, a tampered body, or a body that is not a checkpoint', () => {
    const note = signCheckpoint(cp, ORIGIN, KEY.publicKey, KEY.sign)
    const other = loadPrivateKey(generateNodeKey().privateKeyPem)
    expect(openCheckpoint(note, noteVerifier(ORIGIN, other.publicKey), ed25519Verify).ok).toBe(false)
    expect(openCheckpoint(note, VERIFIER, ed25519Verify, { origin: 'other.example/log' }).ok).toBe(false)
    expect(openCheckpoint(note.replace('\n1234\n', '\n1235\n'), VERIFIER, ed25519Verify).ok).toBe(false)
    expect(openCheckpoint(note.replace('time 2026-05-01T12:00:00Z', 'time 2026-05-01T12:00:01Z'), VERIFIER, ed25519Verify).ok).toBe(false)
    const signedJunk = signNote('not\na\ncheckpoint\n', ORIGIN, KEY.publicKey, KEY.sign)
    expect(openCheckpoint(signedJunk, VERIFIER, ed25519Verify)).toEqual({ ok: false, error: 'checkpoint size must be a decimal number without leading zeros' })
  })
})
