/**
 * TAXII 2.1 conformance through `inject`, on every engine: discovery → collections → add → status →
 * get with every filter → pagination → versions → manifest → delete, plus negotiation, auth, rights
 * and error bodies (STYLE.md "TAXII conformance checklist").
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../app.js'
import { nodeHasher } from '../../platform/crypto.js'
import { toStoredTimestamp } from '../../core/stix/time.js'
import { attackObjects } from '../../../test/data.js'
import { DIALECTS } from '../../../test/db.js'
import { createHttpTestNode, DEFAULT_HTTP_OPTIONS, json, sampleObjects, TAXII, taxii, type HttpTestNode } from '../../../test/http.js'
import { fakeClock, silentLogger } from '../../../test/node.js'

type Obj = Record<string, unknown> & { id: string; type: string }
type Envelope = { more: boolean; next?: string; objects: Obj[] }
type Manifest = { more: boolean; next?: string; objects: { id: string; date_added: string; version: string; media_type: string }[] }
type StatusBody = {
  id: string
  status: string
  total_count: number
  success_count: number
  failure_count: number
  pending_count: number
  successes: { id: string; version: string; message?: string }[]
  failures: { id: string; version: string; message?: string }[]
  pendings: unknown[]
}

const ROOT = '/taxii2/api'

/** Everything of a TAXII error body but its error_id (which is the request id). */
function errorWithoutId(res: LightMyRequestResponse): Record<string, unknown> {
  const { error_id: _id, ...rest } = json(res)
  return rest
}

function expectTaxiiError(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toBe(TAXII)
  const body = json(res)
  expect(body).toMatchObject({ http_status: String(status), error_code: code, error_id: res.headers['x-request-id'] })
  expect(typeof body['title']).toBe('string')
}

/** A new version of a STIX object with a later `modified`. */
function revise(o: Obj, modified: string, extra: Record<string, unknown> = {}): Obj {
  return { ...o, modified, ...extra }
}

function indicator(name: string, created = '2026-01-01T00:00:00.000Z'): Obj {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created,
    modified: created,
    name,
    pattern: "[domain-name:value = 'vote-count-results.example']",
    pattern_type: 'stix',
    valid_from: created,
  }
}

