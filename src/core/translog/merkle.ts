/**
 * Merkle tree math for the transparency log, as RFC 6962 §2 / RFC 9162 §2.1 define it, with SHA-256.
 * Pure and synchronous, so a partner or a browser page can run the verifiers alone.
 *
 * Node addressing (used by {@link NodeLookup}, {@link subtreeHash} and {@link MerkleFrontier}):
 * level 0 holds the leaf hashes; node `(level, index)` is the root of the *perfect* subtree over leaves
 * `[index·2^level, (index+1)·2^level)`, i.e. `nodeHash((level−1, 2·index), (level−1, 2·index+1))`.
 * Only perfect subtrees have an address; the hash of a ragged right edge is folded from them on demand.
 *
 * Sizes and indices are non-negative safe integers (below 2^53); arithmetic avoids 32-bit bit operators.
 */

import { err, ok, type Result } from '../shared/result.js'
import { sha256, sha256Prefixed } from './sha256.js'

/** Length in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ entry). */
export const leafHash = (entry: Uint8Array): Uint8Array => sha256Prefixed(0x00, entry)

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export const nodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256Prefixed(0x01, l, r)

/** Root of the empty tree: SHA-256 of the empty string. */
export const emptyRoot = (): Uint8Array => sha256(new Uint8Array(0))

/**
 * Looks up the stored hash of node `(level, index)` (addressing in the module comment), or `undefined`
 * when it is not stored; missing interior nodes are recomputed from their children. Level 0 (the
 * leaves) must always be answered for leaves inside the tree.
 */
export type NodeLookup = (level: number, index: number) => Uint8Array | undefined

/** Constant-shape byte comparison (no early exit on the first differing byte). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

/** Largest power of two strictly less than `n` (n ≥ 2): the RFC 6962 split point k. */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0

/** Hash of the perfect node `(level, index)`: the stored one, or recomputed from its children. */
function perfectHash(level: number, index: number, lookup: NodeLookup): Uint8Array {
  const stored = lookup(level, index)
  if (stored !== undefined) return stored
  if (level === 0) throw new RangeError(`merkle: leaf ${index} is not available`)
  return nodeHash(perfectHash(level - 1, index * 2, lookup), perfectHash(level - 1, index * 2 + 1, lookup))
}

/**
 * MTH(D[start:end]) for a range the RFC 6962 recursion produces (`start` is a multiple of the largest
 * power of two not exceeding `end − start`, which every range reached from MTH, PATH and PROOF is),
 * using stored nodes where the lookup has them. With every level stored this costs O(log n) lookups.
 *
 * Throws a RangeError for an empty or misaligned range, or a missing leaf (caller bugs / broken store).
 */
export function subtreeHash(start: number, end: number, lookup: NodeLookup): Uint8Array {
  if (!isSize(start) || !isSize(end) || end <= start) throw new RangeError(`merkle: bad range [${start}, ${end})`)
  let top = 1
  while (top * 2 <= end - start) top *= 2
  if (start % top !== 0) throw new RangeError(`merkle: range [${start}, ${end}) is not an RFC 6962 subtree`)
  // Greedy decomposition into aligned perfect subtrees, largest first (this matches the RFC split
  // points because of the alignment above), then fold from the right.
  const parts: Uint8Array[] = []
  let pos = start
  while (pos < end) {
    let level = 0
    let width = 1
    while (pos % (width * 2) === 0 && pos + width * 2 <= end) {
      width *= 2
      level++
    }
    parts.push(perfectHash(level, pos / width, lookup))
    pos += width
  }
  let acc = parts[parts.length - 1] as Uint8Array
  for (let i = parts.length - 2; i >= 0; i--) acc = nodeHash(parts[i] as Uint8Array, acc)
  return acc
}

/** A {@link NodeLookup} that knows only the leaves. */
const leavesOnly =
  (leafHashAt: (i: number) => Uint8Array): NodeLookup =>
  (level, index) =>
    level === 0 ? leafHashAt(index) : undefined

/**
 * MTH(D[n]) of the given leaf hashes (RFC 6962 §2.1), straight from the recursive definition (so it is
 * an independent check on {@link MerkleFrontier}); the empty tree's root is SHA-256(''). O(n).
 */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return emptyRoot()
  const mth = (lo: number, hi: number): Uint8Array => {
    if (hi - lo === 1) return leaves[lo] as Uint8Array
    const k = splitPoint(hi - lo)
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi))
  }
  return mth(0, leaves.length)
}

/**
 * PATH(m, D[n]) (RFC 6962 §2.1.1): the inclusion proof of leaf `index` in the tree of the first `size`
 * leaves, ordered from the leaf's sibling up to the root's child. Recomputes subtrees from the leaves;
 * see {@link inclusionProofFromNodes} to use stored interior nodes. Throws a RangeError unless
 * 0 ≤ index < size (validate request input before calling).
 */
