/**
 * Sharing agreements as STIX 2.1 objects: a new SDO type `x-entente-agreement`, defined by
 * Entente's extension definition (§7.3, `extension_types: ['new-sdo']`).
 *
 * An agreement carries the FIRST IEP 2.0 policy statements (encrypt in transit, permitted actions,
 * affected party notifications, provider attribution, unmodified resale, start and end dates) and
 * Entente's own terms: the two parties (node id, node Ed25519 key and its fingerprint, and the
 * organisations each node acts for), the highest TLP shared, the object types in scope, onward
 * sharing (relay), retention and purpose. The terms are signed by both nodes; suspension,
 * resumption and termination are signed events appended to `events` (./sign.ts). docs/agreements.md
 * explains every field to an administrator.
 */
import type { TlpLevel } from '../marking/tlp.js'

/** The STIX type of an agreement. */
export const AGREEMENT_TYPE = 'x-entente-agreement'

/** Entente's extension definition for agreements (fixed forever). */
export const AGREEMENT_EXTENSION_ID = 'extension-definition--965c8d31-3c46-4c4b-b64a-3b69b6bf44d1'

/** The identity Entente's own definitions are created by. */
export const ENTENTE_IDENTITY_ID = 'identity--fc0a869d-d42a-4763-81f5-e7d648a46040'

/** FIRST IEP 2.0 enumerations (IEP 2.0 Framework §7–10; JSON names of the IEP 2.0 JSON specification). */
export const IEP_ENCRYPT_IN_TRANSIT = ['must', 'may'] as const
export const IEP_PERMITTED_ACTIONS = ['nothing', 'contact-for-instruction', 'internally-visible-actions', 'externally-visible-indirect-actions', 'externally-visible-direct-actions'] as const
export const IEP_AFFECTED_PARTY_NOTIFICATIONS = ['may', 'must-not'] as const
export const IEP_ATTRIBUTION = ['may', 'must', 'must-not'] as const
export const IEP_UNMODIFIED_RESALE = ['may', 'must-not'] as const

/** The IEP 2.0 policy statements an agreement carries. */
export interface IepPolicy {
  /** Whether the recipient must encrypt the information when it retransmits it. */
  readonly encrypt_in_transit: (typeof IEP_ENCRYPT_IN_TRANSIT)[number]
  /** What the recipient may do with the information. */
  readonly permitted_actions: (typeof IEP_PERMITTED_ACTIONS)[number]
  /** Whether the recipient may notify affected third parties. */
  readonly affected_party_notifications: (typeof IEP_AFFECTED_PARTY_NOTIFICATIONS)[number]
  /** Whether the recipient must, may or must not name the provider when redistributing. */
  readonly attribution: (typeof IEP_ATTRIBUTION)[number]
  /** Whether the recipient may resell the information unmodified. */
  readonly unmodified_resale: (typeof IEP_UNMODIFIED_RESALE)[number]
  /** When the agreement takes effect (STIX timestamp, UTC). */
  readonly start_date: string
  /** When it ends (exclusive); absent = open-ended. */
  readonly end_date?: string
}

/** One party: a node and the organisations it acts for under this agreement. */
export interface AgreementParty {
  /** The node's id (as peers know it). */
  readonly node_id: string
  /** The node's Ed25519 public key, 32 bytes in standard base64. */
  readonly node_key: string
  /** `sha256:` + hex SHA-256 of the raw key: what administrators compare out of band. */
  readonly node_key_fingerprint: string
  /** The organisations (STIX identity ids) on that node the agreement covers. */
  readonly organization_refs: readonly string[]
}

/** What may travel further once received (the hop rule). */
export interface OnwardSharing {
  /** May the recipient relay what it received to other nodes? */
  readonly allowed: boolean
  /** Nodes it may relay to; absent = any node it has an active agreement with. Only with allowed. */
  readonly to_node_ids?: readonly string[]
  /** The most restrictive TLP that may be relayed (never RED); only with allowed. Default: the agreement's max_tlp, capped at AMBER+STRICT. */
  readonly max_tlp?: Exclude<TlpLevel, 'red'>
  /** How many further hops an object may take after the recipient (1 = one relay, like MISP's "connected communities"). Default 1. */
  readonly max_hops?: number
}

