/** store.transaction: Result-aware commit and rollback, isolation from concurrent work, misuse guards. */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { err, ok } from '../../core/shared/result.js'
import { at, indicator, make, toVersion } from './fixtures.js'
import { newCollection, unwrap, type GetStore } from './helpers.js'

export function transactionTests(s: GetStore): void {
  describe('transactions', () => {
    it('commits when fn returns ok; the Tx sees its own writes', async () => {
      const store = s()
      const coll = await newCollection(store)
      const key = `tx.${randomUUID()}`
      const obj = indicator(1)
      const r = await store.transaction(async (tx) => {
        await tx.meta.set(key, 'committed')
        const out = await tx.objects.putVersions(coll, [toVersion(obj)], at(1))
        expect(await tx.meta.get(key)).toBe('committed')
        expect(await tx.collections.countObjects(coll)).toBe(1)
        return ok(out.length)
      })
      expect(r).toEqual({ ok: true, value: 1 })
      expect(await store.meta.get(key)).toBe('committed')
      expect(await store.objects.versionsOf(obj.id)).toHaveLength(1)
    })

    it('rolls back everything when fn returns err, and passes the Result through', async () => {
      const store = s()
      const coll = await newCollection(store)
      const key = `tx.${randomUUID()}`
      const obj = indicator(2)
      const org = make.org()
      const r = await store.transaction(async (tx) => {
        await tx.meta.set(key, 'written')
        unwrap(await tx.orgs.create(org))
        await tx.objects.putVersions(coll, [toVersion(obj)], at(2))
        return err({ code: 'forbidden', reason: 'tlp' } as const)
      })
      expect(r).toEqual({ ok: false, error: { code: 'forbidden', reason: 'tlp' } })
      expect(await store.meta.get(key)).toBeNull()
      expect(await store.orgs.get(org.id)).toBeNull()
      expect(await store.objects.versionsOf(obj.id)).toEqual([])
      expect(await store.collections.countObjects(coll)).toBe(0)
    })

    it('rolls back everything when fn throws, and rethrows the same error', async () => {
      const store = s()
      const coll = await newCollection(store)
      const key = `tx.${randomUUID()}`
      const obj = indicator(3)
      const boom = new Error('disk full')
      await expect(
        store.transaction(async (tx) => {
          await tx.meta.set(key, 'written')
          await tx.objects.putVersions(coll, [toVersion(obj)], at(3))
          throw boom
        }),
      ).rejects.toBe(boom)
      expect(await store.meta.get(key)).toBeNull()
      expect(await store.objects.versionsOf(obj.id)).toEqual([])
    })

    it('a unique conflict inside a transaction is a Result and leaves the transaction usable', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const key = `tx.${randomUUID()}`
      const r = await store.transaction(async (tx) => {
        const dup = await tx.orgs.create(make.org({ name: org.name }))
        expect(dup).toMatchObject({ ok: false, error: { code: 'conflict' } })
        const c = make.collection({ alias: `a-${randomUUID()}` })
        unwrap(await tx.collections.create(c))
        expect(await tx.collections.create(make.collection({ alias: c.alias }))).toMatchObject({ ok: false })
        await tx.meta.set(key, 'after the conflicts')
        return ok(true)
      })
      expect(r.ok).toBe(true)
      expect(await store.meta.get(key)).toBe('after the conflicts')
    })

    it('keeps concurrent work out of a transaction that rolls back', async () => {
      const store = s()
      const inside = `tx.${randomUUID()}`
      const outside = `tx.${randomUUID()}`
      const other = `tx.${randomUUID()}`
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      const doomed = store.transaction(async (tx) => {
        await tx.meta.set(inside, 'uncommitted')
        await gate
        return err({ code: 'conflict', detail: 'rolled back on purpose' })
      })
      await sleep(20)
      // Started while the transaction is open: neither may become part of it.
      const plainWrite = store.meta.set(outside, 'independent')
      const plainRead = store.meta.get(inside)
      const otherTx = store.transaction(async (tx) => {
        await tx.meta.set(other, 'committed')
        return ok(null)
      })
      await sleep(20)
      release()
      expect((await doomed).ok).toBe(false)
      await plainWrite
      expect(await plainRead).toBeNull()
      expect((await otherTx).ok).toBe(true)
      expect(await store.meta.get(inside)).toBeNull()
      expect(await store.meta.get(outside)).toBe('independent')
      expect(await store.meta.get(other)).toBe('committed')
    })

    it('runs concurrent transactions without mixing their statements', async () => {
      const store = s()
      const coll = await newCollection(store)
      const events: string[] = []
      const run = (name: string, n: number, fail: boolean) =>
        store.transaction(async (tx) => {
          events.push(`${name}:start`)
          for (let i = 0; i < 5; i++) {
            await tx.meta.set(`${coll}.${name}`, String(i))
            await tx.objects.putVersions(coll, [toVersion(indicator(n * 10 + i))], at(n))
            await sleep(1)
            expect(await tx.meta.get(`${coll}.${name}`)).toBe(String(i))
          }
          events.push(`${name}:end`)
          return fail ? err({ code: 'conflict', detail: name }) : ok(name)
        })
      const results = await Promise.all([run('a', 1, false), run('b', 2, true), run('c', 3, false), run('d', 4, true)])
      expect(results.map((r) => r.ok)).toEqual([true, false, true, false])
      expect(await store.collections.countObjects(coll)).toBe(10)
      expect(await store.meta.get(`${coll}.a`)).toBe('4')
      expect(await store.meta.get(`${coll}.b`)).toBeNull()
      if (!store.capabilities.multipleConnections) {
        // One connection (SQLite): transactions run strictly one after the other, in call order.
        expect(events).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end', 'd:start', 'd:end'])
      }
    })

    it('refuses nested transactions, root calls inside a transaction, and a Tx used after it ended', async () => {
      const store = s()
      let leaked: Parameters<Parameters<typeof store.transaction>[0]>[0] | undefined
      const r = await store.transaction(async (tx) => {
        leaked = tx
        await expect(store.transaction(async () => ok(1))).rejects.toThrow(/nested/)
        await expect(store.meta.get('x')).rejects.toThrow(/use the tx/)
        await expect(store.objects.putVersions(randomUUID(), [toVersion(indicator(1))], at(0))).rejects.toThrow(/use the tx/)
        return ok('done')
      })
      expect(r).toEqual({ ok: true, value: 'done' })
      await expect(leaked!.meta.get('x')).rejects.toThrow(/after its transaction ended/)
      // The store is still fine.
      expect(await store.ping()).toBe(true)
    })
  })
}
