import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { CreatedToken, CreateTokenBody, ListTokensQuery, Token, TokenList } from '../../../contract/api/tokens.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentToken } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const tokensRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { admin } = ctx.services

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['Account'],
        summary: 'Create an API token',
        description: 'For yourself, or (administrators) for `userId`. The secret is in this answer only; the node keeps its SHA-256.',
        body: CreateTokenBody,
        response: { 201: CreatedToken, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const b = request.body
      const created = unwrap(
        await admin.createToken(viewerOf(request), {
          name: b.name,
          ...(b.userId !== undefined ? { userId: b.userId } : {}),
          ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
        }),
      )
      request.log.info({ token: created.token.id, user: created.token.userId }, 'token created')
      return reply.code(201).header('cache-control', 'no-store').send({ token: presentToken(created.token), secret: created.secret })
    },
  )

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['Account'],
        summary: 'List API tokens (never their secrets)',
        description: 'Your own tokens; administrators may list anyone’s with `userId`, or every token without it.',
        querystring: ListTokensQuery,
        response: { 200: TokenList, ...problems(400, 401, 403) },
      },
    },
    async (request) => ({ items: unwrap(await admin.listTokens(viewerOf(request), request.query.userId)).map(presentToken) }),
  )

  app.delete(
    '/tokens/:id',
    { schema: { tags: ['Account'], summary: 'Revoke an API token', params: IdParams, response: { 200: Token, ...problems(401, 404) } } },
    async (request) => {
      const token = unwrap(await admin.revokeToken(viewerOf(request), request.params.id))
      request.log.info({ token: token.id }, 'token revoked')
      return presentToken(token)
    },
  )
}
