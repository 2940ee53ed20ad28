/**
 * PostgreSQL through a `pg` Pool: the scale-out engine. Everything PostgreSQL-specific lives here.
 */
import { Pool, TypeOverrides, escapeIdentifier } from 'pg'
import { CompiledQuery, Kysely, PostgresDialect, sql, type ColumnDefinitionBuilder } from 'kysely'
import { POSTGRES_CAPABILITIES } from '../capabilities.js'
import type { MigrationDialect, StoreDialect } from '../dialect.js'
import type { DB } from '../schema.js'

export interface PostgresDialectOptions {
  readonly url: string
  readonly poolMax?: number
  readonly schema?: string
  readonly statementTimeoutMs?: number
}

const INT8_OID = 20
const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

export const postgresMigrationDialect: MigrationDialect = {
  engine: 'postgres',
  sequenceType: 'bigint',
  // Identity columns are the SQL-standard successor of bigserial; `always` refuses explicit values.
  sequencePrimaryKey: (c: ColumnDefinitionBuilder) => c.generatedAlwaysAsIdentity().primaryKey(),
  // Byte order like SQLite, independent of the database's default collation (en_US.UTF-8 would order
  // ids and cursors differently from SQLite, and compare more slowly).
  textType: sql`text collate "C"`,
  bytesType: 'bytea',
  // PostgreSQL gathers its own statistics (ANALYZE, autovacuum). Our queries are also written so that
  // plans stay index lookups before the first ANALYZE (see repos/objects-filters.ts).
  plannerStatistics: async () => {},
  clusteredByPrimaryKey: (t) => t,
}

/**
 * int8 (bigint identity sequences, count(*)) arrives as a string by default. Sequences and counts stay
 * far below 2^53, so we parse them to JS numbers, and fail loudly rather than round if one ever does not.
 */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new RangeError(`store: int8 value ${text} exceeds the safe integer range`)
  return n
}

export async function openPostgresDialect(opts: PostgresDialectOptions): Promise<StoreDialect> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema))
    throw new Error(`store: invalid PostgreSQL schema name ${JSON.stringify(opts.schema)}`)
  // Per-pool type parsers (not the global `pg.types`), so nothing else in the process is affected.
  const types = new TypeOverrides()
  types.setTypeParser(INT8_OID, parseInt8)
  const pool = new Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    types,
    statement_timeout: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    application_name: 'entente',
    // Short OLTP queries only: JIT compilation, triggered by cost estimates alone, can add 100 ms to a
    // query that runs in 1 ms when an estimate is off (seen on fresh tables before ANALYZE).
    options: '-c jit=off',
  })
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})

  try {
    let migrationTableSchema = opts.schema
    if (opts.schema !== undefined) {
      try {
        await pool.query(`create schema if not exists ${escapeIdentifier(opts.schema)}`)
      } catch (e) {
        // Two processes creating the same schema at once: the loser gets a unique violation.
        const exists = await pool.query('select 1 from pg_namespace where nspname = $1', [opts.schema])
        if (exists.rowCount === 0) throw e
      }
    } else {
      const r = await pool.query<{ schema: string }>('select current_schema() as schema')
      migrationTableSchema = r.rows[0]?.schema
    }
    const searchPath = opts.schema === undefined ? undefined : `set search_path to ${escapeIdentifier(opts.schema)}`
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({
        pool,
        // Every connection of the pool, when Kysely first uses it.
        ...(searchPath === undefined ? {} : { onCreateConnection: async (conn) => void (await conn.executeQuery(CompiledQuery.raw(searchPath))) }),
      }),
    })
    return {
      ...postgresMigrationDialect,
      capabilities: POSTGRES_CAPABILITIES,
      db,
      migrationTableSchema,
      // Transactions run concurrently on separate pool connections; MVCC and unique indexes keep them apart.
      exclusive: (fn) => fn(),
      // The portable multi-row path is used (see repos/objects.ts).
      putVersions: undefined,
      insertLogRows: undefined,
      insertPrepared: undefined,
      relaxed: { begin: async (trx) => void (await sql`set local synchronous_commit = off`.execute(trx)) },
      // Without statistics PostgreSQL plans the TAXII page query over a freshly loaded collection as a
      // nested loop over all of stix_objects (measured: a 30 s timeout on 1M rows). Autovacuum analyzes
      // only after its naptime; a bulk import asks for it at once.
      analyze: async () => {
        await sql`analyze stix_objects, collection_objects`.execute(db)
      },
      close: () => db.destroy(),
    }
  } catch (e) {
    await pool.end()
    throw e
  }
}
