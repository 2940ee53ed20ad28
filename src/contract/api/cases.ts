/** Joint cases (/api/v1/cases) and election playbooks (/api/v1/playbooks): wire schemas. */
import Type from 'typebox'
import type { Static } from 'typebox'
import {
  CASE_LIMITS, CASE_STATUSES, CLOSE_REASONS, OFFER_STATUSES, REQUEST_KINDS, REQUEST_STATUSES, SEVERITIES, TASK_STATUSES, TLP_LEVELS,
} from '../../core/case/model.js'
import { Cursor, Id } from './common.js'

/** A string enumeration whose static type is the union of its values. */
const lit = <T extends string>(vals: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...vals], ...(description !== undefined ? { description } : {}) })

export const CaseStatus = lit(CASE_STATUSES, 'new → triage → active → contained → resolved → closed; closed → triage reopens')
export const Severity = lit(SEVERITIES)
export const Tlp = lit(TLP_LEVELS, 'TLP 2.0 level; the case and everything in it carry the matching OASIS marking')
export const CloseReason = lit(CLOSE_REASONS)
export const TaskStatus = lit(TASK_STATUSES)
export const RequestKind = lit(REQUEST_KINDS)

const StixId = Type.String({ minLength: 3, maxLength: 300, pattern: '^[a-z0-9-]+--[0-9a-fA-F-]{36}$', description: 'A STIX identifier' })
const StixTime = Type.String({ description: 'STIX timestamp (RFC 3339 UTC)', examples: ['2026-11-24T21:05:00.000Z'] })
const OrgInput = Type.String({ minLength: 1, maxLength: 300, description: 'An organisation of this node (its id) or any organisation by STIX identity id' })

export const OrgRef = Type.Object(
  {
    identityRef: Type.String({ description: 'The organisation’s STIX identity id' }),
    orgId: Type.Union([Id, Type.Null()], { description: 'The local organisation id; null for an organisation of another node' }),
    name: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
)

export const Case = Type.Object(
  {
    id: Type.String({ description: 'incident--<uuid>' }),
    version: StixTime,
    title: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    severity: Severity,
    status: CaseStatus,
    statusReason: Type.Union([Type.String(), Type.Null()]),
    closeReason: Type.Union([CloseReason, Type.Null()]),
    tlp: Tlp,
    lead: OrgRef,
    participants: Type.Array(OrgRef),
    linkedObjects: Type.Array(Type.String()),
    playbook: Type.Union([Type.String(), Type.Null()]),
    created: StixTime,
    modified: StixTime,
    modifiedBy: Type.Union([Type.String(), Type.Null()], { description: 'Identity (user or organisation) that made this version' }),
    role: Type.Union([Type.Literal('lead'), Type.Literal('participant'), Type.Literal('admin')], { description: 'Your role in the case' }),
    allowedTransitions: Type.Array(CaseStatus),
  },
  { additionalProperties: false },
)
export type Case = Static<typeof Case>

export const CaseWithStix = Type.Object(
  { case: Case, stix: Type.Record(Type.String(), Type.Unknown(), { description: 'The STIX incident of this version, as stored' }) },
  { additionalProperties: false },
)

export const CaseListItem = Type.Object(
  {
    id: Type.String(), title: Type.String(), status: Type.String(), severity: Type.String(), tlp: Type.String(), lead: OrgRef,
    participants: Type.Array(OrgRef), created: Type.String({ description: 'Stored timestamp' }), modified: Type.String({ description: 'Stored timestamp' }),
  },
  { additionalProperties: false },
)
export const CaseList = Type.Object({ items: Type.Array(CaseListItem), nextCursor: Type.Union([Cursor, Type.Null()]) }, { additionalProperties: false })

const csv = (description: string) => Type.String({ minLength: 1, maxLength: 200, description })
export const ListCasesQuery = Type.Object(
  {
    status: Type.Optional(csv('Comma-separated statuses')),
    severity: Type.Optional(csv('Comma-separated severities')),
    lead: Type.Optional(OrgInput),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

const Title = Type.String({ minLength: 1, maxLength: CASE_LIMITS.titleLength })
const Description = Type.String({ maxLength: CASE_LIMITS.descriptionLength })
const Participants = Type.Array(OrgInput, { maxItems: CASE_LIMITS.participants, description: 'Participating organisations (the lead is implied)' })

export const NewCase = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    severity: Type.Optional(Severity),
    tlp: Type.Optional(lit(TLP_LEVELS, 'Default amber')),
    participants: Type.Optional(Participants),
    linkedObjects: Type.Optional(Type.Array(StixId, { maxItems: CASE_LIMITS.linkedObjects })),
    lead: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Administrators only: the lead organisation (default: yours)' })),
  },
  { additionalProperties: false },
)

export const NewCaseFromPlaybook = Type.Object(
  {
    playbook: Type.String({ minLength: 1, maxLength: 100, description: 'A playbook id from /api/v1/playbooks' }),
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    severity: Type.Optional(Severity),
    tlp: Type.Optional(Tlp),
    participants: Type.Optional(Participants),
  },
  { additionalProperties: false },
)

export const CaseUpdate = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    severity: Type.Optional(Severity),
    tlp: Type.Optional(Tlp),
    status: Type.Optional(CaseStatus),
    reason: Type.Optional(Type.String({ maxLength: CASE_LIMITS.reasonLength, description: 'Why (required to close and to reopen)' })),
    closeReason: Type.Optional(CloseReason),
    participants: Type.Optional(Participants),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const IfMatchHeaders = Type.Object(
  { 'if-match': Type.Optional(Type.String({ maxLength: 100, description: 'The version you edit (`version`, also sent as ETag)' })) },
)

export const CaseParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false })
export const CaseObjectParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 300 }), objectId: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
)

