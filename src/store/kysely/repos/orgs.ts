import { ok, err, type Result } from '../../../core/shared/result.js'
import type { OrgClient, Organisation, OrgStore } from '../../port.js'
import { decodeOrganisation, encodeOrganisation } from '../codecs.js'
import { affected, type RepoContext } from './context.js'

export function makeOrgRepo({ db }: RepoContext): OrgStore {
  const get = async (id: string) => {
    const r = await db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? decodeOrganisation(r) : null
  }
  const decodeClient = (r: { client_org_id: string; parent_org_id: string; created_at: string }): OrgClient => ({
    clientOrgId: r.client_org_id,
    parentOrgId: r.parent_org_id,
    createdAt: r.created_at,
  })
  return {
    async create(org): Promise<Result<Organisation>> {
      // `on conflict do nothing` instead of catching a unique violation: on PostgreSQL a failed
      // statement would abort the caller's whole transaction.
      const r = await db
        .insertInto('organisations')
        .values(encodeOrganisation(org))
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (r) return ok(org)
      const taken = await get(org.id)
      return err({
        code: 'conflict',
        detail: taken ? `organisation ${org.id} already exists` : `an organisation named ${org.name} already exists`,
      })
    },
    get,
    async getByName(name) {
      const r = await db.selectFrom('organisations').selectAll().where('name', '=', name).executeTakeFirst()
      return r ? decodeOrganisation(r) : null
    },
    async list() {
      const rows = await db.selectFrom('organisations').selectAll().orderBy('name').orderBy('id').execute()
      return rows.map(decodeOrganisation)
    },
    async setDefaultTlp(id, tlp) {
      await db.updateTable('organisations').set({ default_tlp: tlp }).where('id', '=', id).execute()
      return get(id)
    },
    async addClient(c): Promise<Result<boolean>> {
      // Checked first, not left to the foreign keys: on PostgreSQL a failed statement aborts the caller's transaction.
      for (const id of [c.clientOrgId, c.parentOrgId]) if (!(await get(id))) return err({ code: 'not_found', resource: 'organisation', id })
      if (c.clientOrgId === c.parentOrgId) return err({ code: 'conflict', detail: 'an organisation cannot be its own client' })
      const r = await db
        .insertInto('org_clients')
        .values({ client_org_id: c.clientOrgId, parent_org_id: c.parentOrgId, created_at: c.createdAt })
        .onConflict((oc) => oc.doNothing())
        .returning('client_org_id')
        .executeTakeFirst()
      return ok(r !== undefined)
    },
    async removeClient(clientOrgId, parentOrgId) {
      const r = await db.deleteFrom('org_clients').where('client_org_id', '=', clientOrgId).where('parent_org_id', '=', parentOrgId).executeTakeFirst()
      return affected(r.numDeletedRows) > 0
    },
    async clients(orgId) {
      let q = db.selectFrom('org_clients').selectAll()
      if (orgId !== undefined) q = q.where((eb) => eb.or([eb('client_org_id', '=', orgId), eb('parent_org_id', '=', orgId)]))
      const rows = await q.orderBy('client_org_id').orderBy('parent_org_id').execute()
      return rows.map(decodeClient)
    },
    async parentsOf(orgId) {
      const rows = await db
        .selectFrom('org_clients as c')
        .innerJoin('organisations as o', 'o.id', 'c.parent_org_id')
        .selectAll('o')
        .where('c.client_org_id', '=', orgId)
        .orderBy('o.id')
        .execute()
      return rows.map(decodeOrganisation)
    },
  }
}
