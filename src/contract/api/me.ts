import Type from 'typebox'
import type { Static } from 'typebox'
import { Role } from './common.js'

/** Who the caller is. */
export const Me = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('system')]),
    userId: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    name: Type.Optional(Type.String({ description: 'System actors only' })),
    orgId: Type.String(),
    role: Type.Optional(Role),
  },
  { additionalProperties: false },
)
export type Me = Static<typeof Me>