export const LinkObjects = Type.Object({ objectIds: Type.Array(StixId, { minItems: 1, maxItems: 500 }) }, { additionalProperties: false })

const Technique = Type.Object(
  {
    framework: Type.Union([Type.Literal('attack'), Type.Literal('disarm')]),
    id: Type.String({ minLength: 2, maxLength: 20, pattern: '^(T\\d{4}(\\.\\d{3})?|M\\d{4}|C\\d{5})$', description: 'ATT&CK T…/M…, DISARM T0…/C…' }),
  },
  { additionalProperties: false },
)
const TechniqueOut = Type.Object({ framework: Type.String(), id: Type.String(), url: Type.String() }, { additionalProperties: false })

export const AssigneeInput = Type.Union(
  [
    Type.Object({ userId: Id }, { additionalProperties: false }),
    Type.Object({ organisation: OrgInput }, { additionalProperties: false }),
  ],
  { description: 'A user (of an organisation in the case) or an organisation in the case' },
)

export const Assignee = Type.Object(
  {
    ref: Type.String({ description: 'STIX identity id of the assignee' }),
    kind: Type.Union([Type.Literal('user'), Type.Literal('organisation')]),
    userId: Type.Union([Id, Type.Null()]),
    username: Type.Union([Type.String(), Type.Null()]),
    organisation: Type.Union([OrgRef, Type.Null()]),
  },
  { additionalProperties: false },
)

export const Task = Type.Object(
  {
    id: Type.String(), caseId: Type.String(), version: StixTime, title: Type.String(), description: Type.Union([Type.String(), Type.Null()]), status: TaskStatus,
    assignee: Type.Union([Assignee, Type.Null()]), due: Type.Union([StixTime, Type.Null()]), techniques: Type.Array(TechniqueOut),
    created: StixTime, modified: StixTime, modifiedBy: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
)
export const TaskList = Type.Object({ items: Type.Array(Task) }, { additionalProperties: false })

export const NewTask = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    assignee: Type.Optional(AssigneeInput),
    due: Type.Optional(StixTime),
    techniques: Type.Optional(Type.Array(Technique, { maxItems: CASE_LIMITS.techniqueRefs })),
  },
  { additionalProperties: false },
)

