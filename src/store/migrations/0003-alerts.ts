/**
 * Correlation alerts (issue 4, item 5): one row per organisation told about a match, or one row that
 * records a suppressed match (warninglist, over-correlation) for node administrators.
 *
 * - Unique per (org_id, sighting_id): the sighting id is deterministic (UUIDv5 of indicator and
 *   observation), so re-correlating the store never adds a second alert for the same match.
 * - `detail` is canonical JSON text: what that organisation may see of the match (read policy applied
 *   when the alert was made).
 * - Listed newest first per organisation: index (org_id, created_at, id).
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

export const alerts: StoreMigration = {
  name: '0003-alerts',
  async up(db, d) {
    await db.schema
      .createTable('alerts')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('org_id', d.textType, (c) => c.notNull().references('organisations.id'))
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('kind', d.textType, (c) => c.notNull())
      .addColumn('indicator_id', d.textType, (c) => c.notNull())
      .addColumn('sighting_id', d.textType, (c) => c.notNull())
      .addColumn('observation_id', d.textType, (c) => c.notNull())
      .addColumn('value', d.textType)
      .addColumn('detail', d.textType, (c) => c.notNull())
      .addColumn('suppressed', d.textType)
      .addColumn('read_at', d.textType)
      .addUniqueConstraint('alerts_org_id_sighting_id_key', ['org_id', 'sighting_id'])
      .addCheckConstraint('alerts_kind_check', sql`kind in ('indicator_sighted', 'observation_matched')`)
      .execute()
    await db.schema.createIndex('alerts_org_id_created_at_idx').ifNotExists().on('alerts').columns(['org_id', 'created_at', 'id']).execute()
    // Administrators list every organisation's alerts (and suppressions) newest first.
    await db.schema.createIndex('alerts_created_at_idx').ifNotExists().on('alerts').columns(['created_at', 'id']).execute()
  },
}
