/** Correlation alerts: list (newest first, keyset cursor) and mark read. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AlertList, Alert, ListAlertsQuery } from '../../../contract/api/alerts.js'
import { IdParams } from '../../../contract/api/common.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

export const alertsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { alerts } = ctx.services

  app.get(
    '/alerts',
    {
      schema: {
        tags: ['Correlation'],
        summary: 'List correlation alerts, newest first',
        description:
          'Your organisation’s alerts. Administrators see every organisation’s (or one with `orgId`), and the suppressed matches with `suppressed=true`.',
        querystring: ListAlertsQuery,
        response: { 200: AlertList, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query
      return unwrap(
        await alerts.list(viewerOf(request), {
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
          ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
          ...(q.orgId !== undefined ? { orgId: q.orgId } : {}),
          ...(q.suppressed !== undefined ? { suppressed: q.suppressed } : {}),
        }),
      )
    },
  )

  app.post(
    '/alerts/:id/read',
    {
      schema: {
        tags: ['Correlation'],
        summary: 'Mark an alert read',
        params: IdParams,
        response: { 200: Alert, ...problems(400, 401, 404) },
      },
    },
    async (request) => unwrap(await alerts.markRead(viewerOf(request), request.params.id)),
  )
}
