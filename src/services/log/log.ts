/**
 * The transparency log's read side and its signed checkpoints: tree heads, proofs, entries (as the
 * read policy allows) and provenance bundles. Shaped like RFC 6962 §4 so existing verifiers map onto
 * it; checkpoints are C2SP signed notes (core/translog/checkpoint.ts).
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import { openCheckpoint, signCheckpoint, type Checkpoint } from '../../core/translog/checkpoint.js'
import { batchInclusionProofFromNodes, consistencyProofFromNodes, HASH_SIZE, inclusionProofFromNodes, inclusionProofsFromNodes, type NodeLookup } from '../../core/translog/merkle.js'
import { noteVerifier, verifierKey } from '../../core/translog/note.js'
import type { NodeAddress, StoredCheckpoint, StoredLogEntry } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import { entryBase, makeLogRecorder } from './record.js'
import { makeObjectVisibility } from '../share/visibility.js'
import type { AgreementView } from '../../core/agreement/view.js'

/** Largest `get-entries` page. */
export const MAX_ENTRIES_PER_PAGE = 1000
/** Most objects in one provenance request. */
export const MAX_PROVENANCE_OBJECTS = 1000

/** One entry as a reader may see it: the whole `leaf_input`, or only its leaf hash. */
export type VisibleEntry =
  | { readonly index: number; readonly leafInput: string }
  | { readonly index: number; readonly leafHash: Uint8Array; readonly redacted: true }

export interface ProvenanceItem {
  readonly id: string
  readonly version: string
  readonly leafIndex: number
  /** The entry text (base64 of it is the wire `leaf_input`). */
  readonly leafInput: string
  readonly inclusionPath: readonly Uint8Array[]
}

const ZERO = new Uint8Array(HASH_SIZE)
/** Entries indexed by leaf hash per transaction. */
const LEAF_INDEX_BATCH = 50_000
const key = (level: number, index: number) => `${level}:${index}`

/** The object version an object entry names (id and content hash), or null for other entries. */
function loggedObjectOf(text: string): { id: string; sha256: string } | null {
  try {
    const e = JSON.parse(text) as Record<string, unknown>
    const o = e['object'] as Record<string, unknown> | undefined
    return o && typeof o['id'] === 'string' && typeof o['sha256'] === 'string' ? { id: o['id'], sha256: o['sha256'] } : null
  } catch {
    return null
  }
}

/** Whether a stored entry's text is an `object.added` entry of this object version in this collection. */
function entrySays(text: string, collectionId: string, id: string, version: string): boolean {
  let e: unknown
  try {
    e = JSON.parse(text)
  } catch {
    return false
  }
  if (typeof e !== 'object' || e === null) return false
  const { kind, collection, object } = e as Record<string, unknown>
  if (kind !== 'object.added' || collection !== collectionId || typeof object !== 'object' || object === null) return false
  const o = object as Record<string, unknown>
  return o['id'] === id && o['version'] === version
}

