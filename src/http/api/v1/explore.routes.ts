/** The web explorer's REST reads: search a collection, and one object's detail (versions, relationships). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { IdParams } from '../../../contract/api/common.js'
import { ObjectDetailView, SearchQuery, SearchResult } from '../../../contract/api/session.js'
import { toStoredTimestamp } from '../../../core/stix/time.js'
import type { Issue } from '../../../core/shared/errors.js'
import { DomainFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { decodeCursor, encodeCursor, type CursorScope } from '../../taxii/cursor.js'
import { problems, type ApiContext } from './context.js'

function concat(items: readonly { json: string }[], next: string | null): string {
  let body = '{"items":['
  for (let i = 0; i < items.length; i++) body += (i === 0 ? '' : ',') + (items[i] as { json: string }).json
  return `${body}]${next !== null ? `,"nextCursor":${JSON.stringify(next)}` : ''}}`
}

export const exploreRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { explore } = ctx.services

  app.get(
    '/collections/:id/search',
    {
      schema: {
        tags: ['Objects'],
        summary: 'Search a collection: latest versions, newest first, filtered by type, marking, source, date and text',
        description:
          'Keyset-paginated. Each request examines a bounded number of objects, so a selective filter may give a short (even empty) page with a `nextCursor`: keep following it until it is absent.',
        params: IdParams,
        querystring: SearchQuery,
        response: { 200: SearchResult, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const q = request.query
      const issues: Issue[] = []
      const stored = (v: string | undefined, pointer: string) => {
        if (v === undefined) return undefined
        const t = toStoredTimestamp(v)
        if (t === null) issues.push({ pointer, message: 'must be an RFC 3339 UTC timestamp such as 2026-11-01T00:00:00Z' })
        return t ?? undefined
      }
      const addedFrom = stored(q.from, '/query/from')
      const addedBefore = stored(q.to, '/query/to')
      const scope: CursorScope = {
        endpoint: `rest-search:${JSON.stringify([q.type ?? null, q.marking ?? null, q.source ?? null, addedFrom ?? null, addedBefore ?? null, q.text ?? null])}`,
        collection: request.params.id,
        filters: {},
      }
      let before
      if (q.cursor !== undefined) {
        const d = decodeCursor(q.cursor, scope, ctx.cursorKey)
        if (!d.ok) issues.push({ pointer: '/query/cursor', message: d.error.message })
        else before = d.value
      }
      if (issues.length > 0) throw new DomainFailure({ code: 'validation_failed', issues })
      const page = unwrap(
        await explore.search(viewerOf(request), {
          collection: request.params.id,
          ...(q.type !== undefined ? { type: q.type } : {}),
          ...(q.marking !== undefined ? { marking: q.marking } : {}),
          ...(q.source !== undefined ? { source: q.source } : {}),
          ...(addedFrom !== undefined ? { addedFrom } : {}),
          ...(addedBefore !== undefined ? { addedBefore } : {}),
          ...(q.text !== undefined ? { text: q.text } : {}),
          ...(before !== undefined ? { before } : {}),
          limit: q.limit ?? 50,
        }),
      )
      reply.header('content-type', 'application/json; charset=utf-8')
      return reply.send(concat(page.items, page.next === null ? null : encodeCursor(page.next, scope, ctx.cursorKey)) as never)
    },
  )

  app.get(
    '/collections/:id/objects/:objectId',
    {
      schema: {
        tags: ['Objects'],
        summary: "One object: every version in the collection and the relationships that name it (for the explorer's graph)",
        params: Type.Object({ id: IdParams.properties.id, objectId: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false }),
        response: { 200: ObjectDetailView, ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const d = unwrap(await explore.object(viewerOf(request), { collection: request.params.id, id: request.params.objectId }))
      reply.header('content-type', 'application/json; charset=utf-8')
      // Versions are sent as stored (canonical JSON, every property kept).
      const body = `{"collectionId":${JSON.stringify(d.collectionId)},"versions":[${d.versions.join(',')}],"edges":${JSON.stringify(d.edges)},"nodes":${JSON.stringify(d.nodes)},"truncated":${d.truncated}}`
      return reply.send(body as never)
    },
  )
}
