/**
 * The transparency log on a real node, on both engines: what every write appends, the signed
 * checkpoints and proofs, what readers see of entries, provenance bundles, `entente log verify`
 * against a database tampered with behind the node's back, and concurrent appends from two processes.
 */
import { createHash, randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attackObjects, attackOfType } from '../../../test/data.js'
import { DIALECTS, openTestStore } from '../../../test/db.js'
import { createTestNode, fakeClock, makeTestServices, type TestNode } from '../../../test/node.js'
import { createTamperNode, type Row, type TamperNode } from '../../../test/tamper.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { canonicalize } from '../../core/stix/canonical.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import { openCheckpoint } from '../../core/translog/checkpoint.js'
import { decodeEntry, type LogEntry } from '../../core/translog/entry.js'
import { leafHash, MerkleFrontier, rootFromLeafHashes, verifyConsistency, verifyInclusion } from '../../core/translog/merkle.js'
import { noteVerifier, verifierKey } from '../../core/translog/note.js'
import { makeProvenanceItem, provenanceKey, verifyProvenance, type ProvenanceBundle } from '../../core/translog/provenance.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../../platform/signing.js'
import type { StoredLogEntry } from '../../store/port.js'
import { toStoredTimestamp } from '../../core/stix/time.js'
import { MAX_ENTRIES_PER_PAGE, MAX_PROVENANCE_OBJECTS } from './log.js'
import type { ProblemCode, VerifyReport } from './verify.js'
import { TLP2_IDS } from '../../core/marking/tlp.js'

/**
 * ATT&CK objects name MITRE's statement marking, which a test node does not hold (so they count as
 * RED for organisations' readers): copies without it get the collection's default (AMBER).
 */
const plain = <T extends Record<string, unknown>>(objects: readonly T[]): T[] => objects.map((o) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'object_marking_refs')) as T)

type Obj = Record<string, unknown> & { type: string; id: string }
type Decoded = StoredLogEntry & { readonly entry: LogEntry }

const utf8 = new TextEncoder()
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')
const leafOf = (text: string) => leafHash(utf8.encode(text))
const system = (node: TestNode): Viewer => ({ kind: 'system', name: 'test', orgId: node.hostOrgId })

/** Every entry from `from` to the head, decoded (and required to decode). */
async function entries(node: TestNode, from = 0): Promise<Decoded[]> {
  const head = await node.store.log.head()
  const rows = await node.store.log.entries(from, head.size)
  expect(rows.map((r) => r.index)).toEqual(Array.from({ length: head.size - from }, (_, i) => from + i))
  return rows.map((r) => {
    const d = decodeEntry(utf8.encode(r.text))
    if (!d.ok) throw new Error(`entry ${r.index} does not decode: ${d.error}`)
    return { ...r, entry: d.value }
  })
}

/** Runs a write and returns what it appended to the log. */
async function appended<T>(node: TestNode, write: () => Promise<T>): Promise<{ value: T; added: Decoded[] }> {
  const before = (await node.store.log.head()).size
  const value = await write()
  return { value, added: await entries(node, before) }
}

const kinds = (es: readonly Decoded[]) => es.map((e) => e.entry.kind)

/** The admin user of a test node, as a viewer. */
async function adminViewer(node: TestNode): Promise<Viewer> {
  const admin = await node.store.users.getByUsername('admin')
  if (!admin) throw new Error('no admin')
  return { kind: 'user', userId: admin.id, username: 'admin', orgId: node.hostOrgId, role: 'admin' }
}

async function addObjects(node: TestNode, viewer: Viewer, collection: string, objects: readonly unknown[]) {
  const r = await node.services.ingest.addObjects(viewer, { collection, objects })
  if (!r.ok) throw new Error(`addObjects: ${JSON.stringify(r.error)}`)
  return r.value.results
}

/** A partner organisation with an analyst who may read (not write) the default collection only, and a second collection B. */
async function partnerSetup(node: TestNode) {
  const sys = system(node)
  const org = await node.services.admin.createOrganisation(sys, { name: 'Partner CERT' })
  if (!org.ok) throw new Error('org')
  const user = await node.services.admin.createUser(sys, { orgId: org.value.id, username: 'partner', role: 'analyst' })
  if (!user.ok) throw new Error('user')
  const b = await node.services.admin.createCollection(sys, { title: 'Restricted', alias: 'restricted' })
  if (!b.ok) throw new Error('collection')
  const perm = await node.services.admin.setCollectionPermission(sys, { collection: 'default', orgId: org.value.id, canRead: true, canWrite: false })
  if (!perm.ok) throw new Error('permission')
  const analyst: Viewer = { kind: 'user', userId: user.value.id, username: 'partner', orgId: org.value.id, role: 'analyst' }
  return { analyst, collectionB: b.value.id, partnerOrg: org.value.id }
}

