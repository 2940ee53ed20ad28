import type { StatusStore } from '../../port.js'
import { decodeStatus, encodeStatus } from '../codecs.js'
import { affected, type RepoContext } from './context.js'

export function makeStatusRepo({ db }: RepoContext): StatusStore {
  return {
    async put(s) {
      const row = encodeStatus(s)
      const { id: _id, ...rest } = row
      await db
        .insertInto('taxii_statuses')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet(rest))
        .execute()
    },
    async get(id) {
      const r = await db.selectFrom('taxii_statuses').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? decodeStatus(r) : null
    },
    async purge(before) {
      const r = await db.deleteFrom('taxii_statuses').where('request_timestamp', '<', before).executeTakeFirst()
      return affected(r.numDeletedRows)
    },
  }
}
