/**
 * Signed provenance for shared objects: one Ed25519 signature per batch (docs/provenance.md).
 *
 * When objects travel, the origin node's evidence travels with them, unchanged through relays:
 * - its signed checkpoint (a C2SP signed note, ./checkpoint.ts), shared by every object of a batch;
 * - per object version: the origin's `object.added` log entry (`leaf_input`, ./entry.ts), the entry's
 *   `leaf_index`, and the RFC 6962 inclusion proof (`inclusion_path`) of that leaf in the checkpoint.
 *
 * A receiver verifies the checkpoint signature once with the origin's pinned key, then per object:
 * the entry decodes, names the object's id, type and version, and carries the SHA-256 of the object's
 * canonical JSON; and the inclusion proof leads from the entry's leaf hash to the signed root.
 *
 * Inclusion proofs of one batch share their upper nodes, so the batch verifier
 * ({@link InclusionBatchVerifier}) remembers every node a successful proof established and stops
 * hashing a path as soon as it reaches one, comparing the rest of the path with the remembered
 * siblings instead. It accepts exactly the proofs RFC 9162's algorithm accepts (a mismatch anywhere
 * fails, the proof length must be exact), with far fewer hashes for batches of nearby leaves.
 *
 * Wire format (JSON; hashes and entries in standard base64):
 *
 *     { "checkpoint": "<signed note text>",
 *       "items": [ { "id": "indicator--…", "version": "<version key>", "leaf_index": 123,
 *                    "leaf_input": "<base64 entry>", "inclusion_path": ["<base64 hash>", …] } ] }
 */
import { LIMITS } from '../shared/limits.js'
import { err, ok, type Result } from '../shared/result.js'
import { openCheckpoint, type Checkpoint } from './checkpoint.js'
import { decodeEntry, MAX_ENTRY_BYTES, type LogEntry } from './entry.js'
import { bytesEqual, HASH_SIZE, leafHash as coreLeafHash, nodeHash as coreNodeHash, verifyBatchInclusion } from './merkle.js'
import { base64Decode, base64Encode, MAX_NOTE_BYTES, type Ed25519Verify, type NoteVerifier } from './note.js'
import { sha256 as coreSha256 } from './sha256.js'

/** One object version's evidence, as it travels (wire names). */
export interface ProvenanceItem {
  /** The object's STIX id. */
  readonly id: string
  /** The object's version key (as the log names it: `modified`, else `created`, else `h:<hash>`). */
  readonly version: string
  /** The entry's position in the origin's log (0-based). */
  readonly leaf_index: number
  /** Base64 of the entry's canonical bytes (the RFC 6962 `leaf_input`). */
  readonly leaf_input: string
  /** Base64 hashes of the RFC 6962 inclusion proof, from the leaf's sibling up to the root's child. */
  readonly inclusion_path: readonly string[]
}

/** Provenance for a batch of objects: one signed checkpoint, one item per object version. */
export interface ProvenanceBundle {
  /** The origin's signed checkpoint note (C2SP signed-note text). */
  readonly checkpoint: string
  readonly items: readonly ProvenanceItem[]
  /**
   * Instead of one inclusion proof per item (then every `inclusion_path` is empty): one batch proof
   * for all the items' leaves together (merkle.ts `batchInclusionProofFromNodes`), base64 hashes.
   */
  readonly batch_proof?: readonly string[]
}

/** Size limits of {@link checkProvenanceBundleShape}. */
export const PROVENANCE_LIMITS = {
  /** Most items in one bundle (one TAXII page or one request's worth). */
  maxItems: LIMITS.maxObjectsPerRequest,
  /** Longest inclusion path: a tree of 2^53 leaves needs 53; 64 leaves headroom and stays bounded. */
  maxPathLength: 64,
  /** Longest id or version string (characters). */
  maxKeyLength: 512,
  /** Most hashes in a batch proof: never more than the items' separate proofs together. */
  maxBatchProof: LIMITS.maxObjectsPerRequest * 64,
} as const

/** An object entry as {@link verifyProvenance} returns it for verified items. */
export type ObjectAddedEntry = Extract<LogEntry, { kind: 'object.added' }>

