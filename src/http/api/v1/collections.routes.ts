import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import {
  Collection,
  CollectionList,
  CreateCollectionBody,
  Permission,
  PermissionList,
  PermissionParams,
  SetPermissionBody,
  UpdateCollectionBody,
  UpdatedCollection,
} from '../../../contract/api/collections.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentCollection, presentPermission } from '../../presenters/api.presenter.js'
import { problems, type ApiContext } from './context.js'

export const collectionsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { admin, objects } = ctx.services

  app.get(
    '/collections',
    { schema: { tags: ['Collections'], summary: 'Collections you may see, with your rights', response: { 200: CollectionList, ...problems(401) } } },
    async (request) => ({ items: (await objects.listCollections(viewerOf(request))).map(presentCollection) }),
  )

  app.post(
    '/collections',
    { schema: { tags: ['Collections'], summary: 'Create a collection (administrators)', body: CreateCollectionBody, response: { 201: Collection, ...problems(400, 401, 403, 409) } } },
    async (request, reply) => {
      const viewer = viewerOf(request)
      const b = request.body
      const created = unwrap(
        await admin.createCollection(viewer, {
          title: b.title,
          ...(b.description !== undefined ? { description: b.description } : {}),
          ...(b.alias !== undefined ? { alias: b.alias } : {}),
          ...(b.defaultTlp !== undefined ? { defaultTlp: b.defaultTlp } : {}),
        }),
      )
      return reply.code(201).send(presentCollection(unwrap(await objects.getCollection(viewer, created.id))))
    },
  )

  app.get(
    '/collections/:id',
    { schema: { tags: ['Collections'], summary: 'One collection (by id or alias)', params: IdParams, response: { 200: Collection, ...problems(401, 404) } } },
    async (request) => presentCollection(unwrap(await objects.getCollection(viewerOf(request), request.params.id))),
  )

  app.patch(
    '/collections/:id',
    {
      schema: {
        tags: ['Collections'],
        summary: 'Change a collection’s default TLP (administrators): narrower raises stored unmarked objects; wider needs force and applies to new input only',
        params: IdParams,
        body: UpdateCollectionBody,
        response: { 200: UpdatedCollection, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const viewer = viewerOf(request)
      const r = unwrap(await admin.updateCollection(viewer, { collection: request.params.id, defaultTlp: request.body.defaultTlp, ...(request.body.force !== undefined ? { force: request.body.force } : {}) }))
      return { collection: presentCollection(unwrap(await objects.getCollection(viewer, r.collection.id))), raised: r.raised }
    },
  )

  app.get(
    '/collections/:id/permissions',
    { schema: { tags: ['Collections'], summary: 'Rights of each organisation (administrators)', params: IdParams, response: { 200: PermissionList, ...problems(401, 403, 404) } } },
    async (request) => ({ items: unwrap(await admin.collectionPermissions(viewerOf(request), request.params.id)).map(presentPermission) }),
  )

  app.put(
    '/collections/:id/permissions/:orgId',
    {
      schema: {
        tags: ['Collections'],
        summary: 'Set an organisation’s rights on a collection (administrators)',
        params: PermissionParams,
        body: SetPermissionBody,
        response: { 200: Permission, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      presentPermission(
        unwrap(
          await admin.setCollectionPermission(viewerOf(request), {
            collection: request.params.id,
            orgId: request.params.orgId,
            canRead: request.body.canRead,
            canWrite: request.body.canWrite,
          }),
        ),
      ),
  )
}
