/** The REST administration API through `inject`: routes, rights, problem+json bodies, imports. */
import { randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeHasher } from '../../../platform/crypto.js'
import { attackObjects } from '../../../../test/data.js'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, sampleObjects, type HttpTestNode } from '../../../../test/http.js'

type Problem = { type: string; title: string; status: number; detail: string; instance: string; code: string; requestId: string; errors: { pointer: string; message: string }[] }

function expectProblem(res: LightMyRequestResponse, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const p = json<Problem>(res)
  expect(p).toMatchObject({ type: `urn:entente:problem:${code}`, status, code, requestId: res.headers['x-request-id'] })
  expect(p.title.length).toBeGreaterThan(0)
  expect(Array.isArray(p.errors)).toBe(true)
  return p
}

async function waitForJob(app: FastifyInstance, token: string, id: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const job = json(await api(app, 'GET', `/api/v1/imports/${id}`, { token }))
    if (job['state'] !== 'running') return job
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error('import did not finish')
}

for (const dialect of DIALECTS) {
  describe(`REST /api/v1 on ${dialect}`, () => {
    let n: HttpTestNode
    let app: FastifyInstance
    let admin: string
    let partnerOrg: string
    let analyst: { id: string; token: string }
    let reader: { id: string; token: string }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      app = n.app
      admin = n.adminToken
      const org = await api(app, 'POST', '/api/v1/organisations', { token: admin, body: { name: 'Partner Election Authority' } })
      expect(org.statusCode).toBe(201)
      partnerOrg = json<{ id: string }>(org).id
      const mk = async (username: string, role: string) => {
        const u = json<{ id: string }>(await api(app, 'POST', '/api/v1/users', { token: admin, body: { orgId: partnerOrg, username, role, password: 'correct horse battery staple' } }))
        const tok = json<{ secret: string }>(await api(app, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'cli', userId: u.id } }))
        return { id: u.id, token: tok.secret }
      }
      analyst = await mk('analyst-one', 'analyst')
      reader = await mk('reader-one', 'read_only')
      await api(app, 'PUT', `/api/v1/collections/default/permissions/${partnerOrg}`, { token: admin, body: { canRead: true, canWrite: true } })
    })
    afterAll(async () => {
      await n.close()
    })

    describe('account', () => {
      it('tells who the caller is', async () => {
        const res = await api(app, 'GET', '/api/v1/me', { token: analyst.token })
        expect(res.statusCode).toBe(200)
        expect(json(res)).toEqual({ kind: 'user', userId: analyst.id, username: 'analyst-one', orgId: partnerOrg, role: 'analyst' })
        expect(json(await api(app, 'GET', '/api/v1/me', { basic: ['x', analyst.token] }))['username']).toBe('analyst-one')
      })

      it('answers 401 with a challenge and a problem body', async () => {
        for (const creds of [{}, { token: 'ent_nope_nope_nope' }, { authorization: 'Basic' }]) {
          const res = await api(app, 'GET', '/api/v1/me', creds)
          expectProblem(res, 401, 'unauthenticated')
          expect(res.headers['www-authenticate']).toBe('Bearer realm="entente", Basic realm="entente"')
        }
      })

      it('shows a new token secret once, lists tokens without it, and stores only its hash', async () => {
        const created = await api(app, 'POST', '/api/v1/tokens', { token: analyst.token, body: { name: 'my laptop', expiresAt: '2099-01-01T00:00:00Z' } })
        expect(created.statusCode).toBe(201)
        expect(created.headers['cache-control']).toBe('no-store')
        const { token, secret } = json<{ token: { id: string; prefix: string; userId: string; expiresAt: string }; secret: string }>(created)
        expect(secret).toMatch(/^ent_/)
        expect(token).toMatchObject({ userId: analyst.id, prefix: secret.slice(0, 10), expiresAt: '2099-01-01T00:00:00.000000Z' })
        expect(json(await api(app, 'GET', '/api/v1/me', { token: secret }))['userId']).toBe(analyst.id)

        const mine = await api(app, 'GET', '/api/v1/tokens', { token: analyst.token })
        expect(mine.statusCode).toBe(200)
        expect(json<{ items: { id: string }[] }>(mine).items.map((x) => x.id)).toContain(token.id)
        const all = await api(app, 'GET', '/api/v1/tokens', { token: admin })
        for (const body of [mine.body, all.body]) {
          expect(body).not.toContain(secret)
          expect(body).not.toContain(secret.slice(10))
        }
        // Stored by its SHA-256: the store finds it by hash, and never hands a secret out.
        const principal = await n.store.tokens.findActiveByHash(nodeHasher.sha256(secret), '2030-01-01T00:00:00.000000Z')
        expect(principal?.token.id).toBe(token.id)
        expect(JSON.stringify(await n.store.tokens.list(analyst.id))).not.toContain(secret.slice(10))

        // Users manage their own tokens only; administrators manage every token.
        expectProblem(await api(app, 'GET', '/api/v1/tokens', { token: analyst.token, query: { userId: reader.id } }), 403, 'forbidden')
        expectProblem(await api(app, 'DELETE', `/api/v1/tokens/${token.id}`, { token: reader.token }), 404, 'not_found')
        const revoked = await api(app, 'DELETE', `/api/v1/tokens/${token.id}`, { token: analyst.token })
        expect(revoked.statusCode).toBe(200)
        expect(json(revoked)['revokedAt']).toEqual(expect.any(String))
        expectProblem(await api(app, 'GET', '/api/v1/me', { token: secret }), 401, 'unauthenticated')
      })

      it('lets administrators create tokens for others, and nobody else', async () => {
        expectProblem(await api(app, 'POST', '/api/v1/tokens', { token: analyst.token, body: { name: 'sneaky', userId: reader.id } }), 403, 'forbidden')
        expect((await api(app, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'for reader', userId: reader.id } })).statusCode).toBe(201)
        const p = expectProblem(await api(app, 'POST', '/api/v1/tokens', { token: analyst.token, body: { name: 'past', expiresAt: '2001-01-01T00:00:00Z' } }), 400, 'validation_failed')
        expect(p.errors).toEqual([{ pointer: '/expiresAt', message: 'must be in the future' }])
      })
    })

    describe('administration', () => {
      it('lists and creates organisations (administrators only)', async () => {
        const list = json<{ items: { name: string; identityId: string }[] }>(await api(app, 'GET', '/api/v1/organisations', { token: admin }))
        expect(list.items.map((o) => o.name).sort()).toEqual(['Partner Election Authority', 'Test Election Authority'])
        expect(list.items[0]?.identityId).toMatch(/^identity--/)
        expectProblem(await api(app, 'GET', '/api/v1/organisations', { token: analyst.token }), 403, 'forbidden')
        expectProblem(await api(app, 'POST', '/api/v1/organisations', { token: analyst.token, body: { name: 'Nope' } }), 403, 'forbidden')
      })

      it('creates users, never shows password hashes, and sets roles', async () => {
        const created = await api(app, 'POST', '/api/v1/users', { token: admin, body: { orgId: partnerOrg, username: 'new-user', role: 'read_only', password: 'a long enough password' } })
        expect(created.statusCode).toBe(201)
        const user = json<{ id: string; role: string }>(created)
        expect(Object.keys(user).sort()).toEqual(['createdAt', 'disabledAt', 'id', 'orgId', 'role', 'username'])
        const list = await api(app, 'GET', '/api/v1/users', { token: admin, query: { orgId: partnerOrg } })
        expect(list.body).not.toMatch(/scrypt|passwordHash|password/)
        expect(json<{ items: unknown[] }>(list).items).toHaveLength(3)
        const role = await api(app, 'PUT', `/api/v1/users/${user.id}/role`, { token: admin, body: { role: 'analyst' } })
        expect(json(role)['role']).toBe('analyst')
        expectProblem(await api(app, 'PUT', `/api/v1/users/${user.id}/role`, { token: admin, body: { role: 'root' } }), 400, 'validation_failed')
        expectProblem(await api(app, 'PUT', `/api/v1/users/${randomUUID()}/role`, { token: admin, body: { role: 'analyst' } }), 404, 'not_found')
        expectProblem(await api(app, 'POST', '/api/v1/users', { token: admin, body: { orgId: partnerOrg, username: 'new-user', role: 'analyst' } }), 409, 'conflict')
        expectProblem(await api(app, 'POST', '/api/v1/users', { token: admin, body: { orgId: randomUUID(), username: 'orphan', role: 'analyst' } }), 404, 'not_found')
      })

      it('manages collections and their permissions', async () => {
        const created = await api(app, 'POST', '/api/v1/collections', { token: admin, body: { title: 'Election Day 2026', alias: 'eday-2026', description: 'Joint monitoring' } })
        expect(created.statusCode).toBe(201)
        const col = json<{ id: string }>(created)
        expect(json(created)).toMatchObject({ alias: 'eday-2026', canRead: true, canWrite: true, mediaTypes: ['application/stix+json;version=2.1'] })
        expectProblem(await api(app, 'POST', '/api/v1/collections', { token: admin, body: { title: 'Again', alias: 'eday-2026' } }), 409, 'conflict')
        expectProblem(await api(app, 'GET', '/api/v1/collections/eday-2026', { token: analyst.token }), 404, 'not_found')
        const perm = await api(app, 'PUT', `/api/v1/collections/eday-2026/permissions/${partnerOrg}`, { token: admin, body: { canRead: true, canWrite: false } })
        expect(json(perm)).toEqual({ collectionId: col.id, orgId: partnerOrg, canRead: true, canWrite: false })
        expect(json(await api(app, 'GET', '/api/v1/collections/eday-2026', { token: analyst.token }))).toMatchObject({ id: col.id, canRead: true, canWrite: false })
        const visible = json<{ items: { alias: string | null }[] }>(await api(app, 'GET', '/api/v1/collections', { token: analyst.token })).items.map((c) => c.alias).sort()
        expect(visible).toEqual(['default', 'eday-2026'])
        const perms = json<{ items: unknown[] }>(await api(app, 'GET', `/api/v1/collections/${col.id}/permissions`, { token: admin }))
        expect(perms.items).toEqual([{ collectionId: col.id, orgId: partnerOrg, canRead: true, canWrite: false }])
        expectProblem(await api(app, 'GET', `/api/v1/collections/${col.id}/permissions`, { token: analyst.token }), 403, 'forbidden')
      })
    })

    describe('problem bodies', () => {
      it('validation_failed with pointers into body, query and params', async () => {
        let p = expectProblem(await api(app, 'POST', '/api/v1/organisations', { token: admin, body: { name: '', extra: 1 } }), 400, 'validation_failed')
        expect(p.errors.map((e) => e.pointer).sort()).toEqual(['/body/extra', '/body/name'])
        expect(p.instance).toBe('/api/v1/organisations')
        p = expectProblem(await api(app, 'POST', '/api/v1/users', { token: admin, body: { username: 'x' } }), 400, 'validation_failed')
        expect(p.errors.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/body/orgId', '/body/role']))
        p = expectProblem(await api(app, 'GET', '/api/v1/collections/default/objects', { token: admin, query: { limit: 'many' } }), 400, 'validation_failed')
        expect(p.errors[0]?.pointer).toBe('/query/limit')
        p = expectProblem(await api(app, 'POST', '/api/v1/organisations', { token: admin, body: '{"name": ' }), 400, 'validation_failed')
        expect(p.errors).toEqual([{ pointer: '/body', message: 'is not valid JSON' }])
      })

      it('not_found for unknown routes and resources', async () => {
        expectProblem(await api(app, 'GET', '/api/v1/nothing-here', { token: admin }), 404, 'not_found')
        expectProblem(await api(app, 'GET', '/nothing-here'), 404, 'not_found')
        expectProblem(await api(app, 'GET', `/api/v1/collections/${randomUUID()}`, { token: admin }), 404, 'not_found')
      })

      it('unsupported_media_type and limit_exceeded', async () => {
        expectProblem(await api(app, 'POST', '/api/v1/organisations', { token: admin, body: 'name=x', contentType: 'text/csv' }), 415, 'unsupported_media_type')
        const big = { type: 'bundle', id: `bundle--${randomUUID()}`, objects: [{ type: 'note', id: 'x', content: 'x'.repeat(11 * 1024 * 1024) }] }
        const p = expectProblem(await api(app, 'POST', '/api/v1/collections/default/objects', { token: admin, body: big }), 413, 'limit_exceeded')
        expect(p.detail).toMatch(/larger than/)
      })

      it('echoes X-Request-Id as requestId', async () => {
        const res = await api(app, 'GET', '/api/v1/nothing', { token: admin, headers: { 'x-request-id': 'trace-123=' } })
        expect(res.headers['x-request-id']).toBe('trace-123=')
        expect(json(res)['requestId']).toBe('trace-123=')
      })
    })

    describe('objects', () => {
      it('adds a bundle with per-object results, storing only the valid objects', async () => {
        const objects = [...(await sampleObjects('oasis-cti-documentation/sighting-of-an-indicator.json')), { type: 'indicator', id: `indicator--${randomUUID()}`, spec_version: '2.1' }]
        const res = await api(app, 'POST', '/api/v1/collections/default/objects', { token: analyst.token, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects } })
        expect(res.statusCode, res.body).toBe(200)
        const r = json<{ statusId: string; added: number; failed: number; results: { index: number; outcome: string; pointer?: string; message?: string }[] }>(res)
        expect(r.added).toBe(objects.length - 1)
        expect(r.failed).toBe(1)
        const bad = r.results.find((x) => x.outcome === 'failed')
        expect(bad).toMatchObject({ index: objects.length - 1, code: 'stix_invalid' })
        expect(bad?.pointer).toMatch(/^\//)
        expectProblem(await api(app, 'POST', '/api/v1/collections/default/objects', { token: reader.token, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects } }), 403, 'forbidden')
        expectProblem(await api(app, 'POST', '/api/v1/collections/default/objects', { token: analyst.token, body: { type: 'envelope', objects } }), 400, 'validation_failed')
        const tooMany = { type: 'bundle', id: `bundle--${randomUUID()}`, objects: Array.from({ length: 10_001 }, () => ({})) }
        expectProblem(await api(app, 'POST', '/api/v1/collections/default/objects', { token: analyst.token, body: tooMany }), 413, 'limit_exceeded')
      })

      it('lists objects with a type filter and an opaque cursor', async () => {
        const objects = attackObjects().filter((o) => o.type === 'malware').slice(0, 25)
        await api(app, 'POST', '/api/v1/collections/default/objects', { token: analyst.token, body: { type: 'bundle', id: `bundle--${randomUUID()}`, objects } })
        const seen: string[] = []
        let cursor: string | undefined
        do {
          const res = await api(app, 'GET', '/api/v1/collections/default/objects', { token: reader.token, query: { type: 'malware', limit: '10', ...(cursor ? { cursor } : {}) } })
          expect(res.statusCode, res.body).toBe(200)
          expect(res.headers['content-type']).toMatch(/^application\/json/)
          const body = json<{ items: { id: string; type: string }[]; more: boolean; nextCursor?: string }>(res)
          expect(body.items.every((o) => o.type === 'malware')).toBe(true)
          seen.push(...body.items.map((o) => o.id))
          cursor = body.more ? body.nextCursor : undefined
        } while (cursor)
        expect(new Set(seen)).toEqual(new Set(objects.map((o) => o.id)))
        expect(seen).toHaveLength(25)
        const p = expectProblem(await api(app, 'GET', '/api/v1/collections/default/objects', { token: reader.token, query: { cursor: 'forged.cursor' } }), 400, 'validation_failed')
        expect(p.errors[0]?.pointer).toBe('/query/cursor')
        const p2 = expectProblem(await api(app, 'GET', '/api/v1/collections/default/objects', { token: reader.token, query: { type: 'Not A Type' } }), 400, 'validation_failed')
        expect(p2.errors[0]?.pointer).toBe('/query/type')
      })
    })

    describe('import jobs', () => {
      it('imports a bundle in the background: 202, Location, progress and results', async () => {
        const objects = [...attackObjects().filter((o) => o.type === 'tool').slice(0, 30), { type: 'indicator', id: 'indicator--bad' }]
        const bundle = JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects })
        const res = await api(app, 'POST', '/api/v1/collections/default/imports', { token: analyst.token, body: bundle, query: { source: 'tools.json' } })
        expect(res.statusCode, res.body).toBe(202)
        const job = json<{ id: string; state: string; source: string }>(res)
        expect(res.headers['location']).toBe(`/api/v1/imports/${job.id}`)
        expect(job.source).toBe('tools.json')
        const done = await waitForJob(app, analyst.token, job.id)
        expect(done).toMatchObject({ state: 'completed', processed: 31, added: 30, failed: 1, failures: [expect.objectContaining({ index: 30, id: 'indicator--bad' })] })
        const list = json<{ items: { id: string }[] }>(await api(app, 'GET', '/api/v1/imports', { token: analyst.token }))
        expect(list.items.map((j) => j.id)).toContain(job.id)
        expectProblem(await api(app, 'GET', `/api/v1/imports/${job.id}`, { token: reader.token }), 404, 'not_found')
        expect((await api(app, 'GET', `/api/v1/imports/${job.id}`, { token: admin })).statusCode).toBe(200)
      })

      it('accepts gzip uploads', async () => {
        const objects = attackObjects().filter((o) => o.type === 'intrusion-set').slice(0, 20)
        const gz = gzipSync(JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects }))
        const res = await api(app, 'POST', '/api/v1/collections/default/imports', { token: analyst.token, body: gz, contentType: 'application/gzip' })
        expect(res.statusCode, res.body).toBe(202)
        expect(await waitForJob(app, analyst.token, json<{ id: string }>(res).id)).toMatchObject({ state: 'completed', added: 20 })
      })

      it('refuses readers, hidden collections and other media types before reading the body', async () => {
        const body = JSON.stringify({ type: 'bundle', id: `bundle--${randomUUID()}`, objects: [] })
        expectProblem(await api(app, 'POST', '/api/v1/collections/default/imports', { token: reader.token, body }), 403, 'forbidden')
        expectProblem(await api(app, 'POST', `/api/v1/collections/${randomUUID()}/imports`, { token: analyst.token, body }), 404, 'not_found')
        expectProblem(await api(app, 'POST', '/api/v1/collections/default/imports', { token: analyst.token, body, contentType: 'text/plain' }), 415, 'unsupported_media_type')
      })

      it('records a broken bundle as a failed job', async () => {
        const res = await api(app, 'POST', '/api/v1/collections/default/imports', { token: analyst.token, body: '{"type":"bundle","objects": [ {"type": "tool"', contentType: 'application/json' })
        expect(res.statusCode).toBe(202)
        expect(await waitForJob(app, analyst.token, json<{ id: string }>(res).id)).toMatchObject({ state: 'failed', error: expect.any(String) })
      })
    })
  })
}
