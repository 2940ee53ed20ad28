import { ok, err, type Result } from '../../../core/shared/result.js'
import type { User, UserStore } from '../../port.js'
import { decodeUser, encodeUser } from '../codecs.js'
import type { RepoContext } from './context.js'

export function makeUserRepo({ db }: RepoContext): UserStore {
  const get = async (id: string) => {
    const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? decodeUser(r) : null
  }
  return {
    async create(user): Promise<Result<User>> {
      const org = await db.selectFrom('organisations').select('id').where('id', '=', user.orgId).executeTakeFirst()
      if (!org) return err({ code: 'not_found', resource: 'organisation', id: user.orgId })
      const r = await db
        .insertInto('users')
        .values(encodeUser(user))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (r) return ok(user)
      const taken = await get(user.id)
      return err({
        code: 'conflict',
        detail: taken ? `user ${user.id} already exists` : `the username ${user.username} is taken`,
      })
    },
    get,
    async getByUsername(username) {
      const r = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
      return r ? decodeUser(r) : null
    },
    async list(orgId) {
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .$if(orgId !== undefined, (q) => q.where('org_id', '=', orgId ?? ''))
        .orderBy('username')
        .execute()
      return rows.map(decodeUser)
    },
    async setRole(id, role): Promise<Result<User>> {
      const r = await db.updateTable('users').set({ role }).where('id', '=', id).returningAll().executeTakeFirst()
      return r ? ok(decodeUser(r)) : err({ code: 'not_found', resource: 'user', id })
    },
    async setDisabled(id, at): Promise<Result<User>> {
      const r = await db.updateTable('users').set({ disabled_at: at }).where('id', '=', id).returningAll().executeTakeFirst()
      return r ? ok(decodeUser(r)) : err({ code: 'not_found', resource: 'user', id })
    },
  }
}
