import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { attackObjects, attackOfType, disarmObjects } from '../../../test/data.js'
import { createTestNode, type TestNode } from '../../../test/node.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { canonicalize } from '../../core/stix/canonical.js'

const bySystem = (node: TestNode): Viewer => ({ kind: 'system', name: 'test', orgId: node.hostOrgId })

async function collectExport(node: TestNode): Promise<string[]> {
  const r = await node.services.objects.exportLatest(bySystem(node), { collection: 'default', batchSize: 500 })
  if (!r.ok) throw new Error(r.error.code)
  const out: string[] = []
  for await (const b of r.value) out.push(...b)
  return out
}

function batchesOf(objects: readonly unknown[], size: number) {
  return (async function* () {
    for (let i = 0; i < objects.length; i += size) {
      yield objects.slice(i, i + size).map((o, j) => ({ index: i + j, text: JSON.stringify(o) }))
    }
  })()
}

for (const dialect of DIALECTS) {
  describe(`ingest pipeline [${dialect}]`, () => {
    let node: TestNode
    beforeEach(async () => {
      node = await createTestNode(dialect)
    })
    afterEach(async () => {
      await node.close()
    })

    it('stores valid objects, reports invalid ones with a pointer, and stores nothing for them', async () => {
      const [a, b] = attackOfType('attack-pattern', 2)
      const broken = { ...a!, id: 'attack-pattern--not-a-uuid' }
      const r = await node.services.ingest.addObjects(bySystem(node), { collection: 'default', objects: [b, broken, 42] })
      expect(r.ok).toBe(true)
      if (!r.ok) return
      expect(r.value.results.map((x) => x.outcome)).toEqual(['added', 'failed', 'failed'])
      expect(r.value.results[1]).toMatchObject({ id: 'attack-pattern--not-a-uuid', code: 'stix_invalid', pointer: '/id' })
      expect(r.value.status).toMatchObject({ totalCount: 3, successCount: 1, failureCount: 2, status: 'complete' })
      expect(await node.store.collections.countObjects(node.defaultCollectionId)).toBe(1)
    })

    it('accepts the same (id, modified) once and reports the replay as a duplicate', async () => {
      const objs = attackOfType('intrusion-set', 5)
      const first = await node.services.ingest.addObjects(bySystem(node), { collection: 'default', objects: [...objs, objs[0]] })
      expect(first.ok && first.value.results.map((r) => r.outcome)).toEqual(['added', 'added', 'added', 'added', 'added', 'duplicate'])
      const again = await node.services.ingest.addObjects(bySystem(node), { collection: 'default', objects: objs })
      expect(again.ok && again.value.results.every((r) => r.outcome === 'duplicate')).toBe(true)
      expect(await node.store.collections.countObjects(node.defaultCollectionId)).toBe(5)
      expect(await node.store.objects.versionsOf(objs[0]!.id)).toHaveLength(1)
    })

    it('keeps every version and rejects a different object reusing an (id, modified)', async () => {
      const [obj] = attackOfType('malware', 1)
      const v2 = { ...obj!, modified: '2030-01-01T00:00:00.000Z', description: 'second version' }
      const clash = { ...obj!, description: 'same modified, different content' }
      const r = await node.services.ingest.addObjects(bySystem(node), { collection: 'default', objects: [obj, v2, clash] })
      expect(r.ok && r.value.results.map((x) => [x.outcome, x.code])).toEqual([['added', undefined], ['added', undefined], ['failed', 'conflict']])
      const versions = await node.store.objects.versionsOf(obj!.id)
      expect(versions.map((v) => JSON.parse(v.json).modified)).toEqual([obj!['modified'], '2030-01-01T00:00:00.000Z'])
    })

    it('refuses writes from read-only users and hides collections an organisation may not see', async () => {
      const org = await node.services.admin.createOrganisation(bySystem(node), { name: 'Partner CERT' })
      if (!org.ok) throw new Error('org')
      const reader: Viewer = { kind: 'user', userId: 'u1', username: 'r', orgId: org.value.id, role: 'read_only' }
      const analyst: Viewer = { ...reader, role: 'analyst' }
      const objs = attackOfType('tool', 1)
      const denied = await node.services.ingest.addObjects(reader, { collection: 'default', objects: objs })
      expect(denied).toEqual({ ok: false, error: { code: 'forbidden', reason: 'role' } })
      const hidden = await node.services.ingest.addObjects(analyst, { collection: 'default', objects: objs })
      expect(hidden.ok === false && hidden.error.code).toBe('not_found')
      const missing = await node.services.ingest.addObjects(analyst, { collection: 'no-such-collection', objects: objs })
      expect(missing.ok === false && missing.error.code).toBe('not_found')
      await node.services.admin.setCollectionPermission(bySystem(node), { collection: 'default', orgId: org.value.id, canRead: true, canWrite: false })
      const readOnly = await node.services.ingest.addObjects(analyst, { collection: 'default', objects: objs })
      expect(readOnly).toEqual({ ok: false, error: { code: 'forbidden', reason: 'collection' } })
      expect(await node.store.collections.countObjects(node.defaultCollectionId)).toBe(0)
    })

    it('imports all of MITRE ATT&CK and DISARM without an error or a lost property', async () => {
      const attack = attackObjects()
      const disarm = disarmObjects()
      const a = await node.services.ingest.importStream(bySystem(node), {
        collection: 'default', source: 'attack', fingerprint: 'attack', batches: batchesOf(attack, 2000),
      })
      expect(a.ok && { added: a.value.added, failed: a.value.failed, failures: a.value.failures.slice(0, 3) }).toEqual({ added: attack.length, failed: 0, failures: [] })
      const d = await node.services.ingest.importStream(bySystem(node), {
        collection: 'default', source: 'disarm', fingerprint: 'disarm', batches: batchesOf(disarm, 500),
      })
      // DISARM shares its marking-definition/identity with nothing in ATT&CK: all new.
      expect(d.ok && d.value.failed).toBe(0)
      const exported = await collectExport(node)
      const byId = new Map(exported.map((j) => [JSON.parse(j).id as string, j]))
      for (const o of [...attack, ...disarm]) expect(byId.get(o.id)).toBe(canonicalize(o))
    }, 120_000)

    it('resumes an interrupted import without loss or duplication', async () => {
      const objs = attackObjects().slice(0, 3000)
      let calls = 0
      const crashing = (async function* () {
        for await (const b of batchesOf(objs, 500)) {
          if (++calls === 4) throw new Error('simulated crash')
          yield b
        }
      })()
      await expect(
        node.services.ingest.importStream(bySystem(node), { collection: 'default', source: 'f', fingerprint: 'fp1', batches: crashing }),
      ).rejects.toThrow('simulated crash')
      const stored = await node.store.collections.countObjects(node.defaultCollectionId)
      expect(stored).toBeGreaterThan(0)
      expect(stored).toBeLessThan(3000)
      const resumed = await node.services.ingest.importStream(bySystem(node), { collection: 'default', source: 'f', fingerprint: 'fp1', batches: batchesOf(objs, 500) })
      expect(resumed.ok).toBe(true)
      expect(await node.store.collections.countObjects(node.defaultCollectionId)).toBe(3000)
      if (resumed.ok) expect(resumed.value.added + resumed.value.duplicates).toBe(3000)
    })
  })
}
