/**
 * Audiences in storage (issue 5, docs/markings.md "For storage: the audience key"): every collection
 * membership carries the audience key the policy decides on, so that reads filter in SQL and pages
 * are not emptied after the fact.
 *
 * - `collections.default_tlp` (0–4, CLEAR … RED): the marking unmarked input gets on receipt. Existing
 *   and new collections default to AMBER (2): readers of the collection, never the community.
 * - `collection_objects`: `tlp` (the effective rank needed to see the version at all, raised by
 *   structural granular markings), `producer` (identity id of the producing organisation), whether the
 *   object names recipients, `expires_at` (retention of the arrival agreement), `arrival_agreement`
 *   (the agreement of the last hop, for objects received from peers) and `path` (the hops, JSON).
 *   The column default for `tlp` is RED: a row written without an audience is seen by system reads only.
 * - `object_recipients`: the named recipients of a stored version (its recipients extension).
 *
 * Memberships stored before this migration are given their audience key by the backfill at the end,
 * in keyset batches (their producer stays unknown: null).
 */
import type { StoreMigration } from './types.js'
import { audienceKey } from '../../core/policy/audience.js'
import { tlpLevel, type TlpRank } from '../../core/marking/tlp.js'

async function addColumn(run: () => Promise<unknown>): Promise<void> {
  // SQLite has no `add column if not exists`; a crash between statements re-runs this migration.
  try {
    await run()
  } catch (e) {
    if (!/duplicate column|already exists/i.test((e as Error).message)) throw e
  }
}

export const audience: StoreMigration = {
  name: '0007-audience',
  async up(db, d) {
    await addColumn(() => db.schema.alterTable('collections').addColumn('default_tlp', 'integer', (c) => c.notNull().defaultTo(2)).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('tlp', 'integer', (c) => c.notNull().defaultTo(4)).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('producer', d.textType).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('has_recipients', 'integer', (c) => c.notNull().defaultTo(0)).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('expires_at', d.textType).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('arrival_agreement', d.textType).execute())
    await addColumn(() => db.schema.alterTable('collection_objects').addColumn('path', d.textType).execute())
    await d
      .clusteredByPrimaryKey(
        db.schema
          .createTable('object_recipients')
          .ifNotExists()
          .addColumn('object_seq', d.sequenceType, (c) => c.notNull())
          .addColumn('identity_id', d.textType, (c) => c.notNull())
          .addPrimaryKeyConstraint('object_recipients_pkey', ['object_seq', 'identity_id']),
      )
      .execute()

    // Backfill: memberships stored before audiences existed (tlp still at the column default, no producer).
    const none = new Map()
    // Marking definitions the node holds (statement markings such as ATT&CK's, other TLP encodings).
    const defs = new Map<string, unknown>()
    const defRows = await db.selectFrom('stix_objects').select(['stix_id', 'json']).where('type', '=', 'marking-definition').orderBy('seq').limit(100_000).execute()
    for (const r of defRows) {
      try {
        defs.set(String(r.stix_id), JSON.parse(String(r.json)))
      } catch {
        // unreadable: the reference counts as RED
      }
    }
    let after = 0
    for (;;) {
      const rows = await db
        .selectFrom('collection_objects as co')
        .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
        .innerJoin('collections as c', 'c.id', 'co.collection_id')
        .select(['co.seq', 'co.object_seq', 'co.collection_id', 'co.date_added', 'so.json', 'c.default_tlp'])
        .where('co.seq', '>', after)
        .where('co.producer', 'is', null)
        .where('co.tlp', '=', 4)
        .orderBy('co.seq')
        .limit(1000)
        .execute()
      if (rows.length === 0) break
      for (const r of rows) {
        let object: Record<string, unknown>
        try {
          object = JSON.parse(String(r.json)) as Record<string, unknown>
        } catch {
          continue
        }
        const def = tlpLevel(Math.min(4, Math.max(0, Number(r.default_tlp))) as TlpRank)
        const k = audienceKey(object, { collectionId: String(r.collection_id), defaultTlp: def, origin: { kind: 'local', producer: '' }, receivedAt: String(r.date_added) }, { agreements: none, lookup: (id) => defs.get(id) })
        if (!k.ok) continue
        await db.updateTable('collection_objects').set({ tlp: k.value.tlp, has_recipients: k.value.recipients !== null ? 1 : 0 }).where('seq', '=', r.seq).execute()
        for (const id of k.value.recipients ?? []) {
          await db.insertInto('object_recipients').values({ object_seq: r.object_seq, identity_id: id }).onConflict((oc) => oc.doNothing()).execute()
        }
      }
      after = Number(rows[rows.length - 1]?.seq)
    }
  },
}
