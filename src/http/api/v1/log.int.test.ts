/**
 * The transparency log over HTTP, checked the way a partner checks it: with core's verifiers and the
 * pinned key only. Witnessing between two nodes, and a fork signed with a node's own key.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signCheckpoint, openCheckpoint } from '../../../core/translog/checkpoint.js'
import { decodeEntry } from '../../../core/translog/entry.js'
import { leafHash, verifyConsistency, verifyInclusion, MerkleFrontier } from '../../../core/translog/merkle.js'
import { noteVerifier, verifierKey } from '../../../core/translog/note.js'
import { checkProvenanceBundleShape, provenanceKey, verifyProvenance } from '../../../core/translog/provenance.js'
import { ed25519Verify } from '../../../platform/signing.js'
import type { RemoteEntry, RemoteLog } from '../../../services/deps.js'
import { makeRemoteLogService } from '../../../services/log/remote.js'
import { attackObjects } from '../../../../test/data.js'
import { DIALECTS } from '../../../../test/db.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { silentLogger } from '../../../../test/node.js'

const b64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'))
const bundle = (objects: readonly unknown[]) => ({ type: 'bundle', id: `bundle--${randomUUID()}`, objects })

/** A RemoteLog over `inject`: the same answers a partner gets over the network. */
function injectRemote(app: FastifyInstance, token?: string): RemoteLog {
  const get = async (path: string) => {
    const res = await api(app, 'GET', `/api/v1/log/${path}`, token ? { token } : {})
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode}`)
    return res
  }
  return {
    url: 'inject',
    checkpoint: async () => (await get('checkpoint')).body,
    async checkpoints(after, limit) {
      const v = json<{ items: { seq: number; checkpoint: string }[]; next: number | null }>(await get(`checkpoints?after=${after}&limit=${limit}`))
      return { items: v.items.map((i) => ({ seq: i.seq, note: i.checkpoint })), next: v.next }
    },
    async consistency(first, second) {
      return json<{ consistency: string[] }>(await get(`get-sth-consistency?first=${first}&second=${second}`)).consistency.map(b64)
    },
    async entries(start, end) {
      const v = json<{ entries: ({ index: number; leaf_input: string } | { index: number; leaf_hash: string })[] }>(await get(`get-entries?start=${start}&end=${end}`))
      return v.entries.map((e): RemoteEntry => ('leaf_input' in e ? { index: e.index, leafInput: b64(e.leaf_input) } : { index: e.index, leafHash: b64(e.leaf_hash) }))
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`transparency log over HTTP on ${dialect}`, () => {
    let n: HttpTestNode
    let admin: string
    let pinnedKey: string
    const objects = attackObjects().slice(0, 60)

    beforeAll(async () => {
      n = await createHttpTestNode(dialect)
      admin = n.adminToken
      const res = await api(n.app, 'POST', '/api/v1/collections/default/objects', { token: admin, body: bundle(objects.slice(0, 40)) })
      expect(res.statusCode, res.body).toBeLessThan(300)
      pinnedKey = verifierKey(n.origin, n.key.publicKey)
    }, 60_000)
    afterAll(async () => n?.close())

    it('publishes its key and a signed tree head that verify with the pinned key alone', async () => {
      const key = json<{ origin: string; verifier_key: string; tree_size: number }>(await api(n.app, 'GET', '/api/v1/log/key'))
      expect(key.verifier_key).toBe(pinnedKey)
      const sth = json<{ tree_size: number; sha256_root_hash: string; checkpoint: string; timestamp: number }>(await api(n.app, 'GET', '/api/v1/log/get-sth'))
      expect(sth.tree_size).toBe(key.tree_size)
      expect(sth.timestamp).toBeGreaterThan(Date.parse('2026-01-01'))
      const cp = openCheckpoint(sth.checkpoint, noteVerifier(n.origin, n.key.publicKey), ed25519Verify, { origin: n.origin })
      expect(cp.ok && cp.value.size).toBe(sth.tree_size)
      expect(cp.ok && Buffer.from(cp.value.root).toString('base64')).toBe(sth.sha256_root_hash)
      // The text endpoint serves the same note; another key does not open it.
      const text = await api(n.app, 'GET', '/api/v1/log/checkpoint')
      expect(text.headers['content-type']).toMatch(/^text\/plain/)
      expect(text.body).toBe(sth.checkpoint)
      const other = await createHttpTestNode(dialect)
      try {
        expect(openCheckpoint(text.body, noteVerifier(n.origin, other.key.publicKey), ed25519Verify).ok).toBe(false)
      } finally {
        await other.close()
      }
    })

    it('answers consistency and inclusion proofs that verify against two signed checkpoints', async () => {
      const first = json<{ tree_size: number; sha256_root_hash: string }>(await api(n.app, 'GET', '/api/v1/log/get-sth'))
      await api(n.app, 'POST', '/api/v1/collections/default/objects', { token: admin, body: bundle(objects.slice(40)) })
      const signed = await api(n.app, 'POST', '/api/v1/log/checkpoint', { token: admin })
      expect(signed.statusCode, signed.body).toBe(201)
      const second = json<{ tree_size: number; sha256_root_hash: string }>(signed)
      expect(second.tree_size).toBe(first.tree_size + 20)
      const proof = json<{ consistency: string[] }>(
        await api(n.app, 'GET', '/api/v1/log/get-sth-consistency', { query: { first: String(first.tree_size), second: String(second.tree_size) } }),
      )
      expect(verifyConsistency(first.tree_size, second.tree_size, b64(first.sha256_root_hash), b64(second.sha256_root_hash), proof.consistency.map(b64)).ok).toBe(true)
      // Every entry of the admin's view, by hash.
      const entries = json<{ entries: { index: number; leaf_input: string }[] }>(
        await api(n.app, 'GET', '/api/v1/log/get-entries', { token: admin, query: { start: '0', end: String(second.tree_size - 1) } }),
      ).entries
      expect(entries.map((e) => e.index)).toEqual([...Array(second.tree_size).keys()])
      for (const e of entries.filter((_, i) => i % 7 === 0)) {
        const leaf = leafHash(b64(e.leaf_input))
        const p = json<{ leaf_index: number; audit_path: string[] }>(
          await api(n.app, 'GET', '/api/v1/log/get-proof-by-hash', { query: { hash: Buffer.from(leaf).toString('base64'), tree_size: String(second.tree_size) } }),
        )
        expect(p.leaf_index).toBe(e.index)
        expect(verifyInclusion(p.leaf_index, second.tree_size, leaf, p.audit_path.map(b64), b64(second.sha256_root_hash)).ok).toBe(true)
      }
      // Bad requests are problems, not crashes.
      expect((await api(n.app, 'GET', '/api/v1/log/get-sth-consistency', { query: { first: '5', second: String(second.tree_size + 1) } })).statusCode).toBe(400)
      expect((await api(n.app, 'GET', '/api/v1/log/get-proof-by-hash', { query: { hash: 'nope', tree_size: '1' } })).statusCode).toBe(400)
      expect((await api(n.app, 'GET', '/api/v1/log/get-proof-by-hash', { query: { hash: 'A'.repeat(43) + '=', tree_size: '1' } })).statusCode).toBe(404)
      expect((await api(n.app, 'POST', '/api/v1/log/checkpoint')).statusCode).toBe(401)
    })

    it('shows anonymous readers hashes only, and the hashes still rebuild the signed root', async () => {
      const sth = json<{ tree_size: number; sha256_root_hash: string }>(await api(n.app, 'GET', '/api/v1/log/get-sth'))
      const anon = json<{ entries: Record<string, unknown>[] }>(await api(n.app, 'GET', '/api/v1/log/get-entries', { query: { start: '0', end: String(sth.tree_size - 1) } }))
      expect(anon.entries.every((e) => e['redacted'] === true && !('leaf_input' in e))).toBe(true)
      const f = new MerkleFrontier()
      for (const e of anon.entries) f.append(b64(e['leaf_hash'] as string))
      expect(Buffer.from(f.root()).toString('base64')).toBe(sth.sha256_root_hash)
      // Pages are bounded.
      const many = json<{ entries: unknown[] }>(await api(n.app, 'GET', '/api/v1/log/get-entries', { query: { start: '0', end: '999999' } }))
      expect(many.entries.length).toBeLessThanOrEqual(1000)
    })

    it('serves provenance bundles that a receiver verifies with one signature, and that fail for a changed object', async () => {
      const res = await api(n.app, 'POST', '/api/v1/log/provenance', {
        token: admin,
        body: { collection: 'default', objects: objects.slice(0, 10).map((o) => ({ id: o.id })) },
      })
      expect(res.statusCode, res.body).toBe(200)
      // The answer is the bundle (checkpoint, items) plus the objects it could not vouch for.
      const { missing, ...bundleOnly } = json<{ missing: unknown[] }>(res)
      expect(missing).toEqual([])
      const shape = checkProvenanceBundleShape(bundleOnly)
      expect(shape.ok).toBe(true)
      if (!shape.ok) return
      expect(shape.value.items).toHaveLength(10)
      const held = new Map<string, Uint8Array>()
      for (const item of shape.value.items) {
        const entry = decodeEntry(b64(item.leaf_input))
        expect(entry.ok && entry.value.kind).toBe('object.added')
        const stored = (await n.store.objects.versionsOf(item.id)).find((v) => v.versionKey === item.version)
        held.set(provenanceKey(item.id, item.version), new TextEncoder().encode(stored?.json ?? ''))
      }
      const report = verifyProvenance(shape.value, held, noteVerifier(n.origin, n.key.publicKey), ed25519Verify)
      expect(report.checkpoint.ok).toBe(true)
      expect(report.results[0]?.reason).toBeUndefined()
      expect(report.results.map((r) => r.ok)).toEqual(Array(10).fill(true))
      const first = shape.value.items[0]!
      held.set(provenanceKey(first.id, first.version), new TextEncoder().encode(new TextDecoder().decode(held.get(provenanceKey(first.id, first.version))).replace('"name":"', '"name":"X')))
      const tampered = verifyProvenance(shape.value, held, noteVerifier(n.origin, n.key.publicKey), ed25519Verify)
      expect(tampered.results.map((r) => r.ok)).toEqual([false, ...Array(9).fill(true)])
      expect((await api(n.app, 'POST', '/api/v1/log/provenance', { body: { collection: 'default', objects: [{ id: first.id }] } })).statusCode).toBe(401)
    })

    it('serves one batch proof for the whole request on proof=batch, which verifies the same objects', async () => {
      const asked = objects.slice(0, 25).map((o) => ({ id: o.id }))
      const res = await api(n.app, 'POST', '/api/v1/log/provenance', { token: admin, body: { collection: 'default', objects: asked, proof: 'batch' } })
      expect(res.statusCode, res.body).toBe(200)
      const { missing, ...bundleOnly } = json<{ missing: unknown[]; batch_proof: string[]; items: { inclusion_path: string[] }[] }>(res)
      expect(missing).toEqual([])
      expect(bundleOnly.items.every((i) => i.inclusion_path.length === 0)).toBe(true)
      expect(bundleOnly.batch_proof.length).toBeGreaterThan(0)
      const shape = checkProvenanceBundleShape(bundleOnly)
      expect(shape.ok).toBe(true)
      if (!shape.ok) return
      const held = new Map<string, Uint8Array>()
      for (const item of shape.value.items) {
        const stored = (await n.store.objects.versionsOf(item.id)).find((v) => v.versionKey === item.version)
        held.set(provenanceKey(item.id, item.version), new TextEncoder().encode(stored?.json ?? ''))
      }
      const report = verifyProvenance(shape.value, held, noteVerifier(n.origin, n.key.publicKey), ed25519Verify)
      expect(report.results.map((r) => r.ok)).toEqual(Array(25).fill(true))
      const broken = { ...shape.value, batch_proof: shape.value.batch_proof!.slice(0, -1) }
      expect(verifyProvenance(broken, held, noteVerifier(n.origin, n.key.publicKey), ed25519Verify).results.some((r) => r.ok)).toBe(false)
      // Another proof form is refused with a problem, not ignored.
      const bad = await api(n.app, 'POST', '/api/v1/log/provenance', { token: admin, body: { collection: 'default', objects: asked, proof: 'merkle' } })
      expect(bad.statusCode).toBe(400)
    })

    it('lets a partner verify the whole log remotely, and witnesses checkpoints, reporting a fork loudly', async () => {
      const partner = await createHttpTestNode(dialect)
      try {
        const remote = makeRemoteLogService({
          store: partner.store, clock: { nowMs: () => Date.now() }, verify: ed25519Verify, logger: silentLogger, remoteLogs: () => injectRemote(n.app, admin),
        })
        const report = await remote.verifyRemote({ url: 'inject', verifierKey: pinnedKey })
        expect(report.ok && report.value.ok, JSON.stringify(report)).toBe(true)
        expect(report.ok && report.value.redacted).toBe(0)
        // Another key is refused before anything is trusted.
        expect((await remote.verifyRemote({ url: 'inject', verifierKey: verifierKey(n.origin, partner.key.publicKey) })).ok).toBe(false)

        expect((await remote.addWitnessed({ url: 'http://node-a.example', verifierKey: pinnedKey })).ok).toBe(true)
        const first = await remote.checkWitnessed()
        expect(first.map((r) => r.verdict)).toEqual(['consistent'])
        await api(n.app, 'POST', '/api/v1/collections/default/objects', { token: admin, body: bundle(attackObjects().slice(100, 105)) })
        await n.services.log.checkpoint()
        expect((await remote.checkWitnessed()).map((r) => r.verdict)).toEqual(['consistent'])
        expect((await partner.store.witness.checkpoints(n.origin)).length).toBe(2)

        // The node signs a checkpoint of a rewritten history (same size, other root): a fork.
        const head = await n.store.log.head()
        const fake = signCheckpoint({ origin: n.origin, size: head.size, root: new Uint8Array(32).fill(7), timestamp: null, extensions: [] }, n.origin, n.key.publicKey, (m) => n.key.sign(m))
        const verdict = await remote.witnessCheckpoint(n.origin, fake, async () => [])
        expect(verdict.ok && verdict.value.verdict).toBe('fork')
        const watched = await partner.store.witness.getLog(n.origin)
        expect(watched?.fork).toMatch(/fork/)
        // A checkpoint signed by another key is refused, not stored.
        const foreign = signCheckpoint({ origin: n.origin, size: 1, root: new Uint8Array(32), timestamp: null, extensions: [] }, n.origin, partner.key.publicKey, (m) => partner.key.sign(m))
        expect((await remote.witnessCheckpoint(n.origin, foreign, async () => [])).ok).toBe(false)
        expect((await partner.store.witness.checkpoints(n.origin)).length).toBe(3)
      } finally {
        await partner.close()
      }
    })
  })
}
