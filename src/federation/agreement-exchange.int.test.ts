/**
 * Agreements travel between peers by themselves, between real `entente serve` processes on loopback
 * ports: a proposal reaches the peer without a file, an acceptance makes it active on both sides, a
 * termination whose push was lost (the peer was down) reaches the peer at its next sync, which then
 * stops serving AMBER under it; the inbox and the peer listing refuse credentials that are not the
 * peer's, and forged versions. Schedulers are off; each sync is an `entente peer sync`.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TLP2 } from '../services/federation/policy.js'
import { addObjects, collectionIds, json, peer, peerToken, run, serve, stop, testNode, type TestNode } from '../../test/federation-nodes.js'

const base = 36000 + (process.pid % 2000) * 3
const T = '2026-03-01T00:00:00.000Z'

function indicator(marking: string): Record<string, unknown> {
  const id = `indicator--${randomUUID()}`
  return {
    type: 'indicator', spec_version: '2.1', id, created: T, modified: T, object_marking_refs: [marking],
    name: `ballot portal lookalike ${id.slice(-6)}`, pattern: `[domain-name:value = 'vote-${id.slice(-12)}.example']`, pattern_type: 'stix', valid_from: T,
  }
}

async function init(n: TestNode, dir: string): Promise<void> {
  n.data = join(dir, n.name)
  n.token = (await json(n, ['init', '--org', `${n.name} Election Authority`])).token.secret
  await serve(n)
}

async function post(url: string, token: string | null, body: unknown): Promise<{ status: number; body: { detail?: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as { detail?: string } }
}

describe('agreements over the federation channel', () => {
  let dir: string
  const a = testNode('Arland', base)
  const b = testNode('Borduria', base + 1)
  let id = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entente-agx-'))
    await Promise.all([init(a, dir), init(b, dir)])
    await peer(a, b, 'b', 'a')
  }, 180_000)

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)])
    rmSync(dir, { recursive: true, force: true })
  })

  it('a proposal reaches the peer without a file, and its acceptance makes it active on both sides', async () => {
    const proposed = await json(a, ['agreement', 'propose', '--peer', 'b', '--purpose', 'election security exchange (test)', '--max-tlp', 'amber'])
    id = proposed.agreement.id as string
    expect(proposed.delivery).toEqual({ peer: 'b', delivered: true })
    const onB = await json(b, ['agreement', 'show', id])
    expect(onB.status.status).toBe('proposed')
    expect(onB.ourSide).toBe(1)

    const accepted = await json(b, ['agreement', 'accept', id])
    expect(accepted.status.status).toBe('active')
    expect(accepted.delivery).toEqual({ peer: 'a', delivered: true })
    const onA = await json(a, ['agreement', 'show', id])
    expect(onA.status.status).toBe('active')
    expect(onA.agreement.events.map((e: { action: string }) => e.action)).toEqual(['propose', 'accept'])
  }, 120_000)

  it('a termination whose push was lost reaches the peer at its next sync, which stops serving AMBER under it', async () => {
    const clear = indicator(TLP2.clear)
    const amber = indicator(TLP2.amber)
    await addObjects(b, [clear, amber])
    expect((await json(b, ['peer', 'sync', 'a'])).published).toBe(2)
    // What A reads in the collection B keeps for it, with the credential A holds.
    const { token, collection } = peerToken(a, 'b')
    expect((await collectionIds(b, collection, token)).sort()).toEqual([clear['id'], amber['id']].sort())

    // B is down: A's push fails, and A says so.
    await stop(b)
    const terminated = await json(a, ['agreement', 'terminate', id, '--reason', 'end of the electoral period'])
    expect(terminated.status.status).toBe('terminated')
    expect(terminated.delivery).toMatchObject({ peer: 'b', delivered: false })
    await serve(b)
    expect((await json(b, ['agreement', 'show', id])).status.status).toBe('active')

    // B's next sync asks A for the agreements between them and imports the termination.
    await json(b, ['peer', 'sync', 'a'])
    const onB = await json(b, ['agreement', 'show', id])
    expect(onB.status.status).toBe('terminated')
    expect(onB.agreement.events.map((e: { action: string }) => e.action)).toEqual(['propose', 'accept', 'terminate'])
    expect(await collectionIds(b, collection, token)).toEqual([clear['id']])
    // A's own sync finds B holds the version now (nothing left to deliver; the sync succeeds).
    const s = await run(a, ['peer', 'sync', 'b', '--json'])
    expect(s.code).toBe(0)
  }, 180_000)

  it('the inbox and the peer listing refuse anyone but the peer, and forged versions', async () => {
    const exported = await run(a, ['agreement', 'export', id])
    expect(exported.code).toBe(0)
    const signed = JSON.parse(exported.stdout) as Record<string, unknown>
    const inbox = `${b.url}/api/v1/agreements/inbox`
    // No credential; B's own administrator (a credential, but not a peer's).
    expect((await post(inbox, null, signed)).status).toBe(401)
    expect((await post(inbox, b.token, signed)).status).toBe(403)
    const list = await fetch(`${b.url}/api/v1/agreements/peer`, { headers: { accept: 'application/json', authorization: `Bearer ${b.token}` } })
    expect(list.status).toBe(403)
    // The credential B holds for reading A, presented to B itself: unknown there.
    const { token: bReadsA } = peerToken(b, 'a')
    expect((await post(`${b.url}/api/v1/agreements/inbox`, bReadsA, signed)).status).toBe(401)

    // A's credential at B, with a version whose terms were changed after signing: refused, nothing stored.
    const { token: aReadsB } = peerToken(a, 'b')
    const forged = { ...signed, max_tlp: 'red' }
    const r = await post(inbox, aReadsB, forged)
    expect(r.status).toBe(409)
    expect(r.body.detail).toMatch(/terms differ|does not verify|invalid/)
    // The listing answers A's credential with the agreements between A and B only, unchanged.
    const res = await fetch(`${b.url}/api/v1/agreements/peer`, { headers: { accept: 'application/json', authorization: `Bearer ${aReadsB}` } })
    expect(res.status).toBe(200)
    const got = (await res.json()) as { agreements: { id: string; max_tlp: string; events: unknown[] }[] }
    expect(got.agreements.map((x) => [x.id, x.max_tlp, x.events.length])).toEqual([[id, 'amber', 3]])
  }, 120_000)
})
