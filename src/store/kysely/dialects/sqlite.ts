/**
 * SQLite through better-sqlite3: the embedded default. Everything SQLite-specific lives here.
 *
 * better-sqlite3 is synchronous and this store uses exactly one connection, so all work is serialised:
 * - Kysely's SqliteDriver hands its single connection to one user at a time (its connection mutex).
 *   A transaction keeps the connection from `begin` to `commit`/`rollback`, so a non-transactional
 *   call made while a transaction is open waits until it ends; it can never run inside it.
 * - On top of that, transactions are queued on our own FIFO mutex (`exclusive`), so concurrent
 *   `store.transaction()` calls run strictly one after the other in call order, independently of how
 *   Kysely's driver schedules waiters.
 * - The `putVersions` hot path below runs better-sqlite3 prepared statements directly on the same
 *   connection. It is only ever called inside a transaction the caller holds (checked with
 *   `inTransaction`), i.e. while this async task owns the connection.
 */
import Database from 'better-sqlite3'
import { CompiledQuery, Kysely, SqliteDialect, sql, type ColumnDefinitionBuilder, type Driver } from 'kysely'
import type { NewObjectVersion, PutOutcome } from '../../port.js'
import { SQLITE_CAPABILITIES } from '../capabilities.js'
import { decodeBytes, decodeInt, encodeBool, encodeBytes, sameBytes } from '../codecs.js'
import type { IndexShape, LogRows, MigrationDialect, PutVersionsFastPath, StoreDialect } from '../dialect.js'
import type { DB } from '../schema.js'
import { audienceColumns } from '../repos/audience.js'

export interface SqliteDialectOptions {
  readonly path: string
  readonly synchronous?: 'FULL' | 'NORMAL'
}

/** A FIFO async mutex: waiters run in the order they asked. */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve()

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void
    const next = new Promise<void>((resolve) => {
      release = resolve
    })
    const prev = this.#tail
    this.#tail = prev.then(() => next)
    await prev
    try {
      return await fn()
    } finally {
      release()
    }
  }
}

