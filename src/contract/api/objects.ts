import Type from 'typebox'
import type { Static } from 'typebox'
import { LIMITS } from '../../core/shared/limits.js'
import { Cursor, Limit } from './common.js'

/** A STIX object: validated by the ingest pipeline with our STIX schemas, not by the route. */
export const StixObject = Type.Object({ type: Type.String(), id: Type.String() }, { description: 'A STIX 2.1 object (every property is kept)' })

/** A STIX 2.1 bundle. */
export const Bundle = Type.Object(
  {
    type: Type.Literal('bundle'),
    id: Type.String({ pattern: '^bundle--[0-9a-fA-F-]{36}$' }),
    objects: Type.Array(Type.Object({}), { description: `At most ${LIMITS.maxObjectsPerRequest} objects (more: 413 limit_exceeded)` }),
  },
  { description: 'A STIX 2.1 bundle (the bundle itself is not stored)' },
)
export type Bundle = Static<typeof Bundle>

export const ObjectResult = Type.Object(
  {
    index: Type.Integer({ description: 'Position in the bundle’s objects array' }),
    id: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.String(), Type.Null()]),
    outcome: Type.Union([Type.Literal('added'), Type.Literal('duplicate'), Type.Literal('failed')]),
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    pointer: Type.Optional(Type.String({ description: 'JSON pointer inside the object' })),
  },
  { additionalProperties: false },
)

export const AddObjectsResult = Type.Object(
  {
    statusId: Type.String({ description: 'The TAXII status resource recorded for this request' }),
    added: Type.Integer(),
    duplicates: Type.Integer(),
    failed: Type.Integer(),
    results: Type.Array(ObjectResult),
  },
  { additionalProperties: false },
)

export const ListObjectsQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated STIX types' })),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)

export const ObjectList = Type.Object(
  {
    items: Type.Array(StixObject, { description: 'Latest version of each object, in the order they were added' }),
    more: Type.Boolean(),
    nextCursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
)
