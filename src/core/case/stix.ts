/**
 * Cases, tasks, requests for assistance, offers and notes as STIX 2.1 objects: pure builders (domain
 * record → STIX object) and defensive readers (STIX object, possibly from a peer → domain record or
 * null). Every object built here passes `validateStixObject` (tested).
 */
import type { StixObject } from '../stix/validate.js'
import {
  CASE_EXTENSION_ID, CASE_STATUSES, CASE_TYPE, CLOSE_REASONS, INCIDENT_CORE_EXTENSION_ID, OFFER_EXTENSION_ID, OFFER_STATUSES,
  OFFER_TYPE, REQUEST_EXTENSION_ID, REQUEST_KINDS, REQUEST_STATUSES, REQUEST_TYPE, SEVERITIES, TASK_EXTENSION_ID, TASK_STATUSES,
  TASK_TYPE, TLP_MARKING, tlpOf,
  type CaseStatus, type CloseReason, type OfferStatus, type RequestKind, type RequestStatus, type Severity, type TaskStatus, type TlpLevel,
} from './model.js'
import { determination, investigationStatus } from './workflow.js'

/** What every versioned case object has. Timestamps are STIX timestamps (millisecond precision). */
export interface VersionMeta {
  readonly id: string
  readonly created: string
  readonly modified: string
  /** The organisation (identity) that created the object. */
  readonly createdByRef: string
  /** Who made this version: a user identity (individual) or an organisation identity; null when unknown. */
  readonly modifiedByRef: string | null
  readonly tlp: TlpLevel
}

export interface CaseRecord extends VersionMeta {
  readonly title: string
  readonly description: string | null
  readonly severity: Severity
  readonly status: CaseStatus
  readonly statusReason: string | null
  readonly closeReason: CloseReason | null
  /** The lead organisation's identity. */
  readonly leadRef: string
  /** Other participating organisations' identities (never the lead). */
  readonly participantRefs: readonly string[]
  readonly linkedRefs: readonly string[]
  /** The playbook the case was opened from, if any. */
  readonly playbook: string | null
}

export interface TechniqueRef {
  /** `attack`: MITRE ATT&CK Enterprise (techniques T…, mitigations M…); `disarm`: DISARM (techniques T0…, countermeasures C…). */
  readonly framework: 'attack' | 'disarm'
  readonly id: string
}

export interface TaskRecord extends VersionMeta {
  readonly caseRef: string
  readonly title: string
  readonly description: string | null
  readonly status: TaskStatus
  /** A user identity (individual) or an organisation identity, possibly of another node. */
  readonly assigneeRef: string | null
  readonly due: string | null
  readonly techniques: readonly TechniqueRef[]
}

export interface RequestRecord extends VersionMeta {
  readonly caseRef: string
  readonly kind: RequestKind
  readonly description: string
  readonly status: RequestStatus
}

export interface OfferRecord extends VersionMeta {
  readonly caseRef: string
  readonly requestRef: string
  readonly offeredByRef: string
  readonly description: string
  readonly status: OfferStatus
  readonly decisionReason: string | null
}

export interface NoteRecord extends VersionMeta {
  readonly caseRef: string
  readonly content: string
  readonly authors: readonly string[]
}

function base(type: string, m: VersionMeta): StixObject {
  return {
    type,
    spec_version: '2.1',
    id: m.id,
    created: m.created,
    modified: m.modified,
    created_by_ref: m.createdByRef,
    object_marking_refs: [TLP_MARKING[m.tlp]],
  }
}

const nonEmpty = <T>(k: string, v: readonly T[]): Record<string, readonly T[]> => (v.length > 0 ? { [k]: v } : {})
const opt = (k: string, v: string | null): Record<string, string> => (v !== null && v !== '' ? { [k]: v } : {})

/** The STIX `incident` of a case version. */
export function buildCase(c: CaseRecord): StixObject {
  return {
    ...base(CASE_TYPE, c),
    name: c.title,
    ...opt('description', c.description),
    extensions: {
      [INCIDENT_CORE_EXTENSION_ID]: {
        extension_type: 'property-extension',
        investigation_status: investigationStatus(c.status),
        determination: determination({ status: c.status, reason: c.statusReason, closeReason: c.closeReason }),
      },
      [CASE_EXTENSION_ID]: {
        extension_type: 'property-extension',
        title: c.title,
        severity: c.severity,
        status: c.status,
        ...opt('status_reason', c.statusReason),
        ...opt('close_reason', c.closeReason),
        lead_ref: c.leadRef,
        ...nonEmpty('participant_refs', c.participantRefs),
        ...nonEmpty('linked_object_refs', c.linkedRefs),
        ...opt('playbook', c.playbook),
        ...opt('modified_by_ref', c.modifiedByRef),
      },
    },
  } as StixObject
}

