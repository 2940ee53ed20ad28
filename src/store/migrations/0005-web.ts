/**
 * Web sign-in sessions (issue 6). A session is found by the SHA-256 of its random id (the cookie
 * value is never stored), belongs to one user, and ends at the first of: its absolute expiry, its idle
 * expiry (pushed forward as it is used), its revocation (sign-out, password change, disabled user).
 *
 * - `id_hash` is the primary key: a lookup per request is one index probe.
 * - (user_id) index: ending every session of a user (disabled, new password).
 * - (expires_at) index: purging ended sessions.
 */
import type { StoreMigration } from './types.js'

export const web: StoreMigration = {
  name: '0005-web',
  async up(db, d) {
    await db.schema
      .createTable('web_sessions')
      .ifNotExists()
      .addColumn('id_hash', d.bytesType, (c) => c.primaryKey())
      .addColumn('user_id', d.textType, (c) => c.notNull().references('users.id'))
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('last_seen_at', d.textType, (c) => c.notNull())
      .addColumn('idle_expires_at', d.textType, (c) => c.notNull())
      .addColumn('expires_at', d.textType, (c) => c.notNull())
      .addColumn('revoked_at', d.textType)
      .execute()
    await db.schema.createIndex('web_sessions_user_id_idx').ifNotExists().on('web_sessions').column('user_id').execute()
    await db.schema.createIndex('web_sessions_expires_at_idx').ifNotExists().on('web_sessions').column('expires_at').execute()
  },
}
