/** Web sign-in sessions and user passwords (SessionStore, migration 0005-web). */
import { err, ok, type Result } from '../../../core/shared/result.js'
import type { SessionPrincipal, SessionStore, User, WebSession } from '../../port.js'
import { decodeOrganisation, decodeUser, encodeBytes } from '../codecs.js'
import type { RepoContext } from './context.js'
import { affected } from './context.js'

const USER_COLUMNS = ['id', 'org_id', 'username', 'role', 'password_hash', 'created_at', 'disabled_at'] as const

export function makeSessionRepo({ db }: RepoContext): SessionStore {
  return {
    async create(idHash, session): Promise<Result<WebSession>> {
      const user = await db.selectFrom('users').select('id').where('id', '=', session.userId).executeTakeFirst()
      if (!user) return err({ code: 'not_found', resource: 'user', id: session.userId })
      const r = await db
        .insertInto('web_sessions')
        .values({
          id_hash: encodeBytes(idHash),
          user_id: session.userId,
          created_at: session.createdAt,
          last_seen_at: session.lastSeenAt,
          idle_expires_at: session.idleExpiresAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('user_id')
        .executeTakeFirst()
      return r ? ok(session) : err({ code: 'conflict', detail: 'a session with this id already exists' })
    },

    async findActive(idHash, now): Promise<SessionPrincipal | null> {
      const r = await db
        .selectFrom('web_sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .innerJoin('organisations as o', 'o.id', 'u.org_id')
        .select([
          's.user_id as s_user_id',
          's.created_at as s_created_at',
          's.last_seen_at as s_last_seen_at',
          's.idle_expires_at as s_idle_expires_at',
          's.expires_at as s_expires_at',
          's.revoked_at as s_revoked_at',
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
        .where('s.id_hash', '=', encodeBytes(idHash))
        .where('s.revoked_at', 'is', null)
        .where('s.expires_at', '>', now)
        .where('s.idle_expires_at', '>', now)
        .where('u.disabled_at', 'is', null)
        .executeTakeFirst()
      if (!r) return null
      return {
        session: {
          userId: r.s_user_id,
          createdAt: r.s_created_at,
          lastSeenAt: r.s_last_seen_at,
          idleExpiresAt: r.s_idle_expires_at,
          expiresAt: r.s_expires_at,
          revokedAt: r.s_revoked_at,
        },
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

    async touch(idHash, at, idleExpiresAt) {
      await db
        .updateTable('web_sessions')
        .set((eb) => ({
          last_seen_at: at,
          // Never past the absolute expiry.
          idle_expires_at: eb.case().when('expires_at', '<', idleExpiresAt).then(eb.ref('expires_at')).else(idleExpiresAt).end(),
        }))
        .where('id_hash', '=', encodeBytes(idHash))
        .where('revoked_at', 'is', null)
        .where('last_seen_at', '<', at)
        .execute()
    },

    async revoke(idHash, at) {
      const r = await db.updateTable('web_sessions').set({ revoked_at: at }).where('id_hash', '=', encodeBytes(idHash)).where('revoked_at', 'is', null).executeTakeFirst()
      return affected(r.numUpdatedRows) > 0
    },

    async revokeUser(userId, at) {
      const r = await db.updateTable('web_sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
      return affected(r.numUpdatedRows)
    },

    async setPasswordHash(userId, passwordHash): Promise<Result<User>> {
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
      const u = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst()
      return u ? ok(decodeUser(u)) : err({ code: 'not_found', resource: 'user', id: userId })
    },

    async purge(before) {
      const r = await db
        .deleteFrom('web_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', before), eb('idle_expires_at', '<', before), eb('revoked_at', '<', before)]))
        .executeTakeFirst()
      return affected(r.numDeletedRows)
    },
  }
}
