import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Me } from '../../../contract/api/me.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentMe } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const meRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app) => {
  app.get('/me', { schema: { tags: ['Account'], summary: 'Who am I', response: { 200: Me, ...problems(401) } } }, async (request) => presentMe(viewerOf(request)))
}