export function inclusionProof(index: number, size: number, leafHashAt: (i: number) => Uint8Array): Uint8Array[] {
  return inclusionProofFromNodes(index, size, leavesOnly(leafHashAt))
}

/** {@link inclusionProof} over a node store: O(log n) lookups when every level is stored. */
export function inclusionProofFromNodes(index: number, size: number, lookup: NodeLookup): Uint8Array[] {
  if (!isSize(index) || !isSize(size) || index >= size) throw new RangeError(`merkle: no leaf ${index} in a tree of size ${size}`)
  const out: Uint8Array[] = []
  // Walk down from the root, collecting siblings; reverse at the end so the proof starts at the leaf.
  let lo = 0
  let hi = size
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo)
    if (index < lo + k) {
      out.push(subtreeHash(lo + k, hi, lookup))
      hi = lo + k
    } else {
      out.push(subtreeHash(lo, lo + k, lookup))
      lo += k
    }
  }
  return out.reverse()
}

/**
 * {@link inclusionProofFromNodes} for many leaves of one tree at once (a provenance batch). Proofs of
 * nearby leaves share most of their sibling subtrees; each distinct subtree (in particular a ragged
 * right-edge one, which is hashed from its parts) is computed once for the batch.
 */
export function inclusionProofsFromNodes(indexes: readonly number[], size: number, lookup: NodeLookup): Uint8Array[][] {
  const memo = new Map<number, Map<number, Uint8Array>>()
  const sub = (lo: number, hi: number): Uint8Array => {
    let m = memo.get(lo)
    if (m === undefined) memo.set(lo, (m = new Map()))
    let h = m.get(hi)
    if (h === undefined) m.set(hi, (h = subtreeHash(lo, hi, lookup)))
    return h
  }
  return indexes.map((index) => {
    if (!isSize(index) || !isSize(size) || index >= size) throw new RangeError(`merkle: no leaf ${index} in a tree of size ${size}`)
    const out: Uint8Array[] = []
    let lo = 0
    let hi = size
    while (hi - lo > 1) {
      const k = splitPoint(hi - lo)
      if (index < lo + k) {
        out.push(sub(lo + k, hi))
        hi = lo + k
      } else {
        out.push(sub(lo, lo + k))
        lo += k
      }
    }
    return out.reverse()
  })
}

