/** Federation storage (PeerStore): peers, the durable cursor, publish positions, origins, invitations. */
import { createHash, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { err, ok } from '../../core/shared/result.js'
import type { Peer } from '../port.js'
import { attackSample, toVersion } from './fixtures.js'
import { newCollection, unwrap, type GetStore } from './helpers.js'

const T0 = '2026-05-01T00:00:00.000000Z'

function peer(inbound: string, over: Partial<Peer> = {}): Peer {
  return {
    id: randomUUID(),
    kind: 'node',
    name: `peer-${randomUUID().slice(0, 8)}`,
    url: 'http://127.0.0.1:18081',
    apiRoot: 'http://127.0.0.1:18081/taxii2/api',
    remoteCollection: null,
    auth: { kind: 'bearer', token: 'ent_remote_secret' },
    origin: 'entente/0011223344556677',
    publicKey: new Uint8Array(32).fill(7),
    presentedKey: null,
    status: 'pending',
    organisations: [{ name: 'Electoral Commission', identityId: `identity--${randomUUID()}` }],
    localOrgId: null,
    localUserId: null,
    outboundCollectionId: null,
    inboundCollectionId: inbound,
    defaultMarking: null,
    createdAt: T0,
    approvedAt: null,
    cursor: { addedAfter: null, next: null },
    publishSeq: 0,
    stats: {
      lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0, nextAttemptAt: null,
      received: 0, duplicates: 0, rejected: 0, published: 0, remoteLastAdded: null,
    },
    ...over,
  }
}

const sha = (s: string) => new Uint8Array(createHash('sha256').update(s).digest())

export function peerTests(s: GetStore): void {
  describe('peers', () => {
    it('creates, finds by id or name, refuses a taken name, updates and round-trips every field', async () => {
      const store = s()
      const inbound = await newCollection(store)
      const p = peer(inbound)
      const created = unwrap(await store.peers.create(p))
      expect(created).toEqual(p)
      expect(await store.peers.find(p.name)).toEqual(p)
      expect(await store.peers.find(p.id)).toEqual(p)
      expect(await store.peers.find('no-such-peer')).toBeNull()
      const again = await store.peers.create({ ...peer(inbound), name: p.name })
      expect(again.ok).toBe(false)
      if (!again.ok) expect(again.error.code).toBe('conflict')
      const userId = randomUUID()
      const updated = await store.peers.update(p.id, {
        status: 'approved', approvedAt: T0, presentedKey: new Uint8Array(32).fill(9), localUserId: userId,
        auth: { kind: 'basic', username: 'taxii', password: 'pw' }, remoteCollection: 'c-1',
      })
      expect(updated?.status).toBe('approved')
      expect(updated?.presentedKey).toEqual(new Uint8Array(32).fill(9))
      expect(updated?.auth).toEqual({ kind: 'basic', username: 'taxii', password: 'pw' })
      expect((await store.peers.findByUser(userId))?.id).toBe(p.id)
      expect((await store.peers.list()).map((x) => x.id)).toContain(p.id)
      await store.peers.recordAttempt(p.id, { at: T0, success: false, error: 'HTTP 502', failures: 3, nextAttemptAt: '2026-05-01T00:01:00.000000Z' })
      const failed = await store.peers.get(p.id)
      expect(failed?.stats).toMatchObject({ lastError: 'HTTP 502', failures: 3, lastSuccessAt: null })
      await store.peers.recordAttempt(p.id, { at: T0, success: true, error: null, failures: 0, nextAttemptAt: null })
      expect((await store.peers.get(p.id))?.stats).toMatchObject({ lastError: null, failures: 0, lastSuccessAt: T0 })
    })

    it('advances the cursor only from the position it holds (compare-and-set), inside a transaction that can roll back', async () => {
      const store = s()
      const p = unwrap(await store.peers.create(peer(await newCollection(store))))
      const a = { addedAfter: null, next: null }
      const b = { addedAfter: '2026-05-01T00:00:00.000001Z', next: 'cursor-b' }
      const c = { addedAfter: '2026-05-01T00:00:00.000001Z', next: null }
      expect(await store.peers.advanceCursor(p.id, a, b, { received: 10, duplicates: 1, rejected: 2 }, '2026-05-01T00:00:00.000001Z')).toBe(true)
      // A second sync that read the old position loses.
      expect(await store.peers.advanceCursor(p.id, a, c, { received: 5, duplicates: 0, rejected: 0 }, null)).toBe(false)
      // A batch whose transaction rolls back leaves the cursor and the counts as they were.
      const r = await store.transaction(async (tx) => {
        expect(await tx.peers.advanceCursor(p.id, b, c, { received: 7, duplicates: 0, rejected: 0 }, null)).toBe(true)
        return err({ code: 'conflict' as const, detail: 'crash' })
      })
      expect(r.ok).toBe(false)
      let now = await store.peers.get(p.id)
      expect(now?.cursor).toEqual(b)
      expect(now?.stats).toMatchObject({ received: 10, duplicates: 1, rejected: 2, remoteLastAdded: '2026-05-01T00:00:00.000001Z' })
      expect(unwrap(await store.transaction(async (tx) => ok(await tx.peers.advanceCursor(p.id, b, c, { received: 7, duplicates: 0, rejected: 0 }, null))))).toBe(true)
      now = await store.peers.get(p.id)
      expect(now?.cursor).toEqual(c)
      expect(now?.stats.received).toBe(17)
      await store.peers.resetCursor(p.id)
      expect((await store.peers.get(p.id))?.cursor).toEqual(a)
    })

    it('lists memberships to publish in seq order, leaving out excluded collections and versions that came from the peer', async () => {
      const store = s()
      const source = await newCollection(store)
      const outbound = await newCollection(store)
      const p = unwrap(await store.peers.create(peer(await newCollection(store))))
      const other = unwrap(await store.peers.create(peer(await newCollection(store))))
      const start = await store.peers.maxMemberSeq()
      const objs = attackSample(6)
      await store.objects.putVersions(source, objs.map(toVersion), T0)
      await store.objects.putVersions(outbound, objs.slice(0, 2).map(toVersion), T0)
      expect(await store.peers.maxMemberSeq()).toBeGreaterThan(start)
      const [fromPeer, fromOther] = [toVersion(objs[0]!), toVersion(objs[1]!)]
      await store.peers.recordOrigins([
        { stixId: fromPeer.stixId, versionKey: fromPeer.versionKey, peerId: p.id, verified: true, receivedAt: T0 },
        { stixId: fromOther.stixId, versionKey: fromOther.versionKey, peerId: other.id, verified: false, receivedAt: T0 },
        // Recorded twice: ignored.
        { stixId: fromOther.stixId, versionKey: fromOther.versionKey, peerId: other.id, verified: false, receivedAt: T0 },
      ])
      expect(await store.peers.originsOf(fromOther.stixId, fromOther.versionKey)).toEqual([
        { stixId: fromOther.stixId, versionKey: fromOther.versionKey, peerId: other.id, verified: false, receivedAt: T0 },
      ])
      const listed = (await store.peers.pending({ peerId: p.id, afterSeq: start, excludeCollections: [outbound], limit: 100 })).filter((m) => m.collectionId === source)
      // Every membership is listed (so the position moves past them); the one that came from p is flagged.
      expect(listed.map((m) => m.version.stixId)).toEqual(objs.map((o) => o.id))
      expect(listed.map((m) => m.fromPeer)).toEqual([true, false, false, false, false, false])
      const pending = listed.filter((m) => !m.fromPeer)
      expect(pending.map((m) => m.relayed)).toEqual([true, false, false, false, false])
      expect(pending[1]?.version).toEqual(toVersion(objs[2]!))
      const seqs = pending.map((m) => m.seq)
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)
      // Paging with afterSeq and limit.
      const firstTwo = await store.peers.pending({ peerId: p.id, afterSeq: start, excludeCollections: [outbound], limit: 2 })
      expect(firstTwo).toHaveLength(2)
      const rest = await store.peers.pending({ peerId: p.id, afterSeq: firstTwo[1]!.seq, excludeCollections: [outbound], limit: 100 })
      expect([...firstTwo, ...rest].filter((m) => m.collectionId === source && !m.fromPeer).map((m) => m.seq)).toEqual(seqs)
      // The other peer sees the version that came from p, not the one that came from itself.
      const forOther = (await store.peers.pending({ peerId: other.id, afterSeq: start, excludeCollections: [outbound], limit: 100 })).filter((m) => m.collectionId === source && !m.fromPeer)
      expect(forOther.map((m) => m.version.stixId)).toEqual([objs[0]!.id, ...objs.slice(2).map((o) => o.id)])
      // Publishing moves the position inside a transaction holding the row.
      unwrap(
        await store.transaction(async (tx) => {
          expect(await tx.peers.lockPublish(p.id)).toBe(0)
          await tx.peers.setPublished(p.id, seqs[seqs.length - 1]!, 5)
          return ok(null)
        }),
      )
      const after = await store.peers.get(p.id)
      expect(after?.publishSeq).toBe(seqs[seqs.length - 1])
      expect(after?.stats.published).toBe(5)
    })

    it('keeps invitations by secret hash, usable once and only before they expire', async () => {
      const store = s()
      const id = randomUUID()
      const secret = sha(`secret-${id}`)
      await store.peers.addInvitation({ id, name: 'coordinator', createdAt: T0, expiresAt: '2026-05-02T00:00:00.000000Z', usedAt: null, peerId: null }, secret)
      expect(await store.peers.findInvitation(id, sha('another secret'))).toBeNull()
      expect((await store.peers.findInvitation(id, secret))?.name).toBe('coordinator')
      // Expired at this time: not usable.
      expect(await store.peers.useInvitation(id, '2026-05-02T00:00:00.000001Z', 'p1')).toBe(false)
      expect(await store.peers.useInvitation(id, '2026-05-01T12:00:00.000000Z', 'p1')).toBe(true)
      expect(await store.peers.useInvitation(id, '2026-05-01T12:00:00.000001Z', 'p2')).toBe(false)
      expect(await store.peers.findInvitation(id, secret)).toMatchObject({ usedAt: '2026-05-01T12:00:00.000000Z', peerId: 'p1' })
    })
  })
}
