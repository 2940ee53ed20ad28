/** TAXII statuses, import jobs, node metadata. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../core/shared/limits.js'
import type { ImportFailure } from '../port.js'
import { make } from './fixtures.js'
import { newCollection, unwrap, type GetStore } from './helpers.js'

const failure = (index: number): ImportFailure => ({
  index,
  id: index % 2 ? `indicator--${randomUUID()}` : null,
  code: 'stix_invalid',
  message: `object ${index} is not valid`,
  ...(index % 3 ? { pointer: `/objects/${index}/pattern` } : {}),
})

export function recordTests(s: GetStore): void {
  describe('TAXII statuses', () => {
    it('puts (insert or replace), gets, and purges by request time', async () => {
      const store = s()
      const coll = await newCollection(store)
      const org = unwrap(await store.orgs.create(make.org()))
      const pending = make.status(coll, org.id, {
        status: 'pending',
        requestTimestamp: '2026-01-01T00:00:00.000001Z',
        pendingCount: 1,
        pendings: [{ id: 'indicator--5d6a2f8e-1b3c-4e5f-9a7b-0c1d2e3f4a5b', version: '2026-01-01T00:00:00.000Z' }],
      })
      await store.statuses.put(pending)
      expect(await store.statuses.get(pending.id)).toEqual(pending)
      const done = { ...pending, status: 'complete' as const, pendingCount: 0, successCount: 2, pendings: [], successes: [...pending.successes, ...pending.pendings] }
      await store.statuses.put(done)
      expect(await store.statuses.get(pending.id)).toEqual(done)
      expect(await store.statuses.get(randomUUID())).toBeNull()

      const newer = make.status(coll, org.id, { requestTimestamp: '2026-01-02T00:00:00.000000Z' })
      await store.statuses.put(newer)
      expect(await store.statuses.purge('2026-01-01T00:00:00.000001Z')).toBe(0) // strictly before
      expect(await store.statuses.purge('2026-01-01T00:00:00.000002Z')).toBeGreaterThanOrEqual(1)
      expect(await store.statuses.get(pending.id)).toBeNull()
      expect(await store.statuses.get(newer.id)).toEqual(newer)
    })
  })

  describe('import jobs', () => {
    it('creates, finds the running job to resume, advances, finishes', async () => {
      const store = s()
      const coll = await newCollection(store)
      const job = await store.jobs.create(make.job(coll, { createdAt: '2026-01-05T00:00:00.000000Z', updatedAt: '2026-01-05T00:00:00.000000Z' }))
      expect(await store.jobs.get(job.id)).toEqual(job)
      expect(await store.jobs.findRunning(coll, job.fingerprint)).toEqual(job)
      expect(await store.jobs.findRunning(coll, 'another file')).toBeNull()

      const firstFailures = [failure(4), failure(5), failure(6)]
      await store.jobs.advance(job.id, { processed: 2000, added: 1990, duplicates: 7, failed: 3, newFailures: firstFailures, at: '2026-01-05T00:01:00.000000Z' })
      await store.jobs.advance(job.id, { processed: 4000, added: 2000, duplicates: 0, failed: 0, newFailures: [], at: '2026-01-05T00:02:00.000000Z' })
      expect(await store.jobs.get(job.id)).toEqual({
        ...job,
        processed: 4000,
        added: 3990,
        duplicates: 7,
        failed: 3,
        failures: firstFailures,
        updatedAt: '2026-01-05T00:02:00.000000Z',
      })

      await store.jobs.finish(job.id, 'completed', null, '2026-01-05T00:03:00.000000Z')
      expect(await store.jobs.findRunning(coll, job.fingerprint)).toBeNull()
      expect(await store.jobs.get(job.id)).toMatchObject({ state: 'completed', error: null, updatedAt: '2026-01-05T00:03:00.000000Z' })
      const failed = await store.jobs.create(make.job(coll, { createdAt: '2026-01-06T00:00:00.000000Z' }))
      await store.jobs.finish(failed.id, 'failed', 'disk full', '2026-01-06T00:00:01.000000Z')
      expect(await store.jobs.get(failed.id)).toMatchObject({ state: 'failed', error: 'disk full' })
      expect(await store.jobs.get(randomUUID())).toBeNull()
    })

    it('keeps failures verbatim up to the limit and the counts exact', async () => {
      const store = s()
      const coll = await newCollection(store)
      const max = LIMITS.maxReportedFailures
      const existing = Array.from({ length: max - 2 }, (_, i) => failure(i))
      const job = await store.jobs.create(make.job(coll, { failed: max - 2, failures: existing }))
      const batch = Array.from({ length: 5 }, (_, i) => failure(max - 2 + i))
      await store.jobs.advance(job.id, { processed: max + 3, added: 0, duplicates: 0, failed: 5, newFailures: batch, at: '2026-01-07T00:00:00.000000Z' })
      const after = await store.jobs.get(job.id)
      expect(after?.failed).toBe(max + 3)
      expect(after?.failures).toHaveLength(max)
      expect(after?.failures.slice(-2)).toEqual(batch.slice(0, 2))
      await store.jobs.advance(job.id, { processed: max + 4, added: 0, duplicates: 0, failed: 1, newFailures: [failure(max + 3)], at: '2026-01-07T00:00:01.000000Z' })
      expect((await store.jobs.get(job.id))?.failures).toHaveLength(max)
      expect((await store.jobs.get(job.id))?.failed).toBe(max + 4)
    })

    it('lists newest first, up to a limit', async () => {
      const store = s()
      const coll = await newCollection(store)
      const stamps = ['2030-01-01T00:00:00.000001Z', '2030-01-01T00:00:00.000003Z', '2030-01-01T00:00:00.000002Z']
      const jobs = []
      for (const t of stamps) jobs.push(await store.jobs.create(make.job(coll, { createdAt: t, updatedAt: t })))
      const listed = await store.jobs.list(2)
      expect(listed.map((j) => j.id)).toEqual([jobs[1]!.id, jobs[2]!.id])
    })
  })

  describe('node metadata', () => {
    it('gets, sets and overwrites', async () => {
      const store = s()
      const key = `node.${randomUUID()}`
      expect(await store.meta.get(key)).toBeNull()
      await store.meta.set(key, 'first')
      await store.meta.set(key, '{"json":"as text"}')
      expect(await store.meta.get(key)).toBe('{"json":"as text"}')
    })
  })
}
