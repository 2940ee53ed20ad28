/**
 * Webhooks end to end on both engines, against a local HTTP server: a case event reaches only the
 * organisations that may see the case, the signature verifies with the secret shown at creation, a 500
 * is retried after the backoff, and internal addresses are refused (registration and delivery).
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { createHttpTestNode, api, json, type HttpTestNode } from '../../../test/http.js'
import { fakeClock, silentLogger } from '../../../test/node.js'
import { nodeIds } from '../../platform/crypto.js'
import { makeWebhookSender } from '../../platform/webhook-sender.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { backoffMs, makeWebhooksService, type WebhooksService } from './webhooks.js'

interface Received { headers: IncomingHttpHeaders; body: string }

function server(statuses: number[]): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = []
  const s = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.statusCode = statuses.shift() ?? 200
      res.end('ok')
    })
  })
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`, received })))
}

/** What a receiver does (docs/webhooks.md): recompute the HMAC over "<t>.<body>" and compare. */
function verify(secret: string, header: string, body: string): { t: number; ok: boolean } {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)
  if (!m) return { t: 0, ok: false }
  const mac = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex')
  return { t: Number(m[1]), ok: mac === m[2] }
}

for (const dialect of DIALECTS) {
  describe(`webhooks [${dialect}]`, () => {
    const clock = fakeClock(Date.parse('2026-11-24T20:00:00Z'))
    let n: HttpTestNode
    let wh: WebhooksService
    let host: Viewer
    let admin: Viewer
    let partnerId = ''
    let outsiderId = ''
    let hook: Awaited<ReturnType<typeof server>>
    const sender = makeWebhookSender({ allowInternalAddresses: true, connectTimeoutMs: 2000, totalTimeoutMs: 4000 })

    beforeAll(async () => {
      n = await createHttpTestNode(dialect, { clock })
      admin = { kind: 'system', name: 'test', orgId: n.hostOrgId }
      host = { kind: 'system', name: 'coordinator', orgId: n.hostOrgId }
      const p = await n.services.admin.createOrganisation(admin, { name: 'Partner CERT' })
      const o = await n.services.admin.createOrganisation(admin, { name: 'Outsider' })
      if (!p.ok || !o.ok) throw new Error('orgs')
      partnerId = p.value.id
      outsiderId = o.value.id
      // A node that allows internal addresses (as a closed-network node would be configured).
      wh = makeWebhooksService({
        store: n.store, clock, ids: nodeIds, logger: silentLogger, nodeKey: n.key, allowInternalAddresses: true,
        mayViewCase: (v, c) => n.services.cases.mayViewCase(v, c),
      })
      hook = await server([500])
    })
    afterAll(async () => {
      hook?.server.close()
      await n?.close()
    })

    it('delivers a signed case event to the organisations that may see the case, retrying after a 500', async () => {
      const mine = await wh.create(admin, { orgId: partnerId, url: hook.url, events: ['case.created', 'task.assigned'] })
      const theirs = await wh.create(admin, { orgId: outsiderId, url: hook.url.replace('/hook', '/outsider'), events: ['case.created'] })
      if (!mine.ok || !theirs.ok) throw new Error(JSON.stringify([mine, theirs]))
      expect(mine.value.secret).toMatch(/^whsec_/)
      // The secret is stored sealed, never in clear.
      const stored = await n.store.webhooks.get(mine.value.webhook.id)
      expect(stored?.sealedSecret).not.toContain(mine.value.secret)

      const c = await n.services.cases.create(host, { title: 'Results site DDoS', participants: [partnerId] })
      if (!c.ok) throw new Error(JSON.stringify(c.error))

      expect(await wh.deliverDue(sender)).toBe(1) // only the partner's webhook was queued
      expect(hook.received).toHaveLength(1) // answered 500
      let log = await wh.deliveries(admin, mine.value.webhook.id, {})
      expect(log.ok && log.value[0]).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 500 })
      expect(await wh.deliverDue(sender)).toBe(0) // not due before the backoff
      clock.advance(backoffMs(1))
      expect(await wh.deliverDue(sender)).toBe(1)
      log = await wh.deliveries(admin, mine.value.webhook.id, {})
      expect(log.ok && log.value[0]).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200, lastError: null })

      const last = hook.received[1] as Received
      expect(last.headers['entente-event']).toBe('case.created')
      const sig = verify(mine.value.secret, String(last.headers['entente-signature']), last.body)
      expect(sig.ok).toBe(true)
      expect(sig.t).toBe(Math.floor(clock.nowMs() / 1000))
      expect(verify('whsec_wrong', String(last.headers['entente-signature']), last.body).ok).toBe(false)
      expect(verify(mine.value.secret, String(last.headers['entente-signature']), last.body.replace('DDoS', 'XXXX')).ok).toBe(false)
      const payload = JSON.parse(last.body) as { type: string; organisationId: string; data: { caseId: string; title: string } }
      expect(payload).toMatchObject({ type: 'case.created', organisationId: partnerId, data: { caseId: c.value.id, title: 'Results site DDoS' } })
      expect(hook.received.some((r) => r.body.includes(outsiderId))).toBe(false)
      const outsiderLog = await wh.deliveries(admin, theirs.value.webhook.id, {})
      expect(outsiderLog.ok && outsiderLog.value).toEqual([])
    })

    it('gives up after the last attempt and keeps the failures in the delivery log', async () => {
      const dead = await wh.create(admin, { orgId: partnerId, url: 'http://127.0.0.1:9/closed', events: ['alert.created'] })
      if (!dead.ok) throw new Error('create')
      await wh.alertCreated({
        id: nodeIds.uuid(), orgId: partnerId, createdAt: '2026-11-24T20:00:00.000000Z', kind: 'indicator_sighted', indicatorId: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
        sightingId: 'sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', observationId: 'observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', value: null, detail: {}, suppressed: null, readAt: null,
      })
      for (let i = 0; i < 8; i++) {
        await wh.deliverDue(sender)
        clock.advance(backoffMs(i + 1))
      }
      const log = await wh.deliveries(admin, dead.value.webhook.id, {})
      expect(log.ok && log.value[0]).toMatchObject({ state: 'failed', attempts: 8, eventType: 'alert.created' })
      expect(log.ok && log.value[0]?.lastError).toBeTruthy()
    })

    it('refuses internal and malformed URLs at registration, and internal addresses at delivery', async () => {
      const strict = n.services.webhooks // configured like a default node: no internal addresses
      for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'https://user:pw@example.org/x', 'ftp://example.org/x', 'not a url']) {
        const r = await strict.create(admin, { orgId: partnerId, url, events: ['case.created'] })
        expect(r.ok, url).toBe(false)
        expect(!r.ok && r.error.code).toBe('validation_failed')
      }
      expect((await strict.create(admin, { orgId: partnerId, url: 'https://siem.partner.example/hooks/entente', events: ['case.created'] })).ok).toBe(true)
      const before = hook.received.length
      const refused = await makeWebhookSender().post(hook.url.replace('127.0.0.1', 'localhost'), {}, '{}')
      expect(refused.status).toBeNull()
      expect(refused.error).toMatch(/^refused/)
      expect(hook.received.length).toBe(before)
      // Analysts do not manage webhooks.
      const analyst: Viewer = { kind: 'user', userId: 'u', username: 'u', orgId: partnerId, role: 'analyst' }
      const r = await wh.create(analyst, { url: hook.url, events: ['case.created'] })
      expect(!r.ok && r.error.code).toBe('forbidden')
    })

    it('exposes the webhooks API without ever returning the secret again', async () => {
      const res = await api(n.app, 'POST', '/api/v1/webhooks', { token: n.adminToken, body: { orgId: partnerId, url: 'https://soc.partner.example/entente', events: ['task.assigned'] } })
      expect(res.statusCode, res.body).toBe(201)
      const created = json<{ webhook: { id: string }; secret: string }>(res)
      const list = await api(n.app, 'GET', '/api/v1/webhooks', { token: n.adminToken, query: { orgId: partnerId } })
      expect(list.statusCode).toBe(200)
      expect(list.body).not.toContain(created.secret)
      expect(list.body).not.toContain('v1.')
      const bad = await api(n.app, 'POST', '/api/v1/webhooks', { token: n.adminToken, body: { url: 'http://192.168.1.1/', events: ['case.created'] } })
      expect(bad.statusCode).toBe(400)
      expect(bad.headers['content-type']).toMatch(/problem\+json/)
      const del = await api(n.app, 'DELETE', `/api/v1/webhooks/${created.webhook.id}`, { token: n.adminToken })
      expect(del.statusCode).toBe(204)
      expect((await api(n.app, 'GET', `/api/v1/webhooks/${created.webhook.id}`, { token: n.adminToken })).statusCode).toBe(404)
    })
  })
}
