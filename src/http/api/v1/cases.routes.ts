/**
 * Joint cases (/api/v1/cases) and election playbooks (/api/v1/playbooks). Thin: each route calls the
 * cases service, which checks who may see and change what. A case the caller may not see answers 404
 * like a missing one. Edits name the version they edit with If-Match (412 when it is stale); answers
 * that show one case or task carry its version as ETag.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import {
  AssignTask, AssistanceRequest, Case, CaseList, CaseMembers, CaseObjectParams, CaseParams, CaseUpdate, CaseWithStix, IfMatchHeaders, LinkObjects, ListCasesQuery,
  NewCase, NewCaseFromPlaybook, NewNote, NewOffer, NewRequest, NewTask, Note, NoteList, Offer, OfferDecision, OrgList, Playbook, PlaybookList, PlaybookParams,
  RequestList, Task, TaskList, TaskUpdate, Timeline,
} from '../../../contract/api/cases.js'
import { CASE_STATUSES, SEVERITIES, type CaseStatus, type Severity } from '../../../core/case/model.js'
import { PLAYBOOKS, findPlaybook, type Playbook as PlaybookT } from '../../../core/case/playbooks/index.js'
import { techniqueUrl } from '../../../core/case/stix.js'
import { parseIfMatch } from '../../../services/cases/cases.js'
import { DomainFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

const TAG = 'Cases'

function etag(reply: FastifyReply, version: string): FastifyReply {
  return reply.header('etag', `"${version}"`)
}

function list<T extends string>(raw: string | undefined, allowed: readonly T[], pointer: string): T[] | undefined {
  if (raw === undefined) return undefined
  const vals = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const bad = vals.filter((v) => !(allowed as readonly string[]).includes(v))
  if (bad.length > 0) throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer, message: `unknown value ${JSON.stringify(bad[0])}; one of ${allowed.join(', ')}` }] })
  return vals as T[]
}

const presentPlaybook = (p: PlaybookT) => ({
  id: p.id, title: p.title, description: p.description, severity: p.severity,
  tasks: p.tasks.map((t) => ({ title: t.title, description: t.description, dueInHours: t.dueInHours, techniques: t.techniques.map((x) => ({ ...x, url: techniqueUrl(x) })) })),
})

export const casesRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { cases } = ctx.services

  app.get('/playbooks', {
    schema: { tags: [TAG], summary: 'List the election playbooks shipped with the node', response: { 200: PlaybookList, ...problems(401) } },
  }, async () => ({ items: PLAYBOOKS.map(presentPlaybook) }))

  app.get('/playbooks/:id', {
    schema: { tags: [TAG], summary: 'One playbook with its tasks', params: PlaybookParams, response: { 200: Playbook, ...problems(401, 404) } },
  }, async (request) => {
    const p = findPlaybook(request.params.id)
    if (!p) throw new DomainFailure({ code: 'not_found', resource: 'playbook', id: request.params.id })
    return presentPlaybook(p)
  })

  app.get('/cases', {
    schema: {
      tags: [TAG], summary: 'List the cases you may see, newest first',
      description: 'Cases in which your organisation leads or participates (administrators: every case). Filters: `status`, `severity` (comma-separated), `lead` (organisation id or identity). Keyset pages: pass `nextCursor` back as `cursor`.',
      querystring: ListCasesQuery, response: { 200: CaseList, ...problems(400, 401) },
    },
  }, async (request) => {
    const q = request.query
    const status = list<CaseStatus>(q.status, CASE_STATUSES, '/query/status')
    const severity = list<Severity>(q.severity, SEVERITIES, '/query/severity')
    return unwrap(await cases.list(viewerOf(request), {
      ...(status ? { status } : {}), ...(severity ? { severity } : {}), ...(q.lead !== undefined ? { lead: q.lead } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    }))
  })

  app.post('/cases', {
    schema: { tags: [TAG], summary: 'Open a case (your organisation leads it)', body: NewCase, response: { 201: Case, ...problems(400, 401, 403, 413, 422) } },
  }, async (request, reply) => {
    const c = unwrap(await cases.create(viewerOf(request), request.body))
    return etag(reply.code(201).header('location', `/api/v1/cases/${c.id}`), c.version).send(c)
  })

  app.post('/cases/from-playbook', {
    schema: { tags: [TAG], summary: 'Open a case from a playbook: the case and all its tasks in one write', body: NewCaseFromPlaybook, response: { 201: Case, ...problems(400, 401, 403, 404, 413, 422) } },
  }, async (request, reply) => {
    const { playbook, ...rest } = request.body
    const c = unwrap(await cases.createFromPlaybook(viewerOf(request), playbook, rest))
    return etag(reply.code(201).header('location', `/api/v1/cases/${c.id}`), c.version).send(c)
  })

  app.get('/cases/organisations', {
    schema: { tags: [TAG], summary: 'Organisations of this node that can take part in cases', response: { 200: OrgList, ...problems(401, 403) } },
  }, async (request) => ({ items: unwrap(await cases.organisations(viewerOf(request))) }))

  app.get('/cases/:id', {
    schema: { tags: [TAG], summary: 'One case, with the STIX incident of its latest version', params: CaseParams, response: { 200: CaseWithStix, ...problems(401, 404) } },
  }, async (request, reply) => {
    const r = unwrap(await cases.get(viewerOf(request), request.params.id))
    return etag(reply, r.case.version).send(r)
  })

  app.patch('/cases/:id', {
    schema: {
      tags: [TAG], summary: 'Edit a case or move its status (lead, administrators)',
      description: 'Needs `If-Match: "<version>"`. Status moves follow the workflow (409 otherwise); closing needs `closeReason` (and `reason` unless resolved); reopening (closed → triage) needs `reason`. 412 when the version is stale.',
      params: CaseParams, headers: IfMatchHeaders, body: CaseUpdate, response: { 200: Case, ...problems(400, 401, 403, 404, 409, 412, 413, 422) },
    },
  }, async (request, reply) => {
    const c = unwrap(await cases.update(viewerOf(request), request.params.id, parseIfMatch(request.headers['if-match']), request.body))
    return etag(reply, c.version).send(c)
  })

  app.get('/cases/:id/members', {
    schema: { tags: [TAG], summary: 'Organisations in the case and their users (assignees)', params: CaseParams, response: { 200: CaseMembers, ...problems(401, 404) } },
  }, async (request) => ({ items: unwrap(await cases.members(viewerOf(request), request.params.id)) }))

  app.post('/cases/:id/links', {
    schema: { tags: [TAG], summary: 'Link objects (indicators, observed data, reports, threat actors…) to the case', params: CaseParams, headers: IfMatchHeaders, body: LinkObjects, response: { 200: Case, ...problems(400, 401, 403, 404, 412, 413, 422) } },
  }, async (request, reply) => {
    const c = unwrap(await cases.link(viewerOf(request), request.params.id, request.body.objectIds, parseIfMatch(request.headers['if-match'])))
    return etag(reply, c.version).send(c)
  })

  app.delete('/cases/:id/links/:objectId', {
    schema: { tags: [TAG], summary: 'Unlink an object from the case (lead)', params: CaseObjectParams, headers: IfMatchHeaders, response: { 200: Case, ...problems(400, 401, 403, 404, 412) } },
  }, async (request, reply) => {
    const c = unwrap(await cases.unlink(viewerOf(request), request.params.id, request.params.objectId, parseIfMatch(request.headers['if-match'])))
    return etag(reply, c.version).send(c)
  })

  app.get('/cases/:id/tasks', {
    schema: { tags: [TAG], summary: 'The tasks of a case', params: CaseParams, response: { 200: TaskList, ...problems(401, 404) } },
  }, async (request) => ({ items: unwrap(await cases.listTasks(viewerOf(request), request.params.id)) }))

  app.post('/cases/:id/tasks', {
    schema: { tags: [TAG], summary: 'Add a task (lead)', params: CaseParams, body: NewTask, response: { 201: Task, ...problems(400, 401, 403, 404, 413, 422) } },
  }, async (request, reply) => {
    const t = unwrap(await cases.createTask(viewerOf(request), request.params.id, request.body))
    return etag(reply.code(201), t.version).send(t)
  })

  app.patch('/cases/:id/tasks/:objectId', {
    schema: {
      tags: [TAG], summary: 'Edit a task',
      description: 'Needs `If-Match`. The lead may change anything; the assignee may change the status.',
      params: CaseObjectParams, headers: IfMatchHeaders, body: TaskUpdate, response: { 200: Task, ...problems(400, 401, 403, 404, 412, 422) },
    },
  }, async (request, reply) => {
    const ifMatch = parseIfMatch(request.headers['if-match'])
    if (ifMatch === undefined) throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/headers/if-match', message: 'name the version you edit: If-Match with the task version' }] })
    const t = unwrap(await cases.updateTask(viewerOf(request), request.params.objectId, ifMatch, request.body, request.params.id))
    return etag(reply, t.version).send(t)
  })

  app.post('/cases/:id/tasks/:objectId/assign', {
    schema: { tags: [TAG], summary: 'Assign a task to a user or an organisation in the case (null: unassign)', params: CaseObjectParams, headers: IfMatchHeaders, body: AssignTask, response: { 200: Task, ...problems(400, 401, 403, 404, 412, 422) } },
  }, async (request, reply) => {
    const t = unwrap(await cases.updateTask(viewerOf(request), request.params.objectId, parseIfMatch(request.headers['if-match']), { assignee: request.body.assignee }, request.params.id))
    return etag(reply, t.version).send(t)
  })

  app.post('/cases/:id/tasks/:objectId/complete', {
    schema: { tags: [TAG], summary: 'Mark a task done (lead or assignee)', params: CaseObjectParams, headers: IfMatchHeaders, response: { 200: Task, ...problems(400, 401, 403, 404, 412, 422) } },
  }, async (request, reply) => {
    const t = unwrap(await cases.updateTask(viewerOf(request), request.params.objectId, parseIfMatch(request.headers['if-match']), { status: 'done' }, request.params.id))
    return etag(reply, t.version).send(t)
  })

  app.get('/cases/:id/notes', {
    schema: { tags: [TAG], summary: 'The notes of a case', params: CaseParams, response: { 200: NoteList, ...problems(401, 404) } },
  }, async (request) => ({ items: unwrap(await cases.listNotes(viewerOf(request), request.params.id)) }))

  app.post('/cases/:id/notes', {
    schema: { tags: [TAG], summary: 'Add a note to the timeline (any organisation in the case)', params: CaseParams, body: NewNote, response: { 201: Note, ...problems(400, 401, 403, 404, 413, 422) } },
  }, async (request, reply) => reply.code(201).send(unwrap(await cases.addNote(viewerOf(request), request.params.id, request.body))))

  app.get('/cases/:id/requests', {
    schema: { tags: [TAG], summary: 'Requests for assistance and their offers', params: CaseParams, response: { 200: RequestList, ...problems(401, 404) } },
  }, async (request) => ({ items: unwrap(await cases.listRequests(viewerOf(request), request.params.id)) }))

  app.post('/cases/:id/requests', {
    schema: { tags: [TAG], summary: 'Ask partners for help (lead)', params: CaseParams, body: NewRequest, response: { 201: AssistanceRequest, ...problems(400, 401, 403, 404, 413, 422) } },
  }, async (request, reply) => reply.code(201).send(unwrap(await cases.createRequest(viewerOf(request), request.params.id, request.body))))

  app.post('/cases/:id/requests/:objectId/offers', {
    schema: { tags: [TAG], summary: 'Offer help on an open request (a participating organisation)', params: CaseObjectParams, body: NewOffer, response: { 201: Offer, ...problems(400, 401, 403, 404, 409, 422) } },
  }, async (request, reply) => reply.code(201).send(unwrap(await cases.offer(viewerOf(request), request.params.objectId, request.body, request.params.id))))

  app.post('/cases/:id/offers/:objectId/decision', {
    schema: { tags: [TAG], summary: 'Accept or decline an offer (lead)', params: CaseObjectParams, body: OfferDecision, response: { 200: Offer, ...problems(400, 401, 403, 404, 409, 412, 422) } },
  }, async (request) => unwrap(await cases.decideOffer(viewerOf(request), request.params.objectId, request.body, request.params.id)))

  app.get('/cases/:id/timeline', {
    schema: { tags: [TAG], summary: 'The case timeline: notes and entries computed from every stored version', params: CaseParams, response: { 200: Timeline, ...problems(401, 404) } },
  }, async (request) => {
    const t = unwrap(await cases.timeline(viewerOf(request), request.params.id))
    return { items: t.entries, truncated: t.truncated }
  })
}
