/**
 * An organisation's default TLP (docs/markings.md "Defaults"): unmarked input its users submit gets
 * the stricter of it and the receiving collection's default; input from outside (peer sync, feeds)
 * gets the collection's. The stored bytes never change. Set on POST /api/v1/organisations, changed
 * with PATCH /api/v1/organisations/{id} (narrower raises the organisation's stored unmarked objects,
 * wider needs force), logged. Both engines.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { TLP2_IDS } from '../../../core/marking/tlp.js'
import { canonicalize } from '../../../core/stix/canonical.js'
import type { Viewer } from '../../../core/policy/viewer.js'

const indicator = (marking?: string) => ({
  type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z',
  pattern: `[domain-name:value = '${randomUUID()}.example']`, pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z',
  ...(marking ? { object_marking_refs: [marking] } : {}),
})

interface Who {
  readonly id: string
  readonly token: string
  readonly viewer: Viewer
}

for (const dialect of DIALECTS) {
  describe(`organisation default TLP [${dialect}]`, () => {
    let n: HttpTestNode
    let collection: string
    const who: Record<'strict' | 'plain' | 'reader', Who> = {} as never
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: n.hostOrgId })
    const post = async (w: Who, objects: readonly unknown[]) => {
      const r = await api(n.app, 'POST', `/api/v1/collections/${collection}/objects`, { token: w.token, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects } })
      expect(json<{ added: number }>(r).added).toBe(objects.length)
    }
    /** The stored audience TLP and JSON of each object in the collection, by STIX id. */
    const stored = async () => {
      const page = await n.store.objects.query({ collectionId: collection, versions: { first: false, last: false, all: true, versions: [] }, limit: 1000, withContent: true })
      return new Map(page.items.map((e) => [e.stixId, { tlp: e.audience?.tlp, json: e.json }]))
    }
    const sees = async (w: Who) => {
      const r = await api(n.app, 'GET', `/api/v1/collections/${collection}/objects`, { token: w.token, query: { limit: '1000' } })
      expect(r.statusCode).toBe(200)
      return json<{ items: { id: string }[] }>(r).items.map((o) => o.id).sort()
    }
    const patch = (org: string, body: unknown, token = n.adminToken) => api(n.app, 'PATCH', `/api/v1/organisations/${org}`, { token, body })
    const logSince = async (head: number) => (await n.store.log.entries(head, (await n.store.log.head()).size)).map((e) => JSON.parse(e.text) as Record<string, unknown>)

    /** An organisation made over REST, with an analyst (and token) who may read the collection, and write it unless `readOnly`. */
    const newOrg = async (username: string, body: { name: string; defaultTlp?: string }, readOnly = false): Promise<Who> => {
      const created = await api(n.app, 'POST', '/api/v1/organisations', { token: n.adminToken, body })
      expect(created.statusCode).toBe(201)
      const o = json<{ id: string; defaultTlp: string | null }>(created)
      expect(o.defaultTlp).toBe(body.defaultTlp ?? null)
      const u = await n.services.admin.createUser(system(), { orgId: o.id, username, role: 'analyst' })
      if (!u.ok) throw new Error('user')
      const t = await n.services.admin.createToken(system(), { userId: u.value.id, name: 'test' })
      if (!t.ok) throw new Error('token')
      await n.services.admin.setCollectionPermission(system(), { collection, orgId: o.id, canRead: true, canWrite: !readOnly })
      return { id: o.id, token: t.value.secret, viewer: { kind: 'user', userId: u.value.id, username, orgId: o.id, role: 'analyst' } }
    }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      const c = await n.services.admin.createCollection(system(), { title: 'Defaults', alias: `od-${dialect}`, defaultTlp: 'green' })
      if (!c.ok) throw new Error('collection')
      collection = c.value.id
      who.strict = await newOrg('strict', { name: 'Strict CERT', defaultTlp: 'red' })
      who.plain = await newOrg('plain', { name: 'Plain Authority' })
      who.reader = await newOrg('reader', { name: 'Reader Office' }, true)
    })
    afterAll(async () => {
      await n?.close()
    })

    it('gives local unmarked input the stricter default, outside input the collection’s, and never changes the bytes', async () => {
      const strictUnmarked = indicator()
      const strictGreen = indicator(TLP2_IDS.green)
      const plainUnmarked = indicator()
      const fromOutside = indicator()
      await post(who.strict, [strictUnmarked, strictGreen])
      await post(who.plain, [plainUnmarked])
      // As peer sync and feeds hand it over: with an origin, through the same ingest.
      const outside = await n.services.ingest.ingestBatch(who.strict.viewer, { collection, objects: [fromOutside], origin: { kind: 'local', producer: '' } })
      expect(outside.ok && outside.value.counts.added).toBe(1)

      const s = await stored()
      // RED (the organisation's) beats GREEN (the collection's); an object's own marking wins; outside input: the collection's.
      expect([strictUnmarked, strictGreen, plainUnmarked, fromOutside].map((o) => s.get(o.id)?.tlp)).toEqual([4, 1, 1, 1])
      expect(s.get(strictUnmarked.id)?.json).toBe(canonicalize(strictUnmarked))
      expect(s.get(strictUnmarked.id)?.json).not.toContain('object_marking_refs')
      // RED naming nobody: the producer sees it, the reader does not.
      expect(await sees(who.reader)).toEqual([strictGreen.id, plainUnmarked.id, fromOutside.id].sort())
      expect(await sees(who.strict)).toContain(strictUnmarked.id)
    })

    it('narrows with PATCH (raising the organisation’s stored unmarked objects), widens only with force, and logs each change', async () => {
      const narrowing = await newOrg('narrowing', { name: 'Narrowing Office' })
      const unmarked = indicator()
      const marked = indicator(TLP2_IDS.green)
      const othersUnmarked = indicator()
      await post(narrowing, [unmarked, marked])
      await post(who.plain, [othersUnmarked])
      expect(await sees(who.reader)).toEqual(expect.arrayContaining([unmarked.id, marked.id]))
      const head = (await n.store.log.head()).size

      const narrower = await patch(narrowing.id, { defaultTlp: 'red' })
      expect(narrower.statusCode).toBe(200)
      // Its unmarked object is raised; its marked one, and other organisations' unmarked ones, keep their TLP.
      expect(json(narrower)).toMatchObject({ organisation: { id: narrowing.id, defaultTlp: 'red' }, raised: 1 })
      expect((await stored()).get(unmarked.id)?.tlp).toBe(4)
      expect((await stored()).get(othersUnmarked.id)?.tlp).toBe(1)
      expect(await sees(who.reader)).toEqual(expect.arrayContaining([marked.id, othersUnmarked.id]))
      expect(await sees(who.reader)).not.toContain(unmarked.id)
      expect(await sees(narrowing)).toContain(unmarked.id)

      // The same value again: nothing changes, nothing is logged.
      expect(json(await patch(narrowing.id, { defaultTlp: 'red' }))).toMatchObject({ raised: 0 })
      // Wider, or none: refused without force (409 problem), nothing changes.
      for (const body of [{ defaultTlp: 'amber' }, { defaultTlp: null }]) {
        const wider = await patch(narrowing.id, body)
        expect(wider.statusCode).toBe(409)
        expect(wider.headers['content-type']).toMatch(/^application\/problem\+json/)
      }
      expect((await n.store.orgs.get(narrowing.id))?.defaultTlp).toBe(4)

      // Cleared with force: stored objects keep their narrower audience; new unmarked input gets the collection's again.
      const cleared = await patch(narrowing.id, { defaultTlp: null, force: true })
      expect(cleared.statusCode).toBe(200)
      expect(json(cleared)).toMatchObject({ organisation: { defaultTlp: null }, raised: 0 })
      const later = indicator()
      await post(narrowing, [later])
      expect((await stored()).get(later.id)?.tlp).toBe(1)
      expect(await sees(who.reader)).not.toContain(unmarked.id)

      expect(await logSince(head)).toEqual([
        expect.objectContaining({ kind: 'org.default_tlp_set', org: { id: narrowing.id, tlp: 'red' } }),
        expect.objectContaining({ kind: 'org.default_tlp_set', org: { id: narrowing.id, tlp: null } }),
        expect.objectContaining({ kind: 'object.added' }),
      ])
      expect(await n.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
    })

    it('logs a default given at creation, and refuses bad input with problem+json and nothing written', async () => {
      const head = (await n.store.log.head()).size
      const created = await api(n.app, 'POST', '/api/v1/organisations', { token: n.adminToken, body: { name: 'Amber Ministry', defaultTlp: 'amber+strict' } })
      expect(created.statusCode).toBe(201)
      const id = json<{ id: string }>(created).id
      expect(await logSince(head)).toEqual([
        expect.objectContaining({ kind: 'org.created', org: expect.objectContaining({ id }) }),
        expect.objectContaining({ kind: 'org.default_tlp_set', org: { id, tlp: 'amber+strict' } }),
      ])
      const after = (await n.store.log.head()).size
      const problem = async (res: Awaited<ReturnType<typeof api>>) => {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        return [res.statusCode, json<{ code: string }>(res).code]
      }
      expect(await problem(await api(n.app, 'POST', '/api/v1/organisations', { token: n.adminToken, body: { name: 'Purple Office', defaultTlp: 'purple' } }))).toEqual([400, 'validation_failed'])
      expect(await problem(await patch(id, { defaultTlp: 'white' }))).toEqual([400, 'validation_failed'])
      expect(await problem(await patch(id, {}))).toEqual([400, 'validation_failed'])
      expect(await problem(await patch(randomUUID(), { defaultTlp: 'red' }))).toEqual([404, 'not_found'])
      expect(await problem(await patch(id, { defaultTlp: 'red' }, who.strict.token))).toEqual([403, 'forbidden'])
      expect((await n.store.orgs.getByName('Purple Office'))).toBeNull()
      expect((await n.store.orgs.get(id))?.defaultTlp).toBe(3)
      expect((await n.store.log.head()).size).toBe(after)
    })
  })
}
