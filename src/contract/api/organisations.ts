import Type from 'typebox'
import type { Static } from 'typebox'
import { TlpName } from './collections.js'
import { Id, Name, Timestamp } from './common.js'

export const Organisation = Type.Object(
  {
    id: Id,
    name: Type.String(),
    identityId: Type.String({ description: 'The STIX identity this organisation signs as (created_by_ref)' }),
    createdAt: Timestamp,
    defaultTlp: Type.Union([TlpName, Type.Null()], {
      description: "The organisation's default marking: unmarked input its users and tokens submit gets the stricter of this and the receiving collection's default (null: the collection's alone)",
    }),
    clientOf: Type.Array(Id, { description: 'Organisations this one is a client of (TLP:AMBER reaches recipients and their clients)' }),
    clients: Type.Array(Id, { description: 'Organisations that are clients of this one' }),
  },
  { additionalProperties: false },
)
export type Organisation = Static<typeof Organisation>

export const OrganisationList = Type.Object({ items: Type.Array(Organisation) }, { additionalProperties: false })

export const CreateOrganisationBody = Type.Object(
  {
    name: Name,
    /** Default: none (the collection's default alone). */
    defaultTlp: Type.Optional(TlpName),
  },
  { additionalProperties: false },
)
export type CreateOrganisationBody = Static<typeof CreateOrganisationBody>

/** PATCH /organisations/{id}: null clears the default; a wider default (or clearing it) needs `force`. */
export const UpdateOrganisationBody = Type.Object({ defaultTlp: Type.Union([TlpName, Type.Null()]), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false })
export const UpdatedOrganisation = Type.Object({ organisation: Organisation, raised: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })

/** `/organisations/{id}/client-of/{parentId}`: organisation `id` is (to be) a client of `parentId`. */
export const ClientParams = Type.Object({ id: Id, parentId: Id }, { additionalProperties: false })
export const ClientRelation = Type.Object({ clientOrgId: Id, parentOrgId: Id, createdAt: Timestamp }, { additionalProperties: false })
