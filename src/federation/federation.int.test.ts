/**
 * Federation between real `entente serve` processes on loopback ports: peering with fingerprints, the
 * per-peer collection computed by TLP (and read by a plain TAXII client with the peer's token), a
 * tampered object rejected, a node killed mid-sync resuming without loss or duplication, and a peer
 * presenting another key stopping sync. Schedulers are off (ENTENTE_FEDERATION__ENABLED=false) so each
 * step is driven by `entente peer sync` (the scheduler's timing is not covered by these tests).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attackObjects } from '../../test/data.js'
import { withRecipients } from '../core/marking/recipients.js'
import { TLP2 } from '../services/federation/policy.js'
import { addObjects, agree, BIN, collectionIds, json, nodeEnv as env, run, serve, stop, taxiiGet, type TestNode as Node } from '../../test/federation-nodes.js'

const base = 21000 + (process.pid % 2000) * 3

/** Real ATT&CK objects, re-marked with a TLP 2.0 marking (their MITRE marking is not a TLP one). */
function marked(offset: number, n: number, marking: string, extra: Record<string, unknown> = {}) {
  return attackObjects()
    .filter((o) => o.type === 'attack-pattern' || o.type === 'malware' || o.type === 'intrusion-set' || o.type === 'course-of-action')
    .slice(offset, offset + n)
    .map((o) => ({ ...o, object_marking_refs: [marking], ...extra }))
}

