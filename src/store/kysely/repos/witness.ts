import type { Selectable } from 'kysely'
import type { WitnessedCheckpoint, WitnessedLog, WitnessStore } from '../../port.js'
import { decodeBytes, decodeInt, encodeBytes } from '../codecs.js'
import type { WitnessLogsTable } from '../schema.js'
import type { RepoContext } from './context.js'

const decodeLog = (r: Selectable<WitnessLogsTable>): WitnessedLog => ({
  origin: r.origin,
  url: r.url,
  verifierKey: r.verifier_key,
  addedAt: r.added_at,
  checkedAt: r.checked_at,
  lastError: r.last_error,
  fork: r.fork,
})

export function makeWitnessRepo({ db }: RepoContext): WitnessStore {
  async function getLog(origin: string) {
    const r = await db.selectFrom('witness_logs').selectAll().where('origin', '=', origin).executeTakeFirst()
    return r ? decodeLog(r) : null
  }
  return {
    async putLog(log) {
      await db
        .insertInto('witness_logs')
        .values({ origin: log.origin, url: log.url, verifier_key: log.verifierKey, added_at: log.addedAt, checked_at: null, last_error: null, fork: null })
        .onConflict((oc) => oc.column('origin').doUpdateSet({ url: log.url, verifier_key: log.verifierKey }))
        .execute()
      const stored = await getLog(log.origin)
      if (!stored) throw new Error('store: witness log vanished after insert')
      return stored
    },
    getLog,
    async listLogs() {
      const rows = await db.selectFrom('witness_logs').selectAll().orderBy('origin').execute()
      return rows.map(decodeLog)
    },
    async recordCheck(origin, at, lastError, fork) {
      await db
        .updateTable('witness_logs')
        .set({ checked_at: at, last_error: lastError })
        .$if(fork !== null, (q) => q.set({ fork }))
        .where('origin', '=', origin)
        .execute()
    },
    async addCheckpoint(cp: WitnessedCheckpoint) {
      await db
        .insertInto('witnessed_checkpoints')
        .values({ origin: cp.origin, size: cp.size, root: encodeBytes(cp.root), timestamp: cp.timestamp, note: cp.note, seen_at: cp.seenAt })
        .onConflict((oc) => oc.columns(['origin', 'size', 'root']).doNothing())
        .execute()
    },
    async checkpoints(origin) {
      const rows = await db
        .selectFrom('witnessed_checkpoints')
        .selectAll()
        .where('origin', '=', origin)
        .orderBy('size')
        .orderBy('root')
        .execute()
      return rows.map((r) => ({
        origin: r.origin,
        size: decodeInt(r.size, 'size'),
        root: decodeBytes(r.root, 'root'),
        timestamp: r.timestamp,
        note: r.note,
        seenAt: r.seen_at,
      }))
    },
  }
}