/** The outcome for one item. */
export interface ProvenanceItemResult {
  readonly id: string
  readonly version: string
  readonly ok: boolean
  /** Why the item failed (absent when `ok`). */
  readonly reason?: string
  /** The origin's log entry for the object (present when `ok`): collection, accepting actor, time. */
  readonly entry?: ObjectAddedEntry
}

/** What {@link verifyProvenance} found: the checkpoint (or why it failed) and one result per item, in order. */
export interface ProvenanceReport {
  readonly checkpoint: Result<Checkpoint, string>
  readonly results: readonly ProvenanceItemResult[]
}

/** A SHA-256 function (e.g. node:crypto's). It must not keep a reference to its input. */
export type Sha256 = (data: Uint8Array) => Uint8Array

/**
 * What a receiver holds for an object version: its RFC 8785 canonical JSON bytes, or the lower-case
 * hex SHA-256 of those bytes *that the receiver computed itself* (its ingest pipeline hashes every
 * object anyway; never a hash taken from the sender).
 */
export type HeldObject = Uint8Array | string

/** The key of an object version in the `objects` map of {@link verifyProvenance}. */
export const provenanceKey = (id: string, version: string): string => `${id}\u0000${version}`

// ---------------------------------------------------------------------------------------------
// Shape

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

/** Sextet values of the standard base64 alphabet by character code (-1: not in the alphabet). */
const SEXTET = new Int8Array(128).fill(-1)
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) SEXTET[c.charCodeAt(0)] = i

/** True for padded standard base64 text (canonical padding bits are checked when decoding). A loop, not a regex: this runs for every hash of every item. */
function isBase64(s: string): boolean {
  const n = s.length
  if (n % 4 !== 0) return false
  const pad = n > 0 && s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0
  for (let i = 0; i < n - pad; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || (SEXTET[c] as number) < 0) return false
  }
  return true
}

/** True for the canonical base64 of exactly 32 bytes: 43 characters, the last with two zero bits, and `=`. */
const isBase64Hash = (s: string): boolean => s.length === 44 && s.charCodeAt(43) === 61 && s.charCodeAt(42) !== 61 && isBase64(s) && ((SEXTET[s.charCodeAt(42)] as number) & 3) === 0

const MAX_LEAF_INPUT_CHARS = Math.ceil(MAX_ENTRY_BYTES / 3) * 4
const ITEM_KEYS = new Set(['id', 'version', 'leaf_index', 'leaf_input', 'inclusion_path'])

function itemProblem(x: unknown): string | undefined {
  if (!isRecord(x)) return 'must be an object'
  for (const k of Object.keys(x)) if (!ITEM_KEYS.has(k)) return `/${k} is not a known property`
  const { id, version, leaf_index: index, leaf_input: input, inclusion_path: path } = x
  if (typeof id !== 'string' || id.length === 0 || id.length > PROVENANCE_LIMITS.maxKeyLength) return `/id must be a string of 1 to ${PROVENANCE_LIMITS.maxKeyLength} characters`
  if (typeof version !== 'string' || version.length === 0 || version.length > PROVENANCE_LIMITS.maxKeyLength) return `/version must be a string of 1 to ${PROVENANCE_LIMITS.maxKeyLength} characters`
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) return '/leaf_index must be a non-negative integer'
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_LEAF_INPUT_CHARS || !isBase64(input)) return `/leaf_input must be base64 of at most ${MAX_ENTRY_BYTES} bytes`
  if (!Array.isArray(path) || path.length > PROVENANCE_LIMITS.maxPathLength) return `/inclusion_path must be an array of at most ${PROVENANCE_LIMITS.maxPathLength} hashes`
  for (let i = 0; i < path.length; i++) {
    const h: unknown = path[i]
    if (typeof h !== 'string' || !isBase64Hash(h)) return `/inclusion_path/${i} must be base64 of ${HASH_SIZE} bytes`
  }
  return undefined
}

