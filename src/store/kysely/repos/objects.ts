import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely'
import type {
  CollectionEntry,
  EntryPage,
  NewObjectVersion,
  ObjectQuery,
  ObjectStore,
  PutOutcome,
  RemovedVersion,
} from '../../port.js'
import { decodeBool, decodeBytes, decodeInt, encodeBool, encodeBytes, sameBytes } from '../codecs.js'
import type { DB } from '../schema.js'
import { PREPARED_IN_LIST, PREPARED_IN_SIZE, chunksFor, paddedChunks, type RepoContext } from './context.js'
import { LATEST_ONLY, extremeVersion, inList, versionCondition } from './objects-filters.js'
import { audienceColumns, audienceCondition, decodeAudience } from './audience.js'

const OBJECT_COLUMNS = 10
const MEMBERSHIP_COLUMNS = 13

const keyOf = (stixId: string, versionKey: string) => `${stixId}\u0000${versionKey}`

/**
 * The portable `putVersions`: multi-row `insert … on conflict do nothing returning`, chunked below the
 * engine's parameter limit, then one pass over the items in input order.
 *
 * Semantics (the same as storing the items one by one, in order, which the SQLite fast path does):
 * - a version not stored yet is stored and added (`added`, stored: true);
 * - a stored version with the same hash: `duplicate` when already in the collection, else it is added
 *   (`added`, stored: false);
 * - a stored version with another hash: `conflict`.
 * So the second occurrence of an id + version key in one batch is a `duplicate` when it has the same
 * hash as the version that is stored by then, and a `conflict` otherwise.
 */