for (const dialect of DIALECTS) {
  describe(`transparency log [${dialect}]`, () => {
    const clock = fakeClock()
    const at = () => storedTimestampFromMs(clock.nowMs())

    describe('writes and reads', () => {
      let node: TestNode
      beforeEach(async () => {
        node = await createTestNode(dialect, { clock })
      })
      afterEach(async () => {
        await node.close()
      })

      it('logs entente init as six entries naming what it created, and the node key', async () => {
        const all = await entries(node)
        expect(kinds(all)).toEqual(['org.created', 'user.created', 'token.created', 'collection.created', 'collection.permission_set', 'node.key'])
        const admin = await node.store.users.getByUsername('admin')
        const [token] = await node.store.tokens.list(admin!.id)
        const org = await node.store.orgs.get(node.hostOrgId)
        const by = { system: 'init' }
        expect(all.map((e) => e.entry)).toEqual([
          { v: 1, kind: 'org.created', at: expect.any(String), by, org: { id: node.hostOrgId, identity: org!.identityId } },
          { v: 1, kind: 'user.created', at: expect.any(String), by, user: { id: admin!.id, org: node.hostOrgId, role: 'admin' } },
          { v: 1, kind: 'token.created', at: expect.any(String), by, token: { id: token!.id, user: admin!.id, expires: null } },
          { v: 1, kind: 'collection.created', at: expect.any(String), by, collection: { id: node.defaultCollectionId } },
          {
            v: 1, kind: 'collection.permission_set', at: expect.any(String), by,
            permission: { collection: node.defaultCollectionId, org: node.hostOrgId, read: true, write: true },
          },
          { v: 1, kind: 'node.key', at: expect.any(String), by, key: { ed25519: Buffer.from(node.key.publicKey).toString('base64'), origin: node.origin } },
        ])
        // Administration entries name no collection or object in their row.
        expect(all.every((e) => e.collectionId === null && e.objectSeq === null)).toBe(true)
        expect(all.every((e) => e.kind === e.entry.kind && e.at === e.entry.at && hex(e.leafHash) === hex(leafOf(e.text)))).toBe(true)
      })

      it('appends exactly one entry per administrative write, by whoever made it, and nothing for refused writes', async () => {
        const sys = system(node)
        const admin = await adminViewer(node)
        const byAdmin = { org: node.hostOrgId, user: (admin as { userId: string }).userId }

        const org = await appended(node, () => node.services.admin.createOrganisation(admin, { name: 'CERT-EU' }))
        if (!org.value.ok) throw new Error('org')
        expect(org.added.map((e) => e.entry)).toEqual([
          { v: 1, kind: 'org.created', at: at(), by: byAdmin, org: { id: org.value.value.id, identity: org.value.value.identityId } },
        ])
        const orgId = org.value.value.id

        const user = await appended(node, () => node.services.admin.createUser(sys, { orgId, username: 'analyst1', role: 'analyst' }))
        if (!user.value.ok) throw new Error('user')
        const userId = user.value.value.id
        expect(user.added.map((e) => e.entry)).toEqual([{ v: 1, kind: 'user.created', at: at(), by: { system: 'test' }, user: { id: userId, org: orgId, role: 'analyst' } }])

        clock.advance(1000)
        const role = await appended(node, () => node.services.admin.setRole(admin, { userId, role: 'read_only' }))
        expect(role.value.ok).toBe(true)
        expect(role.added.map((e) => e.entry)).toEqual([{ v: 1, kind: 'user.role_changed', at: at(), by: byAdmin, user: { id: userId, role: 'read_only' } }])

        const off = await appended(node, () => node.services.admin.setUserDisabled(admin, { userId, disabled: true }))
        const on = await appended(node, () => node.services.admin.setUserDisabled(admin, { userId, disabled: false }))
        expect([...off.added, ...on.added].map((e) => e.entry)).toEqual([
          { v: 1, kind: 'user.disabled', at: at(), by: byAdmin, user: { id: userId } },
          { v: 1, kind: 'user.enabled', at: at(), by: byAdmin, user: { id: userId } },
        ])

        const expiresAt = new Date(clock.nowMs() + 86_400_000).toISOString()
        const token = await appended(node, () => node.services.admin.createToken(admin, { userId, name: 'laptop', expiresAt }))
        if (!token.value.ok) throw new Error('token')
        const tokenId = token.value.value.token.id
        expect(token.added.map((e) => e.entry)).toEqual([
          { v: 1, kind: 'token.created', at: at(), by: byAdmin, token: { id: tokenId, user: userId, expires: token.value.value.token.expiresAt } },
        ])
        expect(token.value.value.token.expiresAt).not.toBeNull()
        // The secret never reaches the log.
        expect(token.added[0]!.text).not.toContain(token.value.value.secret)

        const revoke = await appended(node, () => node.services.admin.revokeToken(admin, tokenId))
        expect(revoke.value.ok).toBe(true)
        expect(revoke.added.map((e) => e.entry)).toEqual([{ v: 1, kind: 'token.revoked', at: at(), by: byAdmin, token: { id: tokenId } }])

        const coll = await appended(node, () => node.services.admin.createCollection(admin, { title: 'Elections 2026', alias: 'elections' }))
        if (!coll.value.ok) throw new Error('collection')
        const collectionId = coll.value.value.id
        expect(coll.added.map((e) => e.entry)).toEqual([{ v: 1, kind: 'collection.created', at: at(), by: byAdmin, collection: { id: collectionId } }])

        const perm = await appended(node, () =>
          node.services.admin.setCollectionPermission(admin, { collection: 'elections', orgId, canRead: true, canWrite: false }),
        )
        expect(perm.value.ok).toBe(true)
        expect(perm.added.map((e) => e.entry)).toEqual([
          { v: 1, kind: 'collection.permission_set', at: at(), by: byAdmin, permission: { collection: collectionId, org: orgId, read: true, write: false } },
        ])
        // Setting the same rights again changes nothing and logs nothing; a change is logged.
        const same = await appended(node, () => node.services.admin.setCollectionPermission(admin, { collection: 'elections', orgId, canRead: true, canWrite: false }))
        expect(same.value.ok).toBe(true)
        expect(same.added).toEqual([])
        const grant = await appended(node, () => node.services.admin.setCollectionPermission(admin, { collection: collectionId, orgId, canRead: true, canWrite: true }))
        expect(grant.added.map((e) => e.entry)).toMatchObject([{ kind: 'collection.permission_set', permission: { collection: collectionId, org: orgId, read: true, write: true } }])

        // Refused and failed writes append nothing.
        const analyst: Viewer = { kind: 'user', userId, username: 'analyst1', orgId, role: 'analyst' }
        const refused = await appended(node, async () => [
          await node.services.admin.createUser(sys, { orgId, username: 'analyst1', role: 'analyst' }),
          await node.services.admin.createOrganisation(sys, { name: 'CERT-EU' }),
          await node.services.admin.createCollection(sys, { title: 'Again', alias: 'elections' }),
          await node.services.admin.createUser(sys, { orgId, username: 'Bad Name', role: 'analyst' }),
          await node.services.admin.createOrganisation(analyst, { name: 'Rogue' }),
          await node.services.admin.setRole(sys, { userId: 'no-such-user', role: 'admin' }),
          await node.services.admin.revokeToken(sys, 'no-such-token'),
          await node.services.admin.setUserDisabled(sys, { userId: 'no-such-user', disabled: true }),
        ])
        expect(refused.value.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
          'conflict', 'conflict', 'conflict', 'validation_failed', 'forbidden', 'not_found', 'not_found', 'not_found',
        ])
        expect(refused.added).toEqual([])
        expect((await node.store.users.list()).map((u) => u.username).sort()).toEqual(['admin', 'analyst1'])
        expect(await node.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
      })

      it('rolls a failed transaction back with the entries it had appended', async () => {
        const store = await openTestStore(dialect)
        try {
          const key = loadPrivateKey(generateNodeKey().privateKeyPem)
          const services = makeTestServices(store, key, clock)
          // The organisation is created and logged first; the bad username then fails the whole init.
          const bad = await services.admin.initNode({ orgName: 'Rolled Back', adminUsername: 'Not Valid', nodeName: 'n', key: { publicKey: key.publicKey, origin: 'test.entente.local/rb' } })
          expect(bad.ok === false && bad.error.code).toBe('validation_failed')
          expect(await store.log.entries(0, 100)).toEqual([])
          expect((await store.log.head()).size).toBe(0)
          expect(await store.orgs.list()).toEqual([])
          const good = await services.admin.initNode({ orgName: 'Rolled Back', adminUsername: 'admin', nodeName: 'n', key: { publicKey: key.publicKey, origin: 'test.entente.local/rb' } })
          expect(good.ok).toBe(true)
          const rows = await store.log.entries(0, 100)
          expect(rows.map((r) => [r.index, r.kind])).toEqual([
            [0, 'org.created'], [1, 'user.created'], [2, 'token.created'], [3, 'collection.created'], [4, 'collection.permission_set'], [5, 'node.key'],
          ])
          expect(await makeTestServices(store, key, clock).verifyLog()).toMatchObject({ ok: true, entries: 6, problems: [] })
        } finally {
          await store.close()
        }
      })

      it('logs each new membership of an object version, and nothing for duplicates or failures', async () => {
        const admin = await adminViewer(node)
        const { collectionB } = await partnerSetup(node)
        const objs = attackOfType('intrusion-set', 4)
        const revoked = attackObjects().find((o) => o['revoked'] === true && o.type === 'attack-pattern')!
        const input = [...objs, objs[0], { ...objs[1]!, id: 'intrusion-set--not-a-uuid' }, 42, revoked]
        const first = await appended(node, () => addObjects(node, admin, 'default', input))
        expect(first.value.map((r) => r.outcome)).toEqual(['added', 'added', 'added', 'added', 'duplicate', 'failed', 'failed', 'added'])
        const addedObjs = [...objs, revoked]
        const addedResults = first.value.filter((r) => r.outcome === 'added')
        expect(kinds(first.added)).toEqual(Array(5).fill('object.added'))
        first.added.forEach((e, i) => {
          const o = addedObjs[i]!
          expect(e.entry).toEqual({
            v: 1, kind: 'object.added', at: at(), by: { org: node.hostOrgId, user: (admin as { userId: string }).userId }, collection: node.defaultCollectionId,
            object: { id: o.id, type: o.type, version: addedResults[i]!.version, sha256: sha256Hex(canonicalize(o)), ...(o === revoked ? { revoked: true } : {}) },
          })
          expect(e.collectionId).toBe(node.defaultCollectionId)
          expect(e.objectSeq).not.toBeNull()
        })
        expect(new Set(first.added.map((e) => e.objectSeq)).size).toBe(5)

        // Replays log nothing; a batch of failures logs nothing.
        const replay = await appended(node, () => addObjects(node, system(node), 'default', objs))
        expect(replay.value.every((r) => r.outcome === 'duplicate')).toBe(true)
        expect(replay.added).toEqual([])
        const broken = await appended(node, () => addObjects(node, system(node), 'default', [{ type: 'indicator' }, 'x']))
        expect(broken.value.map((r) => r.outcome)).toEqual(['failed', 'failed'])
        expect(broken.added).toEqual([])
        const conflict = await appended(node, () => addObjects(node, system(node), 'default', [{ ...objs[2]!, description: 'same modified, other content' }]))
        expect(conflict.value.map((r) => r.outcome)).toEqual(['failed'])
        expect(conflict.added).toEqual([])

        // The same stored versions added to a second collection: one entry per new membership, same versions.
        const second = await appended(node, () => addObjects(node, system(node), collectionB, objs.slice(0, 2)))
        expect(second.value.map((r) => r.outcome)).toEqual(['added', 'added'])
        expect(second.added.map((e) => [e.entry.kind, e.collectionId, e.objectSeq])).toEqual([
          ['object.added', collectionB, first.added[0]!.objectSeq],
          ['object.added', collectionB, first.added[1]!.objectSeq],
        ])
        expect(second.added.map((e) => (e.entry as { object: unknown }).object)).toEqual(first.added.slice(0, 2).map((e) => (e.entry as { object: unknown }).object))
        expect(second.added.every((e) => (e.entry as { collection: string }).collection === collectionB && 'system' in e.entry.by)).toBe(true)
        expect(await node.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
      })

      it('logs one object.removed per version a delete removes, and nothing when nothing is removed', async () => {
        const [m] = attackOfType('malware', 1)
        const v2 = { ...m!, modified: '2030-01-01T00:00:00.000Z', description: 'second version' }
        const [other] = attackOfType('tool', 1)
        const add = await appended(node, () => addObjects(node, system(node), 'default', [m, v2, other]))
        expect(kinds(add.added)).toEqual(['object.added', 'object.added', 'object.added'])
        clock.advance(5000)
        const del = await appended(node, () => node.services.objects.deleteObject(system(node), { collection: 'default', id: m!.id }))
        expect(del.value).toEqual({ ok: true, value: { removed: 2 } })
        expect(kinds(del.added)).toEqual(['object.removed', 'object.removed'])
        const removedSeqs = del.added.map((e) => e.objectSeq).sort()
        expect(removedSeqs).toEqual(add.added.slice(0, 2).map((e) => e.objectSeq).sort())
        for (const e of del.added) {
          const added = add.added.find((a) => a.objectSeq === e.objectSeq)!
          expect(e.entry).toEqual({ ...added.entry, kind: 'object.removed', at: at() })
          expect(e.collectionId).toBe(node.defaultCollectionId)
        }
        const none = await appended(node, () => node.services.objects.deleteObject(system(node), { collection: 'default', id: m!.id }))
        expect(none.value.ok === false && none.value.error.code).toBe('not_found')
        expect(none.added).toEqual([])
        // Added again after removal: a new membership, logged again.
        const again = await appended(node, () => addObjects(node, system(node), 'default', [m]))
        expect(again.added.map((e) => [e.entry.kind, e.objectSeq])).toEqual([['object.added', add.added[0]!.objectSeq]])
        expect(await node.services.verifyLog()).toMatchObject({ ok: true, problems: [] })
      })

      it('verifies a busy node: every leaf, the stored tree and head, and the replayed state agree', async () => {
        const sys = system(node)
        const { analyst, collectionB } = await partnerSetup(node)
        await node.services.admin.setRole(sys, { userId: (analyst as { userId: string }).userId, role: 'read_only' })
        await node.services.admin.setUserDisabled(sys, { userId: (analyst as { userId: string }).userId, disabled: true })
        const t = await node.services.admin.createToken(sys, { userId: (analyst as { userId: string }).userId, name: 'ci' })
        if (!t.ok) throw new Error('token')
        await node.services.admin.revokeToken(sys, t.value.token.id)
        await addObjects(node, sys, 'default', attackOfType('attack-pattern', 40))
        await addObjects(node, sys, collectionB, attackOfType('attack-pattern', 45).slice(30))
        await node.services.objects.deleteObject(sys, { collection: 'default', id: attackOfType('attack-pattern', 1)[0]!.id })
        const cp = await node.services.log.checkpoint()
        expect(cp.ok).toBe(true)
        await addObjects(node, sys, 'default', attackOfType('course-of-action', 7))
        await node.services.log.checkpoint()

        const all = await entries(node)
        const head = await node.store.log.head()
        expect(head.size).toBe(all.length)
        expect(all.length).toBe(6 + 8 + 40 + 15 + 1 + 7)
        const root = rootFromLeafHashes(all.map((e) => leafOf(e.text)))
        expect(hex(head.root)).toBe(hex(root))
        const progress: string[] = []
        const report = await node.services.verifyLog({ onProgress: (p) => progress.push(p.phase) })
        expect(report).toEqual({ ok: true, entries: all.length, checkpoints: 2, root: hex(root), problems: [], problemCount: 0 })
        expect(progress).toContain('entries')
        expect(progress).toContain('administration')
      })

      it('signs checkpoints as C2SP notes with the node key, and serves consistency and inclusion proofs that verify', async () => {
        const verifier = noteVerifier(node.origin, node.key.publicKey)
        expect(await node.services.log.verifierKey()).toBe(verifierKey(node.origin, node.key.publicKey))
        const cp1 = await node.services.log.checkpoint()
        if (!cp1.ok) throw new Error('checkpoint')
        const head1 = await node.store.log.head()
        const opened1 = openCheckpoint(cp1.value.note, verifier, ed25519Verify, { origin: node.origin })
        if (!opened1.ok) throw new Error(opened1.error)
        expect(opened1.value).toMatchObject({ origin: node.origin, size: 6 })
        expect(hex(opened1.value.root)).toBe(hex(head1.root))
        expect(cp1.value).toMatchObject({ size: 6, timestamp: at() })
        expect(hex(cp1.value.root)).toBe(hex(head1.root))
        expect(await node.store.log.latestCheckpoint()).toEqual(cp1.value)
        // Another node's key does not open it.
        const stranger = loadPrivateKey(generateNodeKey().privateKeyPem)
        expect(openCheckpoint(cp1.value.note, noteVerifier(node.origin, stranger.publicKey), ed25519Verify).ok).toBe(false)

        // No growth: the same checkpoint, unless forced.
        expect(await node.services.log.checkpoint()).toEqual(cp1)
        const forced = await node.services.log.checkpoint({ force: true })
        expect(forced.ok && forced.value.seq).toBeGreaterThan(cp1.value.seq)

        await addObjects(node, system(node), 'default', attackOfType('campaign', 9))
        clock.advance(60_000)
        const cp2 = await node.services.log.checkpoint()
        if (!cp2.ok) throw new Error('checkpoint')
        const opened2 = openCheckpoint(cp2.value.note, verifier, ed25519Verify, { origin: node.origin })
        if (!opened2.ok) throw new Error(opened2.error)
        const n = opened2.value.size
        expect(n).toBe(15)
        expect(opened2.value.timestamp).toBe(new Date(clock.nowMs()).toISOString())
        expect(await node.services.log.currentCheckpoint()).toEqual(cp2)

        const leaves = (await entries(node)).map((e) => leafOf(e.text))
        expect(hex(rootFromLeafHashes(leaves))).toBe(hex(opened2.value.root))

        // Between the two signed checkpoints, and from every earlier size.
        const p12 = await node.services.log.consistency(opened1.value.size, n)
        if (!p12.ok) throw new Error('consistency')
        expect(verifyConsistency(opened1.value.size, n, opened1.value.root, opened2.value.root, p12.value)).toEqual({ ok: true, value: true })
        for (let m = 0; m <= n; m++) {
          const p = await node.services.log.consistency(m, n)
          if (!p.ok) throw new Error(`consistency ${m}`)
          expect(verifyConsistency(m, n, rootFromLeafHashes(leaves.slice(0, m)), opened2.value.root, p.value).ok).toBe(true)
          if (p.value.length > 0) {
            const bent = p.value.map((h) => h.slice())
            bent[0]![0]! ^= 1
            expect(verifyConsistency(m, n, rootFromLeafHashes(leaves.slice(0, m)), opened2.value.root, bent).ok).toBe(false)
          }
        }
        const mid = await node.services.log.consistency(3, 11)
        expect(mid.ok && verifyConsistency(3, 11, rootFromLeafHashes(leaves.slice(0, 3)), rootFromLeafHashes(leaves.slice(0, 11)), mid.value).ok).toBe(true)

        // Every leaf by its hash, in the latest tree and (for the first six) in the first one.
        for (let i = 0; i < n; i++) {
          const p = await node.services.log.proofByHash(leaves[i]!, n)
          if (!p.ok) throw new Error(`proof ${i}`)
          expect(p.value.leafIndex).toBe(i)
          expect(verifyInclusion(i, n, leaves[i]!, p.value.auditPath, opened2.value.root).ok).toBe(true)
          expect(verifyInclusion(i, n, leaves[(i + 1) % n]!, p.value.auditPath, opened2.value.root).ok).toBe(false)
          if (i < opened1.value.size) {
            const old = await node.services.log.proofByHash(leaves[i]!, opened1.value.size)
            expect(old.ok && verifyInclusion(i, opened1.value.size, leaves[i]!, old.value.auditPath, opened1.value.root).ok).toBe(true)
          }
          const byIndex = await node.services.log.inclusion(i, n)
          expect(byIndex.map(hex)).toEqual(p.value.auditPath.map(hex))
        }

        // Bad requests.
        const pointerOf = (r: { ok: boolean; error?: unknown }) => (r.ok ? 'ok' : (r.error as { code: string; issues?: { pointer: string }[] }))
        expect(pointerOf(await node.services.log.consistency(0, n + 1))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/second' }] })
        expect(pointerOf(await node.services.log.consistency(5, 4))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/second' }] })
        expect(pointerOf(await node.services.log.consistency(-1, 4))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/first' }] })
        expect(pointerOf(await node.services.log.consistency(1.5, 4))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/first' }] })
        expect(pointerOf(await node.services.log.proofByHash(leaves[0]!, n + 1))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/tree_size' }] })
        expect(pointerOf(await node.services.log.proofByHash(leaves[0]!, 0))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/tree_size' }] })
        expect(pointerOf(await node.services.log.proofByHash(leaves[0]!.slice(0, 31), n))).toMatchObject({ code: 'validation_failed', issues: [{ pointer: '/hash' }] })
        expect(pointerOf(await node.services.log.proofByHash(new Uint8Array(randomBytes(32)), n))).toMatchObject({ code: 'not_found' })
        // A leaf that exists, but not in the smaller tree asked for.
        expect(pointerOf(await node.services.log.proofByHash(leaves[10]!, 6))).toMatchObject({ code: 'not_found' })

        // A process with another key cannot sign this node's checkpoints.
        const wrong = await makeTestServices(node.store, stranger, clock).log.checkpoint({ force: true })
        expect(wrong.ok === false && wrong.error.code).toBe('conflict')
        expect(await node.services.verifyLog()).toMatchObject({ ok: true, checkpoints: 3, problems: [] })
      })

      it('shows each reader only the entries it may see, and hashes that still verify for the rest', async () => {
        const sys = system(node)
        const { analyst, collectionB } = await partnerSetup(node)
        // ATT&CK objects name MITRE's statement marking, which the node does not hold (so RED): unmarked
        // copies get the collection's default (AMBER), which readers of the collection may see.
        const inA = plain(attackOfType('intrusion-set', 3))
        const inB = attackOfType('malware', 2)
        await addObjects(node, sys, 'default', inA)
        await addObjects(node, sys, collectionB, inB)
        // A RED object in the collection the partner reads, naming nobody: its entry is not the partner's.
        const red = { ...attackOfType('tool', 1)[0]!, object_marking_refs: [TLP2_IDS.red] }
        await addObjects(node, sys, 'default', [red])
        await node.services.objects.deleteObject(sys, { collection: 'default', id: inA[0]!.id })
        const all = await entries(node)
        const head = await node.store.log.head()
        const admin = await adminViewer(node)
        const stranger: Viewer = { kind: 'user', userId: 'u-x', username: 'x', orgId: 'org-without-rights', role: 'analyst' }

        const seen = async (viewer: Viewer | null) => {
          const r = await node.services.log.entries(viewer, 0, head.size + 10)
          if (!r.ok) throw new Error('entries')
          expect(r.value.map((e) => e.index)).toEqual(all.map((e) => e.index))
          // Visible or not, the leaves give the signed root.
          const leaves = r.value.map((e) => ('redacted' in e ? e.leafHash : leafOf(e.leafInput)))
          expect(hex(rootFromLeafHashes(leaves))).toBe(hex(head.root))
          r.value.forEach((e, i) => {
            if ('redacted' in e) expect(hex(e.leafHash)).toBe(hex(all[i]!.leafHash))
            else expect(e.leafInput).toBe(all[i]!.text)
          })
          return r.value.map((e) => !('redacted' in e))
        }

        expect(await seen(admin)).toEqual(all.map(() => true))
        expect(await seen(sys)).toEqual(all.map(() => true))
        expect(await seen(null)).toEqual(all.map(() => false))
        expect(await seen(stranger)).toEqual(all.map(() => false))
        // The partner analyst reads collection A only: the entries of the objects it may see there in
        // full; the RED object's and the removed object's (added and removed) as hashes, nothing else.
        const partnerView = await seen(analyst)
        const names = (e: { text: string }, id: string) => e.text.includes(`"id":"${id}"`)
        const expected = all.map((e) => e.collectionId === node.defaultCollectionId && !names(e, red.id) && !names(e, inA[0]!.id))
        expect(partnerView).toEqual(expected)
        expect(kinds(all.filter((_, i) => partnerView[i]))).toEqual(['object.added', 'object.added'])
        expect(all.filter((e) => e.collectionId === node.defaultCollectionId && names(e, red.id))).toHaveLength(1)
        expect(all.filter((e) => e.collectionId === collectionB)).toHaveLength(2)
        // Provenance follows the same policy: the RED version is missing for the partner, not for the administrator.
        const prov = await node.services.log.provenance(analyst, { collection: 'default', objects: [{ id: inA[1]!.id }, { id: red.id }] })
        expect(prov.ok && prov.value.items.map((x) => x.id)).toEqual([inA[1]!.id])
        expect(prov.ok && prov.value.missing).toEqual([{ id: red.id, version: null }])
        const provAdmin = await node.services.log.provenance(admin, { collection: 'default', objects: [{ id: red.id }] })
        expect(provAdmin.ok && provAdmin.value.items.map((x) => x.id)).toEqual([red.id])

        // A window, and bad windows.
        const window = await node.services.log.entries(analyst, 3, 5)
        expect(window.ok && window.value.map((e) => e.index)).toEqual([3, 4, 5])
        const code = (r: { ok: boolean; error?: unknown }) => (r.ok ? 'ok' : (r.error as { issues: { pointer: string }[] }).issues[0]!.pointer)
        expect(code(await node.services.log.entries(admin, head.size, head.size + 5))).toBe('/start')
        expect(code(await node.services.log.entries(admin, -1, 5))).toBe('/start')
        expect(code(await node.services.log.entries(admin, 5, 4))).toBe('/end')
      })

      it(`returns at most ${MAX_ENTRIES_PER_PAGE} entries per page`, async () => {
        const objs = [...attackOfType('attack-pattern', 800), ...attackOfType('malware', 200)]
        expect(objs).toHaveLength(MAX_ENTRIES_PER_PAGE)
        const added = await addObjects(node, system(node), 'default', objs)
        expect(added.every((r) => r.outcome === 'added')).toBe(true)
        const size = (await node.store.log.head()).size
        expect(size).toBe(MAX_ENTRIES_PER_PAGE + 6)
        const page1 = await node.services.log.entries(null, 0, 10 * size)
        expect(page1.ok && page1.value.length).toBe(MAX_ENTRIES_PER_PAGE)
        expect(page1.ok && page1.value.at(-1)!.index).toBe(MAX_ENTRIES_PER_PAGE - 1)
        const page2 = await node.services.log.entries(await adminViewer(node), MAX_ENTRIES_PER_PAGE, 10 * size)
        expect(page2.ok && page2.value.map((e) => e.index)).toEqual([1000, 1001, 1002, 1003, 1004, 1005])
        const leaves = [...(page1.ok ? page1.value : []), ...(page2.ok ? page2.value : [])].map((e) => ('redacted' in e ? e.leafHash : leafOf(e.leafInput)))
        expect(hex(rootFromLeafHashes(leaves))).toBe(hex((await node.store.log.head()).root))
      })

      it('gives provenance whose inclusion proofs verify against its checkpoint, and that fails for a tampered object', async () => {
        const sys = system(node)
        const { analyst, collectionB } = await partnerSetup(node)
        const objs = plain(attackOfType('intrusion-set', 6))
        const [m] = plain(attackOfType('malware', 1))
        const v2 = { ...m!, modified: '2030-01-01T00:00:00.000Z', description: 'second version' }
        await addObjects(node, sys, 'default', [...objs, m, v2])
        await addObjects(node, sys, collectionB, attackOfType('tool', 2))
        const asked = [...objs.map((o) => ({ id: o.id })), { id: m!.id }, { id: 'intrusion-set--00000000-0000-4000-8000-000000000000' }]
        const r = await node.services.log.provenance(analyst, { collection: 'default', objects: asked })
        if (!r.ok) throw new Error(JSON.stringify(r.error))
        const { checkpoint, items, missing } = r.value
        expect(missing).toEqual([{ id: 'intrusion-set--00000000-0000-4000-8000-000000000000', version: null }])
        expect(items.map((i) => i.id)).toEqual([...objs.map((o) => o.id), m!.id])
        // The latest version by default.
        const vm = items.at(-1)!
        expect(JSON.parse(vm.leafInput)).toMatchObject({ kind: 'object.added', object: { id: m!.id, sha256: sha256Hex(canonicalize(v2)) } })
        const opened = openCheckpoint(checkpoint.note, noteVerifier(node.origin, node.key.publicKey), ed25519Verify, { origin: node.origin })
        if (!opened.ok) throw new Error(opened.error)
        expect(opened.value.size).toBe(checkpoint.size)
        for (const it of items) {
          expect(verifyInclusion(it.leafIndex, checkpoint.size, leafOf(it.leafInput), it.inclusionPath, opened.value.root).ok).toBe(true)
          const e = decodeEntry(utf8.encode(it.leafInput))
          expect(e.ok && e.value.kind === 'object.added' && e.value.collection).toBe(node.defaultCollectionId)
        }
        // An explicit version.
        const first = await node.services.log.provenance(analyst, { collection: 'default', objects: [{ id: m!.id, version: items.at(-1)!.version }] })
        expect(first.ok && first.value.items.map((i) => i.leafIndex)).toEqual([vm.leafIndex])

        // As a receiver: the core verifier, one signature for the batch.
        const bundle: ProvenanceBundle = {
          checkpoint: checkpoint.note,
          items: items.map((it) => makeProvenanceItem(it.id, it.version, it.leafIndex, utf8.encode(it.leafInput), it.inclusionPath)),
        }
        const byId = new Map<string, Obj>([...objs.map((o): [string, Obj] => [o.id, o]), [m!.id, v2]])
        const held = new Map(items.map((it) => [provenanceKey(it.id, it.version), utf8.encode(canonicalize(byId.get(it.id)))]))
        const good = verifyProvenance(bundle, held, noteVerifier(node.origin, node.key.publicKey), ed25519Verify, undefined, { origin: node.origin })
        expect(good.checkpoint.ok).toBe(true)
        expect(good.results.map((x) => [x.id, x.ok])).toEqual(items.map((it) => [it.id, true]))
        const k = provenanceKey(objs[2]!.id, items[2]!.version)
        const tampered = new Map(held).set(k, utf8.encode(canonicalize({ ...objs[2]!, description: 'rewritten in transit' })))
        const bad = verifyProvenance(bundle, tampered, noteVerifier(node.origin, node.key.publicKey), ed25519Verify, undefined, { origin: node.origin })
        expect(bad.results.map((x) => x.ok)).toEqual(items.map((_, i) => i !== 2))
        expect(bad.results[2]!.reason).toMatch(/SHA-256/)
        // A bundle signed by someone else fails as a whole.
        const stranger = loadPrivateKey(generateNodeKey().privateKeyPem)
        const forged = verifyProvenance(bundle, held, noteVerifier(node.origin, stranger.publicKey), ed25519Verify)
        expect(forged.checkpoint.ok).toBe(false)
        expect(forged.results.every((x) => !x.ok)).toBe(true)

        // Collection B is not the partner's to read.
        const denied = await node.services.log.provenance(analyst, { collection: collectionB, objects: [{ id: objs[0]!.id }] })
        expect(denied.ok).toBe(false)

        // A version added to B first and to A later: A's provenance is A's entry, never B's (no leak of B).
        const [shared] = plain(attackOfType('campaign', 1))
        await addObjects(node, sys, collectionB, [shared])
        await addObjects(node, sys, 'default', [shared])
        const inA = await node.services.log.provenance(analyst, { collection: 'default', objects: [{ id: shared!.id }] })
        if (!inA.ok) throw new Error(JSON.stringify(inA.error))
        const e = decodeEntry(utf8.encode(inA.value.items[0]!.leafInput))
        expect(e.ok && e.value.kind === 'object.added' && e.value.collection).toBe(node.defaultCollectionId)
      })

      it('answers a full batch of mixed requests in input order, each item as a request of its own would', async () => {
        const sys = system(node)
        const { analyst, collectionB } = await partnerSetup(node)
        const objs = plain(attackOfType('attack-pattern', 300))
        const [m] = plain(attackOfType('malware', 1))
        const v2 = { ...m!, modified: '2031-01-01T00:00:00.000Z', description: 'second version' }
        await addObjects(node, sys, 'default', [...objs, m])
        const [onlyB] = attackOfType('tool', 1)
        await addObjects(node, sys, collectionB, [onlyB])
        await addObjects(node, sys, 'default', [v2])
        const v1 = await node.services.log.provenance(analyst, { collection: 'default', objects: [{ id: m!.id, version: toStoredTimestamp(m!.modified as string)! }] })
        const v1Version = v1.ok ? v1.value.items[0]!.version : ''
        const unknown = 'attack-pattern--00000000-0000-4000-8000-000000000000'
        const asked: { id: string; version?: string }[] = [
          { id: m!.id },
          { id: m!.id, version: toStoredTimestamp(m!.modified as string)! },
          { id: m!.id, version: '2040-01-01T00:00:00.000Z' },
          { id: onlyB!.id },
          { id: unknown },
          ...objs.map((o) => ({ id: o.id })),
          ...objs.slice(0, 300).map((o) => ({ id: o.id, version: toStoredTimestamp(o.modified as string)! })),
          ...objs.slice(0, 395).map((o) => ({ id: o.id })),
        ].slice(0, MAX_PROVENANCE_OBJECTS)
        const r = await node.services.log.provenance(analyst, { collection: 'default', objects: asked })
        if (!r.ok) throw new Error(JSON.stringify(r.error))
        expect(r.value.missing).toEqual([
          { id: m!.id, version: '2040-01-01T00:00:00.000Z' },
          { id: onlyB!.id, version: null },
          { id: unknown, version: null },
        ])
        expect(r.value.items).toHaveLength(asked.length - 3)
        const [latest, first] = r.value.items
        expect(latest!.version).not.toBe(first!.version)
        expect(first!.version).toBe(v1Version)
        expect(JSON.parse(latest!.leafInput)).toMatchObject({ object: { id: m!.id, sha256: sha256Hex(canonicalize(v2)) } })
        // Each item is what a request for that object alone returns, proved against the batch's checkpoint.
        const opened = openCheckpoint(r.value.checkpoint.note, noteVerifier(node.origin, node.key.publicKey), ed25519Verify, { origin: node.origin })
        if (!opened.ok) throw new Error(opened.error)
        const askedFound = asked.filter((a) => !r.value.missing.some((x) => x.id === a.id && x.version === (a.version ?? null)))
        for (const [i, it] of r.value.items.entries()) {
          if (i % 50 === 0 || i < 3) {
            const alone = await node.services.log.provenance(analyst, { collection: 'default', objects: [askedFound[i]!] })
            expect(alone.ok && [alone.value.items[0]!.leafIndex, alone.value.items[0]!.version]).toEqual([it.leafIndex, it.version])
          }
          expect(it.id).toBe(askedFound[i]!.id)
          expect(verifyInclusion(it.leafIndex, r.value.checkpoint.size, leafOf(it.leafInput), it.inclusionPath, opened.value.root).ok).toBe(true)
        }
        const tooMany = await node.services.log.provenance(analyst, { collection: 'default', objects: [...asked, ...asked].slice(0, MAX_PROVENANCE_OBJECTS + 1) })
        expect(tooMany.ok).toBe(false)
      })
    })

    describe('entente log verify on a tampered database', () => {
      let t: TamperNode
      /** Entries 6–15: attack-pattern objects; 16–19: malware objects. Checkpoints at sizes 6, 16 and 20. */
      let logged: Decoded[]
      let checkpointSeqs: number[]

      beforeEach(async () => {
        t = await createTamperNode(dialect, { clock })
        const sys = system(t)
        checkpointSeqs = []
        const sign = async () => {
          const cp = await t.services.log.checkpoint()
          if (!cp.ok) throw new Error('checkpoint')
          checkpointSeqs.push(cp.value.seq)
        }
        await sign()
        await addObjects(t, sys, 'default', attackOfType('attack-pattern', 10))
        await sign()
        await addObjects(t, sys, 'default', attackOfType('malware', 4))
        await sign()
        logged = await entries(t)
        expect(logged).toHaveLength(20)
        expect(await t.services.verifyLog()).toMatchObject({ ok: true, entries: 20, checkpoints: 3, problems: [] })
      })
      afterEach(async () => {
        await t.close()
      })

      const verify = async () => {
        const r = await t.services.verifyLog()
        expect(r.ok).toBe(false)
        expect(r.problemCount).toBe(r.problems.length)
        return r
      }
      const codes = (r: VerifyReport) => r.problems.map((p) => p.code).sort()
      const problem = (code: ProblemCode, entry?: number) =>
        expect.objectContaining({ code, ...(entry === undefined ? {} : { entry, message: expect.stringContaining(`${entry}`) }) })
      /** The entry range a tree or checkpoint problem names. */
      const rangeOf = (r: VerifyReport, code: ProblemCode) =>
        r.problems
          .filter((p) => p.code === code)
          .map((p) => {
            const m = /entries (\d+)–(\d+)/.exec(p.message)
            if (!m) throw new Error(`no range in ${p.message}`)
            return [Number(m[1]), Number(m[2])] as const
          })
      const objectEntry = (i: number) => {
        const e = logged[i]!
        if (e.objectSeq === null) throw new Error(`entry ${i} is not about an object`)
        return e.objectSeq
      }
      /** What an attacker who understands the tree does next: recompute the stored nodes and head from the rows. */
      const rebuildTree = async () => {
        const rows = await t.sql('select idx, leaf_hash from log_entries order by idx')
        const f = new MerkleFrontier()
        const nodes: [number, number, Uint8Array][] = []
        for (const r of rows) f.append(new Uint8Array(r['leaf_hash'] as Buffer), (level, index, hash) => void (level > 0 && nodes.push([level, index, hash])))
        await t.sql('delete from log_nodes')
        for (const [level, idx, hash] of nodes) await t.sql('insert into log_nodes (level, idx, hash) values (?, ?, ?)', [level, idx, Buffer.from(hash)])
        await t.sql('update log_head set size = ?, frontier = ?, root = ? where id = 1', [
          f.size, Buffer.concat(f.hashes().map((h) => Buffer.from(h))), Buffer.from(f.root()),
        ])
      }
      const editEntry = async (idx: number, change: (e: Record<string, unknown>) => void, withLeafHash: boolean) => {
        const e = JSON.parse(logged[idx]!.text) as Record<string, unknown>
        change(e)
        const text = canonicalize(e)
        expect(text).not.toBe(logged[idx]!.text)
        if (withLeafHash) await t.sql('update log_entries set entry = ?, leaf_hash = ? where idx = ?', [text, Buffer.from(leafOf(text)), idx])
        else await t.sql('update log_entries set entry = ? where idx = ?', [text, idx])
      }

      it('an edited stored object: object_changed, naming the entry that logged it', async () => {
        const seq = objectEntry(12)
        const [row] = await t.sql('select json from stix_objects where seq = ?', [seq])
        const obj = JSON.parse(row!['json'] as string) as Record<string, unknown>
        await t.sql('update stix_objects set json = ? where seq = ?', [canonicalize({ ...obj, description: 'quietly rewritten' }), seq])
        const r = await verify()
        expect(r.problems).toEqual([problem('object_changed', 12)])
        expect(r.problems[0]!.message).toContain(String(obj['id']))
      })

      it('an edited entry text: leaf_mismatch naming it (and the signed roots no longer match)', async () => {
        await editEntry(8, (e) => void (e['at'] = '2020-01-01T00:00:00.000000Z'), false)
        const r = await verify()
        expect(r.problems).toContainEqual(problem('leaf_mismatch', 8))
        expect(codes(r)).toEqual(['checkpoint_mismatch', 'checkpoint_mismatch', 'head_mismatch', 'leaf_mismatch'])
        for (const [a, b] of rangeOf(r, 'checkpoint_mismatch')) expect(a <= 8 && 8 <= b).toBe(true)
      })

      it('an entry edited with its leaf hash: the stored tree, then the signed checkpoints, name its range', async () => {
        // The analyst-facing fact that changes: the object's hash.
        await editEntry(9, (e) => void ((e['object'] as Record<string, unknown>)['version'] = '2031-01-01T00:00:00.000000Z'), true)
        const r = await verify()
        expect(r.problems).not.toContainEqual(problem('leaf_mismatch'))
        expect(r.problems).toContainEqual(problem('tree_node_mismatch', 8)) // entries 8–9
        expect(rangeOf(r, 'tree_node_mismatch')).toEqual([[8, 9]])
        expect(r.problems).toContainEqual(problem('object_changed', 9))
        // Checkpoint #1 (size 6) still matches; the later two do not, from entry 6 on.
        expect(rangeOf(r, 'checkpoint_mismatch')).toEqual([[6, 15], [6, 19]])
        // Recomputing the stored tree and head too leaves only the signatures to tell.
        await rebuildTree()
        const again = await verify()
        expect(codes(again)).toEqual(['checkpoint_mismatch', 'checkpoint_mismatch', 'object_changed'])
        expect(rangeOf(again, 'checkpoint_mismatch')).toEqual([[6, 15], [6, 19]])
      })

      it('a deleted entry in the middle: entry_missing naming it', async () => {
        await t.sql('delete from log_entries where idx = ?', [10])
        const r = await verify()
        expect(r.problems).toContainEqual(problem('entry_missing', 10))
        expect(r.problems.filter((p) => p.code === 'entry_missing')).toHaveLength(1)
        // Only the first ten entries verify against the signed trees.
        expect(r.problems.filter((p) => p.code === 'checkpoint_mismatch').map((p) => p.message)).toEqual([
          expect.stringContaining('signed a log of 16 entries, but only 10 verify'),
          expect.stringContaining('signed a log of 20 entries, but only 10 verify'),
        ])
        // The object it logged is now unaccounted for.
        expect(r.problems).toContainEqual(expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining(`version #${objectEntry(10)}`) }))
      })

      it('a deleted last entry: entry_missing; with the head and tree rewound too, the last checkpoint still catches it', async () => {
        await t.sql('delete from log_entries where idx = ?', [19])
        const r = await verify()
        expect(r.problems).toContainEqual(problem('entry_missing', 19))
        expect(r.problems).toContainEqual(expect.objectContaining({ code: 'checkpoint_mismatch', message: expect.stringContaining('signed a log of 20 entries, but only 19 verify') }))
        await rebuildTree()
        expect((await t.store.log.head()).size).toBe(19)
        const again = await verify()
        expect(again.problems).not.toContainEqual(problem('entry_missing'))
        expect(again.problems.filter((p) => p.code !== 'unlogged_row')).toEqual([
          expect.objectContaining({ code: 'checkpoint_mismatch', message: expect.stringContaining('signed a log of 20 entries, but only 19 verify') }),
        ])
        // Its object version and membership are left without an entry.
        expect(again.problems.filter((p) => p.code === 'unlogged_row')).toHaveLength(2)
      })

      it('a deleted stored object: object_missing (and membership_missing) naming the entry', async () => {
        const seq = objectEntry(7)
        await t.sql('delete from collection_objects where object_seq = ?', [seq])
        await t.sql('delete from stix_objects where seq = ?', [seq])
        const r = await verify()
        expect(r.problems).toEqual(expect.arrayContaining([problem('object_missing', 7), problem('membership_missing', 7)]))
        expect(codes(r)).toEqual(['membership_missing', 'object_missing'])
      })

      it('a deleted collection membership: membership_missing naming the entry', async () => {
        await t.sql('delete from collection_objects where object_seq = ?', [objectEntry(17)])
        const r = await verify()
        expect(r.problems).toEqual([problem('membership_missing', 17)])
      })

      it('an object and membership inserted without an entry: unlogged_row for each', async () => {
        const [src] = await t.sql('select * from stix_objects where seq = ?', [objectEntry(6)])
        const [obj] = attackOfType('campaign', 1)
        const json = canonicalize(obj)
        const [ins] = await t.sql(
          'insert into stix_objects (stix_id, type, spec_version, created, modified, version_key, revoked, created_by_ref, content_hash, json) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning seq',
          [obj!.id, obj!.type, '2.1', src!['created'], src!['modified'], src!['version_key'], 0, null, createHash('sha256').update(json).digest(), json],
        )
        const seq = Number(ins!['seq'])
        const [mem] = await t.sql(
          'insert into collection_objects (collection_id, object_seq, stix_id, type, spec_version, version, date_added) values (?, ?, ?, ?, ?, ?, ?) returning seq',
          [t.defaultCollectionId, seq, obj!.id, obj!.type, '2.1', src!['version_key'], at()],
        )
        const r = await verify()
        expect(r.problems).toEqual([
          expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining(`membership #${Number(mem!['seq'])}`) }),
          expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining(`object version #${seq}`) }),
        ])
      })

      it('an entry inserted beyond the head: entry_beyond_head naming it', async () => {
        const forged = canonicalize({ ...JSON.parse(logged[19]!.text), at: at() })
        await t.sql('insert into log_entries (idx, kind, at, collection_id, object_seq, leaf_hash, entry) values (?, ?, ?, ?, ?, ?, ?)', [
          20, 'object.added', at(), t.defaultCollectionId, logged[19]!.objectSeq, Buffer.from(leafOf(forged)), forged,
        ])
        const r = await verify()
        expect(r.problems).toEqual([problem('entry_beyond_head', 20)])
        // Moved rather than added: the last entry's row renumbered past the head.
        await t.sql('delete from log_entries where idx = ?', [19])
        const moved = await verify()
        expect(moved.problems).toEqual(expect.arrayContaining([problem('entry_missing', 19), problem('entry_beyond_head', 20)]))
      })

      it('an entry inserted at a negative index: entry_invalid naming it, and its content is not believed', async () => {
        // A user added behind the node's back, with a forged entry for it placed before the log's start.
        await t.sql('insert into users (id, org_id, username, role, created_at) values (?, ?, ?, ?, ?)', ['ghost-user', t.hostOrgId, 'ghost', 'admin', at()])
        const forged = canonicalize({ v: 1, kind: 'user.created', at: at(), by: { system: 'init' }, user: { id: 'ghost-user', org: t.hostOrgId, role: 'admin' } })
        await t.sql('insert into log_entries (idx, kind, at, leaf_hash, entry) values (?, ?, ?, ?, ?)', [-1, 'user.created', at(), Buffer.from(leafOf(forged)), forged])
        const r = await verify()
        expect(r.problems).toEqual([
          problem('entry_invalid', -1),
          expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining('ghost-user') }),
        ])
      })

      it('two entries swapped: tree problems naming both, and checkpoint ranges that contain both', async () => {
        const [a, b] = [7, 12]
        await t.sql('update log_entries set idx = ? where idx = ?', [-1, a])
        await t.sql('update log_entries set idx = ? where idx = ?', [a, b])
        await t.sql('update log_entries set idx = ? where idx = ?', [b, -1])
        const r = await verify()
        expect(rangeOf(r, 'tree_node_mismatch')).toEqual([[6, 7], [12, 13]])
        expect(rangeOf(r, 'checkpoint_mismatch')).toEqual([[6, 15], [6, 19]])
        expect(codes(r)).toEqual(['checkpoint_mismatch', 'checkpoint_mismatch', 'head_mismatch', 'tree_node_mismatch', 'tree_node_mismatch'])
        await rebuildTree()
        const again = await verify()
        expect(codes(again)).toEqual(['checkpoint_mismatch', 'checkpoint_mismatch'])
        for (const [lo, hi] of rangeOf(again, 'checkpoint_mismatch')) expect(lo <= a && b <= hi).toBe(true)
      })

      it('two stored objects swapped: object_changed for both entries', async () => {
        const [s1, s2] = [objectEntry(11), objectEntry(18)]
        const [r1] = await t.sql('select json from stix_objects where seq = ?', [s1])
        const [r2] = await t.sql('select json from stix_objects where seq = ?', [s2])
        await t.sql('update stix_objects set json = ? where seq = ?', [r2!['json'], s1])
        await t.sql('update stix_objects set json = ? where seq = ?', [r1!['json'], s2])
        const r = await verify()
        expect(r.problems).toEqual([problem('object_changed', 11), problem('object_changed', 18)])
      })

      it('administration changed behind the log: state_mismatch naming the entry, unlogged_row for a new token', async () => {
        await t.sql("update users set role = 'analyst' where username = 'admin'")
        const r = await verify()
        expect(r.problems).toEqual([problem('state_mismatch', 1)])
        const admin = await t.store.users.getByUsername('admin')
        await t.sql('insert into api_tokens (id, user_id, name, prefix, token_hash, created_at) values (?, ?, ?, ?, ?, ?)', [
          'backdoor-token', admin!.id, 'backdoor', 'ent_xxxxxx', randomBytes(32), at(),
        ])
        const again = await verify()
        expect(again.problems).toEqual([
          problem('state_mismatch', 1),
          expect.objectContaining({ code: 'unlogged_row', message: expect.stringContaining('backdoor-token') }),
        ])
      })

      it('a stored checkpoint or tree node changed: checkpoint_invalid, tree_node_mismatch', async () => {
        await t.sql('update log_checkpoints set size = ? where seq = ?', [15, checkpointSeqs[1]])
        const [cp] = await t.sql('select note from log_checkpoints where seq = ?', [checkpointSeqs[2]])
        await t.sql('update log_checkpoints set note = ? where seq = ?', [(cp!['note'] as string).replace('\n20\n', '\n21\n'), checkpointSeqs[2]])
        await t.sql('delete from log_nodes where level = ? and idx = ?', [1, 5])
        const r = await verify()
        const invalid = r.problems.filter((p) => p.code === 'checkpoint_invalid').map((p) => p.message)
        expect(invalid).toEqual([expect.stringContaining(`#${checkpointSeqs[1]}`), expect.stringContaining(`#${checkpointSeqs[2]}`)])
        expect(rangeOf(r, 'tree_node_mismatch')).toEqual([[10, 11]])
      })
    })

    if (dialect === 'postgres') {
      it('keeps one gapless log order when two processes append concurrently', async () => {
        const t = await createTamperNode(dialect)
        try {
          const other = makeTestServices(await t.openAnother(), t.key)
          const objs = attackOfType('attack-pattern', 200)
          const calls = Array.from({ length: 100 }, (_, i) => {
            const services = i % 2 === 0 ? t.services : other
            return services.ingest.addObjects(system(t), { collection: 'default', objects: objs.slice(2 * i, 2 * i + 2) })
          })
          const results = await Promise.all(calls)
          expect(results.every((r) => r.ok && r.value.results.every((x) => x.outcome === 'added'))).toBe(true)
          const rows: Row[] = await t.sql('select idx from log_entries order by idx')
          expect(rows.map((r) => Number(r['idx']))).toEqual(Array.from({ length: 206 }, (_, i) => i))
          const all = await entries(t)
          const added = all.filter((e) => e.entry.kind === 'object.added').map((e) => (e.entry as { object: { id: string } }).object.id)
          expect(added).toHaveLength(200)
          expect(new Set(added)).toEqual(new Set(objs.map((o) => o.id)))
          // Each call's two objects are adjacent: a transaction's entries are one contiguous run.
          for (let i = 0; i < 100; i++) {
            const pos = added.indexOf(objs[2 * i]!.id)
            expect(added[pos + 1]).toBe(objs[2 * i + 1]!.id)
          }
          expect(await other.verifyLog()).toMatchObject({ ok: true, entries: 206, problems: [] })
        } finally {
          await t.close()
        }
      })
    }
  })
}
