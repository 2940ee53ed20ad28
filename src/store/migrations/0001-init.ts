/**
 * The initial schema. Portable subset only (STYLE.md): text ids, fixed-width UTC ISO text timestamps,
 * integer 0/1 booleans with CHECKs, JSON as text, hashes as blob/bytea, integer sequences; no ENUMs.
 * Text columns use `d.textType`: byte-order comparison on both engines (SQLite's BINARY; PostgreSQL's
 * "C" collation, whatever the database's default), so ids, timestamps and keyset cursors sort the same
 * everywhere and index comparisons stay memcmp-cheap.
 * Every statement is `if not exists`, because SQLite runs DDL outside a transaction (Kysely's
 * SqliteAdapter has no transactional DDL) and a crash midway must be re-runnable.
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

export const init: StoreMigration = {
  name: '0001-init',
  async up(db, d) {
    await db.schema
      .createTable('organisations')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('name', d.textType, (c) => c.notNull())
      .addColumn('identity_id', d.textType, (c) => c.notNull())
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addUniqueConstraint('organisations_name_key', ['name'])
      .execute()

    await db.schema
      .createTable('users')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('org_id', d.textType, (c) => c.notNull().references('organisations.id'))
      .addColumn('username', d.textType, (c) => c.notNull())
      .addColumn('role', d.textType, (c) => c.notNull())
      .addColumn('password_hash', d.textType)
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('disabled_at', d.textType)
      .addUniqueConstraint('users_username_key', ['username'])
      .addCheckConstraint('users_role_check', sql`role in ('admin', 'analyst', 'read_only')`)
      .execute()
    await db.schema.createIndex('users_org_id_idx').ifNotExists().on('users').column('org_id').execute()

    await db.schema
      .createTable('api_tokens')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('user_id', d.textType, (c) => c.notNull().references('users.id'))
      .addColumn('name', d.textType, (c) => c.notNull())
      .addColumn('prefix', d.textType, (c) => c.notNull())
      .addColumn('token_hash', d.bytesType, (c) => c.notNull())
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('expires_at', d.textType)
      .addColumn('revoked_at', d.textType)
      .addColumn('last_used_at', d.textType)
      .addUniqueConstraint('api_tokens_token_hash_key', ['token_hash'])
      .execute()
    await db.schema.createIndex('api_tokens_user_id_idx').ifNotExists().on('api_tokens').column('user_id').execute()

    await db.schema
      .createTable('collections')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('title', d.textType, (c) => c.notNull())
      .addColumn('description', d.textType)
      .addColumn('alias', d.textType)
      .addColumn('media_types', d.textType, (c) => c.notNull())
      .addColumn('created_at', d.textType, (c) => c.notNull())
      // Several NULL aliases are allowed on both engines (NULLs are distinct in UNIQUE).
      .addUniqueConstraint('collections_alias_key', ['alias'])
      .execute()

    await db.schema
      .createTable('collection_permissions')
      .ifNotExists()
      .addColumn('collection_id', d.textType, (c) => c.notNull().references('collections.id'))
      .addColumn('org_id', d.textType, (c) => c.notNull().references('organisations.id'))
      .addColumn('can_read', 'integer', (c) => c.notNull())
      .addColumn('can_write', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('collection_permissions_pkey', ['collection_id', 'org_id'])
      .addCheckConstraint('collection_permissions_can_read_check', sql`can_read in (0, 1)`)
      .addCheckConstraint('collection_permissions_can_write_check', sql`can_write in (0, 1)`)
      .execute()
    await db.schema
      .createIndex('collection_permissions_org_id_idx')
      .ifNotExists()
      .on('collection_permissions')
      .column('org_id')
      .execute()

    // Object versions: append-only. One row per (stix_id, version_key).
    await db.schema
      .createTable('stix_objects')
      .ifNotExists()
      .addColumn('seq', d.sequenceType, (c) => d.sequencePrimaryKey(c))
      .addColumn('stix_id', d.textType, (c) => c.notNull())
      .addColumn('type', d.textType, (c) => c.notNull())
      .addColumn('spec_version', d.textType, (c) => c.notNull())
      .addColumn('created', d.textType)
      .addColumn('modified', d.textType)
      .addColumn('version_key', d.textType, (c) => c.notNull())
      .addColumn('revoked', 'integer', (c) => c.notNull())
      .addColumn('created_by_ref', d.textType)
      .addColumn('content_hash', d.bytesType, (c) => c.notNull())
      .addColumn('json', d.textType, (c) => c.notNull())
      .addUniqueConstraint('stix_objects_stix_id_version_key_key', ['stix_id', 'version_key'])
      .addCheckConstraint('stix_objects_revoked_check', sql`revoked in (0, 1)`)
      .execute()

    // Collection membership. The filter columns are copied from the version so TAXII pages are
    // answered from this table's indexes; the seq is the keyset tie-breaker.
    // Deliberately no index on (collection_id, stix_id, version): STIX ids are random UUIDs, so such an
    // index dirties one random page per inserted row and measured at about half the ingest cost on
    // SQLite. Lookups by id (match[id], first/last version, delete) go through the
    // stix_objects (stix_id, version_key) index and the (collection_id, object_seq) key instead.
    // For the same reason no index on object_seq alone (only exports across collections would use it).
    await db.schema
      .createTable('collection_objects')
      .ifNotExists()
      .addColumn('seq', d.sequenceType, (c) => d.sequencePrimaryKey(c))
      .addColumn('collection_id', d.textType, (c) => c.notNull().references('collections.id'))
      .addColumn('object_seq', d.sequenceType, (c) => c.notNull().references('stix_objects.seq'))
      .addColumn('stix_id', d.textType, (c) => c.notNull())
      .addColumn('type', d.textType, (c) => c.notNull())
      .addColumn('spec_version', d.textType, (c) => c.notNull())
      .addColumn('version', d.textType, (c) => c.notNull())
      .addColumn('date_added', d.textType, (c) => c.notNull())
      .addUniqueConstraint('collection_objects_collection_id_object_seq_key', ['collection_id', 'object_seq'])
      .execute()
    // TAXII pages: added_after + keyset on (date_added, seq).
    await db.schema
      .createIndex('collection_objects_page_idx')
      .ifNotExists()
      .on('collection_objects')
      .columns(['collection_id', 'date_added', 'seq'])
      .execute()
    // match[type] pages.
    await db.schema
      .createIndex('collection_objects_type_page_idx')
      .ifNotExists()
      .on('collection_objects')
      .columns(['collection_id', 'type', 'date_added', 'seq'])
      .execute()
    // The shape a large node's data has (about a million memberships in a few collections, a few
    // versions per object), for planners that do not measure it themselves (see the dialects).
    await d.plannerStatistics(db, [
      { table: 'collection_objects', columns: ['collection_id', 'object_seq'], rows: 1e6, rowsPerPrefix: [1e5, 1] },
      { table: 'collection_objects', columns: ['collection_id', 'date_added', 'seq'], rows: 1e6, rowsPerPrefix: [1e5, 50, 1] },
      { table: 'collection_objects', columns: ['collection_id', 'type', 'date_added', 'seq'], rows: 1e6, rowsPerPrefix: [1e5, 1e4, 50, 1] },
      { table: 'stix_objects', columns: ['stix_id', 'version_key'], rows: 1e6, rowsPerPrefix: [3, 1] },
    ])

    await db.schema
      .createTable('taxii_statuses')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('collection_id', d.textType, (c) => c.notNull().references('collections.id'))
      .addColumn('org_id', d.textType, (c) => c.notNull().references('organisations.id'))
      .addColumn('status', d.textType, (c) => c.notNull())
      .addColumn('request_timestamp', d.textType, (c) => c.notNull())
      .addColumn('total_count', 'integer', (c) => c.notNull())
      .addColumn('success_count', 'integer', (c) => c.notNull())
      .addColumn('failure_count', 'integer', (c) => c.notNull())
      .addColumn('pending_count', 'integer', (c) => c.notNull())
      .addColumn('successes', d.textType, (c) => c.notNull())
      .addColumn('failures', d.textType, (c) => c.notNull())
      .addColumn('pendings', d.textType, (c) => c.notNull())
      .addCheckConstraint('taxii_statuses_status_check', sql`status in ('pending', 'complete')`)
      .execute()
    await db.schema
      .createIndex('taxii_statuses_request_timestamp_idx')
      .ifNotExists()
      .on('taxii_statuses')
      .column('request_timestamp')
      .execute()

    await db.schema
      .createTable('import_jobs')
      .ifNotExists()
      .addColumn('id', d.textType, (c) => c.primaryKey())
      .addColumn('collection_id', d.textType, (c) => c.notNull().references('collections.id'))
      .addColumn('source', d.textType, (c) => c.notNull())
      .addColumn('fingerprint', d.textType, (c) => c.notNull())
      .addColumn('state', d.textType, (c) => c.notNull())
      .addColumn('processed', 'integer', (c) => c.notNull())
      .addColumn('added', 'integer', (c) => c.notNull())
      .addColumn('duplicates', 'integer', (c) => c.notNull())
      .addColumn('failed', 'integer', (c) => c.notNull())
      .addColumn('failures', d.textType, (c) => c.notNull())
      .addColumn('error', d.textType)
      .addColumn('created_by', d.textType, (c) => c.notNull())
      .addColumn('created_at', d.textType, (c) => c.notNull())
      .addColumn('updated_at', d.textType, (c) => c.notNull())
      .addCheckConstraint('import_jobs_state_check', sql`state in ('running', 'completed', 'failed')`)
      .execute()
    await db.schema
      .createIndex('import_jobs_resume_idx')
      .ifNotExists()
      .on('import_jobs')
      .columns(['collection_id', 'fingerprint', 'state'])
      .execute()
    await db.schema.createIndex('import_jobs_created_at_idx').ifNotExists().on('import_jobs').column('created_at').execute()

    await db.schema
      .createTable('node_meta')
      .ifNotExists()
      .addColumn('key', d.textType, (c) => c.primaryKey())
      .addColumn('value', d.textType, (c) => c.notNull())
      .execute()
  },
}
