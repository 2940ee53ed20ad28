import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import {
  ClientParams,
  ClientRelation,
  CreateOrganisationBody,
  Organisation,
  OrganisationList,
  UpdatedOrganisation,
  UpdateOrganisationBody,
} from '../../../contract/api/organisations.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentOrganisation } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const organisationsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { admin } = ctx.services

  app.get(
    '/organisations',
    { schema: { tags: ['Administration'], summary: 'List organisations, with their defaults and client relations (administrators)', response: { 200: OrganisationList, ...problems(401, 403) } } },
    async (request) => ({ items: unwrap(await admin.listOrganisations(viewerOf(request))).map(presentOrganisation) }),
  )

  app.post(
    '/organisations',
    {
      schema: {
        tags: ['Administration'],
        summary: 'Create an organisation, optionally with a default TLP (administrators)',
        body: CreateOrganisationBody,
        response: { 201: Organisation, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const viewer = viewerOf(request)
      const b = request.body
      const created = unwrap(await admin.createOrganisation(viewer, { name: b.name, ...(b.defaultTlp !== undefined ? { defaultTlp: b.defaultTlp } : {}) }))
      return reply.code(201).send(presentOrganisation(unwrap(await admin.getOrganisation(viewer, created.id))))
    },
  )

  app.get(
    '/organisations/:id',
    { schema: { tags: ['Administration'], summary: 'One organisation (administrators)', params: IdParams, response: { 200: Organisation, ...problems(401, 403, 404) } } },
    async (request) => presentOrganisation(unwrap(await admin.getOrganisation(viewerOf(request), request.params.id))),
  )

  app.patch(
    '/organisations/:id',
    {
      schema: {
        tags: ['Administration'],
        summary: 'Set or clear (null) an organisation’s default TLP (administrators): narrower raises its stored unmarked objects; wider or null needs force and applies to new input only',
        params: IdParams,
        body: UpdateOrganisationBody,
        response: { 200: UpdatedOrganisation, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const b = request.body
      const r = unwrap(await admin.updateOrganisation(viewer, { org: request.params.id, defaultTlp: b.defaultTlp, ...(b.force !== undefined ? { force: b.force } : {}) }))
      return { organisation: presentOrganisation(unwrap(await admin.getOrganisation(viewer, r.organisation.id))), raised: r.raised }
    },
  )

  app.put(
    '/organisations/:id/client-of/:parentId',
    {
      schema: {
        tags: ['Administration'],
        summary: 'Make organisation id a client of organisation parentId: TLP:AMBER addressed to the parent reaches it too (administrators). 201 when new, 200 when it already was',
        params: ClientParams,
        response: { 200: ClientRelation, 201: ClientRelation, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const r = unwrap(await admin.addClient(viewerOf(request), { client: request.params.id, of: request.params.parentId }))
      const { clientOrgId, parentOrgId, createdAt } = r.relation
      return reply.code(r.added ? 201 : 200).send({ clientOrgId, parentOrgId, createdAt })
    },
  )

  app.delete(
    '/organisations/:id/client-of/:parentId',
    {
      schema: {
        tags: ['Administration'],
        summary: 'End a client relation (administrators)',
        params: ClientParams,
        response: { 204: { type: 'null' }, ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      unwrap(await admin.removeClient(viewerOf(request), { client: request.params.id, of: request.params.parentId }))
      return reply.code(204).send(null)
    },
  )
}
