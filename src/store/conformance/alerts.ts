/** Correlation alerts (AlertStore) and the membership scan correlation rebuilds its index from. */
import { createHash, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ok } from '../../core/shared/result.js'
import type { Alert, LogHashing } from '../port.js'
import { indicator, make, observable, toVersion } from './fixtures.js'
import { newCollection, unwrap, type GetStore } from './helpers.js'

const hashing: LogHashing = {
  leafHash: (text) => new Uint8Array(createHash('sha256').update(Buffer.from([0])).update(text).digest()),
  nodeHash: (l, r) => new Uint8Array(createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest()),
}

function alert(orgId: string, createdAt: string, over: Partial<Alert> = {}): Alert {
  return {
    id: randomUUID(),
    orgId,
    createdAt,
    kind: 'indicator_sighted',
    indicatorId: `indicator--${randomUUID()}`,
    sightingId: `sighting--${randomUUID()}`,
    observationId: `observed-data--${randomUUID()}`,
    value: '198.51.100.7',
    detail: { value: '198.51.100.7', count: 2, reporter: null },
    suppressed: null,
    readAt: null,
    ...over,
  }
}

export function alertTests(s: GetStore): void {
  describe('alerts', () => {
    it('adds, ignores a second alert for the same (org, sighting), gets and lists newest first with a keyset', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const other = unwrap(await store.orgs.create(make.org()))
      const a1 = alert(org.id, '2026-02-01T00:00:00.000001Z')
      const a2 = alert(org.id, '2026-02-01T00:00:00.000002Z', { kind: 'observation_matched', value: null, detail: { indicator: null, note: 'an indicator of another organisation' } })
      const a3 = alert(org.id, '2026-02-01T00:00:00.000003Z')
      const theirs = alert(other.id, '2026-02-01T00:00:00.000004Z', { sightingId: a1.sightingId })
      expect((await store.alerts.add([a1, a2, a3, theirs])).map((a) => a.id)).toEqual([a1.id, a2.id, a3.id, theirs.id])
      // Same org and sighting again (a re-correlation): nothing added, the first stays.
      const again = alert(org.id, '2026-02-02T00:00:00.000000Z', { sightingId: a1.sightingId, detail: { changed: true } })
      expect(await store.alerts.add([again])).toEqual([])
      expect(await store.alerts.get(again.id)).toBeNull()
      expect(await store.alerts.get(a1.id)).toEqual(a1)
      expect(await store.alerts.get(a2.id)).toEqual(a2)

      const p1 = await store.alerts.list({ orgId: org.id, suppressed: false, limit: 2 })
      expect(p1.items.map((a) => a.id)).toEqual([a3.id, a2.id])
      expect(p1.more).toBe(true)
      const last = p1.items[1] as Alert
      const p2 = await store.alerts.list({ orgId: org.id, suppressed: false, limit: 2, before: { createdAt: last.createdAt, id: last.id } })
      expect(p2.items.map((a) => a.id)).toEqual([a1.id])
      expect(p2.more).toBe(false)
      // Without an org: every organisation's (the other org's alert is the newest).
      const all = await store.alerts.list({ suppressed: false, limit: 1000 })
      expect(all.items.map((a) => a.id).slice(0, 1)).toEqual([theirs.id])
      expect(all.items.map((a) => a.id)).toEqual(expect.arrayContaining([a1.id, a2.id, a3.id, theirs.id]))
    })

    it('answers which sightings an organisation has an alert for, for any number of ids, suppressed ones included', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const other = unwrap(await store.orgs.create(make.org()))
      // More ids than one chunk of the engines' lookups, with repeats and ids of nobody's alerts.
      const mine = Array.from({ length: 1234 }, (_, i) => alert(org.id, `2026-07-01T00:00:00.${String(i).padStart(6, '0')}Z`, i % 5 === 0 ? { suppressed: 'over-correlated (101 indicators)' } : {}))
      const theirs = alert(other.id, '2026-07-02T00:00:00.000000Z')
      expect(await store.alerts.add([...mine, theirs])).toHaveLength(mine.length + 1)
      const unknown = Array.from({ length: 321 }, () => `sighting--${randomUUID()}`)
      const asked = [...unknown.slice(0, 100), ...mine.map((a) => a.sightingId), theirs.sightingId, ...unknown.slice(100), mine[7]!.sightingId]
      expect(await store.alerts.alertedSightings(org.id, asked)).toEqual(new Set(mine.map((a) => a.sightingId)))
      expect(await store.alerts.alertedSightings(other.id, asked)).toEqual(new Set([theirs.sightingId]))
      expect(await store.alerts.alertedSightings(org.id, [])).toEqual(new Set())
      expect(await store.alerts.alertedSightings(org.id, [unknown[0]!])).toEqual(new Set())
      expect(await store.alerts.alertedSightings(org.id, [mine[0]!.sightingId])).toEqual(new Set([mine[0]!.sightingId]))
      // Exactly what `add` would leave out.
      const again = mine.slice(0, 3).map((a) => alert(org.id, '2026-07-03T00:00:00.000000Z', { sightingId: a.sightingId }))
      expect(await store.alerts.add([...again, alert(org.id, '2026-07-03T00:00:00.000000Z', { sightingId: unknown[1]! })])).toHaveLength(1)
      expect(await store.alerts.alertedSightings(org.id, unknown.slice(0, 3))).toEqual(new Set([unknown[1]]))
    })

    it('answers alerted sightings inside a transaction, with what it added', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const a = alert(org.id, '2026-07-04T00:00:00.000000Z')
      const r = await store.transaction(async (tx) => {
        expect(await tx.alerts.alertedSightings(org.id, [a.sightingId])).toEqual(new Set())
        await tx.alerts.add([a])
        expect(await tx.alerts.alertedSightings(org.id, [a.sightingId])).toEqual(new Set([a.sightingId]))
        return { ok: false as const, error: { code: 'conflict' as const, detail: 'roll back' } }
      })
      expect(r.ok).toBe(false)
      expect(await store.alerts.alertedSightings(org.id, [a.sightingId])).toEqual(new Set())
    })

    it('keeps suppressed matches apart from alerts', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const shown = alert(org.id, '2026-03-01T00:00:00.000000Z')
      const hidden = alert(org.id, '2026-03-01T00:00:01.000000Z', { suppressed: 'warninglist: List of known IPv4 public DNS resolvers', value: '8.8.8.8' })
      await store.alerts.add([shown, hidden])
      expect((await store.alerts.list({ orgId: org.id, suppressed: false, limit: 10 })).items.map((a) => a.id)).toEqual([shown.id])
      const sup = await store.alerts.list({ orgId: org.id, suppressed: true, limit: 10 })
      expect(sup.items).toEqual([hidden])
    })

    it('marks an alert read once (the first time is kept)', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const a = alert(org.id, '2026-04-01T00:00:00.000000Z')
      await store.alerts.add([a])
      expect((await store.alerts.markRead(a.id, '2026-04-02T00:00:00.000000Z'))?.readAt).toBe('2026-04-02T00:00:00.000000Z')
      expect((await store.alerts.markRead(a.id, '2026-04-03T00:00:00.000000Z'))?.readAt).toBe('2026-04-02T00:00:00.000000Z')
      expect(await store.alerts.markRead(randomUUID(), '2026-04-03T00:00:00.000000Z')).toBeNull()
    })

    it('adds inside a transaction and rolls back with it', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const a = alert(org.id, '2026-05-01T00:00:00.000000Z')
      const r = await store.transaction(async (tx) => {
        expect(await tx.alerts.add([a])).toHaveLength(1)
        return { ok: false as const, error: { code: 'conflict' as const, detail: 'roll back' } }
      })
      expect(r.ok).toBe(false)
      expect(await store.alerts.get(a.id)).toBeNull()
    })
  })

  describe('scanMembers', () => {
    it('returns memberships of the given types in seq order with the log entry that added them', async () => {
      const store = s()
      const c1 = await newCollection(store)
      const c2 = await newCollection(store)
      const ind = indicator(1)
      const obs = observable('203.0.113.9')
      const start = (await store.objects.scanMembers({ types: ['indicator', 'ipv4-addr'], afterSeq: 0, limit: 1_000_000 })).reduce((m, r) => Math.max(m, r.seq), 0)
      const entryOf = (c: string, id: string) => JSON.stringify({ kind: 'object.added', by: { org: 'o-1' }, collection: c, object: { id } })
      unwrap(
        await store.transaction(async (tx) => {
          const [o1] = await tx.objects.putVersions(c1, [toVersion(ind)], '2026-06-01T00:00:00.000000Z')
          const [o2] = await tx.objects.putVersions(c2, [toVersion(obs)], '2026-06-01T00:00:01.000000Z')
          if (o1?.kind !== 'added' || o2?.kind !== 'added') throw new Error('not added')
          await tx.log.append(
            [{ kind: 'object.added', at: '2026-06-01T00:00:00.000000Z', text: entryOf(c1, ind.id), collectionId: c1, objectSeq: o1.objectSeq }],
            hashing,
          )
          return ok(null)
        }),
      )
      // The same indicator version in a second collection, without a log entry.
      await store.objects.putVersions(c2, [toVersion(ind)], '2026-06-01T00:00:02.000000Z')
      const rows = await store.objects.scanMembers({ types: ['indicator', 'ipv4-addr'], afterSeq: start, limit: 100 })
      expect(rows.map((r) => [r.collectionId, r.stixId, r.type])).toEqual([
        [c1, ind.id, 'indicator'],
        [c2, obs.id, 'ipv4-addr'],
        [c2, ind.id, 'indicator'],
      ])
      expect(rows[0]?.logEntry).toBe(entryOf(c1, ind.id))
      expect(rows[1]?.logEntry).toBeNull()
      expect(rows[2]?.logEntry).toBeNull()
      expect(JSON.parse(rows[0]?.json ?? '{}')).toMatchObject({ id: ind.id, pattern: ind.pattern })
      expect(rows[0]?.objectSeq).toBe(rows[2]?.objectSeq)
      expect(rows[1]?.dateAdded).toBe('2026-06-01T00:00:01.000000Z')
      // Paging and type filtering.
      const first = rows[0]?.seq ?? 0
      expect((await store.objects.scanMembers({ types: ['indicator', 'ipv4-addr'], afterSeq: first, limit: 1 })).map((r) => r.stixId)).toEqual([obs.id])
      expect((await store.objects.scanMembers({ types: ['ipv4-addr'], afterSeq: start, limit: 100 })).map((r) => r.stixId)).toEqual([obs.id])
      expect(await store.objects.scanMembers({ types: [], afterSeq: start, limit: 100 })).toEqual([])
    })
  })
}
