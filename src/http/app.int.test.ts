/** The app as a whole: /healthz, /metrics, the OpenAPI document, logging and unknown errors. */
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../test/db.js'
import { api, createHttpTestNode, DEFAULT_HTTP_OPTIONS, json, sampleObjects, taxii, type HttpTestNode } from '../../test/http.js'
import { buildApp } from './app.js'
import type { Services } from '../services/index.js'

/** A pino logger that keeps every line, to look at what the node logs. */
function capturingLogger() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'))
      cb()
    },
  })
  return { logger: pino({ level: 'trace' }, stream), lines }
}

for (const dialect of DIALECTS) {
  describe(`the HTTP app on ${dialect}`, () => {
    let n: HttpTestNode

    beforeAll(async () => {
      n = await createHttpTestNode(dialect, { options: { metrics: true } })
    })
    afterAll(async () => {
      await n.close()
    })

    it('answers /healthz with 200 when the store answers, 503 when it does not', async () => {
      const ok = await api(n.app, 'GET', '/healthz')
      expect(ok.statusCode).toBe(200)
      expect(json(ok)).toEqual({ status: 'ok' })
      const down: Services = { ...n.services, admin: { ...n.services.admin, ping: async () => false } }
      const app = await buildApp({ services: down, logger: pino({ level: 'silent' }), options: DEFAULT_HTTP_OPTIONS })
      try {
        const res = await api(app, 'GET', '/healthz')
        expect(res.statusCode).toBe(503)
        expect(json(res)).toEqual({ status: 'unavailable' })
      } finally {
        await app.close()
      }
    })

    it('serves Prometheus metrics: request durations by route, objects ingested, process metrics', async () => {
      const objects = await sampleObjects('oasis-cti-documentation/indicator-for-malicious-url.json')
      await taxii(n.app, 'POST', '/taxii2/api/collections/default/objects/', { token: n.adminToken, body: { objects } })
      await api(n.app, 'GET', '/api/v1/me', { token: n.adminToken })
      const res = await api(n.app, 'GET', '/metrics')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      expect(res.body).toMatch(/http_request_duration_seconds_count\{route="\/api\/v1\/me",method="GET",status_code="200"\} 1/)
      expect(res.body).toMatch(/http_request_duration_seconds_count\{route="\/taxii2\/api\/collections\/:id\/objects\/",method="POST",status_code="202"\} 1/)
      expect(res.body).toMatch(new RegExp(`entente_objects_ingested_total\\{via="taxii",outcome="added"\\} ${objects.length}`))
      expect(res.body).toMatch(/process_cpu_user_seconds_total/)
      // Without metrics, there is no /metrics.
      const plain = await buildApp({ services: n.services, logger: pino({ level: 'silent' }), options: DEFAULT_HTTP_OPTIONS })
      try {
        expect((await api(plain, 'GET', '/metrics')).statusCode).toBe(404)
      } finally {
        await plain.close()
      }
    })

    it('serves the OpenAPI document and its UI', async () => {
      const res = await api(n.app, 'GET', '/api/docs/json')
      expect(res.statusCode).toBe(200)
      const doc = json<{ openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>(res)
      expect(doc.openapi).toMatch(/^3\./)
      for (const path of [
        '/api/v1/me',
        '/api/v1/organisations',
        '/api/v1/organisations/{id}',
        '/api/v1/organisations/{id}/client-of/{parentId}',
        '/api/v1/users',
        '/api/v1/users/{id}/role',
        '/api/v1/tokens',
        '/api/v1/tokens/{id}',
        '/api/v1/collections',
        '/api/v1/collections/{id}/permissions/{orgId}',
        '/api/v1/collections/{id}/objects',
        '/api/v1/collections/{id}/imports',
        '/api/v1/imports/{id}',
        '/taxii2/api/collections/{id}/objects/',
        '/taxii2/api/collections/{id}/manifest/',
        '/taxii2/api/status/{statusId}/',
        '/healthz',
      ]) {
        expect(doc.paths[path], path).toBeDefined()
      }
      expect(Object.keys(doc.paths['/api/v1/tokens']?.['post']?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401']))
      expect(Object.keys(doc.paths['/api/v1/organisations/{id}']?.['patch']?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '404', '409']))
      expect(Object.keys(doc.paths['/api/v1/organisations/{id}/client-of/{parentId}'] ?? {}).sort()).toEqual(['delete', 'put'])
      const ui = await api(n.app, 'GET', '/api/docs/')
      expect([200, 302]).toContain(ui.statusCode)
    })

    it('logs no credentials and no STIX content; unknown errors are a 500 without detail, logged with the error', async () => {
      const { logger, lines } = capturingLogger()
      const broken: Services = {
        ...n.services,
        admin: { ...n.services.admin, listOrganisations: async () => { throw new Error('connection to db failed: password=hunter2') } },
      }
      const app = await buildApp({ services: broken, logger, options: DEFAULT_HTTP_OPTIONS })
      try {
        const objects = await sampleObjects('oasis-cti-documentation/indicator-for-malicious-url.json')
        await taxii(app, 'POST', '/taxii2/api/collections/default/objects/', { token: n.adminToken, body: { objects } })
        await taxii(app, 'POST', '/taxii2/api/collections/nope/objects/', { token: n.adminToken, body: { objects } })
        await api(app, 'GET', '/api/v1/me', { token: 'ent_wrong_secret_value', headers: { cookie: 'session=very-secret-cookie' } })
        const res = await api(app, 'GET', '/api/v1/organisations', { token: n.adminToken })
        expect(res.statusCode).toBe(500)
        const p = json(res)
        expect(p).toMatchObject({ code: 'internal', status: 500, type: 'urn:entente:problem:internal', errors: [] })
        expect(res.body).not.toContain('hunter2')
        const log = lines.join('')
        expect(log).toContain('hunter2') // the error itself is logged, for operators
        expect(lines.some((l) => JSON.parse(l).level === 50 && JSON.parse(l).err)).toBe(true)
        expect(log).not.toContain(n.adminToken)
        expect(log).not.toContain('ent_wrong_secret_value')
        expect(log).not.toContain('very-secret-cookie')
        expect(log).not.toContain('x4z9arb') // STIX content (the indicator pattern)
      } finally {
        await app.close()
      }
    })
  })
}
