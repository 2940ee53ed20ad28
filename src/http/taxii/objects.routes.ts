/**
 * TAXII 2.1 objects endpoints: Get Objects, Add Objects, Get An Object, Delete An Object,
 * Get Object Versions and Get Object Manifests. Bodies of listings are built from the stored
 * canonical JSON (presenters), and every listing is a keyset page with an opaque `next`.
 */
import type { FastifyPluginAsync } from 'fastify'
import { LIMITS } from '../../core/shared/limits.js'
import {
  CollectionParams,
  DeleteQuery,
  Envelope,
  Manifest,
  ObjectParams,
  ObjectQuery,
  ObjectsQuery,
  Status,
  TaxiiError,
  Versions,
  VersionsQuery,
} from '../../contract/taxii/resources.js'
import { DomainFailure, unwrap } from '../errors.js'
import { viewerOf } from '../plugins/auth.js'
import { envelopeBody, manifestBody, presentStatus, setDateAddedHeaders, versionsBody } from '../presenters/taxii.presenter.js'
import type { CursorScope } from './cursor.js'
import { API_ROOT, nextCursor, position, taxiiQuery, type TaxiiContext } from './context.js'

const readErrors = { 400: TaxiiError, 401: TaxiiError, 403: TaxiiError, 404: TaxiiError, 406: TaxiiError }
const ALL_VERSIONS = { first: false, last: false, all: true, versions: [] } as const

/** Checks the shape of an Add Objects envelope; returns its objects. */
export function envelopeObjects(body: unknown): readonly unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/body', message: 'must be a TAXII envelope: an object with an objects array' }] })
  }
  const objects = (body as Record<string, unknown>)['objects']
  if (!Array.isArray(objects)) {
    throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/body/objects', message: 'must be an array of STIX objects' }] })
  }
  if (objects.length > LIMITS.maxObjectsPerRequest) {
    throw new DomainFailure({ code: 'limit_exceeded', limit: 'objects per request', max: LIMITS.maxObjectsPerRequest })
  }
  return objects
}

