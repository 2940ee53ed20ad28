/** Webhooks (/api/v1/webhooks): wire schemas. */
import Type from 'typebox'
import { Id, NullableTimestamp, Timestamp } from './common.js'

const EVENTS = ['case.created', 'case.updated', 'task.assigned', 'alert.created'] as const
export const WebhookEvent = Type.Unsafe<(typeof EVENTS)[number]>({ type: 'string', enum: [...EVENTS] })

export const Webhook = Type.Object(
  {
    id: Id, orgId: Id, url: Type.String(), description: Type.Union([Type.String(), Type.Null()]), events: Type.Array(WebhookEvent), active: Type.Boolean(),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
)
export const WebhookList = Type.Object({ items: Type.Array(Webhook) }, { additionalProperties: false })
export const CreatedWebhook = Type.Object(
  { webhook: Webhook, secret: Type.String({ description: 'The HMAC secret: shown in this answer only' }) },
  { additionalProperties: false },
)
export const NewWebhook = Type.Object(
  {
    orgId: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'The organisation the webhook belongs to (default: yours)' })),
    url: Type.String({ minLength: 8, maxLength: 2048, description: 'http(s) URL without user info; internal addresses are refused unless the node allows them' }),
    events: Type.Array(WebhookEvent, { minItems: 1, maxItems: 4 }),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
)
export const WebhookActive = Type.Object({ active: Type.Boolean() }, { additionalProperties: false })
export const ListWebhooksQuery = Type.Object({ orgId: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })) }, { additionalProperties: false })
export const Delivery = Type.Object(
  {
    id: Id, eventId: Type.String(), eventType: Type.String(), state: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(), nextAttemptAt: NullableTimestamp, lastStatus: Type.Union([Type.Integer(), Type.Null()]), lastError: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp, finishedAt: NullableTimestamp,
  },
  { additionalProperties: false },
)
export const DeliveryList = Type.Object({ items: Type.Array(Delivery) }, { additionalProperties: false })
export const DeliveriesQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false })
