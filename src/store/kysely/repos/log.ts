import type { Kysely } from 'kysely'
import { HASH_SIZE, MerkleFrontier } from '../../../core/translog/merkle.js'
import type { LogAppend, LogHashing, LogHead, LogStore, NodeAddress, StoredCheckpoint, StoredLogEntry } from '../../port.js'
import { decodeBytes, decodeInt, encodeBytes } from '../codecs.js'
import type { LogRows } from '../dialect.js'
import type { DB, LogCheckpointsTable, LogEntriesTable } from '../schema.js'
import { chunksFor, type RepoContext } from './context.js'
import type { Selectable } from 'kysely'

const ENTRY_COLUMNS = 7
const NODE_COLUMNS = 3

const nodeKey = (level: number, index: number) => `${level}:${index}`

/** The frontier blob: the compact range's hashes concatenated, largest subtree first. */
function splitFrontier(blob: Uint8Array): Uint8Array[] {
  if (blob.length % HASH_SIZE !== 0) throw new Error('store: log_head.frontier is not a whole number of hashes')
  const out: Uint8Array[] = []
  for (let i = 0; i < blob.length; i += HASH_SIZE) out.push(blob.slice(i, i + HASH_SIZE))
  return out
}

function joinFrontier(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE)
  hashes.forEach((h, i) => out.set(h, i * HASH_SIZE))
  return out
}

/** A log_entries row as the port's StoredLogEntry. */
export const decodeLogEntry = (r: Selectable<LogEntriesTable>): StoredLogEntry => ({
  index: decodeInt(r.idx, 'idx'),
  kind: r.kind,
  at: r.at,
  collectionId: r.collection_id,
  objectSeq: r.object_seq === null ? null : decodeInt(r.object_seq, 'object_seq'),
  leafHash: decodeBytes(r.leaf_hash, 'leaf_hash'),
  text: r.entry,
})

const decodeCheckpoint = (r: Selectable<LogCheckpointsTable>): StoredCheckpoint => ({
  seq: decodeInt(r.seq, 'seq'),
  size: decodeInt(r.size, 'size'),
  root: decodeBytes(r.root, 'root'),
  timestamp: r.timestamp,
  note: r.note,
})

/** Inserts entry and node rows with multi-row statements (the portable path; SQLite has a faster one). */
async function insertRowsPortable(db: Kysely<DB>, maxParameters: number, rows: LogRows): Promise<void> {
  for (const chunk of chunksFor(rows.entries, ENTRY_COLUMNS, maxParameters)) await db.insertInto('log_entries').values(chunk).execute()
  for (const chunk of chunksFor(rows.nodes, NODE_COLUMNS, maxParameters)) await db.insertInto('log_nodes').values(chunk).execute()
}

