import { ok, err, type Result } from '../../../core/shared/result.js'
import type { Collection, CollectionPermission, CollectionStore } from '../../port.js'
import { decodeCollection, decodeInt, decodePermission, encodeCollection, encodePermission } from '../codecs.js'
import type { RepoContext } from './context.js'

export function makeCollectionRepo({ db }: RepoContext): CollectionStore {
  const get = async (id: string) => {
    const r = await db.selectFrom('collections').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? decodeCollection(r) : null
  }
  return {
    async create(c): Promise<Result<Collection>> {
      const r = await db
        .insertInto('collections')
        .values(encodeCollection(c))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (r) return ok(c)
      const taken = await get(c.id)
      return err({
        code: 'conflict',
        detail: taken ? `collection ${c.id} already exists` : `the collection alias ${String(c.alias)} is taken`,
      })
    },
    get,
    async find(idOrAlias) {
      // An id match wins over an alias match (an alias could look like another collection's id).
      const rows = await db
        .selectFrom('collections')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', idOrAlias), eb('alias', '=', idOrAlias)]))
        .execute()
      const row = rows.find((r) => r.id === idOrAlias) ?? rows[0]
      return row ? decodeCollection(row) : null
    },
    async list() {
      const rows = await db.selectFrom('collections').selectAll().orderBy('created_at').orderBy('id').execute()
      return rows.map(decodeCollection)
    },
    async setPermission(p): Promise<Result<CollectionPermission>> {
      const coll = await db.selectFrom('collections').select('id').where('id', '=', p.collectionId).executeTakeFirst()
      if (!coll) return err({ code: 'not_found', resource: 'collection', id: p.collectionId })
      const org = await db.selectFrom('organisations').select('id').where('id', '=', p.orgId).executeTakeFirst()
      if (!org) return err({ code: 'not_found', resource: 'organisation', id: p.orgId })
      const row = encodePermission(p)
      await db
        .insertInto('collection_permissions')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['collection_id', 'org_id']).doUpdateSet({ can_read: row.can_read, can_write: row.can_write }),
        )
        .execute()
      return ok(p)
    },
    async permissions(collectionId) {
      const rows = await db
        .selectFrom('collection_permissions')
        .selectAll()
        .where('collection_id', '=', collectionId)
        .orderBy('org_id')
        .execute()
      return rows.map(decodePermission)
    },
    async permissionOf(collectionId, orgId) {
      const r = await db
        .selectFrom('collection_permissions')
        .selectAll()
        .where('collection_id', '=', collectionId)
        .where('org_id', '=', orgId)
        .executeTakeFirst()
      return r ? decodePermission(r) : null
    },
    async setDefaultTlp(collectionId, tlp) {
      await db.updateTable('collections').set({ default_tlp: tlp }).where('id', '=', collectionId).execute()
      return get(collectionId)
    },
    async raiseMemberTlp(collectionId, objectSeqs, tlp) {
      let changed = 0
      // In chunks: one parameter per sequence number stays far below either engine's limit.
      for (let i = 0; i < objectSeqs.length; i += 500) {
        const r = await db
          .updateTable('collection_objects')
          .set({ tlp })
          .where('collection_id', '=', collectionId)
          .where('object_seq', 'in', [...objectSeqs.slice(i, i + 500)])
          .where('tlp', '<', tlp)
          .executeTakeFirst()
        changed += Number(r.numUpdatedRows)
      }
      return changed
    },
    async producedBelow(producer, belowTlp, afterSeq, limit) {
      const rows = await db
        .selectFrom('collection_objects as co')
        .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
        .select(['co.seq', 'co.collection_id', 'co.object_seq', 'so.json'])
        .where('co.producer', '=', producer)
        .where('co.path', 'is', null)
        .where('co.tlp', '<', belowTlp)
        .where('co.seq', '>', afterSeq)
        .orderBy('co.seq')
        .limit(limit)
        .execute()
      return rows.map((r) => ({ seq: decodeInt(r.seq, 'seq'), collectionId: r.collection_id, objectSeq: decodeInt(r.object_seq, 'object_seq'), json: r.json }))
    },
    async countObjects(collectionId) {
      const r = await db
        .selectFrom('collection_objects')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('collection_id', '=', collectionId)
        .executeTakeFirstOrThrow()
      return decodeInt(r.n, 'count')
    },
  }
}
