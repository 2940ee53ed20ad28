/**
 * The REST administration API at /api/v1: authentication on every route, problem+json for every
 * error (inherited from the root), and one route plugin per area.
 */
import type { FastifyPluginAsync } from 'fastify'
import { authHook } from '../../plugins/auth.js'
import { alertsRoutes } from './alerts.routes.js'
import { collectionsRoutes } from './collections.routes.js'
import type { ApiContext } from './context.js'
import { importsRoutes } from './imports.routes.js'
import { logRoutes } from './log.routes.js'
import { meRoutes } from './me.routes.js'
import { objectsRoutes } from './objects.routes.js'
import { organisationsRoutes } from './organisations.routes.js'
import { tokensRoutes } from './tokens.routes.js'
import { usersRoutes } from './users.routes.js'
import { casesRoutes } from './cases.routes.js'
import { webhooksRoutes } from './webhooks.routes.js'
import { sessionRoutes } from './session.routes.js'
import { eventsRoutes } from './events.routes.js'
import { exploreRoutes } from './explore.routes.js'
import { peersRoutes } from './peers.routes.js'
import { agreementsRoutes } from './agreements.routes.js'

export const apiV1Plugin: FastifyPluginAsync<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.addHook('onRequest', authHook(ctx.services.admin, ctx.services.auth))
  for (const routes of [meRoutes, organisationsRoutes, usersRoutes, tokensRoutes, collectionsRoutes, objectsRoutes, importsRoutes, logRoutes, alertsRoutes, casesRoutes, webhooksRoutes, sessionRoutes, eventsRoutes, exploreRoutes, peersRoutes, agreementsRoutes]) {
    await app.register(routes, { ctx })
  }
}
