/**
 * Live events across processes (DESIGN.md, scale-out: several stateless processes on one PostgreSQL,
 * LISTEN/NOTIFY for live events). A process publishes a committed change on its own bus and sends a
 * small notice on the {@link EventChannel}; every other process decodes the notice, loads what the
 * read decision needs from the shared database (the object version, the case) and publishes the
 * event on its own bus, whose subscribers read through the same `mayReceive` policy.
 *
 * - Notices carry ids and short labels only, never object content: far below PostgreSQL's 8000-byte
 *   NOTIFY limit. A notice that would not fit (it cannot happen with the limits on ids, but the
 *   limit is checked) becomes a `reset` notice: the other processes' clients reload.
 * - The publishing process ignores its own notices (they carry its `origin`): it delivered the event
 *   already, once.
 * - When the channel may have missed notices (its connection was lost and came back), every local
 *   subscriber gets `reset`.
 * - Without a channel (SQLite, one process) the bus stays in-process.
 */
import type { Logger } from '../deps.js'
import type { Store } from '../../store/port.js'
import { nameOf, type EventBus } from './bus.js'
import type { EventBody } from './types.js'

/** The port: a broadcast channel between the processes on one database (PostgreSQL NOTIFY). */
export interface EventChannel {
  /** Sends `payload` (at most {@link MAX_NOTICE_BYTES} bytes of UTF-8) to every listening process, this one included. */
  notify(payload: string): Promise<void>
  /**
   * Starts listening: `onPayload` for every notice; `onGap` after notices may have been lost (the
   * connection was re-established). Keeps reconnecting on failure until `close`.
   */
  listen(handlers: { onPayload(payload: string): void; onGap(): void }): Promise<void>
  close(): Promise<void>
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; we stay well below. */
export const MAX_NOTICE_BYTES = 7900

/** What travels between processes. `origin` is the sending process's bus id. */
export type EventNotice =
  | { readonly v: 1; readonly origin: string; readonly kind: 'object'; readonly collectionId: string; readonly id: string; readonly type: string; readonly dateAdded: string; readonly seq: number | null }
  | { readonly v: 1; readonly origin: string; readonly kind: 'alert'; readonly orgId: string; readonly alertId: string; readonly alertKind: string; readonly indicatorId: string; readonly suppressed: boolean }
  | { readonly v: 1; readonly origin: string; readonly kind: 'case'; readonly caseId: string; readonly change: string }
  | { readonly v: 1; readonly origin: string; readonly kind: 'reset' }

const utf8 = new TextEncoder()

/** The notice for an event, as text; a `reset` notice when it would not fit. */
export function encodeNotice(origin: string, body: EventBody): string {
  const n: EventNotice =
    body.kind === 'object'
      ? { v: 1, origin, kind: 'object', collectionId: body.collectionId, id: body.stixId, type: body.type, dateAdded: body.dateAdded, seq: body.objectSeq ?? null }
      : body.kind === 'alert'
        ? { v: 1, origin, kind: 'alert', orgId: body.orgId, alertId: body.alertId, alertKind: body.alertKind, indicatorId: body.indicatorId, suppressed: body.suppressed }
        : { v: 1, origin, kind: 'case', caseId: body.caseId, change: body.change }
  const text = JSON.stringify(n)
  return utf8.encode(text).length <= MAX_NOTICE_BYTES ? text : JSON.stringify({ v: 1, origin, kind: 'reset' } satisfies EventNotice)
}

const str = (v: unknown, max = 1000): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

/** Parses a notice; null for anything that is not one (another version, a malformed or foreign payload). */
export function decodeNotice(text: string): EventNotice | null {
  let o: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null
    o = parsed as Record<string, unknown>
  } catch {
    return null
  }
  if (o.v !== 1 || !str(o.origin, 64)) return null
  const origin = o.origin
  switch (o.kind) {
    case 'object':
      if (!str(o.collectionId) || !str(o.id) || !str(o.type, 250) || !str(o.dateAdded, 64)) return null
      if (o.seq !== null && !(typeof o.seq === 'number' && Number.isSafeInteger(o.seq) && o.seq > 0)) return null
      return { v: 1, origin, kind: 'object', collectionId: o.collectionId, id: o.id, type: o.type, dateAdded: o.dateAdded, seq: o.seq }
    case 'alert':
      if (!str(o.orgId) || !str(o.alertId) || !str(o.alertKind) || !str(o.indicatorId) || typeof o.suppressed !== 'boolean') return null
      return { v: 1, origin, kind: 'alert', orgId: o.orgId, alertId: o.alertId, alertKind: o.alertKind, indicatorId: o.indicatorId, suppressed: o.suppressed }
    case 'case':
      if (!str(o.caseId) || !str(o.change, 100)) return null
      return { v: 1, origin, kind: 'case', caseId: o.caseId, change: o.change }
    case 'reset':
      return { v: 1, origin, kind: 'reset' }
    default:
      return null
  }
}

