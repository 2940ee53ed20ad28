/**
 * What a dialect module (`dialects/sqlite.ts`, `dialects/postgres.ts`) provides. The engine-specific
 * code lives only in those two modules; everything else in `store/kysely` is written against this.
 */
import type { ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, Expression, Kysely } from 'kysely'

/** What Kysely's `addColumn` accepts as a type (not exported by name from 'kysely'). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DataTypeExpression = ColumnDataType | Expression<any>
import type { NewObjectVersion, PutOutcome } from '../port.js'
import type { EngineCapabilities } from './capabilities.js'
import type { DB, LogEntriesTable, LogNodesTable } from './schema.js'

export type Engine = 'sqlite' | 'postgres'

/**
 * The expected shape of an index's data, for planners that do not gather statistics themselves:
 * `rows` in the table, and for each leading prefix of `columns` the average number of rows sharing
 * one value of that prefix.
 */
export interface IndexShape {
  readonly table: string
  readonly columns: readonly string[]
  readonly rows: number
  readonly rowsPerPrefix: readonly number[]
}

/** The narrow view of a dialect that migrations receive: DDL building blocks that differ per engine. */
export interface MigrationDialect {
  readonly engine: Engine
  /** Column type of an integer sequence primary key (`integer` on SQLite, `bigint` on PostgreSQL). */
  readonly sequenceType: 'integer' | 'bigint'
  /** Makes a column the store-assigned, strictly increasing sequence primary key. */
  sequencePrimaryKey(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder
  /** Text compared byte by byte: `text` on SQLite (BINARY collation), `text collate "C"` on PostgreSQL. */
  readonly textType: DataTypeExpression
  /** Column type for byte strings (hashes): `blob` on SQLite, `bytea` on PostgreSQL. */
  readonly bytesType: 'blob' | 'bytea'
  /**
   * Tells the planner what the data will look like, so plans do not depend on when statistics were
   * last gathered. SQLite: fixed rows in sqlite_stat1. PostgreSQL: nothing (autovacuum analyzes).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plannerStatistics(db: Kysely<any>, shapes: readonly IndexShape[]): Promise<void>
  /**
   * Stores a table's rows in its primary-key order, for small rows looked up only by that key
   * (SQLite: `WITHOUT ROWID`; PostgreSQL: nothing, its primary key is a separate b-tree anyway).
   */
  clusteredByPrimaryKey<T extends string, C extends string>(t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C>
}

/**
 * An engine-specific implementation of the `putVersions` hot path. It runs inside a transaction that
 * the caller (the objects repository) already holds; `db` is that transaction.
 */
export type PutVersionsFastPath = (
  db: Kysely<DB>,
  collectionId: string,
  items: readonly NewObjectVersion[],
  dateAdded: string,
) => Promise<PutOutcome[]>

/** Rows one log append writes (see repos/log.ts). */
export interface LogRows {
  readonly entries: readonly LogEntriesTable[]
  readonly nodes: readonly LogNodesTable[]
}

export interface StoreDialect extends MigrationDialect {
  readonly capabilities: EngineCapabilities
  /** The root Kysely instance (no transaction). */
  readonly db: Kysely<DB>
  /** Schema that holds Kysely's migration tables (PostgreSQL), so other schemas' tables are not mistaken for ours. */
  readonly migrationTableSchema: string | undefined
  /**
   * Runs `fn` (which opens a transaction) exclusively with respect to the other transactions of this
   * store. SQLite: a FIFO async mutex (one connection). PostgreSQL: no-op (MVCC and row locks).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
  /** Present when the engine has a faster way than the portable Kysely path (SQLite prepared statements). */
  readonly putVersions: PutVersionsFastPath | undefined
  /**
   * Present when the engine inserts log rows faster than the portable multi-row statements (SQLite:
   * prepared single-row statements). Called inside the transaction the log repository holds.
   */
  readonly insertLogRows: ((rows: LogRows) => void) | undefined
  /**
   * Present when the engine runs a prepared single-row statement per row faster than the portable
   * multi-row statement (SQLite). `statement` is the text of a single-row insert with `?` placeholders,
   * prepared once and cached; each row binds its values in order. Called inside the transaction the
   * repository holds.
   */
  readonly insertPrepared: ((statement: string, rows: readonly (readonly unknown[])[]) => void) | undefined
  /**
   * Present when the engine runs a cached prepared statement per parameter row faster than compiling
   * and preparing one statement per call (SQLite; absent on PostgreSQL, whose callers use the portable
   * Kysely query). `statement` is the text of a select with `?` placeholders, prepared once and
   * cached; it runs once per parameter row, and the rows of every run come back together, in order.
   * `db` is the repository's instance: inside a transaction it runs there, outside one on the
   * connection Kysely hands out when free (so it never reads another transaction's uncommitted rows).
   */
  readonly selectPrepared?: (db: Kysely<DB>, statement: string, params: readonly (readonly unknown[])[]) => Promise<unknown[]>
  /**
   * A transaction whose commit does not wait for the disk (TransactionOptions.durability 'relaxed'):
   * `wrap` runs around the whole transaction (outside it: SQLite's `synchronous` cannot change inside
   * one), `begin` first thing inside it (PostgreSQL's `set local`).
   */
  readonly relaxed: { readonly wrap?: <T>(run: () => Promise<T>) => Promise<T>; readonly begin?: (trx: Kysely<DB>) => Promise<void> }
  /** Refreshes the planner's statistics after a bulk load (see Store.refreshStatistics). */
  analyze(): Promise<void>
  /** Releases the pool / closes the database. */
  close(): Promise<void>
}
