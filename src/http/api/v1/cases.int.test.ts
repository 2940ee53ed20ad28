/**
 * /api/v1/cases and /api/v1/playbooks through inject, on both engines: a case opened from a playbook,
 * tasks assigned across organisations, notes, links, requests and offers, the workflow with reasons,
 * optimistic concurrency (412), the timeline, and above all: an organisation outside a case sees
 * nothing of it in any answer.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { PLAYBOOKS } from '../../../core/case/playbooks/index.js'
import { validateStixObject } from '../../../core/stix/validate.js'

interface OrgRef { identityRef: string; orgId: string | null; name: string | null }
interface CaseBody {
  id: string; version: string; title: string; status: string; severity: string; tlp: string; role: string; lead: OrgRef; participants: OrgRef[]
  linkedObjects: string[]; allowedTransitions: string[]; closeReason: string | null; statusReason: string | null
}
interface TaskBody { id: string; caseId: string; version: string; title: string; status: string; assignee: { kind: string; userId: string | null; ref: string } | null; techniques: { framework: string; id: string }[] }
interface Problem { status: number; code: string; errors?: { pointer: string }[] }

/** PATCH through inject (the shared helper knows GET/POST/PUT/DELETE/HEAD). */
function patch(app: FastifyInstance, url: string, o: { token: string; headers?: Record<string, string>; body: unknown }): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'PATCH', url, headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json', ...o.headers }, payload: JSON.stringify(o.body) })
}

function problem(res: LightMyRequestResponse, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const p = json<Problem>(res)
  expect(p.code).toBe(code)
  return p
}