export interface FanoutDeps {
  readonly channel?: EventChannel | undefined
  readonly store: Pick<Store, 'audit' | 'objects' | 'cases'>
  readonly logger: Logger
}

/**
 * The bus, shared with the other processes on `deps.channel`: `publish` delivers here and notifies
 * the others; notices from the others are loaded and published here. Without a channel: the bus.
 */
export function withFanout(bus: EventBus, deps: FanoutDeps): EventBus {
  const channel = deps.channel
  if (channel === undefined) return bus
  const log = deps.logger.child({ module: 'events' })

  /** The event a notice stands for, loaded from the shared database; null when it is gone or unknown. */
  async function load(n: Exclude<EventNotice, { kind: 'reset' }>): Promise<EventBody | null> {
    switch (n.kind) {
      case 'alert':
        return { kind: 'alert', orgId: n.orgId, alertId: n.alertId, alertKind: n.alertKind, indicatorId: n.indicatorId, suppressed: n.suppressed }
      case 'object': {
        let json: string | undefined
        if (n.seq !== null) json = (await deps.store.audit.objectsBySeq([n.seq])).find((r) => r.stixId === n.id)?.json
        else json = (await deps.store.objects.versionsOf(n.id)).at(-1)?.json
        // The read decision needs the object (markings): without it, nobody gets the event.
        if (json === undefined) return null
        return { kind: 'object', collectionId: n.collectionId, stixId: n.id, type: n.type, dateAdded: n.dateAdded, name: nameOf(json), json, ...(n.seq !== null ? { objectSeq: n.seq } : {}) }
      }
      case 'case': {
        const row = await deps.store.cases.getCase(n.caseId)
        if (row === null) return null
        const page = await deps.store.objects.query({ collectionId: row.collectionId, ids: [n.caseId], limit: 3, withContent: true })
        const json = page.items.find((e) => e.stixId === n.caseId && e.json !== undefined)?.json
        if (json === undefined) return null
        return { kind: 'case', caseId: n.caseId, change: n.change, caseObject: JSON.parse(json) as Record<string, unknown> }
      }
    }
  }

  // Notices are handled one at a time, so events keep the order in which they were sent.
  let chain: Promise<void> = Promise.resolve()
  let received = 0
  function onPayload(payload: string) {
    const n = decodeNotice(payload)
    if (n === null) {
      log.debug({ bytes: payload.length }, 'ignored a malformed event notice')
      return
    }
    // Our own notice: the event was delivered here when it was published.
    if (n.origin === bus.boot) return
    chain = chain.then(async () => {
      if (n.kind === 'reset') return bus.reset()
      try {
        const body = await load(n)
        if (body !== null) {
          received++
          bus.publish(body)
        }
      } catch (e) {
        // A notice we cannot load is a missed event: the clients reload.
        log.warn({ err: e, kind: n.kind }, 'cannot load an event from another process')
        bus.reset()
      }
    })
  }
  channel.listen({ onPayload, onGap: () => bus.reset() }).catch((e: unknown) => log.warn({ err: e }, 'cannot listen for events of other processes'))

  return {
    ...bus,
    publish(body: EventBody) {
      const event = bus.publish(body)
      channel.notify(encodeNotice(bus.boot, body)).catch((e: unknown) => log.warn({ err: e, kind: body.kind }, 'cannot notify other processes of an event'))
      return event
    },
    stats: () => ({ ...bus.stats(), received }),
  }
}
