/**
 * Administrative decisions in the transparency log, on both engines: collection and organisation
 * default TLPs, client relations, peer approval and removal. Each is one entry in the transaction of
 * the change; `entente log verify` replays them, accepts a log that contains them, and names the
 * entry when the tables are changed behind the node's back.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { createTamperNode, type TamperNode } from '../../../test/tamper.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { canonicalize } from '../../core/stix/canonical.js'
import { leafHash } from '../../core/translog/merkle.js'
import { generateNodeKey } from '../../platform/signing.js'
import type { Peer } from '../../store/port.js'
import type { ProblemCode, VerifyReport } from './verify.js'

const utf8 = new TextEncoder()
const T0 = '2026-11-01T00:00:00.000000Z'

/** A node peer as registration leaves it: pending, with the key its invitation named. */
function pendingPeer(name: string, publicKey: Uint8Array, extra: Partial<Peer> = {}): Peer {
  return {
    id: randomUUID(), kind: 'node', name, url: `https://${name}.example`, apiRoot: `https://${name}.example/taxii2/api/`, remoteCollection: null,
    auth: { kind: 'none' }, origin: `${name}.example/log`, publicKey, presentedKey: null, status: 'pending', organisations: [],
    localOrgId: null, localUserId: null, outboundCollectionId: null, inboundCollectionId: randomUUID(), defaultMarking: null,
    createdAt: T0, approvedAt: null, cursor: { addedAfter: null, next: null }, publishSeq: 0,
    stats: { lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0, nextAttemptAt: null, received: 0, duplicates: 0, rejected: 0, published: 0, remoteLastAdded: null },
    ...extra,
  }
}