for (const dialect of DIALECTS) {
  describe(`/api/v1/cases [${dialect}]`, () => {
    let n: HttpTestNode
    let admin: string
    const orgs: Record<'partner' | 'outsider', { id: string; identityRef: string; token: string; userId: string; readOnly: string }> = {} as never
    let leadAnalyst: { token: string; userId: string }
    let caseId = ''

    async function org(name: string) {
      const o = json<{ id: string; identityId: string }>(await api(n.app, 'POST', '/api/v1/organisations', { token: admin, body: { name } }))
      const user = async (username: string, role: string) => {
        const u = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/users', { token: admin, body: { orgId: o.id, username, role } }))
        const t = json<{ secret: string }>(await api(n.app, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'test', userId: u.id } }))
        return { token: t.secret, userId: u.id }
      }
      const analyst = await user(`${name.toLowerCase().replace(/\W/g, '-')}-analyst`, 'analyst')
      const ro = await user(`${name.toLowerCase().replace(/\W/g, '-')}-reader`, 'read_only')
      return { id: o.id, identityRef: o.identityId, token: analyst.token, userId: analyst.userId, readOnly: ro.token }
    }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      admin = n.adminToken
      orgs.partner = await org('Partner CERT')
      orgs.outsider = await org('Outsider Authority')
      const u = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/users', { token: admin, body: { orgId: n.hostOrgId, username: 'lead-analyst', role: 'analyst' } }))
      const t = json<{ secret: string }>(await api(n.app, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'test', userId: u.id } }))
      leadAnalyst = { token: t.secret, userId: u.id }
    })
    afterAll(async () => {
      await n?.close()
    })

    it('lists the shipped playbooks with their ATT&CK and DISARM references', async () => {
      const res = await api(n.app, 'GET', '/api/v1/playbooks', { token: leadAnalyst.token })
      expect(res.statusCode).toBe(200)
      const b = json<{ items: { id: string; tasks: { techniques: { framework: string; id: string; url: string }[] }[] }[] }>(res)
      expect(b.items.map((p) => p.id)).toEqual(PLAYBOOKS.map((p) => p.id))
      const disinfo = b.items.find((p) => p.id === 'disinformation-surge')
      expect(disinfo?.tasks.some((t) => t.techniques.some((x) => x.framework === 'disarm' && x.id.startsWith('C')))).toBe(true)
      problem(await api(n.app, 'GET', '/api/v1/playbooks/nope', { token: leadAnalyst.token }), 404, 'not_found')
    })

    it('opens a case from a playbook with all its tasks, as valid STIX in the cases collection and the log', async () => {
      const logBefore = (await n.store.log.head()).size
      const res = await api(n.app, 'POST', '/api/v1/cases/from-playbook', {
        token: leadAnalyst.token,
        body: { playbook: 'ddos-results-site', title: 'Results site down on election night', tlp: 'amber', participants: [orgs.partner.id] },
      })
      expect(res.statusCode, res.body).toBe(201)
      const c = json<CaseBody>(res)
      caseId = c.id
      expect(res.headers['etag']).toBe(`"${c.version}"`)
      expect(c).toMatchObject({ status: 'new', severity: 'high', tlp: 'amber', role: 'lead', allowedTransitions: ['triage', 'closed'] })
      expect(c.participants.map((p) => p.orgId)).toEqual([orgs.partner.id])
      const tasks = json<{ items: TaskBody[] }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}/tasks`, { token: leadAnalyst.token })).items
      const playbook = PLAYBOOKS.find((p) => p.id === 'ddos-results-site')
      expect(tasks.map((t) => t.title)).toEqual(playbook?.tasks.map((t) => t.title))
      expect(tasks[0]?.techniques.length).toBeGreaterThan(0)
      const got = json<{ stix: Record<string, unknown> }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}`, { token: orgs.partner.token }))
      expect(validateStixObject(got.stix).ok).toBe(true)
      expect(got.stix['object_marking_refs']).toEqual(['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'])
      const logAfter = (await n.store.log.head()).size
      expect(logAfter).toBeGreaterThanOrEqual(logBefore + 1 + (playbook?.tasks.length ?? 0))
    })

    it('moves the status through the workflow with reasons, refuses other moves and stale versions', async () => {
      const cur = json<{ case: CaseBody }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}`, { token: leadAnalyst.token })).case
      problem(await patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, body: { status: 'triage' } }), 400, 'validation_failed')
      problem(await patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, headers: { 'if-match': `"${cur.version}"` }, body: { status: 'resolved' } }), 409, 'invalid_transition')
      const ok1 = await patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, headers: { 'if-match': `"${cur.version}"` }, body: { status: 'triage', reason: 'confirmed by two monitors' } })
      expect(ok1.statusCode, ok1.body).toBe(200)
      const v2 = json<CaseBody>(ok1)
      expect(v2.status).toBe('triage')
      expect(v2.version).not.toBe(cur.version)
      // The old version is stale now.
      problem(await patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, headers: { 'if-match': `"${cur.version}"` }, body: { severity: 'critical' } }), 412, 'precondition_failed')
      // A participant may not run the case, and is offered no status moves.
      const seen = json<{ case: CaseBody }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}`, { token: orgs.partner.token })).case
      expect(seen).toMatchObject({ role: 'participant', status: 'triage', allowedTransitions: [] })
      problem(await patch(n.app, `/api/v1/cases/${caseId}`, { token: orgs.partner.token, headers: { 'if-match': `"${v2.version}"` }, body: { severity: 'critical' } }), 403, 'forbidden')
      const v3 = json<CaseBody>(await patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, headers: { 'if-match': `"${v2.version}"` }, body: { status: 'active', severity: 'critical' } }))
      expect(v3).toMatchObject({ status: 'active', severity: 'critical' })
    })

    it('assigns a task to a user of another organisation, who may complete it', async () => {
      const tasks = json<{ items: TaskBody[] }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}/tasks`, { token: leadAnalyst.token })).items
      const t = tasks[1] as TaskBody
      // Outsider users cannot be assigned: their organisation is not in the case.
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks/${t.id}/assign`, { token: leadAnalyst.token, body: { assignee: { userId: orgs.outsider.userId } } }), 400, 'validation_failed')
      const res = await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks/${t.id}/assign`, { token: leadAnalyst.token, body: { assignee: { userId: orgs.partner.userId } } })
      expect(res.statusCode, res.body).toBe(200)
      const assigned = json<TaskBody>(res)
      expect(assigned.assignee).toMatchObject({ kind: 'user', userId: orgs.partner.userId })
      // The assignee may change the status only.
      problem(await patch(n.app, `/api/v1/cases/${caseId}/tasks/${t.id}`, { token: orgs.partner.token, headers: { 'if-match': assigned.version }, body: { title: 'mine now' } }), 403, 'forbidden')
      const done = await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks/${t.id}/complete`, { token: orgs.partner.token, headers: { 'if-match': `"${assigned.version}"` } })
      expect(done.statusCode, done.body).toBe(200)
      expect(json<TaskBody>(done).status).toBe('done')
      // Another participant's task: not theirs to complete.
      const other = tasks[2] as TaskBody
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks/${other.id}/complete`, { token: orgs.partner.token }), 403, 'forbidden')
    })

    it('adds notes, links objects, runs a request for assistance, and shows it all on the timeline', async () => {
      const note = await api(n.app, 'POST', `/api/v1/cases/${caseId}/notes`, { token: orgs.partner.token, body: { content: 'Scrubbing active at our IXP since 21:10.' } })
      expect(note.statusCode, note.body).toBe(201)
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/notes`, { token: orgs.partner.readOnly, body: { content: 'x' } }), 403, 'forbidden')
      const ind = 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'
      const linked = await api(n.app, 'POST', `/api/v1/cases/${caseId}/links`, { token: leadAnalyst.token, body: { objectIds: [ind] } })
      expect(linked.statusCode, linked.body).toBe(200)
      expect(json<CaseBody>(linked).linkedObjects).toEqual([ind])
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/links`, { token: leadAnalyst.token, body: { objectIds: ['relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'] } }), 400, 'validation_failed')

      const req = await api(n.app, 'POST', `/api/v1/cases/${caseId}/requests`, { token: leadAnalyst.token, body: { kind: 'takedown', description: 'Botnet C2 hosted in your country' } })
      expect(req.statusCode, req.body).toBe(201)
      const reqId = json<{ id: string }>(req).id
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/requests/${reqId}/offers`, { token: leadAnalyst.token, body: { description: 'we help ourselves' } }), 403, 'forbidden')
      const offer = await api(n.app, 'POST', `/api/v1/cases/${caseId}/requests/${reqId}/offers`, { token: orgs.partner.token, body: { description: 'Our CERT can contact the hoster' } })
      expect(offer.statusCode, offer.body).toBe(201)
      const offerId = json<{ id: string }>(offer).id
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/offers/${offerId}/decision`, { token: orgs.partner.token, body: { decision: 'accept' } }), 403, 'forbidden')
      const accepted = await api(n.app, 'POST', `/api/v1/cases/${caseId}/offers/${offerId}/decision`, { token: leadAnalyst.token, body: { decision: 'accept' } })
      expect(accepted.statusCode, accepted.body).toBe(200)
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/offers/${offerId}/decision`, { token: leadAnalyst.token, body: { decision: 'decline' } }), 409, 'invalid_transition')
      const reqs = json<{ items: { status: string; offers: { status: string }[] }[] }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}/requests`, { token: orgs.partner.token })).items
      expect(reqs).toMatchObject([{ status: 'accepted', offers: [{ status: 'accepted' }] }])

      const tl = json<{ items: { kind: string; data: Record<string, unknown> }[] }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}/timeline`, { token: orgs.partner.token })).items
      const kinds = tl.map((e) => e.kind)
      for (const k of ['case_opened', 'status_changed', 'task_created', 'task_assigned', 'task_status_changed', 'note_added', 'object_linked', 'request_created', 'offer_made', 'offer_accepted', 'request_status_changed']) {
        expect(kinds).toContain(k)
      }
      expect(tl.filter((e) => e.kind === 'status_changed').map((e) => e.data['to'])).toEqual(['triage', 'active'])
    })

    it('closes with a reason and reopens to triage with a reason', async () => {
      let c = json<{ case: CaseBody }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}`, { token: leadAnalyst.token })).case
      const edit = async (body: object) => patch(n.app, `/api/v1/cases/${caseId}`, { token: leadAnalyst.token, headers: { 'if-match': `"${c.version}"` }, body })
      problem(await edit({ status: 'closed' }), 400, 'validation_failed')
      let r = await edit({ status: 'closed', closeReason: 'no_action_needed', reason: 'traffic back to normal, no intrusion found' })
      expect(r.statusCode, r.body).toBe(200)
      c = json<CaseBody>(r)
      expect(c).toMatchObject({ status: 'closed', closeReason: 'no_action_needed', allowedTransitions: ['triage'] })
      problem(await edit({ status: 'active' }), 409, 'invalid_transition')
      problem(await edit({ status: 'triage' }), 400, 'validation_failed')
      r = await edit({ status: 'triage', reason: 'attack resumed' })
      expect(r.statusCode, r.body).toBe(200)
      expect(json<CaseBody>(r)).toMatchObject({ status: 'triage', closeReason: null, statusReason: 'attack resumed' })
    })

    it('shows an outsider nothing of the case in any answer', async () => {
      const t = orgs.outsider.token
      const list = json<{ items: { id: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: t }))
      expect(list.items.map((c) => c.id)).not.toContain(caseId)
      for (const path of ['', '/tasks', '/notes', '/requests', '/timeline', '/members']) {
        const res = await api(n.app, 'GET', `/api/v1/cases/${caseId}${path}`, { token: t })
        problem(res, 404, 'not_found')
        expect(res.body).not.toContain('Results site')
      }
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/notes`, { token: t, body: { content: 'hello' } }), 404, 'not_found')
      const tasks = json<{ items: TaskBody[] }>(await api(n.app, 'GET', `/api/v1/cases/${caseId}/tasks`, { token: leadAnalyst.token })).items
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks/${tasks[0]?.id ?? ''}/complete`, { token: t }), 404, 'not_found')
      // A task named under another case's path is not found either.
      const own = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/cases', { token: t, body: { title: 'Outsider own case' } }))
      problem(await api(n.app, 'POST', `/api/v1/cases/${own.id}/tasks/${tasks[0]?.id ?? ''}/complete`, { token: t }), 404, 'not_found')
      problem(await api(n.app, 'POST', `/api/v1/cases/${own.id}/tasks/${tasks[0]?.id ?? ''}/complete`, { token: leadAnalyst.token }), 404, 'not_found')
      // Not over TAXII either: the cases collection is granted to no organisation.
      const cols = json<{ items: { alias: string | null }[] } | { alias: string | null }[]>(await api(n.app, 'GET', '/api/v1/collections', { token: t }))
      expect(JSON.stringify(cols)).not.toContain('"cases"')
      // Participants and administrators do see it.
      expect(json<{ items: { id: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: orgs.partner.token })).items.map((c) => c.id)).toContain(caseId)
      expect(json<{ items: { id: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: admin })).items.map((c) => c.id)).toContain(caseId)
    })

    it('filters and pages the list with a keyset cursor', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await api(n.app, 'POST', '/api/v1/cases', { token: orgs.outsider.token, body: { title: `Outsider case ${i}`, severity: i === 0 ? 'low' : 'medium', tlp: 'red' } })
        expect(r.statusCode, r.body).toBe(201)
      }
      const p1 = json<{ items: { title: string }[]; nextCursor: string | null }>(await api(n.app, 'GET', '/api/v1/cases', { token: orgs.outsider.token, query: { limit: '2' } }))
      expect(p1.items.map((c) => c.title)).toEqual(['Outsider case 2', 'Outsider case 1'])
      const p2 = json<{ items: { title: string }[]; nextCursor: string | null }>(await api(n.app, 'GET', '/api/v1/cases', { token: orgs.outsider.token, query: { limit: '2', cursor: p1.nextCursor ?? '' } }))
      expect(p2.items.map((c) => c.title)).toEqual(['Outsider case 0', 'Outsider own case'])
      expect(p2.nextCursor).toBeNull()
      const low = json<{ items: { title: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { severity: 'low' } }))
      expect(low.items.map((c) => c.title)).toEqual(['Outsider case 0'])
      const led = json<{ items: { id: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { lead: orgs.outsider.id, status: 'new' } }))
      expect(led.items).toHaveLength(4)
      problem(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { status: 'open' } }), 400, 'validation_failed')
      problem(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { cursor: 'forged' } }), 400, 'validation_failed')
      // The partner sees none of the outsider's cases.
      const partner = json<{ items: { title: string }[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: orgs.partner.token }))
      expect(partner.items.some((c) => c.title.startsWith('Outsider'))).toBe(false)
    })

    it('refuses bad input with problem+json and writes nothing', async () => {
      const before = json<{ items: unknown[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { limit: '500' } })).items.length
      problem(await api(n.app, 'POST', '/api/v1/cases', { token: leadAnalyst.token, body: { title: '' } }), 400, 'validation_failed')
      problem(await api(n.app, 'POST', '/api/v1/cases', { token: leadAnalyst.token, body: { title: 'x', extra: 1 } }), 400, 'validation_failed')
      problem(await api(n.app, 'POST', '/api/v1/cases', { token: leadAnalyst.token, body: { title: 'x', participants: ['no-such-org'] } }), 400, 'validation_failed')
      problem(await api(n.app, 'POST', '/api/v1/cases', { token: leadAnalyst.token, body: { title: 'x'.repeat(301) } }), 400, 'validation_failed')
      problem(await api(n.app, 'POST', '/api/v1/cases', { token: orgs.partner.readOnly, body: { title: 'x' } }), 403, 'forbidden')
      problem(await api(n.app, 'POST', `/api/v1/cases/${caseId}/tasks`, { token: leadAnalyst.token, body: { title: 't', due: 'tomorrow' } }), 400, 'validation_failed')
      const after = json<{ items: unknown[] }>(await api(n.app, 'GET', '/api/v1/cases', { token: admin, query: { limit: '500' } })).items.length
      expect(after).toBe(before)
    })

    it('documents the routes in the OpenAPI document', async () => {
      const doc = json<{ paths: Record<string, unknown> }>(await api(n.app, 'GET', '/api/docs/json'))
      for (const p of ['/api/v1/cases', '/api/v1/cases/from-playbook', '/api/v1/cases/{id}', '/api/v1/cases/{id}/tasks', '/api/v1/cases/{id}/timeline', '/api/v1/playbooks']) {
        expect(Object.keys(doc.paths)).toContain(p)
      }
    })
  })
}
