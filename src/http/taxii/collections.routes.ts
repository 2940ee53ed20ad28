/** TAXII 2.1 Get Collections and Get A Collection. Rights are the caller's. */
import type { FastifyPluginAsync } from 'fastify'
import { Collection, CollectionParams, Collections, TaxiiError } from '../../contract/taxii/resources.js'
import { unwrap } from '../errors.js'
import { viewerOf } from '../plugins/auth.js'
import { presentCollection } from '../presenters/taxii.presenter.js'
import { API_ROOT, type TaxiiContext } from './context.js'

const errors = { 401: TaxiiError, 404: TaxiiError, 406: TaxiiError }

export const collectionsRoutes: FastifyPluginAsync<{ ctx: TaxiiContext }> = async (app, { ctx }) => {
  const { objects } = ctx.services

  app.get(
    `/${API_ROOT}/collections/`,
    { schema: { tags: ['TAXII'], summary: 'Get collections', response: { 200: Collections, ...errors } } },
    async (request) => ({ collections: (await objects.listCollections(viewerOf(request))).map(presentCollection) }),
  )

  app.get<{ Params: { id: string } }>(
    `/${API_ROOT}/collections/:id/`,
    { schema: { tags: ['TAXII'], summary: 'Get a collection (by id or alias)', params: CollectionParams, response: { 200: Collection, ...errors } } },
    async (request) => presentCollection(unwrap(await objects.getCollection(viewerOf(request), request.params.id))),
  )
}
