/**
 * Live events across processes: two nodes' services (two "processes") on one PostgreSQL schema,
 * joined by the LISTEN/NOTIFY channel. What one ingests reaches the other's subscribers through the
 * same read policy, once; the publishing process does not get its own event twice; a lost LISTEN
 * connection comes back and its subscribers are told to reload. On SQLite there is no channel: the
 * bus stays in-process.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Viewer } from '../../core/policy/viewer.js'
import { nodeHasher, nodeIds, nodeSecrets, systemClock } from '../../platform/crypto.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../../platform/signing.js'
import { openPostgresEventChannel, type PostgresEventChannel } from '../../store/kysely/notify.js'
import { openStore } from '../../store/kysely/open.js'
import type { Store } from '../../store/port.js'
import { DIALECTS, PG_TEST_URL, dropSchema } from '../../../test/db.js'
import { createTestNode, silentLogger } from '../../../test/node.js'
import { DEFAULT_HTTP_OPTIONS } from '../../../test/http.js'
import { buildApp } from '../../http/app.js'
import { makeServices, type Services } from '../index.js'
import type { Delivery, Subscription } from './bus.js'
import { MAX_NOTICE_BYTES, decodeNotice, encodeNotice } from './fanout.js'

/** Takes deliveries until `until` says stop, or none came for `ms`. */
async function take(sub: Subscription, ms = 1500, until: (ds: Delivery[]) => boolean = () => false): Promise<Delivery[]> {
  const out: Delivery[] = []
  const it = sub[Symbol.asyncIterator]()
  for (;;) {
    const next = await Promise.race([it.next(), new Promise<null>((r) => setTimeout(() => r(null), ms))])
    if (next === null || next.done) return out
    out.push(next.value)
    if (until(out)) return out
  }
}
const objectIds = (ds: Delivery[]) => ds.flatMap((d) => (d.kind === 'event' && d.event.body.kind === 'object' ? [d.event.body.stixId] : []))
const caseChanges = (ds: Delivery[]) => ds.flatMap((d) => (d.kind === 'event' && d.event.body.kind === 'case' ? [d.event.body.change] : []))

const indicator = (n: number, name: string) => ({
  type: 'indicator', spec_version: '2.1', id: `indicator--4a2b8f1c-0000-4000-8000-${String(n).padStart(12, '0')}`,
  created: '2026-11-24T10:00:00.000Z', modified: '2026-11-24T10:00:00.000Z', name,
  pattern: `[domain-name:value = 'results-${n}.example']`, pattern_type: 'stix', valid_from: '2026-11-24T10:00:00Z',
})

describe('event notices', () => {
  it('round-trip, stay under the NOTIFY limit, and become a reset when they would not fit', () => {
    const body = { kind: 'object' as const, collectionId: 'c1', stixId: 'indicator--x', type: 'indicator', dateAdded: '2026-11-24T10:00:00.000000Z', name: 'n', json: 'x'.repeat(100_000), objectSeq: 7 }
    const text = encodeNotice('boot1', body)
    // The object's JSON never travels: the receiver loads it.
    expect(text.length).toBeLessThan(300)
    expect(decodeNotice(text)).toEqual({ v: 1, origin: 'boot1', kind: 'object', collectionId: 'c1', id: 'indicator--x', type: 'indicator', dateAdded: body.dateAdded, seq: 7 })
    expect(decodeNotice(encodeNotice('boot1', { kind: 'case', caseId: 'incident--1', change: 'note_added', caseObject: { big: 'y'.repeat(50_000) } }))).toEqual({ v: 1, origin: 'boot1', kind: 'case', caseId: 'incident--1', change: 'note_added' })
    const huge = encodeNotice('boot1', { ...body, collectionId: 'é'.repeat(MAX_NOTICE_BYTES) })
    expect(decodeNotice(huge)).toEqual({ v: 1, origin: 'boot1', kind: 'reset' })
    for (const bad of ['', 'null', '[]', '{"v":2,"origin":"a","kind":"reset"}', '{"v":1,"origin":"a","kind":"object","collectionId":"c"}', '{"v":1,"origin":"a","kind":"object","collectionId":"c","id":"i","type":"t","dateAdded":"d","seq":-1}', '{"v":1,"origin":"a","kind":"nope"}'])
      expect(decodeNotice(bad), bad).toBeNull()
  })
})

