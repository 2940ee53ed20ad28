/**
 * Joint cases as STIX 2.1 (issue 6): the fixed identifiers of Entente's extension definitions and the
 * vocabularies of cases, tasks and requests for assistance. Pure data, browser-safe.
 *
 * - A case is an `incident` carrying the OASIS Incident Core Extension (property-extension) and
 *   Entente's case extension (property-extension, `CASE_EXTENSION_ID`) with the case fields.
 * - Tasks, requests for assistance and offers are new SDO types defined by extension definitions
 *   (`x-entente-task`, `x-entente-assistance-request`, `x-entente-assistance-offer`).
 * - Timeline notes are plain STIX `note`s whose `object_refs` name the case.
 */
import { TLP2_MARKINGS } from '../stix/defs-meta.js'

/** The OASIS Incident Core Extension (cti-stix-common-objects, version 0.4.0). */
export const INCIDENT_CORE_EXTENSION_ID = 'extension-definition--ef765651-680c-498d-9894-99799f2fa126'
/** Entente's case fields on an incident (property-extension). Fixed forever: cases travel between nodes. */
export const CASE_EXTENSION_ID = 'extension-definition--18f17e2a-5efb-4a3c-96aa-7a87ef2efdd5'
/** The `x-entente-task` object type (new-sdo). */
export const TASK_EXTENSION_ID = 'extension-definition--83dc420e-47d3-4ce0-8da8-87714dadf890'
/** The `x-entente-assistance-request` object type (new-sdo). */
export const REQUEST_EXTENSION_ID = 'extension-definition--69d0f477-3781-44d3-aa1f-d75cf9e60100'
/** The `x-entente-assistance-offer` object type (new-sdo). */
export const OFFER_EXTENSION_ID = 'extension-definition--1cd56361-7622-401a-8485-24e75b1152b8'
/** The Entente project, author of the extension definitions above. */
export const ENTENTE_IDENTITY_ID = 'identity--0f03eb9d-78f8-449d-b8f0-593bf213f019'
/** UUIDv5 namespace of the `identity` objects that stand for local users (assignees, authors of versions). */
export const USER_IDENTITY_NAMESPACE = 'c5a0e0a4-8c1f-5b8e-9a59-3f5c8a1d2e77'

export const TASK_TYPE = 'x-entente-task'
export const REQUEST_TYPE = 'x-entente-assistance-request'
export const OFFER_TYPE = 'x-entente-assistance-offer'
export const CASE_TYPE = 'incident'

export const CASE_STATUSES = ['new', 'triage', 'active', 'contained', 'resolved', 'closed'] as const
export type CaseStatus = (typeof CASE_STATUSES)[number]

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Why a case was closed. */
export const CLOSE_REASONS = ['resolved', 'false_positive', 'duplicate', 'out_of_scope', 'no_action_needed'] as const
export type CloseReason = (typeof CLOSE_REASONS)[number]

export const TASK_STATUSES = ['open', 'in_progress', 'blocked', 'done', 'cancelled'] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

export const REQUEST_KINDS = ['forensics', 'takedown', 'comms', 'intel', 'other'] as const
export type RequestKind = (typeof REQUEST_KINDS)[number]

/** `open` until the lead accepts an offer (`accepted`) or withdraws the request (`withdrawn`). */
export const REQUEST_STATUSES = ['open', 'accepted', 'withdrawn'] as const
export type RequestStatus = (typeof REQUEST_STATUSES)[number]

export const OFFER_STATUSES = ['pending', 'accepted', 'declined'] as const
export type OfferStatus = (typeof OFFER_STATUSES)[number]

export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const
export type TlpLevel = (typeof TLP_LEVELS)[number]

/** TLP level → the OASIS TLP 2.0 marking-definition id. */
export const TLP_MARKING: Readonly<Record<TlpLevel, string>> = Object.freeze(
  Object.fromEntries([...TLP2_MARKINGS].map(([id, level]) => [level, id])) as Record<TlpLevel, string>,
)

/** The TLP level of an object's `object_marking_refs` (the most restrictive TLP 2.0 marking), or null. */
export function tlpOf(markingRefs: unknown): TlpLevel | null {
  if (!Array.isArray(markingRefs)) return null
  let best = -1
  for (const r of markingRefs) {
    const level = typeof r === 'string' ? TLP2_MARKINGS.get(r) : undefined
    const i = level === undefined ? -1 : TLP_LEVELS.indexOf(level as TlpLevel)
    if (i > best) best = i
  }
  return best < 0 ? null : (TLP_LEVELS[best] ?? null)
}

/** Object types a case may link to (its evidence and context). */
export const LINKABLE_TYPES: readonly string[] = Object.freeze([
  'indicator', 'observed-data', 'report', 'threat-actor', 'intrusion-set', 'campaign', 'malware', 'tool',
  'attack-pattern', 'infrastructure', 'vulnerability', 'sighting', 'identity', 'location', 'grouping', 'note', 'opinion',
])

/** Limits of one case (every input is bounded). */
export const CASE_LIMITS = {
  titleLength: 300,
  descriptionLength: 20_000,
  reasonLength: 2_000,
  participants: 100,
  linkedObjects: 2_000,
  tasksPerCase: 1_000,
  notesPerCase: 5_000,
  requestsPerCase: 200,
  offersPerRequest: 100,
  noteLength: 20_000,
  techniqueRefs: 50,
  /** Versions read back for one timeline (all objects of the case together). */
  timelineVersions: 20_000,
} as const
