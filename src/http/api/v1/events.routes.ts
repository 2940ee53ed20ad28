/**
 * `GET /api/v1/events`: Server-Sent Events of what the viewer may read (services/events). Resumes
 * from `Last-Event-ID` (or `?lastEventId=`), sends a heartbeat comment regularly, and ends the stream
 * when the bus drops a slow client (the browser's EventSource reconnects and resumes by itself).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { BusEvent, Subscription } from '../../../services/events/bus.js'
import { HttpFailure } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

/** What a client receives for an event: ids and labels, never the policy inputs (a case's full object). */
export function presentEvent(e: BusEvent): { event: string; data: Record<string, unknown> } {
  const b = e.body
  switch (b.kind) {
    case 'object':
      return { event: 'object', data: { collectionId: b.collectionId, id: b.stixId, type: b.type, dateAdded: b.dateAdded, name: b.name } }
    case 'alert':
      // No object ids: the reader may see the alert without seeing the indicator's id (GET /api/v1/alerts says what it may).
      return { event: 'alert', data: { alertId: b.alertId, kind: b.alertKind } }
    case 'case':
      return { event: 'case', data: { caseId: b.caseId, change: b.change } }
  }
}

export const eventsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { events } = ctx.services
  const heartbeatMs = ctx.options.sseHeartbeatMs ?? 15_000
  const open = new Set<Subscription>()
  // At most this many streams per user (a browser opens one per tab): a leak or a script cannot pile them up.
  const MAX_STREAMS_PER_USER = 16
  const perUser = new Map<string, number>()
  // End every stream when the node stops, or the server would wait for them forever.
  app.addHook('preClose', async () => {
    for (const s of open) s.close()
  })

  app.get(
    '/events',
    {
      schema: {
        tags: ['Account'],
        summary: 'Live events (text/event-stream): new objects, alerts and case changes the caller may read',
        description:
          'Each event has an `id`; reconnect with `Last-Event-ID` (EventSource does) to get what was missed while the node still holds it, or a `reset` event when it does not. A `: heartbeat` comment comes every 15 s.',
        querystring: Type.Object({ lastEventId: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'text/event-stream' }), ...problems(401, 429) },
      },
    },
    async (request, reply) => {
      const viewer = viewerOf(request)
      const who = viewer.kind === 'user' ? viewer.userId : `system:${viewer.name}`
      const streams = perUser.get(who) ?? 0
      if (streams >= MAX_STREAMS_PER_USER) throw new HttpFailure('rate_limited', `at most ${MAX_STREAMS_PER_USER} event streams per user at once`, { 'retry-after': '30' })
      perUser.set(who, streams + 1)
      const header = request.headers['last-event-id']
      const lastEventId = (typeof header === 'string' && header.length <= 100 ? header : undefined) ?? request.query.lastEventId
      const sub = events.subscribe(viewer, lastEventId !== undefined ? { lastEventId } : {})
      open.add(sub)
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
        'x-request-id': request.id,
      })
      res.write('retry: 3000\n\n')
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs)
      let ended = false
      const end = () => {
        clearInterval(heartbeat)
        sub.close()
        open.delete(sub)
        if (ended) return
        ended = true
        const left = (perUser.get(who) ?? 1) - 1
        if (left <= 0) perUser.delete(who)
        else perUser.set(who, left)
      }
      request.raw.on('close', end)
      try {
        for await (const d of sub) {
          if (res.destroyed) break
          const text = d.kind === 'reset' ? 'event: reset\ndata: {}\n\n' : (() => {
            const p = presentEvent(d.event)
            return `id: ${d.event.id}\nevent: ${p.event}\ndata: ${JSON.stringify(p.data)}\n\n`
          })()
          if (!res.write(text)) await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done)
              res.off('close', done)
              resolve()
            }
            res.on('drain', done)
            res.on('close', done)
          })
        }
        if (sub.droppedReason !== null) request.log.info({ reason: sub.droppedReason }, 'event stream dropped')
      } finally {
        end()
        if (!res.destroyed) res.end()
      }
    },
  )
}