async function putVersionsPortable(
  db: Kysely<DB>,
  maxParameters: number,
  collectionId: string,
  items: readonly NewObjectVersion[],
  dateAdded: string,
): Promise<PutOutcome[]> {
  // 1. One insert attempt per distinct (stix_id, version_key), using its first occurrence.
  const firsts = new Map<string, NewObjectVersion>()
  for (const it of items) {
    const k = keyOf(it.stixId, it.versionKey)
    if (!firsts.has(k)) firsts.set(k, it)
  }
  const state = new Map<string, { seq: number; hash: Uint8Array; stored: boolean }>()
  for (const chunk of chunksFor([...firsts.values()], OBJECT_COLUMNS, maxParameters)) {
    const rows = await db
      .insertInto('stix_objects')
      .values(
        chunk.map((it) => ({
          stix_id: it.stixId,
          type: it.type,
          spec_version: it.specVersion,
          created: it.created,
          modified: it.modified,
          version_key: it.versionKey,
          revoked: encodeBool(it.revoked),
          created_by_ref: it.createdByRef,
          content_hash: encodeBytes(it.contentHash),
          json: it.json,
        })),
      )
      .onConflict((oc) => oc.columns(['stix_id', 'version_key']).doNothing())
      .returning(['seq', 'stix_id', 'version_key'])
      .execute()
    // RETURNING order is not guaranteed: match rows by key.
    for (const r of rows) {
      const k = keyOf(r.stix_id, r.version_key)
      const it = firsts.get(k)
      if (it) state.set(k, { seq: decodeInt(r.seq, 'seq'), hash: it.contentHash, stored: true })
    }
  }

  // 2. The versions that were already stored: their seq and hash.
  const missing = [...firsts.entries()].filter(([k]) => !state.has(k)).map(([, it]) => it)
  for (const chunk of chunksFor(missing, 2, maxParameters)) {
    const wanted = new Set(chunk.map((it) => keyOf(it.stixId, it.versionKey)))
    const rows = await db
      .selectFrom('stix_objects')
      .select(['seq', 'stix_id', 'version_key', 'content_hash'])
      .where('stix_id', 'in', [...new Set(chunk.map((it) => it.stixId))])
      .where('version_key', 'in', [...new Set(chunk.map((it) => it.versionKey))])
      .execute()
    for (const r of rows) {
      const k = keyOf(r.stix_id, r.version_key)
      if (wanted.has(k)) state.set(k, { seq: decodeInt(r.seq, 'seq'), hash: decodeBytes(r.content_hash), stored: false })
    }
  }

  // 3. Which of those are already in this collection.
  const member = new Set<number>()
  const existingSeqs = [...state.values()].filter((s) => !s.stored).map((s) => s.seq)
  for (const chunk of chunksFor(existingSeqs, 1, maxParameters - 1)) {
    const rows = await db
      .selectFrom('collection_objects')
      .select('object_seq')
      .where('collection_id', '=', collectionId)
      .where('object_seq', 'in', chunk)
      .execute()
    for (const r of rows) member.add(decodeInt(r.object_seq, 'object_seq'))
  }

  // 4. Outcomes in input order; memberships to add in the same order (so their seqs follow it).
  const out: (PutOutcome | { kind: 'pending'; objectSeq: number; stored: boolean })[] = []
  const adds: { objectSeq: number; it: NewObjectVersion }[] = []
  for (const it of items) {
    const s = state.get(keyOf(it.stixId, it.versionKey))
    if (!s) throw new Error(`store: version ${it.stixId} ${it.versionKey} neither inserted nor found`)
    if (!sameBytes(s.hash, it.contentHash)) out.push({ kind: 'conflict' })
    else if (member.has(s.seq)) out.push({ kind: 'duplicate' })
    else {
      member.add(s.seq)
      out.push({ kind: 'pending', objectSeq: s.seq, stored: s.stored })
      adds.push({ objectSeq: s.seq, it })
    }
  }

  // 5. Insert the memberships. A row not returned was added meanwhile by a concurrent transaction.
  const membershipSeq = new Map<number, number>()
  for (const chunk of chunksFor(adds, MEMBERSHIP_COLUMNS, maxParameters)) {
    const rows = await db
      .insertInto('collection_objects')
      .values(
        chunk.map(({ objectSeq, it }) => ({
          collection_id: collectionId,
          object_seq: objectSeq,
          stix_id: it.stixId,
          type: it.type,
          spec_version: it.specVersion,
          version: it.modified ?? it.created ?? dateAdded,
          date_added: dateAdded,
          ...audienceColumns(it),
        })),
      )
      .onConflict((oc) => oc.columns(['collection_id', 'object_seq']).doNothing())
      .returning(['seq', 'object_seq'])
      .execute()
    for (const r of rows) membershipSeq.set(decodeInt(r.object_seq, 'object_seq'), decodeInt(r.seq, 'seq'))
  }
  // 6. Named recipients of newly stored versions.
  const recipients = adds.filter((a) => a.it.audience?.recipients).flatMap(({ objectSeq, it }) => (it.audience?.recipients ?? []).map((r) => ({ object_seq: objectSeq, identity_id: r })))
  for (const chunk of chunksFor(recipients, 2, maxParameters)) {
    await db.insertInto('object_recipients').values(chunk).onConflict((oc) => oc.columns(['object_seq', 'identity_id']).doNothing()).execute()
  }
  return out.map((o): PutOutcome => {
    if (o.kind !== 'pending') return o
    const seq = membershipSeq.get(o.objectSeq)
    return seq === undefined ? { kind: 'duplicate' } : { kind: 'added', seq, stored: o.stored, objectSeq: o.objectSeq }
  })
}

/**
 * The seqs of every stored version of these objects (stix_objects (stix_id, version_key) index), or
 * undefined when there are too many to bind (the next statement binds them up to three times); callers
 * then filter on stix_id instead, which is correct but walks the collection.
 */
async function objectSeqsOf(db: Kysely<DB>, stixIds: readonly string[], maxParameters: number): Promise<number[] | undefined> {
  if (stixIds.length === 0) return []
  if (stixIds.length > maxParameters / 4) return undefined
  const rows = await db.selectFrom('stix_objects').select('seq').where('stix_id', 'in', [...stixIds]).execute()
  if (rows.length > maxParameters / 4) return undefined
  return rows.map((r) => decodeInt(r.seq, 'seq'))
}

