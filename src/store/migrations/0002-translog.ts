/**
 * The transparency log (issue 3): entries, the stored Merkle tree, the head, the node's signed
 * checkpoints, and other logs' checkpoints this node has witnessed.
 *
 * - `log_entries`: one row per leaf, `idx` from 0 with no gaps. `entry` is the canonical entry text (the
 *   RFC 6962 `leaf_input` in UTF-8) and `leaf_hash` its leaf hash (level 0 of the tree). Object entries
 *   also name the collection and the stored version (`object_seq`) for the read policy and provenance.
 * - `log_nodes`: every complete (perfect) interior node, level ≥ 1, keyed by (level, idx) as
 *   `core/translog/merkle.ts` addresses them: a proof reads O(log n) rows, nothing is recomputed.
 * - `log_leaf_index`: leaf hash → index for get-proof-by-hash, maintained in bulk behind the appends.
 * - `log_head`: the one row that serialises appends (locked with FOR UPDATE on PostgreSQL): the size,
 *   the compact range (frontier) of the tree and its root.
 */
import { sql } from 'kysely'
import type { StoreMigration } from './types.js'

export const translog: StoreMigration = {
  name: '0002-translog',
  async up(db, d) {
    await db.schema
      .createTable('log_entries')
      .ifNotExists()
      .addColumn('idx', d.sequenceType, (c) => c.primaryKey())
      .addColumn('kind', d.textType, (c) => c.notNull())
      .addColumn('at', d.textType, (c) => c.notNull())
      .addColumn('collection_id', d.textType)
      .addColumn('object_seq', d.sequenceType)
      .addColumn('leaf_hash', d.bytesType, (c) => c.notNull())
      .addColumn('entry', d.textType, (c) => c.notNull())
      .execute()
    // Provenance: the entry that accepted a stored version.
    await db.schema
      .createIndex('log_entries_object_seq_idx')
      .ifNotExists()
      .on('log_entries')
      .column('object_seq')
      .where(sql.ref('object_seq'), 'is not', null)
      .execute()

    await d
      .clusteredByPrimaryKey(
        db.schema
          .createTable('log_nodes')
          .ifNotExists()
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('idx', d.sequenceType, (c) => c.notNull())
          .addColumn('hash', d.bytesType, (c) => c.notNull())
          .addPrimaryKeyConstraint('log_nodes_pkey', ['level', 'idx']),
      )
      .execute()

    // get-proof-by-hash: leaf hash → index, filled in bulk after the fact (LogStore.indexLeafHashes), not
    // in the writing transaction: a random 32-byte key dirties a random B-tree page per entry, which
    // measured at about a third of ingest time when it was an index on log_entries.
    await d
      .clusteredByPrimaryKey(
        db.schema
          .createTable('log_leaf_index')
          .ifNotExists()
          .addColumn('leaf_hash', d.bytesType, (c) => c.notNull())
          .addColumn('idx', d.sequenceType, (c) => c.notNull())
          .addPrimaryKeyConstraint('log_leaf_index_pkey', ['leaf_hash']),
      )
      .execute()

    await db.schema
      .createTable('log_head')
      .ifNotExists()
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('size', d.sequenceType, (c) => c.notNull())
      .addColumn('frontier', d.bytesType, (c) => c.notNull())
      .addColumn('root', d.bytesType, (c) => c.notNull())
      // How many leading entries log_leaf_index covers.
      .addColumn('leaf_indexed', d.sequenceType, (c) => c.notNull())
      .addCheckConstraint('log_head_one_row', sql`id = 1`)
      .execute()
    // SHA-256 of the empty string: the root of the empty tree.
    const emptyRoot = Uint8Array.from(Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'))
    await db
      .insertInto('log_head')
      .values({ id: 1, size: 0, frontier: new Uint8Array(0), root: emptyRoot, leaf_indexed: 0 })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute()

    await db.schema
      .createTable('log_checkpoints')
      .ifNotExists()
      .addColumn('seq', d.sequenceType, (c) => d.sequencePrimaryKey(c))
      .addColumn('size', d.sequenceType, (c) => c.notNull())
      .addColumn('root', d.bytesType, (c) => c.notNull())
      .addColumn('timestamp', d.textType, (c) => c.notNull())
      .addColumn('note', d.textType, (c) => c.notNull())
      .execute()
    await db.schema.createIndex('log_checkpoints_size_idx').ifNotExists().on('log_checkpoints').column('size').execute()

    // Other logs this node watches (witnessing): their pinned key and where to fetch checkpoints.
    await db.schema
      .createTable('witness_logs')
      .ifNotExists()
      .addColumn('origin', d.textType, (c) => c.primaryKey())
      .addColumn('url', d.textType)
      .addColumn('verifier_key', d.textType, (c) => c.notNull())
      .addColumn('added_at', d.textType, (c) => c.notNull())
      .addColumn('checked_at', d.textType)
      .addColumn('last_error', d.textType)
      .addColumn('fork', d.textType)
      .execute()
    // Every distinct checkpoint seen from them. Two rows of one size with different roots are a fork,
    // and are kept as the evidence.
    await db.schema
      .createTable('witnessed_checkpoints')
      .ifNotExists()
      .addColumn('origin', d.textType, (c) => c.notNull().references('witness_logs.origin'))
      .addColumn('size', d.sequenceType, (c) => c.notNull())
      .addColumn('root', d.bytesType, (c) => c.notNull())
      .addColumn('timestamp', d.textType)
      .addColumn('note', d.textType, (c) => c.notNull())
      .addColumn('seen_at', d.textType, (c) => c.notNull())
      .addPrimaryKeyConstraint('witnessed_checkpoints_pkey', ['origin', 'size', 'root'])
      .execute()
  },
}
