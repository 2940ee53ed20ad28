import Type from 'typebox'
import { Id, Timestamp } from './common.js'

export const ImportFailure = Type.Object(
  {
    index: Type.Integer(),
    id: Type.Union([Type.String(), Type.Null()]),
    code: Type.String(),
    message: Type.String(),
    pointer: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

export const ImportJob = Type.Object(
  {
    id: Id,
    collectionId: Id,
    source: Type.String(),
    state: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    processed: Type.Integer({ description: 'Objects of the bundle processed so far' }),
    added: Type.Integer(),
    duplicates: Type.Integer(),
    failed: Type.Integer(),
    failures: Type.Array(ImportFailure),
    error: Type.Union([Type.String(), Type.Null()]),
    createdBy: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
)

export const ImportJobList = Type.Object({ items: Type.Array(ImportJob) }, { additionalProperties: false })

export const ListImportsQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
)

export const StartImportQuery = Type.Object(
  { source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A name for the upload (a file name), for display' })) },
  { additionalProperties: false },
)
