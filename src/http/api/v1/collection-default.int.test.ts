/**
 * A collection's default TLP (docs/markings.md "Defaults"): set on create, changed with PATCH
 * /api/v1/collections/{id}; a narrower default raises the stored unmarked objects at once, a wider one
 * is refused without force and never widens what is stored. Both engines.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { TLP2_IDS } from '../../../core/marking/tlp.js'
import type { Viewer } from '../../../core/policy/viewer.js'

const indicator = (marking?: string) => ({
  type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z',
  pattern: `[domain-name:value = '${randomUUID()}.example']`, pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z',
  ...(marking ? { object_marking_refs: [marking] } : {}),
})

for (const dialect of DIALECTS) {
  describe(`collection default TLP [${dialect}]`, () => {
    let n: HttpTestNode
    let reader: Viewer
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: n.hostOrgId })
    const visible = async (collection: string) => {
      const r = await n.services.objects.listObjects(reader, { collection, filters: {}, after: null, limit: 100, withContent: false })
      return r.ok ? r.value.items.map((e) => e.stixId).sort() : []
    }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      const o = await n.services.admin.createOrganisation(system(), { name: 'Reader CERT' })
      if (!o.ok) throw new Error('org')
      const u = await n.services.admin.createUser(system(), { orgId: o.value.id, username: 'reader', role: 'analyst' })
      if (!u.ok) throw new Error('user')
      reader = { kind: 'user', userId: u.value.id, username: 'reader', orgId: o.value.id, role: 'analyst' }
    })
    afterAll(async () => {
      await n?.close()
    })

    it('sets the default on create, raises stored unmarked objects when narrowed, and never widens them', async () => {
      const created = await api(n.app, 'POST', '/api/v1/collections', { token: n.adminToken, body: { title: 'Defaults', alias: `d-${dialect}`, defaultTlp: 'green' } })
      expect(created.statusCode).toBe(201)
      const c = json<{ id: string; defaultTlp: string }>(created)
      expect(c.defaultTlp).toBe('green')
      await n.services.admin.setCollectionPermission(system(), { collection: c.id, orgId: reader.orgId, canRead: true, canWrite: false })
      const unmarked = indicator()
      const green = indicator(TLP2_IDS.green)
      const added = await n.services.ingest.addObjects(system(), { collection: c.id, objects: [unmarked, green] })
      expect(added.ok && added.value.results.map((r) => r.outcome)).toEqual(['added', 'added'])
      expect(await visible(c.id)).toEqual([unmarked.id, green.id].sort())

      // Wider: refused without force (409 problem), nothing changes.
      const wider = await api(n.app, 'PATCH', `/api/v1/collections/${c.id}`, { token: n.adminToken, body: { defaultTlp: 'clear' } })
      expect(wider.statusCode).toBe(409)
      expect(wider.headers['content-type']).toMatch(/^application\/problem\+json/)
      // Bad input: 400 with a pointer; users may not change it.
      expect((await api(n.app, 'PATCH', `/api/v1/collections/${c.id}`, { token: n.adminToken, body: { defaultTlp: 'purple' } })).statusCode).toBe(400)
      expect((await api(n.app, 'PATCH', `/api/v1/collections/${randomUUID()}`, { token: n.adminToken, body: { defaultTlp: 'red' } })).statusCode).toBe(404)
      expect(await n.services.admin.updateCollection(reader, { collection: c.id, defaultTlp: 'red' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })

      // Narrower: RED. The unmarked indicator is raised (RED naming nobody: not the reader's); the GREEN one keeps its marking.
      const narrower = await api(n.app, 'PATCH', `/api/v1/collections/${c.id}`, { token: n.adminToken, body: { defaultTlp: 'red' } })
      expect(narrower.statusCode).toBe(200)
      expect(json(narrower)).toMatchObject({ collection: { id: c.id, defaultTlp: 'red' }, raised: 1 })
      expect(await visible(c.id)).toEqual([green.id])

      // Wider again with force: stored objects keep their narrower audience; new unmarked input gets the new default.
      const forced = await n.services.admin.updateCollection(system(), { collection: c.id, defaultTlp: 'amber', force: true })
      expect(forced).toMatchObject({ ok: true, value: { raised: 0, collection: { defaultTlp: 2 } } })
      const later = indicator()
      await n.services.ingest.addObjects(system(), { collection: c.id, objects: [later] })
      expect(await visible(c.id)).toEqual([green.id, later.id].sort())
    })
  })
}
