/**
 * The audience key in storage (docs/markings.md, migration 0007): the columns a membership row keeps,
 * and `audienceCondition`, the SQL form of `audienceAllows` (core/policy/audience.ts) for one reader.
 * A property test (src/store/conformance/audience.ts) holds the two to exactly the same answers on
 * random data, on both engines.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { AudienceFilter, CollectionEntry, NewObjectVersion } from '../../port.js'
import { decodeInt } from '../codecs.js'
import type { DB } from '../schema.js'

type CoScope = ExpressionBuilder<DB & { co: DB['collection_objects'] }, 'co'>

const FALSE = sql<SqlBool>`1 = 0`

/** The audience columns of a membership row (absent audience: RED, no producer: system reads only). */
export function audienceColumns(it: NewObjectVersion) {
  const a = it.audience
  if (!a) return { tlp: 4, producer: null, has_recipients: 0, expires_at: null, arrival_agreement: null, path: null }
  const last = a.path && a.path.length > 0 ? a.path[a.path.length - 1] : undefined
  return {
    tlp: a.tlp,
    producer: a.producer,
    has_recipients: a.recipients !== null ? 1 : 0,
    expires_at: a.expiresAt,
    arrival_agreement: last?.agreementId ?? null,
    path: a.path ? JSON.stringify(a.path) : null,
  }
}

/** Decodes the audience columns of a row. */
export function decodeAudience(r: { tlp: unknown; producer: string | null; has_recipients: unknown; expires_at: string | null; path: string | null }): NonNullable<CollectionEntry['audience']> {
  const n = decodeInt(r.tlp, 'tlp')
  const tlp = n === 0 || n === 1 || n === 2 || n === 3 ? n : 4
  let path: NonNullable<CollectionEntry['audience']>['path'] = null
  if (r.path !== null) {
    const v: unknown = JSON.parse(r.path)
    if (!Array.isArray(v)) throw new Error('store: path is not a list')
    path = v as { from: string; to: string; agreementId: string }[]
  }
  return { tlp, producer: r.producer, hasRecipients: decodeInt(r.has_recipients, 'has_recipients') === 1, expiresAt: r.expires_at, path }
}

const inOrFalse = (eb: CoScope, col: 'co.collection_id' | 'co.arrival_agreement' | 'co.producer', values: readonly string[]): Expression<SqlBool> =>
  values.length === 0 ? FALSE : eb(col, 'in', [...values])

/** The version names one of `ids` as a recipient. */
function namesRecipient(eb: CoScope, ids: readonly string[]): Expression<SqlBool> {
  if (ids.length === 0) return FALSE
  return eb.exists(
    eb
      .selectFrom('object_recipients as r')
      .select('r.object_seq')
      .whereRef('r.object_seq', '=', 'co.object_seq')
      .where('r.identity_id', 'in', [...ids]),
  )
}

/** Recipients of the version include one of `ids`: named ones when it names any, else the implied ones. */
function recipientAmong(eb: CoScope, ids: readonly string[], collections: readonly string[], agreements: readonly string[]): Expression<SqlBool> {
  return eb.or([
    eb.and([eb('co.has_recipients', '=', 1), namesRecipient(eb, ids)]),
    eb.and([eb('co.has_recipients', '=', 0), eb.or([inOrFalse(eb, 'co.collection_id', collections), inOrFalse(eb, 'co.arrival_agreement', agreements)])]),
  ])
}

/** The rows `filter`'s reader may see, as a condition on `collection_objects as co`; undefined = every row. */
export function audienceCondition(eb: CoScope, filter: AudienceFilter | undefined): Expression<SqlBool> | undefined {
  if (filter === undefined || filter.kind === 'all') return undefined
  const live = eb.or([eb('co.expires_at', 'is', null), eb('co.expires_at', '>', filter.now)])
  if (filter.kind === 'public') return eb.and([live, eb('co.tlp', '=', 0)])
  const x = filter.identity
  const clients = filter.clientOf
  const sees = eb.or([
    eb('co.tlp', '<=', 1),
    eb('co.producer', '=', x),
    eb.and([eb('co.tlp', '=', 4), namesRecipient(eb, [x])]),
    eb.and([eb('co.tlp', 'in', [2, 3]), recipientAmong(eb, [x], filter.recipientCollections, filter.agreements)]),
    clients.length === 0
      ? FALSE
      : eb.and([
          eb('co.tlp', '=', 2),
          eb.or([inOrFalse(eb, 'co.producer', clients), recipientAmong(eb, clients, filter.clientRecipientCollections, filter.clientAgreements)]),
        ]),
  ])
  return eb.and([live, sees])
}
