import Type from 'typebox'
import type { Static } from 'typebox'
import { Id, Name, Timestamp } from './common.js'

/** A TLP 2.0 level by name. */
export const TlpName = Type.Union([Type.Literal('clear'), Type.Literal('green'), Type.Literal('amber'), Type.Literal('amber+strict'), Type.Literal('red')])

/** A collection with the caller's rights on it. */
export const Collection = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    alias: Type.Union([Type.String(), Type.Null()]),
    mediaTypes: Type.Array(Type.String()),
    createdAt: Timestamp,
    canRead: Type.Boolean(),
    canWrite: Type.Boolean(),
    /** What unmarked input stored here gets (docs/markings.md "Defaults"). */
    defaultTlp: TlpName,
  },
  { additionalProperties: false },
)
export type Collection = Static<typeof Collection>

export const CollectionList = Type.Object({ items: Type.Array(Collection) }, { additionalProperties: false })

export const CreateCollectionBody = Type.Object(
  {
    title: Name,
    description: Type.Optional(Type.String({ maxLength: 10_000 })),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9][a-z0-9-]*$' })),
    /** Default: amber. */
    defaultTlp: Type.Optional(TlpName),
  },
  { additionalProperties: false },
)
export type CreateCollectionBody = Static<typeof CreateCollectionBody>

/** PATCH /collections/{id}: a wider default needs `force` (stored objects keep their audience). */
export const UpdateCollectionBody = Type.Object({ defaultTlp: TlpName, force: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export const UpdatedCollection = Type.Object({ collection: Collection, raised: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })

export const Permission = Type.Object(
  { collectionId: Id, orgId: Id, canRead: Type.Boolean(), canWrite: Type.Boolean() },
  { additionalProperties: false },
)
export const PermissionList = Type.Object({ items: Type.Array(Permission) }, { additionalProperties: false })

export const PermissionParams = Type.Object({ id: Id, orgId: Id }, { additionalProperties: false })

export const SetPermissionBody = Type.Object({ canRead: Type.Boolean(), canWrite: Type.Boolean() }, { additionalProperties: false })

/** POST /collections/{id}/objects/{objectId}/share: name recipients on the producer's own object (a new version). */
export const ShareParams = Type.Object({ id: Id, objectId: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false })
export const ShareBody = Type.Object(
  { to: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
)
export const ShareResult = Type.Object(
  { id: Type.String(), version: Type.String(), collectionId: Id, recipients: Type.Array(Type.String()) },
  { additionalProperties: false },
)
