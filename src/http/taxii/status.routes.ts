/** TAXII 2.1 Get Status: /taxii2/api/status/{id}/; only the requesting organisation may read it. */
import type { FastifyPluginAsync } from 'fastify'
import { Status, StatusParams, TaxiiError } from '../../contract/taxii/resources.js'
import { unwrap } from '../errors.js'
import { viewerOf } from '../plugins/auth.js'
import { presentStatus } from '../presenters/taxii.presenter.js'
import { API_ROOT, type TaxiiContext } from './context.js'

export const statusRoutes: FastifyPluginAsync<{ ctx: TaxiiContext }> = async (app, { ctx }) => {
  app.get<{ Params: { statusId: string } }>(
    `/${API_ROOT}/status/:statusId/`,
    { schema: { tags: ['TAXII'], summary: 'Get status', params: StatusParams, response: { 200: Status, 401: TaxiiError, 404: TaxiiError, 406: TaxiiError } } },
    async (request) => presentStatus(unwrap(await ctx.services.objects.getStatusById(viewerOf(request), request.params.statusId))),
  )
}
