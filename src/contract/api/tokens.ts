import Type from 'typebox'
import type { Static } from 'typebox'
import { Id, Name, NullableTimestamp, Timestamp } from './common.js'

/** An API token as listings show it: no secret. */
export const Token = Type.Object(
  {
    id: Id,
    userId: Id,
    name: Type.String(),
    prefix: Type.String({ description: 'First characters of the secret, to tell tokens apart; not secret' }),
    createdAt: Timestamp,
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
    lastUsedAt: NullableTimestamp,
  },
  { additionalProperties: false },
)
export type Token = Static<typeof Token>

/** The answer to creating a token: the only time the secret is shown. */
export const CreatedToken = Type.Object(
  {
    token: Token,
    secret: Type.String({ description: 'The token secret. Shown once; only its SHA-256 is stored.' }),
  },
  { additionalProperties: false },
)

export const TokenList = Type.Object({ items: Type.Array(Token) }, { additionalProperties: false })

export const ListTokensQuery = Type.Object({ userId: Type.Optional(Id) }, { additionalProperties: false })

export const CreateTokenBody = Type.Object(
  {
    name: Name,
    userId: Type.Optional(Id),
    expiresAt: Type.Optional(Type.String({ maxLength: 64, description: 'RFC 3339 UTC timestamp in the future' })),
  },
  { additionalProperties: false },
)
export type CreateTokenBody = Static<typeof CreateTokenBody>
