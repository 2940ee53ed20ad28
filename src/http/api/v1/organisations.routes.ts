import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CreateOrganisationBody, Organisation, OrganisationList } from '../../../contract/api/organisations.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentOrganisation } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const organisationsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { admin } = ctx.services

  app.get(
    '/organisations',
    { schema: { tags: ['Administration'], summary: 'List organisations (administrators)', response: { 200: OrganisationList, ...problems(401, 403) } } },
    async (request) => ({ items: unwrap(await admin.listOrganisations(viewerOf(request))).map(presentOrganisation) }),
  )

  app.post(
    '/organisations',
    {
      schema: {
        tags: ['Administration'],
        summary: 'Create an organisation (administrators)',
        body: CreateOrganisationBody,
        response: { 201: Organisation, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(presentOrganisation(unwrap(await admin.createOrganisation(viewerOf(request), { name: request.body.name })))),
  )
}
