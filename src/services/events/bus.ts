/**
 * The in-process event bus behind `GET /api/v1/events` (Server-Sent Events). Producers publish after
 * their transaction committed (ingest's derive step, correlation alerts, cases); each subscriber has
 * a bounded queue and reads through the read policy (`mayReceive`), so an event reaches only those
 * allowed to read what it is about.
 *
 * - Ids are `<boot>.<n>`: `n` increases by one per event; `boot` tells this process's ids from an
 *   earlier process's, whose events are gone.
 * - The last `ringSize` events are kept, so a client that reconnects with `Last-Event-ID` gets what
 *   it missed; when that is no longer possible it gets one `reset` event (reload what you show).
 * - A subscriber whose queue passes `queueMax` (a slow or stalled client) is dropped: its stream ends
 *   and the client reconnects and resumes. The node never buffers without bound.
 *
 * Several processes on one PostgreSQL database share their events through fanout.ts (LISTEN/NOTIFY):
 * each process publishes what it committed here and tells the others, which load what they need and
 * publish it on their own bus. Ids stay per process (a client resuming on another process gets `reset`).
 */
import type { Viewer } from '../../core/policy/viewer.js'
import { mayReceive, type EventReadContext } from './policy.js'
import type { EventBody } from './types.js'

export type { EventBody } from './types.js'

export interface BusEvent {
  readonly id: string
  readonly body: EventBody
}

/** What a subscriber receives: an event, or `reset` when missed events could not be replayed. */
export type Delivery = { readonly kind: 'event'; readonly event: BusEvent } | { readonly kind: 'reset' }

export interface EventBusOptions {
  readonly ringSize: number
  readonly queueMax: number
}

export const DEFAULT_EVENT_BUS_OPTIONS: EventBusOptions = { ringSize: 2048, queueMax: 512 }

export interface Subscription extends AsyncIterable<Delivery> {
  /** Ends the subscription (the client went away). */
  close(): void
  /** Why it ended, when the bus ended it. */
  readonly droppedReason: string | null
}

interface Subscriber {
  readonly viewer: Viewer
  readonly queue: (BusEvent | 'reset')[]
  wake: (() => void) | null
  closed: boolean
  dropped: string | null
}

export function makeEventBus(deps: { readonly read: EventReadContext; readonly boot: string; readonly options?: Partial<EventBusOptions> }) {
  const opts: EventBusOptions = { ...DEFAULT_EVENT_BUS_OPTIONS, ...deps.options }
  const ring: BusEvent[] = []
  let n = 0
  const subscribers = new Set<Subscriber>()
  let dropped = 0

  function drop(s: Subscriber, reason: string) {
    s.dropped = reason
    s.closed = true
    s.queue.length = 0
    subscribers.delete(s)
    dropped++
    s.wake?.()
  }

  function publish(body: EventBody): BusEvent {
    const event: BusEvent = { id: `${deps.boot}.${++n}`, body }
    ring.push(event)
    if (ring.length > opts.ringSize) ring.shift()
    for (const s of subscribers) {
      if (s.queue.length >= opts.queueMax) {
        drop(s, 'slow client: too many events waiting')
        continue
      }
      s.queue.push(event)
      s.wake?.()
    }
    return event
  }

  /**
   * Tells every current subscriber to reload (a `reset` delivery): events may have been missed, e.g.
   * while the cross-process notification connection was down. The ring is kept.
   */
  function reset(): void {
    for (const s of subscribers) {
      if (s.queue.length >= opts.queueMax) {
        drop(s, 'slow client: too many events waiting')
        continue
      }
      s.queue.push('reset')
      s.wake?.()
    }
  }

  /** The events after `lastEventId` still in the ring, or 'reset' when some are gone. */
  function replay(lastEventId: string | undefined): (BusEvent | 'reset')[] {
    if (lastEventId === undefined || lastEventId === '') return []
    const m = /^([A-Za-z0-9_-]{1,64})\.(\d{1,15})$/.exec(lastEventId)
    if (!m || m[1] !== deps.boot) return ['reset']
    const last = Number(m[2])
    if (last > n) return ['reset']
    const oldest = ring[0] ? Number(ring[0].id.slice(deps.boot.length + 1)) : n + 1
    if (last + 1 < oldest) return ['reset']
    return ring.slice(ring.length - (n - last))
  }

  function subscribe(viewer: Viewer, opts2: { lastEventId?: string } = {}): Subscription {
    const s: Subscriber = { viewer, queue: replay(opts2.lastEventId), wake: null, closed: false, dropped: null }
    if (s.queue.length > opts.queueMax) s.queue.splice(0, s.queue.length, 'reset')
    subscribers.add(s)
    async function* iterate(): AsyncGenerator<Delivery> {
      try {
        for (;;) {
          const next = s.queue.shift()
          if (next === undefined) {
            if (s.closed) return
            await new Promise<void>((resolve) => {
              s.wake = resolve
            })
            s.wake = null
            continue
          }
          if (next === 'reset') yield { kind: 'reset' }
          else if (await mayReceive(s.viewer, next.body, deps.read)) yield { kind: 'event', event: next }
        }
      } finally {
        s.closed = true
        subscribers.delete(s)
      }
    }
    const it = iterate()
    return {
      [Symbol.asyncIterator]: () => it,
      close() {
        s.closed = true
        subscribers.delete(s)
        s.wake?.()
      },
      get droppedReason() {
        return s.dropped
      },
    }
  }

  return {
    /** This process's id prefix (also its name on the cross-process channel). */
    boot: deps.boot,
    publish,
    reset,
    subscribe,
    stats: () => ({ subscribers: subscribers.size, published: n, dropped }),
  }
}

export type EventBus = ReturnType<typeof makeEventBus>

/** An object's `name` for an event, from its canonical JSON (null when absent or not a string). */
export function nameOf(json: string): string | null {
  try {
    const o = JSON.parse(json) as { name?: unknown }
    return typeof o.name === 'string' ? o.name.slice(0, 200) : null
  } catch {
    return null
  }
}