/** The first position in `sorted[a..b)` whose value is at least `x` (binary search). */
function lowerBound(sorted: readonly number[], a: number, b: number, x: number): number {
  let lo = a
  let hi = b
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A batch inclusion proof (a "multiproof"): the fewest subtree hashes that, with the hashes of the
 * given leaves, determine the root of the tree of `size` leaves. It walks the RFC 6962 recursion
 * MTH(D[lo:hi]) from the root: a subtree holding none of the leaves contributes its hash (in this
 * left-to-right order), a subtree holding some is split further, a leaf is the verifier's own. For a
 * run of contiguous leaves it holds about 2·log₂ size hashes in all, where one proof per leaf holds
 * log₂ size each. `indexes` must be strictly increasing and below `size` (RangeError otherwise).
 */
export function batchInclusionProofFromNodes(indexes: readonly number[], size: number, lookup: NodeLookup): Uint8Array[] {
  checkBatchIndexes(indexes, size)
  const out: Uint8Array[] = []
  const walk = (lo: number, hi: number, a: number, b: number): void => {
    if (a === b) {
      out.push(subtreeHash(lo, hi, lookup))
      return
    }
    if (hi - lo === 1) return
    const k = splitPoint(hi - lo)
    const m = lowerBound(indexes, a, b, lo + k)
    walk(lo, lo + k, a, m)
    walk(lo + k, hi, m, b)
  }
  walk(0, size, 0, indexes.length)
  return out
}

function checkBatchIndexes(indexes: readonly number[], size: number): void {
  if (!isSize(size) || size === 0 || indexes.length === 0) throw new RangeError('merkle: a batch proof needs at least one leaf of a non-empty tree')
  for (let i = 0; i < indexes.length; i++) {
    const x = indexes[i] as number
    if (!isSize(x) || x >= size || (i > 0 && x <= (indexes[i - 1] as number))) throw new RangeError(`merkle: batch leaf indexes must increase strictly and stay below ${size}`)
  }
}

/**
 * Verifies a batch inclusion proof ({@link batchInclusionProofFromNodes}): that the leaves with these
 * hashes are at these `indexes` (strictly increasing) of the tree of `size` leaves whose root is
 * `root`. Every proof hash must be used, exactly. `node` replaces the interior-node hash (an injectable,
 * faster SHA-256); it must compute RFC 6962's SHA-256(0x01 ‖ left ‖ right).
 */
export function verifyBatchInclusion(
  indexes: readonly number[],
  leafHashes: readonly Uint8Array[],
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  node: (l: Uint8Array, r: Uint8Array) => Uint8Array = nodeHash,
): Result<true, string> {
  if (indexes.length !== leafHashes.length) return err('one leaf hash per index is needed')
  try {
    checkBatchIndexes(indexes, size)
  } catch (e) {
    return err((e as Error).message.replace(/^merkle: /, ''))
  }
  if (root.length !== HASH_SIZE) return err(`the root must be ${HASH_SIZE} bytes`)
  const bad = checkHashes('proof', proof) ?? checkHashes('leaf', leafHashes)
  if (bad !== undefined) return err(bad)
  let used = 0
  const walk = (lo: number, hi: number, a: number, b: number): Uint8Array | null => {
    if (a === b) return used < proof.length ? (proof[used++] as Uint8Array) : null
    if (hi - lo === 1) return leafHashes[a] as Uint8Array
    const k = splitPoint(hi - lo)
    const m = lowerBound(indexes, a, b, lo + k)
    const l = walk(lo, lo + k, a, m)
    if (l === null) return null
    const r = walk(lo + k, hi, m, b)
    return r === null ? null : node(l, r)
  }
  const r = walk(0, size, 0, indexes.length)
  if (r === null) return err('batch inclusion proof is too short')
  if (used !== proof.length) return err('batch inclusion proof is too long')
  return bytesEqual(r, root) ? ok(true) : err('batch inclusion proof does not lead to the root')
}

/**
 * PROOF(m, D[n]) (RFC 6962 §2.1.2): the consistency proof between the trees of the first `m` and the
 * first `n` leaves. Empty when m = 0 or m = n. Throws a RangeError unless 0 ≤ m ≤ n.
 */
export function consistencyProof(m: number, n: number, leafHashAt: (i: number) => Uint8Array): Uint8Array[] {
  return consistencyProofFromNodes(m, n, leavesOnly(leafHashAt))
}

/** {@link consistencyProof} over a node store: O(log n) lookups when every level is stored. */
export function consistencyProofFromNodes(m: number, n: number, lookup: NodeLookup): Uint8Array[] {
  if (!isSize(m) || !isSize(n) || m > n) throw new RangeError(`merkle: no consistency proof from ${m} to ${n}`)
  if (m === 0 || m === n) return []
  const out: Uint8Array[] = []
  // SUBPROOF(m, D[lo:hi], b), iteratively; nodes are collected root-side first, then reversed.
  let lo = 0
  let hi = n
  let b = true
  for (;;) {
    const size = hi - lo
    if (m - lo === size) {
      if (!b) out.push(subtreeHash(lo, hi, lookup))
      break
    }
    const k = splitPoint(size)
    if (m - lo <= k) {
      out.push(subtreeHash(lo + k, hi, lookup))
      hi = lo + k
    } else {
      out.push(subtreeHash(lo, lo + k, lookup))
      lo += k
      b = false
    }
  }
  return out.reverse()
}

function checkHashes(what: string, hashes: readonly Uint8Array[]): string | undefined {
  for (let i = 0; i < hashes.length; i++) {
    if ((hashes[i] as Uint8Array).length !== HASH_SIZE) return `${what}[${i}] is not ${HASH_SIZE} bytes`
  }
  return undefined
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`
 * (RFC 9162 §2.1.3.2). Fails for index ≥ size, a proof of the wrong length, or any altered hash.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Result<true, string> {
  if (!isSize(index) || !isSize(size)) return err('index and size must be non-negative safe integers')
  if (index >= size) return err(`index ${index} is not below tree size ${size}`)
  if (leafHash.length !== HASH_SIZE || root.length !== HASH_SIZE) return err(`leaf hash and root must be ${HASH_SIZE} bytes`)
  const bad = checkHashes('proof', proof)
  if (bad !== undefined) return err(bad)
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const p of proof) {
    if (sn === 0) return err('inclusion proof is too long')
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) return err('inclusion proof is too short')
  if (!bytesEqual(r, root)) return err('inclusion proof does not lead to the root')
  return ok(true)
}

/**
 * Verifies that the tree of `n` leaves with root `rootN` extends the tree of `m` leaves with root
 * `rootM` (RFC 9162 §2.1.4.2). m = n needs an empty proof and equal roots; m = 0 needs an empty proof
 * and `rootM` equal to the empty-tree root (every tree extends the empty one, so `rootN` is not
 * constrained). Fails for m > n, a proof of the wrong length, or any altered hash.
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Uint8Array,
  rootN: Uint8Array,
  proof: readonly Uint8Array[],
): Result<true, string> {
  if (!isSize(m) || !isSize(n)) return err('sizes must be non-negative safe integers')
  if (m > n) return err(`first size ${m} is larger than second size ${n}`)
  if (rootM.length !== HASH_SIZE || rootN.length !== HASH_SIZE) return err(`roots must be ${HASH_SIZE} bytes`)
  const bad = checkHashes('proof', proof)
  if (bad !== undefined) return err(bad)
  if (m === 0) {
    if (proof.length !== 0) return err('a proof from the empty tree must be empty')
    if (!bytesEqual(rootM, emptyRoot())) return err('first root is not the empty-tree root')
    return ok(true)
  }
  if (m === n) {
    if (proof.length !== 0) return err('a proof between equal sizes must be empty')
    if (!bytesEqual(rootM, rootN)) return err('roots differ for equal sizes')
    return ok(true)
  }
  if (proof.length === 0) return err('consistency proof is empty')
  // Step 2: if m is a power of two, the first tree's root is the implicit first path element.
  const path: readonly Uint8Array[] = isPowerOfTwo(m) ? [rootM, ...proof] : proof
  let fn = m - 1
  let sn = n - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = path[0] as Uint8Array
  let sr = fr
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array
    if (sn === 0) return err('consistency proof is too long')
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) return err('consistency proof is too short')
  if (!bytesEqual(fr, rootM)) return err('consistency proof does not lead to the first root')
  if (!bytesEqual(sr, rootN)) return err('consistency proof does not lead to the second root')
  return ok(true)
}

function isPowerOfTwo(x: number): boolean {
  let p = 1
  while (p < x) p *= 2
  return p === x
}

/**
 * The compact range [0, size) of a growing tree: one perfect-subtree root per set bit of `size`,
 * largest (leftmost) first, so appends and roots never recompute the tree. Stores O(log n) hashes.
 */
export class MerkleFrontier {
  #size = 0
  /** The interior node hash: core's pure SHA-256 by default; a platform may inject a faster one (same function). */
  readonly #node: (l: Uint8Array, r: Uint8Array) => Uint8Array

  constructor(node: (l: Uint8Array, r: Uint8Array) => Uint8Array = nodeHash) {
    this.#node = node
  }
  /** Perfect subtree roots, left to right (largest first). */
  readonly #hashes: Uint8Array[] = []

  /**
   * Restores a frontier from its stored {@link hashes} (one per set bit of `size`, largest first).
   * Throws a RangeError when the count or a hash length does not fit.
   */
  static restore(size: number, hashes: readonly Uint8Array[], node?: (l: Uint8Array, r: Uint8Array) => Uint8Array): MerkleFrontier {
    if (!isSize(size)) throw new RangeError(`merkle: bad frontier size ${size}`)
    let bits = 0
    for (let s = size; s > 0; s = Math.floor(s / 2)) bits += s % 2
    if (hashes.length !== bits || checkHashes('frontier', hashes) !== undefined) {
      throw new RangeError(`merkle: a frontier of size ${size} holds ${bits} hashes of ${HASH_SIZE} bytes`)
    }
    const f = new MerkleFrontier(node)
    f.#size = size
    f.#hashes.push(...hashes.map((h) => h.slice()))
    return f
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size
  }

  /** A copy of the compact range's hashes, largest subtree first (what {@link restore} takes). */
  hashes(): Uint8Array[] {
    return this.#hashes.map((h) => h.slice())
  }

  /**
   * Appends one leaf hash. `onNode`, if given, is told every perfect node `(level, index, hash)` this
   * append completes, level 0 (the leaf itself) first, so a store can persist interior nodes.
   */
  append(leaf: Uint8Array, onNode?: (level: number, index: number, hash: Uint8Array) => void): void {
    if (leaf.length !== HASH_SIZE) throw new RangeError(`merkle: leaf hash must be ${HASH_SIZE} bytes`)
    let node = leaf
    let index = this.#size
    let level = 0
    onNode?.(0, index, node)
    while (index % 2 === 1) {
      node = this.#node(this.#hashes.pop() as Uint8Array, node)
      index = (index - 1) / 2
      level++
      onNode?.(level, index, node)
    }
    this.#hashes.push(node)
    this.#size++
  }

  /** MTH of the leaves appended so far (SHA-256('') when empty); O(log n) hashes. */
  root(): Uint8Array {
    const hs = this.#hashes
    if (hs.length === 0) return emptyRoot()
    let acc = hs[hs.length - 1] as Uint8Array
    for (let i = hs.length - 2; i >= 0; i--) acc = this.#node(hs[i] as Uint8Array, acc)
    return acc
  }
}