export const objectsRoutes: FastifyPluginAsync<{ ctx: TaxiiContext }> = async (app, { ctx }) => {
  const { objects, ingest } = ctx.services
  const base = `/${API_ROOT}/collections/:id`

  app.get<{ Params: { id: string } }>(
    `${base}/objects/`,
    {
      schema: {
        tags: ['TAXII'],
        summary: 'Get objects',
        params: CollectionParams,
        querystring: ObjectsQuery,
        response: { 200: Envelope, ...readErrors },
      },
    },
    async (request, reply) => {
      const q = taxiiQuery(ctx, 'objects', request)
      const scope: CursorScope = { endpoint: 'objects', collection: request.params.id, filters: q.filters }
      const after = position(ctx, q.next, scope)
      const page = unwrap(await objects.listObjects(viewerOf(request), { collection: request.params.id, filters: q.filters, after, limit: q.limit, withContent: true }))
      setDateAddedHeaders(reply, page.items)
      return reply.send(envelopeBody(page.items, page.more, nextCursor(ctx, page.next, scope)))
    },
  )

  app.post<{ Params: { id: string } }>(
    `${base}/objects/`,
    {
      schema: {
        tags: ['TAXII'],
        summary: 'Add objects',
        description: `Body: a TAXII envelope {"objects": [...]} with at most ${LIMITS.maxObjectsPerRequest} objects, Content-Type ${'application/taxii+json;version=2.1'}. Invalid objects are reported in the status failures; valid ones are stored.`,
        params: CollectionParams,
        response: { 202: Status, 400: TaxiiError, 401: TaxiiError, 403: TaxiiError, 404: TaxiiError, 406: TaxiiError, 413: TaxiiError, 415: TaxiiError },
      },
    },
    async (request, reply) => {
      const list = envelopeObjects(request.body)
      const r = unwrap(await ingest.addObjects(viewerOf(request), { collection: request.params.id, objects: list }))
      let added = 0
      let duplicates = 0
      for (const x of r.results) {
        if (x.outcome === 'added') added++
        else if (x.outcome === 'duplicate') duplicates++
      }
      ctx.metrics.ingested('taxii', { added, duplicates, failed: r.results.length - added - duplicates })
      request.log.info({ collection: r.status.collectionId, status: r.status.id, total: r.status.totalCount, failed: r.status.failureCount }, 'objects added')
      return reply.code(202).send(presentStatus(r.status))
    },
  )

  app.get<{ Params: { id: string; objectId: string } }>(
    `${base}/objects/:objectId/`,
    { schema: { tags: ['TAXII'], summary: 'Get an object', params: ObjectParams, querystring: ObjectQuery, response: { 200: Envelope, ...readErrors } } },
    async (request, reply) => {
      const { id, objectId } = request.params
      const q = taxiiQuery(ctx, 'object', request)
      const scope: CursorScope = { endpoint: 'object', collection: id, objectId, filters: q.filters }
      const after = position(ctx, q.next, scope)
      const page = unwrap(await objects.objectEntries(viewerOf(request), { collection: id, id: objectId, filters: q.filters, after, limit: q.limit, withContent: true }))
      setDateAddedHeaders(reply, page.items)
      return reply.send(envelopeBody(page.items, page.more, nextCursor(ctx, page.next, scope)))
    },
  )

  app.delete<{ Params: { id: string; objectId: string } }>(
    `${base}/objects/:objectId/`,
    {
      schema: {
        tags: ['TAXII'],
        summary: 'Delete an object',
        description: 'Removes the matching versions (default: every version) from the collection. Needs read and write rights.',
        params: ObjectParams,
        querystring: DeleteQuery,
        response: { 400: TaxiiError, 401: TaxiiError, 403: TaxiiError, 404: TaxiiError, 406: TaxiiError },
      },
    },
    async (request, reply) => {
      const { id, objectId } = request.params
      const q = taxiiQuery(ctx, 'delete', request)
      const r = unwrap(
        await objects.deleteObject(viewerOf(request), {
          collection: id,
          id: objectId,
          ...(q.filters.versions !== undefined ? { versions: q.filters.versions } : {}),
          ...(q.filters.specVersions !== undefined ? { specVersions: q.filters.specVersions } : {}),
        }),
      )
      request.log.info({ collection: id, object: objectId, removed: r.removed }, 'object removed from collection')
      return reply.code(200).send()
    },
  )

  app.get<{ Params: { id: string; objectId: string } }>(
    `${base}/objects/:objectId/versions/`,
    { schema: { tags: ['TAXII'], summary: 'Get object versions', params: ObjectParams, querystring: VersionsQuery, response: { 200: Versions, ...readErrors } } },
    async (request, reply) => {
      const { id, objectId } = request.params
      const q = taxiiQuery(ctx, 'versions', request)
      const filters = { ...q.filters, versions: ALL_VERSIONS }
      const scope: CursorScope = { endpoint: 'versions', collection: id, objectId, filters }
      const after = position(ctx, q.next, scope)
      const page = unwrap(await objects.objectEntries(viewerOf(request), { collection: id, id: objectId, filters, after, limit: q.limit, withContent: false }))
      setDateAddedHeaders(reply, page.items)
      return reply.send(versionsBody(page.items, page.more, nextCursor(ctx, page.next, scope)))
    },
  )

  app.get<{ Params: { id: string } }>(
    `${base}/manifest/`,
    { schema: { tags: ['TAXII'], summary: 'Get object manifests', params: CollectionParams, querystring: ObjectsQuery, response: { 200: Manifest, ...readErrors } } },
    async (request, reply) => {
      const q = taxiiQuery(ctx, 'manifest', request)
      const scope: CursorScope = { endpoint: 'manifest', collection: request.params.id, filters: q.filters }
      const after = position(ctx, q.next, scope)
      const page = unwrap(await objects.listObjects(viewerOf(request), { collection: request.params.id, filters: q.filters, after, limit: q.limit, withContent: false }))
      setDateAddedHeaders(reply, page.items)
      return reply.send(manifestBody(page.items, page.more, nextCursor(ctx, page.next, scope)))
    },
  )
}
