/** Webhooks: organisations' endpoints for signed event deliveries (node administrators manage them). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { CreatedWebhook, DeliveriesQuery, DeliveryList, ListWebhooksQuery, NewWebhook, Webhook, WebhookActive, WebhookList } from '../../../contract/api/webhooks.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

const TAG = 'Webhooks'

export const webhooksRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { webhooks } = ctx.services

  app.post('/webhooks', {
    schema: {
      tags: [TAG], summary: 'Register a webhook for an organisation',
      description: 'The secret is in this answer only. Deliveries are signed: `Entente-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (docs/webhooks.md).',
      body: NewWebhook, response: { 201: CreatedWebhook, ...problems(400, 401, 403, 413) },
    },
  }, async (request, reply) => {
    const b = request.body
    const created = unwrap(await webhooks.create(viewerOf(request), {
      url: b.url, events: b.events, ...(b.orgId !== undefined ? { orgId: b.orgId } : {}), ...(b.description !== undefined ? { description: b.description } : {}),
    }))
    return reply.code(201).header('cache-control', 'no-store').send(created)
  })

  app.get('/webhooks', {
    schema: { tags: [TAG], summary: 'List webhooks (of one organisation with orgId)', querystring: ListWebhooksQuery, response: { 200: WebhookList, ...problems(401, 403) } },
  }, async (request) => ({ items: unwrap(await webhooks.list(viewerOf(request), request.query.orgId)) }))

  app.get('/webhooks/:id', {
    schema: { tags: [TAG], summary: 'One webhook (never its secret)', params: IdParams, response: { 200: Webhook, ...problems(401, 403, 404) } },
  }, async (request) => unwrap(await webhooks.get(viewerOf(request), request.params.id)))

  app.put('/webhooks/:id/active', {
    schema: { tags: [TAG], summary: 'Pause or resume a webhook', params: IdParams, body: WebhookActive, response: { 200: Webhook, ...problems(400, 401, 403, 404) } },
  }, async (request) => unwrap(await webhooks.setActive(viewerOf(request), request.params.id, request.body.active)))

  app.delete('/webhooks/:id', {
    schema: { tags: [TAG], summary: 'Delete a webhook and its delivery log', params: IdParams, response: { 204: { type: 'null' }, ...problems(401, 403, 404) } },
  }, async (request, reply) => {
    unwrap(await webhooks.remove(viewerOf(request), request.params.id))
    return reply.code(204).send(null)
  })

  app.get('/webhooks/:id/deliveries', {
    schema: { tags: [TAG], summary: 'The delivery log, newest first', params: IdParams, querystring: DeliveriesQuery, response: { 200: DeliveryList, ...problems(401, 403, 404) } },
  }, async (request) => ({ items: unwrap(await webhooks.deliveries(viewerOf(request), request.params.id, { ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}) })) }))
}