const TECHNIQUE_SOURCE = { attack: 'mitre-attack', disarm: 'DISARM' } as const

/** The public page of an ATT&CK or DISARM id. */
export function techniqueUrl(t: TechniqueRef): string {
  if (t.framework === 'attack') {
    const [main, sub] = t.id.split('.')
    const kind = t.id.startsWith('M') ? 'mitigations' : 'techniques'
    return `https://attack.mitre.org/${kind}/${main ?? t.id}/${sub !== undefined ? `${sub}/` : ''}`
  }
  return `https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/${t.id.startsWith('C') ? 'counters' : 'techniques'}/${t.id}.md`
}

export function buildTask(t: TaskRecord): StixObject {
  return {
    ...base(TASK_TYPE, t),
    extensions: { [TASK_EXTENSION_ID]: { extension_type: 'new-sdo' } },
    case_ref: t.caseRef,
    title: t.title,
    ...opt('description', t.description),
    status: t.status,
    ...opt('assignee_ref', t.assigneeRef),
    ...opt('due', t.due),
    ...opt('modified_by_ref', t.modifiedByRef),
    ...nonEmpty(
      'external_references',
      t.techniques.map((x) => ({ source_name: TECHNIQUE_SOURCE[x.framework], external_id: x.id, url: techniqueUrl(x) })),
    ),
  } as StixObject
}

export function buildRequest(r: RequestRecord): StixObject {
  return {
    ...base(REQUEST_TYPE, r),
    extensions: { [REQUEST_EXTENSION_ID]: { extension_type: 'new-sdo' } },
    case_ref: r.caseRef,
    kind: r.kind,
    description: r.description,
    status: r.status,
    ...opt('modified_by_ref', r.modifiedByRef),
  } as StixObject
}

export function buildOffer(o: OfferRecord): StixObject {
  return {
    ...base(OFFER_TYPE, o),
    extensions: { [OFFER_EXTENSION_ID]: { extension_type: 'new-sdo' } },
    case_ref: o.caseRef,
    request_ref: o.requestRef,
    offered_by_ref: o.offeredByRef,
    description: o.description,
    status: o.status,
    ...opt('decision_reason', o.decisionReason),
    ...opt('modified_by_ref', o.modifiedByRef),
  } as StixObject
}

export function buildNote(n: NoteRecord): StixObject {
  return {
    ...base('note', n),
    content: n.content,
    ...nonEmpty('authors', n.authors),
    object_refs: [n.caseRef],
    ...opt('x_entente_author_ref', n.modifiedByRef),
  } as StixObject
}

/** The `identity` (individual) that stands for a local user in case objects (assignee, author of a version). */
export function buildUserIdentity(u: { id: string; username: string; created: string; orgIdentityRef: string }): StixObject {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: u.id,
    created: u.created,
    modified: u.created,
    created_by_ref: u.orgIdentityRef,
    name: u.username,
    identity_class: 'individual',
    x_entente_organisation_ref: u.orgIdentityRef,
  } as StixObject
}

