/**
 * The agreement exchange with fakes: a version the peer has not confirmed is delivered again at every
 * sync until the peer takes it (and not after), a version the peer offers is imported and not pushed
 * back, an older version the peer still holds is not imported but answered with ours, a malformed
 * answer fails the exchange, and a non-peer party means no delivery.
 */
import { describe, expect, it } from 'vitest'
import type { Agreement } from '../../core/agreement/index.js'
import type { Peer } from '../../store/port.js'
import type { PeerClient } from '../federation/ports.js'
import { makeAgreementExchange } from './exchange.js'

const key = new Uint8Array(32).fill(7)
const peer = { id: 'p1', kind: 'node', name: 'b', url: 'http://127.0.0.1:1', auth: { kind: 'bearer', token: 't' }, origin: 'entente/b', publicKey: key, status: 'approved' } as unknown as Peer
const ev = (n: number) => Array.from({ length: n }, (_, i) => ({ action: 'x', node_id: 'n', at: `2026-01-0${i + 1}T00:00:00Z`, signature: `sig${i}` }))
const agreement = (n: number) =>
  ({ id: 'x-entente-agreement--1', modified: `2026-01-0${n}T00:00:00.000Z`, parties: [{ node_id: 'entente:b', node_key: Buffer.from(key).toString('base64') }], events: ev(n) }) as unknown as Agreement
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never

function world(opts: { ours: Agreement[]; offered?: unknown; inboxFails?: () => boolean }) {
  const meta = new Map<string, string>()
  const pushed: string[] = []
  const imported: unknown[] = []
  const client = {
    deliverAgreement: async (_u: string, _a: unknown, a: unknown) => {
      if (opts.inboxFails?.()) throw new Error('ECONNREFUSED')
      pushed.push((a as Agreement).modified)
    },
    peerAgreements: async () => opts.offered ?? { agreements: [] },
  } as unknown as PeerClient
  const x = makeAgreementExchange({
    store: { meta: { get: async (k: string) => meta.get(k) ?? null, set: async (k: string, v: string) => void meta.set(k, v) }, peers: { list: async () => [peer] } } as never,
    logger: silent,
    peerClient: client,
    agreements: () => ({
      between: async () => opts.ours,
      importFromPeer: async (_p: Peer, v: unknown) => {
        imported.push(v)
        return { ok: true as const, value: { agreement: v as Agreement, unchanged: false } as never }
      },
    }),
  })
  return { x, pushed, imported }
}

describe('the agreement exchange', () => {
  it('delivers an unconfirmed version at every sync until the peer takes it, then no more', async () => {
    let down = true
    const w = world({ ours: [agreement(2)], inboxFails: () => down })
    expect(await w.x.deliver(agreement(2))).toMatchObject({ peer: 'b', delivered: false, error: 'ECONNREFUSED' })
    expect((await w.x.exchange(peer)).errors[0]).toMatch(/not delivered to b: ECONNREFUSED/)
    down = false
    expect(await w.x.exchange(peer)).toMatchObject({ delivered: 1, errors: [] })
    expect(await w.x.exchange(peer)).toMatchObject({ delivered: 0 })
    expect(w.pushed).toEqual(['2026-01-02T00:00:00.000Z'])
  })

  it('imports what the peer offers and does not push it back', async () => {
    const w = world({ ours: [agreement(3)], offered: { agreements: [agreement(3)] } })
    expect(await w.x.exchange(peer)).toMatchObject({ received: 1, delivered: 0 })
    expect(w.imported).toHaveLength(1)
    expect(w.pushed).toEqual([])
  })

  it('answers an older version the peer holds with ours instead of importing it', async () => {
    const w = world({ ours: [agreement(3)], offered: { agreements: [agreement(2)] } })
    await w.x.deliver(agreement(3))
    expect(await w.x.exchange(peer)).toMatchObject({ received: 0, delivered: 1 })
    expect(w.imported).toEqual([])
    expect(w.pushed).toEqual(['2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z'])
  })

  it('fails on an answer without an agreements list, and delivers nothing to a node that is not a peer', async () => {
    await expect(world({ ours: [], offered: { nope: 1 } }).x.exchange(peer)).rejects.toThrow(/without an agreements list/)
    const other = { ...agreement(1), parties: [{ node_id: 'entente:c', node_key: 'AAAA' }] } as unknown as Agreement
    expect(await world({ ours: [] }).x.deliver(other)).toBeNull()
  })
})
