import { createHash } from 'node:crypto'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { attackObjects } from '../../../test/data.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../../platform/signing.js'
import { canonicalize } from '../stix/canonical.js'
import { signCheckpoint, type Checkpoint } from './checkpoint.js'
import { encodeEntry, type LogEntry } from './entry.js'
import { batchInclusionProofFromNodes, inclusionProof, leafHash, rootFromLeafHashes, verifyInclusion } from './merkle.js'
import { noteVerifier } from './note.js'
import {
  checkProvenanceBundleShape,
  InclusionBatchVerifier,
  makeProvenanceItem,
  PROVENANCE_LIMITS,
  provenanceKey,
  verifyProvenance,
  type ProvenanceBundle,
  type ProvenanceItem,
} from './provenance.js'
import { sha256 } from './sha256.js'

const ORIGIN = 'entente.example.org/log'
const KEY = loadPrivateKey(generateNodeKey().privateKeyPem)
const VERIFIER = noteVerifier(ORIGIN, KEY.publicKey)
const enc = new TextEncoder()
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const nodeSha = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()

const flipBit = (b: Uint8Array, bit: number): Uint8Array => {
  const c = b.slice()
  c[(bit >> 3) % c.length] = (c[(bit >> 3) % c.length] as number) ^ (1 << (bit & 7))
  return c
}
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const flipB64 = (s: string, bit: number): string => b64(flipBit(unb64(s), bit))

// ---------------------------------------------------------------------------------------------
// A real-looking log: ATT&CK objects accepted one by one, with a few other entries in between.

type Obj = Record<string, unknown> & { id: string; type: string }
const OBJECTS: Obj[] = attackObjects()
  .filter((o) => typeof o.modified === 'string')
  .slice(0, 400)

interface Logged {
  readonly id: string
  readonly version: string
  readonly bytes: Uint8Array
  readonly index: number
}

const entries: Uint8Array[] = []
const logged: Logged[] = []
for (const [i, o] of OBJECTS.entries()) {
  if (i % 7 === 3) {
    entries.push(encodeEntry({ v: 1, kind: 'user.enabled', at: '2026-05-01T10:00:00.000000Z', by: { system: 'cli' }, user: { id: `u${i}` } }))
  }
  const bytes = enc.encode(canonicalize(o))
  const version = o.modified as string
  const entry: LogEntry = {
    v: 1,
    kind: 'object.added',
    at: `2026-05-01T10:${String(i % 60).padStart(2, '0')}:00.000000Z`,
    by: { org: 'org-1', user: 'user-1' },
    collection: 'col-1',
    object: { id: o.id, type: o.type, version, sha256: hex(sha256(bytes)) },
  }
  logged.push({ id: o.id, version, bytes, index: entries.length })
  entries.push(encodeEntry(entry))
}
const LEAVES = entries.map(leafHash)
const OBJECT_MAP = new Map(logged.map((l) => [provenanceKey(l.id, l.version), l.bytes]))

function treeHead(size: number): Checkpoint {
  return { origin: ORIGIN, size, root: rootFromLeafHashes(LEAVES.slice(0, size)), timestamp: '2026-05-01T11:00:00Z', extensions: [] }
}

function item(l: Logged, size: number): ProvenanceItem {
  return makeProvenanceItem(l.id, l.version, l.index, entries[l.index]!, inclusionProof(l.index, size, (i) => LEAVES[i]!))
}

/** A bundle for the given logged objects, against the tree of the first `size` entries. */
function bundle(which: readonly Logged[], size = entries.length): ProvenanceBundle {
  return { checkpoint: signCheckpoint(treeHead(size), ORIGIN, KEY.publicKey, KEY.sign), items: which.map((l) => item(l, size)) }
}

const run = (b: ProvenanceBundle, objects: ReadonlyMap<string, Uint8Array | string> = OBJECT_MAP) => verifyProvenance(b, objects, VERIFIER, ed25519Verify)
const oks = (b: ProvenanceBundle, objects?: ReadonlyMap<string, Uint8Array | string>) => run(b, objects).results.map((r) => r.ok)

// ---------------------------------------------------------------------------------------------

