/** putVersions, versionsOf, storedIds, removeFromCollection, exportLatest: append-only versions and memberships. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { PutOutcome } from '../port.js'
import { at, attackSample, hex, indicator, observable, sha256, toVersion, versionsOfOne } from './fixtures.js'
import { ids, kinds, listAll, newCollection, put, type GetStore } from './helpers.js'

const ALL = { first: false, last: false, all: true, versions: [] } as const

export function objectTests(s: GetStore): void {
  describe('objects: putVersions', () => {
    it('stores real ATT&CK objects, in input order, with increasing seqs', async () => {
      const store = s()
      const coll = await newCollection(store)
      const sample = attackSample(300)
      expect(new Set(sample.map((o) => o.type)).size).toBeGreaterThan(5)
      const out = await put(store, coll, sample, at(1000))
      expect(kinds(out)).toEqual(sample.map(() => 'added'))
      const seqs = out.map((o) => (o.kind === 'added' ? o.seq : -1))
      expect(seqs.every((q, i) => i === 0 || q > (seqs[i - 1] ?? Infinity))).toBe(true)
      expect(out.every((o) => o.kind === 'added' && o.stored)).toBe(true)
      expect(await store.collections.countObjects(coll)).toBe(300)

      const entries = await listAll(store, { collectionId: coll, withContent: true, versions: ALL })
      expect(entries.map((e) => e.seq)).toEqual(seqs)
      for (const [i, e] of entries.entries()) {
        const v = toVersion(sample[i] ?? sample[0]!)
        expect(e.stixId).toBe(v.stixId)
        expect(e.type).toBe(v.type)
        expect(e.specVersion).toBe('2.1')
        expect(e.version).toBe(v.modified ?? v.created)
        expect(e.dateAdded).toBe(at(1000))
        expect(e.json).toBe(v.json)
        expect(JSON.parse(e.json ?? 'null')).toEqual(sample[i])
        // A plain Uint8Array, not a driver Buffer.
        expect(Object.getPrototypeOf(e.contentHash)).toBe(Uint8Array.prototype)
        expect(hex(e.contentHash)).toBe(hex(v.contentHash))
      }
    })

    it('is idempotent: replaying a batch reports duplicates and changes nothing', async () => {
      const store = s()
      const coll = await newCollection(store)
      const sample = attackSample(120)
      await put(store, coll, sample, at(2000))
      const before = await listAll(store, { collectionId: coll, withContent: true, versions: ALL })
      const replay = await put(store, coll, sample, at(3000))
      expect(kinds(replay)).toEqual(sample.map(() => 'duplicate'))
      const after = await listAll(store, { collectionId: coll, withContent: true, versions: ALL })
      expect(after).toEqual(before)
      for (const o of sample.slice(0, 10)) expect(await store.objects.versionsOf(o.id)).toHaveLength(1)
    })

    it('storedIds: which ids have a stored version, in any collection, for any number of ids', async () => {
      const store = s()
      const c1 = await newCollection(store)
      const c2 = await newCollection(store)
      // More ids than one chunk of the engines' lookups; one object with several versions; one in two collections.
      const many = Array.from({ length: 1100 }, (_, i) => observable(`198.18.${i >> 8}.${i & 255}`))
      const revisions = versionsOfOne(indicator(1), 3)
      const elsewhere = indicator(2)
      expect(kinds(await put(store, c1, [...many, ...revisions], at(9000)))).toEqual([...many, ...revisions].map(() => 'added'))
      expect(kinds(await put(store, c2, [elsewhere], at(9001)))).toEqual(['added'])
      const unknown = Array.from({ length: 250 }, () => `sighting--${randomUUID()}`)
      const asked = [...unknown.slice(0, 120), ...many.map((o) => o.id), revisions[0]!.id, elsewhere.id, ...unknown.slice(120), many[3]!.id, revisions[0]!.id]
      expect(await store.objects.storedIds(asked)).toEqual(new Set([...many.map((o) => o.id), revisions[0]!.id, elsewhere.id]))
      expect(await store.objects.storedIds([])).toEqual(new Set())
      expect(await store.objects.storedIds(unknown)).toEqual(new Set())
      expect(await store.objects.storedIds([elsewhere.id])).toEqual(new Set([elsewhere.id]))
      // Removed from its collection, the version is still stored (as versionsOf says).
      expect(await store.objects.removeFromCollection(c2, elsewhere.id, {})).toHaveLength(1)
      expect((await store.objects.versionsOf(elsewhere.id)).length > 0).toBe(true)
      expect(await store.objects.storedIds([elsewhere.id])).toEqual(new Set([elsewhere.id]))
      // Inside a transaction: what it stored counts; rolled back, it does not.
      const fresh = indicator(3)
      const r = await store.transaction(async (tx) => {
        expect(await tx.objects.storedIds([fresh.id])).toEqual(new Set())
        await tx.objects.putVersions(c1, [toVersion(fresh)], at(9002))
        expect(await tx.objects.storedIds([fresh.id, many[0]!.id])).toEqual(new Set([fresh.id, many[0]!.id]))
        return { ok: false as const, error: { code: 'conflict' as const, detail: 'roll back' } }
      })
      expect(r.ok).toBe(false)
      expect(await store.objects.storedIds([fresh.id])).toEqual(new Set())
    })

    it('appends versions and never changes a stored one; same id and version key with new content is a conflict', async () => {
      const store = s()
      const coll = await newCollection(store)
      const base = attackSample(1)[0]!
      const revisions = versionsOfOne(base, 4, `attack-pattern--${randomUUID()}`)
      // Stored out of order: versionsOf still lists them oldest first.
      const order = [2, 0, 3, 1]
      for (const i of order) expect(kinds(await put(store, coll, [revisions[i]!], at(4000 + i)))).toEqual(['added'])
      const versions = await store.objects.versionsOf(revisions[0]!.id)
      expect(versions.map((v) => v.json)).toEqual(revisions.map((r) => JSON.stringify(r)))
      expect(versions.map((v) => v.versionKey)).toEqual(revisions.map((r) => toVersion(r).versionKey))

      const tampered = { ...revisions[1]!, description: 'rewritten history' }
      expect(kinds(await put(store, coll, [tampered], at(5000)))).toEqual(['conflict'])
      const other = await newCollection(store)
      expect(kinds(await put(store, other, [tampered], at(5000)))).toEqual(['conflict'])
      expect((await store.objects.versionsOf(revisions[0]!.id)).map((v) => v.json)).toEqual(versions.map((v) => v.json))
      expect(await store.collections.countObjects(other)).toBe(0)
    })

    it('detects duplicates and conflicts inside one batch', async () => {
      const store = s()
      const coll = await newCollection(store)
      const a = indicator(1)
      const aChanged = { ...a, name: 'same id and modified, other content' }
      const b = indicator(2)
      const out = await put(store, coll, [a, b, a, aChanged, b], at(6000))
      expect(kinds(out)).toEqual(['added', 'added', 'duplicate', 'conflict', 'duplicate'])
      expect(await store.collections.countObjects(coll)).toBe(2)
      expect((await store.objects.versionsOf(a.id)).map((v) => v.json)).toEqual([JSON.stringify(a)])

      // Items are judged in order against what is stored by then: a first item that conflicts with the
      // stored version does not stop a later, matching item from being added.
      const coll2 = await newCollection(store)
      const out2 = await put(store, coll2, [aChanged, a, a], at(6001))
      expect(out2[0]).toEqual({ kind: 'conflict' })
      expect(out2[1]).toMatchObject({ kind: 'added', stored: false })
      expect(out2[2]).toEqual({ kind: 'duplicate' })
    })

    it('adds a stored version to a second collection without storing it again', async () => {
      const store = s()
      const first = await newCollection(store)
      const second = await newCollection(store)
      const sample = attackSample(50)
      await put(store, first, sample, at(7000))
      const out = await put(store, second, sample, at(8000))
      expect(out.every((o: PutOutcome) => o.kind === 'added' && !o.stored)).toBe(true)
      expect(kinds(await put(store, second, sample, at(9000)))).toEqual(sample.map(() => 'duplicate'))
      expect(await store.objects.versionsOf(sample[0]!.id)).toHaveLength(1)
      const inSecond = await listAll(store, { collectionId: second, withContent: false, versions: ALL })
      expect(inSecond.map((e) => e.dateAdded)).toEqual(sample.map(() => at(8000)))
    })

    it('versions objects without timestamps by content, with version = date added', async () => {
      const store = s()
      const coll = await newCollection(store)
      const ip = observable('203.0.113.7')
      const marking = attackSample(400).find((o) => o.type === 'marking-definition')
      expect(marking).toBeDefined()
      await put(store, coll, [ip, marking!], at(10_000))
      const updated = { ...ip, value: '203.0.113.8' }
      const out = await put(store, coll, [updated], at(11_000))
      expect(out).toMatchObject([{ kind: 'added', stored: true }])
      const all = await listAll(store, { collectionId: coll, withContent: false, versions: ALL })
      const v = (id: string) => all.filter((e) => e.stixId === id).map((e) => e.version)
      expect(v(ip.id)).toEqual([at(10_000), at(11_000)])
      expect(v(marking!.id)).toEqual([toVersion(marking!).created])
      expect((await store.objects.versionsOf(ip.id)).map((x) => x.versionKey)).toEqual(
        [ip, updated].map((o) => `h:${hex(sha256(JSON.stringify(o)))}`),
      )

      // Two contents of one observable added at the same time share a TAXII version: `last` returns
      // both (they are equally latest); an export picks one, the one added last.
      const twin = await newCollection(store)
      const a = observable('192.0.2.1')
      const b = { ...a, value: '192.0.2.2' }
      await put(store, twin, [a, b], at(12_500))
      const latest = await store.objects.query({ collectionId: twin, limit: 10, withContent: true })
      expect(latest.items.map((e) => e.json)).toEqual([a, b].map((o) => JSON.stringify(o)))
      const exported: string[] = []
      for await (const batch of store.objects.exportLatest(twin, 10)) exported.push(...batch)
      expect(exported).toEqual([JSON.stringify(b)])
    })

    it('stores a batch larger than one statement can bind (5,000 items)', async () => {
      const store = s()
      const coll = await newCollection(store)
      const many = Array.from({ length: 5000 }, (_, i) => indicator(i))
      const out = await put(store, coll, many, at(12_000))
      expect(out.filter((o) => o.kind === 'added')).toHaveLength(5000)
      expect(kinds(await put(store, coll, many.slice(0, 3000), at(12_001)))).toEqual(many.slice(0, 3000).map(() => 'duplicate'))
      expect(await store.collections.countObjects(coll)).toBe(5000)
    })

    it('accepts an empty batch', async () => {
      const store = s()
      expect(await store.objects.putVersions(await newCollection(store), [], at(0))).toEqual([])
    })
  })

  describe('objects: removeFromCollection', () => {
    it('removes memberships and keeps the stored versions and other collections', async () => {
      const store = s()
      const a = await newCollection(store)
      const b = await newCollection(store)
      const revisions = versionsOfOne(attackSample(1)[0]!, 3, `attack-pattern--${randomUUID()}`)
      const id = revisions[0]!.id
      await put(store, a, revisions, at(20_000))
      await put(store, b, revisions, at(20_000))
      const keep = indicator(7)
      await put(store, a, [keep], at(20_001))

      // Only the latest version.
      const removedLatest = await store.objects.removeFromCollection(a, id, { versions: { first: false, last: true, all: false, versions: [] } })
      // What was removed is named, so the transparency log can record it.
      expect(removedLatest.map((r) => [r.stixId, r.versionKey, r.type, r.revoked])).toEqual([[id, toVersion(revisions[2]!).versionKey, revisions[2]!.type, false]])
      expect(Buffer.from(removedLatest[0]!.contentHash).toString('hex')).toBe(Buffer.from(toVersion(revisions[2]!).contentHash).toString('hex'))
      // Now the latest *in this collection* is revision 2.
      const latest = await store.objects.query({ collectionId: a, ids: [id], limit: 10, withContent: true })
      expect(latest.items.map((e) => e.json)).toEqual([JSON.stringify(revisions[1])])
      // An explicit version, and a spec version that does not match (nothing removed).
      expect(await store.objects.removeFromCollection(a, id, { specVersions: ['2.0'] })).toHaveLength(0)
      const firstVersion = toVersion(revisions[0]!).modified!
      expect(await store.objects.removeFromCollection(a, id, { versions: { first: false, last: false, all: false, versions: [firstVersion] } })).toHaveLength(1)
      // No filter: every remaining version.
      expect(await store.objects.removeFromCollection(a, id, {})).toHaveLength(1)
      expect(await store.objects.removeFromCollection(a, id, {})).toHaveLength(0)

      expect(ids(await listAll(store, { collectionId: a, withContent: false, versions: ALL }))).toEqual([keep.id])
      expect(await listAll(store, { collectionId: b, withContent: false, versions: ALL })).toHaveLength(3)
      expect(await store.objects.versionsOf(id)).toHaveLength(3)
      // A removed version can be added again (a new membership, not a new version).
      expect(await put(store, a, [revisions[0]!], at(21_000))).toMatchObject([{ kind: 'added', stored: false }])
    })
  })

  describe('objects: exportLatest', () => {
    it('yields the latest version of every object, in batches, per collection and across collections', async () => {
      const store = s()
      const a = await newCollection(store)
      const b = await newCollection(store)
      const sample = attackSample(230)
      await put(store, a, sample, at(30_000))
      const revisions = versionsOfOne(sample[0]!, 3, `attack-pattern--${randomUUID()}`)
      await put(store, a, [revisions[2]!, revisions[0]!], at(30_001))
      await put(store, b, [revisions[1]!], at(30_002))
      const gone = indicator(9)
      await put(store, b, [gone], at(30_003))
      await store.objects.removeFromCollection(b, gone.id, {})

      const batches: (readonly string[])[] = []
      for await (const batch of store.objects.exportLatest(a, 50)) batches.push(batch)
      expect(batches.every((x) => x.length > 0 && x.length <= 50)).toBe(true)
      const exported = batches.flat().map((j) => JSON.parse(j) as { id: string })
      expect(exported).toHaveLength(231)
      expect(new Set(exported.map((o) => o.id)).size).toBe(231)
      expect(exported.find((o) => o.id === revisions[0]!.id)).toEqual(revisions[2])

      const inB: string[] = []
      for await (const batch of store.objects.exportLatest(b, 1)) inB.push(...batch)
      expect(inB).toEqual([JSON.stringify(revisions[1])])

      // Across collections (the store is shared with other tests: check our objects only).
      const everywhere = new Map<string, string>()
      for await (const batch of store.objects.exportLatest(null, 97))
        for (const j of batch) {
          const o = JSON.parse(j) as { id: string }
          expect(everywhere.has(o.id)).toBe(false)
          everywhere.set(o.id, j)
        }
      expect(everywhere.get(revisions[0]!.id)).toBe(JSON.stringify(revisions[2]))
      for (const o of sample) expect(everywhere.get(o.id)).toBe(JSON.stringify(o))
      expect(everywhere.has(gone.id)).toBe(false)
    })
  })
}
