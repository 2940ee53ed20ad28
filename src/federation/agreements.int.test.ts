/**
 * Federation under agreements, between real `entente serve` processes on loopback ports, set up with
 * the peer and agreement CLIs: the TLP × agreement matrix (no agreement, highest TLP, excluded types,
 * recipients), termination stopping sharing at the next sync (and reads of what was already offered),
 * and relays through a coordinator with and without onward-sharing rights. Schedulers are off; each
 * step is an `entente peer sync`.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withRecipients } from '../core/marking/recipients.js'
import { TLP2 } from '../services/federation/policy.js'
import { addObjects, agree, collectionIds, json, peer, peerToken, serve, stop, testNode, type TestNode } from '../../test/federation-nodes.js'

const base = 24000 + (process.pid % 2000) * 5
const T = '2026-03-01T00:00:00.000Z'

function stix(type: 'indicator' | 'malware' | 'report', marking: string, recipients?: string[]): Record<string, unknown> {
  const id = `${type}--${randomUUID()}`
  const common = { type, spec_version: '2.1', id, created: T, modified: T, object_marking_refs: [marking] }
  const o =
    type === 'indicator'
      ? { ...common, name: `ballot portal lookalike ${id.slice(-6)}`, pattern: `[domain-name:value = 'vote-${id.slice(-12)}.example']`, pattern_type: 'stix', valid_from: T }
      : type === 'malware'
        ? { ...common, name: `loader ${id.slice(-6)}`, is_family: false }
        : { ...common, name: `situation report ${id.slice(-6)}`, published: T, object_refs: [`identity--${randomUUID()}`] }
  return recipients ? withRecipients(o, recipients) : o
}

async function init(n: TestNode, dir: string): Promise<void> {
  n.data = join(dir, n.name.replace(/ /g, '-'))
  n.token = (await json(n, ['init', '--org', `${n.name} Election Authority`])).token.secret
  await serve(n)
}

describe('the TLP × agreement matrix and termination between two nodes', () => {
  let dir: string
  const a = testNode('Arland', base)
  const b = testNode('Borduria', base + 1)
  let bOrg: string
  let inbound: string
  const other = 'identity--00000000-0000-4000-8000-000000000001'

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entente-agr-'))
    await Promise.all([init(a, dir), init(b, dir)])
    await peer(a, b, 'b', 'a')
    bOrg = (await json(a, ['peer', 'status', 'b'])).organisations[0].identityId
    inbound = (await json(b, ['peer', 'status', 'a'])).inboundCollectionId
  }, 180_000)

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)])
    rmSync(dir, { recursive: true, force: true })
  })

  const objs: Record<string, Record<string, unknown>> = {}
  let agreement1 = ''

  it('shares only TLP:CLEAR without an agreement', async () => {
    Object.assign(objs, {
      clear: stix('indicator', TLP2.clear),
      green: stix('indicator', TLP2.green),
      amber: stix('indicator', TLP2.amber),
      amberB: stix('indicator', TLP2.amber, [bOrg]),
      amberOther: stix('indicator', TLP2.amber, [other]),
      strictB: stix('indicator', TLP2.amberStrict, [bOrg]),
      redB: stix('indicator', TLP2.red, [bOrg]),
      malwareGreen: stix('malware', TLP2.green),
    })
    await addObjects(a, Object.values(objs))
    expect((await json(a, ['peer', 'sync', 'b'])).published).toBe(1)
    expect(await json(b, ['peer', 'sync', 'a'])).toMatchObject({ received: 1, rejected: 0 })
    expect(await collectionIds(b, inbound)).toEqual([objs['clear']!['id']])
  }, 120_000)

  it('under an agreement: up to its highest TLP, its types only, AMBER by recipients; what was withheld is looked at again', async () => {
    agreement1 = await agree(a, b, 'b', dir, ['--max-tlp', 'amber', '--exclude-types', 'malware'])
    const s = await json(a, ['peer', 'sync', 'b'])
    expect(s.published).toBe(3)
    expect(await json(b, ['peer', 'sync', 'a'])).toMatchObject({ received: 3, rejected: 0 })
    const want = ['clear', 'green', 'amber', 'amberB'].map((k) => objs[k]!['id'])
    expect((await collectionIds(b, inbound)).sort()).toEqual([...want].sort())
    // B's analysts see what arrived (AMBER: B's organisations are the recipients of the agreement).
    expect((await collectionIds(b, inbound, b.token)).sort()).toEqual([...want].sort())
  }, 180_000)

  it('stops sharing at the next sync once the agreement is terminated, and stops serving what was offered under it', async () => {
    const { token, collection } = peerToken(b, 'a')
    expect((await collectionIds(a, collection, token)).length).toBe(4)
    await json(a, ['agreement', 'terminate', agreement1, '--reason', 'end of the electoral period'])
    const late = stix('indicator', TLP2.green)
    await addObjects(a, [late])
    expect((await json(a, ['peer', 'sync', 'b'])).published).toBe(0)
    expect(await json(b, ['peer', 'sync', 'a'])).toMatchObject({ received: 0 })
    // A plain TAXII read of the per-peer collection is checked against the agreements now.
    expect(await collectionIds(a, collection, token)).toEqual([objs['clear']!['id']])
    // A new agreement (up to RED, all types): what was withheld goes now.
    await agree(b, a, 'a', dir, ['--max-tlp', 'red'])
    expect((await json(a, ['peer', 'sync', 'b'])).published).toBe(4)
    await json(b, ['peer', 'sync', 'a'])
    const got = await collectionIds(b, inbound)
    for (const k of ['strictB', 'redB', 'malwareGreen']) expect(got).toContain(objs[k]!['id'])
    expect(got).toContain(late['id'])
    expect(got).not.toContain(objs['amberOther']!['id'])
    expect(new Set(got).size).toBe(got.length)
  }, 240_000)
})

describe('a coordinator relaying between two countries', () => {
  let dir: string
  const a = testNode('Arland', base + 2)
  const b = testNode('Borduria', base + 3)
  const c = testNode('Regional Organisation', base + 4)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entente-relay-'))
    await Promise.all([init(a, dir), init(b, dir), init(c, dir)])
    await peer(a, c, 'coord', 'arland')
    await peer(b, c, 'coord', 'borduria')
    // Arland lets the coordinator relay (to any node it has an agreement with, up to AMBER); Borduria does not.
    await agree(a, c, 'coord', dir, ['--max-tlp', 'amber', '--onward', 'any', '--onward-max-tlp', 'amber'])
    await agree(b, c, 'coord', dir, ['--max-tlp', 'amber'])
  }, 300_000)

  afterAll(async () => {
    await Promise.all([stop(a), stop(b), stop(c)])
    rmSync(dir, { recursive: true, force: true })
  })

  it('relays only what every agreement on the path allows, never RED, never back along the path', async () => {
    const aOrg = (await json(c, ['peer', 'status', 'arland'])).organisations[0].identityId as string
    const bOrg = (await json(c, ['peer', 'status', 'borduria'])).organisations[0].identityId as string
    const cOrg = (await json(a, ['peer', 'status', 'coord'])).organisations[0].identityId as string
    // AMBER naming Borduria alone never reaches the coordinator (not a recipient); naming both, it can be relayed.
    const fromA = {
      green: stix('indicator', TLP2.green),
      amberB: stix('report', TLP2.amber, [bOrg, cOrg]),
      amberOnlyB: stix('indicator', TLP2.amber, [bOrg]),
      redB: stix('indicator', TLP2.red, [bOrg]),
    }
    const fromB = { clear: stix('indicator', TLP2.clear), green: stix('indicator', TLP2.green), amberA: stix('indicator', TLP2.amber, [aOrg]) }
    await addObjects(a, Object.values(fromA))
    await addObjects(b, Object.values(fromB))
    await json(a, ['peer', 'sync', 'coord'])
    await json(b, ['peer', 'sync', 'coord'])
    await json(c, ['peer', 'sync', 'arland'])
    await json(c, ['peer', 'sync', 'borduria'])
    await json(c, ['peer', 'sync', 'arland'])
    await json(a, ['peer', 'sync', 'coord'])
    await json(b, ['peer', 'sync', 'coord'])
    const ids = async (n: TestNode, peerName: string) => collectionIds(n, (await json(n, ['peer', 'status', peerName])).inboundCollectionId)
    const onC = await ids(c, 'arland')
    // The coordinator gets Arland's GREEN and AMBER; RED naming Borduria never reaches it.
    expect(onC.sort()).toEqual([fromA.green['id'], fromA.amberB['id']].sort() as string[])
    const onB = await ids(b, 'coord')
    // Arland allowed onward sharing: Borduria receives through the coordinator (GREEN, and AMBER naming it).
    expect(onB).toContain(fromA.green['id'])
    expect(onB).toContain(fromA.amberB['id'])
    expect(onB).not.toContain(fromA.redB['id'])
    expect(onB).not.toContain(fromA.amberOnlyB['id'])
    for (const o of Object.values(fromB)) expect(onB).not.toContain(o['id'])
    // Borduria did not allow onward sharing: only its CLEAR object reaches Arland, and nothing of Arland's comes back.
    const onA = await ids(a, 'coord')
    expect(onA).toEqual([fromB.clear['id']])
    // The path of a relayed version is recorded hop by hop on Borduria.
    const db = new Database(join(b.data, 'entente.db'), { readonly: true })
    const row = db.prepare('select co.path from collection_objects co join stix_objects so on so.seq = co.object_seq where so.stix_id = ? and co.path is not null').get(fromA.amberB['id']) as { path: string }
    db.close()
    const path = JSON.parse(row.path) as { from: string; to: string; agreementId: string }[]
    expect(path).toHaveLength(2)
    expect(path[0]!.to).toBe(path[1]!.from)
    expect(path.every((h) => /^x-entente-agreement--/.test(h.agreementId))).toBe(true)
  }, 300_000)
})