for (const dialect of DIALECTS) {
  describe(`administrative decisions in the log [${dialect}]`, () => {
    let t: TamperNode
    let admin: Viewer
    /** Where each decision was logged, by name. */
    const at: Record<string, number> = {}
    const ids: Record<string, string> = {}

    const must = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
      if (!r.ok) throw new Error(JSON.stringify(r.error))
      return r.value
    }
    /** Runs a decision and records the index of the one entry of `kind` it appended. */
    const logged = async <T>(name: string, kind: string, run: () => Promise<T>): Promise<T> => {
      const before = (await t.store.log.head()).size
      const value = await run()
      const added = await t.store.log.entries(before, (await t.store.log.head()).size)
      const mine = added.filter((e) => e.kind === kind)
      expect(mine, `${name}: one ${kind} entry`).toHaveLength(1)
      at[name] = (mine[0] as { index: number }).index
      return value
    }

    beforeEach(async () => {
      t = await createTamperNode(dialect)
      const user = await t.store.users.getByUsername('admin')
      admin = { kind: 'user', userId: user!.id, username: 'admin', orgId: t.hostOrgId, role: 'admin' }
      const svc = t.services.admin

      ids.regional = must(await logged('collection created strict', 'collection.default_tlp_set', () => svc.createCollection(admin, { title: 'Regional', alias: 'regional', defaultTlp: 'amber+strict' }))).id
      await logged('collection narrowed', 'collection.default_tlp_set', async () => must(await svc.updateCollection(admin, { collection: 'regional', defaultTlp: 'red' })))
      ids.cert = must(await logged('cert default', 'org.default_tlp_set', () => svc.createOrganisation(admin, { name: 'National CERT', defaultTlp: 'green' }))).id
      ids.office = must(await svc.createOrganisation(admin, { name: 'Regional Office' })).id
      await logged('office default', 'org.default_tlp_set', async () => must(await svc.updateOrganisation(admin, { org: 'Regional Office', defaultTlp: 'amber' })))
      await logged('client added', 'org.client_added', async () => must(await svc.addClient(admin, { client: 'Regional Office', of: 'National CERT' })))
      must(await svc.addClient(admin, { client: 'National CERT', of: t.hostOrgId }))
      await logged('client removed', 'org.client_removed', async () => must(await svc.removeClient(admin, { client: 'National CERT', of: t.hostOrgId })))

      // Peers: one approved (key pinned), one approved and then removed (its credential revoked too).
      const fed = t.services.federation
      const approved = pendingPeer('node-b', generateNodeKey().publicKey)
      ids.approved = approved.id
      must(await t.store.peers.create(approved))
      const fingerprint = must(await fed.get(admin, 'node-b')).fingerprint!
      const view = await logged('peer approved', 'peer.approved', async () => must(await fed.approve(admin, { peer: 'node-b', fingerprint })))
      expect(view.status).toBe('approved')

      const org = must(await svc.createOrganisation(admin, { name: 'Peer C' }))
      const user2 = must(await svc.createUser(admin, { orgId: org.id, username: 'peer-c', role: 'read_only' }))
      const token = must(await svc.createToken(admin, { userId: user2.id, name: 'peer' }))
      const gone = pendingPeer('node-c', generateNodeKey().publicKey, { localOrgId: org.id, localUserId: user2.id })
      ids.gone = gone.id
      must(await t.store.peers.create(gone))
      must(await fed.approve(admin, { peer: 'node-c', fingerprint: must(await fed.get(admin, 'node-c')).fingerprint! }))
      const before = (await t.store.log.head()).size
      await logged('peer removed', 'peer.removed', async () => must(await fed.remove(admin, 'node-c', 'node')))
      // Removal revokes the peer's token and disables its principal in the same transaction, each logged.
      expect((await t.store.log.entries(before, (await t.store.log.head()).size)).map((e) => e.kind)).toEqual(['token.revoked', 'user.disabled', 'peer.removed'])
      expect((await t.store.tokens.list(user2.id))[0]?.id).toBe(token.token.id)
      expect((await t.store.tokens.list(user2.id))[0]?.revokedAt).not.toBeNull()

      expect(await t.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
    })
    afterEach(async () => {
      await t.close()
    })

    const verify = async (): Promise<VerifyReport> => {
      const r = await t.services.verifyLog()
      expect(r.ok).toBe(false)
      return r
    }
    const problem = (code: ProblemCode, entry?: number) =>
      expect.objectContaining({ code, ...(entry === undefined ? {} : { entry, message: expect.stringContaining(`${entry}`) }) })

    it('writes each decision as a canonical, versioned entry naming ids only', async () => {
      const all = await t.store.log.entries(0, (await t.store.log.head()).size)
      const text = (name: string) => JSON.parse(all[at[name]!]!.text) as Record<string, unknown>
      expect(text('collection narrowed')).toMatchObject({ v: 1, kind: 'collection.default_tlp_set', collection: { id: ids.regional, tlp: 'red' } })
      expect(text('cert default')).toMatchObject({ v: 1, kind: 'org.default_tlp_set', org: { id: ids.cert, tlp: 'green' } })
      expect(text('client added')).toMatchObject({ v: 1, kind: 'org.client_added', client: { org: ids.office, of: ids.cert } })
      const approval = text('peer approved')
      expect(approval).toMatchObject({ v: 1, kind: 'peer.approved', by: { org: t.hostOrgId, user: admin.kind === 'user' ? admin.userId : '' }, peer: { id: ids.approved, origin: 'node-b.example/log' } })
      const pinned = (await t.store.peers.get(ids.approved!))?.publicKey
      expect((approval['peer'] as { ed25519: string }).ed25519).toBe(Buffer.from(pinned!).toString('base64'))
      expect(text('peer removed')).toMatchObject({ v: 1, kind: 'peer.removed', peer: { id: ids.gone } })
      // Canonical: the stored text is its own RFC 8785 form.
      for (const name of Object.keys(at)) expect(all[at[name]!]!.text).toBe(canonicalize(JSON.parse(all[at[name]!]!.text)))
    })

    it('a collection default changed behind the log: state_mismatch naming its last entry (or its creation, when never set)', async () => {
      await t.sql('update collections set default_tlp = 0 where id = ?', [ids.regional])
      expect((await verify()).problems).toEqual([problem('state_mismatch', at['collection narrowed'])])
      await t.sql('update collections set default_tlp = 4 where id = ?', [ids.regional])
      expect(await t.services.verifyLog()).toMatchObject({ ok: true })
      // The default collection never had one set: it must be AMBER; its creation entry (3) is named.
      await t.sql("update collections set default_tlp = 1 where alias = 'default'")
      expect((await verify()).problems).toEqual([problem('state_mismatch', 3)])
      // As on a node that set it before these entries existed: confirming the level it has records it.
      const head = (await t.store.log.head()).size
      expect(await t.services.admin.updateCollection(admin, { collection: 'default', defaultTlp: 'clear' })).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect((await t.store.log.head()).size).toBe(head)
      expect(await t.services.admin.updateCollection(admin, { collection: 'default', defaultTlp: 'green' })).toMatchObject({ ok: true, value: { raised: 0 } })
      expect((await t.store.log.entries(head, head + 1))[0]?.kind).toBe('collection.default_tlp_set')
      expect(await t.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
    })

    it('an organisation default changed or cleared behind the log: state_mismatch naming the entry', async () => {
      await t.sql('update organisations set default_tlp = 0 where id = ?', [ids.office])
      await t.sql('update organisations set default_tlp = null where id = ?', [ids.cert])
      const r = await verify()
      expect(r.problems).toEqual(expect.arrayContaining([problem('state_mismatch', at['office default']), problem('state_mismatch', at['cert default'])]))
      expect(r.problemCount).toBe(2)
    })

    it('a client relation inserted or deleted behind the log: unlogged_row, state_mismatch naming the entry', async () => {
      await t.sql('insert into org_clients (client_org_id, parent_org_id, created_at) values (?, ?, ?)', [ids.cert, ids.office, T0])
      expect((await verify()).problems).toEqual([expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining(ids.cert!) })])
      await t.sql('delete from org_clients where client_org_id = ? and parent_org_id = ?', [ids.cert, ids.office])
      await t.sql('delete from org_clients where client_org_id = ? and parent_org_id = ?', [ids.office, ids.cert])
      expect((await verify()).problems).toEqual([problem('state_mismatch', at['client added'])])
    })

    it('a pinned key replaced, a removed peer revived, or an approved peer without an entry: named', async () => {
      await t.sql('update peers set public_key = ? where id = ?', [Buffer.from(generateNodeKey().publicKey), ids.approved])
      await t.sql("update peers set status = 'approved' where id = ?", [ids.gone])
      const r = await verify()
      expect(r.problems).toEqual(expect.arrayContaining([problem('state_mismatch', at['peer approved']), problem('state_mismatch', at['peer removed'])]))
      expect(r.problemCount).toBe(2)
      // A peer approved without going through `entente peer approve` has no entry at all.
      const sneaky = pendingPeer('node-x', generateNodeKey().publicKey, { status: 'approved', approvedAt: T0 })
      must(await t.store.peers.create(sneaky))
      expect((await verify()).problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining(sneaky.id) })]))
    })

    it('an edited decision entry: leaf_mismatch naming it; edited with its leaf hash, the tree names it and the edit is replayed', async () => {
      const edit = async (index: number, change: (e: Record<string, unknown>) => void, withLeafHash: boolean) => {
        const [row] = await t.sql('select entry from log_entries where idx = ?', [index])
        const e = JSON.parse(row!['entry'] as string) as Record<string, unknown>
        change(e)
        const text = canonicalize(e)
        if (withLeafHash) await t.sql('update log_entries set entry = ?, leaf_hash = ? where idx = ?', [text, Buffer.from(leafHash(utf8.encode(text))), index])
        else await t.sql('update log_entries set entry = ? where idx = ?', [text, index])
      }
      await edit(at['peer removed']!, (e) => void ((e['peer'] as { id: string }).id = randomUUID()), false)
      expect((await verify()).problems).toEqual(expect.arrayContaining([problem('leaf_mismatch', at['peer removed'])]))
      await edit(at['collection narrowed']!, (e) => void ((e['collection'] as { tlp: string }).tlp = 'clear'), true)
      // The stored tree no longer matches the edited leaf, and the replayed default (CLEAR) is not the stored one (RED).
      expect((await verify()).problems).toEqual(expect.arrayContaining([problem('tree_node_mismatch'), problem('state_mismatch', at['collection narrowed'])]))
    })
  })
}
