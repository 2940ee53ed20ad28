/**
 * Joint cases and webhooks (issue 6). Cases themselves are STIX objects stored as versions in the
 * node's `cases` collection; these tables are an index derived from those versions (rebuildable with
 * `entente case reindex`) plus the durable webhook delivery queue.
 *
 * - `case_index`: one row per case (its latest version's list fields). Listed newest first by
 *   (created, case_id): `created` never changes, so keyset pages are stable while cases are edited.
 * - `case_orgs`: the organisations (STIX identity ids) taking part in a case: the read filter of
 *   every listing (`identity_ref`, `case_id` index).
 * - `case_members`: every object of a case (the case itself, tasks, notes, requests, offers) with its
 *   latest `modified`: the compare-and-set head for optimistic concurrency, and the case's members.
 * - `webhooks`: an organisation's endpoints; `secret` is sealed (AES-256-GCM) by the node.
 * - `webhook_deliveries`: the queue and the delivery log, one row per (webhook, event);
 *   due rows are found by (state, next_attempt_at).
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

export const cases: StoreMigration = {
  name: '0006-cases',
  async up(db, d) {
    await db.schema
      .createTable('case_index')
      .ifNotExists()
      .addColumn('case_id', d.textType, (c) => c.primaryKey())
      .addColumn('collection_id', d.textType, (c) => c.notNull())
      .addColumn('title', d.textType, (c) => c.notNull())
      .addColumn('status', d.textType, (c) => c.notNull())
      .addColumn('severity', d.textType, (c) => c.notNull())
      .addColumn('lead_ref', d.textType, (c) => c.notNull())
      .addColumn('tlp', d.textType, (c) => c.notNull())
      .addColumn('created', d.textType, (c) => c.notNull())
      .addColumn('modified', d.textType, (c) => c.notNull())
      .execute()
    await db.schema.createIndex('case_index_created_idx').ifNotExists().on('case_index').columns(['created', 'case_id']).execute()

    await db.schema
      .createTable('case_orgs')
      .ifNotExists()
      .addColumn('case_id', d.textType, (c) => c.notNull())
      .addColumn('identity_ref', d.textType, (c) => c.notNull())
      .addPrimaryKeyConstraint('case_orgs_pkey', ['case_id', 'identity_ref'])
      .execute()
    await db.schema.createIndex('case_orgs_identity_ref_idx').ifNotExists().on('case_orgs').columns(['identity_ref', 'case_id']).execute()

    await db.schema
      .createTable('case_members')
      .ifNotExists()
      .addColumn('stix_id', d.textType, (c) => c.primaryKey())
      .addColumn('case_id', d.textType, (c) => c.notNull())
      .addColumn('type', d.textType, (c) => c.notNull())
      .addColumn('created', d.textType, (c) => c.notNull())
      .addColumn('modified', d.textType, (c) => c.notNull())
      .execute()
    await db.schema.createIndex('case_members_case_id_idx').ifNotExists().on('case_members').columns(['case_id', 'type', 'created']).execute()

    await db.schema
      .createTable('webhooks')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('org_id', d.textType, (c) => c.notNull().references('organisations.id'))
      .addColumn('url', d.textType, (c) => c.notNull())
      .addColumn('description', d.textType)
      .addColumn('secret', d.textType, (c) => c.notNull())
      .addColumn('events', d.textType, (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_by', d.textType, (c) => c.notNull())
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addCheckConstraint('webhooks_active_check', sql`active in (0, 1)`)
      .execute()
    await db.schema.createIndex('webhooks_org_id_idx').ifNotExists().on('webhooks').column('org_id').execute()

    await db.schema
      .createTable('webhook_deliveries')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('webhook_id', d.textType, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
      .addColumn('event_id', d.textType, (c) => c.notNull())
      .addColumn('event_type', d.textType, (c) => c.notNull())
      .addColumn('payload', d.textType, (c) => c.notNull())
      .addColumn('state', d.textType, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', d.textType)
      .addColumn('locked_until', d.textType)
      .addColumn('last_status', 'integer')
      .addColumn('last_error', d.textType)
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('finished_at', d.textType)
      .addUniqueConstraint('webhook_deliveries_webhook_event_key', ['webhook_id', 'event_id'])
      .addCheckConstraint('webhook_deliveries_state_check', sql`state in ('pending', 'delivered', 'failed')`)
      .execute()
    await db.schema.createIndex('webhook_deliveries_due_idx').ifNotExists().on('webhook_deliveries').columns(['state', 'next_attempt_at']).execute()
    await db.schema.createIndex('webhook_deliveries_webhook_idx').ifNotExists().on('webhook_deliveries').columns(['webhook_id', 'created_at', 'id']).execute()
  },
}