export const sqliteMigrationDialect: MigrationDialect = {
  engine: 'sqlite',
  sequenceType: 'integer',
  // `integer primary key` aliases the rowid. AUTOINCREMENT stops SQLite from reusing the number of a
  // deleted last row (collection memberships can be deleted), so seq is strictly increasing forever.
  sequencePrimaryKey: (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement(),
  // SQLite compares text with the BINARY collation (memcmp) unless told otherwise.
  textType: 'text',
  bytesType: 'blob',
  plannerStatistics: seedStatistics,
  clusteredByPrimaryKey: (t) => t.modifyEnd(sql`without rowid`),
}

/**
 * SQLite plans from sqlite_stat1, which only ANALYZE fills. Without it, the planner assumes that an
 * equality on an index's first column matches about ten rows, so `collection_id = ?` looks as
 * selective as a unique key and it walks a whole collection to avoid sorting a handful of rows.
 * Applications may write sqlite_stat1 themselves to pin plans (SQLite's documented "manual control"
 * of the planner); we write the shape the data will have. A later ANALYZE of a large database replaces
 * these rows with measured ones, which is fine.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function seedStatistics(db: Kysely<any>, shapes: readonly IndexShape[]): Promise<void> {
  const exists = await sql<{ n: number }>`select count(*) as n from sqlite_schema where name = 'sqlite_stat1'`.execute(db)
  // ANALYZE creates sqlite_stat1; on a fresh database it has nothing to read.
  if (decodeInt(exists.rows[0]?.n, 'count') === 0) await sql`analyze`.execute(db)
  for (const shape of shapes) {
    const indexes = await sql<{ name: string }>`select name from pragma_index_list(${shape.table})`.execute(db)
    let found: string | undefined
    for (const { name } of indexes.rows) {
      const cols = await sql<{ name: string }>`select name from pragma_index_info(${name}) order by seqno`.execute(db)
      if (cols.rows.map((c) => c.name).join(',') === shape.columns.join(',')) found = name
    }
    if (found === undefined) throw new Error(`store: no index on ${shape.table} (${shape.columns.join(', ')})`)
    await sql`delete from sqlite_stat1 where tbl = ${shape.table} and idx = ${found}`.execute(db)
    const stat = [shape.rows, ...shape.rowsPerPrefix].map((n) => Math.max(1, Math.round(n))).join(' ')
    await sql`insert into sqlite_stat1 (tbl, idx, stat) values (${shape.table}, ${found}, ${stat})`.execute(db)
  }
  // Reload the statistics into this connection.
  await sql`analyze sqlite_schema`.execute(db)
}

/**
 * Transactions begin with BEGIN IMMEDIATE: the write lock is taken (waiting up to busy_timeout) when
 * the transaction starts. Another process may write the same file (a CLI `peer sync` or `import` next
 * to `entente serve`, whose timers sign checkpoints and index leaf hashes). A deferred transaction
 * reads first and upgrades to a writer later; if another process committed in between, SQLite refuses
 * the upgrade at once with SQLITE_BUSY ("database is locked") without waiting, whatever busy_timeout
 * says. Within one process transactions are serialised anyway (`exclusive`), so nothing is lost.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver()
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'))
    }
    return driver
  }
}

export function openSqliteDialect(opts: SqliteDialectOptions): StoreDialect {
  const raw = new Database(opts.path)
  const synchronous = opts.synchronous ?? 'FULL'
  const pragmas = [
    'busy_timeout = 5000',
    // `:memory:` databases answer `memory`; that is fine.
    'journal_mode = WAL',
    'foreign_keys = ON',
    // FULL: a commit survives power loss ("nothing accepted is lost"). NORMAL in WAL mode may lose the
    // last transactions on power loss but never corrupts; offered for bulk loads.
    `synchronous = ${synchronous}`,
    // Checkpoint every ~40 MB of WAL instead of every 4 MB: ingest dirties index pages at random, and
    // a page rewritten by several commits is copied back once. Measured about +25% on bulk ingest.
    'wal_autocheckpoint = 10000',
    // 64 MiB page cache (the default is 2 MiB) for the random index pages of large collections.
    'cache_size = -65536',
  ]
  const db = new Kysely<DB>({
    dialect: new ImmediateSqliteDialect({
      database: raw,
      async onCreateConnection(conn) {
        for (const p of pragmas) await conn.executeQuery(CompiledQuery.raw(`pragma ${p}`))
      },
    }),
  })
  const mutex = new AsyncMutex()
  return {
    ...sqliteMigrationDialect,
    capabilities: SQLITE_CAPABILITIES,
    db,
    migrationTableSchema: undefined,
    exclusive: (fn) => mutex.run(fn),
    putVersions: makePutVersions(raw),
    insertLogRows: makeInsertLogRows(raw),
    insertPrepared: makeInsertPrepared(raw),
    selectPrepared: makeSelectPrepared(raw),
    relaxed: {
      // Inside the store's exclusive section (one connection, transactions one at a time), so no other
      // transaction commits while the setting is relaxed.
      wrap: async (run) => {
        raw.pragma('synchronous = NORMAL')
        try {
          return await run()
        } finally {
          raw.pragma(`synchronous = ${synchronous}`)
        }
      },
    },
    // The plans are pinned by the statistics written at migration (pinPlannerStatistics): ANALYZE
    // would replace them with measured ones, so there is nothing to refresh.
    analyze: async () => {},
    close: () => db.destroy(),
  }
}

function storedVersion(row: unknown): { seq: number; hash: Uint8Array } | null {
  if (row === undefined) return null
  if (typeof row === 'object' && row !== null && 'seq' in row && 'content_hash' in row)
    return { seq: decodeInt(row.seq, 'seq'), hash: decodeBytes(row.content_hash, 'content_hash') }
  throw new Error('store: unexpected row from stix_objects')
}

/** The seq of the row an `insert … on conflict do nothing` just wrote, or null when it wrote none. */
function insertedSeq(info: Database.RunResult): number | null {
  return info.changes === 1 ? decodeInt(info.lastInsertRowid, 'seq') : null
}

/**
 * The ingest hot path on SQLite, with prepared statements. Why not Kysely here: compiling a
 * multi-row insert of 2,000 rows × 10 columns per batch, and better-sqlite3 preparing a fresh
 * 20,000-parameter statement each time (Kysely's driver does not cache statements), dominated the
 * measured cost. With one connection and no network round trips, one prepared single-row statement
 * per item is the fastest shape, needs no parameter-limit chunking, and processes the batch strictly
 * in input order, which gives in-batch repeats their natural meaning (see the objects repository).
 * `run()` and `lastInsertRowid` instead of `returning seq`: measured 6 µs less per object.
 */
function makePutVersions(raw: Database.Database): PutVersionsFastPath {
  let stmts:
    | {
        insertObject: Database.Statement
        selectObject: Database.Statement
        insertMembership: Database.Statement
        insertRecipient: Database.Statement
      }
    | undefined
  // Prepared lazily: the tables exist only after `migrate()`.
  const prepare = () =>
    (stmts ??= {
      insertObject: raw.prepare(
        `insert into stix_objects (stix_id, type, spec_version, created, modified, version_key, revoked, created_by_ref, content_hash, json)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (stix_id, version_key) do nothing`,
      ),
      selectObject: raw.prepare(`select seq, content_hash from stix_objects where stix_id = ? and version_key = ?`),
      insertMembership: raw.prepare(
        `insert into collection_objects (collection_id, object_seq, stix_id, type, spec_version, version, date_added, tlp, producer, has_recipients, expires_at, arrival_agreement, path)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (collection_id, object_seq) do nothing`,
      ),
      insertRecipient: raw.prepare(`insert into object_recipients (object_seq, identity_id) values (?, ?) on conflict do nothing`),
    })

  return async (_db, collectionId: string, items: readonly NewObjectVersion[], dateAdded: string) => {
    if (!raw.inTransaction) throw new Error('store: putVersions fast path called outside a transaction')
    const s = prepare()
    const out: PutOutcome[] = []
    for (const it of items) {
      let objectSeq = insertedSeq(
        s.insertObject.run(
          it.stixId,
          it.type,
          it.specVersion,
          it.created,
          it.modified,
          it.versionKey,
          encodeBool(it.revoked),
          it.createdByRef,
          encodeBytes(it.contentHash),
          it.json,
        ),
      )
      const stored = objectSeq !== null
      if (objectSeq === null) {
        const existing = storedVersion(s.selectObject.get(it.stixId, it.versionKey))
        if (existing === null) throw new Error(`store: version ${it.stixId} ${it.versionKey} neither inserted nor found`)
        if (!sameBytes(existing.hash, it.contentHash)) {
          out.push({ kind: 'conflict' })
          continue
        }
        objectSeq = existing.seq
      }
      const version = it.modified ?? it.created ?? dateAdded
      const a = audienceColumns(it)
      const seq = insertedSeq(
        s.insertMembership.run(collectionId, objectSeq, it.stixId, it.type, it.specVersion, version, dateAdded, a.tlp, a.producer, a.has_recipients, a.expires_at, a.arrival_agreement, a.path),
      )
      if (seq !== null && it.audience?.recipients) for (const r of it.audience.recipients) s.insertRecipient.run(objectSeq, r)
      out.push(seq === null ? { kind: 'duplicate' } : { kind: 'added', seq, stored, objectSeq })
    }
    return out
  }
}

/** Inserts with cached prepared single-row statements, for the reasons given at `makePutVersions`. */
function makeInsertPrepared(raw: Database.Database): (statement: string, rows: readonly (readonly unknown[])[]) => void {
  const cache = new Map<string, Database.Statement>()
  return (statement, rows) => {
    if (!raw.inTransaction) throw new Error('store: prepared rows inserted outside a transaction')
    let s = cache.get(statement)
    if (s === undefined) {
      // A handful of fixed statements from the repositories; the bound keeps a mistake from growing it.
      if (cache.size >= 64) cache.clear()
      s = raw.prepare(statement)
      cache.set(statement, s)
    }
    for (const r of rows) s.run(...r)
  }
}

/**
 * Selects with cached prepared statements, one run per parameter row (see StoreDialect.selectPrepared).
 * A Kysely `in (…)` list is compiled and prepared afresh at every call; a fixed-size prepared list
 * (repos/context.ts, PREPARED_IN_SIZE) looks 40,000 keys up in about a third of the time (measured:
 * 85 ms against 140–370 ms on a 500 MB database, docs/benchmarks.md).
 */
function makeSelectPrepared(raw: Database.Database): NonNullable<StoreDialect['selectPrepared']> {
  const cache = new Map<string, Database.Statement>()
  const run = (statement: string, params: readonly (readonly unknown[])[]): unknown[] => {
    let s = cache.get(statement)
    if (s === undefined) {
      // A handful of fixed statements from the repositories; the bound keeps a mistake from growing it.
      if (cache.size >= 64) cache.clear()
      s = raw.prepare(statement)
      cache.set(statement, s)
    }
    const out: unknown[] = []
    for (const p of params) for (const row of s.all(...p)) out.push(row)
    return out
  }
  return async (db, statement, params) => {
    // Building a query on `db` runs its guards: a root instance used inside a transaction throws here
    // instead of waiting for the connection forever.
    db.selectNoFrom(sql<number>`1`.as('one')).compile()
    if (db.isTransaction) {
      if (!raw.inTransaction) throw new Error('store: prepared select on a transaction that is not open')
      return run(statement, params)
    }
    // The connection, when no transaction holds it: this task owns it while the statements run.
    return db.connection().execute(async () => run(statement, params))
  }
}

/** Log appends on SQLite: prepared single-row statements, for the reasons given at `makePutVersions`. */
function makeInsertLogRows(raw: Database.Database): (rows: LogRows) => void {
  let stmts: { entry: Database.Statement; node: Database.Statement } | undefined
  const prepare = () =>
    (stmts ??= {
      entry: raw.prepare(
        `insert into log_entries (idx, kind, at, collection_id, object_seq, leaf_hash, entry) values (?, ?, ?, ?, ?, ?, ?)`,
      ),
      node: raw.prepare(`insert into log_nodes (level, idx, hash) values (?, ?, ?)`),
    })
  return (rows) => {
    if (!raw.inTransaction) throw new Error('store: log rows inserted outside a transaction')
    const s = prepare()
    for (const e of rows.entries) s.entry.run(e.idx, e.kind, e.at, e.collection_id, e.object_seq, e.leaf_hash, e.entry)
    for (const n of rows.nodes) s.node.run(n.level, n.idx, n.hash)
  }
}
