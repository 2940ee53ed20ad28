/**
 * Sharing agreements (/api/v1/agreements): propose, accept, suspend, resume, terminate, list, show,
 * export, import, and the peer inbox. The agreement itself is a STIX object (`x-entente-agreement`,
 * snake_case as STIX names it), validated strictly by the service (docs/agreements.md).
 */
import Type from 'typebox'
import type { Static } from 'typebox'

const TlpName = Type.Union([Type.Literal('clear'), Type.Literal('green'), Type.Literal('amber'), Type.Literal('amber+strict'), Type.Literal('red')])
const IdentityId = Type.String({ pattern: '^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
const TypeName = Type.String({ pattern: '^[a-z0-9-]{3,250}$' })
const NodeId = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' })

/** The signed STIX agreement object (checked in full by the service, with JSON pointers). */
export const AgreementObject = Type.Record(Type.String(), Type.Unknown(), { description: 'An x-entente-agreement STIX object (docs/agreements.md)', maxProperties: 40 })

/** The signed STIX agreement object as the node returns it. */
export const AgreementOut = Type.Unknown({ description: 'An x-entente-agreement STIX object (docs/agreements.md)' })

export const AgreementStatus = Type.Object(
  {
    status: Type.Union([
      Type.Literal('proposed'),
      Type.Literal('active'),
      Type.Literal('suspended'),
      Type.Literal('terminated'),
      Type.Literal('pending'),
      Type.Literal('expired'),
      Type.Literal('invalid'),
      Type.Literal('draft'),
    ]),
    reason: Type.String(),
    active: Type.Boolean(),
    suspendedBy: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)

export const AgreementRecord = Type.Object(
  {
    agreement: AgreementOut,
    status: AgreementStatus,
    termsSha256: Type.String({ description: 'SHA-256 (hex) of the canonical terms both parties signed' }),
    ourSide: Type.Union([Type.Literal(0), Type.Literal(1), Type.Null()], { description: '0: this node proposed; 1: this node accepts; null: not a party' }),
    unchanged: Type.Optional(Type.Boolean({ description: 'import: the same version was already stored' })),
    delivery: Type.Optional(
      Type.Object(
        {
          peer: Type.String({ description: 'the federation peer that is the other party' }),
          delivered: Type.Boolean({ description: "false: the peer's inbox did not take it now; it is sent again at every sync until it does" }),
          error: Type.Optional(Type.String()),
        },
        { additionalProperties: false, description: 'after a change: the new version handed to the other party (federation peers only)' },
      ),
    ),
  },
  { additionalProperties: false },
)
export type AgreementRecord = Static<typeof AgreementRecord>
export const AgreementList = Type.Array(AgreementRecord)
/** `GET /api/v1/agreements/peer`: the agreements between the calling peer node and this node. */
export const PeerAgreements = Type.Object({ agreements: Type.Array(AgreementOut) }, { additionalProperties: false })

export const ProposeBody = Type.Object(
  {
    peer: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'A federation peer (name or id): its pinned key and organisations are used' })),
    peerNodeId: Type.Optional(NodeId),
    peerKey: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: "The other node's Ed25519 key (base64), without federation" })),
    peerOrgs: Type.Optional(Type.Array(IdentityId, { minItems: 1, maxItems: 1000, uniqueItems: true })),
    orgs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 1000, description: "This node's organisations (name, id or identity id); default: the host organisation" })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    purpose: Type.String({ minLength: 1, maxLength: 4000 }),
    maxTlp: TlpName,
    types: Type.Optional(
      Type.Object(
        { include: Type.Optional(Type.Array(TypeName, { minItems: 1, maxItems: 200 })), exclude: Type.Optional(Type.Array(TypeName, { minItems: 1, maxItems: 200 })) },
        { additionalProperties: false },
      ),
    ),
    onward: Type.Optional(
      Type.Object(
        {
          allowed: Type.Boolean(),
          toNodeIds: Type.Optional(Type.Array(NodeId, { minItems: 1, maxItems: 200 })),
          maxTlp: Type.Optional(Type.Union([Type.Literal('clear'), Type.Literal('green'), Type.Literal('amber'), Type.Literal('amber+strict')])),
          maxHops: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })),
        },
        { additionalProperties: false },
      ),
    ),
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36500 })),
    start: Type.Optional(Type.String({ maxLength: 40 })),
    end: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
)
export type ProposeBody = Static<typeof ProposeBody>

export const EventBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })

export const AgreementAction = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 300 }), action: Type.Union([Type.Literal('accept'), Type.Literal('suspend'), Type.Literal('resume'), Type.Literal('terminate')]) },
  { additionalProperties: false },
)

export const NodeSelf = Type.Object({ nodeId: Type.String(), nodeKey: Type.String(), fingerprint: Type.String() }, { additionalProperties: false })
