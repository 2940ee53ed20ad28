/**
 * The extension-definition objects (STIX 2.1 §7.3) of Entente's case model, with the JSON schema of
 * each as their `schema` (plain text, as §7.3 allows). Fixed ids, fixed timestamps: every node holds
 * identical definitions, so a case travelling between nodes names the same definitions everywhere.
 * Bump `version` and `modified` together when a schema changes (additively only).
 */
import type { StixObject } from '../stix/validate.js'
import {
  CASE_EXTENSION_ID, CASE_STATUSES, CLOSE_REASONS, ENTENTE_IDENTITY_ID, INCIDENT_CORE_EXTENSION_ID, OFFER_EXTENSION_ID, OFFER_STATUSES,
  OFFER_TYPE, REQUEST_EXTENSION_ID, REQUEST_KINDS, REQUEST_STATUSES, REQUEST_TYPE, SEVERITIES, TASK_EXTENSION_ID, TASK_STATUSES, TASK_TYPE,
} from './model.js'

const DEFINED = '2026-11-01T00:00:00.000Z'
const ref = (type: string) => ({ type: 'string', pattern: `^${type}--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$` })
const anyRef = { type: 'string', pattern: '^[a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' }
const timestamp = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }
const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max })
const common = {
  type: { type: 'string' }, spec_version: { const: '2.1' }, id: anyRef, created: timestamp, modified: timestamp,
  created_by_ref: ref('identity'), object_marking_refs: { type: 'array', items: ref('marking-definition') },
  extensions: { type: 'object' }, modified_by_ref: ref('identity'),
}

/** JSON schemas (draft 2020-12) of the case extension and the three new object types. */
export const CASE_SCHEMAS = {
  case: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Entente case (property-extension of incident)',
    type: 'object',
    required: ['extension_type', 'title', 'severity', 'status', 'lead_ref'],
    properties: {
      extension_type: { const: 'property-extension' },
      title: text(300),
      severity: { enum: SEVERITIES },
      status: { enum: CASE_STATUSES },
      status_reason: text(2000),
      close_reason: { enum: CLOSE_REASONS },
      lead_ref: ref('identity'),
      participant_refs: { type: 'array', minItems: 1, maxItems: 100, items: ref('identity') },
      linked_object_refs: { type: 'array', minItems: 1, maxItems: 2000, items: anyRef },
      playbook: text(100),
      modified_by_ref: ref('identity'),
    },
    additionalProperties: false,
  },
  task: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Entente task (${TASK_TYPE})`,
    type: 'object',
    required: ['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'case_ref', 'title', 'status'],
    properties: {
      ...common, type: { const: TASK_TYPE }, case_ref: ref('incident'), title: text(300), description: text(20_000),
      status: { enum: TASK_STATUSES }, assignee_ref: ref('identity'), due: timestamp,
      external_references: { type: 'array', items: { type: 'object', required: ['source_name', 'external_id'] } },
    },
  },
  request: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Entente request for assistance (${REQUEST_TYPE})`,
    type: 'object',
    required: ['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'case_ref', 'kind', 'description', 'status'],
    properties: { ...common, type: { const: REQUEST_TYPE }, case_ref: ref('incident'), kind: { enum: REQUEST_KINDS }, description: text(20_000), status: { enum: REQUEST_STATUSES } },
  },
  offer: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Entente offer of assistance (${OFFER_TYPE})`,
    type: 'object',
    required: ['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'case_ref', 'request_ref', 'offered_by_ref', 'description', 'status'],
    properties: {
      ...common, type: { const: OFFER_TYPE }, case_ref: ref('incident'), request_ref: ref(REQUEST_TYPE), offered_by_ref: ref('identity'),
      description: text(20_000), status: { enum: OFFER_STATUSES }, decision_reason: text(2000),
    },
  },
} as const

function definition(id: string, name: string, description: string, schema: object, kind: 'property-extension' | 'new-sdo'): StixObject {
  return {
    type: 'extension-definition',
    spec_version: '2.1',
    id,
    created: DEFINED,
    modified: DEFINED,
    created_by_ref: ENTENTE_IDENTITY_ID,
    name,
    description,
    schema: JSON.stringify(schema),
    version: '1.0.0',
    extension_types: [kind],
  } as StixObject
}

/** The Entente project identity, author of the definitions. */
export const ENTENTE_IDENTITY: StixObject = {
  type: 'identity', spec_version: '2.1', id: ENTENTE_IDENTITY_ID, created: DEFINED, modified: DEFINED,
  name: 'Entente project', identity_class: 'organization',
} as StixObject

/** The OASIS Incident Core Extension definition, as published (cti-stix-common-objects). */
export const INCIDENT_CORE_DEFINITION: StixObject = {
  id: INCIDENT_CORE_EXTENSION_ID,
  type: 'extension-definition',
  spec_version: '2.1',
  name: 'DC3 Incident Core Extension',
  description:
    "A core extension of the Incident object to allow core details of the Incident to be shared while tracking major details tied to the incident's timeline.  Multiple Incidents can be tied together via relationships if a higher degree of fidelity is needed across phases.",
  created: '2020-10-19T20:51:00.000Z',
  modified: '2021-07-30T16:00:00.000Z',
  created_by_ref: 'identity--24c6ec5e-0db6-4029-b98e-cb87303c942d',
  schema: 'https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/incident-core',
  version: '0.4.0',
  extension_types: ['property-extension'],
} as StixObject

/** Every definition a node stores before its first case, in dependency order. */
export const CASE_DEFINITIONS: readonly StixObject[] = Object.freeze([
  ENTENTE_IDENTITY,
  INCIDENT_CORE_DEFINITION,
  definition(CASE_EXTENSION_ID, 'Entente case', 'Case fields of a joint election-security incident: title, severity, status workflow, lead and participating organisations, linked objects.', CASE_SCHEMAS.case, 'property-extension'),
  definition(TASK_EXTENSION_ID, 'Entente task', 'A task of a joint case, assigned to a user or an organisation, with ATT&CK or DISARM technique and countermeasure references.', CASE_SCHEMAS.task, 'new-sdo'),
  definition(REQUEST_EXTENSION_ID, 'Entente request for assistance', 'A case asks partners for a kind of help (forensics, takedown, comms, intel, other).', CASE_SCHEMAS.request, 'new-sdo'),
  definition(OFFER_EXTENSION_ID, 'Entente offer of assistance', "A partner organisation's offer answering a request for assistance; the case lead accepts or declines it.", CASE_SCHEMAS.offer, 'new-sdo'),
])