for (const dialect of DIALECTS) {
  describe(`TAXII 2.1 on ${dialect}`, () => {
    const clock = fakeClock(Date.parse('2026-11-01T10:00:00Z'))
    let n: HttpTestNode
    let app: FastifyInstance
    let admin: string
    const t = { analyst: '', reader: '', outsider: '' }
    const c: Record<string, string> = {}

    beforeAll(async () => {
      n = await createHttpTestNode(dialect, { clock })
      app = n.app
      admin = n.adminToken
      const s = n.services.admin
      const sys = { kind: 'system', name: 'test', orgId: n.hostOrgId } as const
      const must = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
        if (!r.ok) throw new Error(JSON.stringify(r.error))
        return r.value
      }
      const partner = must(await s.createOrganisation(sys, { name: 'Partner CERT' }))
      const outsider = must(await s.createOrganisation(sys, { name: 'Outsider Org' }))
      for (const [alias, title] of [['shared', 'Shared'], ['readonly', 'Read only'], ['dropbox', 'Drop box'], ['secret', 'Secret'], ['filters', 'Filters'], ['bulk', 'Bulk']] as const) {
        c[alias] = must(await s.createCollection(sys, { title, alias })).id
      }
      const perm = async (alias: string, orgId: string, canRead: boolean, canWrite: boolean) =>
        must(await s.setCollectionPermission(sys, { collection: alias, orgId, canRead, canWrite }))
      await perm('shared', partner.id, true, true)
      await perm('readonly', partner.id, true, false)
      await perm('dropbox', partner.id, false, true)
      const user = async (orgId: string, username: string, role: 'analyst' | 'read_only') => {
        const u = must(await s.createUser(sys, { orgId, username, role }))
        return must(await s.createToken(sys, { userId: u.id, name: 'taxii' })).secret
      }
      t.analyst = await user(partner.id, 'partner-analyst', 'analyst')
      t.reader = await user(partner.id, 'partner-reader', 'read_only')
      t.outsider = await user(outsider.id, 'outsider', 'analyst')
    })
    afterAll(async () => {
      await n.close()
    })

    describe('discovery and API root', () => {
      it('serves discovery without credentials, with absolute API root URLs', async () => {
        const res = await taxii(app, 'GET', '/taxii2/')
        expect(res.statusCode).toBe(200)
        expect(res.headers['content-type']).toBe(TAXII)
        expect(json(res)).toEqual({
          title: 'Entente node test-node',
          description: expect.any(String),
          default: 'https://node.example.test/taxii2/api/',
          api_roots: ['https://node.example.test/taxii2/api/'],
        })
        expect((await taxii(app, 'GET', '/taxii2')).statusCode).toBe(200)
      })

      it('refuses discovery with a bad token rather than ignoring it', async () => {
        const res = await taxii(app, 'GET', '/taxii2/', { token: 'ent_not-a-token' })
        expectTaxiiError(res, 401, 'unauthenticated')
      })

      it('builds API root URLs from the request when no base URL is configured', async () => {
        const other = await buildApp({ services: n.services, logger: silentLogger, options: { ...DEFAULT_HTTP_OPTIONS, baseUrl: undefined as never } })
        try {
          const res = await taxii(other, 'GET', '/taxii2/', { headers: { host: 'taxii.example.org:8443' } })
          expect(json(res)['api_roots']).toEqual(['http://taxii.example.org:8443/taxii2/api/'])
        } finally {
          await other.close()
        }
      })

      it('describes the API root, behind authentication', async () => {
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/`), 401, 'unauthenticated')
        const res = await taxii(app, 'GET', `${ROOT}/`, { token: t.reader })
        expect(res.statusCode).toBe(200)
        expect(json(res)).toEqual({ title: 'test-node', description: expect.any(String), versions: [TAXII], max_content_length: DEFAULT_HTTP_OPTIONS.bodyLimit })
      })

      it('answers unknown TAXII paths with a TAXII 404', async () => {
        expectTaxiiError(await taxii(app, 'GET', '/taxii2/other-root/collections/', { token: admin }), 404, 'not_found')
      })
    })

    describe('negotiation', () => {
      it('answers 406 with a TAXII error for a missing or wrong Accept, before authentication', async () => {
        for (const accept of [null, 'application/json', '*/*', 'application/taxii+json;version=2.0', 'application/stix+json;version=2.1']) {
          const res = await taxii(app, 'GET', `${ROOT}/collections/`, { accept, token: admin })
          expectTaxiiError(res, 406, 'not_acceptable')
          expect((await taxii(app, 'GET', `${ROOT}/collections/`, { accept })).statusCode).toBe(406)
        }
      })

      it('accepts the TAXII media type without a version parameter', async () => {
        expect((await taxii(app, 'GET', `${ROOT}/collections/`, { accept: 'application/taxii+json', token: admin })).statusCode).toBe(200)
      })

      it('answers 415 for a POST body that is not TAXII JSON', async () => {
        for (const contentType of ['application/json', 'text/plain', 'application/taxii+json;version=2.0', 'application/stix+json;version=2.1']) {
          const res = await taxii(app, 'POST', `${ROOT}/collections/default/objects/`, { token: admin, body: { objects: [] }, contentType })
          expectTaxiiError(res, 415, 'unsupported_media_type')
        }
      })

      it('answers 400 for malformed JSON and for envelopes of the wrong shape, storing nothing', async () => {
        const before = json<Manifest>(await taxii(app, 'GET', `${ROOT}/collections/shared/manifest/`, { token: admin })).objects.length
        expectTaxiiError(await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: '{"objects": [' }), 400, 'validation_failed')
        expectTaxiiError(await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: '' }), 400, 'validation_failed')
        for (const body of [[], {}, { objects: {} }, { objects: 'x' }, 42, null]) {
          const res = await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: JSON.stringify(body) })
          expectTaxiiError(res, 400, 'validation_failed')
          expect(json(res)['details']).toEqual({ errors: [expect.objectContaining({ pointer: expect.stringMatching(/^\/body/) })] })
        }
        expect(json<Manifest>(await taxii(app, 'GET', `${ROOT}/collections/shared/manifest/`, { token: admin })).objects.length).toBe(before)
      })

      it('answers 413 for an envelope with too many objects', async () => {
        const res = await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: { objects: Array.from({ length: 10_001 }, () => ({})) } })
        expectTaxiiError(res, 413, 'limit_exceeded')
      })

      it('answers 413 for a body over max_content_length', async () => {
        const small = await buildApp({ services: n.services, logger: silentLogger, options: { ...DEFAULT_HTTP_OPTIONS, bodyLimit: 4096 } })
        try {
          expect(json(await taxii(small, 'GET', `${ROOT}/`, { token: admin }))['max_content_length']).toBe(4096)
          const objects = Array.from({ length: 30 }, (_, i) => indicator(`big ${i}`))
          const res = await taxii(small, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: { objects } })
          expectTaxiiError(res, 413, 'limit_exceeded')
        } finally {
          await small.close()
        }
      })
    })

    describe('authentication', () => {
      it('answers 401 with a challenge for absent, malformed and unknown credentials', async () => {
        const cases = [{}, { token: 'ent_unknown_token_value' }, { basic: ['someone', 'ent_wrong'] as [string, string] }, { authorization: 'Digest abc' }, { authorization: 'Basic !!!' }]
        for (const creds of cases) {
          const res = await taxii(app, 'GET', `${ROOT}/collections/`, creds)
          expectTaxiiError(res, 401, 'unauthenticated')
          expect(res.headers['www-authenticate']).toBe('Bearer realm="entente", Basic realm="entente"')
        }
      })

      it('accepts the token as a Basic password with any user name', async () => {
        const res = await taxii(app, 'GET', `${ROOT}/collections/`, { basic: ['any-client', t.analyst] })
        expect(res.statusCode).toBe(200)
      })

      it('refuses a revoked token', async () => {
        const created = await n.services.admin.createToken({ kind: 'system', name: 'test', orgId: n.hostOrgId }, { userId: (await n.store.users.getByUsername('partner-reader'))!.id, name: 'short-lived' })
        if (!created.ok) throw new Error('token')
        expect((await taxii(app, 'GET', `${ROOT}/collections/`, { token: created.value.secret })).statusCode).toBe(200)
        await n.services.admin.revokeToken({ kind: 'system', name: 'test', orgId: n.hostOrgId }, created.value.token.id)
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/collections/`, { token: created.value.secret }), 401, 'unauthenticated')
      })
    })

    describe('collections and rights', () => {
      it("lists the collections a caller may see, with the caller's rights", async () => {
        const list = async (token: string) =>
          json<{ collections: { alias?: string; can_read: boolean; can_write: boolean; media_types: string[] }[] }>(await taxii(app, 'GET', `${ROOT}/collections/`, { token })).collections
        const partner = await list(t.analyst)
        expect(partner.map((x) => [x.alias, x.can_read, x.can_write]).sort()).toEqual([
          ['dropbox', false, true],
          ['readonly', true, false],
          ['shared', true, true],
        ])
        expect(partner[0]?.media_types).toEqual(['application/stix+json;version=2.1'])
        const reader = await list(t.reader)
        expect(reader.map((x) => [x.alias, x.can_read, x.can_write]).sort()).toEqual([
          ['dropbox', false, false],
          ['readonly', true, false],
          ['shared', true, false],
        ])
        expect(await list(t.outsider)).toEqual([])
        expect((await list(admin)).length).toBe(7)
      })

      it('gets a collection by id or alias', async () => {
        const byAlias = json(await taxii(app, 'GET', `${ROOT}/collections/shared/`, { token: t.analyst }))
        const byId = json(await taxii(app, 'GET', `${ROOT}/collections/${c['shared']}/`, { token: t.analyst }))
        expect(byAlias).toEqual(byId)
        expect(byId).toMatchObject({ id: c['shared'], title: 'Shared', alias: 'shared', can_read: true, can_write: true })
      })

      it('answers a collection the caller may not see exactly like a missing one', async () => {
        const missing = randomUUID()
        // The requested id is part of the description, so ask for the same id both ways: a hidden
        // collection's real id (outsider), and the same id on a node where it does not exist at all.
        const absentNode = await createHttpTestNode(dialect)
        try {
          for (const path of ['/', '/objects/', '/manifest/', `/objects/indicator--${randomUUID()}/`, `/objects/indicator--${randomUUID()}/versions/`]) {
            const hidden = await taxii(app, 'GET', `${ROOT}/collections/${c['secret']}${path}`, { token: t.outsider })
            const absent = await taxii(absentNode.app, 'GET', `${ROOT}/collections/${c['secret']}${path}`, { token: absentNode.adminToken })
            expectTaxiiError(hidden, 404, 'not_found')
            expect(errorWithoutId(hidden)).toEqual(errorWithoutId(absent))
            expect(hidden.headers['content-type']).toBe(absent.headers['content-type'])
          }
        } finally {
          await absentNode.close()
        }
        const hidden = await taxii(app, 'GET', `${ROOT}/collections/secret/`, { token: t.analyst })
        const absent = await taxii(app, 'GET', `${ROOT}/collections/${missing}/`, { token: t.analyst })
        expectTaxiiError(hidden, 404, 'not_found')
        expect(errorWithoutId(hidden)['title']).toBe(errorWithoutId(absent)['title'])
        // POSTing into a hidden collection is a 404 too, like a missing one.
        const post = await taxii(app, 'POST', `${ROOT}/collections/secret/objects/`, { token: t.analyst, body: { objects: [indicator('x')] } })
        const postMissing = await taxii(app, 'POST', `${ROOT}/collections/secret-but-missing/objects/`, { token: t.analyst, body: { objects: [indicator('x')] } })
        expectTaxiiError(post, 404, 'not_found')
        expectTaxiiError(postMissing, 404, 'not_found')
      }, 60_000)

      it('answers 403 to read-only users writing and to readers of a write-only collection', async () => {
        expectTaxiiError(await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: t.reader, body: { objects: [indicator('ro')] } }), 403, 'forbidden')
        expectTaxiiError(await taxii(app, 'POST', `${ROOT}/collections/readonly/objects/`, { token: t.analyst, body: { objects: [indicator('ro')] } }), 403, 'forbidden')
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/collections/dropbox/objects/`, { token: t.analyst }), 403, 'forbidden')
        const drop = await taxii(app, 'POST', `${ROOT}/collections/dropbox/objects/`, { token: t.analyst, body: { objects: [indicator('dropped')] } })
        expect(drop.statusCode).toBe(202)
        expect(json<StatusBody>(drop).success_count).toBe(1)
      })
    })

    describe('add objects and status', () => {
      it('adds real STIX objects and returns a status resource, readable by the same organisation only', async () => {
        const objects = [
          ...(await sampleObjects('oasis-cti-documentation/indicator-for-malicious-url.json')),
          ...(await sampleObjects('oasis-cti-documentation/malware-indicator-for-file-hash.json')),
        ]
        const res = await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: t.analyst, body: { objects } })
        expect(res.statusCode).toBe(202)
        expect(res.headers['content-type']).toBe(TAXII)
        const status = json<StatusBody>(res)
        expect(status).toMatchObject({ status: 'complete', total_count: objects.length, success_count: objects.length, failure_count: 0, pending_count: 0, failures: [], pendings: [] })
        expect(status.successes.map((s) => s.id).sort()).toEqual(objects.map((o) => o['id']).sort())
        expect(json(res)['request_timestamp']).toBe('2026-11-01T10:00:00.000Z')

        const again = await taxii(app, 'GET', `${ROOT}/status/${status.id}/`, { token: t.analyst })
        expect(again.statusCode).toBe(200)
        expect(json(again)).toEqual(json(res))
        expect((await taxii(app, 'GET', `${ROOT}/status/${status.id}/`, { token: admin })).statusCode).toBe(200)
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/status/${status.id}/`, { token: t.outsider }), 404, 'not_found')
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/status/${randomUUID()}/`, { token: admin }), 404, 'not_found')

        // A replay is accepted as duplicates, and stores nothing twice.
        const replay = json<StatusBody>(await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: t.analyst, body: { objects } }))
        expect(replay.success_count).toBe(objects.length)
        expect(replay.successes[0]?.message).toMatch(/duplicate/)
        const listed = json<Envelope>(await taxii(app, 'GET', `${ROOT}/collections/shared/objects/`, { token: t.reader }))
        expect(listed.objects.length).toBe(objects.length)
      })

      it('reports invalid STIX objects in failures with the pointer, and stores only the valid ones', async () => {
        const good = indicator('good one')
        const noCreated = { ...indicator('no created') }
        delete noCreated['created']
        const badId = { ...indicator('bad id'), id: 'indicator--not-a-uuid' }
        const badPattern = { ...indicator('bad pattern'), pattern_type: 42 }
        const res = await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: t.analyst, body: { objects: [good, noCreated, badId, badPattern, 'not an object'] } })
        expect(res.statusCode).toBe(202)
        const s = json<StatusBody>(res)
        expect(s).toMatchObject({ total_count: 5, success_count: 1, failure_count: 4 })
        expect(s.successes).toEqual([{ id: good.id, version: '2026-01-01T00:00:00.000Z' }])
        const byId = new Map(s.failures.map((f) => [f.id, f]))
        expect(byId.get(noCreated.id)?.message).toMatch(/\/created/)
        expect(byId.get(badId.id)?.message).toMatch(/\/id/)
        expect(byId.get(badPattern.id)?.message).toMatch(/\/pattern_type/)
        expect((await taxii(app, 'GET', `${ROOT}/collections/shared/objects/${good.id}/`, { token: admin })).statusCode).toBe(200)
        for (const o of [noCreated, badPattern]) {
          expectTaxiiError(await taxii(app, 'GET', `${ROOT}/collections/shared/objects/${o.id}/`, { token: admin }), 404, 'not_found')
        }
      })
    })

    describe('filters, versions and manifest', () => {
      // filters collection: three batches at T1 < T2 < T3.
      const T1 = '2026-11-02T00:00:00.000Z'
      const T2 = '2026-11-03T00:00:00.000Z'
      const T3 = '2026-11-04T00:00:00.000Z'
      const m1 = '2026-01-01T00:00:00.000Z'
      const m2 = '2026-02-01T00:00:00.000Z'
      const m3 = '2026-03-01T00:00:00.123456Z'
      let A: Obj
      let M: Obj
      let I: Obj
      let T: Obj

      beforeAll(async () => {
        const real = await sampleObjects('oasis-cti-documentation/malware-indicator-for-file-hash.json')
        A = indicator('Ballot portal phishing domain', m1)
        M = real.find((o) => o['type'] === 'malware') as Obj
        I = attackObjects().find((o) => o.type === 'identity') as Obj
        T = attackObjects().find((o) => o.type === 'tool' && o['revoked'] !== true) as Obj
        const post = async (at: string, objects: Obj[]) => {
          clock.set(Date.parse(at))
          const res = await taxii(app, 'POST', `${ROOT}/collections/filters/objects/`, { token: admin, body: { objects } })
          expect(json<StatusBody>(res).failures).toEqual([])
        }
        await post(T1, [A, M, I])
        await post(T2, [revise(A, m2), T])
        await post(T3, [revise(A, m3, { name: 'Ballot portal phishing domain (updated)' })])
      })

      const get = async (path: string, query: Record<string, string> = {}) => {
        const res = await taxii(app, 'GET', `${ROOT}/collections/filters/${path}`, { token: admin, query })
        expect(res.statusCode, res.body).toBe(200)
        expect(res.headers['content-type']).toBe(TAXII)
        return res
      }
      const objectsOf = async (query: Record<string, string>) => json<Envelope>(await get('objects/', query)).objects.map((o) => `${o.id}@${String(o['modified'] ?? '')}`)
      const at = (o: Obj, modified?: string) => `${o.id}@${modified ?? String(o['modified'] ?? '')}`

      it('returns the latest version of every object by default, in date_added order, with the date headers', async () => {
        const res = await get('objects/')
        const body = json<Envelope>(res)
        expect(body.more).toBe(false)
        expect(body.next).toBeUndefined()
        expect(body.objects.map((o) => at(o))).toEqual([at(M), at(I), at(T), at(A, m3)])
        expect(res.headers['x-taxii-date-added-first']).toBe(T1)
        expect(res.headers['x-taxii-date-added-last']).toBe(T3)
      })

      it('filters by type, id, version, spec_version and added_after, alone and combined', async () => {
        expect(await objectsOf({ 'match[type]': 'indicator' })).toEqual([at(A, m3)])
        expect(await objectsOf({ 'match[type]': 'indicator,tool' })).toEqual([at(T), at(A, m3)])
        expect(await objectsOf({ 'match[id]': `${A.id},${M.id}` })).toEqual([at(M), at(A, m3)])
        expect(await objectsOf({ 'match[id]': A.id, 'match[version]': 'all' })).toEqual([at(A, m1), at(A, m2), at(A, m3)])
        expect(await objectsOf({ 'match[id]': A.id, 'match[version]': 'first' })).toEqual([at(A, m1)])
        expect(await objectsOf({ 'match[id]': A.id, 'match[version]': 'first,last' })).toEqual([at(A, m1), at(A, m3)])
        expect(await objectsOf({ 'match[id]': A.id, 'match[version]': m2 })).toEqual([at(A, m2)])
        expect(await objectsOf({ 'match[id]': A.id, 'match[version]': `${m1},${m3}` })).toEqual([at(A, m1), at(A, m3)])
        expect(await objectsOf({ 'match[version]': 'all' })).toHaveLength(6)
        expect(await objectsOf({ 'match[spec_version]': '2.1' })).toHaveLength(4)
        expect(await objectsOf({ 'match[spec_version]': '2.0' })).toEqual([])
        expect(await objectsOf({ added_after: T1 })).toEqual([at(T), at(A, m3)])
        expect(await objectsOf({ added_after: T3 })).toEqual([])
        expect(await objectsOf({ added_after: T1, 'match[type]': 'indicator', 'match[version]': 'all' })).toEqual([at(A, m2), at(A, m3)])
        expect(await objectsOf({ added_after: '2026-11-01T00:00:00Z', 'match[type]': 'malware,identity', 'match[spec_version]': '2.1' })).toEqual([at(M), at(I)])
        expect(await objectsOf({ 'match[type]': 'campaign' })).toEqual([])
      })

      it('refuses bad filters with 400 and a pointer', async () => {
        for (const [k, v] of [['added_after', 'last tuesday'], ['match[id]', 'not-an-id'], ['match[version]', 'newest'], ['limit', '0'], ['limit', 'lots'], ['match[spec_version]', 'v2']]) {
          const res = await taxii(app, 'GET', `${ROOT}/collections/filters/objects/`, { token: admin, query: { [k as string]: v as string } })
          expectTaxiiError(res, 400, 'validation_failed')
          expect(json<{ details: { errors: { pointer: string }[] } }>(res).details.errors[0]?.pointer).toBe(`/query/${k}`)
        }
      })

      it('gets one object: latest by default, every version on request, paginated', async () => {
        expect(json<Envelope>(await get(`objects/${A.id}/`)).objects.map((o) => o['modified'])).toEqual([m3])
        const all = json<Envelope>(await get(`objects/${A.id}/`, { 'match[version]': 'all' }))
        expect(all.objects.map((o) => o['modified'])).toEqual([m1, m2, m3])
        expect(all.objects[2]?.['name']).toBe('Ballot portal phishing domain (updated)')
        const p1 = json<Envelope>(await get(`objects/${A.id}/`, { 'match[version]': 'all', limit: '2' }))
        expect(p1.objects.map((o) => o['modified'])).toEqual([m1, m2])
        expect(p1.more).toBe(true)
        const p2 = json<Envelope>(await get(`objects/${A.id}/`, { 'match[version]': 'all', limit: '2', next: p1.next as string }))
        expect(p2).toMatchObject({ more: false })
        expect(p2.objects.map((o) => o['modified'])).toEqual([m3])
        expectTaxiiError(await taxii(app, 'GET', `${ROOT}/collections/filters/objects/indicator--${randomUUID()}/`, { token: admin }), 404, 'not_found')
      })

      it('lists every version of an object', async () => {
        const res = await get(`objects/${A.id}/versions/`)
        expect(json(res)).toEqual({ more: false, versions: [m1, m2, m3] })
        expect(res.headers['x-taxii-date-added-first']).toBe(T1)
        expect(res.headers['x-taxii-date-added-last']).toBe(T3)
        expect(json(await get(`objects/${A.id}/versions/`, { added_after: T1 }))).toEqual({ more: false, versions: [m2, m3] })
        const p1 = json<{ more: boolean; next: string; versions: string[] }>(await get(`objects/${A.id}/versions/`, { limit: '1' }))
        expect(p1).toMatchObject({ more: true, versions: [m1] })
        const p2 = json<{ more: boolean; next: string; versions: string[] }>(await get(`objects/${A.id}/versions/`, { limit: '1', next: p1.next }))
        expect(p2).toMatchObject({ more: true, versions: [m2] })
        expect(json(await get(`objects/${M.id}/versions/`))).toEqual({ more: false, versions: [M['modified']] })
      })

      it('serves manifests with the same filters', async () => {
        const res = await get('manifest/')
        const body = json<Manifest>(res)
        expect(body.more).toBe(false)
        expect(body.objects).toEqual([
          { id: M.id, date_added: T1, version: M['modified'], media_type: 'application/stix+json;version=2.1' },
          { id: I.id, date_added: T1, version: I['modified'], media_type: 'application/stix+json;version=2.1' },
          { id: T.id, date_added: T2, version: T['modified'], media_type: 'application/stix+json;version=2.1' },
          { id: A.id, date_added: T3, version: m3, media_type: 'application/stix+json;version=2.1' },
        ])
        expect(res.headers['x-taxii-date-added-first']).toBe(T1)
        expect(res.headers['x-taxii-date-added-last']).toBe(T3)
        const versions = json<Manifest>(await get('manifest/', { 'match[id]': A.id, 'match[version]': 'all' })).objects
        expect(versions.map((r) => [r.version, r.date_added])).toEqual([[m1, T1], [m2, T2], [m3, T3]])
        // A version read from a manifest can be sent back as match[version].
        expect(await objectsOf({ 'match[version]': versions[1]?.version as string, 'match[id]': A.id })).toEqual([at(A, m2)])
        // So can a date_added as added_after.
        expect(json<Manifest>(await get('manifest/', { added_after: versions[1]?.date_added as string })).objects.map((r) => r.id)).toEqual([A.id])
      })

      it('shows only the latest spec version of an object unless match[spec_version] asks', async () => {
        // STIX 2.0 content cannot arrive through TAXII any more (the pipeline refuses it); legacy rows
        // are written straight into the store to exercise the default.
        const legacy = (o: Obj, modified: string) => {
          const { spec_version: _sv, ...rest }: Obj = { ...o, modified }
          const text = JSON.stringify(rest)
          return {
            stixId: o.id, type: o.type, specVersion: '2.0', created: null, modified: toStoredTimestamp(modified), versionKey: toStoredTimestamp(modified) as string,
            revoked: false, createdByRef: null, contentHash: nodeHasher.sha256(text), json: text,
          }
        }
        const B = indicator('legacy only')
        await n.store.objects.putVersions(c['filters'] as string, [legacy(A, '2025-06-01T00:00:00.000Z'), legacy(B, '2025-06-01T00:00:00.000Z')], '2026-11-05T00:00:00.000000Z')
        const ids = async (query: Record<string, string>) => json<Envelope>(await get('objects/', query)).objects.map((o) => `${o.id}@${String(o['spec_version'] ?? '2.0')}`)
        expect(await ids({ 'match[id]': `${A.id},${B.id}`, 'match[version]': 'all' })).toEqual([`${A.id}@2.1`, `${A.id}@2.1`, `${A.id}@2.1`, `${B.id}@2.0`])
        expect(await ids({ 'match[id]': `${A.id},${B.id}`, 'match[version]': 'all', 'match[spec_version]': '2.0' })).toEqual([`${A.id}@2.0`, `${B.id}@2.0`])
        expect(await ids({ 'match[id]': `${A.id},${B.id}`, 'match[version]': 'all', 'match[spec_version]': '2.0,2.1' })).toHaveLength(5)
        const manifest = json<Manifest>(await get('manifest/', { 'match[id]': B.id })).objects
        expect(manifest.map((r) => r.media_type)).toEqual(['application/stix+json;version=2.0'])
      })
    })

    describe('pagination', () => {
      let stored: string[] = []
      let dateAdded = ''

      beforeAll(async () => {
        // 2,500 real ATT&CK objects in one request: they all share one date_added.
        clock.set(Date.parse('2026-11-10T12:00:00Z'))
        dateAdded = '2026-11-10T12:00:00.000Z'
        const objects = attackObjects().slice(0, 2500)
        const res = await taxii(app, 'POST', `${ROOT}/collections/bulk/objects/`, { token: admin, body: { objects } })
        expect(res.statusCode).toBe(202)
        const s = json<StatusBody>(res)
        expect(s.total_count).toBe(2500)
        stored = [...new Set(s.successes.map((x) => x.id))]
        expect(stored.length).toBeGreaterThan(2000)
      }, 120_000)

      it('walks 2,500 objects sharing one date_added in pages of 100: each exactly once, headers from the page', async () => {
        const seen: string[] = []
        let next: string | undefined
        let pages = 0
        do {
          const res = await taxii(app, 'GET', `${ROOT}/collections/bulk/objects/`, { token: admin, query: { limit: '100', ...(next ? { next } : {}) } })
          expect(res.statusCode, res.body).toBe(200)
          const body = json<Envelope>(res)
          expect(body.objects.length).toBeLessThanOrEqual(100)
          expect(res.headers['x-taxii-date-added-first']).toBe(dateAdded)
          expect(res.headers['x-taxii-date-added-last']).toBe(dateAdded)
          seen.push(...body.objects.map((o) => o.id))
          next = body.more ? body.next : undefined
          if (body.more) expect(typeof body.next).toBe('string')
          else expect(body.next).toBeUndefined()
          pages++
        } while (next)
        expect(pages).toBe(Math.ceil(stored.length / 100))
        expect(seen.length).toBe(stored.length)
        expect(new Set(seen).size).toBe(seen.length)
        expect(new Set(seen)).toEqual(new Set(stored))
      }, 120_000)

      it('walks the manifest with the same guarantees', async () => {
        const seen: string[] = []
        let next: string | undefined
        do {
          const body = json<Manifest>(await taxii(app, 'GET', `${ROOT}/collections/bulk/manifest/`, { token: admin, query: { limit: '700', ...(next ? { next } : {}) } }))
          seen.push(...body.objects.map((o) => o.id))
          next = body.more ? body.next : undefined
        } while (next)
        expect(seen.length).toBe(stored.length)
        expect(new Set(seen)).toEqual(new Set(stored))
      })

      it('caps the page size at the maximum', async () => {
        const capped = await buildApp({ services: n.services, logger: silentLogger, options: { ...DEFAULT_HTTP_OPTIONS, taxii: { ...DEFAULT_HTTP_OPTIONS.taxii, maxPageSize: 50 } } })
        try {
          const body = json<Envelope>(await taxii(capped, 'GET', `${ROOT}/collections/bulk/objects/`, { token: admin, query: { limit: '5000' } }))
          expect(body.objects.length).toBe(50)
          expect(body.more).toBe(true)
        } finally {
          await capped.close()
        }
      })

      it('refuses a forged, foreign or malformed next with 400', async () => {
        const first = json<Envelope>(await taxii(app, 'GET', `${ROOT}/collections/bulk/objects/`, { token: admin, query: { limit: '10' } }))
        const next = first.next as string
        const [payload, tag] = next.split('.') as [string, string]
        const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [number, string, number]
        const forged = `${Buffer.from(JSON.stringify([decoded[0], decoded[1], decoded[2] + 1000])).toString('base64url')}.${tag}`
        const cases: [string, Record<string, string>][] = [
          ['bulk/objects/', { next: forged }],
          ['bulk/objects/', { next: 'garbage' }],
          ['bulk/objects/', { next: `${payload}.${tag.slice(0, -2)}AA` }],
          ['bulk/objects/', { next, 'match[type]': 'tool' }],
          ['bulk/manifest/', { next }],
          ['filters/objects/', { next }],
          [`bulk/objects/${first.objects[0]?.id}/versions/`, { next }],
        ]
        for (const [path, query] of cases) {
          const res = await taxii(app, 'GET', `${ROOT}/collections/${path}`, { token: admin, query })
          expectTaxiiError(res, 400, 'validation_failed')
          expect(json<{ details: { errors: { pointer: string }[] } }>(res).details.errors[0]?.pointer).toBe('/query/next')
        }
        // A cursor from another node (another key) is refused too.
        const other = await buildApp({ services: n.services, logger: silentLogger, options: DEFAULT_HTTP_OPTIONS })
        try {
          expectTaxiiError(await taxii(other, 'GET', `${ROOT}/collections/bulk/objects/`, { token: admin, query: { next } }), 400, 'validation_failed')
        } finally {
          await other.close()
        }
        // The genuine cursor still works.
        expect((await taxii(app, 'GET', `${ROOT}/collections/bulk/objects/`, { token: admin, query: { limit: '10', next } })).statusCode).toBe(200)
      })
    })

    describe('delete', () => {
      it('removes chosen versions, then the whole object; readers may not delete', async () => {
        clock.set(Date.parse('2026-11-20T00:00:00Z'))
        const o = indicator('to delete', '2026-04-01T00:00:00.000Z')
        await taxii(app, 'POST', `${ROOT}/collections/shared/objects/`, { token: admin, body: { objects: [o, revise(o, '2026-04-02T00:00:00.000Z')] } })
        const url = `${ROOT}/collections/shared/objects/${o.id}/`
        expectTaxiiError(await taxii(app, 'DELETE', url, { token: t.reader }), 403, 'forbidden')
        expectTaxiiError(await taxii(app, 'DELETE', url, { token: t.outsider }), 404, 'not_found')
        const first = await taxii(app, 'DELETE', url, { token: t.analyst, query: { 'match[version]': 'first' } })
        expect(first.statusCode).toBe(200)
        expect(first.headers['content-type']).toBe(TAXII)
        expect(json(await taxii(app, 'GET', `${url}versions/`, { token: admin }))).toEqual({ more: false, versions: ['2026-04-02T00:00:00.000Z'] })
        expect((await taxii(app, 'DELETE', url, { token: t.analyst })).statusCode).toBe(200)
        expectTaxiiError(await taxii(app, 'GET', url, { token: admin }), 404, 'not_found')
        expectTaxiiError(await taxii(app, 'DELETE', url, { token: t.analyst }), 404, 'not_found')
      })
    })

    describe('request ids', () => {
      it('echoes a safe X-Request-Id and uses it as error_id; replaces an unsafe one', async () => {
        const res = await taxii(app, 'GET', `${ROOT}/collections/nope/`, { token: admin, headers: { 'x-request-id': 'client-trace-42' } })
        expect(res.headers['x-request-id']).toBe('client-trace-42')
        expect(json(res)['error_id']).toBe('client-trace-42')
        const unsafe = await taxii(app, 'GET', `${ROOT}/collections/nope/`, { token: admin, headers: { 'x-request-id': 'bad id with spaces' } })
        expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
      })
    })
  })
}
