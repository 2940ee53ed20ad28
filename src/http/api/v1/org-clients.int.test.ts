/**
 * Client organisations (docs/markings.md "Clients"): TLP:AMBER reaches "the recipient organisations
 * and their clients". A regional election office declared a client of the national CERT sees an AMBER
 * object addressed to the CERT over REST, TAXII and the explorer, and never an AMBER+STRICT or RED
 * one; the relation is managed over REST (PUT/DELETE /api/v1/organisations/{id}/client-of/{parentId})
 * and logged. Both engines.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, taxii, type HttpTestNode } from '../../../../test/http.js'
import { TLP2_IDS, type TlpLevel } from '../../../core/marking/tlp.js'
import { withRecipients } from '../../../core/marking/recipients.js'
import type { Viewer } from '../../../core/policy/viewer.js'

interface OrgFixture {
  readonly id: string
  readonly identityId: string
  readonly token: string
}

const indicator = (level: TlpLevel, recipients: readonly string[]) =>
  withRecipients(
    {
      type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z',
      pattern: `[domain-name:value = '${randomUUID()}.example']`, pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z', object_marking_refs: [TLP2_IDS[level]],
    },
    recipients,
  )

for (const dialect of DIALECTS) {
  describe(`client organisations [${dialect}]`, () => {
    let n: HttpTestNode
    const orgs: Record<'cert' | 'regional' | 'other', OrgFixture> = {} as never
    const objects: Record<'amber' | 'strict' | 'red', Record<string, unknown>> = {} as never
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: n.hostOrgId })

    /** The ids of the fixture objects a token sees, over REST, TAXII and the explorer (the three must agree). */
    const seen = async (who: keyof typeof orgs): Promise<string[]> => {
      const token = orgs[who].token
      const ours = new Set(Object.values(objects).map((o) => o['id'] as string))
      const rest = await api(n.app, 'GET', '/api/v1/collections/default/objects', { token, query: { limit: '1000' } })
      expect(rest.statusCode).toBe(200)
      const viaRest = json<{ items: { id: string }[] }>(rest).items.map((o) => o.id).filter((id) => ours.has(id)).sort()
      const tx = await taxii(n.app, 'GET', '/taxii2/api/collections/default/objects/', { token })
      expect(tx.statusCode).toBe(200)
      const viaTaxii = (json<{ objects?: { id: string }[] }>(tx).objects ?? []).map((o) => o.id).filter((id) => ours.has(id)).sort()
      const viaExplorer: string[] = []
      for (const id of ours) {
        const r = await api(n.app, 'GET', `/api/v1/collections/default/objects/${id}`, { token })
        expect([200, 404]).toContain(r.statusCode)
        if (r.statusCode === 200) viaExplorer.push(id)
      }
      expect(viaTaxii).toEqual(viaRest)
      expect(viaExplorer.sort()).toEqual(viaRest)
      return viaRest
    }
    const names = (ids: readonly string[]) => ids.map((id) => Object.entries(objects).find(([, o]) => o['id'] === id)?.[0]).sort()
    const clientOf = (client: keyof typeof orgs, parent: keyof typeof orgs, method: 'PUT' | 'DELETE' = 'PUT', token = n.adminToken) =>
      api(n.app, method, `/api/v1/organisations/${orgs[client].id}/client-of/${orgs[parent].id}`, { token })

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      for (const [key, name] of [['cert', 'National CERT'], ['regional', 'Regional Election Office'], ['other', 'Other Office']] as const) {
        const o = await n.services.admin.createOrganisation(system(), { name })
        if (!o.ok) throw new Error('org')
        const u = await n.services.admin.createUser(system(), { orgId: o.value.id, username: key, role: 'read_only' })
        if (!u.ok) throw new Error('user')
        const t = await n.services.admin.createToken(system(), { userId: u.value.id, name: 'test' })
        if (!t.ok) throw new Error('token')
        // Every one of them may read the default collection: only the markings tell them apart.
        await n.services.admin.setCollectionPermission(system(), { collection: n.defaultCollectionId, orgId: o.value.id, canRead: true, canWrite: false })
        orgs[key] = { id: o.value.id, identityId: o.value.identityId, token: t.value.secret }
      }
      // The host organisation writes three objects addressed to the national CERT.
      objects.amber = indicator('amber', [orgs.cert.identityId])
      objects.strict = indicator('amber+strict', [orgs.cert.identityId])
      objects.red = indicator('red', [orgs.cert.identityId])
      const added = await api(n.app, 'POST', '/api/v1/collections/default/objects', { token: n.adminToken, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects: Object.values(objects) } })
      expect(json<{ added: number }>(added).added).toBe(3)
    })
    afterAll(async () => {
      await n?.close()
    })

    it('lets a client see AMBER addressed to its parent (REST, TAXII, explorer), never AMBER+STRICT or RED, and only while it is a client', async () => {
      expect(names(await seen('cert'))).toEqual(['amber', 'red', 'strict'])
      expect(await seen('regional')).toEqual([])
      expect(await seen('other')).toEqual([])

      const head = (await n.store.log.head()).size
      const added = await clientOf('regional', 'cert')
      expect(added.statusCode).toBe(201)
      expect(json(added)).toMatchObject({ clientOrgId: orgs.regional.id, parentOrgId: orgs.cert.id })
      expect(names(await seen('regional'))).toEqual(['amber'])
      // Not the other office (no relation), and the relation does not work backwards.
      expect(await seen('other')).toEqual([])
      expect(names(await seen('cert'))).toEqual(['amber', 'red', 'strict'])

      // Declaring it again changes nothing (200, nothing logged).
      const again = await clientOf('regional', 'cert')
      expect(again.statusCode).toBe(200)
      const shown = json<{ clientOf: string[]; clients: string[]; defaultTlp: string | null }>(await api(n.app, 'GET', `/api/v1/organisations/${orgs.regional.id}`, { token: n.adminToken }))
      expect(shown).toMatchObject({ clientOf: [orgs.cert.id], clients: [], defaultTlp: null })
      const parent = json<{ clients: string[] }>(await api(n.app, 'GET', `/api/v1/organisations/${orgs.cert.id}`, { token: n.adminToken }))
      expect(parent.clients).toEqual([orgs.regional.id])

      // Ended: the client sees nothing again.
      const removed = await clientOf('regional', 'cert', 'DELETE')
      expect(removed.statusCode).toBe(204)
      expect(await seen('regional')).toEqual([])

      // Both changes are in the log, and the log verifies.
      const entries = (await n.store.log.entries(head, (await n.store.log.head()).size)).map((e) => JSON.parse(e.text) as Record<string, unknown>)
      expect(entries).toEqual([
        expect.objectContaining({ kind: 'org.client_added', client: { org: orgs.regional.id, of: orgs.cert.id } }),
        expect.objectContaining({ kind: 'org.client_removed', client: { org: orgs.regional.id, of: orgs.cert.id } }),
      ])
      expect(await n.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
    })

    it('refuses bad relations with problem+json and writes nothing', async () => {
      const head = (await n.store.log.head()).size
      const problem = async (res: Awaited<ReturnType<typeof api>>) => {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        return [res.statusCode, json<{ code: string }>(res).code]
      }
      expect(await problem(await clientOf('cert', 'cert'))).toEqual([400, 'validation_failed'])
      expect(await problem(await api(n.app, 'PUT', `/api/v1/organisations/${orgs.regional.id}/client-of/${randomUUID()}`, { token: n.adminToken }))).toEqual([404, 'not_found'])
      expect(await problem(await clientOf('regional', 'cert', 'DELETE'))).toEqual([404, 'not_found'])
      // Only administrators manage relations.
      expect(await problem(await clientOf('regional', 'cert', 'PUT', orgs.regional.token))).toEqual([403, 'forbidden'])
      // An organisation and its client cannot be clients of each other.
      expect((await clientOf('other', 'cert')).statusCode).toBe(201)
      expect(await problem(await clientOf('cert', 'other'))).toEqual([409, 'conflict'])
      expect((await clientOf('other', 'cert', 'DELETE')).statusCode).toBe(204)
      expect(await n.store.orgs.clients()).toEqual([])
      // Only the accepted add and its removal were logged.
      const kinds = (await n.store.log.entries(head, (await n.store.log.head()).size)).map((e) => e.kind)
      expect(kinds).toEqual(['org.client_added', 'org.client_removed'])
    })
  })
}