/**
 * Checks that a parsed JSON value is a well-formed {@link ProvenanceBundle}: exactly the known
 * properties, a checkpoint string of at most 1 MiB, 1 to {@link PROVENANCE_LIMITS.maxItems} items, each
 * with a non-empty id and version, a safe non-negative integer index, a base64 `leaf_input` no longer
 * than an entry can be, and at most {@link PROVENANCE_LIMITS.maxPathLength} base64 32-byte hashes.
 * It does not verify anything cryptographic (that is {@link verifyProvenance}).
 */
export function checkProvenanceBundleShape(value: unknown): Result<ProvenanceBundle, string> {
  if (!isRecord(value)) return err('a provenance bundle must be a JSON object')
  for (const k of Object.keys(value)) if (k !== 'checkpoint' && k !== 'items' && k !== 'batch_proof') return err(`/${k} is not a known property`)
  const { checkpoint, items, batch_proof: batch } = value
  if (typeof checkpoint !== 'string' || checkpoint.length === 0 || checkpoint.length > MAX_NOTE_BYTES) return err('/checkpoint must be the signed checkpoint note text')
  if (!Array.isArray(items) || items.length === 0 || items.length > PROVENANCE_LIMITS.maxItems) return err(`/items must be an array of 1 to ${PROVENANCE_LIMITS.maxItems} items`)
  for (let i = 0; i < items.length; i++) {
    const bad = itemProblem(items[i])
    if (bad !== undefined) return err(`/items/${i}${bad}`)
  }
  if (batch !== undefined) {
    if (!Array.isArray(batch) || batch.length > PROVENANCE_LIMITS.maxBatchProof) return err(`/batch_proof must be an array of at most ${PROVENANCE_LIMITS.maxBatchProof} hashes`)
    for (let i = 0; i < batch.length; i++) {
      const h: unknown = batch[i]
      if (typeof h !== 'string' || !isBase64Hash(h)) return err(`/batch_proof/${i} must be base64 of ${HASH_SIZE} bytes`)
    }
    for (let i = 0; i < items.length; i++) if (((items[i] as Record<string, unknown>)['inclusion_path'] as unknown[]).length !== 0) return err(`/items/${i}/inclusion_path must be empty with a batch proof`)
  }
  return ok(value as unknown as ProvenanceBundle)
}

/** Builds one item from the origin's log: the entry bytes, its index, and its inclusion proof. */
export function makeProvenanceItem(id: string, version: string, leafIndex: number, leafInput: Uint8Array, inclusionPath: readonly Uint8Array[]): ProvenanceItem {
  return { id, version, leaf_index: leafIndex, leaf_input: base64Encode(leafInput), inclusion_path: inclusionPath.map(base64Encode) }
}

// ---------------------------------------------------------------------------------------------
// Batch inclusion verification

interface Hashers {
  readonly leaf: (entry: Uint8Array) => Uint8Array
  readonly node: (l: Uint8Array, r: Uint8Array) => Uint8Array
  readonly digest: (data: Uint8Array) => Uint8Array
}

/**
 * Node hashing through one reused 65-byte buffer: hashing a single contiguous input allocates less in
 * the SHA-256 implementations than hashing a prefix and two parts (garbage collection is the main cost
 * of verifying big batches).
 */
function nodeHasher(sha: Sha256): (l: Uint8Array, r: Uint8Array) => Uint8Array {
  const scratch = new Uint8Array(1 + 2 * HASH_SIZE)
  scratch[0] = 0x01
  return (l, r) => {
    if (l.length !== HASH_SIZE || r.length !== HASH_SIZE) return coreNodeHash(l, r)
    scratch.set(l, 1)
    scratch.set(r, 1 + HASH_SIZE)
    return sha(scratch)
  }
}

const CORE_HASHERS: Hashers = { leaf: coreLeafHash, node: nodeHasher(coreSha256), digest: coreSha256 }

function hashersFrom(sha: Sha256 | undefined): Hashers {
  if (sha === undefined) return CORE_HASHERS
  return {
    leaf: (entry) => {
      const buf = new Uint8Array(1 + entry.length)
      buf.set(entry, 1)
      return sha(buf)
    },
    node: nodeHasher(sha),
    digest: sha,
  }
}

