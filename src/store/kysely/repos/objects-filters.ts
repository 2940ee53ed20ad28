/**
 * TAXII filter conditions on `collection_objects as co`, shared by `query`, `removeFromCollection` and
 * `exportLatest`.
 *
 * Plan stability: id-based lookups never rely on a join order the planner might get wrong (PostgreSQL
 * before its first ANALYZE picks hash joins over a whole collection; SQLite without statistics prefers
 * any index that avoids a sort). They are correlated *scalar* subqueries whose every step is an
 * equality lookup on a unique key: stix_objects (stix_id, version_key) for an object's versions, and
 * collection_objects (collection_id, object_seq) for a version's membership. Neither engine can turn
 * those into scans, with or without statistics.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { VersionFilter } from '../../port.js'
import type { DB } from '../schema.js'

type CoScope = ExpressionBuilder<DB & { co: DB['collection_objects'] }, 'co'>

/** TAXII's default for `match[version]`: the latest version only. */
export const LATEST_ONLY: VersionFilter = Object.freeze({ first: false, last: true, all: false, versions: [] })

/** Matches nothing (an OR over zero alternatives). */
export const NOTHING = sql<SqlBool>`1 = 0`

/**
 * The max/min TAXII version of `co`'s object within `co`'s collection:
 *   (select max((select cv.version from collection_objects cv
 *                where cv.collection_id = co.collection_id and cv.object_seq = sv.seq))
 *    from stix_objects sv where sv.stix_id = co.stix_id)
 * Versions of the object that are not in the collection give NULL, which max/min ignore.
 */
export function extremeVersion(eb: CoScope, fn: 'max' | 'min', amongSeqs?: readonly number[]) {
  return eb
    .selectFrom('stix_objects as sv')
    .$if(amongSeqs !== undefined, (q) => q.where('sv.seq', 'in', [...(amongSeqs ?? [])]))
    .select((sb) =>
      sb.fn[fn](
        sb
          .selectFrom('collection_objects as cv')
          .select('cv.version')
          .whereRef('cv.collection_id', '=', 'co.collection_id')
          .whereRef('cv.object_seq', '=', 'sv.seq'),
      ).as('v'),
    )
    .whereRef('sv.stix_id', '=', 'co.stix_id')
}

/**
 * `match[version]`: the alternatives are OR-ed. `last`/`first` are the max/min TAXII version of the
 * object *within this collection*. Returns undefined when every version matches (`all`).
 * `amongSeqs`: when the caller looked the object's versions up in an earlier statement, first/last
 * are taken among those, so a version stored in between cannot make the answer empty.
 */
export function versionCondition(eb: CoScope, f: VersionFilter, amongSeqs?: readonly number[]): Expression<SqlBool> | undefined {
  if (f.all) return undefined
  const alternatives: Expression<SqlBool>[] = []
  if (f.last) alternatives.push(eb('co.version', '=', extremeVersion(eb, 'max', amongSeqs)))
  if (f.first) alternatives.push(eb('co.version', '=', extremeVersion(eb, 'min', amongSeqs)))
  if (f.versions.length > 0) alternatives.push(eb('co.version', 'in', [...f.versions]))
  if (alternatives.length === 0) return NOTHING
  return alternatives.length === 1 ? alternatives[0] : eb.or(alternatives)
}

/** `IN` on a list; an empty list matches nothing (rather than producing invalid `in ()`). */
export function inList(eb: CoScope, column: 'co.stix_id' | 'co.type' | 'co.spec_version', values: readonly string[]): Expression<SqlBool> {
  return values.length === 0 ? NOTHING : eb(column, 'in', [...values])
}