/** Which object types the agreement covers. */
export interface ObjectTypeScope {
  /** Only these types (absent = all types). */
  readonly include?: readonly string[]
  /** Never these types (applied after include). */
  readonly exclude?: readonly string[]
}

export const AGREEMENT_ACTIONS = ['propose', 'accept', 'suspend', 'resume', 'terminate'] as const
export type AgreementAction = (typeof AGREEMENT_ACTIONS)[number]

/** A signed lifecycle event. The proposer signs `propose`, the other party `accept`. */
export interface AgreementEvent {
  readonly action: AgreementAction
  /** The signing party's node id. */
  readonly node_id: string
  /** When the event takes effect (STIX timestamp). */
  readonly at: string
  /** Free text (suspension or termination reason). */
  readonly reason?: string
  /** Base64 Ed25519 signature over {@link eventSigningBytes}. */
  readonly signature: string
}

/** The terms: everything both parties sign (the object without `modified` and `events`). */
export interface AgreementTerms {
  readonly type: typeof AGREEMENT_TYPE
  readonly spec_version: '2.1'
  readonly id: string
  readonly created: string
  readonly created_by_ref?: string
  readonly name: string
  /** Why the parties share (free text, shown to every user who sees shared data). */
  readonly purpose: string
  /** Exactly two parties; the first proposes. */
  readonly parties: readonly [AgreementParty, AgreementParty]
  readonly iep: IepPolicy
  /** The highest TLP either party shares under this agreement. */
  readonly max_tlp: TlpLevel
  readonly object_types?: ObjectTypeScope
  readonly onward_sharing: OnwardSharing
  /** Received objects are deleted this many days after receipt (absent = kept). */
  readonly retention_days?: number
  readonly object_marking_refs?: readonly string[]
  readonly extensions: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

/** An agreement object as stored and exchanged: the terms plus `modified` and the signed events. */
export interface Agreement extends AgreementTerms {
  readonly modified: string
  readonly events: readonly AgreementEvent[]
}

/** Limits on agreement input. */
export const AGREEMENT_LIMITS = {
  maxNameLength: 200,
  maxPurposeLength: 4000,
  maxReasonLength: 1000,
  maxOrganizationsPerParty: 1000,
  maxTypes: 200,
  maxOnwardNodes: 200,
  maxEvents: 200,
  maxNodeIdLength: 200,
  maxHops: 8,
  maxRetentionDays: 36_500,
} as const

/** Entente's extension-definition object for agreements (§7.3). */
export const AGREEMENT_EXTENSION_DEFINITION = Object.freeze({
  type: 'extension-definition',
  spec_version: '2.1',
  id: AGREEMENT_EXTENSION_ID,
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  created_by_ref: ENTENTE_IDENTITY_ID,
  name: 'Entente sharing agreement',
  description: 'A machine-enforced sharing agreement between two Entente nodes: FIRST IEP 2.0 policy statements plus parties, TLP ceiling, object types, onward sharing and retention, signed by both nodes.',
  schema: 'https://github.com/entente/entente/blob/main/docs/agreements.md',
  version: '1.0.0',
  extension_types: Object.freeze(['new-sdo']),
})

const TLP_ENUM = ['clear', 'green', 'amber', 'amber+strict', 'red']
const TS = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }
const IDENTITY = { type: 'string', pattern: '^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }
const NODE_ID = { type: 'string', minLength: 1, maxLength: AGREEMENT_LIMITS.maxNodeIdLength, pattern: '^[A-Za-z0-9._:-]+$' }
const TYPE_NAME = { type: 'string', pattern: '^[a-z0-9-]{3,250}$' }

/**
 * The JSON Schema (2020-12) of an agreement object, published with the extension definition.
 * {@link validateAgreement} implements it, plus the rules a schema cannot say (dates in order,
 * distinct parties, fingerprints that match keys, onward TLP not above the agreement's).
 */
export const AGREEMENT_JSON_SCHEMA = Object.freeze({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: AGREEMENT_EXTENSION_ID,
  title: 'x-entente-agreement',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'spec_version', 'id', 'created', 'modified', 'name', 'purpose', 'parties', 'iep', 'max_tlp', 'onward_sharing', 'events', 'extensions'],
  properties: {
    type: { const: AGREEMENT_TYPE },
    spec_version: { const: '2.1' },
    id: { type: 'string', pattern: '^x-entente-agreement--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    created: TS,
    modified: TS,
    created_by_ref: IDENTITY,
    name: { type: 'string', minLength: 1, maxLength: AGREEMENT_LIMITS.maxNameLength },
    purpose: { type: 'string', minLength: 1, maxLength: AGREEMENT_LIMITS.maxPurposeLength },
    parties: {
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['node_id', 'node_key', 'node_key_fingerprint', 'organization_refs'],
        properties: {
          node_id: NODE_ID,
          node_key: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' },
          node_key_fingerprint: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
          organization_refs: { type: 'array', minItems: 1, maxItems: AGREEMENT_LIMITS.maxOrganizationsPerParty, uniqueItems: true, items: IDENTITY },
        },
      },
    },
    iep: {
      type: 'object',
      additionalProperties: false,
      required: ['encrypt_in_transit', 'permitted_actions', 'affected_party_notifications', 'attribution', 'unmodified_resale', 'start_date'],
      properties: {
        encrypt_in_transit: { enum: IEP_ENCRYPT_IN_TRANSIT },
        permitted_actions: { enum: IEP_PERMITTED_ACTIONS },
        affected_party_notifications: { enum: IEP_AFFECTED_PARTY_NOTIFICATIONS },
        attribution: { enum: IEP_ATTRIBUTION },
        unmodified_resale: { enum: IEP_UNMODIFIED_RESALE },
        start_date: TS,
        end_date: TS,
      },
    },
    max_tlp: { enum: TLP_ENUM },
    object_types: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        include: { type: 'array', minItems: 1, maxItems: AGREEMENT_LIMITS.maxTypes, uniqueItems: true, items: TYPE_NAME },
        exclude: { type: 'array', minItems: 1, maxItems: AGREEMENT_LIMITS.maxTypes, uniqueItems: true, items: TYPE_NAME },
      },
    },
    onward_sharing: {
      type: 'object',
      additionalProperties: false,
      required: ['allowed'],
      properties: {
        allowed: { type: 'boolean' },
        to_node_ids: { type: 'array', minItems: 1, maxItems: AGREEMENT_LIMITS.maxOnwardNodes, uniqueItems: true, items: NODE_ID },
        max_tlp: { enum: TLP_ENUM.slice(0, 4) },
        max_hops: { type: 'integer', minimum: 1, maximum: AGREEMENT_LIMITS.maxHops },
      },
    },
    retention_days: { type: 'integer', minimum: 1, maximum: AGREEMENT_LIMITS.maxRetentionDays },
    object_marking_refs: { type: 'array', items: { type: 'string' } },
    events: {
      type: 'array',
      maxItems: AGREEMENT_LIMITS.maxEvents,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['action', 'node_id', 'at', 'signature'],
        properties: {
          action: { enum: AGREEMENT_ACTIONS },
          node_id: NODE_ID,
          at: TS,
          reason: { type: 'string', maxLength: AGREEMENT_LIMITS.maxReasonLength },
          signature: { type: 'string', pattern: '^[A-Za-z0-9+/]{86}==$' },
        },
      },
    },
    extensions: {
      type: 'object',
      required: [AGREEMENT_EXTENSION_ID],
      properties: { [AGREEMENT_EXTENSION_ID]: { type: 'object', required: ['extension_type'], properties: { extension_type: { const: 'new-sdo' } } } },
    },
  },
})
