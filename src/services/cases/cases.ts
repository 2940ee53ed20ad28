/**
 * Joint cases (issue 6): cases, tasks, notes, requests for assistance and offers as STIX objects.
 * Every change is a new version written through the one ingest pipeline (validated, stored, logged in
 * the transparency log) into the node's `cases` collection, created on first use. The case index
 * (store.cases) is derived from those versions after each write and by the ingest derive step for
 * case objects arriving by other ways (TAXII, peer sync); `reindex` rebuilds it.
 *
 * Visibility: see access.ts. Optimistic concurrency: an edit names the version it edits (`ifMatch`,
 * the `modified` of that version); the head is taken by compare-and-set in the write's own transaction,
 * so of two concurrent edits of the same version exactly one succeeds and the other gets
 * `precondition_failed`, and a crash never leaves the head out of step with the stored versions.
 * Webhook deliveries of a change are queued in that same transaction (transactional outbox).
 */
import { CASE_LIMITS, CASE_TYPE, LINKABLE_TYPES, OFFER_TYPE, REQUEST_KINDS, REQUEST_TYPE, TASK_TYPE, USER_IDENTITY_NAMESPACE, type CaseStatus, type CloseReason, type RequestKind, type Severity, type TaskStatus, type TlpLevel } from '../../core/case/model.js'
import { CASE_DEFINITIONS } from '../../core/case/definitions.js'
import { findPlaybook } from '../../core/case/playbooks/index.js'
import {
  buildCase, buildNote, buildOffer, buildRequest, buildTask, buildUserIdentity, caseOrganisations, caseRefOf, readCase, readNote, readOffer, readRequest, readTask, techniqueUrl,
  type CaseRecord, type NoteRecord, type OfferRecord, type RequestRecord, type TaskRecord, type TechniqueRef,
} from '../../core/case/stix.js'
import { computeTimeline, type TimelineEntry } from '../../core/case/timeline.js'
import { TRANSITIONS, transition } from '../../core/case/workflow.js'
import { isAdmin, mayWriteObjects, type Viewer } from '../../core/policy/viewer.js'
import type { DomainError, Issue } from '../../core/shared/errors.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { isStixId, uuidv5 } from '../../core/stix/id.js'
import { parseStixTimestamp, toStoredTimestamp } from '../../core/stix/time.js'
import type { StixObject } from '../../core/stix/validate.js'
import type { CaseIndexRow, CaseStore, Organisation, Tx, User } from '../../store/port.js'
import { makeAdminService } from '../admin/admin.js'
import type { ServiceDeps } from '../deps.js'
import type { AddedObject, IngestService } from '../pipeline/ingest.js'
import { caseRole, mayContribute, mayRunCase, type CaseRole } from './access.js'

export const CASES_COLLECTION_ALIAS = 'cases'

/** What a case change tells the live-event bus and webhooks (after commit). */
export interface CaseEvent {
  readonly kind: 'case'
  readonly caseId: string
  readonly change: 'created' | 'updated' | 'task_created' | 'task_updated' | 'task_assigned' | 'note_added' | 'request_created' | 'offer_made' | 'offer_decided'
  /** The object the change is about (the case itself, a task, note, request or offer). */
  readonly objectId: string
  /** The case's latest version, for the read decision (`mayViewCase`). */
  readonly caseObject: Readonly<Record<string, unknown>>
  /** task_assigned: the new assignee (user or organisation identity). */
  readonly assigneeRef?: string
}

export interface CasesDeps extends ServiceDeps {
  /** The ingest pipeline every case write goes through (lazy: services reference each other). */
  readonly ingest: () => IngestService
  /** Called after each committed change (live events); failures are logged, the change stands. */
  readonly onEvent?: (e: CaseEvent) => unknown
  /**
   * The transactional outbox (webhook deliveries): called before a change's transaction with its
   * events; the step it returns runs inside that transaction, so the change commits with what it
   * queues or not at all. A failure fails the change.
   */
  readonly outbox?: (events: readonly CaseEvent[]) => Promise<(tx: Tx) => Promise<unknown>>
}

/** A compare-and-set of an object's head taken in the write's own transaction. */
interface Claim {
  readonly id: string
  readonly expected: string
  readonly next: string
}

export interface OrgRef {
  readonly identityRef: string
  /** The local organisation's id and name, or null for an organisation of another node. */
  readonly orgId: string | null
  readonly name: string | null
}

export interface CaseView {
  readonly id: string
  /** The version this view shows (its `modified`): send it back as If-Match to edit. */
  readonly version: string
  readonly title: string
  readonly description: string | null
  readonly severity: Severity
  readonly status: CaseStatus
  readonly statusReason: string | null
  readonly closeReason: CloseReason | null
  readonly tlp: TlpLevel
  readonly lead: OrgRef
  readonly participants: OrgRef[]
  readonly linkedObjects: string[]
  readonly playbook: string | null
  readonly created: string
  readonly modified: string
  readonly modifiedBy: string | null
  /** The viewer's role in the case. */
  readonly role: CaseRole
  /** Statuses the case may move to next. */
  readonly allowedTransitions: CaseStatus[]
}

export interface Assignee {
  readonly ref: string
  readonly kind: 'user' | 'organisation'
  readonly userId: string | null
  readonly username: string | null
  readonly organisation: OrgRef | null
}

export interface TaskView {
  readonly id: string
  readonly caseId: string
  readonly version: string
  readonly title: string
  readonly description: string | null
  readonly status: TaskStatus
  readonly assignee: Assignee | null
  readonly due: string | null
  readonly techniques: (TechniqueRef & { url: string })[]
  readonly created: string
  readonly modified: string
  readonly modifiedBy: string | null
}

export interface NoteView {
  readonly id: string
  readonly caseId: string
  readonly content: string
  readonly authors: string[]
  readonly authorRef: string | null
  readonly organisation: OrgRef
  readonly created: string
}

export interface OfferView {
  readonly id: string
  readonly requestId: string
  readonly version: string
  readonly organisation: OrgRef
  readonly description: string
  readonly status: OfferRecord['status']
  readonly decisionReason: string | null
  readonly created: string
  readonly modified: string
}

export interface RequestView {
  readonly id: string
  readonly caseId: string
  readonly version: string
  readonly kind: RequestKind
  readonly description: string
  readonly status: RequestRecord['status']
  readonly created: string
  readonly modified: string
  readonly offers: OfferView[]
}

export interface CaseListItem {
  readonly id: string
  readonly title: string
  readonly status: string
  readonly severity: string
  readonly tlp: string
  readonly lead: OrgRef
  readonly participants: OrgRef[]
  readonly created: string
  readonly modified: string
}

/** An assignee named by the API: a local user, or an organisation (local or of another node) by identity. */
export type AssigneeInput = { readonly userId: string } | { readonly organisation: string }

export interface NewCaseInput {
  readonly title: string
  readonly description?: string
  readonly severity?: Severity
  readonly tlp?: TlpLevel
  /** Participating organisations: local organisation ids or STIX identity ids. */
  readonly participants?: readonly string[]
  readonly linkedObjects?: readonly string[]
  /** Administrators only: another organisation (id or identity) as lead. */
  readonly lead?: string
}

