/**
 * Organisation policy (issue 5, docs/markings.md "Defaults" and "Clients"):
 *
 * - `organisations.default_tlp` (0–4, CLEAR … RED, or null for none): the organisation's default
 *   marking. Unmarked input its users and tokens submit gets the stricter of it and the receiving
 *   collection's default. Existing organisations have none (null): nothing changes for them.
 * - `org_clients`: "organisation `client_org_id` is a client of `parent_org_id`" (TLP:AMBER reaches
 *   the recipient organisations and their clients). One row per pair; an organisation is never its
 *   own client. Looked up by client (the primary key) when a reader is built, and by parent (index)
 *   when an organisation's clients are listed.
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

async function addColumn(run: () => Promise<unknown>): Promise<void> {
  // SQLite has no `add column if not exists`; a crash between statements re-runs this migration.
  try {
    await run()
  } catch (e) {
    if (!/duplicate column|already exists/i.test((e as Error).message)) throw e
  }
}

export const orgPolicy: StoreMigration = {
  name: '0008-org-policy',
  async up(db, d) {
    await addColumn(() =>
      db.schema
        .alterTable('organisations')
        .addColumn('default_tlp', 'integer', (c) => c.check(sql`default_tlp is null or default_tlp between 0 and 4`))
        .execute(),
    )
    await d
      .clusteredByPrimaryKey(
        db.schema
          .createTable('org_clients')
          .ifNotExists()
          .addColumn('client_org_id', d.textType, (c) => c.notNull().references('organisations.id'))
          .addColumn('parent_org_id', d.textType, (c) => c.notNull().references('organisations.id'))
          .addColumn('created_at', d.textType, (c) => c.notNull())
          .addPrimaryKeyConstraint('org_clients_pkey', ['client_org_id', 'parent_org_id'])
          .addCheckConstraint('org_clients_not_self_check', sql`client_org_id <> parent_org_id`),
      )
      .execute()
    await db.schema.createIndex('org_clients_parent_idx').ifNotExists().on('org_clients').columns(['parent_org_id', 'client_org_id']).execute()
  },
}
