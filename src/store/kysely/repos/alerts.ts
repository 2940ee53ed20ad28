/** Correlation alerts (migration 0003). Inserts ignore an existing (org_id, sighting_id). */
import type { Alert, AlertStore } from '../../port.js'
import { decodeAlert, encodeAlert } from '../codecs.js'
import { PREPARED_IN_LIST, PREPARED_IN_SIZE, chunksFor, paddedChunks, type RepoContext } from './context.js'

/** Columns per alert row, for chunking multi-row inserts under the engines' parameter limits. */
const COLUMNS = 11

export function makeAlertRepo({ db, dialect, atomic }: RepoContext): AlertStore {
  return {
    async add(alerts) {
      if (alerts.length === 0) return []
      // Insert-or-ignore, then read back which ids landed: portable, and exact on both engines.
      return atomic(async (t) => {
        for (const chunk of chunksFor(alerts, COLUMNS, 900)) {
          await t
            .insertInto('alerts')
            .values(chunk.map(encodeAlert))
            .onConflict((oc) => oc.columns(['org_id', 'sighting_id']).doNothing())
            .execute()
        }
        const added: Alert[] = []
        for (const chunk of chunksFor(alerts, 1, 500)) {
          const rows = await t.selectFrom('alerts').select('id').where('id', 'in', chunk.map((a) => a.id)).execute()
          const landed = new Set(rows.map((r) => r.id))
          for (const a of chunk) if (landed.has(a.id)) added.push(a)
        }
        return added
      })
    },

    async alertedSightings(orgId, sightingIds) {
      const out = new Set<string>()
      const ids = [...new Set(sightingIds)]
      // The (org_id, sighting_id) unique index answers each id.
      if (dialect.selectPrepared) {
        const params = paddedChunks(ids, PREPARED_IN_SIZE).map((chunk) => [orgId, ...chunk])
        const rows = await dialect.selectPrepared(db, `select sighting_id from alerts where org_id = ? and sighting_id in (${PREPARED_IN_LIST})`, params)
        for (const r of rows) out.add((r as { sighting_id: string }).sighting_id)
        return out
      }
      for (const chunk of chunksFor(ids, 1, 500)) {
        const rows = await db.selectFrom('alerts').select('sighting_id').where('org_id', '=', orgId).where('sighting_id', 'in', chunk).execute()
        for (const r of rows) out.add(r.sighting_id)
      }
      return out
    },

    async get(id) {
      const r = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? decodeAlert(r) : null
    },

    async list(q) {
      const limit = Math.max(1, Math.floor(q.limit))
      const rows = await db
        .selectFrom('alerts')
        .selectAll()
        .$if(q.orgId !== undefined, (b) => b.where('org_id', '=', q.orgId ?? ''))
        .$if(q.suppressed, (b) => b.where('suppressed', 'is not', null))
        .$if(!q.suppressed, (b) => b.where('suppressed', 'is', null))
        .$if(q.before !== undefined, (b) =>
          b.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(q.before?.createdAt ?? '', q.before?.id ?? ''))),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute()
      return { items: rows.slice(0, limit).map(decodeAlert), more: rows.length > limit }
    },

    async markRead(id, at) {
      await db.updateTable('alerts').set({ read_at: at }).where('id', '=', id).where('read_at', 'is', null).execute()
      const r = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? decodeAlert(r) : null
    },
  }
}