export interface CaseUpdateInput {
  readonly title?: string
  readonly description?: string | null
  readonly severity?: Severity
  readonly tlp?: TlpLevel
  readonly status?: CaseStatus
  readonly reason?: string
  readonly closeReason?: CloseReason
  readonly participants?: readonly string[]
}

export interface NewTaskInput {
  readonly title: string
  readonly description?: string
  readonly assignee?: AssigneeInput
  readonly due?: string
  readonly techniques?: readonly TechniqueRef[]
}

export interface TaskUpdateInput {
  readonly title?: string
  readonly description?: string | null
  readonly status?: TaskStatus
  readonly assignee?: AssigneeInput | null
  readonly due?: string | null
}

const invalid = (pointer: string, message: string): Result<never> => err({ code: 'validation_failed', issues: [{ pointer, message }] })
const notFound = (resource: string, id: string): Result<never> => err({ code: 'not_found', resource, id })

/** Strips the quotes (and a weak `W/` prefix) of an If-Match value. */
export function parseIfMatch(v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  const s = v.trim().replace(/^W\//, '')
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s
}

export function makeCasesService(deps: CasesDeps) {
  const { store, clock } = deps
  const log = deps.logger.child({ module: 'cases' })
  const admin = makeAdminService(deps)

  // --- Set-up: the cases collection and the extension definitions, once --------------------------
  let setup: Promise<string> | null = null

  async function casesCollectionId(): Promise<string | null> {
    return (await store.collections.find(CASES_COLLECTION_ALIAS))?.id ?? null
  }

  /** `orgId`: the organisation whose request triggers the set-up (TAXII status resources belong to one). */
  function ensureSetup(orgId: string): Promise<string> {
    const SETUP_VIEWER: Viewer = { kind: 'system', name: 'cases', orgId }
    setup ??= (async () => {
      let id = await casesCollectionId()
      if (id === null) {
        const c = await admin.createCollection(SETUP_VIEWER, { title: 'Cases', alias: CASES_COLLECTION_ALIAS, description: 'Joint cases, their tasks, notes and requests for assistance (read through /api/v1/cases)' })
        id = c.ok ? c.value.id : await casesCollectionId()
        if (id === null) throw new Error('cases: could not create the cases collection')
      }
      const r = await deps.ingest().addObjects(SETUP_VIEWER, { collection: id, objects: CASE_DEFINITIONS })
      if (!r.ok || r.value.results.some((x) => x.outcome === 'failed')) throw new Error('cases: the extension definitions were refused by the pipeline')
      return id
    })().catch((e: unknown) => {
      setup = null
      throw e
    })
    return setup
  }

  // --- Identities ---------------------------------------------------------------------------------
  const orgCache = new Map<string, Organisation>()
  async function orgById(orgId: string): Promise<Organisation | null> {
    const hit = orgCache.get(orgId)
    if (hit) return hit
    const o = await store.orgs.get(orgId)
    if (o) orgCache.set(orgId, o)
    return o
  }
  async function orgsByIdentity(): Promise<Map<string, Organisation>> {
    const all = await store.orgs.list()
    return new Map(all.map((o) => [o.identityId, o]))
  }
  async function viewerOrgRef(viewer: Viewer): Promise<string | null> {
    if (viewer.orgId === '') return null
    return (await orgById(viewer.orgId))?.identityId ?? null
  }
  const userIdentityRef = (userId: string) => `identity--${uuidv5(USER_IDENTITY_NAMESPACE, `user:${userId}`)}`
  async function actorRef(viewer: Viewer): Promise<string | null> {
    return viewer.kind === 'user' ? userIdentityRef(viewer.userId) : await viewerOrgRef(viewer)
  }
  const orgRef = (byIdentity: Map<string, Organisation>, ref: string): OrgRef => {
    const o = byIdentity.get(ref)
    return { identityRef: ref, orgId: o?.id ?? null, name: o?.name ?? null }
  }

  /** Organisation ids or identity ids → identity ids. Unknown local ids are an error; foreign identities pass. */
  async function resolveOrgs(values: readonly string[], pointer: string): Promise<Result<string[]>> {
    // Bounded before any lookup (the lead may be named among the participants too).
    if (values.length > CASE_LIMITS.participants + 1) return err({ code: 'limit_exceeded', limit: 'participants', max: CASE_LIMITS.participants })
    const issues: Issue[] = []
    const out: string[] = []
    for (const [i, v] of values.entries()) {
      if (isStixId(v, 'identity')) out.push(v.toLowerCase())
      else {
        const o = await orgById(v)
        if (o) out.push(o.identityId)
        else issues.push({ pointer: `${pointer}/${i}`, message: 'is neither an organisation of this node nor an identity id (identity--<uuid>)' })
      }
    }
    if (issues.length > 0) return err({ code: 'validation_failed', issues })
    return ok([...new Set(out)])
  }

  // --- Time -------------------------------------------------------------------------------------------
  /** A STIX timestamp for a new version: now, but strictly after `after` (versions need a new modified). */
  function stixNow(after?: string): string {
    let ms = clock.nowMs()
    if (after !== undefined) {
      const p = parseStixTimestamp(after)
      if (p.ok && ms <= p.value.epochMs) ms = p.value.epochMs + 1
    }
    return new Date(ms).toISOString()
  }
  const stored = (t: string) => toStoredTimestamp(t) ?? t

  // --- Reading stored versions --------------------------------------------------------------------
  async function latest(collectionId: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>()
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const p = await store.objects.query({ collectionId, ids: chunk, limit: chunk.length * 2 + 1, withContent: true })
      for (const e of p.items) if (e.json !== undefined) out.set(e.stixId, JSON.parse(e.json) as Record<string, unknown>)
    }
    return out
  }

  async function allVersions(collectionId: string, ids: readonly string[], max: number): Promise<Map<string, Record<string, unknown>[]>> {
    const out = new Map<string, Record<string, unknown>[]>()
    let total = 0
    for (let i = 0; i < ids.length && total < max; i += 200) {
      const chunk = ids.slice(i, i + 200)
      let after: { dateAdded: string; seq: number } | undefined
      for (;;) {
        const p = await store.objects.query({
          collectionId, ids: chunk, versions: { first: false, last: false, all: true, versions: [] }, limit: 1000, withContent: true, ...(after ? { after } : {}),
        })
        for (const e of p.items) {
          if (e.json === undefined) continue
          const l = out.get(e.stixId) ?? []
          l.push(JSON.parse(e.json) as Record<string, unknown>)
          out.set(e.stixId, l)
          total++
        }
        const last = p.items[p.items.length - 1]
        if (!p.more || !last || total >= max) break
        after = { dateAdded: last.dateAdded, seq: last.seq }
      }
    }
    for (const l of out.values()) l.sort((a, b) => Date.parse(String(a['modified'])) - Date.parse(String(b['modified'])))
    return out
  }

  /** The latest version of a case the viewer may see, its role, and the cases collection. */
  async function loadCase(viewer: Viewer, caseId: string): Promise<Result<{ c: CaseRecord; json: Record<string, unknown>; role: CaseRole; collectionId: string }>> {
    const collectionId = await casesCollectionId()
    if (collectionId === null || !isStixId(caseId, CASE_TYPE)) return notFound('case', caseId)
    const head = await store.cases.member(caseId)
    if (!head || head.type !== CASE_TYPE) return notFound('case', caseId)
    const json = (await latest(collectionId, [caseId])).get(caseId)
    const c = json ? readCase(json) : null
    if (!c || !json) return notFound('case', caseId)
    const role = caseRole(viewer, await viewerOrgRef(viewer), c)
    if (role === null) return notFound('case', caseId)
    return ok({ c, json, role, collectionId })
  }

  /** The case an object belongs to, loaded for the viewer (not_found for both when it may not see it). */
  async function loadMember(viewer: Viewer, id: string, type: string, resource: string, expectCase?: string) {
    const m = await store.cases.member(id)
    if (!m || m.type !== type || (expectCase !== undefined && m.caseId !== expectCase)) return notFound(resource, id)
    const lc = await loadCase(viewer, m.caseId)
    if (!lc.ok) return notFound(resource, id)
    const json = (await latest(lc.value.collectionId, [id])).get(id)
    if (!json) return notFound(resource, id)
    return ok({ ...lc.value, member: json, head: m.modified })
  }

  // --- Writing ----------------------------------------------------------------------------------------
  function writerOf(viewer: Viewer): Viewer {
    // The cases service checks case rights itself and writes into the cases collection as a named
    // system actor; the log records the user behind it by id (never by name).
    const who = viewer.kind === 'user' ? `user:${viewer.userId}` : viewer.name
    return { kind: 'system', name: `cases:${who}`, orgId: viewer.orgId }
  }

  /**
   * Writes objects through the ingest pipeline in one transaction together with (1) the
   * compare-and-set of every object version it replaces (`claims`), (2) the case index rows and (3) the
   * webhook deliveries of its `events` (outbox): a crash or a failure leaves all of them or none. Live
   * events are published after the commit.
   */
  async function write(viewer: Viewer, collectionId: string, objects: readonly StixObject[], o: { readonly claims?: readonly Claim[]; readonly events?: readonly CaseEvent[] } = {}): Promise<Result<void>> {
    const events = o.events ?? []
    const queue = deps.outbox && events.length > 0 ? await deps.outbox(events) : null
    const r = await deps.ingest().ingestBatch(writerOf(viewer), {
      collection: collectionId,
      objects,
      within: async (tx, results) => {
        const failed = results.filter((x) => x.outcome === 'failed')
        if (failed.length > 0) {
          const conflict = failed.find((f) => f.code === 'conflict')
          if (conflict) return err({ code: 'precondition_failed', detail: 'another change to this object was stored at the same moment; reload and retry' })
          return err({ code: 'stix_invalid', issues: failed.map((f) => ({ pointer: f.pointer ?? '', message: `${f.id ?? 'object'}: ${f.message ?? f.code ?? 'invalid'}` })) })
        }
        for (const c of o.claims ?? []) {
          if (!(await tx.cases.claimVersion(c.id, stored(c.expected), stored(c.next)))) {
            return err({ code: 'precondition_failed', detail: `${c.id} was changed since version ${c.expected}; reload it and apply your change again` })
          }
        }
        await indexObjects(tx.cases, collectionId, objects)
        if (queue) await queue(tx)
        return ok(undefined)
      },
    })
    if (!r.ok) return r
    for (const e of events) await emit(e)
    return ok(undefined)
  }

  /** Brings the case index up to date with stored case objects (idempotent). */
  async function indexObjects(repo: CaseStore, collectionId: string, objects: readonly Record<string, unknown>[]): Promise<void> {
    for (const o of objects) {
      const c = readCase(o)
      if (c) {
        const row: CaseIndexRow = {
          caseId: c.id, collectionId, title: c.title.slice(0, CASE_LIMITS.titleLength), status: c.status, severity: c.severity, leadRef: c.leadRef, tlp: c.tlp,
          created: stored(c.created), modified: stored(c.modified), orgRefs: caseOrganisations(c),
        }
        await repo.indexCase(row)
        await repo.putMember({ stixId: c.id, caseId: c.id, type: CASE_TYPE, created: row.created, modified: row.modified })
        continue
      }
      const caseRef = caseRefOf(o)
      const type = typeof o['type'] === 'string' ? o['type'] : ''
      if (caseRef === null || type === CASE_TYPE || typeof o['id'] !== 'string' || typeof o['created'] !== 'string' || typeof o['modified'] !== 'string') continue
      if (!(await repo.getCase(caseRef))) continue
      await repo.putMember({ stixId: o['id'], caseId: caseRef, type, created: stored(o['created']), modified: stored(o['modified']) })
    }
  }

  async function emit(e: CaseEvent): Promise<void> {
    if (!deps.onEvent) return
    try {
      await deps.onEvent(e)
    } catch (x) {
      log.error({ err: x, caseId: e.caseId, change: e.change }, 'case event listener failed after a committed change')
    }
  }

  // --- Views ----------------------------------------------------------------------------------------
  /** `allowedTransitions` are the moves this viewer may make: none for participants and read-only users. */
  function caseView(viewer: Viewer, c: CaseRecord, role: CaseRole, byIdentity: Map<string, Organisation>): CaseView {
    return {
      id: c.id, version: c.modified, title: c.title, description: c.description, severity: c.severity, status: c.status, statusReason: c.statusReason,
      closeReason: c.closeReason, tlp: c.tlp, lead: orgRef(byIdentity, c.leadRef), participants: c.participantRefs.map((r) => orgRef(byIdentity, r)),
      linkedObjects: [...c.linkedRefs], playbook: c.playbook, created: c.created, modified: c.modified, modifiedBy: c.modifiedByRef, role,
      allowedTransitions: mayRunCase(viewer, role) ? [...TRANSITIONS[c.status]] : [],
    }
  }

  async function usersByIdentity(): Promise<Map<string, User>> {
    const users = await store.users.list()
    return new Map(users.map((u) => [userIdentityRef(u.id), u]))
  }

  function assigneeView(ref: string | null, users: Map<string, User>, byIdentity: Map<string, Organisation>, orgsById: Map<string, Organisation>): Assignee | null {
    if (ref === null) return null
    const u = users.get(ref)
    if (u) {
      const o = orgsById.get(u.orgId)
      return { ref, kind: 'user', userId: u.id, username: u.username, organisation: o ? { identityRef: o.identityId, orgId: o.id, name: o.name } : null }
    }
    return { ref, kind: 'organisation', userId: null, username: null, organisation: orgRef(byIdentity, ref) }
  }

  async function taskViews(tasks: readonly TaskRecord[]): Promise<TaskView[]> {
    const users = await usersByIdentity()
    const orgs = await store.orgs.list()
    const byIdentity = new Map(orgs.map((o) => [o.identityId, o]))
    const orgsById = new Map(orgs.map((o) => [o.id, o]))
    return tasks.map((t) => ({
      id: t.id, caseId: t.caseRef, version: t.modified, title: t.title, description: t.description, status: t.status,
      assignee: assigneeView(t.assigneeRef, users, byIdentity, orgsById), due: t.due,
      techniques: t.techniques.map((x) => ({ ...x, url: techniqueUrl(x) })), created: t.created, modified: t.modified, modifiedBy: t.modifiedByRef,
    }))
  }

  // --- Input checks ---------------------------------------------------------------------------------
  function checkLinks(refs: readonly string[], pointer: string): Result<string[]> {
    const issues: Issue[] = []
    refs.forEach((r, i) => {
      const t = r.split('--')[0] ?? ''
      if (!isStixId(r) || !LINKABLE_TYPES.includes(t)) issues.push({ pointer: `${pointer}/${i}`, message: `must be the id of one of: ${LINKABLE_TYPES.join(', ')}` })
    })
    if (issues.length > 0) return err({ code: 'validation_failed', issues })
    return ok([...new Set(refs.map((r) => r.toLowerCase()))])
  }

  function checkDue(due: string | undefined | null, pointer: string): Result<string | null> {
    if (due === undefined || due === null) return ok(null)
    const p = parseStixTimestamp(due)
    if (!p.ok) return invalid(pointer, `must be an RFC 3339 UTC timestamp (${p.error})`)
    return ok(new Date(p.value.epochMs).toISOString())
  }

  /** An assignee must be a user of, or an organisation in, the case. */
  async function resolveAssignee(a: AssigneeInput, c: CaseRecord, pointer: string): Promise<Result<{ ref: string; identity: StixObject | null }>> {
    const orgRefs = caseOrganisations(c)
    if ('userId' in a) {
      const u = await store.users.get(a.userId)
      const o = u ? await orgById(u.orgId) : null
      if (!u || !o || u.disabledAt !== null) return invalid(`${pointer}/userId`, 'is not an active user of this node')
      if (!orgRefs.includes(o.identityId)) return invalid(`${pointer}/userId`, `${u.username}'s organisation (${o.name}) does not take part in the case; add it as a participant first`)
      const ref = userIdentityRef(u.id)
      return ok({ ref, identity: buildUserIdentity({ id: ref, username: u.username, created: new Date(Date.parse(u.createdAt) || 0).toISOString(), orgIdentityRef: o.identityId }) })
    }
    const r = await resolveOrgs([a.organisation], `${pointer}/organisation`)
    if (!r.ok) return r
    const ref = r.value[0] as string
    if (!orgRefs.includes(ref)) return invalid(`${pointer}/organisation`, 'does not take part in the case; add it as a participant first')
    return ok({ ref, identity: null })
  }

  function checkText(v: string | undefined | null, max: number, pointer: string, required = false): Result<string | null> {
    if (v === undefined || v === null) return required ? invalid(pointer, 'is required') : ok(null)
    const t = v.trim()
    if (required && t === '') return invalid(pointer, 'must not be empty')
    if (t.length > max) return invalid(pointer, `must be at most ${max} characters`)
    return ok(t === '' ? null : t)
  }

  // --- Use cases --------------------------------------------------------------------------------------
  async function createCase(viewer: Viewer, input: NewCaseInput, playbookId?: string): Promise<Result<CaseView>> {
    if (!mayWriteObjects(viewer)) return err({ code: 'forbidden', reason: 'role' })
    const title = checkText(input.title, CASE_LIMITS.titleLength, '/body/title', true)
    if (!title.ok) return title
    const description = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description')
    if (!description.ok) return description
    let leadRef = await viewerOrgRef(viewer)
    if (input.lead !== undefined) {
      if (!isAdmin(viewer)) return err({ code: 'forbidden', reason: 'role' })
      const l = await resolveOrgs([input.lead], '/body/lead')
      if (!l.ok) return l
      leadRef = l.value[0] ?? null
    }
    if (leadRef === null) return invalid('/body/lead', 'a system actor must name the lead organisation')
    const parts = await resolveOrgs(input.participants ?? [], '/body/participants')
    if (!parts.ok) return parts
    const participantRefs = parts.value.filter((r) => r !== leadRef)
    if (participantRefs.length > CASE_LIMITS.participants) return err({ code: 'limit_exceeded', limit: 'participants', max: CASE_LIMITS.participants })
    const links = checkLinks(input.linkedObjects ?? [], '/body/linkedObjects')
    if (!links.ok) return links
    if (links.value.length > CASE_LIMITS.linkedObjects) return err({ code: 'limit_exceeded', limit: 'linked objects', max: CASE_LIMITS.linkedObjects })
    const playbook = playbookId !== undefined ? findPlaybook(playbookId) : undefined
    if (playbookId !== undefined && !playbook) return notFound('playbook', playbookId)

    const collectionId = await ensureSetup(viewer.orgId)
    const now = stixNow()
    const tlp = input.tlp ?? 'amber'
    const by = await actorRef(viewer)
    const c: CaseRecord = {
      id: `${CASE_TYPE}--${deps.ids.uuid()}`, created: now, modified: now, createdByRef: leadRef, modifiedByRef: by, tlp,
      title: title.value ?? '', description: description.value ?? (playbook?.description ?? null), severity: input.severity ?? playbook?.severity ?? 'medium',
      status: 'new', statusReason: null, closeReason: null, leadRef, participantRefs, linkedRefs: links.value, playbook: playbook?.id ?? null,
    }
    // Each task one millisecond after the previous one: the task list keeps the playbook's order.
    const nowMs = Date.parse(now)
    const tasks: StixObject[] = (playbook?.tasks ?? []).map((t, i) =>
      buildTask({
        id: `${TASK_TYPE}--${deps.ids.uuid()}`, created: new Date(nowMs + i + 1).toISOString(), modified: new Date(nowMs + i + 1).toISOString(), createdByRef: leadRef, modifiedByRef: by, tlp, caseRef: c.id,
        title: t.title, description: t.description, status: 'open', assigneeRef: null,
        due: t.dueInHours !== null ? new Date(clock.nowMs() + t.dueInHours * 3_600_000).toISOString() : null, techniques: t.techniques,
      }),
    )
    const caseObject = buildCase(c)
    const w = await write(viewer, collectionId, [caseObject, ...tasks], { events: [{ kind: 'case', caseId: c.id, change: 'created', objectId: c.id, caseObject }] })
    if (!w.ok) return w
    return ok(caseView(viewer, c, isAdmin(viewer) && leadRef !== (await viewerOrgRef(viewer)) ? 'admin' : 'lead', await orgsByIdentity()))
  }

  async function changeCase(viewer: Viewer, caseId: string, ifMatch: string | undefined, edit: (c: CaseRecord, role: CaseRole) => Promise<Result<CaseRecord>> | Result<CaseRecord>, needLead = true) {
    const lc = await loadCase(viewer, caseId)
    if (!lc.ok) return lc
    const { c, role, collectionId } = lc.value
    if (needLead ? !mayRunCase(viewer, role) : !mayContribute(viewer, role)) return err({ code: 'forbidden', reason: 'role' } as DomainError)
    if (ifMatch !== undefined && stored(ifMatch) !== stored(c.modified)) {
      return err({ code: 'precondition_failed', detail: `the case is at version ${c.modified}, not ${ifMatch}; reload it and apply your change again` } as DomainError)
    }
    const next = await edit(c, role)
    if (!next.ok) return next
    const modified = stixNow(c.modified)
    const updated: CaseRecord = { ...next.value, modified, modifiedByRef: await actorRef(viewer) }
    const caseObject = buildCase(updated)
    const w = await write(viewer, collectionId, [caseObject], {
      claims: [{ id: c.id, expected: c.modified, next: modified }],
      events: [{ kind: 'case', caseId: c.id, change: 'updated', objectId: c.id, caseObject }],
    })
    if (!w.ok) return w
    return ok(caseView(viewer, updated, role, await orgsByIdentity()))
  }

  async function tasksOf(collectionId: string, caseId: string): Promise<TaskRecord[]> {
    const ms = await store.cases.members(caseId, [TASK_TYPE], CASE_LIMITS.tasksPerCase)
    const objs = await latest(collectionId, ms.map((m) => m.stixId))
    return ms.map((m) => readTask(objs.get(m.stixId))).filter((t): t is TaskRecord => t !== null)
  }

  async function requestsOf(collectionId: string, caseId: string): Promise<RequestView[]> {
    const rs = await store.cases.members(caseId, [REQUEST_TYPE], CASE_LIMITS.requestsPerCase)
    const os = await store.cases.members(caseId, [OFFER_TYPE], CASE_LIMITS.requestsPerCase * CASE_LIMITS.offersPerRequest)
    const objs = await latest(collectionId, [...rs, ...os].map((m) => m.stixId))
    const byIdentity = await orgsByIdentity()
    const offers = os.map((m) => readOffer(objs.get(m.stixId))).filter((o): o is OfferRecord => o !== null)
    return rs
      .map((m) => readRequest(objs.get(m.stixId)))
      .filter((r): r is RequestRecord => r !== null)
      .map((r) => ({
        id: r.id, caseId: r.caseRef, version: r.modified, kind: r.kind, description: r.description, status: r.status, created: r.created, modified: r.modified,
        offers: offers.filter((o) => o.requestRef === r.id).map((o) => offerView(o, byIdentity)),
      }))
  }

  const offerView = (o: OfferRecord, byIdentity: Map<string, Organisation>): OfferView => ({
    id: o.id, requestId: o.requestRef, version: o.modified, organisation: orgRef(byIdentity, o.offeredByRef), description: o.description, status: o.status,
    decisionReason: o.decisionReason, created: o.created, modified: o.modified,
  })

  const service = {
    /** Exported for the live-event bus: whether `viewer` may see the case `caseObject` (a STIX incident). */
    async mayViewCase(viewer: Viewer, caseObject: Readonly<Record<string, unknown>>): Promise<boolean> {
      const c = readCase(caseObject)
      if (!c) return false
      return caseRole(viewer, await viewerOrgRef(viewer), c) !== null
    },

    /** Lists cases the viewer may see, newest first. */
    async list(
      viewer: Viewer,
      q: { readonly status?: readonly CaseStatus[]; readonly severity?: readonly Severity[]; readonly lead?: string; readonly limit?: number; readonly cursor?: string },
    ): Promise<Result<{ items: CaseListItem[]; nextCursor: string | null }>> {
      const limit = q.limit ?? 50
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return invalid('/query/limit', 'must be an integer from 1 to 500')
      let before: { created: string; caseId: string } | undefined
      if (q.cursor !== undefined) {
        const c = decodeCaseCursor(q.cursor)
        if (!c) return invalid('/query/cursor', 'is not a cursor this API issued')
        before = c
      }
      let leadRef: string | undefined
      if (q.lead !== undefined) {
        const l = await resolveOrgs([q.lead], '/query/lead')
        if (!l.ok) return l
        leadRef = l.value[0]
      }
      const me = await viewerOrgRef(viewer)
      const orgRefs = isAdmin(viewer) ? undefined : me === null ? [] : [me]
      const page = await store.cases.listCases({
        ...(orgRefs ? { orgRefs } : {}), ...(q.status ? { statuses: q.status } : {}), ...(q.severity ? { severities: q.severity } : {}),
        ...(leadRef !== undefined ? { leadRef } : {}), ...(before ? { before } : {}), limit,
      })
      const byIdentity = await orgsByIdentity()
      // Defence in depth: the store filtered by organisation; check each row again before it leaves.
      const items = page.items
        .filter((r) => isAdmin(viewer) || (me !== null && r.orgRefs.includes(me)))
        .map((r) => ({
          id: r.caseId, title: r.title, status: r.status, severity: r.severity, tlp: r.tlp, lead: orgRef(byIdentity, r.leadRef),
          participants: r.orgRefs.filter((x) => x !== r.leadRef).map((x) => orgRef(byIdentity, x)), created: r.created, modified: r.modified,
        }))
      const last = page.items[page.items.length - 1]
      return ok({ items, nextCursor: page.more && last ? encodeCaseCursor({ created: last.created, caseId: last.caseId }) : null })
    },

    create: (viewer: Viewer, input: NewCaseInput) => createCase(viewer, input),
    createFromPlaybook: (viewer: Viewer, playbookId: string, input: Partial<NewCaseInput>) => {
      const p = findPlaybook(playbookId)
      if (!p) return Promise.resolve(notFound('playbook', playbookId))
      return createCase(viewer, { ...input, title: input.title ?? p.title }, playbookId)
    },

    /** One case with the STIX object of its latest version. */
    async get(viewer: Viewer, caseId: string): Promise<Result<{ case: CaseView; stix: Record<string, unknown> }>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      return ok({ case: caseView(viewer, lc.value.c, lc.value.role, await orgsByIdentity()), stix: lc.value.json })
    },

    /** Edits case fields and moves the status through the workflow (lead and administrators). */
    async update(viewer: Viewer, caseId: string, ifMatch: string | undefined, input: CaseUpdateInput): Promise<Result<CaseView>> {
      if (ifMatch === undefined) return invalid('/headers/if-match', 'name the version you edit: If-Match with the case version (its modified timestamp)')
      return changeCase(viewer, caseId, ifMatch, async (c) => {
        let next: CaseRecord = { ...c }
        if (input.title !== undefined) {
          const t = checkText(input.title, CASE_LIMITS.titleLength, '/body/title', true)
          if (!t.ok) return t
          next = { ...next, title: t.value ?? next.title }
        }
        if (input.description !== undefined) {
          const d = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description')
          if (!d.ok) return d
          next = { ...next, description: d.value }
        }
        if (input.severity !== undefined) next = { ...next, severity: input.severity }
        if (input.tlp !== undefined) next = { ...next, tlp: input.tlp }
        if (input.participants !== undefined) {
          const p = await resolveOrgs(input.participants, '/body/participants')
          if (!p.ok) return p
          const refs = p.value.filter((r) => r !== c.leadRef)
          if (refs.length > CASE_LIMITS.participants) return err({ code: 'limit_exceeded', limit: 'participants', max: CASE_LIMITS.participants })
          next = { ...next, participantRefs: refs }
        }
        if (input.status !== undefined && input.status !== c.status) {
          const t = transition({ status: c.status, reason: c.statusReason, closeReason: c.closeReason }, {
            to: input.status, ...(input.reason !== undefined ? { reason: input.reason } : {}), ...(input.closeReason !== undefined ? { closeReason: input.closeReason } : {}),
          })
          if (!t.ok) return t
          next = { ...next, status: t.value.status, statusReason: t.value.reason, closeReason: t.value.closeReason }
        } else if (input.reason !== undefined || input.closeReason !== undefined) {
          return invalid('/body/status', 'reason and closeReason go with a status change')
        }
        return ok(next)
      })
    },

    /** Links objects (indicators, observed data, reports, threat actors…) to a case. */
    async link(viewer: Viewer, caseId: string, objectIds: readonly string[], ifMatch?: string): Promise<Result<CaseView>> {
      const l = checkLinks(objectIds, '/body/objectIds')
      if (!l.ok) return l
      return changeCase(viewer, caseId, ifMatch, (c) => {
        const refs = [...new Set([...c.linkedRefs, ...l.value])]
        if (refs.length > CASE_LIMITS.linkedObjects) return err({ code: 'limit_exceeded', limit: 'linked objects', max: CASE_LIMITS.linkedObjects })
        return ok({ ...c, linkedRefs: refs })
      }, false)
    },

    async unlink(viewer: Viewer, caseId: string, objectId: string, ifMatch?: string): Promise<Result<CaseView>> {
      return changeCase(viewer, caseId, ifMatch, (c) => {
        const id = objectId.toLowerCase()
        if (!c.linkedRefs.includes(id)) return notFound('linked object', objectId)
        return ok({ ...c, linkedRefs: c.linkedRefs.filter((r) => r !== id) })
      })
    },

    async listTasks(viewer: Viewer, caseId: string): Promise<Result<TaskView[]>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      return ok(await taskViews(await tasksOf(lc.value.collectionId, caseId)))
    },

    async createTask(viewer: Viewer, caseId: string, input: NewTaskInput): Promise<Result<TaskView>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const { c, role, collectionId } = lc.value
      if (!mayRunCase(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      if ((await store.cases.countMembers(caseId, TASK_TYPE)) >= CASE_LIMITS.tasksPerCase) return err({ code: 'limit_exceeded', limit: 'tasks per case', max: CASE_LIMITS.tasksPerCase })
      const title = checkText(input.title, CASE_LIMITS.titleLength, '/body/title', true)
      if (!title.ok) return title
      const description = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description')
      if (!description.ok) return description
      const due = checkDue(input.due, '/body/due')
      if (!due.ok) return due
      if ((input.techniques?.length ?? 0) > CASE_LIMITS.techniqueRefs) return err({ code: 'limit_exceeded', limit: 'techniques', max: CASE_LIMITS.techniqueRefs })
      const assignee = input.assignee ? await resolveAssignee(input.assignee, c, '/body/assignee') : null
      if (assignee && !assignee.ok) return assignee
      const now = stixNow()
      const t: TaskRecord = {
        id: `${TASK_TYPE}--${deps.ids.uuid()}`, created: now, modified: now, createdByRef: c.leadRef, modifiedByRef: await actorRef(viewer), tlp: c.tlp, caseRef: c.id,
        title: title.value ?? '', description: description.value, status: 'open', assigneeRef: assignee?.value.ref ?? null, due: due.value, techniques: input.techniques ?? [],
      }
      const identity = assignee?.value.identity
      const events: CaseEvent[] = [{ kind: 'case', caseId: c.id, change: 'task_created', objectId: t.id, caseObject: lc.value.json }]
      if (t.assigneeRef !== null) events.push({ kind: 'case', caseId: c.id, change: 'task_assigned', objectId: t.id, caseObject: lc.value.json, assigneeRef: t.assigneeRef })
      const w = await write(viewer, collectionId, [...(identity ? [identity] : []), buildTask(t)], { events })
      if (!w.ok) return w
      return ok((await taskViews([t]))[0] as TaskView)
    },

    /**
     * Edits a task. The lead (and administrators) may change anything; the assignee (the user, or a
     * user of the assigned organisation) may change its status only.
     */
    async updateTask(viewer: Viewer, taskId: string, ifMatch: string | undefined, input: TaskUpdateInput, caseId?: string): Promise<Result<TaskView>> {
      const lm = await loadMember(viewer, taskId, TASK_TYPE, 'task', caseId)
      if (!lm.ok) return lm
      const { c, role, collectionId, member } = lm.value
      const t = readTask(member)
      if (!t) return notFound('task', taskId)
      if (!mayContribute(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      const me = await viewerOrgRef(viewer)
      const isAssignee = t.assigneeRef !== null && (t.assigneeRef === (viewer.kind === 'user' ? userIdentityRef(viewer.userId) : null) || t.assigneeRef === me)
      const onlyStatus = input.title === undefined && input.description === undefined && input.assignee === undefined && input.due === undefined
      if (!mayRunCase(viewer, role) && !(isAssignee && onlyStatus)) return err({ code: 'forbidden', reason: 'role' })
      if (ifMatch !== undefined && stored(ifMatch) !== stored(t.modified)) {
        return err({ code: 'precondition_failed', detail: `the task is at version ${t.modified}, not ${ifMatch}; reload it and apply your change again` })
      }
      let next: TaskRecord = { ...t }
      if (input.title !== undefined) {
        const x = checkText(input.title, CASE_LIMITS.titleLength, '/body/title', true)
        if (!x.ok) return x
        next = { ...next, title: x.value ?? t.title }
      }
      if (input.description !== undefined) {
        const x = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description')
        if (!x.ok) return x
        next = { ...next, description: x.value }
      }
      if (input.due !== undefined) {
        const x = checkDue(input.due, '/body/due')
        if (!x.ok) return x
        next = { ...next, due: x.value }
      }
      if (input.status !== undefined) next = { ...next, status: input.status }
      let identity: StixObject | null = null
      if (input.assignee !== undefined) {
        if (input.assignee === null) next = { ...next, assigneeRef: null }
        else {
          const a = await resolveAssignee(input.assignee, c, '/body/assignee')
          if (!a.ok) return a
          next = { ...next, assigneeRef: a.value.ref }
          identity = a.value.identity
        }
      }
      const modified = stixNow(t.modified)
      next = { ...next, modified, modifiedByRef: await actorRef(viewer), tlp: c.tlp }
      const events: CaseEvent[] = [{ kind: 'case', caseId: c.id, change: 'task_updated', objectId: t.id, caseObject: lm.value.json }]
      if (next.assigneeRef !== null && next.assigneeRef !== t.assigneeRef) {
        events.push({ kind: 'case', caseId: c.id, change: 'task_assigned', objectId: t.id, caseObject: lm.value.json, assigneeRef: next.assigneeRef })
      }
      const w = await write(viewer, collectionId, [...(identity ? [identity] : []), buildTask(next)], { claims: [{ id: t.id, expected: t.modified, next: modified }], events })
      if (!w.ok) return w
      return ok((await taskViews([next]))[0] as TaskView)
    },

    async listNotes(viewer: Viewer, caseId: string): Promise<Result<NoteView[]>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const ms = await store.cases.members(caseId, ['note'], CASE_LIMITS.notesPerCase)
      const objs = await latest(lc.value.collectionId, ms.map((m) => m.stixId))
      const byIdentity = await orgsByIdentity()
      return ok(
        ms
          .map((m) => readNote(objs.get(m.stixId)))
          .filter((n): n is NoteRecord => n !== null)
          .map((n) => ({ id: n.id, caseId: n.caseRef, content: n.content, authors: [...n.authors], authorRef: n.modifiedByRef, organisation: orgRef(byIdentity, n.createdByRef), created: n.created })),
      )
    },

    /** Adds a note to the case timeline (any organisation in the case, with a writing role). */
    async addNote(viewer: Viewer, caseId: string, input: { readonly content: string }): Promise<Result<NoteView>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const { c, role, collectionId } = lc.value
      if (!mayContribute(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      const content = checkText(input.content, CASE_LIMITS.noteLength, '/body/content', true)
      if (!content.ok) return content
      if ((await store.cases.countMembers(caseId, 'note')) >= CASE_LIMITS.notesPerCase) return err({ code: 'limit_exceeded', limit: 'notes per case', max: CASE_LIMITS.notesPerCase })
      const me = await viewerOrgRef(viewer)
      if (me === null) return err({ code: 'forbidden', reason: 'role' })
      const now = stixNow()
      const n: NoteRecord = {
        id: `note--${deps.ids.uuid()}`, created: now, modified: now, createdByRef: me, modifiedByRef: await actorRef(viewer), tlp: c.tlp, caseRef: c.id,
        content: content.value ?? '', authors: viewer.kind === 'user' ? [viewer.username] : [],
      }
      const w = await write(viewer, collectionId, [buildNote(n)], { events: [{ kind: 'case', caseId: c.id, change: 'note_added', objectId: n.id, caseObject: lc.value.json }] })
      if (!w.ok) return w
      return ok({ id: n.id, caseId: c.id, content: n.content, authors: [...n.authors], authorRef: n.modifiedByRef, organisation: orgRef(await orgsByIdentity(), me), created: n.created })
    },

    async listRequests(viewer: Viewer, caseId: string): Promise<Result<RequestView[]>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      return ok(await requestsOf(lc.value.collectionId, caseId))
    },

    /** The lead asks partners for help. */
    async createRequest(viewer: Viewer, caseId: string, input: { readonly kind: RequestKind; readonly description: string }): Promise<Result<RequestView>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const { c, role, collectionId } = lc.value
      if (!mayRunCase(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      if (!(REQUEST_KINDS as readonly string[]).includes(input.kind)) return invalid('/body/kind', `must be one of ${REQUEST_KINDS.join(', ')}`)
      const d = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description', true)
      if (!d.ok) return d
      if ((await store.cases.countMembers(caseId, REQUEST_TYPE)) >= CASE_LIMITS.requestsPerCase) return err({ code: 'limit_exceeded', limit: 'requests per case', max: CASE_LIMITS.requestsPerCase })
      const now = stixNow()
      const r: RequestRecord = {
        id: `${REQUEST_TYPE}--${deps.ids.uuid()}`, created: now, modified: now, createdByRef: c.leadRef, modifiedByRef: await actorRef(viewer), tlp: c.tlp,
        caseRef: c.id, kind: input.kind, description: d.value ?? '', status: 'open',
      }
      const w = await write(viewer, collectionId, [buildRequest(r)], { events: [{ kind: 'case', caseId: c.id, change: 'request_created', objectId: r.id, caseObject: lc.value.json }] })
      if (!w.ok) return w
      return ok({ id: r.id, caseId: c.id, version: r.modified, kind: r.kind, description: r.description, status: r.status, created: r.created, modified: r.modified, offers: [] })
    },

    /** A partner organisation in the case (not the lead) offers help on an open request. */
    async offer(viewer: Viewer, requestId: string, input: { readonly description: string }, caseId?: string): Promise<Result<OfferView>> {
      const lm = await loadMember(viewer, requestId, REQUEST_TYPE, 'request', caseId)
      if (!lm.ok) return lm
      const { c, role, collectionId, member } = lm.value
      const r = readRequest(member)
      if (!r) return notFound('request', requestId)
      if (role !== 'participant' || !mayContribute(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      if (r.status !== 'open') return err({ code: 'invalid_transition', from: r.status, event: 'offer help' })
      const d = checkText(input.description, CASE_LIMITS.descriptionLength, '/body/description', true)
      if (!d.ok) return d
      const me = await viewerOrgRef(viewer)
      if (me === null) return err({ code: 'forbidden', reason: 'role' })
      // Offers are bounded per request (a participant could otherwise flood the request and every listing of it).
      const offerIds = await store.cases.members(c.id, [OFFER_TYPE], CASE_LIMITS.requestsPerCase * CASE_LIMITS.offersPerRequest)
      const offersHere = [...(await latest(collectionId, offerIds.map((m) => m.stixId))).values()].map(readOffer).filter((x) => x?.requestRef === r.id).length
      if (offersHere >= CASE_LIMITS.offersPerRequest) return err({ code: 'limit_exceeded', limit: 'offers per request', max: CASE_LIMITS.offersPerRequest })
      const now = stixNow()
      const o: OfferRecord = {
        id: `${OFFER_TYPE}--${deps.ids.uuid()}`, created: now, modified: now, createdByRef: me, modifiedByRef: await actorRef(viewer), tlp: c.tlp,
        caseRef: c.id, requestRef: r.id, offeredByRef: me, description: d.value ?? '', status: 'pending', decisionReason: null,
      }
      const w = await write(viewer, collectionId, [buildOffer(o)], { events: [{ kind: 'case', caseId: c.id, change: 'offer_made', objectId: o.id, caseObject: lm.value.json }] })
      if (!w.ok) return w
      return ok(offerView(o, await orgsByIdentity()))
    },

    /** The lead accepts or declines an offer; accepting also marks the request accepted (one write). */
    async decideOffer(viewer: Viewer, offerId: string, input: { readonly decision: 'accept' | 'decline'; readonly reason?: string }, caseId?: string): Promise<Result<OfferView>> {
      const lm = await loadMember(viewer, offerId, OFFER_TYPE, 'offer', caseId)
      if (!lm.ok) return lm
      const { c, role, collectionId, member } = lm.value
      const o = readOffer(member)
      if (!o) return notFound('offer', offerId)
      if (!mayRunCase(viewer, role)) return err({ code: 'forbidden', reason: 'role' })
      if (o.status !== 'pending') return err({ code: 'invalid_transition', from: o.status, event: input.decision })
      const reason = checkText(input.reason, CASE_LIMITS.reasonLength, '/body/reason')
      if (!reason.ok) return reason
      const by = await actorRef(viewer)
      const modified = stixNow(o.modified)
      const decided: OfferRecord = { ...o, modified, modifiedByRef: by, status: input.decision === 'accept' ? 'accepted' : 'declined', decisionReason: reason.value }
      const objects: StixObject[] = [buildOffer(decided)]
      const claims: Claim[] = [{ id: o.id, expected: o.modified, next: modified }]
      if (input.decision === 'accept') {
        const req = readRequest((await latest(collectionId, [o.requestRef])).get(o.requestRef))
        if (!req) return notFound('request', o.requestRef)
        if (req.status !== 'open') return err({ code: 'invalid_transition', from: req.status, event: 'accept an offer' })
        const rm = stixNow(req.modified)
        objects.push(buildRequest({ ...req, modified: rm, modifiedByRef: by, status: 'accepted' }))
        claims.push({ id: req.id, expected: req.modified, next: rm })
      }
      const w = await write(viewer, collectionId, objects, { claims, events: [{ kind: 'case', caseId: c.id, change: 'offer_decided', objectId: o.id, caseObject: lm.value.json }] })
      if (!w.ok) return w
      return ok(offerView(decided, await orgsByIdentity()))
    },

    /** The timeline: notes plus entries computed from the stored versions of the case and its objects. */
    async timeline(viewer: Viewer, caseId: string): Promise<Result<{ entries: TimelineEntry[]; truncated: boolean }>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const ms = await store.cases.members(caseId, [CASE_TYPE, TASK_TYPE, 'note', REQUEST_TYPE, OFFER_TYPE], CASE_LIMITS.timelineVersions)
      const versions = await allVersions(lc.value.collectionId, ms.map((m) => m.stixId), CASE_LIMITS.timelineVersions)
      const of = <T>(type: string, read: (o: unknown) => T | null): T[][] =>
        ms.filter((m) => m.type === type).map((m) => (versions.get(m.stixId) ?? []).map(read).filter((x): x is T => x !== null))
      const entries = computeTimeline({
        case: of(CASE_TYPE, readCase).flat(),
        tasks: of(TASK_TYPE, readTask),
        notes: of('note', readNote).map((l) => l[l.length - 1]).filter((n): n is NoteRecord => n !== undefined),
        requests: of(REQUEST_TYPE, readRequest),
        offers: of(OFFER_TYPE, readOffer),
      })
      const total = [...versions.values()].reduce((n, l) => n + l.length, 0)
      return ok({ entries, truncated: total >= CASE_LIMITS.timelineVersions })
    },

    /** Organisations that can take part in cases on this node (for choosing participants). */
    async organisations(viewer: Viewer): Promise<Result<OrgRef[]>> {
      if (viewer.orgId === '' && viewer.kind !== 'system') return err({ code: 'forbidden', reason: 'role' })
      return ok((await store.orgs.list()).map((o) => ({ identityRef: o.identityId, orgId: o.id, name: o.name })))
    },

    /** The users of the organisations in a case (for choosing an assignee). */
    async members(viewer: Viewer, caseId: string): Promise<Result<{ organisation: OrgRef; users: { userId: string; username: string; identityRef: string }[] }[]>> {
      const lc = await loadCase(viewer, caseId)
      if (!lc.ok) return lc
      const byIdentity = await orgsByIdentity()
      const out = []
      for (const ref of caseOrganisations(lc.value.c)) {
        const o = byIdentity.get(ref)
        const users = o ? (await store.users.list(o.id)).filter((u) => u.disabledAt === null) : []
        out.push({ organisation: orgRef(byIdentity, ref), users: users.map((u) => ({ userId: u.id, username: u.username, identityRef: userIdentityRef(u.id) })) })
      }
      return ok(out)
    },

    /** The ingest derive step: indexes case objects that reached the cases collection by any way. */
    async ingested(added: readonly AddedObject[]): Promise<void> {
      const id = await casesCollectionId()
      if (id === null) return
      const mine = added.filter((a) => a.collectionId === id && (a.type === CASE_TYPE || a.type === TASK_TYPE || a.type === REQUEST_TYPE || a.type === OFFER_TYPE || a.type === 'note'))
      if (mine.length === 0) return
      // Cases first, so that members find their case.
      const objs = mine.map((a) => JSON.parse(a.json) as Record<string, unknown>).sort((a, b) => (a['type'] === CASE_TYPE ? -1 : 0) - (b['type'] === CASE_TYPE ? -1 : 0))
      await indexObjects(store.cases, id, objs)
    },

    /** Rebuilds the case index from the stored versions (recovery; `entente case reindex`). */
    async reindex(): Promise<Result<{ cases: number; objects: number }>> {
      const id = await casesCollectionId()
      if (id === null) return ok({ cases: 0, objects: 0 })
      let cases = 0
      let objects = 0
      for (const types of [[CASE_TYPE], [TASK_TYPE, REQUEST_TYPE, OFFER_TYPE, 'note']]) {
        let after: { dateAdded: string; seq: number } | undefined
        for (;;) {
          const p = await store.objects.query({ collectionId: id, types, limit: 500, withContent: true, ...(after ? { after } : {}) })
          const objs = p.items.filter((e) => e.json !== undefined).map((e) => JSON.parse(e.json as string) as Record<string, unknown>)
          await indexObjects(store.cases, id, objs)
          // A head that is not the latest stored version (either way) is set to it.
          const heads = await store.cases.heads(p.items.map((e) => e.stixId))
          for (const e of p.items) {
            const head = heads.get(e.stixId)
            if (head !== undefined && head !== e.version) await store.cases.claimVersion(e.stixId, head, e.version)
          }
          if (types[0] === CASE_TYPE) cases += objs.length
          else objects += objs.length
          const last = p.items[p.items.length - 1]
          if (!p.more || !last) break
          after = { dateAdded: last.dateAdded, seq: last.seq }
        }
      }
      return ok({ cases, objects })
    },

    /**
     * Compares the case index with the stored versions: objects of the cases collection whose latest
     * version is not the indexed head (a crash after a TAXII or peer-sync write, before its derive step
     * indexed it, or a database edited behind the node's back). Objects of a case that is nowhere
     * stored are not counted (nothing could index them).
     */
    async checkIndex(): Promise<{ checked: number; drifted: number }> {
      const id = await casesCollectionId()
      if (id === null) return { checked: 0, drifted: 0 }
      let checked = 0
      let drifted = 0
      let after: { dateAdded: string; seq: number } | undefined
      for (;;) {
        const p = await store.objects.query({ collectionId: id, types: [CASE_TYPE, TASK_TYPE, REQUEST_TYPE, OFFER_TYPE, 'note'], limit: 500, withContent: false, ...(after ? { after } : {}) })
        const heads = await store.cases.heads(p.items.map((e) => e.stixId))
        const missing: string[] = []
        for (const e of p.items) {
          checked++
          const head = heads.get(e.stixId)
          if (head === undefined) {
            if (e.type === CASE_TYPE) drifted++
            else missing.push(e.stixId)
          } else if (head !== e.version) drifted++
        }
        if (missing.length > 0) {
          // A member is missing only if its case is indexed (or stored: then the case is missing too).
          const objs = await latest(id, missing)
          const caseRefs = [...objs.values()].map(caseRefOf).filter((r): r is string => r !== null)
          const known = await store.cases.heads(caseRefs)
          const stored = caseRefs.filter((r) => !known.has(r)).length > 0 ? await latest(id, caseRefs.filter((r) => !known.has(r))) : new Map()
          for (const o of objs.values()) {
            const ref = caseRefOf(o)
            if (ref !== null && (known.has(ref) || stored.has(ref))) drifted++
          }
        }
        const last = p.items[p.items.length - 1]
        if (!p.more || !last) break
        after = { dateAdded: last.dateAdded, seq: last.seq }
      }
      return { checked, drifted }
    },

    /** Start-up recovery: rebuilds the case index when it is out of step with the stored versions. */
    async reindexIfDrifted(): Promise<{ drifted: number; reindexed: { cases: number; objects: number } | null }> {
      const c = await service.checkIndex()
      if (c.drifted === 0) return { drifted: 0, reindexed: null }
      log.warn({ drifted: c.drifted }, 'the case index is out of step with the stored case versions; rebuilding it')
      const r = await service.reindex()
      return { drifted: c.drifted, reindexed: r.ok ? r.value : null }
    },

    /** The identity id that stands for a local user in case objects. */
    userIdentityRef,
  }
  return service
}

/** Opaque keyset cursors over (created, caseId). */
export function encodeCaseCursor(p: { created: string; caseId: string }): string {
  return Buffer.from(JSON.stringify([p.created, p.caseId]), 'utf8').toString('base64url')
}

export function decodeCaseCursor(s: string): { created: string; caseId: string } | null {
  if (s.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(s)) return null
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || v[0].length > 64 || v[1].length > 300) return null
    return { created: v[0], caseId: v[1] }
  } catch {
    return null
  }
}

export type CasesService = ReturnType<typeof makeCasesService>
