/**
 * Sharing an object with named recipients (POST /api/v1/collections/{id}/objects/{objectId}/share, the
 * share service behind `entente share`): a new version with `recipient_refs` through ingest; the named
 * organisation then sees a RED object, nobody else does. Both engines.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { TLP2_IDS } from '../../../core/marking/tlp.js'
import { RECIPIENTS_EXTENSION_ID } from '../../../core/marking/recipients.js'
import type { Viewer } from '../../../core/policy/viewer.js'

for (const dialect of DIALECTS) {
  describe(`share to named recipients [${dialect}]`, () => {
    let n: HttpTestNode
    const orgs: Record<string, { id: string; identityId: string; viewer: Viewer }> = {}
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: n.hostOrgId })
    const red = {
      type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z',
      pattern: "[domain-name:value = 'red.example']", pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z', object_marking_refs: [TLP2_IDS.red],
    }
    const sees = async (who: string) => {
      const r = await n.services.objects.objectEntries((orgs[who] as { viewer: Viewer }).viewer, { collection: 'default', id: red.id, filters: {}, after: null, limit: 10, withContent: true })
      return r.ok ? JSON.parse(r.value.items[0]?.json ?? '{}') as Record<string, unknown> : null
    }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      for (const name of ['Recipient CERT', 'Other CERT']) {
        const o = await n.services.admin.createOrganisation(system(), { name })
        if (!o.ok) throw new Error('org')
        const u = await n.services.admin.createUser(system(), { orgId: o.value.id, username: name.split(' ')[0]!.toLowerCase(), role: 'analyst' })
        if (!u.ok) throw new Error('user')
        await n.services.admin.setCollectionPermission(system(), { collection: n.defaultCollectionId, orgId: o.value.id, canRead: true, canWrite: false })
        orgs[name] = { id: o.value.id, identityId: o.value.identityId, viewer: { kind: 'user', userId: u.value.id, username: u.value.username, orgId: o.value.id, role: 'analyst' } }
      }
      const added = await api(n.app, 'POST', '/api/v1/collections/default/objects', { token: n.adminToken, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [red] } })
      expect(json<{ added: number }>(added).added).toBe(1)
    })
    afterAll(async () => {
      await n?.close()
    })

    it('names a recipient on the producer’s RED object: a new logged version the recipient sees and nobody else', async () => {
      expect(await sees('Recipient CERT')).toBeNull()
      const head = (await n.store.log.head()).size
      const peerOrg = `identity--${randomUUID()}`
      const r = await api(n.app, 'POST', `/api/v1/collections/default/objects/${red.id}/share`, { token: n.adminToken, body: { to: ['Recipient CERT', peerOrg] } })
      expect(r.statusCode).toBe(200)
      const body = json<{ id: string; version: string; recipients: string[] }>(r)
      expect(body.recipients).toEqual([(orgs['Recipient CERT'] as { identityId: string }).identityId, peerOrg].sort())
      const seen = await sees('Recipient CERT')
      expect(seen).toMatchObject({ id: red.id, modified: body.version, object_marking_refs: [TLP2_IDS.red], extensions: { [RECIPIENTS_EXTENSION_ID]: { recipient_refs: body.recipients } } })
      expect(await sees('Other CERT')).toBeNull()
      // Through the ingest pipeline: one object.added entry, and the log still verifies.
      const entries = await n.store.log.entries(head, (await n.store.log.head()).size)
      expect(entries.map((e) => JSON.parse(e.text) as { kind: string; object?: { id: string } }).filter((e) => e.object?.id === red.id)).toEqual([expect.objectContaining({ kind: 'object.added' })])
      expect(await n.services.verifyLog()).toMatchObject({ ok: true })
      // Sharing again keeps the recipients already named.
      const again = await n.services.share.share(system(), { id: red.id, to: ['Other CERT'] })
      expect(again.ok && again.value.recipients).toHaveLength(3)
      expect(await sees('Other CERT')).not.toBeNull()
    })

    it('refuses what is not the caller’s to share, and bad input, with clear errors', async () => {
      const code = async (body: unknown, token = n.adminToken, id = red.id) => {
        const r = await api(n.app, 'POST', `/api/v1/collections/default/objects/${id}/share`, { token, body })
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/)
        return [r.statusCode, json<{ code: string }>(r).code]
      }
      expect(await code({ to: ['No Such CERT'] })).toEqual([404, 'not_found'])
      expect(await code({ to: [] })).toEqual([400, 'validation_failed'])
      expect(await code({ to: ['Other CERT'] }, n.adminToken, `indicator--${randomUUID()}`)).toEqual([404, 'not_found'])
      // Another organisation (even one allowed to write) may not re-issue the producer's object.
      const other = orgs['Other CERT'] as { id: string; viewer: Viewer }
      await n.services.admin.setCollectionPermission(system(), { collection: n.defaultCollectionId, orgId: other.id, canRead: true, canWrite: true })
      expect(await n.services.share.share(other.viewer, { id: red.id, to: ['Recipient CERT'] })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    })
  })
}