export function makeObjectRepo(ctx: RepoContext): ObjectStore {
  const { db, dialect } = ctx
  return {
    putVersions(collectionId, items, dateAdded) {
      if (items.length === 0) return Promise.resolve([])
      return ctx.atomic((tx) =>
        dialect.putVersions
          ? dialect.putVersions(tx, collectionId, items, dateAdded)
          : putVersionsPortable(tx, dialect.capabilities.maxParameters, collectionId, items, dateAdded),
      )
    },

    async query(q: ObjectQuery): Promise<EntryPage> {
      const limit = Math.max(1, Math.floor(q.limit))
      const versionSeqs = q.ids === undefined ? undefined : await objectSeqsOf(db, q.ids, dialect.capabilities.maxParameters)
      if (versionSeqs?.length === 0) return { items: [], more: false }
      const rows = await db
        .selectFrom('collection_objects as co')
        .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
        .select(['co.seq', 'co.object_seq', 'co.stix_id', 'co.type', 'co.spec_version', 'co.version', 'co.date_added', 'so.content_hash'])
        .select(['co.tlp', 'co.producer', 'co.has_recipients', 'co.expires_at', 'co.path'])
        // withContent false never names the json column.
        .$if(q.withContent, (qb) => qb.select('so.json'))
        .where('co.collection_id', '=', q.collectionId)
        .where((eb) => {
          const conds: Expression<SqlBool>[] = []
          // match[id]: the ids' versions were looked up first, so this is an equality lookup on the
          // (collection_id, object_seq) key; no planner can turn it into a scan of the collection.
          if (versionSeqs !== undefined) conds.push(eb('co.object_seq', 'in', versionSeqs))
          else if (q.ids !== undefined) conds.push(inList(eb, 'co.stix_id', q.ids))
          if (q.addedAfter !== undefined) conds.push(eb('co.date_added', '>', q.addedAfter))
          if (q.types !== undefined) conds.push(inList(eb, 'co.type', q.types))
          if (q.specVersions !== undefined) conds.push(inList(eb, 'co.spec_version', q.specVersions))
          const v = versionCondition(eb, q.versions ?? LATEST_ONLY, versionSeqs)
          if (v) conds.push(v)
          if (q.after !== undefined)
            conds.push(eb(eb.refTuple('co.date_added', 'co.seq'), '>', eb.tuple(q.after.dateAdded, q.after.seq)))
          // The reader's audience (docs/markings.md): pages hold only what the reader may see.
          const a = audienceCondition(eb, q.audience)
          if (a) conds.push(a)
          return eb.and(conds)
        })
        .orderBy('co.date_added')
        .orderBy('co.seq')
        .limit(limit + 1)
        .execute()
      const items = rows.slice(0, limit).map((r): CollectionEntry => {
        const base = {
          seq: decodeInt(r.seq, 'seq'),
          objectSeq: decodeInt(r.object_seq, 'object_seq'),
          stixId: r.stix_id,
          type: r.type,
          specVersion: r.spec_version,
          version: r.version,
          dateAdded: r.date_added,
          contentHash: decodeBytes(r.content_hash, 'content_hash'),
          audience: decodeAudience(r),
        }
        return 'json' in r && typeof r.json === 'string' ? { ...base, json: r.json } : base
      })
      return { items, more: rows.length > limit }
    },

    async removeFromCollection(collectionId, stixId, filter) {
      // Absent filters remove every version of the object from the collection. Select first, then
      // delete by seq: the first/last subqueries then see the collection as it was before the delete.
      return ctx.atomic(async (tx) => {
        const versionSeqs = await objectSeqsOf(tx, [stixId], dialect.capabilities.maxParameters)
        if (versionSeqs?.length === 0) return []
        const rows = await tx
          .selectFrom('collection_objects as co')
          .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
          .select(['co.seq', 'co.object_seq', 'so.type', 'so.version_key', 'so.revoked', 'so.content_hash'])
          .where('co.collection_id', '=', collectionId)
          .where((eb) => {
            const conds: Expression<SqlBool>[] = [
              versionSeqs === undefined ? eb('co.stix_id', '=', stixId) : eb('co.object_seq', 'in', versionSeqs),
            ]
            if (filter.specVersions !== undefined) conds.push(inList(eb, 'co.spec_version', filter.specVersions))
            const v = filter.versions === undefined ? undefined : versionCondition(eb, filter.versions, versionSeqs)
            if (v) conds.push(v)
            return eb.and(conds)
          })
          .orderBy('co.seq')
          .execute()
        const removed: RemovedVersion[] = []
        const bySeq = new Map(rows.map((r) => [decodeInt(r.seq, 'seq'), r]))
        for (const chunk of chunksFor([...bySeq.keys()], 1, dialect.capabilities.maxParameters)) {
          const deleted = await tx.deleteFrom('collection_objects').where('seq', 'in', chunk).returning('seq').execute()
          const gone = new Set(deleted.map((d) => decodeInt(d.seq, 'seq')))
          for (const seq of chunk) {
            const r = bySeq.get(seq)
            if (!r || !gone.has(seq)) continue
            removed.push({
              objectSeq: decodeInt(r.object_seq, 'object_seq'),
              stixId,
              type: r.type,
              versionKey: r.version_key,
              revoked: decodeBool(r.revoked, 'revoked'),
              contentHash: decodeBytes(r.content_hash, 'content_hash'),
            })
          }
        }
        return removed
      })
    },

    async versionsOf(stixId) {
      // Oldest first by the object's own timestamps; objects without them (SCOs) in the order stored.
      const rows = await db
        .selectFrom('stix_objects')
        .select(['seq', 'version_key', 'json'])
        .where('stix_id', '=', stixId)
        .orderBy((eb) => eb.fn.coalesce('modified', 'created', eb.val('')))
        .orderBy('seq')
        .execute()
      return rows.map((r) => ({ seq: decodeInt(r.seq, 'seq'), versionKey: r.version_key, json: r.json }))
    },

    async storedIds(stixIds) {
      const out = new Set<string>()
      const ids = [...new Set(stixIds)]
      // From the (stix_id, version_key) unique index, one row per id at most.
      if (dialect.selectPrepared) {
        const rows = await dialect.selectPrepared(db, `select distinct stix_id from stix_objects where stix_id in (${PREPARED_IN_LIST})`, paddedChunks(ids, PREPARED_IN_SIZE))
        for (const r of rows) out.add((r as { stix_id: string }).stix_id)
        return out
      }
      for (const chunk of chunksFor(ids, 1, 500)) {
        const rows = await db.selectFrom('stix_objects').select('stix_id').distinct().where('stix_id', 'in', chunk).execute()
        for (const r of rows) out.add(r.stix_id)
      }
      return out
    },

    exportLatest(collectionId, batchSize) {
      return exportLatest(db, collectionId, Math.max(1, Math.floor(batchSize)))
    },

    async scanMembers(q) {
      if (q.types.length === 0) return []
      const rows = await db
        .selectFrom('collection_objects as co')
        .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
        .select((eb) => [
          'co.seq',
          'co.collection_id',
          'co.object_seq',
          'co.stix_id',
          'co.type',
          'co.date_added',
          'so.json',
          eb
            .selectFrom('log_entries as le')
            .select('le.entry')
            .whereRef('le.object_seq', '=', 'co.object_seq')
            .whereRef('le.collection_id', '=', 'co.collection_id')
            .where('le.kind', '=', 'object.added')
            .where('le.idx', '>=', 0)
            .orderBy('le.idx')
            .limit(1)
            .as('log_entry'),
        ])
        .where('co.seq', '>', q.afterSeq)
        .where('co.type', 'in', [...q.types])
        .orderBy('co.seq')
        .limit(Math.max(1, Math.floor(q.limit)))
        .execute()
      return rows.map((r) => ({
        seq: decodeInt(r.seq, 'seq'),
        collectionId: r.collection_id,
        objectSeq: decodeInt(r.object_seq, 'object_seq'),
        stixId: r.stix_id,
        type: r.type,
        dateAdded: r.date_added,
        json: r.json,
        logEntry: r.log_entry ?? null,
      }))
    },
  }
}

