import { ok, err, type Result } from '../../../core/shared/result.js'
import type { Organisation, OrgStore } from '../../port.js'
import { decodeOrganisation, encodeOrganisation } from '../codecs.js'
import type { RepoContext } from './context.js'

export function makeOrgRepo({ db }: RepoContext): OrgStore {
  const get = async (id: string) => {
    const r = await db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? decodeOrganisation(r) : null
  }
  return {
    async create(org): Promise<Result<Organisation>> {
      // `on conflict do nothing` instead of catching a unique violation: on PostgreSQL a failed
      // statement would abort the caller's whole transaction.
      const r = await db
        .insertInto('organisations')
        .values(encodeOrganisation(org))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (r) return ok(org)
      const taken = await get(org.id)
      return err({
        code: 'conflict',
        detail: taken ? `organisation ${org.id} already exists` : `an organisation named ${org.name} already exists`,
      })
    },
    get,
    async getByName(name) {
      const r = await db.selectFrom('organisations').selectAll().where('name', '=', name).executeTakeFirst()
      return r ? decodeOrganisation(r) : null
    },
    async list() {
      const rows = await db.selectFrom('organisations').selectAll().orderBy('name').orderBy('id').execute()
      return rows.map(decodeOrganisation)
    },
  }
}
