/**
 * TAXII and REST reads hide what a reader may not see and redact what it may not read (docs/markings.md):
 * TLP:RED to a non-recipient, TLP:AMBER+STRICT to a recipient organisation's neighbour, granularly
 * marked parts removed, unmarked input given the collection's default (AMBER), never CLEAR.
 * Node administrators read everything (they hold the database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { api, createHttpTestNode, json, taxii, type HttpTestNode } from '../../../test/http.js'
import { RECIPIENTS_EXTENSION_ID } from '../../core/marking/recipients.js'
import { TLP2_IDS } from '../../core/marking/tlp.js'
import type { Viewer } from '../../core/policy/viewer.js'

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`

function indicator(n: number, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--${uuid(n)}`, created: '2026-11-01T10:00:00.000Z', modified: '2026-11-01T10:00:00.000Z',
    name: `indicator ${n}`, description: `secret source ${n}`, pattern: `[domain-name:value = 'x${n}.example']`, pattern_type: 'stix', valid_from: '2026-11-01T10:00:00Z',
    ...extra,
  }
}
const to = (...ids: string[]) => ({ extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', recipient_refs: ids } } })

for (const dialect of DIALECTS) {
  describe(`reads filtered by audience [${dialect}]`, () => {
    let node: HttpTestNode
    const tokens: Record<'b' | 'c', string> = { b: '', c: '' }
    let collectionId = ''
    beforeAll(async () => {
      node = await createHttpTestNode(dialect)
      const sys: Viewer = { kind: 'system', name: 'test', orgId: node.hostOrgId }
      const ids: Record<string, string> = {}
      for (const name of ['b', 'c'] as const) {
        const org = await node.services.admin.createOrganisation(sys, { name: `Org ${name}` })
        if (!org.ok) throw new Error('org')
        ids[name] = org.value.identityId
        await node.services.admin.setCollectionPermission(sys, { collection: 'default', orgId: org.value.id, canRead: true, canWrite: false })
        const user = await node.services.admin.createUser(sys, { orgId: org.value.id, username: `reader-${name}`, role: 'read_only' })
        if (!user.ok) throw new Error('user')
        const t = await node.services.admin.createToken(sys, { userId: user.value.id, name: 't' })
        if (!t.ok) throw new Error('token')
        tokens[name] = t.value.secret
      }
      collectionId = node.defaultCollectionId
      const objects = [
        indicator(1, { object_marking_refs: [TLP2_IDS.red], ...to(ids['b']!) }),
        indicator(2, { object_marking_refs: [TLP2_IDS['amber+strict']], ...to(ids['b']!) }),
        indicator(3, { object_marking_refs: [TLP2_IDS.amber] }),
        indicator(4, { object_marking_refs: [TLP2_IDS.green], granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['description'] }], ...to(ids['b']!) }),
        indicator(5, {}),
      ]
      const r = await taxii(node.app, 'POST', `/taxii2/api/collections/${collectionId}/objects/`, { token: node.adminToken, body: { objects } })
      expect(r.statusCode).toBe(202)
      expect(json(r)['success_count']).toBe(5)
    })
    afterAll(async () => {
      await node.close()
    })

    const taxiiObjects = async (token: string) =>
      json<{ objects?: Record<string, unknown>[] }>(await taxii(node.app, 'GET', `/taxii2/api/collections/${collectionId}/objects/`, { token })).objects ?? []
    const names = (objs: Record<string, unknown>[]) => objs.map((o) => o['name']).sort()

    it('hides RED from non-recipients and AMBER+STRICT from organisations that are not named', async () => {
      expect(names(await taxiiObjects(tokens.b))).toEqual(['indicator 1', 'indicator 2', 'indicator 3', 'indicator 4', 'indicator 5'])
      expect(names(await taxiiObjects(tokens.c))).toEqual(['indicator 3', 'indicator 4', 'indicator 5'])
      const manifest = json<{ objects?: { id: string }[] }>(await taxii(node.app, 'GET', `/taxii2/api/collections/${collectionId}/manifest/`, { token: tokens.c }))
      expect((manifest.objects ?? []).map((o) => o.id).sort()).toEqual([3, 4, 5].map((n) => `indicator--${uuid(n)}`))
      // A hidden object answers like a missing one.
      expect((await taxii(node.app, 'GET', `/taxii2/api/collections/${collectionId}/objects/indicator--${uuid(1)}/`, { token: tokens.c })).statusCode).toBe(404)
      expect((await taxii(node.app, 'GET', `/taxii2/api/collections/${collectionId}/objects/indicator--${uuid(1)}/versions/`, { token: tokens.c })).statusCode).toBe(404)
      expect((await taxii(node.app, 'GET', `/taxii2/api/collections/${collectionId}/objects/indicator--${uuid(1)}/`, { token: tokens.b })).statusCode).toBe(200)
    })

    it('removes granularly marked parts the reader is not entitled to', async () => {
      const forC = (await taxiiObjects(tokens.c)).find((o) => o['name'] === 'indicator 4')!
      expect(forC['description']).toBeUndefined()
      expect(forC['granular_markings']).toBeUndefined()
      const forB = (await taxiiObjects(tokens.b)).find((o) => o['name'] === 'indicator 4')!
      expect(forB['description']).toBe('secret source 4')
    })

    it('filters and redacts the REST listing the same way', async () => {
      const r = await api(node.app, 'GET', `/api/v1/collections/${collectionId}/objects`, { token: tokens.c })
      expect(r.statusCode).toBe(200)
      expect(r.body).not.toContain('indicator 1')
      expect(r.body).not.toContain('indicator 2')
      expect(r.body).not.toContain('secret source 4')
      expect(r.body).toContain('indicator 3')
      expect(r.body).toContain('secret source 5')
    })

    it('gives unmarked input the collection default (AMBER), and administrators complete reads', async () => {
      const page = await node.store.objects.query({ collectionId, ids: [`indicator--${uuid(5)}`], limit: 10, withContent: false })
      expect(page.items[0]?.audience?.tlp).toBe(2)
      const all = await taxiiObjects(node.adminToken)
      expect(names(all)).toEqual(['indicator 1', 'indicator 2', 'indicator 3', 'indicator 4', 'indicator 5'])
      expect(all.find((o) => o['name'] === 'indicator 4')!['description']).toBe('secret source 4')
    })
  })
}
