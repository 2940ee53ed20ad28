/** The web app's static serving: cache headers, the Content-Security-Policy, gzip, and a single-page fallback that never shadows /api, /taxii2, /healthz or /metrics. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpTestNode, type HttpTestNode } from '../../test/http.js'
import { CONTENT_SECURITY_POLICY } from './web.js'

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(5000))})`

describe('web app serving', () => {
  let n: HttpTestNode
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entente-web-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), INDEX)
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT)
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    n = await createHttpTestNode('sqlite', { options: { webRoot: dir, metrics: true } })
  })
  afterAll(async () => {
    await n?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves index.html at / with a strict CSP, revalidated, with an ETag that answers 304', async () => {
    const r = await n.app.inject({ method: 'GET', url: '/' })
    expect(r.statusCode).toBe(200)
    expect(r.body).toBe(INDEX)
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/)
    expect(r.headers['x-frame-options']).toBe('DENY')
    expect(r.headers['cache-control']).toBe('no-cache')
    const again = await n.app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': String(r.headers.etag) } })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('caches hashed assets for a year and compresses them when the client accepts gzip', async () => {
    const r = await n.app.inject({ method: 'GET', url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } })
    expect(r.statusCode).toBe(200)
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(r.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(r.rawPayload).toString('utf8')).toBe(SCRIPT)
    const plain = await n.app.inject({ method: 'GET', url: '/assets/index-abc123.js' })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.body).toBe(SCRIPT)
  })

  it('answers page navigations with the app, but a missing asset stays a 404', async () => {
    for (const path of ['/explorer', '/objects/default/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', '/cases/x?y=1']) {
      const r = await n.app.inject({ method: 'GET', url: path, headers: { accept: 'text/html,application/xhtml+xml' } })
      expect(r.statusCode, path).toBe(200)
      expect(r.body).toBe(INDEX)
    }
    expect((await n.app.inject({ method: 'GET', url: '/assets/missing.js', headers: { accept: '*/*' } })).statusCode).toBe(404)
  })

  it('never shadows /api, /taxii2, /healthz or /metrics', async () => {
    const html = { accept: 'text/html' }
    const api = await n.app.inject({ method: 'GET', url: '/api/v1/no-such-thing', headers: html })
    expect(api.statusCode).toBe(404)
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/)
    const apiBare = await n.app.inject({ method: 'GET', url: '/api', headers: html })
    expect(apiBare.statusCode).toBe(404)
    expect(apiBare.body).not.toBe(INDEX)
    const taxii = await n.app.inject({ method: 'GET', url: '/taxii2/no-such-root/', headers: { accept: 'application/taxii+json;version=2.1' } })
    // TAXII answers with its own error resource (here: credentials first), never the app.
    expect(taxii.statusCode).toBeGreaterThanOrEqual(400)
    expect(taxii.headers['content-type']).toMatch(/taxii\+json/)
    expect(taxii.body).not.toBe(INDEX)
    const taxiiHtml = await n.app.inject({ method: 'GET', url: '/taxii2/x/y', headers: html })
    expect(taxiiHtml.body).not.toBe(INDEX)
    expect((await n.app.inject({ method: 'GET', url: '/healthz', headers: html })).json()).toMatchObject({ status: 'ok' })
    expect((await n.app.inject({ method: 'GET', url: '/metrics', headers: html })).body).not.toBe(INDEX)
    expect((await n.app.inject({ method: 'GET', url: '/healthz/extra', headers: html })).body).not.toBe(INDEX)
    // Other methods on unknown paths stay 404 problems.
    expect((await n.app.inject({ method: 'POST', url: '/explorer', headers: html })).statusCode).toBe(404)
  })
})
