import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../../../test/data.js'
import { verifierKey } from '../../core/translog/note.js'
import { backoffMs } from './backoff.js'
import { makeDecisionMemo } from './federation.js'
import { advance, START } from './cursor.js'
import { checkPeerUrl, encodeInvitation, fingerprint, INVITATION_PREFIX, normaliseFingerprint, parseInvitation } from './invitation.js'
import type { AgreementView } from '../../core/agreement/view.js'
import { withRecipients } from '../../core/marking/recipients.js'
import type { PolicyEnv } from '../../core/policy/decide.js'
import { agreementsSignature, checkReceivedPath, peerReader, shareDecision, TLP2, type StoredVersionInfo } from './policy.js'

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

describe('the share decision towards a peer (decide under the agreements)', () => {
  // The official TLP 2.0 marking definitions, and a real object marked with them.
  const defs = (JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-common-objects-tlp2', 'tlp2-marking-definitions.json'), 'utf8')) as { objects: { id: string; name?: string }[] }).objects
  const byName = new Map(defs.map((d) => [d.name, d.id]))
  const A_ORG = 'identity--0f3a2c47-6a0e-4a8b-9a43-1c6f6b2d8e01'
  const B_ORG = 'identity--2f1e4c1a-9d8b-4a3c-8e2f-1b0c9d8e7f6a'
  const OTHER = 'identity--00000000-0000-4000-8000-000000000000'
  const AB = 'x-entente-agreement--00000000-0000-4000-8000-0000000000ab'
  const peerB = peerReader({ kind: 'node', origin: 'node-b.example/log', organisations: [{ name: 'B', identityId: B_ORG }] })!
  const view = (over: Partial<AgreementView> = {}): AgreementView => ({
    id: AB,
    active: true,
    sides: [
      { nodeId: 'node-a.example:log', orgs: new Set([A_ORG]) },
      { nodeId: 'node-b.example:log', orgs: new Set([B_ORG]) },
    ],
    maxTlp: 4,
    include: null,
    exclude: new Set(),
    onward: { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 },
    retentionDays: null,
    ...over,
  })
  const env = (agreements: AgreementView[]): PolicyEnv => ({ nodeId: 'node-a.example:log', now: Date.parse('2026-05-01T00:00:00Z'), agreements: new Map(agreements.map((a) => [a.id, a])) })
  const local: StoredVersionInfo = { collectionId: 'c', tlp: 2, producer: A_ORG, path: null, receivedAt: '2026-04-01T00:00:00Z', expiresAt: null }
  const obj = (marking: string | null, recipients?: string[], type = 'indicator'): Record<string, unknown> => {
    const o = { type, spec_version: '2.1', id: `${type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`, ...(marking ? { object_marking_refs: [marking] } : {}) }
    return recipients ? withRecipients(o, recipients) : o
  }
  const share = (o: Record<string, unknown>, e: PolicyEnv, v: StoredVersionInfo = local) => shareDecision(peerB, o, v, e).share

  it('uses the official TLP 2.0 ids and names a peer by the node id of its pinned origin', () => {
    expect(byName.get('TLP:CLEAR')).toBe(TLP2.clear)
    expect(byName.get('TLP:GREEN')).toBe(TLP2.green)
    expect(byName.get('TLP:AMBER')).toBe(TLP2.amber)
    expect(byName.get('TLP:AMBER+STRICT')).toBe(TLP2.amberStrict)
    expect(byName.get('TLP:RED')).toBe(TLP2.red)
    expect(peerB).toEqual({ kind: 'peer', nodeId: 'node-b.example:log', actingFor: [B_ORG] })
    expect(peerReader({ kind: 'feed', origin: null, organisations: [] })).toBeNull()
  })

  it('without an active agreement shares TLP:CLEAR and nothing else', () => {
    for (const e of [env([]), env([view({ active: false })])]) {
      expect(share(obj(TLP2.clear), e)).toBe(true)
      for (const m of [TLP2.green, TLP2.amber, TLP2.amberStrict, TLP2.red]) expect(share(obj(m, [B_ORG]), e)).toBe(false)
    }
  })

  it('under an agreement: GREEN to the partner, AMBER and RED by recipients, never above max TLP or outside the types', () => {
    const e = env([view()])
    expect(share(obj(TLP2.green), e)).toBe(true)
    // AMBER without named recipients goes to the partner organisations of the agreement; with recipients only to them.
    expect(share(obj(TLP2.amber), e)).toBe(true)
    expect(share(obj(TLP2.amber, [OTHER]), e)).toBe(false)
    expect(share(obj(TLP2.amberStrict, [B_ORG]), e)).toBe(true)
    expect(share(obj(TLP2.red, [B_ORG]), e)).toBe(true)
    expect(share(obj(TLP2.red), e)).toBe(false)
    expect(share(obj(TLP2.red, [OTHER]), e)).toBe(false)
    // The producer must be one of this node's organisations in the agreement.
    expect(share(obj(TLP2.green), e, { ...local, producer: OTHER })).toBe(false)
    const amberMax = env([view({ maxTlp: 2 })])
    expect(share(obj(TLP2.amber, [B_ORG]), amberMax)).toBe(true)
    expect(share(obj(TLP2.amberStrict, [B_ORG]), amberMax)).toBe(false)
    expect(share(obj(TLP2.red, [B_ORG]), amberMax)).toBe(false)
    const noCases = env([view({ exclude: new Set(['x-entente-case']) })])
    expect(share(obj(TLP2.green, undefined, 'x-entente-case'), noCases)).toBe(false)
    expect(share(obj(TLP2.green), noCases)).toBe(true)
    // The stand-in property of earlier versions names nobody: only the recipients extension counts.
    expect(share({ ...obj(TLP2.red), x_entente_recipients: [B_ORG] }, e)).toBe(false)
    // Unmarked objects take the stored default (here AMBER): never CLEAR by accident.
    expect(share(obj(null), env([]))).toBe(false)
    // A marking this node does not know counts as RED.
    expect(share(obj('marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168', [OTHER]), e)).toBe(false)
  })

  it('withholds an object the peer could see only redacted, and one whose retention has ended', () => {
    const e = env([view({ maxTlp: 1 })])
    const o = { ...obj(TLP2.green), description: 'secret part', granular_markings: [{ marking_ref: TLP2.red, selectors: ['description'] }] }
    expect(shareDecision(peerB, o, local, e)).toMatchObject({ share: false, reason: 'needs_redaction' })
    expect(share(obj(TLP2.green), e, { ...local, expiresAt: '2026-04-30T00:00:00.000000Z' })).toBe(false)
  })

  it('relays received objects only as every agreement on the path allows, never RED, never back along the path', () => {
    const C_ORG = 'identity--7c1e9d2a-3b4f-4e5a-8c6d-2f1a0b9c8d02'
    const CA = 'x-entente-agreement--00000000-0000-4000-8000-0000000000ca'
    const ca = (onward: AgreementView['onward']): AgreementView => ({ ...view(), id: CA, sides: [{ nodeId: 'node-c:log', orgs: new Set([C_ORG]) }, { nodeId: 'node-a.example:log', orgs: new Set([A_ORG]) }], onward })
    const fromC: StoredVersionInfo = { ...local, producer: C_ORG, path: [{ from: 'node-c:log', to: 'node-a.example:log', agreementId: CA }] }
    const allowed = env([view(), ca({ allowed: true, to: null, maxTlp: 3, maxHops: 1 })])
    const denied = env([view(), ca({ allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 })])
    expect(share(obj(TLP2.amber, [B_ORG]), allowed, fromC)).toBe(true)
    expect(share(obj(TLP2.amber, [B_ORG]), denied, fromC)).toBe(false)
    expect(share(obj(TLP2.green), denied, fromC)).toBe(false)
    expect(share(obj(TLP2.clear), denied, fromC)).toBe(true)
    expect(share(obj(TLP2.red, [B_ORG]), allowed, fromC)).toBe(false)
    // Never back to a node on the path.
    const fromB: StoredVersionInfo = { ...local, path: [{ from: 'node-b.example:log', to: 'node-a.example:log', agreementId: AB }] }
    expect(share(obj(TLP2.clear), allowed, fromB)).toBe(false)
  })

  it('checks the path a peer reports: last hop from it to us, no loop, an agreement we hold with it', () => {
    const e = env([view()])
    const me = 'node-a.example:log'
    const ok1 = checkReceivedPath([{ from: 'node-b.example:log', to: me, agreementId: AB }], 'node-b.example:log', me, e.agreements)
    expect(ok1).toEqual([{ from: 'node-b.example:log', to: me, agreementId: AB }])
    const unknownAgreement = 'x-entente-agreement--00000000-0000-4000-8000-000000000999'
    expect(checkReceivedPath([{ from: 'node-b.example:log', to: me, agreementId: unknownAgreement }], 'node-b.example:log', me, e.agreements)).toEqual([{ from: 'node-b.example:log', to: me, agreementId: '' }])
    expect(checkReceivedPath([{ from: 'node-x', to: me, agreementId: '' }], 'node-b.example:log', me, e.agreements)).toMatch(/last hop/)
    expect(checkReceivedPath([{ from: me, to: 'node-b.example:log', agreementId: '' }, { from: 'node-b.example:log', to: me, agreementId: AB }], 'node-b.example:log', me, e.agreements)).toMatch(/loop/)
    expect(checkReceivedPath([{ from: 'node-c', to: 'node-d', agreementId: '' }, { from: 'node-b.example:log', to: me, agreementId: AB }], 'node-b.example:log', me, e.agreements)).toMatch(/follow/)
    expect(checkReceivedPath([], 'node-b.example:log', me, e.agreements)).toMatch(/list/)
    expect(checkReceivedPath([{ from: 'a b', to: me, agreementId: AB }], 'node-b.example:log', me, e.agreements)).toMatch(/node ids/)
  })

  it('changes the agreements signature when an agreement starts, ends or is added', () => {
    const s1 = agreementsSignature(new Map([[AB, view()]]))
    expect(agreementsSignature(new Map([[AB, view({ active: false })]]))).not.toBe(s1)
    expect(agreementsSignature(new Map())).not.toBe(s1)
    expect(agreementsSignature(new Map([[AB, view()]]))).toBe(s1)
  })
})

describe('recent share decisions (a page read, then its paths asked)', () => {
  const d = { share: true, agreementId: 'x-entente-agreement--00000000-0000-4000-8000-000000000001', path: null, expiresAt: null }
  it('answers under the same signature within the time to live, and not otherwise', () => {
    const m = makeDecisionMemo(10, 1_000)
    m.set('p1', 'indicator--a', 'v1', 'sig', 5_000, d)
    expect(m.get('p1', 'indicator--a', 'v1', 'sig', 5_999)).toMatchObject({ share: true, agreementId: d.agreementId })
    // Another peer, version, signature (an agreement changed), after the time to live, or a clock gone back: unknown.
    expect(m.get('p2', 'indicator--a', 'v1', 'sig', 5_001)).toBeUndefined()
    expect(m.get('p1', 'indicator--a', 'v2', 'sig', 5_001)).toBeUndefined()
    expect(m.get('p1', 'indicator--a', 'v1', 'sig2', 5_001)).toBeUndefined()
    expect(m.get('p1', 'indicator--a', 'v1', 'sig', 6_000)).toBeUndefined()
    expect(m.get('p1', 'indicator--a', 'v1', 'sig', 4_999)).toBeUndefined()
  })

  it('keeps at most its bound, dropping the oldest first', () => {
    const m = makeDecisionMemo(3, 1_000)
    for (const v of ['v1', 'v2', 'v3', 'v4']) m.set('p', 'indicator--a', v, 's', 0, d)
    expect(m.get('p', 'indicator--a', 'v1', 's', 1)).toBeUndefined()
    for (const v of ['v2', 'v3', 'v4']) expect(m.get('p', 'indicator--a', v, 's', 1)).toBeDefined()
    // A refused decision is remembered as refused.
    m.set('p', 'indicator--b', 'v1', 's', 0, { ...d, share: false })
    expect(m.get('p', 'indicator--b', 'v1', 's', 1)?.share).toBe(false)
  })
})
