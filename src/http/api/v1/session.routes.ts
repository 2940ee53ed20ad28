/**
 * Web sign-in: `POST /session` (username and password → session cookie and CSRF token),
 * `GET /session` (who is signed in, and the CSRF token again after a reload), `DELETE /session`
 * (sign-out), and `PUT /users/{id}/password` (administrators set a password).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { IdParams } from '../../../contract/api/common.js'
import { PasswordBody, SessionView, SignInBody } from '../../../contract/api/session.js'
import { User } from '../../../contract/api/users.js'
import { HttpFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { WWW_AUTHENTICATE } from '../../plugins/problem.js'
import { clearSessionCookie, secureCookies, sessionCookie, setSessionCookie } from '../../plugins/session.js'
import { presentUser } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

const tags = ['Account']

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { auth } = ctx.services
  const secureConfigured = ctx.options.secureCookies === true

  app.post(
    '/session',
    {
      config: { auth: 'optional', csrf: 'skip' },
      schema: {
        tags,
        summary: 'Sign in with a username and password (web app)',
        description: 'Sets the session cookie (HttpOnly, SameSite=Strict, Secure over https) and returns the CSRF token to send as X-CSRF-Token on unsafe requests.',
        security: [],
        body: SignInBody,
        response: { 200: SessionView, ...problems(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const r = await auth.signIn({ username: request.body.username, password: request.body.password, address: request.ip })
      if (!r.ok) {
        if (r.error.reason === 'rate_limited')
          throw new HttpFailure('rate_limited', 'too many failed sign-ins: wait before trying again', { 'retry-after': String(r.error.retryAfterSeconds) })
        request.log.info({ event: 'sign_in_failed' }, 'sign-in failed')
        throw new HttpFailure('unauthenticated', 'the username or password is wrong, or the account cannot sign in', { 'www-authenticate': WWW_AUTHENTICATE })
      }
      const s = r.value
      setSessionCookie(reply, s.sessionId, auth.options.absoluteHours * 3600, secureCookies(request, secureConfigured))
      reply.header('cache-control', 'no-store')
      request.log.info({ event: 'signed_in', userId: s.viewer.userId }, 'signed in')
      return { user: { userId: s.viewer.userId, username: s.viewer.username, orgId: s.viewer.orgId, role: s.viewer.role }, csrfToken: s.csrfToken, expiresAt: s.expiresAt }
    },
  )

  app.get(
    '/session',
    { schema: { tags, summary: 'The signed-in user and the CSRF token (session cookie only)', response: { 200: SessionView, ...problems(401) } } },
    async (request, reply) => {
      const viewer = viewerOf(request)
      const id = request.sessionId
      const s = id === undefined ? null : await auth.authenticate(id)
      if (viewer.kind !== 'user' || !s) throw new HttpFailure('unauthenticated', 'no web session: this endpoint answers requests made with the session cookie', { 'www-authenticate': WWW_AUTHENTICATE })
      reply.header('cache-control', 'no-store')
      return { user: { userId: viewer.userId, username: viewer.username, orgId: viewer.orgId, role: viewer.role }, csrfToken: s.csrfToken, expiresAt: s.expiresAt }
    },
  )

  app.delete(
    '/session',
    { config: { auth: 'optional' }, schema: { tags, summary: 'Sign out: ends the session and clears the cookie', response: { 204: Type.Null({ description: 'Signed out' }), ...problems(403) } } },
    async (request, reply) => {
      const id = request.sessionId ?? sessionCookie(request)
      if (request.sessionId !== undefined && id !== undefined) await auth.signOut(id)
      clearSessionCookie(reply, secureCookies(request, secureConfigured))
      return reply.code(204).send(null)
    },
  )

  app.put(
    '/users/:id/password',
    {
      schema: {
        tags: ['Administration'],
        summary: "Set a user's password (administrators); ends every session of theirs",
        params: IdParams,
        body: PasswordBody,
        response: { 200: User, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => presentUser(unwrap(await auth.setPassword(viewerOf(request), { userId: request.params.id, password: request.body.password }))),
  )
}
