import type { MetaStore } from '../../port.js'
import type { RepoContext } from './context.js'

export function makeMetaRepo({ db }: RepoContext): MetaStore {
  return {
    async get(key) {
      const r = await db.selectFrom('node_meta').select('value').where('key', '=', key).executeTakeFirst()
      return r ? r.value : null
    },
    async set(key, value) {
      await db
        .insertInto('node_meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
    },
  }
}
