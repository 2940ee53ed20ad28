import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../../../test/data.js'
import { verifierKey } from '../../core/translog/note.js'
import { backoffMs } from './backoff.js'
import { advance, START } from './cursor.js'
import { checkPeerUrl, encodeInvitation, fingerprint, INVITATION_PREFIX, normaliseFingerprint, parseInvitation } from './invitation.js'
import { mayShare, tlpOf, TLP2 } from './policy.js'

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

describe('pull cursor', () => {
  it('keeps added_after and follows next while the server says more, then moves to the last date_added', () => {
    // Three pages whose objects all share one date_added (one big batch on the peer).
    const d = '2026-05-01T10:00:00.000001Z'
    let c = advance(START, { more: true, next: 'n1', dateAddedLast: d })
    expect(c).toEqual({ addedAfter: null, next: 'n1' })
    c = advance(c, { more: true, next: 'n2', dateAddedLast: d })
    expect(c).toEqual({ addedAfter: null, next: 'n2' })
    // Had added_after moved to d after the first page, the objects of pages 2 and 3 (same date) would be skipped.
    c = advance(c, { more: false, next: null, dateAddedLast: d })
    expect(c).toEqual({ addedAfter: d, next: null })
  })

  it('ends a run whose last page is empty at the newest date_added seen, never moves backwards', () => {
    const c = { addedAfter: '2026-05-01T10:00:00.000000Z', next: 'x' }
    expect(advance(c, { more: false, next: null, dateAddedLast: null }, '2026-05-01T11:00:00.000000Z')).toEqual({ addedAfter: '2026-05-01T11:00:00.000000Z', next: null })
    expect(advance(c, { more: false, next: null, dateAddedLast: null }, null)).toEqual({ addedAfter: c.addedAfter, next: null })
    expect(advance(c, { more: false, next: null, dateAddedLast: '2026-04-01T00:00:00.000000Z' })).toEqual({ addedAfter: c.addedAfter, next: null })
  })

  it('restarts the run from added_after when a server says more without a next', () => {
    expect(advance({ addedAfter: 'a', next: 'n' }, { more: true, next: null, dateAddedLast: 'z' })).toEqual({ addedAfter: 'a', next: null })
  })
})

describe('backoff', () => {
  const opts = { baseMs: 1000, maxMs: 60_000 }
  it('doubles per failure up to the maximum, with jitter in the upper half of each step', () => {
    for (let n = 1; n <= 12; n++) {
      const step = Math.min(60_000, 1000 * 2 ** (n - 1))
      expect(backoffMs(n, opts, () => 0)).toBe(step / 2)
      expect(backoffMs(n, opts, () => 0.999999)).toBeLessThanOrEqual(step)
      expect(backoffMs(n, opts, () => 0.999999)).toBeGreaterThan(step * 0.99)
    }
    expect(backoffMs(1000, opts, () => 0.5)).toBe(45_000)
  })
  it('spreads retries of peers that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffMs(5, opts, Math.random)))
    expect(delays.size).toBeGreaterThan(40)
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8000)
  })
  it('treats nonsense failure counts as one failure', () => {
    expect(backoffMs(0, opts, () => 0)).toBe(500)
    expect(backoffMs(-3, opts, () => 0)).toBe(500)
  })
})

