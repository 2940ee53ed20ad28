import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { CreateUserBody, ListUsersQuery, SetDisabledBody, SetRoleBody, User, UserList } from '../../../contract/api/users.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentUser } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const usersRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { admin } = ctx.services

  app.get(
    '/users',
    { schema: { tags: ['Administration'], summary: 'List users (administrators)', querystring: ListUsersQuery, response: { 200: UserList, ...problems(400, 401, 403) } } },
    async (request) => ({ items: unwrap(await admin.listUsers(viewerOf(request), request.query.orgId)).map(presentUser) }),
  )

  app.post(
    '/users',
    { schema: { tags: ['Administration'], summary: 'Create a user (administrators)', body: CreateUserBody, response: { 201: User, ...problems(400, 401, 403, 404, 409) } } },
    async (request, reply) => {
      const b = request.body
      const user = unwrap(
        await admin.createUser(viewerOf(request), { orgId: b.orgId, username: b.username, role: b.role, ...(b.password !== undefined ? { password: b.password } : {}) }),
      )
      return reply.code(201).send(presentUser(user))
    },
  )

  app.put(
    '/users/:id/role',
    {
      schema: { tags: ['Administration'], summary: 'Set a user’s role (administrators)', params: IdParams, body: SetRoleBody, response: { 200: User, ...problems(400, 401, 403, 404) } },
    },
    async (request) => presentUser(unwrap(await admin.setRole(viewerOf(request), { userId: request.params.id, role: request.body.role }))),
  )

  app.put(
    '/users/:id/disabled',
    {
      schema: {
        tags: ['Administration'],
        summary: 'Disable a user (their tokens stop working at once) or enable them again (administrators)',
        params: IdParams,
        body: SetDisabledBody,
        response: { 200: User, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => presentUser(unwrap(await admin.setUserDisabled(viewerOf(request), { userId: request.params.id, disabled: request.body.disabled }))),
  )
}