/**
 * The latest version of each object, one batch per query, keyset-paginated: no query runs longer than
 * one batch (a long SQLite query would block the event loop; a long PostgreSQL one would hold a
 * snapshot). Exactly one row per object:
 * - in a collection: the highest TAXII version there, ties broken by the latest membership; batches
 *   follow the collection's (date_added, seq) order;
 * - across all collections: among the versions that are in at least one collection, the highest
 *   modified (else created), ties broken by the latest stored; batches follow stix_id order.
 */
async function* exportLatest(db: Kysely<DB>, collectionId: string | null, batchSize: number): AsyncGenerator<readonly string[]> {
  if (collectionId !== null) {
    let after: { dateAdded: string; seq: number } | undefined
    for (;;) {
      const rows = await latestInCollection(db, collectionId, after, batchSize)
      if (rows.length > 0) yield rows.map((r) => r.json)
      const last = rows[rows.length - 1]
      if (!last || rows.length < batchSize) return
      after = { dateAdded: last.date_added, seq: decodeInt(last.seq, 'seq') }
    }
  }
  let after: string | undefined
  for (;;) {
    const rows = await latestAnywhere(db, after, batchSize)
    if (rows.length > 0) yield rows.map((r) => r.json)
    const last = rows[rows.length - 1]
    if (!last || rows.length < batchSize) return
    after = last.stix_id
  }
}

