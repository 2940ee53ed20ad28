/** The case index (CaseStore) and the webhook delivery queue (WebhookStore), on every engine. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { err, ok } from '../../core/shared/result.js'
import type { CaseIndexRow, Webhook, WebhookDelivery } from '../port.js'
import { make } from './fixtures.js'
import { unwrap, type GetStore } from './helpers.js'

const identity = () => `identity--${randomUUID()}`
const incident = () => `incident--${randomUUID()}`

function row(over: Partial<CaseIndexRow> & { orgRefs: readonly string[] }): CaseIndexRow {
  return {
    caseId: incident(), collectionId: 'cases', title: 'A case', status: 'new', severity: 'medium', leadRef: over.orgRefs[0] ?? identity(), tlp: 'amber',
    created: '2026-03-01T00:00:00.000000Z', modified: '2026-03-01T00:00:00.000000Z', ...over,
  }
}

function delivery(webhookId: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: randomUUID(), webhookId, eventId: randomUUID(), eventType: 'case.updated', payload: '{"x":1}', state: 'pending', attempts: 0,
    nextAttemptAt: '2026-03-01T00:00:00.000000Z', lockedUntil: null, lastStatus: null, lastError: null, createdAt: '2026-03-01T00:00:00.000000Z',
    finishedAt: null, ...over,
  }
}

export function caseTests(s: GetStore): void {
  describe('case index', () => {
    it('indexes a case, keeps the newest version, replaces its organisations, and ignores an older version', async () => {
      const store = s()
      const [lead, a, b] = [identity(), identity(), identity()]
      const r = row({ orgRefs: [lead, a] })
      await store.cases.indexCase(r)
      expect(await store.cases.getCase(r.caseId)).toEqual({ ...r, orgRefs: [lead, a].sort() })
      const newer = { ...r, title: 'Renamed', status: 'triage', modified: '2026-03-02T00:00:00.000000Z', orgRefs: [lead, b] }
      await store.cases.indexCase(newer)
      expect(await store.cases.getCase(r.caseId)).toEqual({ ...newer, orgRefs: [lead, b].sort() })
      // An older version arriving late (peer sync out of order) changes nothing.
      await store.cases.indexCase({ ...r, title: 'Stale', orgRefs: [lead, a] })
      expect((await store.cases.getCase(r.caseId))?.title).toBe('Renamed')
      expect((await store.cases.getCase(r.caseId))?.orgRefs).toEqual([lead, b].sort())
      expect(await store.cases.getCase(incident())).toBeNull()
    })

    it('lists newest first by organisation, status, severity and lead, with a stable keyset', async () => {
      const store = s()
      const [me, other, third] = [identity(), identity(), identity()]
      const rows = [1, 2, 3, 4, 5].map((i) =>
        row({ orgRefs: i === 5 ? [other] : [me, third], leadRef: i === 5 ? other : me, created: `2026-04-0${i}T00:00:00.000000Z`, status: i % 2 === 0 ? 'active' : 'new', severity: i === 3 ? 'critical' : 'low' }),
      )
      for (const r of rows) await store.cases.indexCase(r)
      const ids = (items: readonly CaseIndexRow[]) => items.map((r) => r.caseId)
      const p1 = await store.cases.listCases({ orgRefs: [me], limit: 2 })
      expect(ids(p1.items)).toEqual([rows[3]?.caseId, rows[2]?.caseId])
      expect(p1.more).toBe(true)
      const last = p1.items[1] as CaseIndexRow
      const p2 = await store.cases.listCases({ orgRefs: [me], limit: 5, before: { created: last.created, caseId: last.caseId } })
      expect(ids(p2.items)).toEqual([rows[1]?.caseId, rows[0]?.caseId])
      expect(p2.more).toBe(false)
      // A participant (not the lead) sees the cases too; an empty organisation list sees nothing.
      expect(ids((await store.cases.listCases({ orgRefs: [third], limit: 10 })).items)).toHaveLength(4)
      expect(await store.cases.listCases({ orgRefs: [], limit: 10 })).toEqual({ items: [], more: false })
      expect(ids((await store.cases.listCases({ orgRefs: [other], limit: 10 })).items)).toEqual([rows[4]?.caseId])
      expect(ids((await store.cases.listCases({ orgRefs: [me], statuses: ['active'], limit: 10 })).items)).toEqual([rows[3]?.caseId, rows[1]?.caseId])
      expect(ids((await store.cases.listCases({ orgRefs: [me, other], severities: ['critical'], limit: 10 })).items)).toEqual([rows[2]?.caseId])
      expect(ids((await store.cases.listCases({ orgRefs: [me, other], leadRef: other, limit: 10 })).items)).toEqual([rows[4]?.caseId])
    })

    it('records members, keeps the later version, lists them oldest first by type, counts them, and reports heads', async () => {
      const store = s()
      const caseId = incident()
      const task = (i: number) => ({ stixId: `x-entente-task--${randomUUID()}`, caseId, type: 'x-entente-task', created: `2026-05-0${i}T00:00:00.000000Z`, modified: `2026-05-0${i}T00:00:00.000000Z` })
      const [t1, t2, t3] = [task(3), task(1), task(2)]
      const note = { stixId: `note--${randomUUID()}`, caseId, type: 'note', created: '2026-05-04T00:00:00.000000Z', modified: '2026-05-04T00:00:00.000000Z' }
      for (const m of [t1, t2, t3, note]) await store.cases.putMember(m)
      await store.cases.putMember({ ...t1, modified: '2026-05-09T00:00:00.000000Z' })
      await store.cases.putMember({ ...t1, modified: '2026-05-05T00:00:00.000000Z' }) // older: ignored
      await store.cases.putMember(t2) // again: no change, no error
      expect((await store.cases.member(t1.stixId))?.modified).toBe('2026-05-09T00:00:00.000000Z')
      expect((await store.cases.members(caseId, ['x-entente-task'], 10)).map((m) => m.stixId)).toEqual([t2.stixId, t3.stixId, t1.stixId])
      expect((await store.cases.members(caseId, ['x-entente-task', 'note'], 2)).map((m) => m.stixId)).toEqual([t2.stixId, t3.stixId])
      expect(await store.cases.members(caseId, [], 10)).toEqual([])
      expect(await store.cases.countMembers(caseId, 'x-entente-task')).toBe(3)
      expect(await store.cases.countMembers(caseId, 'note')).toBe(1)
      expect(await store.cases.member(`note--${randomUUID()}`)).toBeNull()
      const heads = await store.cases.heads([t1.stixId, note.stixId, `note--${randomUUID()}`, t1.stixId])
      expect(heads).toEqual(new Map([[t1.stixId, '2026-05-09T00:00:00.000000Z'], [note.stixId, note.modified]]))
      expect(await store.cases.heads([])).toEqual(new Map())
    })

    it('claims a head by compare-and-set: once per version, never from a stale one, and not when its transaction rolls back', async () => {
      const store = s()
      const caseId = incident()
      const v1 = '2026-06-01T00:00:00.000000Z'
      const v2 = '2026-06-02T00:00:00.000000Z'
      await store.cases.putMember({ stixId: caseId, caseId, type: 'incident', created: v1, modified: v1 })
      // Concurrent claims of the same version: exactly one wins.
      const wins = await Promise.all(Array.from({ length: 5 }, (_, i) => store.cases.claimVersion(caseId, v1, `2026-06-02T00:00:00.00000${i}Z`)))
      expect(wins.filter(Boolean)).toHaveLength(1)
      const head = (await store.cases.member(caseId))?.modified ?? ''
      expect(await store.cases.claimVersion(caseId, v1, v2)).toBe(false)
      expect(await store.cases.claimVersion(incident(), v1, v2)).toBe(false)
      // A claim inside a transaction that rolls back leaves the head where it was.
      const r = await store.transaction(async (tx) => {
        expect(await tx.cases.claimVersion(caseId, head, v2)).toBe(true)
        return err({ code: 'precondition_failed', detail: 'rolled back' })
      })
      expect(r.ok).toBe(false)
      expect((await store.cases.member(caseId))?.modified).toBe(head)
      const committed = await store.transaction(async (tx) => ok(await tx.cases.claimVersion(caseId, head, v2)))
      expect(committed).toEqual(ok(true))
      expect((await store.cases.member(caseId))?.modified).toBe(v2)
    })
  })

  describe('webhook queue', () => {
    async function hook(store: ReturnType<GetStore>, over: Partial<Webhook> = {}): Promise<Webhook> {
      const org = unwrap(await store.orgs.create(make.org()))
      return store.webhooks.create({
        id: randomUUID(), orgId: org.id, url: 'https://siem.example/hook', description: null, sealedSecret: 'v1.iv.ct', events: ['case.created', 'alert.created'],
        active: true, createdBy: 'test', createdAt: '2026-03-01T00:00:00.000000Z', ...over,
      })
    }

    it('creates, reads, lists by organisation, pauses and removes webhooks with their deliveries', async () => {
      const store = s()
      const w = await hook(store)
      const w2 = await store.webhooks.create({ ...w, id: randomUUID(), createdAt: '2026-03-02T00:00:00.000000Z', description: 'second' })
      expect(await store.webhooks.get(w.id)).toEqual(w)
      expect((await store.webhooks.list(w.orgId)).map((x) => x.id)).toEqual([w.id, w2.id])
      expect((await store.webhooks.list()).map((x) => x.id)).toEqual(expect.arrayContaining([w.id, w2.id]))
      expect((await store.webhooks.setActive(w.id, false))?.active).toBe(false)
      expect(await store.webhooks.setActive(randomUUID(), false)).toBeNull()
      const d = delivery(w.id)
      expect(await store.webhooks.enqueue([d])).toBe(1)
      expect(await store.webhooks.remove(w.id)).toBe(true)
      expect(await store.webhooks.get(w.id)).toBeNull()
      expect(await store.webhooks.getDelivery(d.id)).toBeNull()
      expect(await store.webhooks.remove(w.id)).toBe(false)
    })

    it('queues one delivery per (webhook, event), and nothing when the transaction rolls back', async () => {
      const store = s()
      const w = await hook(store)
      const d = delivery(w.id)
      expect(await store.webhooks.enqueue([d, delivery(w.id)])).toBe(2)
      expect(await store.webhooks.enqueue([{ ...d, id: randomUUID(), payload: '{"again":true}' }])).toBe(0)
      expect(await store.webhooks.getDelivery(d.id)).toEqual(d)
      expect(await store.webhooks.enqueue([])).toBe(0)
      const lost = delivery(w.id)
      const r = await store.transaction(async (tx) => {
        expect(await tx.webhooks.enqueue([lost])).toBe(1)
        return err({ code: 'conflict', detail: 'rolled back' })
      })
      expect(r.ok).toBe(false)
      expect(await store.webhooks.getDelivery(lost.id)).toBeNull()
    })

    it('leases due deliveries once, re-leases them when the lease ends, and records attempts', async () => {
      const store = s()
      const w = await hook(store)
      const due = delivery(w.id, { nextAttemptAt: '2000-01-01T00:00:00.000000Z' })
      const later = delivery(w.id, { nextAttemptAt: '2999-01-01T00:00:00.000000Z' })
      const done = delivery(w.id, { nextAttemptAt: '2000-01-01T00:00:00.000000Z', state: 'delivered' })
      await store.webhooks.enqueue([due, later, done])
      const now = '2026-03-01T00:00:00.000000Z'
      const lease = '2026-03-01T00:01:00.000000Z'
      // Concurrent workers: the due delivery goes to exactly one of them.
      const claims = await Promise.all([1, 2, 3].map(() => store.webhooks.claimDue(now, lease, 100)))
      const mine = claims.flat().filter((d) => d.webhookId === w.id)
      expect(mine.map((d) => d.id)).toEqual([due.id])
      expect(mine[0]?.lockedUntil).toBe(lease)
      // Leased: not claimed again before the lease ends; claimed again after it.
      expect((await store.webhooks.claimDue('2026-03-01T00:00:30.000000Z', '2026-03-01T00:01:30.000000Z', 100)).some((d) => d.id === due.id)).toBe(false)
      expect((await store.webhooks.claimDue('2026-03-01T00:02:00.000000Z', '2026-03-01T00:03:00.000000Z', 100)).some((d) => d.id === due.id)).toBe(true)
      await store.webhooks.recordAttempt(due.id, { state: 'pending', attempts: 1, nextAttemptAt: '2026-03-01T00:10:00.000000Z', lastStatus: 500, lastError: 'HTTP 500', finishedAt: null })
      expect(await store.webhooks.getDelivery(due.id)).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500, lastError: 'HTTP 500', lockedUntil: null })
      expect((await store.webhooks.claimDue('2026-03-01T00:05:00.000000Z', '2026-03-01T00:06:00.000000Z', 100)).some((d) => d.id === due.id)).toBe(false)
      expect((await store.webhooks.claimDue('2026-03-01T00:10:00.000000Z', '2026-03-01T00:11:00.000000Z', 100)).some((d) => d.id === due.id)).toBe(true)
      await store.webhooks.recordAttempt(due.id, { state: 'delivered', attempts: 2, nextAttemptAt: null, lastStatus: 204, lastError: null, finishedAt: '2026-03-01T00:10:01.000000Z' })
      expect(await store.webhooks.getDelivery(due.id)).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 204, lockedUntil: null, finishedAt: '2026-03-01T00:10:01.000000Z' })
      expect((await store.webhooks.claimDue('2030-01-01T00:00:00.000000Z', '2030-01-01T00:01:00.000000Z', 100)).some((d) => d.webhookId === w.id && d.id !== later.id)).toBe(false)
    })

    it('lists a webhook’s deliveries newest first with a keyset', async () => {
      const store = s()
      const w = await hook(store)
      const ds = [1, 2, 3].map((i) => delivery(w.id, { createdAt: `2026-03-0${i}T00:00:00.000000Z` }))
      await store.webhooks.enqueue(ds)
      const p1 = await store.webhooks.deliveries(w.id, { limit: 2 })
      expect(p1.items.map((d) => d.id)).toEqual([ds[2]?.id, ds[1]?.id])
      expect(p1.more).toBe(true)
      const last = p1.items[1] as WebhookDelivery
      const p2 = await store.webhooks.deliveries(w.id, { limit: 2, before: { createdAt: last.createdAt, id: last.id } })
      expect(p2.items.map((d) => d.id)).toEqual([ds[0]?.id])
      expect(p2.more).toBe(false)
    })
  })
}