describe('federation between real nodes', () => {
  let dir: string
  const a: Node = { name: 'Country A', data: '', port: base, url: `http://127.0.0.1:${base}`, token: '', server: null }
  const b: Node = { name: 'Country B', data: '', port: base + 1, url: `http://127.0.0.1:${base + 1}`, token: '', server: null }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'entente-fed-'))
    for (const n of [a, b]) {
      ;(n as { data: string }).data = join(dir, n.name.replace(' ', '-'))
      n.token = (await json(n, ['init', '--org', `${n.name} Election Authority`])).token.secret
      await serve(n)
    }
  }, 120_000)

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)])
    rmSync(dir, { recursive: true, force: true })
  })

  let bOnA: { organisations: { identityId: string }[]; outboundCollectionId: string }
  let aOnB: { inboundCollectionId: string }

  it('peers two nodes with an invitation and fingerprints compared out of band', async () => {
    const inv = await json(a, ['peer', 'invite', '--name', 'b'])
    expect(inv.invitation).toMatch(/^entente-invite-1\./)
    const bOwn = (await json(b, ['peer', 'invite'])).fingerprint as string
    const accepted = await json(b, ['peer', 'accept', inv.invitation, '--name', 'a'])
    expect(accepted).toMatchObject({ name: 'a', status: 'pending', fingerprint: inv.fingerprint })
    // The invitation is single-use.
    const again = await run(b, ['peer', 'accept', inv.invitation, '--name', 'a2'])
    expect(again.code).not.toBe(0)
    expect(again.stderr.trim().split('\n')).toHaveLength(1)
    const onA = await json(a, ['peer', 'status', 'b'])
    expect(onA).toMatchObject({ status: 'pending', fingerprint: bOwn })
    // No sync before approval.
    const early = await run(b, ['peer', 'sync', 'a'])
    expect(early.code).toBe(65)
    expect(early.stderr).toMatch(/^entente: conflict: peer a is pending/)
    // A wrong fingerprint is refused.
    const wrong = await run(a, ['peer', 'approve', 'b', '--fingerprint', inv.fingerprint])
    expect(wrong.code).toBe(65)
    expect(wrong.stderr).toMatch(/does not match/)
    expect((await json(a, ['peer', 'approve', 'b', '--fingerprint', bOwn.toUpperCase()])).status).toBe('approved')
    expect((await json(b, ['peer', 'approve', 'a', '--fingerprint', inv.fingerprint])).status).toBe('approved')
    bOnA = await json(a, ['peer', 'status', 'b'])
    aOnB = await json(b, ['peer', 'status', 'a'])
    expect(bOnA.organisations.map((o) => o.identityId)).toHaveLength(1)
    // An agreement up to RED (proposed by A, accepted by B), so every TLP level can travel.
    await agree(a, b, 'b', dir, ['--max-tlp', 'red'])
  }, 180_000)

  const shared: string[] = []
  const kept: string[] = []

  it('shares by TLP under the agreement: AMBER to the partner organisations or named recipients, RED only to named recipients, unknown markings never', async () => {
    const bOrg = bOnA.organisations[0]!.identityId
    const other = 'identity--00000000-0000-4000-8000-000000000001'
    const named = <T extends Record<string, unknown>>(objs: T[], recipients: string[]): T[] => objs.map((o) => withRecipients(o, recipients))
    const groups = [
      { objs: marked(0, 2, TLP2.clear), share: true },
      { objs: marked(2, 2, TLP2.green), share: true },
      // No named recipients: the recipients are the partner organisations of the agreement.
      { objs: marked(4, 2, TLP2.amber), share: true },
      { objs: named(marked(6, 1, TLP2.amber), [bOrg]), share: true },
      { objs: named(marked(7, 1, TLP2.amberStrict), [other]), share: false },
      { objs: named(marked(8, 1, TLP2.red), [bOrg]), share: true },
      { objs: named(marked(9, 1, TLP2.red), [other]), share: false },
      { objs: marked(10, 1, TLP2.red), share: false },
      // ATT&CK as published: MITRE's own marking, not TLP: never shared.
      { objs: attackObjects().filter((o) => o.type === 'attack-pattern').slice(20, 22), share: false },
    ]
    for (const g of groups) {
      await addObjects(a, g.objs)
      ;(g.share ? shared : kept).push(...g.objs.map((o) => o.id))
    }
    const s = await json(a, ['peer', 'sync', 'b'])
    expect(s.published).toBe(shared.length)
    const pulled = await json(b, ['peer', 'sync', 'a'])
    expect(pulled).toMatchObject({ received: shared.length, rejected: 0, duplicates: 0 })
    expect(pulled.checkpoint.verdict).toBe('consistent')
    const got = await collectionIds(b, aOnB.inboundCollectionId)
    expect(got.sort()).toEqual([...shared].sort())
    // A sync with nothing new receives nothing.
    expect(await json(b, ['peer', 'sync', 'a'])).toMatchObject({ received: 0, duplicates: 0, pages: 1 })
  }, 120_000)

  it('lets any TAXII 2.1 client read the per-peer collection with the peer token, and nothing else', async () => {
    const db = new Database(join(b.data, 'entente.db'), { readonly: true })
    const row = db.prepare("select auth, remote_collection from peers where name = 'a'").get() as { auth: string; remote_collection: string }
    db.close()
    const token = (JSON.parse(row.auth) as { token: string }).token
    expect(row.remote_collection).toBe(bOnA.outboundCollectionId)
    const ids = await collectionIds(a, row.remote_collection, token)
    expect(ids.sort()).toEqual([...shared].sort())
    const def = await taxiiGet(`${a.url}/taxii2/api/collections/default/objects/`, token)
    expect(def.status).toBe(404)
    // The token is stored hashed on A.
    const dbA = new Database(join(a.data, 'entente.db'), { readonly: true })
    expect(JSON.stringify(dbA.prepare('select * from api_tokens').all())).not.toContain(token)
    dbA.close()
  }, 60_000)

  it('rejects an object whose content was changed behind the origin log’s back, and stores the rest', async () => {
    const objs = marked(40, 3, TLP2.green)
    await addObjects(a, objs)
    await json(a, ['peer', 'sync', 'b'])
    const victim = objs[1]!
    const db = new Database(join(a.data, 'entente.db'))
    const row = db.prepare('select seq, json from stix_objects where stix_id = ?').get(victim.id) as { seq: number; json: string }
    db.prepare('update stix_objects set json = ? where seq = ?').run(row.json.replace('"description":"', '"description":"TAMPERED '), row.seq)
    db.close()
    const r = await run(b, ['peer', 'sync', 'a', '--json'])
    expect(r.code).toBe(65)
    expect(JSON.parse(r.stdout)).toMatchObject({ received: 2, rejected: 1 })
    const got = await collectionIds(b, aOnB.inboundCollectionId)
    expect(got).toContain(objs[0]!.id)
    expect(got).toContain(objs[2]!.id)
    expect(got).not.toContain(victim.id)
    expect(r.stderr).toMatch(/provenance does not verify/)
  }, 120_000)

  it('resumes a sync killed with SIGKILL with nothing lost or duplicated', async () => {
    const many = marked(100, 2000, TLP2.green).concat(
      attackObjects().filter((o) => o.type === 'relationship').slice(0, 3000).map((o) => ({ ...o, object_marking_refs: [TLP2.green] })),
    )
    const file = join(dir, 'green.json')
    writeFileSync(file, JSON.stringify({ type: 'bundle', id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d', objects: many }))
    expect((await run(a, ['import', file])).code).toBe(0)
    expect((await json(a, ['peer', 'sync', 'b'])).published).toBeGreaterThanOrEqual(many.length)
    const dbPath = join(b.data, 'entente.db')
    const before = (new Database(dbPath, { readonly: true }).prepare("select received from peers where name = 'a'").get() as { received: number }).received
    const child = spawn(process.execPath, [BIN, 'peer', 'sync', 'a', '--data', b.data, '--json'], { env: env(b), stdio: ['ignore', 'ignore', 'pipe'] })
    let childErr = ''
    child.stderr?.on('data', (d: Buffer) => (childErr += d.toString()))
    const db = new Database(dbPath, { readonly: true })
    let received = before
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && child.exitCode === null) {
      received = (db.prepare("select received from peers where name = 'a'").get() as { received: number }).received
      if (received > before) break
      await new Promise((r) => setTimeout(r, 10))
    }
    child.kill('SIGKILL')
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)))
    expect(childErr).toBe('')
    expect(received).toBeGreaterThan(before)
    expect(received - before).toBeLessThan(many.length)
    db.close()
    const resumed = await json(b, ['peer', 'sync', 'a'])
    expect(resumed.duplicates).toBe(0)
    expect(received - before + resumed.received).toBe(many.length)
    const got = await collectionIds(b, aOnB.inboundCollectionId)
    expect(new Set(got).size).toBe(got.length)
    for (const o of many) expect(got).toContain(o.id)
  }, 240_000)

  it('stops syncing when the peer presents another key, until the new fingerprint is approved', async () => {
    await stop(a)
    // Another node (another key) answers at A's address.
    const impostor: Node = { name: 'Impostor', data: join(dir, 'impostor'), port: a.port, url: a.url, token: '', server: null }
    impostor.token = (await json(impostor, ['init'])).token.secret
    await serve(impostor)
    try {
      const r = await run(b, ['peer', 'sync', 'a'])
      expect(r.code).toBe(65)
      expect(r.stderr).toMatch(/presented a different key/)
      const status = await json(b, ['peer', 'status', 'a'])
      expect(status.status).toBe('key-changed')
      const newFp = (await json(impostor, ['peer', 'invite'])).fingerprint
      expect(status.presentedFingerprint).toBe(newFp)
      // Still stopped: no sync until approval, and the old fingerprint does not approve the new key.
      expect((await run(b, ['peer', 'sync', 'a'])).stderr).toMatch(/key-changed/)
      const old = await run(b, ['peer', 'approve', 'a', '--fingerprint', status.fingerprint])
      expect(old.code).toBe(65)
    } finally {
      await stop(impostor)
    }
  }, 120_000)
})
