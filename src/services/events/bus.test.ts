/** The live event bus: read filtering, Last-Event-ID resume from the ring, reset, and dropping slow clients. */
import { describe, expect, it } from 'vitest'
import type { Viewer } from '../../core/policy/viewer.js'
import { makeEventBus, type Delivery, type EventBody } from './bus.js'
import { cachedCollectionReads, mayReceive, type EventReadContext } from './policy.js'

const analyst = (orgId: string): Viewer => ({ kind: 'user', userId: `u-${orgId}`, username: `user-${orgId}`, orgId, role: 'analyst' })
const admin: Viewer = { kind: 'user', userId: 'root', username: 'admin', orgId: 'host', role: 'admin' }

const object = (collectionId: string, n: number): EventBody => ({ kind: 'object', collectionId, stixId: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, type: 'indicator', dateAdded: '2026-11-24T10:00:00.000000Z', name: `n${n}` })

/** Readers: org-a reads collection A only; org-b reads B only. */
const read: EventReadContext = {
  canReadCollection: async (v, c) => v.kind === 'system' || v.role === 'admin' || (v.orgId === 'org-a' && c === 'A') || (v.orgId === 'org-b' && c === 'B'),
  mayViewCase: (v, c) => Array.isArray(c.participants) && (c.participants as string[]).includes(v.orgId),
}

/** Takes `n` deliveries from a subscription, or fewer if none comes within `ms`. */
async function take(sub: AsyncIterable<Delivery>, n: number, ms = 200): Promise<Delivery[]> {
  const out: Delivery[] = []
  const it = sub[Symbol.asyncIterator]()
  while (out.length < n) {
    const next = await Promise.race([it.next(), new Promise<null>((r) => setTimeout(() => r(null), ms))])
    if (next === null || next.done) break
    out.push(next.value)
  }
  return out
}

const ids = (ds: Delivery[]) => ds.map((d) => (d.kind === 'reset' ? 'reset' : d.event.body.kind === 'object' ? d.event.body.stixId.slice(-2) : d.event.body.kind))

describe('event bus', () => {
  it('delivers an event only to subscribers allowed to read it', async () => {
    const bus = makeEventBus({ boot: 'b1', read })
    const a = bus.subscribe(analyst('org-a'))
    const b = bus.subscribe(analyst('org-b'))
    const root = bus.subscribe(admin)
    bus.publish(object('A', 1))
    bus.publish(object('B', 2))
    bus.publish({ kind: 'alert', orgId: 'org-b', alertId: 'x', alertKind: 'indicator_sighted', indicatorId: 'indicator--x', suppressed: false })
    bus.publish({ kind: 'alert', orgId: 'org-a', alertId: 'y', alertKind: 'indicator_sighted', indicatorId: 'indicator--y', suppressed: true })
    bus.publish({ kind: 'case', caseId: 'incident--1', change: 'task', caseObject: { participants: ['org-a'] } })
    expect(ids(await take(a, 10))).toEqual(['01', 'case'])
    expect(ids(await take(b, 10))).toEqual(['02', 'alert'])
    // Administrators read every collection and every alert (suppressed ones too), but cases only by the case rule.
    expect(ids(await take(root, 10))).toEqual(['01', '02', 'alert', 'alert'])
    a.close()
    b.close()
    root.close()
    expect(bus.stats().subscribers).toBe(0)
  })

  it('denies what it does not know: case events without a case rule, unknown kinds', async () => {
    expect(await mayReceive(analyst('org-a'), { kind: 'case', caseId: 'c', change: 'x', caseObject: { participants: ['org-a'] } }, { canReadCollection: async () => true })).toBe(false)
    expect(await mayReceive(admin, { kind: 'nope' } as unknown as EventBody, read)).toBe(false)
  })

  it('an alert event reaches its organisation only when the alert read path would show the alert', async () => {
    const ev = { kind: 'alert' as const, orgId: 'org-a', alertId: 'x', alertKind: 'observation_matched', indicatorId: 'indicator--x', suppressed: false }
    const asked: string[] = []
    const ctx: EventReadContext = { canReadCollection: async () => true, mayViewAlert: async (_v, id) => (asked.push(id), id === 'shown') }
    expect(await mayReceive(analyst('org-a'), ev, ctx)).toBe(false)
    expect(await mayReceive(analyst('org-a'), { ...ev, alertId: 'shown' }, ctx)).toBe(true)
    expect(await mayReceive(analyst('org-b'), { ...ev, alertId: 'shown' }, ctx)).toBe(false)
    expect(await mayReceive(admin, ev, ctx)).toBe(true)
    expect(asked).toEqual(['x', 'shown'])
  })

  it('resumes after Last-Event-ID from the ring, and says reset when the ring no longer has the events', async () => {
    const bus = makeEventBus({ boot: 'b2', read, options: { ringSize: 5, queueMax: 100 } })
    const first = [1, 2, 3].map((n) => bus.publish(object('A', n)))
    const resumed = bus.subscribe(analyst('org-a'), { lastEventId: first[0]?.id as string })
    expect(ids(await take(resumed, 10))).toEqual(['02', '03'])
    for (let n = 4; n <= 10; n++) bus.publish(object('A', n))
    // Event 3 left the ring (it holds 6..10): the client must reload.
    const late = bus.subscribe(analyst('org-a'), { lastEventId: first[2]?.id as string })
    expect(ids(await take(late, 10))).toEqual(['reset'])
    // An id of another process (boot) or from the future, or garbage: reset too.
    for (const id of ['other.3', 'b2.999', 'garbage']) expect(ids(await take(bus.subscribe(analyst('org-a'), { lastEventId: id }), 10))).toEqual(['reset'])
    // The latest id: nothing missed.
    expect(await take(bus.subscribe(analyst('org-a'), { lastEventId: 'b2.10' }), 10, 50)).toEqual([])
  })

  it('drops a subscriber whose queue overflows, and keeps serving the others', async () => {
    const bus = makeEventBus({ boot: 'b3', read, options: { ringSize: 100, queueMax: 3 } })
    const slow = bus.subscribe(analyst('org-a'))
    const fast = bus.subscribe(analyst('org-a'))
    const got: Delivery[] = []
    const reading = (async () => {
      for await (const d of fast) {
        got.push(d)
        if (got.length === 10) break
      }
    })()
    for (let n = 1; n <= 10; n++) {
      bus.publish(object('A', n))
      await new Promise((r) => setTimeout(r, 1))
    }
    await reading
    expect(got).toHaveLength(10)
    expect(slow.droppedReason).toMatch(/slow client/)
    expect(await take(slow, 10)).toEqual([])
    expect(bus.stats().dropped).toBe(1)
  })
})

describe('cached collection reads', () => {
  it('asks the store once per organisation, collection and time-to-live', async () => {
    let now = 0
    let asked = 0
    let canRead = true
    const check = cachedCollectionReads(async () => {
      asked++
      return { canRead, canWrite: false }
    }, () => now, 1000)
    expect(await check(analyst('org-a'), 'A')).toBe(true)
    canRead = false
    expect(await check(analyst('org-a'), 'A')).toBe(true)
    expect(asked).toBe(1)
    now = 1500
    expect(await check(analyst('org-a'), 'A')).toBe(false)
    expect(asked).toBe(2)
    expect(await check(admin, 'A')).toBe(true)
    expect(asked).toBe(2)
  })
})
