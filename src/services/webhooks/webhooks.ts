/**
 * Webhooks (issue 6): an organisation's endpoints receive signed events about what that organisation
 * may see. Events are queued durably in the database (one delivery per webhook and event) and sent by
 * `deliverDue` with retries and exponential backoff; every attempt's outcome is kept (delivery log).
 *
 * - Signature: `Entente-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * - The secret is shown once, at creation; the node stores it sealed (AES-256-GCM under a key derived
 *   from the node's Ed25519 key, whose signatures are deterministic), never in clear.
 * - Who receives what: a case event goes to the webhooks of organisations that may view the case
 *   (`mayViewCase` as a read-only member of that organisation); an alert goes to its organisation's
 *   webhooks, never a suppressed match.
 * - HTTP itself (DNS, SSRF checks on resolved addresses, timeouts, size caps, no redirects) is the
 *   transport's job (src/platform/webhook-sender.ts).
 */
import type { webcrypto } from 'node:crypto'
import { checkWebhookUrl } from '../../core/webhook/url.js'
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { Alert, Tx, Webhook, WebhookDelivery } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import type { CaseEvent } from '../cases/cases.js'

export const WEBHOOK_EVENTS = ['case.created', 'case.updated', 'task.assigned', 'alert.created'] as const
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number]

export const WEBHOOK_LIMITS = { perOrganisation: 20, descriptionLength: 500, maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 3_600_000, leaseMs: 60_000 } as const

/** The HTTP side, implemented in src/platform/webhook-sender.ts. */
export interface WebhookTransport {
  /** POSTs `body` with `headers`; never follows redirects; refuses internal addresses unless allowed. */
  post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<{ readonly status: number | null; readonly error: string | null }>
}

export interface WebhookView {
  readonly id: string
  readonly orgId: string
  readonly url: string
  readonly description: string | null
  readonly events: WebhookEventType[]
  readonly active: boolean
  readonly createdAt: string
}

export interface DeliveryView {
  readonly id: string
  readonly eventId: string
  readonly eventType: string
  readonly state: WebhookDelivery['state']
  readonly attempts: number
  readonly nextAttemptAt: string | null
  readonly lastStatus: number | null
  readonly lastError: string | null
  readonly createdAt: string
  readonly finishedAt: string | null
}

const view = (w: Webhook): WebhookView => ({
  id: w.id, orgId: w.orgId, url: w.url, description: w.description, events: w.events.filter((e): e is WebhookEventType => (WEBHOOK_EVENTS as readonly string[]).includes(e)),
  active: w.active, createdAt: w.createdAt,
})
const deliveryView = (d: WebhookDelivery): DeliveryView => ({
  id: d.id, eventId: d.eventId, eventType: d.eventType, state: d.state, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, lastStatus: d.lastStatus,
  lastError: d.lastError, createdAt: d.createdAt, finishedAt: d.finishedAt,
})

const enc = new TextEncoder()
const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex')

/** HMAC-SHA256 of `<t>.<body>` as the `Entente-Signature` header value. */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(`${timestamp}.${body}`))
  return `t=${timestamp},v1=${hex(mac)}`
}

/** Delay before attempt `n + 1` after `n` failed attempts: base × 2^(n−1), capped. */
export function backoffMs(failedAttempts: number): number {
  return Math.min(WEBHOOK_LIMITS.maxDelayMs, WEBHOOK_LIMITS.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1))
}

export interface WebhooksDeps extends Pick<ServiceDeps, 'store' | 'clock' | 'ids' | 'logger' | 'nodeKey'> {
  /** Node configuration: whether webhook URLs may name loopback/private addresses (tests, closed networks). */
  readonly allowInternalAddresses?: boolean
  /** The case read rule (cases service), for deciding which organisations receive a case event. */
  readonly mayViewCase: (viewer: Viewer, caseObject: Readonly<Record<string, unknown>>) => Promise<boolean>
}

