/**
 * TAXII 2.1 resources (OASIS TAXII 2.1, section 4 onwards). Property names are the specification's
 * and never transformed. Used for response serialisation (an allowlist) and for the OpenAPI document.
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** The only TAXII media type this server speaks. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1'
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1'

const Timestamp = Type.String({ description: 'RFC 3339 UTC timestamp', examples: ['2026-11-01T10:00:00.000000Z'] })

export const Discovery = Type.Object(
  {
    title: Type.String(),
    description: Type.Optional(Type.String()),
    contact: Type.Optional(Type.String()),
    default: Type.Optional(Type.String({ description: 'URL of the default API root' })),
    api_roots: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false, description: 'TAXII discovery resource' },
)
export type Discovery = Static<typeof Discovery>

export const ApiRoot = Type.Object(
  {
    title: Type.String(),
    description: Type.Optional(Type.String()),
    versions: Type.Array(Type.String()),
    max_content_length: Type.Integer(),
  },
  { additionalProperties: false, description: 'TAXII API root resource' },
)
export type ApiRoot = Static<typeof ApiRoot>

export const Collection = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    description: Type.Optional(Type.String()),
    alias: Type.Optional(Type.String()),
    can_read: Type.Boolean(),
    can_write: Type.Boolean(),
    media_types: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false, description: 'TAXII collection resource' },
)
export type Collection = Static<typeof Collection>

export const Collections = Type.Object(
  { collections: Type.Optional(Type.Array(Collection)) },
  { additionalProperties: false, description: 'TAXII collections resource' },
)

export const Envelope = Type.Object(
  {
    more: Type.Optional(Type.Boolean()),
    next: Type.Optional(Type.String()),
    objects: Type.Optional(Type.Array(Type.Object({}))),
  },
  { description: 'TAXII envelope' },
)

export const ManifestRecord = Type.Object(
  { id: Type.String(), date_added: Timestamp, version: Timestamp, media_type: Type.Optional(Type.String()) },
  { additionalProperties: false },
)
export type ManifestRecord = Static<typeof ManifestRecord>

export const Manifest = Type.Object(
  { more: Type.Optional(Type.Boolean()), next: Type.Optional(Type.String()), objects: Type.Optional(Type.Array(ManifestRecord)) },
  { additionalProperties: false, description: 'TAXII manifest resource' },
)

export const Versions = Type.Object(
  { more: Type.Optional(Type.Boolean()), next: Type.Optional(Type.String()), versions: Type.Optional(Type.Array(Timestamp)) },
  { additionalProperties: false, description: 'TAXII versions resource' },
)

export const StatusDetail = Type.Object(
  { id: Type.String(), version: Type.String(), message: Type.Optional(Type.String()) },
  { additionalProperties: false },
)
export type StatusDetail = Static<typeof StatusDetail>

export const Status = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('complete')]),
    request_timestamp: Type.Optional(Timestamp),
    total_count: Type.Integer(),
    success_count: Type.Integer(),
    successes: Type.Optional(Type.Array(StatusDetail)),
    failure_count: Type.Integer(),
    failures: Type.Optional(Type.Array(StatusDetail)),
    pending_count: Type.Integer(),
    pendings: Type.Optional(Type.Array(StatusDetail)),
  },
  { additionalProperties: false, description: 'TAXII status resource' },
)
export type Status = Static<typeof Status>

export const TaxiiError = Type.Object(
  {
    title: Type.String(),
    description: Type.Optional(Type.String()),
    error_id: Type.Optional(Type.String({ description: 'The request id' })),
    error_code: Type.Optional(Type.String({ description: 'Stable snake_case code (docs/errors.md)' })),
    http_status: Type.Optional(Type.String()),
    external_details: Type.Optional(Type.String()),
    details: Type.Optional(Type.Object({})),
  },
  { description: 'TAXII error resource' },
)
export type TaxiiError = Static<typeof TaxiiError>

// ---------------------------------------------------------------------------------------------
// Parameters. Filters are strings on the wire; `http/taxii/filters.ts` parses them.

const Filter = (description: string) => Type.Optional(Type.String({ description }))

export const CollectionParams = Type.Object({ id: Type.String({ maxLength: 300, description: 'Collection id or alias' }) })
export const ObjectParams = Type.Object({
  id: Type.String({ maxLength: 300, description: 'Collection id or alias' }),
  objectId: Type.String({ maxLength: 300, description: 'STIX id' }),
})
export const StatusParams = Type.Object({ statusId: Type.String({ maxLength: 300 }) })

const common = {
  added_after: Filter('Only objects added after this timestamp'),
  limit: Filter('Page size (positive integer; capped at the server maximum)'),
  next: Filter('Opaque cursor from the previous page'),
}
const matchSpecVersion = Filter('Comma-separated spec versions (default: latest spec version of each object)')
const matchVersion = Filter('Comma-separated: first, last, all or timestamps (default: last)')

export const ObjectsQuery = Type.Object({
  ...common,
  'match[id]': Filter('Comma-separated STIX ids'),
  'match[type]': Filter('Comma-separated STIX types'),
  'match[version]': matchVersion,
  'match[spec_version]': matchSpecVersion,
})
export const ObjectQuery = Type.Object({ ...common, 'match[version]': matchVersion, 'match[spec_version]': matchSpecVersion })
export const VersionsQuery = Type.Object({ ...common, 'match[spec_version]': matchSpecVersion })
export const DeleteQuery = Type.Object({ 'match[version]': matchVersion, 'match[spec_version]': matchSpecVersion })
