/** Webhooks and their durable delivery queue (migration 0006). */
import type { Webhook, WebhookDelivery, WebhookDeliveryState, WebhookStore } from '../../port.js'
import type { WebhookDeliveriesTable, WebhooksTable } from '../schema.js'
import { affected, chunksFor, type RepoContext } from './context.js'

function toWebhook(r: WebhooksTable): Webhook {
  let events: string[] = []
  try {
    const v: unknown = JSON.parse(r.events)
    if (Array.isArray(v)) events = v.filter((x): x is string => typeof x === 'string')
  } catch {
    events = []
  }
  return {
    id: r.id, orgId: r.org_id, url: r.url, description: r.description, sealedSecret: r.secret, events, active: r.active === 1,
    createdBy: r.created_by, createdAt: r.created_at,
  }
}

const STATES: readonly WebhookDeliveryState[] = ['pending', 'delivered', 'failed']
function toDelivery(r: WebhookDeliveriesTable): WebhookDelivery {
  const state = STATES.find((s) => s === r.state)
  if (state === undefined) throw new Error(`webhook_deliveries: unknown state ${r.state}`)
  return {
    id: r.id, webhookId: r.webhook_id, eventId: r.event_id, eventType: r.event_type, payload: r.payload, state, attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at, lockedUntil: r.locked_until, lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error, createdAt: r.created_at, finishedAt: r.finished_at,
  }
}

export function makeWebhookRepo({ db, atomic }: RepoContext): WebhookStore {
  return {
    async create(w) {
      await db
        .insertInto('webhooks')
        .values({
          id: w.id, org_id: w.orgId, url: w.url, description: w.description, secret: w.sealedSecret, events: JSON.stringify(w.events),
          active: w.active ? 1 : 0, created_by: w.createdBy, created_at: w.createdAt,
        })
        .execute()
      return w
    },

    async get(id) {
      const r = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toWebhook(r) : null
    },

    async list(orgId) {
      const rows = await db
        .selectFrom('webhooks')
        .selectAll()
        .$if(orgId !== undefined, (b) => b.where('org_id', '=', orgId ?? ''))
        .orderBy('created_at')
        .orderBy('id')
        .execute()
      return rows.map(toWebhook)
    },

    async setActive(id, active) {
      await db.updateTable('webhooks').set({ active: active ? 1 : 0 }).where('id', '=', id).execute()
      const r = await db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toWebhook(r) : null
    },

    async remove(id) {
      return atomic(async (t) => {
        await t.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute()
        const r = await t.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst()
        return affected(r.numDeletedRows) === 1
      })
    },

    async enqueue(deliveries) {
      if (deliveries.length === 0) return 0
      return atomic(async (t) => {
        let n = 0
        for (const chunk of chunksFor(deliveries, 13, 900)) {
          const r = await t
            .insertInto('webhook_deliveries')
            .values(
              chunk.map((d) => ({
                id: d.id, webhook_id: d.webhookId, event_id: d.eventId, event_type: d.eventType, payload: d.payload, state: d.state,
                attempts: d.attempts, next_attempt_at: d.nextAttemptAt, locked_until: d.lockedUntil, last_status: d.lastStatus,
                last_error: d.lastError, created_at: d.createdAt, finished_at: d.finishedAt,
              })),
            )
            .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
            .executeTakeFirst()
          n += affected(r.numInsertedOrUpdatedRows)
        }
        return n
      })
    },

    async claimDue(now, leaseUntil, limit) {
      const candidates = await db
        .selectFrom('webhook_deliveries')
        .select(['id', 'locked_until'])
        .where('state', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(Math.max(1, Math.floor(limit)))
        .execute()
      const claimed: WebhookDelivery[] = []
      for (const c of candidates) {
        // Compare-and-set on the lease seen: another worker that got there first wins.
        const r = await db
          .updateTable('webhook_deliveries')
          .set({ locked_until: leaseUntil })
          .where('id', '=', c.id)
          .where('state', '=', 'pending')
          .where((eb) => (c.locked_until === null ? eb('locked_until', 'is', null) : eb('locked_until', '=', c.locked_until)))
          .executeTakeFirst()
        if (affected(r.numUpdatedRows) !== 1) continue
        const row = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', c.id).executeTakeFirst()
        if (row) claimed.push(toDelivery(row))
      }
      return claimed
    },

    async recordAttempt(id, o) {
      await db
        .updateTable('webhook_deliveries')
        .set({
          state: o.state, attempts: o.attempts, next_attempt_at: o.nextAttemptAt, last_status: o.lastStatus, last_error: o.lastError,
          finished_at: o.finishedAt, locked_until: null,
        })
        .where('id', '=', id)
        .execute()
    },

    async getDelivery(id) {
      const r = await db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()
      return r ? toDelivery(r) : null
    },

    async deliveries(webhookId, q) {
      const limit = Math.max(1, Math.floor(q.limit))
      const before = q.before
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .$if(before !== undefined, (b) => b.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before?.createdAt ?? '', before?.id ?? ''))))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute()
      return { items: rows.slice(0, limit).map(toDelivery), more: rows.length > limit }
    },
  }
}
