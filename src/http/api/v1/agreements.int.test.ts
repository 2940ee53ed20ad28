/**
 * Agreements over REST between two real nodes with real Ed25519 keys: propose on one, hand over
 * (export → import, or the peer inbox with a peer credential), accept on the other, suspend, resume,
 * terminate; forged and tampered agreements refused; administrators only; every step logged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import type { Viewer } from '../../../core/policy/viewer.js'

interface Rec {
  agreement: Record<string, unknown> & { id: string; events: { action: string; signature: string }[]; parties: { node_id: string }[] }
  status: { status: string; reason: string; active: boolean }
  ourSide: 0 | 1 | null
  unchanged?: boolean
}

const system = (n: HttpTestNode): Viewer => ({ kind: 'system', name: 'test', orgId: n.hostOrgId })

async function identityOf(n: HttpTestNode): Promise<string> {
  return (await n.store.orgs.get(n.hostOrgId))!.identityId
}

for (const dialect of DIALECTS) {
  describe(`agreements REST [${dialect}]`, () => {
    let a: HttpTestNode
    let b: HttpTestNode
    beforeEach(async () => {
      a = await createHttpTestNode(dialect)
      b = await createHttpTestNode(dialect)
    })
    afterEach(async () => {
      await a.close()
      await b.close()
    })

    async function propose(body: Record<string, unknown> = {}) {
      const self = json<{ nodeId: string; nodeKey: string }>(await api(b.app, 'GET', '/api/v1/agreements/self', { token: b.adminToken }))
      return api(a.app, 'POST', '/api/v1/agreements', {
        token: a.adminToken,
        body: { peerNodeId: self.nodeId, peerKey: self.nodeKey, peerOrgs: [await identityOf(b)], purpose: 'Election 2026', maxTlp: 'amber', retentionDays: 30, ...body },
      })
    }
    const exportFrom = async (n: HttpTestNode, id: string) => json(await api(n.app, 'GET', `/api/v1/agreements/${id}/export`, { token: n.adminToken }))
    const importInto = (n: HttpTestNode, body: unknown) => api(n.app, 'POST', '/api/v1/agreements/import', { token: n.adminToken, body })
    const act = (n: HttpTestNode, id: string, action: string, reason?: string) =>
      api(n.app, 'POST', `/api/v1/agreements/${id}/${action}`, { token: n.adminToken, body: reason === undefined ? {} : { reason } })
    const statusOn = async (n: HttpTestNode, id: string) => json<Rec>(await api(n.app, 'GET', `/api/v1/agreements/${id}`, { token: n.adminToken })).status.status

    it('runs the whole lifecycle between two nodes with real signatures', async () => {
      const p = await propose()
      expect(p.statusCode).toBe(201)
      const rec = json<Rec>(p)
      const id = rec.agreement.id
      expect(rec).toMatchObject({ status: { status: 'proposed', active: false }, ourSide: 0 })
      expect(rec.agreement.events.map((e) => e.action)).toEqual(['propose'])

      // B receives the proposal, accepts it; A learns of the acceptance.
      const onB = json<Rec>(await importInto(b, await exportFrom(a, id)))
      expect(onB).toMatchObject({ status: { status: 'proposed' }, ourSide: 1, unchanged: false })
      expect(json<Rec>(await act(b, id, 'accept')).status).toMatchObject({ status: 'active', active: true })
      expect(json<Rec>(await importInto(a, await exportFrom(b, id))).status.status).toBe('active')
      expect((await a.services.agreements.activeAgreements(Date.now() + 1000)).get(id)?.active).toBe(true)

      // A suspends: B sees it after the import; each lifts only its own suspension.
      expect(json<Rec>(await act(a, id, 'suspend', 'incident review')).status.status).toBe('suspended')
      await importInto(b, await exportFrom(a, id))
      expect(await statusOn(b, id)).toBe('suspended')
      expect((await b.services.agreements.activeAgreements(Date.now() + 1000)).get(id)?.active).toBe(false)
      expect((await act(b, id, 'resume')).statusCode).toBe(200)
      expect(await statusOn(b, id)).toBe('suspended')
      expect(json<Rec>(await act(a, id, 'resume')).status.status).toBe('active')

      // Terminate is final.
      expect(json<Rec>(await act(a, id, 'terminate', 'end of the election')).status.status).toBe('terminated')
      const again = await act(a, id, 'resume')
      expect(again.statusCode).toBe(409)
      expect(json(again)).toMatchObject({ code: 'invalid_transition' })

      // Re-importing the same version changes nothing; an older one is refused.
      const latest = await exportFrom(a, id)
      expect(json<Rec>(await importInto(a, latest)).unchanged).toBe(true)
      expect((await importInto(b, await exportFrom(b, id))).statusCode).toBe(200)

      // Every version is a stored object in the transparency log: 1 propose + 1 accept import + suspend + resume + terminate on A.
      const entries = await a.store.log.entries(0, 1000)
      const agreementEntries = entries.filter((e) => e.kind === 'object.added' && e.text.includes(id))
      expect(agreementEntries.length).toBe(5)
      expect(json<Rec[]>(await api(a.app, 'GET', '/api/v1/agreements', { token: a.adminToken })).map((r) => r.agreement.id)).toEqual([id])
    })

    it('refuses forged signatures, changed terms and agreements that do not name this node', async () => {
      const id = json<Rec>(await propose()).agreement.id
      const good = (await exportFrom(a, id)) as Rec['agreement']
      const sig = good.events[0]!.signature
      const forged = { ...good, events: [{ ...good.events[0], signature: `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}` }] }
      const r1 = await importInto(b, forged)
      expect(r1.statusCode).toBe(409)
      expect(json(r1)['detail']).toMatch(/signature does not verify/)
      const r2 = await importInto(b, { ...good, max_tlp: 'red' })
      expect(r2.statusCode).toBe(409)
      expect(json(r2)['detail']).toMatch(/signature does not verify/)
      // A third node is not a party.
      const c = await createHttpTestNode(dialect)
      try {
        const r3 = await importInto(c, good)
        expect(r3.statusCode).toBe(409)
        expect(json(r3)['detail']).toMatch(/does not name this node/)
      } finally {
        await c.close()
      }
      // Misspelt terms: a problem with a JSON pointer.
      const r4 = await importInto(b, { ...good, onward_sharing: { allowed: false, max_tpl: 'red' } })
      expect(r4.statusCode).toBe(400)
      expect(JSON.stringify(json(r4)['errors'])).toContain('/onward_sharing/max_tpl')
      expect(await b.store.collections.find('agreements')).toBeNull()
    })

    it('checks the proposal before signing it, and is for administrators only', async () => {
      const bad = await propose({ start: '2026-12-01T00:00:00Z', end: '2026-01-01T00:00:00Z' })
      expect(bad.statusCode).toBe(400)
      expect(JSON.stringify(json(bad)['errors'])).toContain('/iep/end_date')
      const user = await a.services.admin.createUser(system(a), { orgId: a.hostOrgId, username: 'analyst1', role: 'analyst' })
      if (!user.ok) throw new Error('user')
      const token = await a.services.admin.createToken(system(a), { userId: user.value.id, name: 't' })
      if (!token.ok) throw new Error('token')
      expect((await api(a.app, 'GET', '/api/v1/agreements', { token: token.value.secret })).statusCode).toBe(403)
      expect((await api(a.app, 'POST', '/api/v1/agreements', { token: token.value.secret, body: { purpose: 'x', maxTlp: 'green', peer: 'nobody' } })).statusCode).toBe(403)
      expect((await api(a.app, 'GET', '/api/v1/agreements/x-entente-agreement--00000000-0000-4000-8000-000000000000', { token: a.adminToken })).statusCode).toBe(404)
    })

    it('takes a proposal in the peer inbox from an approved peer only, checked against its pinned key', async () => {
      const id = json<Rec>(await propose()).agreement.id
      const signed = await exportFrom(a, id)
      // On B: A is a federation peer with a principal (org, user, token), approved with A's key.
      const org = await b.services.admin.createOrganisation(system(b), { name: 'Peer A' })
      if (!org.ok) throw new Error('org')
      const user = await b.services.admin.createUser(system(b), { orgId: org.value.id, username: 'peer-a', role: 'read_only' })
      if (!user.ok) throw new Error('user')
      const token = await b.services.admin.createToken(system(b), { userId: user.value.id, name: 'peer' })
      if (!token.ok) throw new Error('token')
      const coll = await b.services.admin.createCollection(system(b), { title: 'from A', alias: 'from-a' })
      if (!coll.ok) throw new Error('collection')
      const peer = {
        id: '0190a4c2-0000-7000-8000-000000000001', kind: 'node' as const, name: 'node-a', url: 'https://a.example', apiRoot: 'https://a.example/taxii2/api/', remoteCollection: null,
        auth: { kind: 'none' as const }, origin: a.origin, publicKey: b.key.publicKey, presentedKey: null, status: 'approved' as const, organisations: [],
        localOrgId: org.value.id, localUserId: user.value.id, outboundCollectionId: null, inboundCollectionId: coll.value.id, defaultMarking: null,
        createdAt: '2026-11-01T00:00:00.000000Z', approvedAt: '2026-11-01T00:00:00.000000Z', cursor: { addedAfter: null, next: null }, publishSeq: 0,
        stats: { lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0, nextAttemptAt: null, received: 0, duplicates: 0, rejected: 0, published: 0, remoteLastAdded: null },
      }
      // First pinned with the wrong key (B's own): the sender is not the other party.
      expect((await b.store.peers.create(peer)).ok).toBe(true)
      const wrong = await api(b.app, 'POST', '/api/v1/agreements/inbox', { token: token.value.secret, body: signed })
      expect(wrong.statusCode).toBe(409)
      // With A's real key pinned, the inbox takes it.
      await b.store.peers.update(peer.id, { publicKey: a.key.publicKey })
      b.services.agreements.invalidate()
      const r = await api(b.app, 'POST', '/api/v1/agreements/inbox', { token: token.value.secret, body: signed })
      expect(r.statusCode).toBe(200)
      expect(json<Rec>(r).status.status).toBe('proposed')
      // An ordinary user is not a peer.
      expect((await api(b.app, 'POST', '/api/v1/agreements/inbox', { token: b.adminToken, body: signed })).statusCode).toBe(403)
    })
  })
}
