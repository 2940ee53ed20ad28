/** ObjectStore.query: every TAXII filter, their combinations, versions, keyset pagination, `more`. */
import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ObjectQuery, Store, VersionFilter } from '../port.js'
import { at, attackSample, indicator, toVersion, versionsOfOne, type StixObject } from './fixtures.js'
import { ids, listAll, newCollection, put, type GetStore } from './helpers.js'

const V = (f: Partial<VersionFilter>): VersionFilter => ({ first: false, last: false, all: false, versions: [], ...f })

export function queryTests(s: GetStore): void {
  describe('objects: query filters', () => {
    // One collection, built once: ATT&CK objects added at three times, an object with three versions
    // (the last one only in another collection), and two legacy 2.0 objects.
    let store: Store
    let coll: string
    let other: string
    let early: StixObject[]
    let middle: StixObject[]
    let revisions: StixObject[]
    let legacy: StixObject[]
    const q = (extra: Partial<ObjectQuery>) => listAll(store, { collectionId: coll, withContent: false, ...extra }, 7)

    beforeAll(async () => {
      store = s()
      coll = await newCollection(store)
      other = await newCollection(store)
      const sample = attackSample(90)
      early = sample.slice(0, 40)
      middle = sample.slice(40)
      revisions = versionsOfOne(sample[0]!, 3, `attack-pattern--${randomUUID()}`)
      legacy = [indicator(1, { spec_version: '2.0' }), indicator(2, { spec_version: '2.0' })]
      await put(store, coll, early, at(100_000))
      await put(store, coll, [revisions[0]!, ...middle], at(200_000))
      await put(store, coll, [revisions[1]!, ...legacy], at(300_000))
      await put(store, other, revisions, at(300_000))
    })

    it('defaults to the latest version of each object, in (date added, seq) order', async () => {
      const all = await q({})
      expect(ids(all)).toEqual([...early, ...middle, revisions[1]!, ...legacy].map((o) => o.id))
      expect(all.map((e) => e.dateAdded)).toEqual([...early.map(() => at(100_000)), ...middle.map(() => at(200_000)), ...[0, 1, 2].map(() => at(300_000))])
    })

    it('addedAfter is strictly after', async () => {
      expect(ids(await q({ addedAfter: at(200_000) }))).toEqual([revisions[1]!, ...legacy].map((o) => o.id))
      expect(ids(await q({ addedAfter: at(199_999, 999) }))).toEqual([...middle, revisions[1]!, ...legacy].map((o) => o.id))
      expect(await q({ addedAfter: at(300_000) })).toEqual([])
    })

    it('ids, types and specVersions are IN lists', async () => {
      const pick = [early[3]!, middle[5]!, legacy[0]!]
      expect(ids(await q({ ids: pick.map((o) => o.id) }))).toEqual(pick.map((o) => o.id))
      const types = new Set([...early, ...middle].map((o) => o.type))
      expect(types.size).toBeGreaterThan(3)
      const [t1, t2] = [...types]
      const want = [...early, ...middle, revisions[1]!, ...legacy].filter((o) => o.type === t1 || o.type === t2)
      expect(ids(await q({ types: [t1!, t2!] }))).toEqual(want.map((o) => o.id))
      expect(ids(await q({ specVersions: ['2.0'] }))).toEqual(legacy.map((o) => o.id))
      expect(ids(await q({ specVersions: ['2.0', '2.1'] }))).toHaveLength(early.length + middle.length + 3)
      expect(await q({ ids: [] })).toEqual([])
      expect(await q({ types: [] })).toEqual([])
      expect(await q({ ids: [`indicator--${randomUUID()}`] })).toEqual([])
    })

    it('combines filters with AND', async () => {
      const t = middle[2]!.type
      const want = middle.filter((o) => o.type === t)
      expect(ids(await q({ types: [t], addedAfter: at(100_000), specVersions: ['2.1'] }))).toEqual(want.map((o) => o.id))
      // early[0] was added before want[0]; it is returned only when it has the type too.
      const both = [early[0]!, want[0]!].filter((o) => o.type === t)
      expect(ids(await q({ types: [t], ids: [want[0]!.id, early[0]!.id] }))).toEqual(both.map((o) => o.id))
      expect(await q({ types: ['indicator'], specVersions: ['2.1'], addedAfter: at(200_000) })).toEqual([])
      expect(ids(await q({ types: ['indicator'], specVersions: ['2.0'], ids: [legacy[1]!.id] }))).toEqual([legacy[1]!.id])
    })

    it('versions: first, last, all, explicit, OR-ed; first and last are per collection', async () => {
      const id = revisions[0]!.id
      const ver = (o: StixObject) => toVersion(o).modified!
      const versionsOf = async (f: VersionFilter, collectionId = coll) =>
        (await listAll(store, { collectionId, ids: [id], versions: f, withContent: false })).map((e) => e.version)
      expect(await versionsOf(V({ last: true }))).toEqual([ver(revisions[1]!)])
      expect(await versionsOf(V({ first: true }))).toEqual([ver(revisions[0]!)])
      expect(await versionsOf(V({ all: true }))).toEqual([ver(revisions[0]!), ver(revisions[1]!)])
      expect(await versionsOf(V({ first: true, last: true }))).toEqual([ver(revisions[0]!), ver(revisions[1]!)])
      expect(await versionsOf(V({ versions: [ver(revisions[1]!), ver(revisions[2]!)] }))).toEqual([ver(revisions[1]!)])
      expect(await versionsOf(V({ first: true, versions: [ver(revisions[0]!)] }))).toEqual([ver(revisions[0]!)])
      expect(await versionsOf(V({}))).toEqual([])
      // In the other collection, which holds all three versions, `last` is the third.
      expect(await versionsOf(V({ last: true }), other)).toEqual([ver(revisions[2]!)])
      expect(await versionsOf(V({ first: true, last: true, versions: [ver(revisions[1]!)] }), other)).toEqual(revisions.map(ver))
      // `all` over the whole collection lists every membership.
      expect(await q({ versions: V({ all: true }) })).toHaveLength(early.length + middle.length + 4)
      // Versions combine with the other filters.
      expect(await q({ versions: V({ first: true }), addedAfter: at(200_000), types: [revisions[0]!.type] })).toEqual([])
    })

    it('returns content only when asked', async () => {
      const [withJson] = (await store.objects.query({ collectionId: coll, limit: 1, withContent: true })).items
      const [without] = (await store.objects.query({ collectionId: coll, limit: 1, withContent: false })).items
      expect(withJson?.json).toBe(JSON.stringify(early[0]))
      expect(without).toBeDefined()
      expect(without && 'json' in without).toBe(false)
      const { json: _json, ...rest } = withJson!
      expect(without).toEqual(rest)
    })

    it('sets `more` exactly', async () => {
      const total = (await q({})).length
      const page = (limit: number) => store.objects.query({ collectionId: coll, limit, withContent: false })
      expect((await page(total)).more).toBe(false)
      expect((await page(total)).items).toHaveLength(total)
      expect((await page(total - 1)).more).toBe(true)
      expect((await page(total - 1)).items).toHaveLength(total - 1)
      expect((await page(total + 5)).more).toBe(false)
      const first = await page(1)
      expect(first.items).toHaveLength(1)
      expect(first.more).toBe(true)
    })
  })

  describe('objects: keyset pagination', () => {
    it('pages through 5,000 rows sharing one date added without losing or repeating any', async () => {
      const store = s()
      const coll = await newCollection(store)
      const dateAdded = at(500_000)
      // Every third one a malware object, for a filtered walk over the same rows.
      const many = Array.from({ length: 5000 }, (_, i) =>
        indicator(i, i % 3 === 0 ? { type: 'malware', id: `malware--${randomUUID()}`, is_family: false } : {}),
      )
      await put(store, coll, [indicator(-1)], at(499_999))
      await put(store, coll, many, dateAdded)
      await put(store, coll, [indicator(-2)], at(500_001))

      const full = await store.objects.query({ collectionId: coll, limit: 10_000, withContent: false })
      expect(full.more).toBe(false)
      expect(full.items).toHaveLength(5002)

      for (const limit of [1000, 137]) {
        const seen: number[] = []
        let after: { dateAdded: string; seq: number } | undefined
        let pages = 0
        for (;;) {
          const page = await store.objects.query({ collectionId: coll, limit, withContent: false, ...(after ? { after } : {}) })
          pages++
          seen.push(...page.items.map((e) => e.seq))
          const last = page.items[page.items.length - 1]
          if (!page.more) break
          expect(page.items).toHaveLength(limit)
          after = { dateAdded: last!.dateAdded, seq: last!.seq }
        }
        expect(pages).toBe(Math.ceil(5002 / limit))
        expect(seen).toEqual(full.items.map((e) => e.seq))
      }

      // A position in the middle of the shared date_added, combined with a filter.
      const mid = full.items[2500]!
      const rest = await listAll(store, { collectionId: coll, withContent: false, addedAfter: at(499_999, 999) }, 500)
      expect(rest.map((e) => e.seq)).toEqual(full.items.slice(1).map((e) => e.seq))
      const tail = await store.objects.query({ collectionId: coll, limit: 10_000, withContent: false, after: { dateAdded: mid.dateAdded, seq: mid.seq } })
      expect(tail.items.map((e) => e.seq)).toEqual(full.items.slice(2501).map((e) => e.seq))
      const typed = await listAll(store, { collectionId: coll, withContent: false, types: ['indicator'] }, 333)
      expect(typed.map((e) => e.seq)).toEqual(full.items.filter((e) => e.type === 'indicator').map((e) => e.seq))
      expect(typed).toHaveLength(2 + 5000 - Math.ceil(5000 / 3))
    })
  })
}