const MISMATCH = err('inclusion proof does not lead to the root')

/**
 * Verifies many RFC 6962 inclusion proofs against one tree head, sharing work between them.
 *
 * Node `(level, index)` covers leaves `[index·2^level, min((index+1)·2^level, size))`. A node on the
 * ragged right edge with no right sibling covers the same leaves as its parent; such nodes are always
 * named by their highest address, so each distinct subtree has one name. The verifier remembers the
 * hash of every node (path nodes and siblings) of each proof that verified, starting with the root.
 * A new proof is walked as RFC 9162 §2.1.3.2 describes until its computed node has a remembered
 * hash: that hash must be equal, and every remaining proof element must equal the remembered sibling
 * at its position (byte comparisons, no hashing) and the proof must end exactly at the root. A proof
 * element that differs from a remembered sibling fails at once. Nodes are remembered only after their
 * proof succeeds, so a tampered proof never teaches the verifier anything.
 *
 * Under SHA-256 collision resistance this accepts exactly the proofs {@link verifyInclusion} accepts.
 */
export class InclusionBatchVerifier {
  readonly #size: number
  readonly #node: (l: Uint8Array, r: Uint8Array) => Uint8Array
  /** Remembered node hashes, per level, by index. */
  readonly #levels: Map<number, Uint8Array>[] = []
  /** Canonical base64 of remembered nodes, per level, by index (filled as proofs arrive or lazily). */
  readonly #levelsB64: Map<number, string>[] = []
  /** Scratch for the nodes a proof in progress would teach: (level, index, hash, base64 or undefined). */
  readonly #pending: (number | Uint8Array | string | undefined)[] = []