describe.skipIf(!DIALECTS.includes('sqlite'))('live events on SQLite', () => {
  it('stay in-process: no channel, delivered once', async () => {
    const n = await createTestNode('sqlite')
    try {
      const admin: Viewer = { kind: 'system', name: 'test', orgId: n.hostOrgId }
      const sub = n.services.events.subscribe(admin)
      const r = await n.services.ingest.addObjects(admin, { collection: 'default', objects: [indicator(1, 'sqlite')] })
      expect(r.ok).toBe(true)
      expect(objectIds(await take(sub, 300))).toEqual([indicator(1, 'sqlite').id])
      sub.close()
    } finally {
      await n.close()
    }
  })
})

describe.skipIf(!DIALECTS.includes('postgres'))('live events across processes on PostgreSQL', () => {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`
  const stores: Store[] = []
  const channels: PostgresEventChannel[] = []
  let a: Services
  let b: Services
  let channelB: PostgresEventChannel
  let system: Viewer
  let reader: Viewer
  let outsider: Viewer
  let partner: Viewer

  /** One "process": its own store (pool) and channel on the shared schema, and its services. */
  async function startProcess(): Promise<{ services: Services; channel: PostgresEventChannel }> {
    const store = await openStore({ driver: 'postgres', url: PG_TEST_URL, schema, poolMax: 3 })
    stores.push(store)
    await store.migrate()
    const channel = await openPostgresEventChannel({ url: PG_TEST_URL, schema, reconnect: { baseMs: 50, maxMs: 200 } })
    channels.push(channel)
    const key = loadPrivateKey(generateNodeKey().privateKeyPem)
    const services = makeServices({
      store, clock: systemClock, ids: nodeIds, hasher: nodeHasher, secrets: nodeSecrets, logger: silentLogger, nodeKey: key, verify: ed25519Verify, eventChannel: channel,
    })
    return { services, channel }
  }

  beforeAll(async () => {
    const pa = await startProcess()
    a = pa.services
    const key = loadPrivateKey(generateNodeKey().privateKeyPem)
    const init = await a.admin.initNode({ orgName: 'Test Election Authority', adminUsername: 'admin', nodeName: 'n', key: { publicKey: key.publicKey, origin: 'test/fanout' } })
    if (!init.ok) throw new Error(JSON.stringify(init.error))
    system = { kind: 'system', name: 'test', orgId: init.value.organisation.id }
    const org = async (name: string) => {
      const o = await a.admin.createOrganisation(system, { name })
      if (!o.ok) throw new Error(name)
      return o.value.id
    }
    const readerOrg = await org('Reader CERT')
    const outsiderOrg = await org('Observer Mission')
    const partnerOrg = await org('Partner CERT')
    expect((await a.admin.setCollectionPermission(system, { collection: 'default', orgId: readerOrg, canRead: true, canWrite: false })).ok).toBe(true)
    reader = { kind: 'user', userId: 'u-reader', username: 'reader', orgId: readerOrg, role: 'analyst' }
    outsider = { kind: 'user', userId: 'u-outsider', username: 'outsider', orgId: outsiderOrg, role: 'analyst' }
    partner = { kind: 'user', userId: 'u-partner', username: 'partner', orgId: partnerOrg, role: 'analyst' }
    const pb = await startProcess()
    b = pb.services
    channelB = pb.channel
  })
  afterAll(async () => {
    for (const c of channels) await c.close()
    for (const s of stores) await s.close()
    await dropSchema(schema)
  })

  it('delivers an object ingested by one process to the other process’s subscribers who may read it, and once to the publisher’s', async () => {
    const onB = b.events.subscribe(reader)
    const outsiderOnB = b.events.subscribe(outsider)
    const onA = a.events.subscribe(reader)
    const obj = indicator(2, 'Results site scanner')
    const r = await a.ingest.addObjects(system, { collection: 'default', objects: [obj] })
    expect(r.ok).toBe(true)
    const got = await take(onB, 3000, (ds) => objectIds(ds).length > 0)
    expect(objectIds(got)).toEqual([obj.id])
    const ev = got.find((d) => d.kind === 'event')
    expect(ev?.kind === 'event' && ev.event.body.kind === 'object' ? ev.event.body.name : null).toBe('Results site scanner')
    // The publisher's subscriber: exactly once (its own notice is ignored).
    expect(objectIds(await take(onA, 800))).toEqual([obj.id])
    // No read right on the collection: nothing, on either process.
    expect(await take(outsiderOnB, 300)).toEqual([])
    expect(b.events.stats()).toMatchObject({ received: 1 })
    for (const s of [onA, onB, outsiderOnB]) s.close()
  })

  it('streams an object ingested through one process over Server-Sent Events of the other, to readers only', async () => {
    const app = await buildApp({ services: b, logger: silentLogger, options: DEFAULT_HTTP_OPTIONS })
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    try {
      const tokenOf = async (v: Viewer, username: string) => {
        const u = await a.admin.createUser(system, { orgId: v.orgId, username, role: 'analyst', password: 'correct horse battery staple' })
        if (!u.ok) throw new Error(JSON.stringify(u.error))
        const t = await a.admin.createToken(system, { userId: u.value.id, name: 'sse' })
        if (!t.ok) throw new Error(JSON.stringify(t.error))
        return t.value.secret
      }
      const stream = (token: string) => {
        const events: string[] = []
        const req = httpRequest(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            for (const block of chunk.split('\n\n')) if (block.startsWith('id: ')) events.push(block)
          })
        })
        req.on('error', () => undefined)
        req.end()
        return { events, close: () => req.destroy() }
      }
      const readerStream = stream(await tokenOf(reader, 'sse-reader'))
      const outsiderStream = stream(await tokenOf(outsider, 'sse-outsider'))
      await new Promise((r) => setTimeout(r, 300))
      const obj = indicator(4, 'Seen over SSE')
      expect((await a.ingest.addObjects(system, { collection: 'default', objects: [obj] })).ok).toBe(true)
      for (let i = 0; i < 60 && !readerStream.events.some((e) => e.includes(obj.id)); i++) await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 300))
      expect(readerStream.events.filter((e) => e.includes(obj.id))).toHaveLength(1)
      expect(readerStream.events.join('')).toContain('"name":"Seen over SSE"')
      // The object's content never reaches the stream, only its id and name.
      expect(readerStream.events.join('')).not.toContain('results-4.example')
      expect(outsiderStream.events).toEqual([])
      readerStream.close()
      outsiderStream.close()
    } finally {
      await app.close()
    }
  })

  it('delivers case changes to the case’s organisations only', async () => {
    const partnerOnB = b.events.subscribe(partner)
    const outsiderOnB = b.events.subscribe(outsider)
    const lead: Viewer = { kind: 'user', userId: 'u-lead', username: 'lead', orgId: system.orgId, role: 'analyst' }
    const c = await a.cases.create(lead, { title: 'Hack and leak', participants: [partner.kind === 'user' ? partner.orgId : ''] })
    expect(c.ok).toBe(true)
    if (!c.ok) return
    expect((await a.cases.createRequest(lead, c.value.id, { kind: 'forensics', description: 'Image the mailbox server' })).ok).toBe(true)
    expect(caseChanges(await take(partnerOnB, 3000, (ds) => caseChanges(ds).length >= 2))).toEqual(['created', 'request_created'])
    expect(await take(outsiderOnB, 300)).toEqual([])
    partnerOnB.close()
    outsiderOnB.close()
  })

  it('reconnects a lost LISTEN connection, tells its subscribers to reload, and delivers again', async () => {
    const onB = b.events.subscribe(reader)
    const before = channelB.state()
    expect(before.connected).toBe(true)
    const admin = new pg.Client({ connectionString: PG_TEST_URL })
    await admin.connect()
    try {
      await admin.query('select pg_terminate_backend($1)', [before.pid])
    } finally {
      await admin.end()
    }
    const reset = await take(onB, 3000, (ds) => ds.some((d) => d.kind === 'reset'))
    expect(reset.map((d) => d.kind)).toContain('reset')
    const after = channelB.state()
    expect(after).toMatchObject({ connected: true, reconnects: before.reconnects + 1 })
    expect(after.pid).not.toBe(before.pid)
    const obj = indicator(3, 'After reconnect')
    expect((await a.ingest.addObjects(system, { collection: 'default', objects: [obj] })).ok).toBe(true)
    expect(objectIds(await take(onB, 3000, (ds) => objectIds(ds).length > 0))).toEqual([obj.id])
    onB.close()
  })
})
