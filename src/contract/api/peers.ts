/** Federation (/api/v1/peers, /api/v1/feeds, /api/v1/federation): peers, feeds, and the peer-to-peer calls. */
import Type from 'typebox'
import type { Static } from 'typebox'
import { Id, NullableTimestamp, Timestamp } from './common.js'

const PeerName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,40}$', description: 'Local name of the peer or feed: lowercase letters, digits and -' })
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL' })
const Organisation = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), identityId: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false })
const Count = Type.Integer({ minimum: 0 })

export const PeerView = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('node'), Type.Literal('feed')]),
    name: Type.String(),
    url: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('key-changed'), Type.Literal('fork'), Type.Literal('active'), Type.Literal('removed')]),
    fingerprint: Type.Union([Type.String(), Type.Null()], { description: 'Fingerprint of the pinned key: compare it with the other administrator before approving' }),
    presentedFingerprint: Type.Union([Type.String(), Type.Null()], { description: 'Fingerprint of a different key the peer presented (status key-changed)' }),
    origin: Type.Union([Type.String(), Type.Null()]),
    organisations: Type.Array(Organisation),
    remoteCollection: Type.Union([Type.String(), Type.Null()]),
    outboundCollectionId: Type.Union([Type.String(), Type.Null()], { description: 'The per-peer collection the peer reads here' }),
    inboundCollectionId: Type.String({ description: 'Where objects received from it are stored' }),
    defaultMarking: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    approvedAt: NullableTimestamp,
    lastAttemptAt: NullableTimestamp,
    lastSyncAt: NullableTimestamp,
    lagSeconds: Type.Union([Count, Type.Null()], { description: 'Seconds since the last complete sync' }),
    lastError: Type.Union([Type.String(), Type.Null()]),
    failures: Count,
    nextAttemptAt: NullableTimestamp,
    received: Count,
    duplicates: Count,
    rejected: Count,
    published: Count,
    cursor: Type.Object({ addedAfter: Type.Union([Type.String(), Type.Null()]), next: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export type PeerView = Static<typeof PeerView>
export const PeerList = Type.Array(PeerView)

export const InviteBody = Type.Object(
  {
    name: Type.Optional(PeerName),
    url: Type.Optional(Url),
    ttlHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 720 })),
  },
  { additionalProperties: false },
)
export const Invitation = Type.Object(
  { invitation: Type.String(), id: Id, fingerprint: Type.String(), expiresAt: Type.String(), url: Type.String() },
  { additionalProperties: false },
)

export const AcceptBody = Type.Object(
  { invitation: Type.String({ minLength: 1, maxLength: 4096 }), name: Type.Optional(PeerName), url: Type.Optional(Url) },
  { additionalProperties: false },
)

export const ApproveBody = Type.Object({ fingerprint: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })

export const SyncSummary = Type.Object(
  {
    peer: Type.String(),
    published: Count,
    pages: Count,
    received: Count,
    duplicates: Count,
    rejected: Count,
    checkpoint: Type.Union([Type.Object({ size: Count, verdict: Type.String() }, { additionalProperties: false }), Type.Null()]),
  },
  { additionalProperties: false },
)

export const FeedBody = Type.Object(
  {
    name: PeerName,
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'The TAXII 2.1 API root URL' }),
    collection: Type.String({ minLength: 1, maxLength: 300, description: 'The collection id to pull' }),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Bearer token' })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'HTTP Basic user name' })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'HTTP Basic password' })),
    defaultMarking: Type.Optional(
      Type.String({ pattern: '^(clear|green|amber|amber\\+strict|red)$', description: 'TLP given to objects that arrive without markings (default amber; never clear unless asked)' }),
    ),
  },
  { additionalProperties: false },
)

export const RegisterBody = Type.Object(
  {
    invitationId: Type.String({ minLength: 1, maxLength: 100 }),
    secret: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Url,
    verifierKey: Type.String({ minLength: 1, maxLength: 1000 }),
    token: Type.String({ minLength: 1, maxLength: 512 }),
    collection: Type.String({ minLength: 1, maxLength: 300 }),
    organisations: Type.Array(Organisation, { maxItems: 100 }),
  },
  { additionalProperties: false },
)
export const RegisterAnswer = Type.Object(
  { name: Type.String(), verifierKey: Type.String(), token: Type.String(), collection: Type.String(), organisations: Type.Array(Organisation) },
  { additionalProperties: false },
)
export const NotifyAnswer = Type.Object({ peer: Type.String() }, { additionalProperties: false })

const Hop = Type.Object({ from: Type.String(), to: Type.String(), agreementId: Type.String({ description: "The agreement the hop was made under ('' for TLP:CLEAR without one)" }) }, { additionalProperties: false })
export const PathsBody = Type.Object(
  {
    objects: Type.Array(Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }), version: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })) }, { additionalProperties: false }), {
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
)
export const PathsAnswer = Type.Object(
  { items: Type.Array(Type.Object({ id: Type.String(), version: Type.String(), path: Type.Array(Hop, { description: 'Hops from the origin node to the caller' }) }, { additionalProperties: false })) },
  { additionalProperties: false },
)