export function makeWebhooksService(deps: WebhooksDeps) {
  const { store, clock, ids } = deps
  const log = deps.logger.child({ module: 'webhooks' })
  const now = () => storedTimestampFromMs(clock.nowMs())

  // --- Sealing secrets ----------------------------------------------------------------------------
  let sealKey: Promise<webcrypto.CryptoKey> | null = null
  function key(): Promise<webcrypto.CryptoKey> {
    const nodeKey = deps.nodeKey
    if (!nodeKey) return Promise.reject(new Error('webhooks: this node has no signing key to seal secrets with'))
    sealKey ??= (async () => {
      // Ed25519 signatures are deterministic: the signature of a fixed label is a secret only this node can make.
      const material = await crypto.subtle.digest('SHA-256', nodeKey.sign(enc.encode('entente webhook secrets v1')))
      return crypto.subtle.importKey('raw', material, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
    })()
    return sealKey
  }
  async function seal(secret: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12))
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await key(), enc.encode(secret))
    return `v1.${Buffer.from(iv).toString('base64url')}.${Buffer.from(new Uint8Array(ct)).toString('base64url')}`
  }
  async function unseal(sealed: string): Promise<string | null> {
    const [v, iv, ct] = sealed.split('.')
    if (v !== 'v1' || iv === undefined || ct === undefined) return null
    try {
      const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: Buffer.from(iv, 'base64url') }, await key(), Buffer.from(ct, 'base64url'))
      return new TextDecoder().decode(pt)
    } catch {
      return null
    }
  }

  /** Who manages an organisation's webhooks: node administrators (the node has no per-organisation administrator role yet). */
  function mayManage(viewer: Viewer): boolean {
    return isAdmin(viewer)
  }

  async function owned(viewer: Viewer, id: string): Promise<Result<Webhook>> {
    const w = await store.webhooks.get(id)
    if (!w || !(mayManage(viewer) || w.orgId === viewer.orgId)) return err({ code: 'not_found', resource: 'webhook', id })
    if (!mayManage(viewer)) return err({ code: 'forbidden', reason: 'role' })
    return ok(w)
  }

  /** The deliveries of one event to the given organisations' active webhooks subscribed to it. */
  function deliveriesFor(hooks: readonly Webhook[], type: WebhookEventType, eventId: string, orgIds: readonly string[], data: Record<string, unknown>): WebhookDelivery[] {
    if (orgIds.length === 0) return []
    const at = now()
    return hooks
      .filter((w) => w.active && w.events.includes(type) && orgIds.includes(w.orgId))
      .map((w) => ({
        id: ids.uuid(), webhookId: w.id, eventId, eventType: type, state: 'pending', attempts: 0, nextAttemptAt: at, lockedUntil: null, lastStatus: null,
        lastError: null, createdAt: at, finishedAt: null,
        payload: JSON.stringify({ id: eventId, type, createdAt: at, organisationId: w.orgId, data }),
      }))
  }

  /** Queues one event for the given organisations' active webhooks subscribed to it. */
  async function fanOut(type: WebhookEventType, eventId: string, orgIds: readonly string[], data: Record<string, unknown>): Promise<number> {
    if (orgIds.length === 0) return 0
    return store.webhooks.enqueue(deliveriesFor(await store.webhooks.list(), type, eventId, orgIds, data))
  }

  /** The deliveries of a case change: one per webhook of every organisation that may see the case. */
  async function caseDeliveries(e: CaseEvent, hooks: readonly Webhook[]): Promise<WebhookDelivery[]> {
    const type: WebhookEventType = e.change === 'created' ? 'case.created' : e.change === 'task_assigned' ? 'task.assigned' : 'case.updated'
    const orgIds: string[] = []
    for (const orgId of new Set(hooks.filter((w) => w.active && w.events.includes(type)).map((w) => w.orgId))) {
      const asMember: Viewer = { kind: 'user', userId: `webhook:${orgId}`, username: `webhook:${orgId}`, orgId, role: 'read_only' }
      if (await deps.mayViewCase(asMember, e.caseObject)) orgIds.push(orgId)
    }
    const o = e.caseObject
    const data = {
      caseId: e.caseId, change: e.change, objectId: e.objectId, title: typeof o['name'] === 'string' ? o['name'] : null,
      ...(e.assigneeRef !== undefined ? { assigneeRef: e.assigneeRef } : {}),
    }
    return deliveriesFor(hooks, type, ids.uuid(), orgIds, data)
  }

  return {
    /** Registers a webhook for an organisation; the secret is in this answer only. */
    async create(
      viewer: Viewer,
      input: { readonly orgId?: string; readonly url: string; readonly events: readonly WebhookEventType[]; readonly description?: string },
    ): Promise<Result<{ webhook: WebhookView; secret: string }>> {
      if (!mayManage(viewer)) return err({ code: 'forbidden', reason: 'role' })
      const orgId = input.orgId ?? viewer.orgId
      if (!(await store.orgs.get(orgId))) return err({ code: 'validation_failed', issues: [{ pointer: '/body/orgId', message: 'is not an organisation of this node' }] })
      const url = checkWebhookUrl(input.url, { allowInternal: deps.allowInternalAddresses === true })
      if (!url.ok) return err({ code: 'validation_failed', issues: [{ pointer: '/body/url', message: url.error }] })
      const events = [...new Set(input.events)]
      if (events.length === 0 || events.some((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e))) {
        return err({ code: 'validation_failed', issues: [{ pointer: '/body/events', message: `one or more of ${WEBHOOK_EVENTS.join(', ')}` }] })
      }
      const description = input.description?.trim() ?? ''
      if (description.length > WEBHOOK_LIMITS.descriptionLength) return err({ code: 'validation_failed', issues: [{ pointer: '/body/description', message: `must be at most ${WEBHOOK_LIMITS.descriptionLength} characters` }] })
      if ((await store.webhooks.list(orgId)).length >= WEBHOOK_LIMITS.perOrganisation) return err({ code: 'limit_exceeded', limit: 'webhooks per organisation', max: WEBHOOK_LIMITS.perOrganisation })
      const secret = `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`
      const w = await store.webhooks.create({
        id: ids.uuid(), orgId, url: url.value, description: description === '' ? null : description, sealedSecret: await seal(secret), events, active: true,
        createdBy: viewer.kind === 'user' ? viewer.userId : `system:${viewer.name}`, createdAt: now(),
      })
      return ok({ webhook: view(w), secret })
    },

    async list(viewer: Viewer, orgId?: string): Promise<Result<WebhookView[]>> {
      if (!mayManage(viewer)) return err({ code: 'forbidden', reason: 'role' })
      return ok((await store.webhooks.list(orgId)).map(view))
    },

    async get(viewer: Viewer, id: string): Promise<Result<WebhookView>> {
      const w = await owned(viewer, id)
      return w.ok ? ok(view(w.value)) : w
    },

    async setActive(viewer: Viewer, id: string, active: boolean): Promise<Result<WebhookView>> {
      const w = await owned(viewer, id)
      if (!w.ok) return w
      const u = await store.webhooks.setActive(id, active)
      return u ? ok(view(u)) : err({ code: 'not_found', resource: 'webhook', id })
    },

    async remove(viewer: Viewer, id: string): Promise<Result<void>> {
      const w = await owned(viewer, id)
      if (!w.ok) return w
      await store.webhooks.remove(id)
      return ok(undefined)
    },

    /** The delivery log of a webhook, newest first (limit at most 500). */
    async deliveries(viewer: Viewer, id: string, q: { readonly limit?: number }): Promise<Result<DeliveryView[]>> {
      const w = await owned(viewer, id)
      if (!w.ok) return w
      const limit = Math.min(500, Math.max(1, q.limit ?? 50))
      return ok((await store.webhooks.deliveries(id, { limit })).items.map(deliveryView))
    },

    /** A case change queued at once, in a transaction of its own (prefer `queueCaseEvents`, which joins the change's). */
    async caseEvent(e: CaseEvent): Promise<number> {
      return store.webhooks.enqueue(await caseDeliveries(e, await store.webhooks.list()))
    },

    /**
     * The transactional outbox of case changes: decides, before the change's transaction, which
     * deliveries its events make (reads outside the transaction), and returns the step that writes them
     * inside it, so that a change is committed with its deliveries or not at all.
     */
    async queueCaseEvents(events: readonly CaseEvent[]): Promise<(tx: Tx) => Promise<number>> {
      const hooks = events.length > 0 ? await store.webhooks.list() : []
      const deliveries: WebhookDelivery[] = []
      for (const e of events) deliveries.push(...(await caseDeliveries(e, hooks)))
      return (tx) => tx.webhooks.enqueue(deliveries)
    },

    /** A correlation alert (after it was stored): to its organisation's webhooks, never a suppressed match. */
    async alertCreated(a: Alert): Promise<number> {
      if (a.suppressed !== null) return 0
      return fanOut('alert.created', `alert:${a.id}`, [a.orgId], { alertId: a.id, kind: a.kind, sightingId: a.sightingId, createdAt: a.createdAt })
    },

    /**
     * Sends due deliveries (at most `limit`), each leased so that several processes never send the
     * same one at once. A 2xx answer is delivered; anything else is retried with exponential backoff
     * until `maxAttempts`, then marked failed. Returns how many were attempted.
     */
    async deliverDue(transport: WebhookTransport, limit = 20): Promise<number> {
      const nowMs = clock.nowMs()
      const due = await store.webhooks.claimDue(storedTimestampFromMs(nowMs), storedTimestampFromMs(nowMs + WEBHOOK_LIMITS.leaseMs), limit)
      for (const d of due) {
        const w = await store.webhooks.get(d.webhookId)
        const attempts = d.attempts + 1
        let status: number | null = null
        let error: string | null = null
        if (!w || !w.active) error = 'webhook disabled or removed'
        else {
          const secret = await unseal(w.sealedSecret)
          if (secret === null) error = 'the webhook secret cannot be unsealed by this node key'
          else {
            const t = Math.floor(clock.nowMs() / 1000)
            const r = await transport.post(w.url, {
              'content-type': 'application/json', 'user-agent': 'Entente-Webhook/1', 'entente-event': d.eventType, 'entente-delivery': d.id,
              'entente-signature': await signWebhook(secret, t, d.payload),
            }, d.payload)
            status = r.status
            error = r.error ?? (r.status !== null && r.status >= 200 && r.status < 300 ? null : `HTTP ${r.status ?? '?'}`)
          }
        }
        const at = clock.nowMs()
        if (error === null) {
          await store.webhooks.recordAttempt(d.id, { state: 'delivered', attempts, nextAttemptAt: null, lastStatus: status, lastError: null, finishedAt: storedTimestampFromMs(at) })
        } else {
          const last = attempts >= WEBHOOK_LIMITS.maxAttempts || !w || !w.active
          if (last) log.warn({ delivery: d.id, webhook: d.webhookId, attempts, error }, 'webhook delivery failed for good')
          await store.webhooks.recordAttempt(d.id, {
            state: last ? 'failed' : 'pending', attempts, nextAttemptAt: last ? null : storedTimestampFromMs(at + backoffMs(attempts)), lastStatus: status,
            lastError: error.slice(0, 500), finishedAt: last ? storedTimestampFromMs(at) : null,
          })
        }
      }
      return due.length
    },
  }
}

export type WebhooksService = ReturnType<typeof makeWebhooksService>
