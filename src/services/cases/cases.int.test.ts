/**
 * The cases service on both engines, for what the HTTP tests cannot see: a change commits together
 * with its version head (compare-and-set), its case index rows and its webhook deliveries, or none of
 * them (transactional outbox); the index is checked and rebuilt after drift; and the security fixes
 * (offers per request, request kinds, participant lists bounded before any lookup).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { createTestNode, fakeClock, silentLogger, type TestNode } from '../../../test/node.js'
import { CASE_LIMITS, OFFER_TYPE } from '../../core/case/model.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { nodeHasher, nodeIds, nodeSecrets } from '../../platform/crypto.js'
import { ed25519Verify } from '../../platform/signing.js'
import type { Tx } from '../../store/port.js'
import { makeCasesService, type CaseEvent, type CasesService } from './cases.js'

for (const dialect of DIALECTS) {
  describe(`cases service [${dialect}]`, () => {
    const clock = fakeClock(Date.parse('2026-11-24T20:00:00Z'))
    let n: TestNode
    let admin: Viewer
    let lead: Viewer
    let partner: Viewer
    let partnerId = ''
    let hookId = ''

    /** The deliveries queued for the partner's webhook, of one case. */
    async function queued(caseId: string): Promise<{ type: string; change: string }[]> {
      const page = await n.store.webhooks.deliveries(hookId, { limit: 500 })
      return page.items
        .map((d) => JSON.parse(d.payload) as { type: string; data: { caseId: string; change: string } })
        .filter((p) => p.data.caseId === caseId)
        .map((p) => ({ type: p.type, change: p.data.change }))
        .sort((a, b) => a.change.localeCompare(b.change)) // one fake instant: the log's own order ties
    }

    /** A second cases service over the same node, whose outbox step can be made to fail. */
    function casesWith(outbox: (events: readonly CaseEvent[]) => Promise<(tx: Tx) => Promise<unknown>>): CasesService {
      return makeCasesService({
        store: n.store, clock, ids: nodeIds, hasher: nodeHasher, secrets: nodeSecrets, logger: silentLogger, nodeKey: n.key, verify: ed25519Verify,
        ingest: () => n.services.ingest, outbox,
      })
    }

    beforeAll(async () => {
      n = await createTestNode(dialect, { clock })
      admin = { kind: 'system', name: 'test', orgId: n.hostOrgId }
      lead = { kind: 'user', userId: 'lead-user', username: 'lead', orgId: n.hostOrgId, role: 'analyst' }
      const p = await n.services.admin.createOrganisation(admin, { name: 'Partner CERT' })
      if (!p.ok) throw new Error('org')
      partnerId = p.value.id
      partner = { kind: 'user', userId: 'partner-user', username: 'partner', orgId: partnerId, role: 'analyst' }
      const h = await n.store.webhooks.create({
        id: nodeIds.uuid(), orgId: partnerId, url: 'https://siem.partner.example/hook', description: null, sealedSecret: 'v1.x.y',
        events: ['case.created', 'case.updated', 'task.assigned'], active: true, createdBy: 'test', createdAt: '2026-11-24T20:00:00.000000Z',
      })
      hookId = h.id
    })
    afterAll(async () => {
      await n?.close()
    })

    it('a committed change has its webhook deliveries as soon as it returns (same transaction)', async () => {
      const c = await n.services.cases.create(lead, { title: 'Results site DDoS', participants: [partnerId] })
      if (!c.ok) throw new Error(JSON.stringify(c.error))
      expect(await queued(c.value.id)).toEqual([{ type: 'case.created', change: 'created' }])
      const u = await n.services.cases.update(lead, c.value.id, c.value.version, { status: 'triage' })
      expect(u.ok).toBe(true)
      expect(await queued(c.value.id)).toEqual([{ type: 'case.created', change: 'created' }, { type: 'case.updated', change: 'updated' }])
    })

    it('of two concurrent edits of one version exactly one commits, with one version and one delivery', async () => {
      const c = await n.services.cases.create(lead, { title: 'Concurrent edits', participants: [partnerId] })
      if (!c.ok) throw new Error('create')
      const [a, b] = await Promise.all([
        n.services.cases.update(lead, c.value.id, c.value.version, { severity: 'high' }),
        n.services.cases.update(lead, c.value.id, c.value.version, { severity: 'critical' }),
      ])
      expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1)
      const lost = a.ok ? b : a
      expect(!lost.ok && lost.error.code).toBe('precondition_failed')
      expect(await n.store.objects.versionsOf(c.value.id)).toHaveLength(2)
      expect((await queued(c.value.id)).filter((d) => d.change === 'updated')).toHaveLength(1)
      // The head is the version that won: an edit of it goes through.
      const won = a.ok ? a.value : b.ok ? b.value : null
      expect((await n.store.cases.member(c.value.id))?.modified).toBe((await n.store.objects.versionsOf(c.value.id))[1]?.versionKey)
      expect((await n.services.cases.update(lead, c.value.id, won?.version, { severity: 'low' })).ok).toBe(true)
    })

    it('a change whose outbox step fails stores nothing: no version, no head move, no index row, no delivery', async () => {
      const crashing = casesWith(async (events) => {
        const q = await n.services.webhooks.queueCaseEvents(events)
        return async (tx) => {
          await q(tx)
          throw new Error('simulated crash after queueing')
        }
      })
      const before = await n.store.cases.listCases({ limit: 500 })
      await expect(crashing.create(lead, { title: 'Never stored', participants: [partnerId] })).rejects.toThrow('simulated crash')
      const after = await n.store.cases.listCases({ limit: 500 })
      expect(after.items.map((r) => r.caseId)).toEqual(before.items.map((r) => r.caseId))
      expect(after.items.some((r) => r.title === 'Never stored')).toBe(false)
      expect((await n.store.webhooks.deliveries(hookId, { limit: 500 })).items.some((d) => d.payload.includes('Never stored'))).toBe(false)

      // An edit: the head stays where it was, and the case can still be edited from that version.
      const c = await n.services.cases.create(lead, { title: 'Edit that crashes', participants: [partnerId] })
      if (!c.ok) throw new Error('create')
      const head = (await n.store.cases.member(c.value.id))?.modified
      await expect(crashing.update(lead, c.value.id, c.value.version, { severity: 'critical' })).rejects.toThrow('simulated crash')
      expect((await n.store.cases.member(c.value.id))?.modified).toBe(head)
      expect(await n.store.objects.versionsOf(c.value.id)).toHaveLength(1)
      expect(await queued(c.value.id)).toEqual([{ type: 'case.created', change: 'created' }])
      expect((await n.services.cases.update(lead, c.value.id, c.value.version, { severity: 'critical' })).ok).toBe(true)
    })

    it('a write refused by the head check queues nothing and stores nothing', async () => {
      const c = await n.services.cases.create(lead, { title: 'Stale head', participants: [partnerId] })
      if (!c.ok) throw new Error('create')
      const head = (await n.store.cases.member(c.value.id))?.modified ?? ''
      // Someone moved the head (as a concurrent writer would between our read and our write).
      expect(await n.store.cases.claimVersion(c.value.id, head, '2026-11-24T23:59:59.999Z')).toBe(true)
      const r = await n.services.cases.update(lead, c.value.id, c.value.version, { severity: 'low' })
      expect(!r.ok && r.error.code).toBe('precondition_failed')
      expect(await n.store.objects.versionsOf(c.value.id)).toHaveLength(1)
      expect(await queued(c.value.id)).toEqual([{ type: 'case.created', change: 'created' }])

      // The start-up check sees the drift and the rebuild sets the head back to the stored version.
      const check = await n.services.cases.checkIndex()
      expect(check.drifted).toBeGreaterThanOrEqual(1)
      const fixed = await n.services.cases.reindexIfDrifted()
      expect(fixed.drifted).toBeGreaterThanOrEqual(1)
      expect(fixed.reindexed?.cases).toBeGreaterThanOrEqual(1)
      expect((await n.store.cases.member(c.value.id))?.modified).toBe(head)
      expect(await n.services.cases.checkIndex()).toMatchObject({ drifted: 0 })
      expect((await n.services.cases.update(lead, c.value.id, c.value.version, { severity: 'low' })).ok).toBe(true)
    })

    it('finds and indexes case objects stored without their derive step (a crash after a TAXII write)', async () => {
      const c = await n.services.cases.create(lead, { title: 'Source case', participants: [partnerId] })
      if (!c.ok) throw new Error('create')
      const got = await n.services.cases.get(lead, c.value.id)
      if (!got.ok) throw new Error('get')
      const collectionId = (await n.store.collections.find('cases'))?.id ?? ''
      // A new case stored straight into the collection: its version exists, the index never heard of it.
      const id = 'incident--6f1b7d9e-4c1a-4f57-9b0e-2b1f5d0e8a11'
      const stix: Record<string, unknown> = { ...got.value.stix, id, name: 'Arrived by sync' }
      const ext = stix['extensions'] as Record<string, Record<string, unknown>>
      for (const e of Object.values(ext)) if ('title' in e) e['title'] = 'Arrived by sync'
      const text = JSON.stringify(stix)
      await n.store.objects.putVersions(collectionId, [{
        stixId: id, type: 'incident', specVersion: '2.1', created: String(stix['created']), modified: String(stix['modified']), versionKey: (await n.store.objects.versionsOf(c.value.id))[0]?.versionKey ?? '',
        revoked: false, contentHash: nodeHasher.sha256(text), json: text,
      } as never], '2026-11-24T21:00:00.000000Z')
      expect(await n.store.cases.getCase(id)).toBeNull()
      expect((await n.services.cases.checkIndex()).drifted).toBe(1)
      await n.services.cases.reindexIfDrifted()
      expect((await n.store.cases.getCase(id))?.title).toBe('Arrived by sync')
      const listed = await n.services.cases.list(partner, {})
      expect(listed.ok && listed.value.items.some((i) => i.id === id)).toBe(true)
    })

    it('bounds offers per request, checks request kinds, and bounds participant lists before any lookup', async () => {
      const c = await n.services.cases.create(lead, { title: 'Needs help', participants: [partnerId] })
      if (!c.ok) throw new Error('create')
      const bad = await n.services.cases.createRequest(lead, c.value.id, { kind: 'bribery' as never, description: 'x' })
      expect(!bad.ok && bad.error).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/body/kind' }] })
      const req = await n.services.cases.createRequest(lead, c.value.id, { kind: 'forensics', description: 'disk images of the web servers' })
      if (!req.ok) throw new Error('request')
      for (let i = 0; i < CASE_LIMITS.offersPerRequest; i++) {
        const o = await n.services.cases.offer(partner, req.value.id, { description: `offer ${i}` }, c.value.id)
        expect(o.ok).toBe(true)
      }
      const over = await n.services.cases.offer(partner, req.value.id, { description: 'one too many' }, c.value.id)
      expect(!over.ok && over.error).toMatchObject({ code: 'limit_exceeded', max: CASE_LIMITS.offersPerRequest })
      expect(await n.store.cases.countMembers(c.value.id, OFFER_TYPE)).toBe(CASE_LIMITS.offersPerRequest)
      // Another request of the same case takes offers again.
      const req2 = await n.services.cases.createRequest(lead, c.value.id, { kind: 'takedown', description: 'the fake results site' })
      if (!req2.ok) throw new Error('request 2')
      expect((await n.services.cases.offer(partner, req2.value.id, { description: 'we can' }, c.value.id)).ok).toBe(true)

      const many = Array.from({ length: 10_000 }, (_, i) => `identity--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)
      const r = await n.services.cases.create(lead, { title: 'Too many', participants: many })
      expect(!r.ok && r.error).toMatchObject({ code: 'limit_exceeded', limit: 'participants' })
    }, 120_000)

    it('every read of a case answers not_found to an organisation outside it', async () => {
      const c = await n.services.cases.create(lead, { title: 'Host only' })
      if (!c.ok) throw new Error('create')
      const t = await n.services.cases.createTask(lead, c.value.id, { title: 'look' })
      if (!t.ok) throw new Error('task')
      const reads = [
        () => n.services.cases.get(partner, c.value.id), () => n.services.cases.listTasks(partner, c.value.id), () => n.services.cases.listNotes(partner, c.value.id),
        () => n.services.cases.listRequests(partner, c.value.id), () => n.services.cases.timeline(partner, c.value.id), () => n.services.cases.members(partner, c.value.id),
        () => n.services.cases.updateTask(partner, t.value.id, t.value.version, { status: 'done' }),
        () => n.services.cases.addNote(partner, c.value.id, { content: 'hello' }),
      ]
      for (const read of reads) {
        const r = await read()
        expect(!r.ok && r.error.code).toBe('not_found')
      }
      const listed = await n.services.cases.list(partner, { limit: 500 })
      expect(listed.ok && listed.value.items.some((i) => i.id === c.value.id)).toBe(false)
      const mine = await n.services.cases.get(lead, c.value.id)
      if (!mine.ok) throw new Error('get')
      expect(await n.services.cases.mayViewCase(partner, mine.value.stix)).toBe(false)
      expect(await n.services.cases.mayViewCase(lead, mine.value.stix)).toBe(true)
    })
  })
}
