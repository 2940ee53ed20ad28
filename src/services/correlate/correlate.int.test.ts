/**
 * Correlation end to end through the node (issue 4, "Done when"), on both engines: real Maltrail
 * trails as organisation A's indicators, organisation B's observed-data, the sightings in the
 * transparency log, alerts that show each side only what the read policy allows, warninglists,
 * revocation, validity, re-correlation without duplicates, and an indicator that arrives after the
 * observation.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patternFor } from '../../../bench/generate.js'
import { DIALECTS } from '../../../test/db.js'
import { SHARED_DATA } from '../../../test/data.js'
import { createTestNode, fakeClock, type TestNode } from '../../../test/node.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { WarninglistMatcher } from '../../core/correlate/warninglists.js'
import { loadWarninglists } from '../../platform/warninglists.js'
import type { Alert } from '../../store/port.js'
import { TLP2_IDS } from '../../core/marking/tlp.js'
import { RECIPIENTS_EXTENSION_ID } from '../../core/marking/recipients.js'

const T0 = Date.parse('2026-11-01T00:00:00Z')

function uuid(s: string): string {
  const x = createHash('sha256').update(s).digest('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-4${x.slice(13, 16)}-8${x.slice(17, 20)}-${x.slice(20, 32)}`
}

/** The first Maltrail trails of a type (real values). */
function trails(type: 'domain' | 'ipv4', n: number, skip = 0): string[] {
  const text = gunzipSync(readFileSync(join(SHARED_DATA, 'iocs', 'maltrail-static-trails.csv.gz'))).toString('utf8')
  const out: string[] = []
  let seen = 0
  for (const line of text.split('\n')) {
    const [value, t] = line.split(',')
    if (t !== type || !value) continue
    if (seen++ < skip) continue
    out.push(value)
    if (out.length === n) break
  }
  return out
}

/** A ThreatFox IP that Maltrail lists as a plain IPv4 trail and no warninglist names (some are known sinkholes). */
function threatfoxInMaltrail(benign: (ip: string) => boolean): string {
  const tf = new Set(readFileSync(join(SHARED_DATA, 'iocs', 'threatfox-ioc-ips.txt'), 'utf8').split('\n'))
  const text = gunzipSync(readFileSync(join(SHARED_DATA, 'iocs', 'maltrail-static-trails.csv.gz'))).toString('utf8')
  for (const line of text.split('\n')) {
    const [value, t] = line.split(',')
    if (t === 'ipv4' && value && tf.has(value) && !benign(value)) return value
  }
  throw new Error('no ThreatFox IP among the Maltrail IPv4 trails')
}

function indicator(value: string, type: 'domain' | 'ipv4', over: Record<string, unknown> = {}) {
  const pattern = patternFor(value, type)
  if (!pattern) throw new Error(`no pattern for ${value}`)
  return {
    type: 'indicator', spec_version: '2.1', id: `indicator--${uuid(`${type}|${value}`)}`,
    created: '2026-10-30T12:00:00.000Z', modified: '2026-10-30T12:00:00.000Z',
    name: `maltrail ${value}`, indicator_types: ['malicious-activity'], pattern, pattern_type: 'stix', valid_from: '2026-10-30T12:00:00Z',
    ...over,
  }
}

function observedData(scoType: 'domain-name' | 'ipv4-addr', value: string, salt = '') {
  const sco = { type: scoType, spec_version: '2.1', id: `${scoType}--${uuid(`sco|${value}`)}`, value }
  const od = {
    type: 'observed-data', spec_version: '2.1', id: `observed-data--${uuid(`od|${value}|${salt}`)}`,
    created: '2026-10-31T08:00:00.000Z', modified: '2026-10-31T08:00:00.000Z',
    first_observed: '2026-10-31T07:00:00Z', last_observed: '2026-10-31T07:30:00Z', number_observed: 3, object_refs: [sco.id],
  }
  return [sco, od] as const
}