// --- Readers ------------------------------------------------------------------------------------

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (o: Obj, k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null)
const strList = (o: Obj, k: string): string[] => (Array.isArray(o[k]) ? (o[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [])
const oneOf = <T extends string>(vals: readonly T[], v: string | null): T | null => (v !== null && (vals as readonly string[]).includes(v) ? (v as T) : null)

function meta(o: Obj, modifiedBy: string | null): VersionMeta | null {
  const id = str(o, 'id')
  const created = str(o, 'created')
  const modified = str(o, 'modified')
  const createdByRef = str(o, 'created_by_ref')
  if (id === null || created === null || modified === null || createdByRef === null) return null
  return { id, created, modified, createdByRef, modifiedByRef: modifiedBy, tlp: tlpOf(o['object_marking_refs']) ?? 'red' }
}

/** Reads a case version; null when the object is not an Entente case (or is malformed). */
export function readCase(o: unknown): CaseRecord | null {
  if (!isObj(o) || o['type'] !== CASE_TYPE || !isObj(o['extensions'])) return null
  const ext = (o['extensions'] as Obj)[CASE_EXTENSION_ID]
  if (!isObj(ext)) return null
  const m = meta(o, str(ext, 'modified_by_ref'))
  const severity = oneOf(SEVERITIES, str(ext, 'severity'))
  const status = oneOf(CASE_STATUSES, str(ext, 'status'))
  const leadRef = str(ext, 'lead_ref')
  if (m === null || severity === null || status === null || leadRef === null) return null
  return {
    ...m,
    title: str(ext, 'title') ?? str(o, 'name') ?? '',
    description: str(o, 'description'),
    severity,
    status,
    statusReason: str(ext, 'status_reason'),
    closeReason: oneOf(CLOSE_REASONS, str(ext, 'close_reason')),
    leadRef,
    participantRefs: strList(ext, 'participant_refs').filter((r) => r !== leadRef),
    linkedRefs: strList(ext, 'linked_object_refs'),
    playbook: str(ext, 'playbook'),
  }
}

function techniquesOf(o: Obj): TechniqueRef[] {
  const refs = Array.isArray(o['external_references']) ? (o['external_references'] as unknown[]) : []
  const out: TechniqueRef[] = []
  for (const r of refs) {
    if (!isObj(r)) continue
    const id = str(r, 'external_id')
    const src = str(r, 'source_name')
    if (id === null) continue
    if (src === 'mitre-attack') out.push({ framework: 'attack', id })
    else if (src === 'DISARM') out.push({ framework: 'disarm', id })
  }
  return out
}

export function readTask(o: unknown): TaskRecord | null {
  if (!isObj(o) || o['type'] !== TASK_TYPE) return null
  const m = meta(o, str(o, 'modified_by_ref'))
  const caseRef = str(o, 'case_ref')
  const status = oneOf(TASK_STATUSES, str(o, 'status'))
  const title = str(o, 'title')
  if (m === null || caseRef === null || status === null || title === null) return null
  return { ...m, caseRef, title, description: str(o, 'description'), status, assigneeRef: str(o, 'assignee_ref'), due: str(o, 'due'), techniques: techniquesOf(o) }
}

export function readRequest(o: unknown): RequestRecord | null {
  if (!isObj(o) || o['type'] !== REQUEST_TYPE) return null
  const m = meta(o, str(o, 'modified_by_ref'))
  const caseRef = str(o, 'case_ref')
  const kind = oneOf(REQUEST_KINDS, str(o, 'kind'))
  const status = oneOf(REQUEST_STATUSES, str(o, 'status'))
  if (m === null || caseRef === null || kind === null || status === null) return null
  return { ...m, caseRef, kind, status, description: str(o, 'description') ?? '' }
}

export function readOffer(o: unknown): OfferRecord | null {
  if (!isObj(o) || o['type'] !== OFFER_TYPE) return null
  const m = meta(o, str(o, 'modified_by_ref'))
  const caseRef = str(o, 'case_ref')
  const requestRef = str(o, 'request_ref')
  const offeredByRef = str(o, 'offered_by_ref')
  const status = oneOf(OFFER_STATUSES, str(o, 'status'))
  if (m === null || caseRef === null || requestRef === null || offeredByRef === null || status === null) return null
  return { ...m, caseRef, requestRef, offeredByRef, status, description: str(o, 'description') ?? '', decisionReason: str(o, 'decision_reason') }
}

/** Reads a note about a case (its first object_ref that is an incident). */
export function readNote(o: unknown): NoteRecord | null {
  if (!isObj(o) || o['type'] !== 'note') return null
  const m = meta(o, str(o, 'x_entente_author_ref'))
  const caseRef = strList(o, 'object_refs').find((r) => r.startsWith(`${CASE_TYPE}--`)) ?? null
  const content = str(o, 'content')
  if (m === null || caseRef === null || content === null) return null
  return { ...m, caseRef, content, authors: strList(o, 'authors') }
}

/** The case an object of a case belongs to (task, request, offer: `case_ref`; note: its incident ref; case: itself). */
export function caseRefOf(o: unknown): string | null {
  if (!isObj(o)) return null
  if (o['type'] === CASE_TYPE) return readCase(o) !== null ? str(o, 'id') : null
  if (o['type'] === TASK_TYPE || o['type'] === REQUEST_TYPE || o['type'] === OFFER_TYPE) return str(o, 'case_ref')
  if (o['type'] === 'note') return readNote(o)?.caseRef ?? null
  return null
}

/** Every organisation identity that takes part in a case: the lead first, then the participants. */
export function caseOrganisations(c: Pick<CaseRecord, 'leadRef' | 'participantRefs'>): string[] {
  return [c.leadRef, ...c.participantRefs.filter((r) => r !== c.leadRef)]
}