describe('verifyProvenance', () => {
  it('verifies a batch and returns the origin entry of each object', () => {
    const b = bundle(logged.slice(10, 60))
    const report = run(b)
    expect(report.checkpoint.ok).toBe(true)
    expect(report.results.every((r) => r.ok)).toBe(true)
    expect(report.results[0]).toMatchObject({ id: logged[10]!.id, version: logged[10]!.version, ok: true, entry: { kind: 'object.added', collection: 'col-1', by: { org: 'org-1' } } })
    expect(report.results[0]).not.toHaveProperty('reason')
  })

  it('gives the same answers with an injected SHA-256', () => {
    const b = bundle(logged.slice(0, 40))
    const tampered = { ...b, items: b.items.map((it, i) => (i === 7 ? { ...it, leaf_index: it.leaf_index + 1 } : it)) }
    for (const x of [b, tampered]) {
      expect(verifyProvenance(x, OBJECT_MAP, VERIFIER, ed25519Verify, nodeSha).results).toEqual(run(x).results)
    }
  })

  it('accepts the SHA-256 the receiver computed instead of the bytes', () => {
    const b = bundle(logged.slice(0, 10))
    const hashes = new Map([...OBJECT_MAP].map(([k, v]) => [k, hex(sha256(v))]))
    expect(oks(b, hashes)).toEqual(Array(10).fill(true))
    const l = logged[4]!
    hashes.set(provenanceKey(l.id, l.version), hex(sha256(flipBit(l.bytes, 9))))
    expect(oks(b, hashes)).toEqual(Array.from({ length: 10 }, (_, i) => i !== 4))
    hashes.set(provenanceKey(l.id, l.version), hex(sha256(l.bytes)).toUpperCase())
    expect(oks(b, hashes)[4]).toBe(false)
  })

  it('fails every item when the checkpoint signature does not verify', () => {
    const b = bundle(logged.slice(0, 20))
    const lines = b.checkpoint.split('\n')
    const sigLine = lines.at(-2)!
    const [dash, name, sig] = sigLine.split(' ') as [string, string, string]
    for (const bit of [40, 100, 300, 500]) {
      const bad = [...lines.slice(0, -2), `${dash} ${name} ${flipB64(sig, bit)}`, ''].join('\n')
      const report = run({ ...b, checkpoint: bad })
      expect(report.checkpoint.ok).toBe(false)
      expect(report.results.every((r) => !r.ok && r.reason?.startsWith('checkpoint: '))).toBe(true)
    }
    const other = loadPrivateKey(generateNodeKey().privateKeyPem)
    expect(verifyProvenance(b, OBJECT_MAP, noteVerifier(ORIGIN, other.publicKey), ed25519Verify).results.some((r) => r.ok)).toBe(false)
    expect(verifyProvenance(b, OBJECT_MAP, VERIFIER, ed25519Verify, undefined, { origin: 'another/log' }).results.some((r) => r.ok)).toBe(false)
  })

  it('fails every item under a validly signed checkpoint with another root or size', () => {
    const b = bundle(logged.slice(0, 20))
    for (const bit of [0, 77, 255]) {
      const head = treeHead(entries.length)
      const signed = signCheckpoint({ ...head, root: flipBit(head.root, bit) }, ORIGIN, KEY.publicKey, KEY.sign)
      expect(oks({ ...b, checkpoint: signed }).some(Boolean)).toBe(false)
    }
    const smaller = signCheckpoint(treeHead(logged[10]!.index), ORIGIN, KEY.publicKey, KEY.sign)
    expect(oks({ ...b, checkpoint: smaller }).some(Boolean)).toBe(false)
  })

  it('fails exactly the item whose entry, proof, index or object was altered', () => {
    const b = bundle(logged.slice(100, 130))
    const n = b.items.length
    const only = (k: number) => Array.from({ length: n }, (_, i) => i !== k)
    const at = (k: number, f: (it: ProvenanceItem) => ProvenanceItem): ProvenanceBundle => ({ ...b, items: b.items.map((it, i) => (i === k ? f(it) : it)) })
    for (const k of [0, 5, n - 1]) {
      expect(oks(at(k, (it) => ({ ...it, leaf_input: flipB64(it.leaf_input, 8 * 30 + 2) })))).toEqual(only(k))
      expect(oks(at(k, (it) => ({ ...it, leaf_input: flipB64(it.leaf_input, 8 * 120 + 5) })))).toEqual(only(k))
      for (const level of [0, 3, 8]) {
        expect(oks(at(k, (it) => ({ ...it, inclusion_path: it.inclusion_path.map((h, j) => (j === level ? flipB64(h, 13) : h)) })))).toEqual(only(k))
      }
      expect(oks(at(k, (it) => ({ ...it, inclusion_path: it.inclusion_path.slice(0, -1) })))).toEqual(only(k))
      expect(oks(at(k, (it) => ({ ...it, inclusion_path: [...it.inclusion_path, it.inclusion_path[0]!] })))).toEqual(only(k))
      expect(oks(at(k, (it) => ({ ...it, leaf_index: it.leaf_index ^ 1 })))).toEqual(only(k))
      expect(oks(at(k, (it) => ({ ...it, leaf_index: it.leaf_index + 1 })))).toEqual(only(k))
      const l = logged[100 + k]!
      const objects = new Map(OBJECT_MAP)
      objects.set(provenanceKey(l.id, l.version), flipBit(l.bytes, 8 * 40 + 1))
      expect(oks(b, objects)).toEqual(only(k))
    }
  })

  const BATCH = bundle(logged.filter((_, i) => i % 11 === 0 || (i >= 200 && i < 216)))
  test.prop([fc.nat(BATCH.items.length - 1), fc.constantFrom('entry', 'path', 'index', 'object'), fc.nat()], { numRuns: 60 })(
    'flipping any bit of one item’s entry, proof, index or object fails that item alone',
    (k, field, bit) => {
      const items = BATCH.items.map((it, i): ProvenanceItem => {
        if (i !== k || field === 'object') return it
        if (field === 'entry') return { ...it, leaf_input: flipB64(it.leaf_input, bit % (unb64(it.leaf_input).length * 8)) }
        if (field === 'index') return { ...it, leaf_index: it.leaf_index ^ (1 << bit % 9) }
        const j = bit % it.inclusion_path.length
        return { ...it, inclusion_path: it.inclusion_path.map((h, x) => (x === j ? flipB64(h, bit >> 5) : h)) }
      })
      let objects: ReadonlyMap<string, Uint8Array> = OBJECT_MAP
      if (field === 'object') {
        const it = BATCH.items[k]!
        const bytes = OBJECT_MAP.get(provenanceKey(it.id, it.version))!
        objects = new Map(OBJECT_MAP).set(provenanceKey(it.id, it.version), flipBit(bytes, bit % (bytes.length * 8)))
      }
      expect(oks({ ...BATCH, items }, objects)).toEqual(BATCH.items.map((_, i) => i !== k))
    },
  )

  it('explains why an item fails', () => {
    const l = logged[3]!
    const b = bundle([l])
    const reason = (bb: ProvenanceBundle, objects?: ReadonlyMap<string, Uint8Array>) => run(bb, objects).results[0]!.reason
    const it0 = b.items[0]!
    expect(reason({ ...b, items: [{ ...it0, id: logged[4]!.id }] })).toBe(`the log entry names ${l.id}`)
    expect(reason({ ...b, items: [{ ...it0, version: '2020-01-01T00:00:00.000Z' }] })).toBe(`the log entry names version ${l.version}`)
    expect(reason(b, new Map())).toBe('the object version was not supplied')
    expect(reason({ ...b, items: [{ ...it0, leaf_input: 'AB==' }] })).toBe('leaf_input is not canonical base64')
    expect(reason({ ...b, items: [{ ...it0, leaf_input: b64(enc.encode('{"v":1}')) }] })).toMatch(/^leaf_input: /)
    // A canonical entry of another kind at a real position of the log.
    const other = entries.findIndex((e) => new TextDecoder().decode(e).includes('user.enabled'))
    const otherItem = makeProvenanceItem(l.id, l.version, other, entries[other]!, inclusionProof(other, entries.length, (i) => LEAVES[i]!))
    expect(reason({ ...b, items: [otherItem] })).toBe('the log entry is user.enabled, not object.added')
    expect(reason({ ...b, items: [{ ...it0, leaf_index: entries.length }] })).toBe(`leaf ${entries.length}: index ${entries.length} is not below tree size ${entries.length}`)
  })

  it('verifies against any later checkpoint, and against the checkpoint the entry first appeared in', () => {
    const l = logged[50]!
    expect(oks(bundle([l], l.index + 1))).toEqual([true])
    expect(oks(bundle([l], entries.length))).toEqual([true])
    const before = signCheckpoint(treeHead(l.index), ORIGIN, KEY.publicKey, KEY.sign)
    expect(oks({ ...bundle([l], l.index + 1), checkpoint: before })).toEqual([false])
  })

  it('a tampered proof never passes by sharing verified nodes with an earlier proof', () => {
    // Leaves 40 and 41 are siblings, 40..43 share level 2 onwards: tamper the second proof in a node
    // the first one established.
    const pair = logged.filter((l) => l.index >= 40 && l.index < 48).slice(0, 2)
    const b = bundle(pair)
    const [first, second] = b.items as [ProvenanceItem, ProvenanceItem]
    for (let level = 0; level < second.inclusion_path.length; level++) {
      const tampered = { ...second, inclusion_path: second.inclusion_path.map((h, j) => (j === level ? flipB64(h, 200) : h)) }
      expect(oks({ ...b, items: [first, tampered] }), `level ${level}`).toEqual([true, false])
      expect(oks({ ...b, items: [tampered, first] }), `level ${level}`).toEqual([false, true])
      expect(oks({ ...b, items: [first, tampered, second] }), `level ${level}`).toEqual([true, false, true])
    }
    // The same leaf twice, the second time with another entry's bytes.
    const dup = { ...first, leaf_input: b.items[1]!.leaf_input }
    expect(oks({ ...b, items: [first, dup] })).toEqual([true, false])
  })
})

describe('InclusionBatchVerifier', () => {
  const proofFor = (size: number) => (i: number) => inclusionProof(i, size, (j) => LEAVES[j]!)

  test.prop(
    [
      fc.integer({ min: 1, max: 300 }),
      fc.array(
        fc.record({
          index: fc.nat(),
          tamper: fc.constantFrom('none', 'none', 'none', 'leaf', 'proof', 'index', 'short', 'long', 'swap'),
          bit: fc.nat(),
          asText: fc.boolean(),
        }),
        { minLength: 1, maxLength: 40 },
      ),
    ],
    { numRuns: 300 },
  )('accepts exactly what verifyInclusion accepts, in any order of good and bad proofs', (size, steps) => {
    const root = rootFromLeafHashes(LEAVES.slice(0, size))
    const batch = new InclusionBatchVerifier(size, root)
    const proof = proofFor(size)
    for (const s of steps) {
      const index = s.index % size
      let leaf = LEAVES[index]!
      let path = proof(index)
      let claimed = index
      switch (s.tamper) {
        case 'leaf':
          leaf = flipBit(leaf, s.bit)
          break
        case 'proof':
          if (path.length > 0) path = path.map((h, j) => (j === s.bit % path.length ? flipBit(h, s.bit >> 4) : h))
          break
        case 'index':
          claimed = (index + 1 + (s.bit % size)) % (size + 1)
          break
        case 'short':
          path = path.slice(0, -1)
          break
        case 'long':
          path = [...path, LEAVES[s.bit % LEAVES.length]!]
          break
        case 'swap':
          if (path.length > 1) path = [path[1]!, path[0]!, ...path.slice(2)]
          break
      }
      const want = verifyInclusion(claimed, size, leaf, path, root).ok
      const got = s.asText ? batch.verifyBase64(claimed, leaf, path.map(b64)) : batch.verify(claimed, leaf, path)
      expect(got.ok, `${s.tamper} ${claimed}/${size}`).toBe(want)
    }
  })

  it('shares nodes: a contiguous batch hashes far less than independent proofs', () => {
    const size = entries.length
    const root = rootFromLeafHashes(LEAVES.slice(0, size))
    let calls = 0
    const counting = (b: Uint8Array) => {
      calls++
      return nodeSha(b)
    }
    const batch = new InclusionBatchVerifier(size, root, counting)
    for (let i = 0; i < 256; i++) expect(batch.verify(i, LEAVES[i]!, proofFor(size)(i)).ok).toBe(true)
    // 256 independent proofs of ~9 hashes each would be ~2300; shared, each interior node is hashed once.
    expect(calls).toBeLessThan(300)
    expect(batch.rememberedNodes).toBeGreaterThan(256)
  })

  it('rejects non-canonical base64 in a proof, in the hashed and in the compared part of the path', () => {
    const size = entries.length
    const root = rootFromLeafHashes(LEAVES.slice(0, size))
    const batch = new InclusionBatchVerifier(size, root)
    const path = (i: number) => proofFor(size)(i).map(b64)
    expect(batch.verifyBase64(8, LEAVES[8]!, path(8)).ok).toBe(true)
    // 9 shares 8's path from level 1: element 0 is hashed, the rest compared as text.
    for (const j of [0, 1, 4]) {
      const p = path(9)
      const h = p[j]!
      const c = h[42]!
      p[j] = `${h.slice(0, 42)}${String.fromCharCode(c.charCodeAt(0) + 1)}=` // same bytes, non-zero padding bits
      expect(Buffer.from(p[j]!, 'base64')).toEqual(Buffer.from(h, 'base64'))
      expect(batch.verifyBase64(9, LEAVES[9]!, p).ok, `element ${j}`).toBe(false)
    }
    expect(batch.verifyBase64(9, LEAVES[9]!, path(9)).ok).toBe(true)
  })

  it('handles trees of one leaf and rejects everything in the empty tree', () => {
    const one = new InclusionBatchVerifier(1, LEAVES[0]!)
    expect(one.verify(0, LEAVES[0]!, []).ok).toBe(true)
    expect(one.verify(0, LEAVES[0]!, [LEAVES[1]!]).ok).toBe(false)
    expect(one.verify(0, LEAVES[1]!, []).ok).toBe(false)
    expect(one.verify(1, LEAVES[0]!, []).ok).toBe(false)
    const empty = new InclusionBatchVerifier(0, sha256(new Uint8Array(0)))
    expect(empty.verify(0, LEAVES[0]!, []).ok).toBe(false)
    expect(() => new InclusionBatchVerifier(-1, LEAVES[0]!)).toThrow(RangeError)
    expect(() => new InclusionBatchVerifier(3, new Uint8Array(31))).toThrow(RangeError)
  })
})

describe('checkProvenanceBundleShape', () => {
  const good = JSON.parse(JSON.stringify(bundle(logged.slice(0, 3)))) as Record<string, unknown> & { items: Record<string, unknown>[] }
  const withItem = (patch: Record<string, unknown>) => ({ ...good, items: [{ ...good.items[0], ...patch }] })

  it('accepts bundles as they travel (JSON)', () => {
    expect(checkProvenanceBundleShape(good).ok).toBe(true)
    expect(oks(checkProvenanceBundleShape(good).ok ? (good as unknown as ProvenanceBundle) : bundle([]))).toEqual([true, true, true])
  })

  it('rejects anything else, with the path of the problem', () => {
    const cases: [unknown, string][] = [
      [null, 'a provenance bundle must be a JSON object'],
      [[], 'a provenance bundle must be a JSON object'],
      [{ ...good, extra: 1 }, '/extra is not a known property'],
      [{ ...good, checkpoint: 5 }, '/checkpoint must be the signed checkpoint note text'],
      [{ ...good, checkpoint: 'x'.repeat(1024 * 1024 + 1) }, '/checkpoint must be the signed checkpoint note text'],
      [{ ...good, items: [] }, `/items must be an array of 1 to ${PROVENANCE_LIMITS.maxItems} items`],
      [{ ...good, items: Array.from({ length: PROVENANCE_LIMITS.maxItems + 1 }, () => good.items[0]) }, `/items must be an array of 1 to ${PROVENANCE_LIMITS.maxItems} items`],
      [{ ...good, items: [5] }, '/items/0must be an object'],
      [withItem({ more: true }), '/items/0/more is not a known property'],
      [withItem({ id: '' }), '/items/0/id must be a string of 1 to 512 characters'],
      [withItem({ version: 7 }), '/items/0/version must be a string of 1 to 512 characters'],
      [withItem({ leaf_index: -1 }), '/items/0/leaf_index must be a non-negative integer'],
      [withItem({ leaf_index: 1.5 }), '/items/0/leaf_index must be a non-negative integer'],
      [withItem({ leaf_index: '3' }), '/items/0/leaf_index must be a non-negative integer'],
      [withItem({ leaf_input: 'not base64!' }), '/items/0/leaf_input must be base64 of at most 4096 bytes'],
      [withItem({ leaf_input: 'A'.repeat(6000) }), '/items/0/leaf_input must be base64 of at most 4096 bytes'],
      [withItem({ inclusion_path: 'x' }), '/items/0/inclusion_path must be an array of at most 64 hashes'],
      [withItem({ inclusion_path: Array.from({ length: 65 }, () => b64(new Uint8Array(32))) }), '/items/0/inclusion_path must be an array of at most 64 hashes'],
      [withItem({ inclusion_path: [b64(new Uint8Array(31))] }), '/items/0/inclusion_path/0 must be base64 of 32 bytes'],
      [withItem({ inclusion_path: [`${b64(new Uint8Array(32)).slice(0, 42)}B=`] }), '/items/0/inclusion_path/0 must be base64 of 32 bytes'],
    ]
    for (const [value, error] of cases) expect(checkProvenanceBundleShape(value)).toEqual({ ok: false, error })
  })

  test.prop([fc.anything()])('never throws', (x) => {
    expect(typeof checkProvenanceBundleShape(x).ok).toBe('boolean')
  })
})

describe('verifyProvenance with one batch proof for the bundle', () => {
  /** The same items, their per-item proofs replaced by one batch proof. */
  function batchBundle(which: readonly Logged[], size = entries.length): ProvenanceBundle {
    const b = bundle(which, size)
    const indexes = [...new Set(which.map((l) => l.index))].sort((x, y) => x - y)
    const proof = batchInclusionProofFromNodes(indexes, size, (level, index) => (level === 0 ? LEAVES[index] : undefined))
    return { ...b, items: b.items.map((it) => ({ ...it, inclusion_path: [] })), batch_proof: proof.map(b64) }
  }

  it('gives the same results as one proof per item, with far fewer hashes', () => {
    const which = logged.slice(30, 130)
    const b = batchBundle(which)
    expect(checkProvenanceBundleShape(JSON.parse(JSON.stringify(b))).ok).toBe(true)
    expect(run(b).results).toEqual(run(bundle(which)).results)
    expect(run(b).results.every((r) => r.ok)).toBe(true)
    const perItem = bundle(which).items.reduce((n, it) => n + it.inclusion_path.length, 0)
    expect(b.batch_proof!.length * 10).toBeLessThan(perItem)
  })

  it('fails only the item whose object does not match its entry; a bad entry or proof hash fails them all', () => {
    const which = logged.slice(0, 30)
    const b = batchBundle(which)
    const l = which[5]!
    const objects = new Map(OBJECT_MAP)
    objects.set(provenanceKey(l.id, l.version), flipBit(l.bytes, 3))
    expect(oks(b, objects)).toEqual(which.map((_, i) => i !== 5))
    // An altered entry changes its leaf: the batch proof no longer leads to the root.
    const badEntry = { ...b, items: b.items.map((it, i) => (i === 5 ? { ...it, leaf_input: b64(flipBit(unb64(it.leaf_input), 200)) } : it)) }
    expect(run(badEntry).results.every((r) => !r.ok && r.reason?.startsWith('batch proof: '))).toBe(true)
    for (const k of [0, b.batch_proof!.length - 1]) {
      const badProof = { ...b, batch_proof: b.batch_proof!.map((h, i) => (i === k ? flipB64(h, 17) : h)) }
      expect(oks(badProof).some(Boolean)).toBe(false)
    }
    expect(oks({ ...b, batch_proof: b.batch_proof!.slice(1) }).some(Boolean)).toBe(false)
    // An item moved to another leaf index.
    const moved = { ...b, items: b.items.map((it, i) => (i === 29 ? { ...it, leaf_index: it.leaf_index + 1 } : it)) }
    expect(oks(moved).some(Boolean)).toBe(false)
    // Two items claiming one leaf with different entries.
    const twice = { ...b, items: b.items.map((it, i) => (i === 1 ? { ...it, leaf_index: b.items[0]!.leaf_index } : it)) }
    expect(run(twice).results.every((r) => !r.ok && r.reason?.includes('two items claim'))).toBe(true)
  })

  it('refuses a batch proof next to per-item proofs, and hashes that are not 32 bytes', () => {
    const b = batchBundle(logged.slice(0, 3))
    const mixed = { ...b, items: b.items.map((it, i) => (i === 0 ? { ...it, inclusion_path: [b.batch_proof![0]!] } : it)) }
    expect(checkProvenanceBundleShape(mixed)).toMatchObject({ ok: false })
    expect(checkProvenanceBundleShape({ ...b, batch_proof: ['AAAA'] })).toMatchObject({ ok: false })
    expect(checkProvenanceBundleShape({ ...b, batch_proof: 'x' })).toMatchObject({ ok: false })
  })
})