  /**
   * @param size the tree size of the checkpoint (≥ 0; every proof fails for an empty tree)
   * @param root the checkpoint's 32-byte root hash
   * @param sha an injectable SHA-256 (default: core's pure implementation)
   */
  constructor(size: number, root: Uint8Array, sha?: Sha256) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`provenance: bad tree size ${size}`)
    if (root.length !== HASH_SIZE) throw new RangeError(`provenance: a root hash is ${HASH_SIZE} bytes`)
    this.#size = size
    this.#node = hashersFrom(sha).node
    if (size > 0) {
      let level = 0
      for (let s = size - 1; s > 0; s = Math.floor(s / 2)) level++
      this.#set(level, 0, root.slice())
    }
  }

  #get(level: number, index: number): Uint8Array | undefined {
    return this.#levels[level]?.get(index)
  }

  #set(level: number, index: number, hash: Uint8Array): void {
    let m = this.#levels[level]
    if (m === undefined) {
      for (let l = this.#levels.length; l <= level; l++) this.#levels.push(new Map())
      m = this.#levels[level] as Map<number, Uint8Array>
    }
    m.set(index, hash)
  }

  /** Number of remembered nodes (for tests and benchmarks). */
  get rememberedNodes(): number {
    let n = 0
    for (const m of this.#levels) n += m.size
    return n
  }

  /**
   * Verifies that `leafHash` is leaf `index` of the tree, given its inclusion proof (sibling first).
   * Fails for index ≥ size, hashes that are not 32 bytes, a proof of the wrong length, or any hash
   * that does not lead to the root.
   */
  verify(index: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Result<true, string> {
    for (let i = 0; i < proof.length; i++) if ((proof[i] as Uint8Array).length !== HASH_SIZE) return err(`proof[${i}] is not ${HASH_SIZE} bytes`)
    // Copies, because established nodes are kept (the caller may reuse its arrays).
    return this.#walk(index, leafHash.slice(), proof.map((p) => p.slice()))
  }

  /**
   * {@link verify} for a proof as it travels: canonical base64 hashes. Elements are decoded only when
   * they must be hashed; elements above an established node are compared as text with the canonical
   * encoding of the established sibling (each encoded once), which for batches of nearby leaves
   * avoids decoding most of each path. A non-canonical encoding fails.
   */
  verifyBase64(index: number, leafHash: Uint8Array, proof: readonly string[]): Result<true, string> {
    for (let i = 0; i < proof.length; i++) if ((proof[i] as string).length !== 44) return err(`proof[${i}] is not base64 of ${HASH_SIZE} bytes`)
    return this.#walk(index, leafHash.slice(), proof)
  }

  /** The canonical base64 of an established node (cached). */
  #encoded(level: number, index: number, hash: Uint8Array): string {
    let m = this.#levelsB64[level]
    if (m === undefined) {
      for (let l = this.#levelsB64.length; l <= level; l++) this.#levelsB64.push(new Map())
      m = this.#levelsB64[level] as Map<number, string>
    }
    let s = m.get(index)
    if (s === undefined) {
      s = base64Encode(hash)
      m.set(index, s)
    }
    return s
  }

  /** The walk; `leafHash` and byte proof elements are owned (kept as established nodes without copying). */
  #walk(index: number, leafHash: Uint8Array, proof: readonly Uint8Array[] | readonly string[]): Result<true, string> {
    if (!Number.isSafeInteger(index) || index < 0) return err('index must be a non-negative safe integer')
    if (index >= this.#size) return err(`index ${index} is not below tree size ${this.#size}`)
    if (leafHash.length !== HASH_SIZE) return err(`leaf hash must be ${HASH_SIZE} bytes`)
    const mismatch = MISMATCH
    const pending = this.#pending
    pending.length = 0
    let fn = index
    let sn = this.#size - 1
    let level = 0
    let r = leafHash
    let i = 0
    // Phase 1: hash upwards until the computed node is one already established.
    for (;;) {
      // Name ragged right-edge nodes by their highest address (no hashing happens on these steps).
      while (fn === sn && fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn /= 2
        level++
      }
      const known = this.#get(level, fn)
      if (known !== undefined) {
        if (!bytesEqual(known, r)) return mismatch
        break
      }
      // The root is always known, so here sn > 0 and the path needs another element.
      if (i === proof.length) return err('inclusion proof is too short')
      const el = proof[i++] as Uint8Array | string
      const p = typeof el === 'string' ? base64Decode(el) : el
      if (p === undefined || p.length !== HASH_SIZE) return err(`proof[${i - 1}] is not base64 of ${HASH_SIZE} bytes`)
      const isLeftSibling = fn % 2 === 1 || fn === sn
      const sib = isLeftSibling ? fn - 1 : fn + 1
      const knownSib = this.#get(level, sib)
      if (knownSib !== undefined && !bytesEqual(knownSib, p)) return mismatch
      pending.push(level, fn, r, undefined)
      if (knownSib === undefined) pending.push(level, sib, p, typeof el === 'string' ? el : undefined)
      r = isLeftSibling ? this.#node(p, r) : this.#node(r, p)
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
      level++
    }
    // Phase 2: from an established node, every remaining element must be the established sibling.
    while (sn !== 0) {
      if (i === proof.length) return err('inclusion proof is too short')
      const el = proof[i++] as Uint8Array | string
      const sib = fn % 2 === 1 || fn === sn ? fn - 1 : fn + 1
      const knownSib = this.#get(level, sib)
      // Every established node's ancestors and their siblings are established too (nodes are added a
      // whole root path at a time), so a gap means a bug: fall back to the plain algorithm.
      if (knownSib === undefined) return this.#verifyPlain(index, leafHash, proof)
      if (typeof el === 'string' ? el !== this.#encoded(level, sib, knownSib) : !bytesEqual(knownSib, el)) return mismatch
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
      level++
      while (fn === sn && fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn /= 2
        level++
      }
    }
    if (i !== proof.length) return err('inclusion proof is too long')
    for (let k = 0; k < pending.length; k += 4) {
      const lv = pending[k] as number
      const ix = pending[k + 1] as number
      this.#set(lv, ix, pending[k + 2] as Uint8Array)
      const text = pending[k + 3]
      if (typeof text === 'string') this.#encodedSet(lv, ix, text)
    }
    pending.length = 0
    return ok(true)
  }

  #encodedSet(level: number, index: number, text: string): void {
    for (let l = this.#levelsB64.length; l <= level; l++) this.#levelsB64.push(new Map())
    ;(this.#levelsB64[level] as Map<number, string>).set(index, text)
  }

  /** RFC 9162 §2.1.3.2 without memoisation (used only if the remembered nodes were inconsistent). */
  #verifyPlain(index: number, leafHash: Uint8Array, encoded: readonly Uint8Array[] | readonly string[]): Result<true, string> {
    const proof: Uint8Array[] = []
    for (const el of encoded) {
      const p = typeof el === 'string' ? base64Decode(el) : el
      if (p === undefined || p.length !== HASH_SIZE) return err(`proof is not base64 of ${HASH_SIZE} bytes`)
      proof.push(p)
    }
    let fn = index
    let sn = this.#size - 1
    let r = leafHash
    for (const p of proof) {
      if (sn === 0) return err('inclusion proof is too long')
      if (fn % 2 === 1 || fn === sn) {
        r = this.#node(p, r)
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2
          sn = Math.floor(sn / 2)
        }
      } else r = this.#node(r, p)
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
    }
    if (sn !== 0) return err('inclusion proof is too short')
    let level = 0
    for (let s = this.#size - 1; s > 0; s = Math.floor(s / 2)) level++
    const root = this.#get(level, 0) as Uint8Array
    return bytesEqual(r, root) ? ok(true) : err('inclusion proof does not lead to the root')
  }
}

// ---------------------------------------------------------------------------------------------
// Bundle verification

const HEX_DIGITS = '0123456789abcdef'
/** Whether `hex` is the lower-case hex spelling of `bytes` (no string is built). */
function hexEquals(bytes: Uint8Array, hex: string): boolean {
  if (hex.length !== bytes.length * 2) return false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    if (hex.charCodeAt(2 * i) !== HEX_DIGITS.charCodeAt(b >> 4) || hex.charCodeAt(2 * i + 1) !== HEX_DIGITS.charCodeAt(b & 15)) return false
  }
  return true
}

const failed = (id: string, version: string, reason: string): ProvenanceItemResult => ({ id, version, ok: false, reason })

/**
 * The checks of one item that do not involve the tree: its entry decodes as a canonical
 * `object.added` naming the item's id, type and version, and the receiver holds the object with the
 * entry's SHA-256.
 */
function checkItemEntry(it: ProvenanceItem, input: Uint8Array, objects: ReadonlyMap<string, HeldObject>, hashers: Hashers): Result<ObjectAddedEntry, string> {
  const { id, version } = it
  const decoded = decodeEntry(input)
  if (!decoded.ok) return err(`leaf_input: ${decoded.error}`)
  const entry = decoded.value
  if (entry.kind !== 'object.added') return err(`the log entry is ${entry.kind}, not object.added`)
  if (entry.object.id !== id) return err(`the log entry names ${entry.object.id}`)
  if (entry.object.version !== version) return err(`the log entry names version ${entry.object.version}`)
  if (!id.startsWith(`${entry.object.type}--`)) return err(`the log entry names type ${entry.object.type}`)
  const held = objects.get(provenanceKey(id, version))
  if (held === undefined) return err('the object version was not supplied')
  if (typeof held === 'string' ? held !== entry.object.sha256 : !hexEquals(hashers.digest(held), entry.object.sha256)) return err('the object does not have the SHA-256 the log entry records')
  return ok(entry)
}

/**
 * Verifies a bundle whose items share one batch inclusion proof: each item's own checks as usual,
 * then the proof over every item's leaf at once. The proof covers all the leaves or none, so when it
 * fails (or a leaf cannot be read, or two items claim one index with different entries) every item
 * fails with that reason.
 */
function verifyWithBatchProof(bundle: ProvenanceBundle, encodedProof: readonly string[], cp: Checkpoint, objects: ReadonlyMap<string, HeldObject>, hashers: Hashers): ProvenanceItemResult[] {
  const all = (reason: string) => bundle.items.map((it) => failed(it.id, it.version, reason))
  const proof: Uint8Array[] = []
  for (const h of encodedProof) {
    const b = base64Decode(h)
    if (b === undefined || b.length !== HASH_SIZE) return all(`batch proof: a hash is not base64 of ${HASH_SIZE} bytes`)
    proof.push(b)
  }
  const leafAt = new Map<number, Uint8Array>()
  const own: Result<ObjectAddedEntry, string>[] = []
  for (const it of bundle.items) {
    const input = base64Decode(it.leaf_input)
    if (input === undefined) return all(`batch proof: the leaf_input of ${it.id} is not canonical base64`)
    const leaf = hashers.leaf(input)
    const seen = leafAt.get(it.leaf_index)
    if (seen !== undefined && !bytesEqual(seen, leaf)) return all(`batch proof: two items claim leaf ${it.leaf_index} with different entries`)
    leafAt.set(it.leaf_index, leaf)
    own.push(checkItemEntry(it, input, objects, hashers))
  }
  const indexes = [...leafAt.keys()].sort((a, b) => a - b)
  const included = verifyBatchInclusion(indexes, indexes.map((i) => leafAt.get(i) as Uint8Array), cp.size, proof, cp.root, CORE_HASHERS.node)
  if (!included.ok) return all(`batch proof: ${included.error}`)
  return bundle.items.map((it, i) => {
    const r = own[i] as Result<ObjectAddedEntry, string>
    return r.ok ? { id: it.id, version: it.version, ok: true, entry: r.value } : failed(it.id, it.version, r.error)
  })
}

/**
 * Verifies a provenance bundle (checked with {@link checkProvenanceBundleShape}) for the objects a
 * receiver holds. `objects` maps {@link provenanceKey}(id, version) to the object's RFC 8785
 * canonical JSON bytes, or to the SHA-256 the receiver computed of them ({@link HeldObject}). The
 * checkpoint's signature is verified once with the origin's pinned `verifier`; if it fails, every
 * item fails. Each item then succeeds only if
 * 1. `leaf_input` decodes as a canonical `object.added` entry (./entry.ts) whose object id, type
 *    (the id's prefix) and version are the item's;
 * 2. the receiver holds the object, and the SHA-256 of its bytes is the entry's `sha256`;
 * 3. the inclusion proof leads from the entry's leaf hash at `leaf_index` to the checkpoint's root.
 * Items are independent: a bad item fails alone. `sha` replaces core's pure SHA-256 (e.g. with
 * node:crypto's) for hashing entries and objects; `expect.origin` pins the checkpoint's origin line.
 */
export function verifyProvenance(
  bundle: ProvenanceBundle,
  objects: ReadonlyMap<string, HeldObject>,
  verifier: NoteVerifier,
  verify: Ed25519Verify,
  sha?: Sha256,
  expect: { readonly origin?: string } = {},
): ProvenanceReport {
  const checkpoint = openCheckpoint(bundle.checkpoint, verifier, verify, expect)
  if (!checkpoint.ok) {
    const reason = `checkpoint: ${checkpoint.error}`
    return { checkpoint, results: bundle.items.map((it) => failed(it.id, it.version, reason)) }
  }
  const cp = checkpoint.value
  const hashers = hashersFrom(sha)
  if (bundle.batch_proof !== undefined) return { checkpoint, results: verifyWithBatchProof(bundle, bundle.batch_proof, cp, objects, hashers) }
  // Interior nodes hash 65 bytes, where core's SHA-256 beats a call into native code: `sha` is for
  // the entries and objects (hundreds of bytes and more).
  const batch = new InclusionBatchVerifier(cp.size, cp.root)
  const results = bundle.items.map((it): ProvenanceItemResult => {
    const { id, version } = it
    const input = base64Decode(it.leaf_input)
    if (input === undefined) return failed(id, version, 'leaf_input is not canonical base64')
    const itemOk = checkItemEntry(it, input, objects, hashers)
    if (!itemOk.ok) return failed(id, version, itemOk.error)
    const entry = itemOk.value
    const included = batch.verifyBase64(it.leaf_index, hashers.leaf(input), it.inclusion_path)
    if (!included.ok) return failed(id, version, `leaf ${it.leaf_index}: ${included.error}`)
    return { id, version, ok: true, entry }
  })
  return { checkpoint, results }
}