export function makeLogRepo(ctx: RepoContext): LogStore {
  const { db, dialect } = ctx

  async function head(): Promise<LogHead> {
    const r = await db.selectFrom('log_head').select(['size', 'root']).where('id', '=', 1).executeTakeFirst()
    if (!r) throw new Error('store: log_head row is missing (migration 0002 not applied?)')
    return { size: decodeInt(r.size, 'size'), root: decodeBytes(r.root, 'root') }
  }

  return {
    async append(entries: readonly LogAppend[], hashing: LogHashing) {
      if (!ctx.inTransaction) throw new Error('store: log.append must run inside store.transaction, with the writes it records')
      // The head row is the append lock: FOR UPDATE holds it until this transaction ends, so appends
      // from every connection and process take turns and indexes never collide or leave gaps.
      const h = await db
        .selectFrom('log_head')
        .select(['size', 'frontier'])
        .where('id', '=', 1)
        .$if(dialect.capabilities.rowLocks, (q) => q.forUpdate())
        .executeTakeFirst()
      if (!h) throw new Error('store: log_head row is missing (migration 0002 not applied?)')
      const first = decodeInt(h.size, 'size')
      const frontier = MerkleFrontier.restore(first, splitFrontier(decodeBytes(h.frontier, 'frontier')), (l, r) => hashing.nodeHash(l, r))
      if (entries.length === 0) return { first, size: first, root: frontier.root() }
      const rows: { entries: LogEntriesTable[]; nodes: { level: number; idx: number; hash: Uint8Array }[] } = { entries: [], nodes: [] }
      const onNode = (level: number, idx: number, hash: Uint8Array) => {
        if (level > 0) rows.nodes.push({ level, idx, hash: encodeBytes(hash) })
      }
      let idx = first
      for (const e of entries) {
        const leaf = hashing.leafHash(e.text)
        rows.entries.push({
          idx,
          kind: e.kind,
          at: e.at,
          collection_id: e.collectionId,
          object_seq: e.objectSeq,
          leaf_hash: encodeBytes(leaf),
          entry: e.text,
        })
        frontier.append(leaf, onNode)
        idx++
      }
      if (dialect.insertLogRows) dialect.insertLogRows(rows)
      else await insertRowsPortable(db, dialect.capabilities.maxParameters, rows)
      const root = frontier.root()
      await db
        .updateTable('log_head')
        .set({ size: frontier.size, frontier: encodeBytes(joinFrontier(frontier.hashes())), root: encodeBytes(root) })
        .where('id', '=', 1)
        .execute()
      return { first, size: frontier.size, root }
    },

    head,

    async entries(start, end) {
      if (end <= start) return []
      const rows = await db
        .selectFrom('log_entries')
        .selectAll()
        .where('idx', '>=', start)
        .where('idx', '<', end)
        .orderBy('idx')
        .execute()
      return rows.map(decodeLogEntry)
    },

    async nodes(addresses: readonly NodeAddress[]) {
      const out = new Map<string, Uint8Array>()
      const leaves = [...new Set(addresses.filter((a) => a.level === 0).map((a) => a.index))]
      const interior = addresses.filter((a) => a.level > 0)
      for (const chunk of chunksFor(leaves, 1, dialect.capabilities.maxParameters)) {
        const rows = await db.selectFrom('log_entries').select(['idx', 'leaf_hash']).where('idx', 'in', chunk).execute()
        for (const r of rows) out.set(nodeKey(0, decodeInt(r.idx, 'idx')), decodeBytes(r.leaf_hash, 'leaf_hash'))
      }
      // One `level = ? and idx in (…)` per level: a big batch of proofs (a provenance request of 1,000
      // objects) needs thousands of nodes, and one OR chain of that length overflows the query compiler's stack.
      const byLevel = new Map<number, Set<number>>()
      for (const a of interior) {
        let set = byLevel.get(a.level)
        if (!set) byLevel.set(a.level, (set = new Set()))
        set.add(a.index)
      }
      for (const [level, indexes] of byLevel) {
        for (const chunk of chunksFor([...indexes], 1, dialect.capabilities.maxParameters - 1)) {
          const rows = await db.selectFrom('log_nodes').select(['level', 'idx', 'hash']).where('level', '=', level).where('idx', 'in', chunk).execute()
          for (const r of rows) out.set(nodeKey(decodeInt(r.level, 'level'), decodeInt(r.idx, 'idx')), decodeBytes(r.hash, 'hash'))
        }
      }
      return out
    },

    indexLeafHashes(limit) {
      return ctx.atomic(async (tx) => {
        // Only one indexer at a time (PostgreSQL): the head row is the lock, as for appends.
        const h = await tx
          .selectFrom('log_head')
          .select(['size', 'leaf_indexed'])
          .where('id', '=', 1)
          .$if(dialect.capabilities.rowLocks, (q) => q.forUpdate())
          .executeTakeFirstOrThrow()
        const size = decodeInt(h.size, 'size')
        const from = decodeInt(h.leaf_indexed, 'leaf_indexed')
        const to = Math.min(size, from + Math.max(1, Math.floor(limit)))
        if (to <= from) return size - from
        const rows = await tx.selectFrom('log_entries').select(['idx', 'leaf_hash']).where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute()
        // In hash order, so the B-tree is filled page by page instead of at random; the lowest index
        // of a repeated leaf hash wins (earlier batches are already in; conflicts keep them).
        const sorted = rows
          .map((r) => ({ leaf_hash: decodeBytes(r.leaf_hash, 'leaf_hash'), idx: decodeInt(r.idx, 'idx') }))
          .sort((a, b) => Buffer.compare(a.leaf_hash, b.leaf_hash) || a.idx - b.idx)
        for (const chunk of chunksFor(sorted, 2, dialect.capabilities.maxParameters)) {
          await tx.insertInto('log_leaf_index').values(chunk).onConflict((oc) => oc.column('leaf_hash').doNothing()).execute()
        }
        await tx.updateTable('log_head').set({ leaf_indexed: to }).where('id', '=', 1).execute()
        return size - to
      })
    },

    async indexOfLeafHash(leafHash) {
      const r = await db.selectFrom('log_leaf_index').select('idx').where('leaf_hash', '=', encodeBytes(leafHash)).executeTakeFirst()
      return r ? decodeInt(r.idx, 'idx') : null
    },

    async entryOfObject(objectSeq, collectionId) {
      const r = await db
        .selectFrom('log_entries')
        .selectAll()
        .where('object_seq', '=', objectSeq)
        .where('collection_id', '=', collectionId)
        .where('kind', '=', 'object.added')
        .where('idx', '>=', 0)
        .orderBy('idx')
        .limit(1)
        .executeTakeFirst()
      return r ? decodeLogEntry(r) : null
    },

    async entriesOfObjects(collectionId, wanted) {
      const max = dialect.capabilities.maxParameters - 2
      // 1. The versions of the wanted ids (the (stix_id, version_key) key), then 2. which of them the
      // collection holds (the (collection_id, object_seq) key): two equality lookups per chunk, never a
      // scan of the collection, whatever a planner thinks of the collection's size.
      const versions = new Map<number, { stixId: string; versionKey: string }>()
      for (const chunk of chunksFor([...new Set(wanted.map((w) => w.id))], 1, max)) {
        const rows = await db.selectFrom('stix_objects').select(['seq', 'stix_id', 'version_key']).where('stix_id', 'in', chunk).execute()
        for (const r of rows) versions.set(decodeInt(r.seq, 'seq'), { stixId: r.stix_id, versionKey: r.version_key })
      }
      const members = new Map<string, { objectSeq: number; version: string; versionKey: string }[]>()
      for (const chunk of chunksFor([...versions.keys()], 1, max)) {
        const rows = await db
          .selectFrom('collection_objects')
          .select(['object_seq', 'version'])
          .where('collection_id', '=', collectionId)
          .where('object_seq', 'in', chunk)
          .execute()
        for (const r of rows) {
          const objectSeq = decodeInt(r.object_seq, 'object_seq')
          const v = versions.get(objectSeq)
          if (!v) continue
          let list = members.get(v.stixId)
          if (!list) members.set(v.stixId, (list = []))
          list.push({ objectSeq, version: r.version, versionKey: v.versionKey })
        }
      }
      // 3. The chosen version of each wanted object, as the single lookups choose it: the membership
      // whose TAXII version is the one asked for, or the highest one.
      const chosen = wanted.map((w) => {
        let pick: { objectSeq: number; version: string; versionKey: string } | undefined
        for (const m of members.get(w.id) ?? []) {
          if (w.version === null ? pick === undefined || m.version > pick.version : m.version === w.version && (pick === undefined || m.objectSeq < pick.objectSeq)) pick = m
        }
        return pick
      })
      // 4. The entries that added them: the first object.added entry per version in this collection.
      const entries = new Map<number, StoredLogEntry>()
      const seqs = [...new Set(chosen.flatMap((c) => (c ? [c.objectSeq] : [])))]
      for (const chunk of chunksFor(seqs, 1, max - 2)) {
        const rows = await db
          .selectFrom('log_entries')
          .selectAll()
          .where('object_seq', 'is not', null)
          .where('object_seq', 'in', chunk)
          .where('collection_id', '=', collectionId)
          .where('kind', '=', 'object.added')
          .execute()
        for (const r of rows) {
          const e = decodeLogEntry(r)
          const seen = e.objectSeq === null ? undefined : entries.get(e.objectSeq)
          if (e.objectSeq !== null && (seen === undefined || e.index < seen.index)) entries.set(e.objectSeq, e)
        }
      }
      return chosen.map((c) => (c ? { objectSeq: c.objectSeq, versionKey: c.versionKey, entry: entries.get(c.objectSeq) ?? null } : null))
    },

    async addCheckpoint(cp) {
      const r = await db
        .insertInto('log_checkpoints')
        .values({ size: cp.size, root: encodeBytes(cp.root), timestamp: cp.timestamp, note: cp.note })
        .returning('seq')
        .executeTakeFirstOrThrow()
      return { ...cp, seq: decodeInt(r.seq, 'seq') }
    },

    async latestCheckpoint() {
      const r = await db.selectFrom('log_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst()
      return r ? decodeCheckpoint(r) : null
    },

    async checkpoints(afterSeq, limit) {
      const rows = await db
        .selectFrom('log_checkpoints')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(Math.max(1, Math.floor(limit)))
        .execute()
      return rows.map(decodeCheckpoint)
    },
  }
}
