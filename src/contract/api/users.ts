import Type from 'typebox'
import type { Static } from 'typebox'
import { Id, NullableTimestamp, Role, Timestamp } from './common.js'

/** A user as the API shows it: never a password hash. */
export const User = Type.Object(
  {
    id: Id,
    orgId: Id,
    username: Type.String(),
    role: Role,
    createdAt: Timestamp,
    disabledAt: NullableTimestamp,
  },
  { additionalProperties: false },
)
export type User = Static<typeof User>

export const UserList = Type.Object({ items: Type.Array(User) }, { additionalProperties: false })

export const ListUsersQuery = Type.Object({ orgId: Type.Optional(Id) }, { additionalProperties: false })

export const CreateUserBody = Type.Object(
  {
    orgId: Id,
    username: Type.String({ minLength: 2, maxLength: 64 }),
    role: Role,
    password: Type.Optional(Type.String({ minLength: 12, maxLength: 1024 })),
  },
  { additionalProperties: false },
)
export type CreateUserBody = Static<typeof CreateUserBody>

export const SetRoleBody = Type.Object({ role: Role }, { additionalProperties: false })
export const SetDisabledBody = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false })
