import Type from 'typebox'
import type { Static } from 'typebox'
import { Id, Name, Timestamp } from './common.js'

export const Organisation = Type.Object(
  {
    id: Id,
    name: Type.String(),
    identityId: Type.String({ description: 'The STIX identity this organisation signs as (created_by_ref)' }),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
)
export type Organisation = Static<typeof Organisation>

export const OrganisationList = Type.Object({ items: Type.Array(Organisation) }, { additionalProperties: false })

export const CreateOrganisationBody = Type.Object({ name: Name }, { additionalProperties: false })
export type CreateOrganisationBody = Static<typeof CreateOrganisationBody>
