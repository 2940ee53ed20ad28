/**
 * TAXII filter conditions on `collection_objects as co`, shared by `query` and `removeFromCollection`.
 * Portable SQL only: IN lists, correlated min/max subqueries (served by the index
 * (collection_id, stix_id, version)), and a row-value comparison for the keyset.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { VersionFilter } from '../../port.js'
import type { DB } from '../schema.js'

type CoScope = ExpressionBuilder<DB & { co: DB['collection_objects'] }, 'co'>

/** TAXII's default for `match[version]`: the latest version only. */
export const LATEST_ONLY: VersionFilter = Object.freeze({ first: false, last: true, all: false, versions: [] })

/** Matches nothing (an OR over zero alternatives). */
const NOTHING = sql<SqlBool>`1 = 0`

/**
 * `match[version]`: the alternatives are OR-ed. `last`/`first` are the max/min TAXII version of the
 * object *within this collection*. Returns undefined when every version matches (`all`).
 */
export function versionCondition(eb: CoScope, f: VersionFilter): Expression<SqlBool> | undefined {
  if (f.all) return undefined
  const alternatives: Expression<SqlBool>[] = []
  const extreme = (fn: 'max' | 'min') =>
    eb
      .selectFrom('collection_objects as cv')
      .select((sb) => sb.fn[fn]('cv.version').as('v'))
      .whereRef('cv.collection_id', '=', 'co.collection_id')
      .whereRef('cv.stix_id', '=', 'co.stix_id')
  if (f.last) alternatives.push(eb('co.version', '=', extreme('max')))
  if (f.first) alternatives.push(eb('co.version', '=', extreme('min')))
  if (f.versions.length > 0) alternatives.push(eb('co.version', 'in', [...f.versions]))
  if (alternatives.length === 0) return NOTHING
  return alternatives.length === 1 ? alternatives[0] : eb.or(alternatives)
}

/** `IN` on a list; an empty list matches nothing (rather than producing invalid `in ()`). */
export function inList(eb: CoScope, column: 'co.stix_id' | 'co.type' | 'co.spec_version', values: readonly string[]): Expression<SqlBool> {
  return values.length === 0 ? NOTHING : eb(column, 'in', [...values])
}
