import { ok, err, type Result } from '../../../core/shared/result.js'
import type { ApiToken, TokenPrincipal, TokenStore } from '../../port.js'
import { decodeOrganisation, decodeToken, decodeUser, encodeBytes, encodeToken } from '../codecs.js'
import type { RepoContext } from './context.js'

const TOKEN_COLUMNS = [
  'id',
  'user_id',
  'name',
  'prefix',
  'created_at',
  'expires_at',
  'revoked_at',
  'last_used_at',
] as const

export function makeTokenRepo({ db }: RepoContext): TokenStore {
  return {
    async create(token, secretHash): Promise<Result<ApiToken>> {
      const user = await db.selectFrom('users').select('id').where('id', '=', token.userId).executeTakeFirst()
      if (!user) return err({ code: 'not_found', resource: 'user', id: token.userId })
      const r = await db
        .insertInto('api_tokens')
        .values(encodeToken(token, secretHash))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      return r ? ok(token) : err({ code: 'conflict', detail: `token ${token.id} (or one with the same secret) already exists` })
    },

    async findActiveByHash(secretHash, now): Promise<TokenPrincipal | null> {
      const r = await db
        .selectFrom('api_tokens as t')
        .innerJoin('users as u', 'u.id', 't.user_id')
        .innerJoin('organisations as o', 'o.id', 'u.org_id')
        .select([
          't.id as t_id',
          't.user_id as t_user_id',
          't.name as t_name',
          't.prefix as t_prefix',
          't.created_at as t_created_at',
          't.expires_at as t_expires_at',
          't.revoked_at as t_revoked_at',
          't.last_used_at as t_last_used_at',
          'u.id as u_id',
          'u.org_id as u_org_id',
          'u.username as u_username',
          'u.role as u_role',
          'u.password_hash as u_password_hash',
          'u.created_at as u_created_at',
          'u.disabled_at as u_disabled_at',
          'o.id as o_id',
          'o.name as o_name',
          'o.identity_id as o_identity_id',
          'o.created_at as o_created_at',
        ])
        .where('t.token_hash', '=', encodeBytes(secretHash))
        .where('t.revoked_at', 'is', null)
        .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
        .where('u.disabled_at', 'is', null)
        .executeTakeFirst()
      if (!r) return null
      return {
        token: decodeToken({
          id: r.t_id,
          user_id: r.t_user_id,
          name: r.t_name,
          prefix: r.t_prefix,
          created_at: r.t_created_at,
          expires_at: r.t_expires_at,
          revoked_at: r.t_revoked_at,
          last_used_at: r.t_last_used_at,
        }),
        user: decodeUser({
          id: r.u_id,
          org_id: r.u_org_id,
          username: r.u_username,
          role: r.u_role,
          password_hash: r.u_password_hash,
          created_at: r.u_created_at,
          disabled_at: r.u_disabled_at,
        }),
        org: decodeOrganisation({ id: r.o_id, name: r.o_name, identity_id: r.o_identity_id, created_at: r.o_created_at }),
      }
    },

    async list(userId) {
      const rows = await db
        .selectFrom('api_tokens')
        .select(TOKEN_COLUMNS)
        .$if(userId !== undefined, (q) => q.where('user_id', '=', userId ?? ''))
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(decodeToken)
    },

    async revoke(id, at): Promise<Result<ApiToken>> {
      // Revoking twice keeps the first revocation time.
      await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute()
      const r = await db.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('id', '=', id).executeTakeFirst()
      return r ? ok(decodeToken(r)) : err({ code: 'not_found', resource: 'token', id })
    },

    async touch(id, at) {
      await db
        .updateTable('api_tokens')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
        .execute()
    },
  }
}