for (const dialect of DIALECTS) {
  describe(`correlation end to end [${dialect}]`, () => {
    let node: TestNode
    const clock = fakeClock(T0)
    let A: Viewer
    let B: Viewer
    let orgA: { id: string; identityId: string }
    let orgB: { id: string; identityId: string }
    let collA: string
    let collB: string
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: node.hostOrgId })
    const [d1, d2, d3, d4, d5] = trails('domain', 5)
    const [d6] = trails('domain', 1, 40)
    let ip1 = ''

    const alertsOf = async (orgId: string, suppressed = false): Promise<Alert[]> => [...(await node.store.alerts.list({ orgId, suppressed, limit: 1000 })).items]
    const add = async (viewer: Viewer, collection: string, objects: unknown[]) => {
      const r = await node.services.ingest.addObjects(viewer, { collection, objects })
      if (!r.ok) throw new Error(JSON.stringify(r.error))
      expect(r.value.results.filter((x) => x.outcome === 'failed')).toEqual([])
      return r.value
    }
    const sightingsIn = async (collectionId: string) => {
      const page = await node.store.objects.query({ collectionId, types: ['sighting'], limit: 1000, withContent: true })
      return page.items.map((e) => JSON.parse(e.json ?? '{}') as Record<string, unknown>)
    }

    beforeAll(async () => {
      const wl = await loadWarninglists(join(SHARED_DATA, 'misp', 'warninglists'))
      const matcher = new WarninglistMatcher(wl.lists)
      ip1 = threatfoxInMaltrail((ip) => matcher.match(ip, 'ip').length > 0)
      node = await createTestNode(dialect, { clock, correlation: { warninglists: wl.lists, maxIndicatorsPerValue: 100 } })
      const s = system()
      const mk = async (name: string) => {
        const o = await node.services.admin.createOrganisation(s, { name })
        if (!o.ok) throw new Error('org')
        const c = await node.services.admin.createCollection(s, { title: `${name} intelligence` })
        if (!c.ok) throw new Error('collection')
        await node.services.admin.setCollectionPermission(s, { collection: c.value.id, orgId: o.value.id, canRead: true, canWrite: true })
        const u = await node.services.admin.createUser(s, { orgId: o.value.id, username: `analyst-${name.toLowerCase().replace(/\W/g, '')}`, role: 'analyst' })
        if (!u.ok) throw new Error('user')
        const viewer: Viewer = { kind: 'user', userId: u.value.id, username: u.value.username, orgId: o.value.id, role: 'analyst' }
        return { org: o.value, collection: c.value.id, viewer }
      }
      const a = await mk('CERT Alpha')
      const b = await mk('Election Authority Beta')
      ;[orgA, orgB, collA, collB, A, B] = [a.org, b.org, a.collection, b.collection, a.viewer, b.viewer]
      // A shares real Maltrail trails (and a public resolver, to be suppressed by the warninglist).
      await add(A, collA, [indicator(d1 as string, 'domain'), indicator(ip1, 'ipv4'), indicator('8.8.8.8', 'ipv4'), indicator(d2 as string, 'domain')])
    })
    afterAll(async () => {
      await node?.close()
    })

    it('a match makes a logged sighting in the reporter collection and an alert to each side, showing only what each may read', async () => {
      const [sco, od] = observedData('domain-name', (d1 as string).toUpperCase())
      await add(B, collB, [sco, od])
      const [sco2, od2] = observedData('ipv4-addr', ip1)
      await add(B, collB, [sco2, od2])

      const sightings = await sightingsIn(collB)
      expect(sightings).toHaveLength(2)
      const s1 = sightings.find((s) => s.sighting_of_ref === indicator(d1 as string, 'domain').id)
      expect(s1).toMatchObject({
        where_sighted_refs: [orgB.identityId], observed_data_refs: [od.id], first_seen: '2026-10-31T07:00:00Z', last_seen: '2026-10-31T07:30:00Z', count: 3,
      })
      expect(await sightingsIn(collA)).toEqual([])

      // The sighting went through the ingest pipeline: in the log, as the correlation actor.
      const head = await node.store.log.head()
      const entries = await node.store.log.entries(0, head.size)
      const logged = entries.map((e) => JSON.parse(e.text) as { kind: string; by: Record<string, string>; object?: { id: string }; collection?: string })
      expect(logged.filter((e) => e.object?.id === s1?.id)).toEqual([expect.objectContaining({ kind: 'object.added', by: { system: 'correlation' }, collection: collB })])
      expect(await node.services.verifyLog()).toMatchObject({ ok: true, problems: [] })

      // Both sides are unmarked, so AMBER (the collections' default), and neither organisation may read
      // the other's collection: neither is a recipient of the other's object. The alerts are stored,
      // but the alert read path (decide() on both objects it names) shows neither side anything.
      const forA = await alertsOf(orgA.id)
      expect(forA).toHaveLength(2)
      const a1 = forA.find((x) => x.indicatorId === indicator(d1 as string, 'domain').id) as Alert
      expect(a1).toMatchObject({ kind: 'indicator_sighted', value: (d1 as string).toLowerCase(), suppressed: null, observationId: od.id })
      expect(a1.detail).toMatchObject({ count: 3, observation: null, indicator: { id: indicator(d1 as string, 'domain').id } })
      expect(typeof (a1.detail.decay as { score: number }).score).toBe('number')
      expect(await alertsOf(orgB.id)).toHaveLength(2)
      expect(await node.services.alerts.list(A, {})).toMatchObject({ ok: true, value: { items: [], nextCursor: null } })
      expect(await node.services.alerts.list(B, {})).toMatchObject({ ok: true, value: { items: [], nextCursor: null } })
      expect(await node.services.alerts.get(B, (await alertsOf(orgB.id))[0]?.id as string)).toMatchObject({ ok: false, error: { code: 'not_found' } })
      expect(await node.services.alerts.markRead(A, a1.id)).toMatchObject({ ok: false, error: { code: 'not_found' } })
      // The sighting is no wider than what it derives from: AMBER on both sides and nobody on the node
      // may see both, so it is RED and names nobody; its producer is no organisation.
      expect(s1).toMatchObject({ object_marking_refs: [TLP2_IDS.red] })
      expect(JSON.stringify(s1)).not.toContain(RECIPIENTS_EXTENSION_ID)
      const readsB = await node.services.objects.objectEntries(B, { collection: collB, id: s1?.id as string, filters: {}, after: null, limit: 10, withContent: true })
      expect(readsB).toMatchObject({ ok: false, error: { code: 'not_found' } })
      // Administrators see every alert, as stored.
      const admin = await node.services.alerts.list(system(), { orgId: orgB.id })
      expect(admin.ok && admin.value.items).toHaveLength(2)
    })

    it('each side sees the other when the read policy allows it', async () => {
      await node.services.admin.setCollectionPermission(system(), { collection: collB, orgId: orgA.id, canRead: true, canWrite: false })
      await node.services.admin.setCollectionPermission(system(), { collection: collA, orgId: orgB.id, canRead: true, canWrite: false })
      await add(A, collA, [indicator(d4 as string, 'domain')])
      const [sco, od] = observedData('domain-name', d4 as string)
      await add(B, collB, [sco, od])
      const a = (await alertsOf(orgA.id)).find((x) => x.observationId === od.id) as Alert
      expect(a.detail).toMatchObject({ observation: { id: od.id, collectionId: collB, reporter: orgB.id, reporterName: 'Election Authority Beta' } })
      const b = (await alertsOf(orgB.id)).find((x) => x.observationId === od.id) as Alert
      expect(b.detail).toMatchObject({ indicator: { id: indicator(d4 as string, 'domain').id, pattern: `[domain-name:value = '${d4}']`, ownerName: 'CERT Alpha' } })
      // Through the alert service, each sees the alert with both sides (readers of both collections).
      const viewA = await node.services.alerts.get(A, a.id)
      expect(viewA).toMatchObject({ ok: true, value: { indicatorId: indicator(d4 as string, 'domain').id, observationId: od.id, value: d4, detail: { observation: { id: od.id } } } })
      expect(viewA.ok && JSON.stringify(viewA.value)).not.toContain('observationAt')
      const viewB = await node.services.alerts.get(B, b.id)
      expect(viewB).toMatchObject({ ok: true, value: { indicatorId: indicator(d4 as string, 'domain').id, detail: { indicator: { pattern: `[domain-name:value = '${d4}']` } } } })
      // The sighting names exactly the organisations that may see both (A and B, both readers of both
      // collections now), at AMBER, and B reads it.
      const sd4 = (await sightingsIn(collB)).find((x) => x.sighting_of_ref === indicator(d4 as string, 'domain').id)
      expect(sd4).toMatchObject({ object_marking_refs: [TLP2_IDS.amber], extensions: { [RECIPIENTS_EXTENSION_ID]: { recipient_refs: [orgA.identityId, orgB.identityId].sort() } } })
      expect(await node.services.objects.objectEntries(B, { collection: collB, id: sd4?.id as string, filters: {}, after: null, limit: 10, withContent: true })).toMatchObject({ ok: true })
      await node.services.admin.setCollectionPermission(system(), { collection: collB, orgId: orgA.id, canRead: false, canWrite: false })
      await node.services.admin.setCollectionPermission(system(), { collection: collA, orgId: orgB.id, canRead: false, canWrite: false })
    })

    it('a RED indicator of another organisation does not reach the reporter through an alert; a GREEN observation reaches the owner without details', async () => {
      // B may read A's collection, but A's indicator is RED naming nobody: only A sees it.
      await node.services.admin.setCollectionPermission(system(), { collection: collA, orgId: orgB.id, canRead: true, canWrite: false })
      const red = indicator(d6 as string, 'domain', { object_marking_refs: [TLP2_IDS.red] })
      await add(A, collA, [red])
      const [sco, od] = observedData('domain-name', d6 as string)
      await add(B, collB, [{ ...sco, object_marking_refs: [TLP2_IDS.green] }, { ...od, object_marking_refs: [TLP2_IDS.green] }])
      const stored = (await alertsOf(orgB.id)).find((x) => x.indicatorId === red.id) as Alert
      expect(stored).toBeDefined()
      // Nothing of it for B: not the alert, not its value, not the pattern, not through get or the list.
      const listB = await node.services.alerts.list(B, { limit: 1000 })
      expect(listB.ok && JSON.stringify(listB.value)).not.toContain(d6 as string)
      expect(listB.ok && listB.value.items.some((x) => x.id === stored.id)).toBe(false)
      expect(await node.services.alerts.get(B, stored.id)).toMatchObject({ ok: false, error: { code: 'not_found' } })
      // A sees the GREEN observation (community) but may not read B's collection: the fact, no ids.
      const forA = (await alertsOf(orgA.id)).find((x) => x.indicatorId === red.id) as Alert
      const viewA = await node.services.alerts.get(A, forA.id)
      expect(viewA).toMatchObject({ ok: true, value: { indicatorId: red.id, observationId: null, value: (d6 as string).toLowerCase(), detail: { observation: null, note: 'sighted by another organisation' } } })
      expect(viewA.ok && JSON.stringify(viewA.value)).not.toContain(collB)
      // The sighting is RED and names A only (the one organisation that may see both); B does not see it.
      const sd5 = (await sightingsIn(collB)).find((x) => x.sighting_of_ref === red.id)
      expect(sd5).toMatchObject({ object_marking_refs: [TLP2_IDS.red], extensions: { [RECIPIENTS_EXTENSION_ID]: { recipient_refs: [orgA.identityId] } } })
      expect(await node.services.objects.objectEntries(B, { collection: collB, id: sd5?.id as string, filters: {}, after: null, limit: 10, withContent: true })).toMatchObject({ ok: false })
      await node.services.admin.setCollectionPermission(system(), { collection: collA, orgId: orgB.id, canRead: false, canWrite: false })
    })

    it('a warninglisted value makes no sighting and no alert, only a recorded suppression', async () => {
      const before = (await alertsOf(orgA.id)).length + (await alertsOf(orgB.id)).length
      const [sco, od] = observedData('ipv4-addr', '8.8.8.8')
      await add(B, collB, [sco, od])
      expect((await alertsOf(orgA.id)).length + (await alertsOf(orgB.id)).length).toBe(before)
      expect((await sightingsIn(collB)).filter((s) => s.sighting_of_ref === indicator('8.8.8.8', 'ipv4').id)).toEqual([])
      const suppressed = await alertsOf(orgA.id, true)
      expect(suppressed).toEqual([expect.objectContaining({ value: '8.8.8.8', observationId: od.id, suppressed: 'warninglist: List of known IPv4 public DNS resolvers' })])
      // Users cannot list suppressions; administrators can.
      expect(await node.services.alerts.list(A, { suppressed: true })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      const admin = await node.services.alerts.list(system(), { suppressed: true })
      expect(admin.ok && admin.value.items.map((x) => x.suppressed)).toEqual(['warninglist: List of known IPv4 public DNS resolvers'])
    })

    it('a revoked indicator and one past valid_until stop matching', async () => {
      await add(A, collA, [indicator(d2 as string, 'domain', { modified: '2026-10-31T00:00:00.000Z', revoked: true })])
      await add(A, collA, [indicator(d5 as string, 'domain', { valid_until: '2026-10-31T00:00:00Z' })])
      const count = async () => (await alertsOf(orgA.id)).length + (await alertsOf(orgA.id, true)).length
      const before = await count()
      for (const v of [d2, d5] as string[]) {
        const [sco, od] = observedData('domain-name', v)
        await add(B, collB, [sco, od])
      }
      expect(await count()).toBe(before)
    })

    it('an indicator ingested after the observation still finds it', async () => {
      const [sco, od] = observedData('domain-name', d3 as string, 'early')
      await add(B, collB, [sco, od])
      expect((await alertsOf(orgB.id)).some((x) => x.observationId === od.id)).toBe(false)
      clock.advance(60_000)
      await add(A, collA, [indicator(d3 as string, 'domain')])
      const b = (await alertsOf(orgB.id)).filter((x) => x.observationId === od.id)
      expect(b).toHaveLength(1)
      expect((await sightingsIn(collB)).some((s) => s.sighting_of_ref === indicator(d3 as string, 'domain').id)).toBe(true)
    })

    it('re-correlating the whole store creates no duplicates', async () => {
      const sightings = (await sightingsIn(collB)).length
      const alerts = (await alertsOf(orgA.id)).length + (await alertsOf(orgB.id)).length
      const suppressed = (await alertsOf(orgA.id, true)).length
      const r = await node.services.correlate.correlateAll()
      if (!r.ok) throw new Error('correlateAll')
      expect(r.value).toMatchObject({ sightings: 0, alerts: 0, errors: 0 })
      expect(r.value.matches).toBe(6) // d1, ip1, d4, d3, d6 and the suppressed 8.8.8.8
      expect(r.value.suppressed).toEqual({ 'warninglist: List of known IPv4 public DNS resolvers': 1 })
      expect(r.value.indicators).toBe(7) // d2 revoked; d5 is indexed but no longer valid
      expect((await sightingsIn(collB)).length).toBe(sightings)
      expect((await alertsOf(orgA.id)).length + (await alertsOf(orgB.id)).length).toBe(alerts)
      expect((await alertsOf(orgA.id, true)).length).toBe(suppressed)
      expect(await node.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
    })

    it('an observation stored again by a third organisation: no second sighting (its id is taken), an alert to the new reporter only; re-runs add nothing', async () => {
      const s = system()
      const o = await node.services.admin.createOrganisation(s, { name: 'County Gamma' })
      const c = await node.services.admin.createCollection(s, { title: 'County Gamma intelligence' })
      if (!o.ok || !c.ok) throw new Error('org or collection')
      await node.services.admin.setCollectionPermission(s, { collection: c.value.id, orgId: o.value.id, canRead: true, canWrite: true })
      const u = await node.services.admin.createUser(s, { orgId: o.value.id, username: 'analyst-gamma', role: 'analyst' })
      if (!u.ok) throw new Error('user')
      const C: Viewer = { kind: 'user', userId: u.value.id, username: u.value.username, orgId: o.value.id, role: 'analyst' }
      const forA = (await alertsOf(orgA.id)).length
      const forB = (await alertsOf(orgB.id)).length
      const inB = await sightingsIn(collB)
      // The observed-data B reported first (same ids), now also in C's collection.
      const [sco, od] = observedData('domain-name', (d1 as string).toUpperCase())
      const sightingId = inB.find((x) => x.sighting_of_ref === indicator(d1 as string, 'domain').id)?.id
      await add(C, c.value.id, [sco, od])
      expect(await sightingsIn(c.value.id)).toEqual([])
      expect(await alertsOf(o.value.id)).toEqual([expect.objectContaining({ kind: 'observation_matched', sightingId, observationId: od.id, indicatorId: indicator(d1 as string, 'domain').id })])
      expect((await alertsOf(o.value.id))[0]?.detail).toMatchObject({ observation: { collectionId: c.value.id, reporter: o.value.id }, indicator: null })
      expect((await alertsOf(orgA.id)).length).toBe(forA)
      expect((await alertsOf(orgB.id)).length).toBe(forB)
      // Twice over the whole store: every match is found again (the new membership too), nothing is added.
      for (let run = 0; run < 2; run++) {
        const r = await node.services.correlate.correlateAll()
        if (!r.ok) throw new Error('correlateAll')
        expect(r.value).toMatchObject({ matches: 7, sightings: 0, alerts: 0, errors: 0 })
      }
      expect(await sightingsIn(collB)).toEqual(inB)
      expect(await sightingsIn(c.value.id)).toEqual([])
      expect((await alertsOf(o.value.id)).length).toBe(1)
      expect((await alertsOf(orgA.id)).length).toBe(forA)
      expect((await alertsOf(orgB.id)).length).toBe(forB)
    })

    it('over-correlation: a value in more indicators than the limit is suppressed with the reason', async () => {
      const wl = { warninglists: [], maxIndicatorsPerValue: 2 }
      const other = await createTestNode(dialect, { clock, correlation: wl })
      try {
        const s: Viewer = { kind: 'system', name: 'test', orgId: other.hostOrgId }
        const value = trails('domain', 1, 10)[0] as string
        const inds = [0, 1, 2].map((i) => ({ ...indicator(value, 'domain'), id: `indicator--${uuid(`over|${i}`)}` }))
        await other.services.ingest.addObjects(s, { collection: other.defaultCollectionId, objects: inds })
        const [sco, od] = observedData('domain-name', value)
        await other.services.ingest.addObjects(s, { collection: other.defaultCollectionId, objects: [sco, od] })
        const sup = await other.store.alerts.list({ suppressed: true, limit: 10 })
        expect(sup.items).toHaveLength(3)
        expect(sup.items[0]?.suppressed).toBe('over-correlated: the value is in 3 indicators (limit 2)')
        expect((await other.store.alerts.list({ suppressed: false, limit: 10 })).items).toEqual([])
      } finally {
        await other.close()
      }
    })
  })
}
