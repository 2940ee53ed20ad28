/**
 * The case timeline, computed from stored versions (never stored twice): each version of the case,
 * its tasks, requests and offers is compared with the one before it, and notes appear as they are.
 */
import type { CaseRecord, NoteRecord, OfferRecord, RequestRecord, TaskRecord } from './stix.js'

export type TimelineKind =
  | 'case_opened' | 'status_changed' | 'case_edited' | 'participant_added' | 'participant_removed' | 'object_linked' | 'object_unlinked'
  | 'task_created' | 'task_assigned' | 'task_status_changed' | 'task_edited'
  | 'note_added'
  | 'request_created' | 'request_status_changed' | 'offer_made' | 'offer_accepted' | 'offer_declined'

export interface TimelineEntry {
  /** The version's `modified` (STIX timestamp). */
  readonly at: string
  readonly kind: TimelineKind
  /** The object the entry is about (case, task, note, request or offer). */
  readonly objectId: string
  /** Who made the version (user or organisation identity), when known. */
  readonly actorRef: string | null
  /** Entry details: from/to statuses, reasons, refs, titles. Values are strings, string lists or null. */
  readonly data: Record<string, string | string[] | null>
}

const added = (a: readonly string[], b: readonly string[]): string[] => b.filter((x) => !a.includes(x))

function caseEntries(versions: readonly CaseRecord[]): TimelineEntry[] {
  const out: TimelineEntry[] = []
  let prev: CaseRecord | undefined
  for (const v of versions) {
    const e = (kind: TimelineKind, data: TimelineEntry['data']) => out.push({ at: v.modified, kind, objectId: v.id, actorRef: v.modifiedByRef, data })
    if (!prev) {
      e('case_opened', { title: v.title, severity: v.severity, status: v.status, playbook: v.playbook })
    } else {
      if (prev.status !== v.status) e('status_changed', { from: prev.status, to: v.status, reason: v.statusReason, closeReason: v.closeReason })
      const fields = (['title', 'description', 'severity', 'tlp', 'leadRef'] as const).filter((f) => prev?.[f] !== v[f])
      if (fields.length > 0) e('case_edited', { fields, ...Object.fromEntries(fields.map((f) => [f, v[f]])) })
      for (const r of added(prev.participantRefs, v.participantRefs)) e('participant_added', { organisationRef: r })
      for (const r of added(v.participantRefs, prev.participantRefs)) e('participant_removed', { organisationRef: r })
      for (const r of added(prev.linkedRefs, v.linkedRefs)) e('object_linked', { objectRef: r })
      for (const r of added(v.linkedRefs, prev.linkedRefs)) e('object_unlinked', { objectRef: r })
    }
    prev = v
  }
  return out
}

function taskEntries(versions: readonly TaskRecord[]): TimelineEntry[] {
  const out: TimelineEntry[] = []
  let prev: TaskRecord | undefined
  for (const v of versions) {
    const e = (kind: TimelineKind, data: TimelineEntry['data']) => out.push({ at: v.modified, kind, objectId: v.id, actorRef: v.modifiedByRef, data })
    if (!prev) {
      e('task_created', { title: v.title, status: v.status, assigneeRef: v.assigneeRef })
      if (v.assigneeRef !== null) e('task_assigned', { title: v.title, from: null, assigneeRef: v.assigneeRef })
    } else {
      if (prev.assigneeRef !== v.assigneeRef) e('task_assigned', { title: v.title, from: prev.assigneeRef, assigneeRef: v.assigneeRef })
      if (prev.status !== v.status) e('task_status_changed', { title: v.title, from: prev.status, to: v.status })
      const fields = (['title', 'description', 'due'] as const).filter((f) => prev?.[f] !== v[f])
      if (fields.length > 0) e('task_edited', { title: v.title, fields })
    }
    prev = v
  }
  return out
}

function requestEntries(versions: readonly RequestRecord[]): TimelineEntry[] {
  const out: TimelineEntry[] = []
  let prev: RequestRecord | undefined
  for (const v of versions) {
    if (!prev) out.push({ at: v.modified, kind: 'request_created', objectId: v.id, actorRef: v.modifiedByRef, data: { kind: v.kind, description: v.description } })
    else if (prev.status !== v.status) out.push({ at: v.modified, kind: 'request_status_changed', objectId: v.id, actorRef: v.modifiedByRef, data: { from: prev.status, to: v.status } })
    prev = v
  }
  return out
}

function offerEntries(versions: readonly OfferRecord[]): TimelineEntry[] {
  const out: TimelineEntry[] = []
  let prev: OfferRecord | undefined
  for (const v of versions) {
    const data = { requestRef: v.requestRef, organisationRef: v.offeredByRef, reason: v.decisionReason }
    if (!prev) out.push({ at: v.modified, kind: 'offer_made', objectId: v.id, actorRef: v.modifiedByRef, data: { ...data, description: v.description } })
    else if (prev.status !== v.status && v.status !== 'pending') {
      out.push({ at: v.modified, kind: v.status === 'accepted' ? 'offer_accepted' : 'offer_declined', objectId: v.id, actorRef: v.modifiedByRef, data })
    }
    prev = v
  }
  return out
}

/** The stored versions of one case's objects, each object's versions oldest first. */
export interface CaseHistory {
  readonly case: readonly CaseRecord[]
  readonly tasks: readonly (readonly TaskRecord[])[]
  readonly notes: readonly NoteRecord[]
  readonly requests: readonly (readonly RequestRecord[])[]
  readonly offers: readonly (readonly OfferRecord[])[]
}

/** The timeline of a case, oldest first (ties keep case, tasks, requests, offers, notes order). */
export function computeTimeline(h: CaseHistory): TimelineEntry[] {
  const all = [
    ...caseEntries(h.case),
    ...h.tasks.flatMap(taskEntries),
    ...h.requests.flatMap(requestEntries),
    ...h.offers.flatMap(offerEntries),
    ...h.notes.map((n): TimelineEntry => ({ at: n.created, kind: 'note_added', objectId: n.id, actorRef: n.modifiedByRef, data: { content: n.content, authors: [...n.authors] } })),
  ]
  // Stable sort by time; STIX timestamps of equal precision compare as text, mixed precision by value.
  return all
    .map((e, i) => ({ e, i, t: Date.parse(e.at) }))
    .sort((a, b) => a.t - b.t || (a.e.at < b.e.at ? -1 : a.e.at > b.e.at ? 1 : a.i - b.i))
    .map((x) => x.e)
}
