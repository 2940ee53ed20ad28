/** Web sign-in (cookie sessions) and passwords. */
import Type from 'typebox'
import type { Static } from 'typebox'
import { Role, Timestamp } from './common.js'

export const SignInBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)
export type SignInBody = Static<typeof SignInBody>

export const SessionView = Type.Object(
  {
    user: Type.Object(
      { userId: Type.String(), username: Type.String(), orgId: Type.String(), role: Role },
      { additionalProperties: false },
    ),
    csrfToken: Type.String({ description: 'Send it back as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE made with the session cookie' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
)

export const PasswordBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false })

export const SearchQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 250, description: 'One STIX type' })),
    marking: Type.Optional(Type.String({ maxLength: 100, description: 'A marking-definition id (for example a TLP marking)' })),
    source: Type.Optional(Type.String({ maxLength: 100, description: 'An identity id (created_by_ref)' })),
    from: Type.Optional(Type.String({ maxLength: 40, description: 'Added at or after (RFC 3339)' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Added before (RFC 3339)' })),
    text: Type.Optional(Type.String({ maxLength: 200, description: 'Text anywhere in the object (case-insensitive)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
)

export const SearchResult = Type.Object(
  {
    items: Type.Array(Type.Object({ type: Type.String(), id: Type.String() }), { description: 'Latest versions, newest first' }),
    nextCursor: Type.Optional(Type.String({ description: 'Present while more memberships remain to be examined; a page may be short (even empty) and still have one' })),
  },
  { additionalProperties: false },
)

export const ObjectDetailView = Type.Object(
  {
    collectionId: Type.String(),
    versions: Type.Array(Type.Object({ type: Type.String(), id: Type.String() }), { description: 'Every version in the collection, oldest first' }),
    edges: Type.Array(
      Type.Object({ id: Type.String(), relationshipType: Type.String(), source: Type.String(), target: Type.String() }, { additionalProperties: false }),
    ),
    nodes: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false })),
    truncated: Type.Boolean(),
  },
  { additionalProperties: false },
)
