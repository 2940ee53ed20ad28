/**
 * Federation (issue 5): peers (other Entente nodes) and vendor feeds this node syncs with, the
 * single-use invitations that start a peering, and the origin of every object version received.
 *
 * - `peers`: one row per peer node or feed. The pinned key (`public_key`), its status, the durable
 *   pull cursor (`cursor_added_after`, `cursor_next`: TAXII added_after + next, advanced in the
 *   transaction that stores the batch), the publish position (`publish_seq`: membership seq of the
 *   local collections already offered to the peer), backoff state and counters.
 * - `peer_invitations`: the one-time secret is stored as its SHA-256 only.
 * - `federation_origins`: which peer or feed a version came from (and whether its provenance
 *   verified), so an object is never offered back to the node it came from (no loops).
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

export const federation: StoreMigration = {
  name: '0004-federation',
  async up(db, d) {
    await db.schema
      .createTable('peers')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('kind', d.textType, (c) => c.notNull())
      .addColumn('name', d.textType, (c) => c.notNull().unique())
      .addColumn('url', d.textType, (c) => c.notNull())
      .addColumn('api_root', d.textType, (c) => c.notNull())
      .addColumn('remote_collection', d.textType)
      .addColumn('auth', d.textType, (c) => c.notNull())
      .addColumn('origin', d.textType)
      .addColumn('public_key', d.bytesType)
      .addColumn('presented_key', d.bytesType)
      .addColumn('status', d.textType, (c) => c.notNull())
      .addColumn('organisations', d.textType, (c) => c.notNull())
      .addColumn('local_org_id', d.textType)
      .addColumn('local_user_id', d.textType)
      .addColumn('outbound_collection_id', d.textType)
      .addColumn('inbound_collection_id', d.textType, (c) => c.notNull())
      .addColumn('default_marking', d.textType)
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('approved_at', d.textType)
      .addColumn('cursor_added_after', d.textType)
      .addColumn('cursor_next', d.textType)
      .addColumn('publish_seq', d.sequenceType, (c) => c.notNull().defaultTo(0))
      .addColumn('last_attempt_at', d.textType)
      .addColumn('last_success_at', d.textType)
      .addColumn('last_error', d.textType)
      .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', d.textType)
      .addColumn('received', d.sequenceType, (c) => c.notNull().defaultTo(0))
      .addColumn('duplicates', d.sequenceType, (c) => c.notNull().defaultTo(0))
      .addColumn('rejected', d.sequenceType, (c) => c.notNull().defaultTo(0))
      .addColumn('published', d.sequenceType, (c) => c.notNull().defaultTo(0))
      .addColumn('remote_last_added', d.textType)
      .addCheckConstraint('peers_kind_check', sql`kind in ('node', 'feed')`)
      .addCheckConstraint('peers_status_check', sql`status in ('pending', 'approved', 'key-changed', 'fork', 'active', 'removed')`)
      .execute()
    await db.schema.createIndex('peers_local_user_id_idx').ifNotExists().on('peers').column('local_user_id').execute()

    await db.schema
      .createTable('peer_invitations')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('secret_hash', d.bytesType, (c) => c.notNull())
      .addColumn('name', d.textType)
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('expires_at', d.textType, (c) => c.notNull())
      .addColumn('used_at', d.textType)
      .addColumn('peer_id', d.textType)
      .execute()

    await d
      .clusteredByPrimaryKey(
        db.schema
          .createTable('federation_origins')
          .ifNotExists()
          .addColumn('stix_id', d.textType, (c) => c.notNull())
          .addColumn('version_key', d.textType, (c) => c.notNull())
          .addColumn('peer_id', d.textType, (c) => c.notNull())
          .addColumn('verified', 'integer', (c) => c.notNull())
          .addColumn('received_at', d.textType, (c) => c.notNull())
          .addPrimaryKeyConstraint('federation_origins_pkey', ['stix_id', 'version_key', 'peer_id'])
          .addCheckConstraint('federation_origins_verified_check', sql`verified in (0, 1)`),
      )
      .execute()
  },
}