function latestInCollection(
  db: Kysely<DB>,
  collectionId: string,
  after: { dateAdded: string; seq: number } | undefined,
  batchSize: number,
) {
  return db
    .selectFrom('collection_objects as co')
    .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
    .select(['co.seq', 'co.date_added', 'so.json'])
    .where('co.collection_id', '=', collectionId)
    .$if(after !== undefined, (q) =>
      q.where((eb) => eb(eb.refTuple('co.date_added', 'co.seq'), '>', eb.tuple(after?.dateAdded ?? '', after?.seq ?? 0))),
    )
    // The highest version in the collection…
    .where((eb) => eb('co.version', '=', extremeVersion(eb, 'max')))
    // …and of several memberships with that version (objects versioned by date added), the latest.
    .where((eb) =>
      eb(
        'co.seq',
        '=',
        eb
          .selectFrom('stix_objects as s2')
          .select((sb) =>
            sb.fn
              .max(
                sb
                  .selectFrom('collection_objects as c2')
                  .select('c2.seq')
                  .whereRef('c2.collection_id', '=', 'co.collection_id')
                  .whereRef('c2.object_seq', '=', 's2.seq')
                  .whereRef('c2.version', '=', 'co.version'),
              )
              .as('m'),
          )
          .whereRef('s2.stix_id', '=', 'co.stix_id'),
      ),
    )
    .orderBy('co.date_added')
    .orderBy('co.seq')
    .limit(batchSize)
    .execute()
}

function latestAnywhere(db: Kysely<DB>, after: string | undefined, batchSize: number) {
  // "In some collection": per collection, an equality lookup on the (collection_id, object_seq) key,
  // counted in scalar subqueries (PostgreSQL cannot turn a scalar into a semi-join over a scan). There
  // are few collections; an index on object_seq alone would cost every ingest for this one export.
  const inSomeCollection = (eb: ExpressionBuilder<DB & { s2: DB['stix_objects'] }, 's2'>) =>
    eb(
      eb
        .selectFrom('collections as c')
        .select((sb) => sb.fn.countAll().as('n'))
        .where((cb) =>
          cb(
            cb
              .selectFrom('collection_objects as c3')
              .select((xb) => xb.fn.countAll().as('m'))
              .whereRef('c3.collection_id', '=', 'c.id')
              .whereRef('c3.object_seq', '=', 's2.seq'),
            '>',
            0,
          ),
        ),
      '>',
      0,
    )
  return db
    .selectFrom('stix_objects as s')
    .select(['s.stix_id', 's.json'])
    .$if(after !== undefined, (q) => q.where('s.stix_id', '>', after ?? ''))
    .where((eb) =>
      eb(
        's.seq',
        '=',
        eb
          .selectFrom('stix_objects as s2')
          .select('s2.seq')
          .whereRef('s2.stix_id', '=', 's.stix_id')
          .where(inSomeCollection)
          .orderBy((ob) => ob.fn.coalesce('s2.modified', 's2.created', ob.val('')), 'desc')
          .orderBy('s2.seq', 'desc')
          .limit(1),
      ),
    )
    .orderBy('s.stix_id')
    .limit(batchSize)
    .execute()
}
