/** The case index (migration 0006): list fields, organisations and members of cases, derived from stored versions. */
import type { CaseIndexRow, CaseMember, CaseStore } from '../../port.js'
import type { CaseIndexTable, CaseMembersTable } from '../schema.js'
import { affected, chunksFor, type RepoContext } from './context.js'

const toMember = (r: CaseMembersTable): CaseMember => ({ stixId: r.stix_id, caseId: r.case_id, type: r.type, created: r.created, modified: r.modified })
const toRow = (r: CaseIndexTable, orgRefs: readonly string[]): CaseIndexRow => ({
  caseId: r.case_id, collectionId: r.collection_id, title: r.title, status: r.status, severity: r.severity, leadRef: r.lead_ref,
  tlp: r.tlp, created: r.created, modified: r.modified, orgRefs,
})

export function makeCaseRepo({ db, atomic }: RepoContext): CaseStore {
  async function orgsOf(caseIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>()
    if (caseIds.length === 0) return out
    const rows = await db.selectFrom('case_orgs').select(['case_id', 'identity_ref']).where('case_id', 'in', caseIds).orderBy('case_id').orderBy('identity_ref').execute()
    for (const r of rows) {
      const l = out.get(r.case_id) ?? []
      l.push(r.identity_ref)
      out.set(r.case_id, l)
    }
    return out
  }

  return {
    async indexCase(row) {
      await atomic(async (t) => {
        const cur = await t.selectFrom('case_index').select('modified').where('case_id', '=', row.caseId).executeTakeFirst()
        if (cur && cur.modified > row.modified) return
        const values = {
          case_id: row.caseId, collection_id: row.collectionId, title: row.title, status: row.status, severity: row.severity,
          lead_ref: row.leadRef, tlp: row.tlp, created: row.created, modified: row.modified,
        }
        if (cur) await t.updateTable('case_index').set(values).where('case_id', '=', row.caseId).execute()
        else await t.insertInto('case_index').values(values).execute()
        await t.deleteFrom('case_orgs').where('case_id', '=', row.caseId).execute()
        const refs = [...new Set(row.orgRefs)]
        if (refs.length > 0) await t.insertInto('case_orgs').values(refs.map((r) => ({ case_id: row.caseId, identity_ref: r }))).execute()
      })
    },

    async getCase(caseId) {
      const r = await db.selectFrom('case_index').selectAll().where('case_id', '=', caseId).executeTakeFirst()
      if (!r) return null
      return toRow(r, (await orgsOf([caseId])).get(caseId) ?? [])
    },

    async listCases(q) {
      const limit = Math.max(1, Math.floor(q.limit))
      const orgRefs = q.orgRefs
      let b = db.selectFrom('case_index').selectAll()
      if (orgRefs !== undefined) {
        if (orgRefs.length === 0) return { items: [], more: false }
        b = b.where((eb) =>
          eb.exists(
            eb.selectFrom('case_orgs').select('case_orgs.case_id').whereRef('case_orgs.case_id', '=', 'case_index.case_id').where('case_orgs.identity_ref', 'in', orgRefs),
          ),
        )
      }
      if (q.statuses !== undefined && q.statuses.length > 0) b = b.where('status', 'in', q.statuses)
      if (q.severities !== undefined && q.severities.length > 0) b = b.where('severity', 'in', q.severities)
      if (q.leadRef !== undefined) b = b.where('lead_ref', '=', q.leadRef)
      const before = q.before
      if (before !== undefined) b = b.where((eb) => eb(eb.refTuple('created', 'case_id'), '<', eb.tuple(before.created, before.caseId)))
      const rows = await b.orderBy('created', 'desc').orderBy('case_id', 'desc').limit(limit + 1).execute()
      const page = rows.slice(0, limit)
      const orgs = await orgsOf(page.map((r) => r.case_id))
      return { items: page.map((r) => toRow(r, orgs.get(r.case_id) ?? [])), more: rows.length > limit }
    },

    async putMember(m) {
      await atomic(async (t) => {
        const cur = await t.selectFrom('case_members').select('modified').where('stix_id', '=', m.stixId).executeTakeFirst()
        if (!cur) {
          await t
            .insertInto('case_members')
            .values({ stix_id: m.stixId, case_id: m.caseId, type: m.type, created: m.created, modified: m.modified })
            .onConflict((oc) => oc.column('stix_id').doNothing())
            .execute()
        } else if (cur.modified < m.modified) {
          await t.updateTable('case_members').set({ modified: m.modified }).where('stix_id', '=', m.stixId).where('modified', '<', m.modified).execute()
        }
      })
    },

    async member(stixId) {
      const r = await db.selectFrom('case_members').selectAll().where('stix_id', '=', stixId).executeTakeFirst()
      return r ? toMember(r) : null
    },

    async members(caseId, types, limit) {
      if (types.length === 0) return []
      const rows = await db
        .selectFrom('case_members')
        .selectAll()
        .where('case_id', '=', caseId)
        .where('type', 'in', types)
        .orderBy('created')
        .orderBy('stix_id')
        .limit(Math.max(1, Math.floor(limit)))
        .execute()
      return rows.map(toMember)
    },

    async countMembers(caseId, type) {
      const r = await db.selectFrom('case_members').select((eb) => eb.fn.countAll<number>().as('n')).where('case_id', '=', caseId).where('type', '=', type).executeTakeFirst()
      return Number(r?.n ?? 0)
    },

    async claimVersion(stixId, expected, next) {
      const r = await db.updateTable('case_members').set({ modified: next }).where('stix_id', '=', stixId).where('modified', '=', expected).executeTakeFirst()
      return affected(r.numUpdatedRows) === 1
    },

    async heads(stixIds) {
      const out = new Map<string, string>()
      for (const chunk of chunksFor([...new Set(stixIds)], 1, 900)) {
        const rows = await db.selectFrom('case_members').select(['stix_id', 'modified']).where('stix_id', 'in', chunk).execute()
        for (const r of rows) out.set(r.stix_id, r.modified)
      }
      return out
    },
  }
}