describe('invitations', () => {
  const pk = new Uint8Array(randomBytes(32))
  const key = verifierKey('entente/0011223344556677', pk)
  const inv = {
    url: 'http://127.0.0.1:18081', key, fingerprint: fingerprint(pk, sha), id: '0190f3a1-7c1e-4d2b-9a8e-3b5c6d7e8f90',
    secret: 'ent_' + randomBytes(32).toString('base64url'), name: 'Electoral Commission node', expiresAt: '2026-12-01T00:00:00.000Z',
  }

  it('round-trips, also when pasted with spaces around it', () => {
    const text = encodeInvitation(inv)
    expect(text.startsWith(INVITATION_PREFIX)).toBe(true)
    expect(parseInvitation(`  ${text}\n`)).toEqual({ ok: true, value: inv })
  })

  it('says what is wrong with a cut, edited or foreign invitation', () => {
    const text = encodeInvitation(inv)
    const bad = (t: string) => {
      const r = parseInvitation(t)
      expect(r.ok).toBe(false)
      return r.ok ? '' : r.error
    }
    expect(bad('hello')).toMatch(/starts with entente-invite-1\./)
    expect(bad(text.slice(0, 40))).toMatch(/does not decode|no /)
    expect(bad(`${text}!`)).toMatch(/base64url/)
    expect(bad('x'.repeat(5000))).toMatch(/at most 4096/)
    const edit = (over: Record<string, unknown>) => INVITATION_PREFIX + Buffer.from(JSON.stringify({ v: 1, url: inv.url, key, fp: inv.fingerprint, id: inv.id, secret: inv.secret, name: inv.name, exp: inv.expiresAt, ...over })).toString('base64url')
    expect(bad(edit({ url: 'ftp://example.org' }))).toMatch(/only http and https/)
    expect(bad(edit({ url: 'http://user:pw@127.0.0.1' }))).toMatch(/credentials/)
    expect(bad(edit({ key: 'not a key' }))).toMatch(/node key/)
    expect(bad(edit({ fp: 'zz' }))).toMatch(/fingerprint/)
    expect(bad(edit({ secret: 'short' }))).toMatch(/secret/)
    expect(bad(edit({ v: 2 }))).toMatch(/version/)
    expect(bad(edit({ exp: 'tomorrow' }))).toMatch(/expiry/)
  })

  it('fingerprints are 128 bits in groups, compared regardless of case and separators', () => {
    const f = fingerprint(pk, sha)
    expect(f).toMatch(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/)
    expect(normaliseFingerprint(f.toUpperCase().replace(/-/g, ' '))).toBe(normaliseFingerprint(f))
    expect(fingerprint(new Uint8Array(randomBytes(32)), sha)).not.toBe(f)
    expect(checkPeerUrl('https://node.example.org/')).toEqual({ ok: true, value: 'https://node.example.org' })
  })
})

describe('mayShare (until the policy engine replaces it)', () => {
  // The official TLP 2.0 marking definitions, and a real object marked with them.
  const defs = (JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-common-objects-tlp2', 'tlp2-marking-definitions.json'), 'utf8')) as { objects: { id: string; name?: string }[] }).objects
  const byName = new Map(defs.map((d) => [d.name, d.id]))
  const ours = { organisations: [{ identityId: 'identity--2f1e4c1a-9d8b-4a3c-8e2f-1b0c9d8e7f6a' }] }
  const obj = (marking: string | null, recipients?: string[]) => ({
    type: 'indicator', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
    ...(marking ? { object_marking_refs: [marking] } : {}),
    ...(recipients ? { x_entente_recipients: recipients } : {}),
  })

  it('uses the official TLP 2.0 ids', () => {
    expect(byName.get('TLP:CLEAR')).toBe(TLP2.clear)
    expect(byName.get('TLP:GREEN')).toBe(TLP2.green)
    expect(byName.get('TLP:AMBER')).toBe(TLP2.amber)
    expect(byName.get('TLP:AMBER+STRICT')).toBe(TLP2.amberStrict)
    expect(byName.get('TLP:RED')).toBe(TLP2.red)
  })

  it('shares CLEAR and GREEN with every peer, AMBER and RED only with named recipients, nothing unmarked or unknown', () => {
    expect(mayShare(ours, obj(TLP2.clear))).toBe(true)
    expect(mayShare(ours, obj(TLP2.green))).toBe(true)
    for (const m of [TLP2.amber, TLP2.amberStrict, TLP2.red]) {
      expect(mayShare(ours, obj(m))).toBe(false)
      expect(mayShare(ours, obj(m, ['identity--00000000-0000-4000-8000-000000000000']))).toBe(false)
      expect(mayShare(ours, obj(m, [ours.organisations[0]!.identityId]))).toBe(true)
      // Received from elsewhere: AMBER and RED are not relayed.
      expect(mayShare(ours, obj(m, [ours.organisations[0]!.identityId]), { relayed: true })).toBe(false)
    }
    expect(mayShare(ours, obj(TLP2.green), { relayed: true })).toBe(true)
    expect(mayShare(ours, obj(null))).toBe(false)
    expect(mayShare(ours, obj('marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'))).toBe(false)
  })

  it('applies the most restrictive of several markings', () => {
    expect(tlpOf({ object_marking_refs: [TLP2.green, TLP2.red] })).toBe('red')
    expect(mayShare(ours, { object_marking_refs: [TLP2.clear, TLP2.amber] })).toBe(false)
    expect(tlpOf({ object_marking_refs: 'x' })).toBe('unknown')
  })
})
