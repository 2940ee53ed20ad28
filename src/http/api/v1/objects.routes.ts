/** REST objects: upload a STIX bundle (per-object results) and list a collection's objects. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { AddObjectsResult, Bundle, ListObjectsQuery, ObjectList } from '../../../contract/api/objects.js'
import { ShareBody, ShareParams, ShareResult } from '../../../contract/api/collections.js'
import { DomainFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { decodeCursor, encodeCursor, type CursorScope } from '../../taxii/cursor.js'
import { parseTaxiiQuery } from '../../taxii/filters.js'
import type { CollectionEntry } from '../../../store/port.js'
import { problems, type ApiContext } from './context.js'

const REST_NAMES: Record<string, string> = { '/query/match[type]': '/query/type', '/query/next': '/query/cursor' }

function listBody(items: readonly CollectionEntry[], more: boolean, next: string | null): string {
  let body = '{"items":['
  for (let i = 0; i < items.length; i++) body += (i === 0 ? '' : ',') + (items[i] as CollectionEntry).json
  return `${body}],"more":${more ? 'true' : 'false'}${next !== null ? `,"nextCursor":${JSON.stringify(next)}` : ''}}`
}

export const objectsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { ingest, objects, share } = ctx.services

  app.post(
    '/collections/:id/objects/:objectId/share',
    {
      schema: {
        tags: ['Objects'],
        summary: 'Name recipients on your organisation’s own object',
        description: 'Stores a new version of the object carrying the recipients extension (`recipient_refs`), through the ingest pipeline. `to`: organisation names or ids on this node, or identity ids (a peer’s organisations). Recipients already named are kept.',
        params: ShareParams,
        body: ShareBody,
        response: { 200: ShareResult, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => unwrap(await share.share(viewerOf(request), { id: request.params.objectId, to: request.body.to, collection: request.params.id })),
  )

  app.post(
    '/collections/:id/objects',
    {
      schema: {
        tags: ['Objects'],
        summary: 'Add the objects of a STIX bundle',
        description: 'Each object goes through the ingest pipeline; invalid ones are reported in `results` and not stored, valid ones are stored.',
        params: IdParams,
        body: Bundle,
        response: { 200: AddObjectsResult, ...problems(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const r = unwrap(await ingest.addObjects(viewerOf(request), { collection: request.params.id, objects: request.body.objects }))
      let added = 0
      let duplicates = 0
      let failed = 0
      for (const x of r.results) {
        if (x.outcome === 'added') added++
        else if (x.outcome === 'duplicate') duplicates++
        else failed++
      }
      ctx.metrics.ingested('rest', { added, duplicates, failed })
      request.log.info({ collection: r.status.collectionId, added, duplicates, failed }, 'bundle added')
      return {
        statusId: r.status.id,
        added,
        duplicates,
        failed,
        results: r.results.map((x) => ({
          index: x.index,
          id: x.id,
          version: x.version,
          outcome: x.outcome,
          ...(x.code !== undefined ? { code: x.code } : {}),
          ...(x.message !== undefined ? { message: x.message } : {}),
          ...(x.pointer !== undefined ? { pointer: x.pointer } : {}),
        })),
      }
    },
  )

  app.get(
    '/collections/:id/objects',
    {
      schema: {
        tags: ['Objects'],
        summary: 'List objects (latest versions), oldest first',
        params: IdParams,
        querystring: ListObjectsQuery,
        response: { 200: ObjectList, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { type, limit, cursor } = request.query
      const parsed = parseTaxiiQuery(
        'objects',
        { ...(type !== undefined ? { 'match[type]': type } : {}), ...(limit !== undefined ? { limit: String(limit) } : {}), ...(cursor !== undefined ? { next: cursor } : {}) },
        { defaultLimit: Math.min(100, ctx.options.taxii.maxPageSize), maxLimit: ctx.options.taxii.maxPageSize },
      )
      if (!parsed.ok) {
        throw new DomainFailure({ code: 'validation_failed', issues: parsed.error.map((i) => ({ pointer: REST_NAMES[i.pointer] ?? i.pointer, message: i.message })) })
      }
      const q = parsed.value
      const scope: CursorScope = { endpoint: 'rest-objects', collection: request.params.id, filters: q.filters }
      let after = null
      if (q.next !== null) {
        const d = decodeCursor(q.next, scope, ctx.cursorKey)
        if (!d.ok) throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/query/cursor', message: d.error.message }] })
        after = d.value
      }
      const page = unwrap(await objects.listObjects(viewerOf(request), { collection: request.params.id, filters: q.filters, after, limit: q.limit, withContent: true }))
      reply.header('content-type', 'application/json; charset=utf-8')
      // A string body is sent as is (no serialisation): the stored canonical JSON, concatenated.
      return reply.send(listBody(page.items, page.more, page.next === null ? null : encodeCursor(page.next, scope, ctx.cursorKey)) as never)
    },
  )
}
