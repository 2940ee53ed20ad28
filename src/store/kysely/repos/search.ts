/**
 * The explorer's search (SearchStore): newest-first keyset pages over one collection's memberships,
 * with a bounded scan per call. Two statements, both on the (collection_id[, type], date_added, seq)
 * indexes of 0001-init:
 *   1. the window: the `scanLimit`-th membership before the position (an index walk of at most
 *      `scanLimit` entries, no table rows);
 *   2. the page: the memberships in that window that pass the filters, joined to their versions.
 * So a selective filter (text, marking, source) costs at most `scanLimit` rows per request, however
 * large the collection, and the caller pages on with `next`. No index is added for these filters:
 * every index on the membership table costs ingest speed (see 0001-init).
 */
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely'
import type { SearchPage, SearchPosition, SearchQuery, SearchStore } from '../../port.js'
import type { DB } from '../schema.js'
import type { RepoContext } from './context.js'
import { decodeAudience } from './audience.js'

type CoEb = ExpressionBuilder<DB, 'collection_objects'>

/** `LIKE` pattern matching `text` anywhere, with `\` as the escape character. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

// Each keyset bound also states its plain date range: SQLite cannot bound an index range with the OR
// alone (it would walk the rest of the collection's index to the end, measured ~300 ms at 1M rows).
function olderThan(eb: CoEb, p: SearchPosition): Expression<SqlBool> {
  return eb.and([eb('collection_objects.date_added', '<=', p.dateAdded), eb.or([
    eb('collection_objects.date_added', '<', p.dateAdded),
    eb.and([eb('collection_objects.date_added', '=', p.dateAdded), eb('collection_objects.seq', '<', p.seq)]),
  ])])
}

function atOrNewerThan(eb: CoEb, p: SearchPosition): Expression<SqlBool> {
  return eb.and([eb('collection_objects.date_added', '>=', p.dateAdded), eb.or([
    eb('collection_objects.date_added', '>', p.dateAdded),
    eb.and([eb('collection_objects.date_added', '=', p.dateAdded), eb('collection_objects.seq', '>=', p.seq)]),
  ])])
}

export function makeSearchRepo({ db }: RepoContext): SearchStore {
  /** The conditions the indexes answer: collection, type, date range, position. */
  function indexed(eb: CoEb, q: SearchQuery): Expression<SqlBool> {
    const c: Expression<SqlBool>[] = [eb('collection_objects.collection_id', '=', q.collectionId)]
    if (q.types !== undefined && q.types.length > 0) c.push(eb('collection_objects.type', 'in', [...q.types]))
    if (q.addedFrom !== undefined) c.push(eb('collection_objects.date_added', '>=', q.addedFrom))
    if (q.addedBefore !== undefined) c.push(eb('collection_objects.date_added', '<', q.addedBefore))
    if (q.before !== undefined) c.push(olderThan(eb, q.before))
    return eb.and(c)
  }

  return {
    async objects(q): Promise<SearchPage> {
      const scanLimit = Math.max(1, q.scanLimit)
      const limit = Math.max(1, q.limit)
      const boundary = await db
        .selectFrom('collection_objects')
        .select(['date_added', 'seq'])
        .where((eb) => indexed(eb, q))
        .orderBy('date_added', 'desc')
        .orderBy('seq', 'desc')
        .limit(1)
        .offset(scanLimit - 1)
        .executeTakeFirst()
      const window: SearchPosition | null = boundary ? { dateAdded: boundary.date_added, seq: Number(boundary.seq) } : null

      let query = db
        .selectFrom('collection_objects')
        .innerJoin('stix_objects as s', 's.seq', 'collection_objects.object_seq')
        .select(['collection_objects.seq as seq', 'collection_objects.date_added as date_added', 's.json as json'])
        .select(['collection_objects.tlp as tlp', 'collection_objects.producer as producer', 'collection_objects.has_recipients as has_recipients', 'collection_objects.expires_at as expires_at', 'collection_objects.path as path'])
        .where((eb) => indexed(eb, q))
        .$if(window !== null, (qb) => qb.where((eb) => atOrNewerThan(eb, window as SearchPosition)))
      if (q.source !== undefined) query = query.where('s.created_by_ref', '=', q.source)
      // The marking definition itself also holds its id: it is not "marked" by itself.
      if (q.marking !== undefined)
        query = query.where(sql<SqlBool>`s.json like ${containsPattern(`"${q.marking}"`)} escape '\\'`).where('collection_objects.stix_id', '<>', q.marking)
      if (q.text !== undefined && q.text !== '') query = query.where(sql<SqlBool>`lower(s.json) like ${containsPattern(q.text.toLowerCase())} escape '\\'`)
      // Latest version only (no newer version of the same object in this collection). Last, so that
      // SQLite evaluates the cheaper filters above first and probes the index only for rows that pass.
      query = query.where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('stix_objects as s2')
              .innerJoin('collection_objects as c2', 'c2.object_seq', 's2.seq')
              .select(sql`1`.as('one'))
              .whereRef('s2.stix_id', '=', 'collection_objects.stix_id')
              .whereRef('c2.collection_id', '=', 'collection_objects.collection_id')
              .whereRef('c2.version', '>', 'collection_objects.version'),
          ),
        ),
      )
      const rows = await query.orderBy('collection_objects.date_added', 'desc').orderBy('collection_objects.seq', 'desc').limit(limit + 1).execute()

      const items = rows.slice(0, limit).map((r) => ({ seq: Number(r.seq), dateAdded: r.date_added, json: r.json, audience: decodeAudience(r) }))
      const last = items[items.length - 1]
      let next: SearchPosition | null = null
      if (rows.length > limit && last) next = { dateAdded: last.dateAdded, seq: last.seq }
      else if (window !== null) next = window
      return { items, next }
    },
  }
}
