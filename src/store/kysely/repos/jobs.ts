import { LIMITS } from '../../../core/shared/limits.js'
import type { ImportJob, JobStore } from '../../port.js'
import { decodeImportFailures, decodeJob, encodeImportFailures, encodeJob } from '../codecs.js'
import { affected, type RepoContext } from './context.js'

export function makeJobRepo({ db }: RepoContext): JobStore {
  return {
    async create(job) {
      const stored: ImportJob = { ...job, failures: job.failures.slice(0, LIMITS.maxReportedFailures) }
      await db.insertInto('import_jobs').values(encodeJob(stored)).execute()
      return stored
    },
    async get(id) {
      const r = await db.selectFrom('import_jobs').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? decodeJob(r) : null
    },
    async list(limit) {
      const rows = await db
        .selectFrom('import_jobs')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(0, limit))
        .execute()
      return rows.map(decodeJob)
    },
    async findRunning(collectionId, fingerprint) {
      const r = await db
        .selectFrom('import_jobs')
        .selectAll()
        .where('collection_id', '=', collectionId)
        .where('fingerprint', '=', fingerprint)
        .where('state', '=', 'running')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst()
      return r ? decodeJob(r) : null
    },
    async advance(id, p) {
      // Failures are kept verbatim only up to the limit; counts stay exact. The list is read only when
      // there is something to append (one job is advanced by one runner, inside its batch transaction).
      let failures: string | undefined
      if (p.newFailures.length > 0) {
        const cur = await db.selectFrom('import_jobs').select('failures').where('id', '=', id).executeTakeFirst()
        if (!cur) throw new Error(`store: import job ${id} does not exist`)
        const kept = decodeImportFailures(cur.failures)
        const room = LIMITS.maxReportedFailures - kept.length
        if (room > 0) failures = encodeImportFailures([...kept, ...p.newFailures.slice(0, room)])
      }
      const r = await db
        .updateTable('import_jobs')
        .set((eb) => ({
          processed: p.processed,
          added: eb('added', '+', p.added),
          duplicates: eb('duplicates', '+', p.duplicates),
          failed: eb('failed', '+', p.failed),
          updated_at: p.at,
          ...(failures === undefined ? {} : { failures }),
        }))
        .where('id', '=', id)
        .executeTakeFirst()
      if (affected(r.numUpdatedRows) === 0) throw new Error(`store: import job ${id} does not exist`)
    },
    async finish(id, state, error, at) {
      const r = await db
        .updateTable('import_jobs')
        .set({ state, error, updated_at: at })
        .where('id', '=', id)
        .executeTakeFirst()
      if (affected(r.numUpdatedRows) === 0) throw new Error(`store: import job ${id} does not exist`)
    },
  }
}