export const TaskUpdate = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    status: Type.Optional(TaskStatus),
    assignee: Type.Optional(Type.Union([AssigneeInput, Type.Null()])),
    due: Type.Optional(Type.Union([StixTime, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
)
export const AssignTask = Type.Object({ assignee: Type.Union([AssigneeInput, Type.Null()]) }, { additionalProperties: false })

export const Note = Type.Object(
  {
    id: Type.String(), caseId: Type.String(), content: Type.String(), authors: Type.Array(Type.String()), authorRef: Type.Union([Type.String(), Type.Null()]),
    organisation: OrgRef, created: StixTime,
  },
  { additionalProperties: false },
)
export const NoteList = Type.Object({ items: Type.Array(Note) }, { additionalProperties: false })
export const NewNote = Type.Object({ content: Type.String({ minLength: 1, maxLength: CASE_LIMITS.noteLength }) }, { additionalProperties: false })

export const Offer = Type.Object(
  {
    id: Type.String(), requestId: Type.String(), version: StixTime, organisation: OrgRef, description: Type.String(), status: lit(OFFER_STATUSES),
    decisionReason: Type.Union([Type.String(), Type.Null()]), created: StixTime, modified: StixTime,
  },
  { additionalProperties: false },
)
export const AssistanceRequest = Type.Object(
  {
    id: Type.String(), caseId: Type.String(), version: StixTime, kind: RequestKind, description: Type.String(), status: lit(REQUEST_STATUSES),
    created: StixTime, modified: StixTime, offers: Type.Array(Offer),
  },
  { additionalProperties: false },
)
export const RequestList = Type.Object({ items: Type.Array(AssistanceRequest) }, { additionalProperties: false })
export const NewRequest = Type.Object(
  { kind: RequestKind, description: Type.String({ minLength: 1, maxLength: CASE_LIMITS.descriptionLength }) },
  { additionalProperties: false },
)
export const NewOffer = Type.Object({ description: Type.String({ minLength: 1, maxLength: CASE_LIMITS.descriptionLength }) }, { additionalProperties: false })
export const OfferDecision = Type.Object(
  { decision: Type.Union([Type.Literal('accept'), Type.Literal('decline')]), reason: Type.Optional(Type.String({ maxLength: CASE_LIMITS.reasonLength })) },
  { additionalProperties: false },
)

export const TimelineEntry = Type.Object(
  {
    at: StixTime,
    kind: Type.String({ description: 'case_opened, status_changed, case_edited, participant_added/removed, object_linked/unlinked, task_created, task_assigned, task_status_changed, task_edited, note_added, request_created, request_status_changed, offer_made, offer_accepted, offer_declined' }),
    objectId: Type.String(),
    actorRef: Type.Union([Type.String(), Type.Null()]),
    data: Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()])),
  },
  { additionalProperties: false },
)
export const Timeline = Type.Object({ items: Type.Array(TimelineEntry), truncated: Type.Boolean() }, { additionalProperties: false })

export const OrgList = Type.Object({ items: Type.Array(OrgRef) }, { additionalProperties: false })
export const CaseMembers = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          organisation: OrgRef,
          users: Type.Array(Type.Object({ userId: Id, username: Type.String(), identityRef: Type.String() }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)

const PlaybookTask = Type.Object(
  { title: Type.String(), description: Type.String(), techniques: Type.Array(TechniqueOut), dueInHours: Type.Union([Type.Integer(), Type.Null()]) },
  { additionalProperties: false },
)
export const Playbook = Type.Object(
  { id: Type.String(), title: Type.String(), description: Type.String(), severity: Severity, tasks: Type.Array(PlaybookTask) },
  { additionalProperties: false },
)
export const PlaybookList = Type.Object({ items: Type.Array(Playbook) }, { additionalProperties: false })
export const PlaybookParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })
