import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  batchInclusionProofFromNodes,
  consistencyProof,
  consistencyProofFromNodes,
  emptyRoot,
  inclusionProof,
  inclusionProofFromNodes,
  inclusionProofsFromNodes,
  leafHash,
  MerkleFrontier,
  nodeHash,
  rootFromLeafHashes,
  subtreeHash,
  verifyBatchInclusion,
  verifyConsistency,
  verifyInclusion,
  type NodeLookup,
} from './merkle.js'
import { sha256 } from './sha256.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const dh = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const flipBit = (b: Uint8Array, bit: number): Uint8Array => {
  const c = b.slice()
  c[(bit >> 3) % c.length] = (c[(bit >> 3) % c.length] as number) ^ (1 << (bit & 7))
  return c
}

/*
 * Test vectors from transparency-dev/merkle (Apache-2.0), the RFC 6962 reference data also used by
 * Certificate Transparency: testonly/constants.go (LeafInputs, NodeHashes, RootHashes, EmptyRootHash)
 * and proof/verify_test.go (inclusionProofs, consistencyProofs; leaf numbers there are 1-based and
 * are converted to 0-based indices here).
 */
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(dh)
const NODE_HASHES: string[][] = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
]
/** Roots by tree size 0..8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]
/** [0-based index, size, proof]. */
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
]
/** [m, n, proof]. */
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
]

const LEAVES = LEAF_INPUTS.map(leafHash)
const leafAt = (leaves: readonly Uint8Array[]) => (i: number) => leaves[i] as Uint8Array

/** A complete node store (every perfect node), filled through MerkleFrontier's onNode hook. */
function nodeStore(leaves: readonly Uint8Array[]): NodeLookup {
  const nodes = new Map<string, Uint8Array>()
  const f = new MerkleFrontier()
  for (const l of leaves) f.append(l, (level, index, hash) => nodes.set(`${level}:${index}`, hash))
  return (level, index) => nodes.get(`${level}:${index}`)
}

describe('merkle: transparency-dev/merkle (RFC 6962) vectors', () => {
  const leavesOnly: NodeLookup = (level, index) => (level === 0 ? LEAVES[index] : undefined)

  it('hashes leaves and nodes as NodeHashes lists them', () => {
    expect(LEAVES.map(hex)).toEqual(NODE_HASHES[0])
    const lookup = nodeStore(LEAVES)
    NODE_HASHES.forEach((level, l) =>
      level.forEach((h, i) => {
        expect(hex(lookup(l, i) as Uint8Array)).toBe(h)
        expect(hex(subtreeHash(i * 2 ** l, (i + 1) * 2 ** l, leavesOnly))).toBe(h)
      }),
    )
    expect(hex(nodeHash(LEAVES[0] as Uint8Array, LEAVES[1] as Uint8Array))).toBe(NODE_HASHES[1]?.[0])
  })

  it('computes the root of every size 0..8', () => {
    const f = new MerkleFrontier()
    for (let n = 0; n <= 8; n++) {
      expect(hex(rootFromLeafHashes(LEAVES.slice(0, n)))).toBe(ROOTS[n])
      expect(hex(f.root())).toBe(ROOTS[n])
      if (n < 8) f.append(LEAVES[n] as Uint8Array)
    }
    expect(hex(emptyRoot())).toBe(ROOTS[0])
    expect(hex(sha256(new Uint8Array(0)))).toBe(ROOTS[0])
  })

  it.each(INCLUSION)('inclusion proof of leaf %i in a tree of %i', (index, size, proof) => {
    expect(inclusionProof(index, size, leafAt(LEAVES)).map(hex)).toEqual(proof)
    expect(inclusionProofFromNodes(index, size, nodeStore(LEAVES)).map(hex)).toEqual(proof)
    expect(verifyInclusion(index, size, LEAVES[index] as Uint8Array, proof.map(dh), dh(ROOTS[size] as string))).toEqual({ ok: true, value: true })
  })

  it.each(CONSISTENCY)('consistency proof from %i to %i', (m, n, proof) => {
    expect(consistencyProof(m, n, leafAt(LEAVES)).map(hex)).toEqual(proof)
    expect(consistencyProofFromNodes(m, n, nodeStore(LEAVES)).map(hex)).toEqual(proof)
    expect(verifyConsistency(m, n, dh(ROOTS[m] as string), dh(ROOTS[n] as string), proof.map(dh))).toEqual({ ok: true, value: true })
  })
})

describe('merkle: what the proofs do not bind', () => {
  it('a root binds its size only through the signed tree head (RFC 9162 verifiers, like transparency-dev/merkle)', () => {
    // Leaf 0's path in the 5-leaf tree has the same shape in a 6-leaf tree, so (0, 6) with the 5-leaf
    // root verifies; likewise 1 → 3 versus 1 → 4. Checkpoints must sign size and root together.
    const root5 = dh(ROOTS[5] as string)
    expect(verifyInclusion(0, 6, LEAVES[0] as Uint8Array, inclusionProof(0, 5, leafAt(LEAVES)), root5).ok).toBe(true)
    expect(verifyConsistency(1, 4, dh(ROOTS[1] as string), dh(ROOTS[3] as string), consistencyProof(1, 3, leafAt(LEAVES))).ok).toBe(true)
  })
})

describe('merkle: rejections', () => {
  const root8 = dh(ROOTS[8] as string)
  const proof0 = inclusionProof(0, 8, leafAt(LEAVES))
  const leaf0 = LEAVES[0] as Uint8Array
  const c68 = consistencyProof(6, 8, leafAt(LEAVES))
  const root6 = dh(ROOTS[6] as string)

  it('rejects bad inclusion parameters and shapes', () => {
    expect(verifyInclusion(8, 8, leaf0, proof0, root8).ok).toBe(false)
    expect(verifyInclusion(0, 0, leaf0, [], dh(ROOTS[0] as string)).ok).toBe(false)
    expect(verifyInclusion(-1, 8, leaf0, proof0, root8).ok).toBe(false)
    expect(verifyInclusion(0.5, 8, leaf0, proof0, root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0, proof0.slice(0, 2), root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0, [...proof0, root8], root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0, [root8, ...proof0], root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0, [...proof0.slice(0, 2), new Uint8Array(0)], root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0.subarray(0, 31), proof0, root8).ok).toBe(false)
    expect(verifyInclusion(0, 8, leaf0, proof0, root8.subarray(1)).ok).toBe(false)
    // The one-leaf tree: the root is the leaf hash and the proof is empty.
    expect(verifyInclusion(0, 1, leaf0, [], leaf0).ok).toBe(true)
    expect(verifyInclusion(0, 1, leaf0, [leaf0], leaf0).ok).toBe(false)
  })

  it('rejects bad consistency parameters and shapes', () => {
    const empty = dh(ROOTS[0] as string)
    expect(verifyConsistency(8, 6, root8, root6, c68).ok).toBe(false)
    expect(verifyConsistency(0, 8, empty, root8, []).ok).toBe(true)
    expect(verifyConsistency(0, 8, empty, root8, [root8]).ok).toBe(false)
    expect(verifyConsistency(0, 8, root8, root8, []).ok).toBe(false)
    expect(verifyConsistency(8, 8, root8, root8, []).ok).toBe(true)
    expect(verifyConsistency(8, 8, root8, root8, [root8]).ok).toBe(false)
    expect(verifyConsistency(8, 8, root6, root8, []).ok).toBe(false)
    expect(verifyConsistency(6, 8, root6, root8, []).ok).toBe(false)
    expect(verifyConsistency(6, 8, root6, root8, c68.slice(0, 2)).ok).toBe(false)
    expect(verifyConsistency(6, 8, root6, root8, [...c68, root8]).ok).toBe(false)
    expect(verifyConsistency(6, 8, root6, root8, [root6, ...c68]).ok).toBe(false)
    expect(verifyConsistency(6, 8, root8, root6, c68).ok).toBe(false)
    expect(verifyConsistency(6, 8, root6.subarray(1), root8, c68).ok).toBe(false)
    expect(verifyConsistency(-1, 8, root6, root8, c68).ok).toBe(false)
  })

  it('throws on impossible proof requests (caller bugs)', () => {
    expect(() => inclusionProof(8, 8, leafAt(LEAVES))).toThrow(RangeError)
    expect(() => consistencyProof(9, 8, leafAt(LEAVES))).toThrow(RangeError)
    expect(() => subtreeHash(1, 4, nodeStore(LEAVES))).toThrow(RangeError)
    expect(() => subtreeHash(0, 9, nodeStore(LEAVES))).toThrow(RangeError)
    expect(() => MerkleFrontier.restore(3, [leaf0])).toThrow(RangeError)
  })

  it('restores a frontier from its hashes', () => {
    const f = new MerkleFrontier()
    for (const l of LEAVES.slice(0, 7)) f.append(l)
    const g = MerkleFrontier.restore(f.size, f.hashes())
    g.append(LEAVES[7] as Uint8Array)
    expect(hex(g.root())).toBe(ROOTS[8])
    expect(g.size).toBe(8)
  })
})

/** A random tree: `size` leaf hashes derived from a seed (cheap to generate, distinct). */
const treeArb = (maxSize: number) =>
  fc.record({ size: fc.integer({ min: 1, max: maxSize }), seed: fc.uint8Array({ minLength: 4, maxLength: 4 }) }).map(({ size, seed }) => {
    const leaves: Uint8Array[] = []
    for (let i = 0; i < size; i++) leaves.push(leafHash(Uint8Array.of(...seed, i & 0xff, i >> 8)))
    return leaves
  })

describe('merkle: properties over random trees', () => {
  test.prop([treeArb(300)], { numRuns: 40 })('MerkleFrontier root equals rootFromLeafHashes after every append', (leaves) => {
    const f = new MerkleFrontier()
    expect(hex(f.root())).toBe(hex(emptyRoot()))
    leaves.forEach((l, i) => {
      f.append(l)
      expect(f.size).toBe(i + 1)
      expect(hex(f.root())).toBe(hex(rootFromLeafHashes(leaves.slice(0, i + 1))))
    })
  })

  test.prop([treeArb(300)], { numRuns: 25 })('every inclusion proof verifies, from leaves and from stored nodes alike', (leaves) => {
    const n = leaves.length
    const root = rootFromLeafHashes(leaves)
    const lookup = nodeStore(leaves)
    for (let i = 0; i < n; i++) {
      const proof = inclusionProofFromNodes(i, n, lookup)
      if (i % 17 === 0) expect(proof.map(hex)).toEqual(inclusionProof(i, n, leafAt(leaves)).map(hex))
      expect(verifyInclusion(i, n, leaves[i] as Uint8Array, proof, root)).toEqual({ ok: true, value: true })
    }
  })

  test.prop([treeArb(300), fc.array(fc.nat(), { maxLength: 60 })], { numRuns: 40 })(
    'batch inclusion proofs equal the single ones, for any leaves in any order, and compute each sibling subtree once',
    (leaves, picks) => {
      const n = leaves.length
      const indexes = [...picks.map((p) => p % n), ...Array.from({ length: Math.min(n, 20) }, (_, i) => n - 1 - i)]
      const store = nodeStore(leaves)
      const batch = inclusionProofsFromNodes(indexes, n, store)
      expect(batch.map((p) => p.map(hex))).toEqual(indexes.map((i) => inclusionProofFromNodes(i, n, store).map(hex)))
      // A repeated sibling subtree is the same array: computed once for the batch.
      const distinct = new Set(batch.flat())
      const ranges = new Set(indexes.flatMap((i) => inclusionProofFromNodes(i, n, store).map(hex)))
      expect(distinct.size).toBe(ranges.size)
      expect(() => inclusionProofsFromNodes([n], n, store)).toThrow(RangeError)
    },
  )

  const checkConsistency = (leaves: readonly Uint8Array[], pairs: (n: number) => Iterable<[number, number]>): void => {
    const lookup = nodeStore(leaves)
    const f = new MerkleFrontier()
    const roots = [f.root()]
    for (const l of leaves) {
      f.append(l)
      roots.push(f.root())
    }
    for (const [a, b] of pairs(leaves.length)) {
      const proof = consistencyProofFromNodes(a, b, lookup)
      if ((a * 31 + b) % 41 === 0) expect(proof.map(hex)).toEqual(consistencyProof(a, b, leafAt(leaves)).map(hex))
      expect(verifyConsistency(a, b, roots[a] as Uint8Array, roots[b] as Uint8Array, proof)).toEqual({ ok: true, value: true })
    }
  }

  test.prop([treeArb(300)], { numRuns: 40 })('every consistency proof from m ≤ n to the tree of n verifies', (leaves) => {
    checkConsistency(leaves, function* (n) {
      for (let m = 0; m <= n; m++) yield [m, n]
    })
  })

  test.prop([treeArb(70)], { numRuns: 20 })('every consistency proof between any two sizes m ≤ n verifies', (leaves) => {
    checkConsistency(leaves, function* (n) {
      for (let b = 0; b <= n; b++) for (let a = 0; a <= b; a++) yield [a, b]
    })
  }, 30_000)

  test.prop([treeArb(300), fc.nat(), fc.nat(), fc.nat()], { numRuns: 300 })(
    'any altered inclusion proof, leaf, root, index or size fails',
    (leaves, iSeed, elSeed, bit) => {
      const n = leaves.length
      const i = iSeed % n
      const root = rootFromLeafHashes(leaves)
      const leaf = leaves[i] as Uint8Array
      const proof = inclusionProof(i, n, leafAt(leaves))
      const b = bit % 256
      if (proof.length > 0) {
        const j = elSeed % proof.length
        const bad = proof.map((p, k) => (k === j ? flipBit(p, b) : p))
        expect(verifyInclusion(i, n, leaf, bad, root).ok).toBe(false)
        expect(verifyInclusion(i, n, leaf, proof.slice(0, -1), root).ok).toBe(false)
      }
      expect(verifyInclusion(i, n, leaf, [...proof, root], root).ok).toBe(false)
      expect(verifyInclusion(i, n, flipBit(leaf, b), proof, root).ok).toBe(false)
      expect(verifyInclusion(i, n, leaf, proof, flipBit(root, b)).ok).toBe(false)
      // Other positions and tree heights (transparency-dev/merkle's corruption probes).
      for (const [i2, n2] of [
        [i - 1, n],
        [i + 1, n],
        [i ^ 2, n],
        [i, n * 2],
        [i, Math.floor(n / 2)],
      ] as const) {
        if (i2 !== i || n2 !== n) expect(verifyInclusion(i2, n2, leaf, proof, root).ok).toBe(false)
      }
    },
  )

  test.prop([treeArb(300), fc.nat(), fc.nat(), fc.nat(), fc.nat()], { numRuns: 300 })(
    'any altered consistency proof, root, m or n fails',
    (leaves, mSeed, nSeed, elSeed, bit) => {
      const n = 1 + (nSeed % leaves.length)
      const m = 1 + (mSeed % n)
      const rootM = rootFromLeafHashes(leaves.slice(0, m))
      const rootN = rootFromLeafHashes(leaves.slice(0, n))
      const proof = consistencyProof(m, n, leafAt(leaves))
      const b = bit % 256
      expect(verifyConsistency(m, n, flipBit(rootM, b), rootN, proof).ok).toBe(false)
      expect(verifyConsistency(m, n, rootM, flipBit(rootN, b), proof).ok).toBe(false)
      expect(verifyConsistency(m, n, rootM, rootN, [...proof, rootN]).ok).toBe(false)
      if (proof.length > 0) {
        const j = elSeed % proof.length
        const bad = proof.map((p, k) => (k === j ? flipBit(p, b) : p))
        expect(verifyConsistency(m, n, rootM, rootN, bad).ok).toBe(false)
        expect(verifyConsistency(m, n, rootM, rootN, proof.slice(0, -1)).ok).toBe(false)
      }
      for (const [m2, n2] of [
        [m - 1, n],
        [m + 1, n],
        [m ^ 2, n],
        [m, n * 2],
        [m, Math.floor(n / 2)],
      ] as const) {
        if (m2 !== m || n2 !== n) expect(verifyConsistency(m2, n2, rootM, rootN, proof).ok).toBe(false)
      }
    },
  )
})

describe('batch inclusion proofs', () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)))
  const onlyLeaves = (hs: readonly Uint8Array[]): NodeLookup => (level, index) => (level === 0 ? hs[index] : undefined)
  /** A tree size and a non-empty strictly increasing set of its leaf indexes. */
  const world = fc.integer({ min: 1, max: 300 }).chain((size) =>
    fc.tuple(fc.constant(size), fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: Math.min(size, 40) }).map((a) => [...a].sort((x, y) => x - y))),
  )

  test.prop([world])('a proof built from the nodes verifies, and holds exactly the subtrees per-leaf proofs need beyond the leaves', ([size, indexes]) => {
    const hs = leaves(size)
    const root = rootFromLeafHashes(hs)
    const proof = batchInclusionProofFromNodes(indexes, size, onlyLeaves(hs))
    expect(verifyBatchInclusion(indexes, indexes.map((i) => hs[i] as Uint8Array), size, proof, root)).toEqual({ ok: true, value: true })
    // Never longer than the per-leaf proofs together, and for one leaf it is that leaf's proof (same hashes).
    const single = indexes.map((i) => inclusionProof(i, size, (j) => hs[j] as Uint8Array))
    expect(proof.length).toBeLessThanOrEqual(single.reduce((n, p) => n + p.length, 0))
    if (indexes.length === 1) expect(new Set(proof.map((h) => Buffer.from(h).toString('hex')))).toEqual(new Set((single[0] ?? []).map((h) => Buffer.from(h).toString('hex'))))
  })

  test.prop([world, fc.nat(), fc.nat({ max: 255 })])('any altered hash, leaf or position fails', ([size, indexes], pick, bit) => {
    const hs = leaves(size)
    const root = rootFromLeafHashes(hs)
    const proof = batchInclusionProofFromNodes(indexes, size, onlyLeaves(hs))
    const lh = indexes.map((i) => hs[i] as Uint8Array)
    const flip = (h: Uint8Array) => {
      const c = h.slice()
      c[bit % 32] = (c[bit % 32] as number) ^ (1 << bit % 8)
      return c
    }
    if (proof.length > 0) {
      const j = pick % proof.length
      expect(verifyBatchInclusion(indexes, lh, size, proof.map((h, k) => (k === j ? flip(h) : h)), root).ok).toBe(false)
    }
    const j = pick % lh.length
    expect(verifyBatchInclusion(indexes, lh.map((h, k) => (k === j ? flip(h) : h)), size, proof, root).ok).toBe(false)
    expect(verifyBatchInclusion(indexes, lh, size, proof, flip(root)).ok).toBe(false)
    // A leaf claimed at another position (still increasing and in range) fails unless the hashes agree by chance.
    const moved = indexes.map((x, k) => (k === indexes.length - 1 ? x + 1 : x))
    if ((moved[moved.length - 1] as number) < size) expect(verifyBatchInclusion(moved, lh, size, proof, root).ok).toBe(false)
    // One hash more or less.
    expect(verifyBatchInclusion(indexes, lh, size, [...proof, root], root).ok).toBe(false)
    if (proof.length > 0) expect(verifyBatchInclusion(indexes, lh, size, proof.slice(1), root).ok).toBe(false)
  })

  it('a run of 1,000 contiguous leaves in a tree of a million needs about 2·log₂ n hashes', () => {
    const size = 1_000_003
    // Leaves are not all materialised: a lookup that answers every node with a hash derived from its address.
    const synth: NodeLookup = (level, index) => sha256(new TextEncoder().encode(`${level}:${index}`))
    const indexes = Array.from({ length: 1000 }, (_, i) => 500_123 + i)
    const proof = batchInclusionProofFromNodes(indexes, size, synth)
    expect(proof.length).toBeLessThanOrEqual(2 * 20 + 2)
    expect(proof.length).toBeGreaterThan(10)
  })

  it('refuses unordered, repeated or out-of-range indexes, and mismatched lists, with an error instead of throwing', () => {
    const hs = leaves(8)
    const root = rootFromLeafHashes(hs)
    expect(() => batchInclusionProofFromNodes([3, 2], 8, onlyLeaves(hs))).toThrow(RangeError)
    expect(() => batchInclusionProofFromNodes([8], 8, onlyLeaves(hs))).toThrow(RangeError)
    expect(verifyBatchInclusion([2, 2], [hs[2] as Uint8Array, hs[2] as Uint8Array], 8, [], root).ok).toBe(false)
    expect(verifyBatchInclusion([9], [hs[0] as Uint8Array], 8, [], root).ok).toBe(false)
    expect(verifyBatchInclusion([1, 2], [hs[1] as Uint8Array], 8, [], root).ok).toBe(false)
    expect(verifyBatchInclusion([], [], 8, [], root).ok).toBe(false)
  })
})