export function makeLogService(
  deps: Pick<ServiceDeps, 'store' | 'clock' | 'verify' | 'nodeKey' | 'logger' | 'hasher'> & { readonly agreementViews?: (nowMs: number) => Promise<ReadonlyMap<string, AgreementView>> },
) {
  const { store, clock } = deps
  const recorder = makeLogRecorder(deps.hasher)

  /**
   * Runs a proof computation over the stored tree: a first pass with placeholder hashes records which
   * nodes it reads (the shape of a proof does not depend on hash values), one query fetches them, and
   * a second pass computes the proof from the stored hashes.
   */
  async function overStoredNodes<T>(compute: (lookup: NodeLookup) => T): Promise<T> {
    const wanted: NodeAddress[] = []
    compute((level, index) => {
      wanted.push({ level, index })
      return ZERO
    })
    const nodes = await store.log.nodes(wanted)
    return compute((level, index) => {
      const h = nodes.get(key(level, index))
      if (h === undefined) throw new Error(`log: stored tree node ${level}:${index} is missing (run entente log verify)`)
      return h
    })
  }

  /** The node's checkpoint origin and public key, as recorded at `entente init`. */
  async function identity(): Promise<{ origin: string; publicKey: Uint8Array } | null> {
    const origin = await store.meta.get('log.origin')
    const pk = await store.meta.get('log.public_key')
    if (origin === null || pk === null) return null
    return { origin, publicKey: Uint8Array.from(Buffer.from(pk, 'base64')) }
  }

  async function latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return store.log.latestCheckpoint()
  }

  /**
   * Signs a checkpoint of the current tree. Without `force`, returns the latest one instead when the
   * log has not grown since. Fails when this process has no key or a key other than the log's.
   */
  async function checkpoint(opts: { force?: boolean } = {}): Promise<Result<StoredCheckpoint>> {
    const id = await identity()
    const nodeKey = deps.nodeKey
    if (!id || !nodeKey) return err({ code: 'conflict', detail: 'this node has no signing key; run entente init (or configure node.keyFile)' })
    if (Buffer.compare(Buffer.from(id.publicKey), Buffer.from(nodeKey.publicKey)) !== 0)
      return err({ code: 'conflict', detail: 'the configured node key is not the key this node signs its log with (see docs/transparency-log.md, "Keys")' })
    const head = await store.log.head()
    const latest = await store.log.latestCheckpoint()
    if (!opts.force && latest && latest.size === head.size) return ok(latest)
    const timestamp = new Date(clock.nowMs()).toISOString()
    const cp: Checkpoint = { origin: id.origin, size: head.size, root: head.root, timestamp, extensions: [] }
    const note = signCheckpoint(cp, id.origin, nodeKey.publicKey, (m) => nodeKey.sign(m))
    return ok(await store.log.addCheckpoint({ size: head.size, root: head.root, timestamp: storedTimestampFromMs(clock.nowMs()), note }))
  }

  /** The latest checkpoint, signing the first one when there is none yet. */
  async function currentCheckpoint(): Promise<Result<StoredCheckpoint>> {
    const latest = await store.log.latestCheckpoint()
    return latest ? ok(latest) : checkpoint()
  }

  /** A checkpoint covering leaf `index`: the latest one, or a new one when the latest is older. */
  async function checkpointCovering(index: number): Promise<Result<StoredCheckpoint>> {
    const latest = await store.log.latestCheckpoint()
    if (latest && latest.size > index) return ok(latest)
    return checkpoint()
  }

  function badRequest(pointer: string, message: string) {
    return err({ code: 'validation_failed' as const, issues: [{ pointer, message }] })
  }

  /**
   * May this reader see this entry's content? Objects: read rights on their collection and the marking
   * policy on the version the entry names (share/visibility.ts: the read TAXII Get An Object does; a
   * version no longer in the collection is not shown); the rest: administrators.
   */
  function entryVisibility(viewer: Viewer | null) {
    const perms = new Map<string, boolean>()
    const objects = makeObjectVisibility(deps)
    return async (e: StoredLogEntry): Promise<boolean> => {
      if (viewer === null) return false
      if (isAdmin(viewer)) return true
      if (e.collectionId === null) return false
      let can = perms.get(e.collectionId)
      if (can === undefined) {
        can = collectionAccess(viewer, await store.collections.permissionOf(e.collectionId, viewer.orgId)).canRead
        perms.set(e.collectionId, can)
      }
      if (!can) return false
      const named = loggedObjectOf(e.text)
      return named !== null && (await objects.sightByHash(viewer, e.collectionId, named.id, named.sha256)).see
    }
  }

  /** Brings the leaf-hash lookup up to date (after a bulk import this indexes the new entries in batches). */
  async function catchUpLeafIndex(): Promise<void> {
    while ((await store.log.indexLeafHashes(LEAF_INDEX_BATCH)) > 0) {
      /* next batch */
    }
  }

  return {
    identity,
    latestCheckpoint,
    catchUpLeafIndex,

    /**
     * Makes `key` the log's key when the node has none yet (a node initialised before it had keys),
     * recording it as a `node.key` entry. Succeeds without change when it already is the log's key;
     * fails with `conflict` when the log has another key.
     */
    async adoptKey(key: { publicKey: Uint8Array; origin: string }): Promise<Result<'adopted' | 'unchanged'>> {
      const b64 = Buffer.from(key.publicKey).toString('base64')
      return store.transaction(async (tx) => {
        const current = await tx.meta.get('log.public_key')
        if (current === b64) return ok('unchanged' as const)
        if (current !== null)
          return err({
            code: 'conflict' as const,
            detail: `the configured node key (${verifierKey(key.origin, key.publicKey)}) is not the key this node's log is signed with; restore the original key file (see docs/transparency-log.md, "Keys")`,
          })
        const origin = (await tx.meta.get('log.origin')) ?? key.origin
        await tx.meta.set('log.public_key', b64)
        await tx.meta.set('log.origin', origin)
        const at = storedTimestampFromMs(clock.nowMs())
        await recorder.record(tx, [{ entry: { ...entryBase(at, { system: 'serve' }), kind: 'node.key', key: { ed25519: b64, origin } } }])
        return ok('adopted' as const)
      })
    },
    checkpoint,
    currentCheckpoint,

    /** The C2SP verifier key partners pin for this node, or null before `entente init`. */
    async verifierKey(): Promise<string | null> {
      const id = await identity()
      return id ? verifierKey(id.origin, id.publicKey) : null
    },

    head: () => store.log.head(),

    /** Every checkpoint this node issued, oldest first. */
    async checkpoints(afterSeq: number, limit: number) {
      return store.log.checkpoints(afterSeq, Math.min(Math.max(1, limit), 1000))
    },

    /** RFC 6962 get-sth-consistency: the proof that the tree of `second` leaves extends the one of `first`. */
    async consistency(first: number, second: number): Promise<Result<Uint8Array[]>> {
      const head = await store.log.head()
      if (!Number.isSafeInteger(first) || first < 0) return badRequest('/first', 'must be a non-negative integer')
      if (!Number.isSafeInteger(second) || second < first) return badRequest('/second', 'must be an integer at least first')
      if (second > head.size) return badRequest('/second', `is beyond the log's size ${head.size}`)
      return ok(await overStoredNodes((lookup) => consistencyProofFromNodes(first, second, lookup)))
    },

    /** RFC 6962 get-proof-by-hash: the inclusion proof of the leaf with this hash in the tree of `treeSize`. */
    async proofByHash(leafHash: Uint8Array, treeSize: number): Promise<Result<{ leafIndex: number; auditPath: Uint8Array[] }>> {
      if (leafHash.length !== HASH_SIZE) return badRequest('/hash', `must be a base64 ${HASH_SIZE}-byte hash`)
      const head = await store.log.head()
      if (!Number.isSafeInteger(treeSize) || treeSize < 1) return badRequest('/tree_size', 'must be a positive integer')
      if (treeSize > head.size) return badRequest('/tree_size', `is beyond the log's size ${head.size}`)
      await catchUpLeafIndex()
      const index = await store.log.indexOfLeafHash(leafHash)
      if (index === null || index >= treeSize) return err({ code: 'not_found', resource: 'log entry with this leaf hash' })
      return ok({ leafIndex: index, auditPath: await overStoredNodes((lookup) => inclusionProofFromNodes(index, treeSize, lookup)) })
    },

    /** Inclusion proof of leaf `index` in the tree of `treeSize` leaves. */
    async inclusion(index: number, treeSize: number): Promise<Uint8Array[]> {
      return overStoredNodes((lookup) => inclusionProofFromNodes(index, treeSize, lookup))
    },

    /**
     * RFC 6962 get-entries for [start, end] (inclusive, like the RFC), at most MAX_ENTRIES_PER_PAGE. An
     * entry the reader may not see comes as its leaf hash alone, so the tree still verifies.
     */
    async entries(viewer: Viewer | null, start: number, end: number): Promise<Result<VisibleEntry[]>> {
      if (!Number.isSafeInteger(start) || start < 0) return badRequest('/start', 'must be a non-negative integer')
      if (!Number.isSafeInteger(end) || end < start) return badRequest('/end', 'must be an integer at least start')
      const head = await store.log.head()
      if (start >= head.size) return badRequest('/start', `is beyond the log's size ${head.size}`)
      const last = Math.min(end, head.size - 1, start + MAX_ENTRIES_PER_PAGE - 1)
      const rows = await store.log.entries(start, last + 1)
      const visible = entryVisibility(viewer)
      const out: VisibleEntry[] = []
      for (const e of rows) {
        out.push((await visible(e)) ? { index: e.index, leafInput: e.text } : { index: e.index, leafHash: e.leafHash, redacted: true })
      }
      return ok(out)
    },

    /**
     * Provenance bundle for object versions of a collection the viewer may read: this node's latest
     * checkpoint (signed now if it does not cover them yet) and, per object, the entry that accepted it
     * and its inclusion proof (docs/provenance.md).
     */
    async provenance(
      viewer: Viewer,
      input: {
        collection: string
        objects: readonly { id: string; version?: string }[]
        /** One batch inclusion proof for all the items instead of one proof each (docs/provenance.md). */
        batch?: boolean
      },
    ): Promise<Result<{ checkpoint: StoredCheckpoint; items: ProvenanceItem[]; missing: { id: string; version: string | null }[]; batchProof?: Uint8Array[] }>> {
      if (input.objects.length > MAX_PROVENANCE_OBJECTS) return err({ code: 'limit_exceeded', limit: 'objects per provenance request', max: MAX_PROVENANCE_OBJECTS })
      const collection = await store.collections.find(input.collection)
      const access = collection ? collectionAccess(viewer, await store.collections.permissionOf(collection.id, viewer.orgId)) : null
      if (!collection || !access?.visible) return err({ code: 'not_found', resource: 'collection', id: input.collection })
      if (!access.canRead) return err({ code: 'forbidden', reason: 'collection' })
      // One batch of lookups for the whole request (a pull page of 1,000): the versions, the entries
      // that added them, then every tree node the proofs need in one more query.
      const rows = await store.log.entriesOfObjects(
        collection.id,
        input.objects.map((o) => ({ id: o.id, version: o.version ?? null })),
      )
      const found: { id: string; version: string; entry: StoredLogEntry }[] = []
      const missing: { id: string; version: string | null }[] = []
      // Object versions the reader may not see (the marking policy) are answered as missing, like
      // versions not in the collection. Complete readers (peers, administrators) skip the check.
      const objects = makeObjectVisibility(deps)
      const checked = !isAdmin(viewer) && !(await objects.complete(viewer, collection.id))
      const hidden = new Set<number>()
      if (checked) {
        for (let i = 0; i < rows.length; i++) {
          const stored = rows[i]?.entry ?? null
          const named = stored ? loggedObjectOf(stored.text) : null
          if (named === null || !(await objects.sightByHash(viewer, collection.id, named.id, named.sha256)).see) hidden.add(i)
        }
      }
      input.objects.forEach((o, i) => {
        if (hidden.has(i)) {
          missing.push({ id: o.id, version: o.version ?? null })
          return
        }
        const row = rows[i]
        const stored = row?.entry ?? null
        // The entry text is authoritative: serve it only when it says what the row says. A field-level
        // check of the parsed text is enough here (the receiver decodes every entry strictly, and a
        // non-canonical text could not verify against this node's tree anyway).
        const entry = stored && row && entrySays(stored.text, collection.id, o.id, row.versionKey) ? stored : null
        if (!row || !entry) missing.push({ id: o.id, version: o.version ?? null })
        else found.push({ id: o.id, version: row.versionKey, entry })
      })
      const maxIndex = Math.max(0, ...found.map((f) => f.entry.index))
      const cp = await checkpointCovering(maxIndex)
      if (!cp.ok) return cp
      const size = cp.value.size
      if (input.batch === true) {
        const indexes = [...new Set(found.map((f) => f.entry.index))].sort((a, b) => a - b)
        const batchProof = indexes.length === 0 ? [] : await overStoredNodes((lookup) => batchInclusionProofFromNodes(indexes, size, lookup))
        const items = found.map((f) => ({ id: f.id, version: f.version, leafIndex: f.entry.index, leafInput: f.entry.text, inclusionPath: [] }))
        return ok({ checkpoint: cp.value, items, missing, batchProof })
      }
      const paths = await overStoredNodes((lookup) => inclusionProofsFromNodes(found.map((f) => f.entry.index), size, lookup))
      const items = found.map((f, i) => ({ id: f.id, version: f.version, leafIndex: f.entry.index, leafInput: f.entry.text, inclusionPath: paths[i] as Uint8Array[] }))
      return ok({ checkpoint: cp.value, items, missing })
    },

    /** Verifies one of this node's own checkpoint notes with its recorded key. */
    async openOwnCheckpoint(note: string): Promise<Result<Checkpoint, string>> {
      const id = await identity()
      if (!id) return err('this node has no log key')
      return openCheckpoint(note, noteVerifier(id.origin, id.publicKey), deps.verify, { origin: id.origin })
    },
  }
}

export type LogService = ReturnType<typeof makeLogService>
