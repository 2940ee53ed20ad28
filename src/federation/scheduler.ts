/**
 * The federation scheduler that `entente serve` runs: every tick it syncs the peers and feeds that are
 * due (the durable `next_attempt_at`, pushed out by exponential backoff with jitter on failures, so a
 * restart keeps the backoff), at once a peer that notified us, and it publishes to every approved
 * peer soon after local changes (which also notifies them). One sync per peer at a time.
 */
import type { FederationService } from '../services/federation/federation.js'
import type { Logger } from '../services/deps.js'

export interface Scheduler {
  /** Syncs one peer as soon as possible (a notify from it). */
  trigger(peerId: string): void
  stop(): Promise<void>
}

export function startScheduler(opts: {
  readonly federation: FederationService
  readonly logger: Logger
  /** How often due peers are looked for (ms). */
  readonly tickMs?: number
  /** Delay between a local change and publishing it, so that bursts are published together (ms). */
  readonly publishDelayMs?: number
  readonly nowMs?: () => number
}): Scheduler {
  const { federation } = opts
  const logger = opts.logger.child({ module: 'federation-scheduler' })
  const now = opts.nowMs ?? Date.now
  const running = new Map<string, Promise<unknown>>()
  const wanted = new Set<string>()
  let stopped = false
  let publishTimer: NodeJS.Timeout | null = null

  function run(peerId: string, work: () => Promise<unknown>): void {
    if (stopped) return
    if (running.has(peerId)) {
      wanted.add(peerId)
      return
    }
    const p = work()
      .catch((e: unknown) => logger.warn({ peerId, err: (e as Error).message }, 'federation work failed'))
      .finally(() => {
        running.delete(peerId)
        if (wanted.delete(peerId)) trigger(peerId)
      })
    running.set(peerId, p)
  }

  function trigger(peerId: string): void {
    run(peerId, async () => {
      const due = (await federation.due(Number.MAX_SAFE_INTEGER)).find((p) => p.id === peerId)
      if (due) await federation.syncPeer(due)
    })
  }

  async function tick(): Promise<void> {
    for (const p of await federation.due(now())) run(p.id, () => federation.syncPeer(p))
  }

  const unsubscribe = federation.subscribe((e) => {
    if (e.kind === 'notified') trigger(e.peerId)
    else if (publishTimer === null && !stopped) {
      publishTimer = setTimeout(() => {
        publishTimer = null
        void federation
          .approvedPeers()
          .then((peers) => {
            for (const p of peers) run(p.id, () => federation.publish(p))
          })
          .catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'cannot list peers'))
      }, opts.publishDelayMs ?? 200)
      publishTimer.unref()
    }
  })

  const interval = setInterval(() => void tick().catch((e: unknown) => logger.warn({ err: (e as Error).message }, 'federation tick failed')), opts.tickMs ?? 1000)
  interval.unref()
  void tick().catch(() => undefined)

  return {
    trigger,
    async stop() {
      stopped = true
      clearInterval(interval)
      if (publishTimer) clearTimeout(publishTimer)
      unsubscribe()
      await Promise.allSettled([...running.values()])
    },
  }
}
