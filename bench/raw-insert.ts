/**
 * The raw insert baseline: the same rows the pipeline stored, inserted into the same tables of a fresh,
 * migrated SQLite database with prepared statements, in transactions of 2,000 rows, with the node's
 * pragmas (WAL, synchronous=FULL). Only the inserts are timed (reading the rows back is not).
 *   node --import tsx bench/raw-insert.ts <source-data-dir> <target-data-dir>
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openStore } from '../src/store/kysely/open.js'

const [sourceDir, targetDir] = process.argv.slice(2) as [string, string]
await mkdir(targetDir, { recursive: true })
const targetPath = join(targetDir, 'entente.db')
const store = await openStore({ driver: 'sqlite', path: targetPath })
await store.migrate()
await store.close()

const src = new Database(join(sourceDir, 'entente.db'), { readonly: true })
const dst = new Database(targetPath)
dst.pragma('journal_mode = WAL')
dst.pragma('synchronous = FULL')
dst.pragma('foreign_keys = ON')

for (const c of src.prepare('select * from collections').all() as Record<string, unknown>[]) {
  const cols = Object.keys(c)
  dst.prepare(`insert into collections (${cols.join(',')}) values (${cols.map((k) => '@' + k).join(',')})`).run(c)
}
const insObj = dst.prepare(
  `insert into stix_objects (seq, stix_id, type, spec_version, created, modified, version_key, revoked, created_by_ref, content_hash, json)
   values (@seq, @stix_id, @type, @spec_version, @created, @modified, @version_key, @revoked, @created_by_ref, @content_hash, @json)`,
)
const insMember = dst.prepare(
  `insert into collection_objects (seq, collection_id, object_seq, stix_id, type, spec_version, version, date_added)
   values (@seq, @collection_id, @object_seq, @stix_id, @type, @spec_version, @version, @date_added)`,
)
// The transparency log's rows for those objects too: the ingest writes them in the same transactions.
const insEntry = dst.prepare(
  `insert into log_entries (idx, kind, at, collection_id, object_seq, leaf_hash, entry) values (@idx, @kind, @at, @collection_id, @object_seq, @leaf_hash, @entry)`,
)
const insNode = dst.prepare(`insert into log_nodes (level, idx, hash) values (@level, @idx, @hash)`)
const readEntries = src.prepare('select * from log_entries where object_seq > ? and object_seq <= ? order by idx')
const readNodes = src.prepare('select * from log_nodes where level = ? and idx between ? and ?')
const readObj = src.prepare('select * from stix_objects where seq > ? order by seq limit 2000')
const readMember = src.prepare('select * from collection_objects where object_seq > ? and object_seq <= ? order by object_seq')
const batch = dst.transaction((objs: Record<string, unknown>[], members: Record<string, unknown>[], entries: Record<string, unknown>[], nodes: Record<string, unknown>[]) => {
  for (const o of objs) insObj.run(o)
  for (const m of members) insMember.run(m)
  for (const e of entries) insEntry.run(e)
  for (const n of nodes) insNode.run(n)
})

/** The interior nodes completed by the leaves [a, b]: node (L, i) is completed by leaf (i+1)·2^L − 1. */
function nodesFor(a: number, b: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  for (let L = 1; 2 ** L <= b + 1; L++) {
    const lo = Math.ceil((a + 1) / 2 ** L) - 1
    const hi = Math.floor((b + 1) / 2 ** L) - 1
    if (hi >= lo) out.push(...(readNodes.all(L, lo, hi) as Record<string, unknown>[]))
  }
  return out
}

let last = 0
let rows = 0
let timed = 0
for (;;) {
  const objs = readObj.all(last) as Record<string, unknown>[]
  if (objs.length === 0) break
  const hi = objs[objs.length - 1]!['seq'] as number
  const members = readMember.all(last, hi) as Record<string, unknown>[]
  const entries = readEntries.all(last, hi) as Record<string, unknown>[]
  const nodes = entries.length > 0 ? nodesFor(entries[0]!['idx'] as number, entries[entries.length - 1]!['idx'] as number) : []
  const t = performance.now()
  batch(objs, members, entries, nodes)
  timed += performance.now() - t
  rows += objs.length
  last = hi
}
src.close()
dst.close()
process.stdout.write(`${JSON.stringify({ rows, insertS: timed / 1000, rowsPerS: Math.round(rows / (timed / 1000)) })}\n`)
