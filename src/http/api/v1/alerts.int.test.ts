/** /api/v1/alerts: who sees which alerts, paging, marking read, and problem+json for bad input (both engines). */
import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import type { Alert } from '../../../store/port.js'
import { TLP2_IDS } from '../../../core/marking/tlp.js'

interface Problem {
  status: number
  code: string
  errors?: { pointer: string; message: string }[]
}

function expectProblem(res: LightMyRequestResponse, status: number, code: string): Problem {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const p = json<Problem>(res)
  expect(p).toMatchObject({ status, code })
  return p
}

interface AlertBody {
  id: string
  orgId: string
  indicatorId: string | null
  observationId: string | null
  suppressed: string | null
  readAt: string | null
  detail: Record<string, unknown>
}

for (const dialect of DIALECTS) {
  describe(`/api/v1/alerts [${dialect}]`, () => {
    let n: HttpTestNode
    let admin: string
    let partner: { orgId: string; token: string }
    const mine: Alert[] = []
    let theirs: Alert
    let suppressed: Alert
    let hiddenRed: Alert
    // The objects the alerts name: a GREEN indicator and observation, and a RED indicator naming nobody.
    let collection = ''
    const green = { type: 'indicator', spec_version: '2.1', id: `indicator--${randomUUID()}`, created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z', name: 'green', pattern: "[domain-name:value = 'evil.example']", pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z', object_marking_refs: [TLP2_IDS.green] }
    const red = { ...green, id: `indicator--${randomUUID()}`, name: 'red', pattern: "[domain-name:value = 'secret.example']", object_marking_refs: [TLP2_IDS.red] }
    const observed = { type: 'domain-name', spec_version: '2.1', id: `domain-name--${randomUUID()}`, value: 'observed.example', object_marking_refs: [TLP2_IDS.green] }

    const alert = (orgId: string, i: number, over: Partial<Alert> = {}): Alert => ({
      id: randomUUID(),
      orgId,
      createdAt: `2026-11-01T00:00:${String(i).padStart(2, '0')}.000000Z`,
      kind: 'observation_matched',
      indicatorId: green.id,
      sightingId: `sighting--${randomUUID()}`,
      observationId: observed.id,
      value: `evil-${i}.example`,
      detail: { value: `evil-${i}.example`, indicator: null, note: 'an indicator of another organisation', observation: { id: observed.id, collectionId: collection }, indicatorAt: { collectionId: collection }, observationAt: { collectionId: collection } },
      suppressed: null,
      readAt: null,
      ...over,
    })

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      admin = n.adminToken
      const org = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/organisations', { token: admin, body: { name: 'Partner CERT' } }))
      const u = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/users', { token: admin, body: { orgId: org.id, username: 'partner-analyst', role: 'analyst', password: 'correct horse battery staple' } }))
      const tok = json<{ secret: string }>(await api(n.app, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'cli', userId: u.id } }))
      partner = { orgId: org.id, token: tok.secret }
      const system = { kind: 'system' as const, name: 'test', orgId: n.hostOrgId }
      const c = await n.services.admin.createCollection(system, { title: 'alerts test' })
      if (!c.ok) throw new Error('collection')
      collection = c.value.id
      await n.services.admin.setCollectionPermission(system, { collection, orgId: org.id, canRead: true, canWrite: false })
      const added = await n.services.ingest.addObjects(system, { collection, objects: [green, red, observed] })
      if (!added.ok || added.value.results.some((r) => r.outcome !== 'added')) throw new Error('objects')
      for (let i = 0; i < 5; i++) mine.push(alert(org.id, i))
      theirs = alert(n.hostOrgId, 10, { kind: 'indicator_sighted', detail: { indicator: { id: 'i' }, observation: null } })
      suppressed = alert(org.id, 20, { suppressed: 'warninglist: List of known IPv4 public DNS resolvers' })
      // The partner may read the collection, but not the RED indicator: the alert is not theirs to see.
      hiddenRed = alert(org.id, 5, { indicatorId: red.id, value: 'secret.example' })
      await n.store.alerts.add([...mine, theirs, suppressed, hiddenRed])
    })
    afterAll(async () => {
      await n?.close()
    })

    it('lists the organisation’s own alerts newest first, pages with a cursor, and hides what the policy hides', async () => {
      const p1 = await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query: { limit: '3' } })
      expect(p1.statusCode).toBe(200)
      const b1 = json<{ items: AlertBody[]; nextCursor: string | null }>(p1)
      expect(b1.items.map((a) => a.id)).toEqual([mine[4], mine[3], mine[2]].map((a) => a?.id))
      expect(b1.items.every((a) => a.indicatorId === null && a.observationId !== null && a.suppressed === null)).toBe(true)
      expect(b1.nextCursor).not.toBeNull()
      const b2 = json<{ items: AlertBody[]; nextCursor: string | null }>(await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query: { limit: '3', cursor: b1.nextCursor ?? '' } }))
      expect(b2.items.map((a) => a.id)).toEqual([mine[1], mine[0]].map((a) => a?.id))
      expect(b2.nextCursor).toBeNull()
      expect(JSON.stringify([b1, b2])).not.toContain('secret.example')
      expectProblem(await api(n.app, 'POST', `/api/v1/alerts/${hiddenRed.id}/read`, { token: partner.token }), 404, 'not_found')
    })

    it('administrators see every organisation’s alerts, one organisation’s, and the suppressed matches; users do not', async () => {
      const all = json<{ items: AlertBody[] }>(await api(n.app, 'GET', '/api/v1/alerts', { token: admin }))
      expect(all.items.map((a) => a.id)).toEqual([theirs, hiddenRed, ...[...mine].reverse()].map((a) => a.id))
      const one = json<{ items: AlertBody[] }>(await api(n.app, 'GET', '/api/v1/alerts', { token: admin, query: { orgId: n.hostOrgId } }))
      expect(one.items.map((a) => a.id)).toEqual([theirs.id])
      const sup = json<{ items: AlertBody[] }>(await api(n.app, 'GET', '/api/v1/alerts', { token: admin, query: { suppressed: 'true' } }))
      expect(sup.items.map((a) => [a.id, a.suppressed])).toEqual([[suppressed.id, 'warninglist: List of known IPv4 public DNS resolvers']])
      expectProblem(await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query: { suppressed: 'true' } }), 403, 'forbidden')
      expectProblem(await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query: { orgId: n.hostOrgId } }), 403, 'forbidden')
      // Their own orgId is fine.
      expect((await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query: { orgId: partner.orgId } })).statusCode).toBe(200)
    })

    it('marks the organisation’s alert read; another organisation’s or a suppressed one is not found', async () => {
      const target = mine[0] as Alert
      const r = await api(n.app, 'POST', `/api/v1/alerts/${target.id}/read`, { token: partner.token })
      expect(r.statusCode).toBe(200)
      expect(json<AlertBody>(r).readAt).toMatch(/^\d{4}-\d\d-\d\dT/)
      expect((await n.store.alerts.get(target.id))?.readAt).not.toBeNull()
      expectProblem(await api(n.app, 'POST', `/api/v1/alerts/${theirs.id}/read`, { token: partner.token }), 404, 'not_found')
      expectProblem(await api(n.app, 'POST', `/api/v1/alerts/${suppressed.id}/read`, { token: partner.token }), 404, 'not_found')
      expectProblem(await api(n.app, 'POST', `/api/v1/alerts/${randomUUID()}/read`, { token: admin }), 404, 'not_found')
      expect((await api(n.app, 'POST', `/api/v1/alerts/${theirs.id}/read`, { token: admin })).statusCode).toBe(200)
    })

    it('answers bad input with problem+json and asks for authentication', async () => {
      for (const query of [{ limit: '0' }, { limit: '100001' }, { limit: 'ten' }, { cursor: 'not a cursor!' }, { cursor: 'bm90LWpzb24' }, { suppressed: 'maybe' }, { colour: 'red' }]) {
        const p = expectProblem(await api(n.app, 'GET', '/api/v1/alerts', { token: partner.token, query }), 400, 'validation_failed')
        expect(p.errors?.length).toBeGreaterThan(0)
      }
      expect((await api(n.app, 'GET', '/api/v1/alerts')).statusCode).toBe(401)
      expectProblem(await api(n.app, 'POST', `/api/v1/alerts/${'x'.repeat(301)}/read`, { token: partner.token }), 400, 'validation_failed')
    })
  })
}
