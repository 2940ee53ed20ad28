/**
 * Opens a store on SQLite or PostgreSQL. It does not migrate: callers run `store.migrate()`
 * (at boot, and from `entente migrate`). The parent directory of a SQLite file is the caller's job.
 */
import { Migrator, type Migration, type MigrationProvider } from 'kysely'
import { MIGRATIONS } from '../migrations/index.js'
import type { Store, StoreOptions } from '../port.js'
import { portCapabilities } from './capabilities.js'
import type { MigrationDialect, StoreDialect } from './dialect.js'
import { openPostgresDialect } from './dialects/postgres.js'
import { openSqliteDialect } from './dialects/sqlite.js'
import { makeTransactions } from './tx.js'
import { sql } from 'kysely'

/** Adapter internals that tests may switch; production code passes nothing. */
export interface StoreTuning {
  /**
   * Use the portable multi-row `putVersions` (the one PostgreSQL runs) instead of an engine's fast
   * path, so the conformance suite covers it on SQLite too, including chunking at SQLite's lower
   * parameter limit.
   */
  readonly portablePutVersions?: boolean
}

export async function openStore(opts: StoreOptions, tuning: StoreTuning = {}): Promise<Store> {
  const dialect =
    opts.driver === 'sqlite'
      ? openSqliteDialect({ path: opts.path, ...(opts.synchronous === undefined ? {} : { synchronous: opts.synchronous }) })
      : await openPostgresDialect(opts)
  return makeStore(tuning.portablePutVersions ? { ...dialect, putVersions: undefined, insertLogRows: undefined, insertPrepared: undefined } : dialect)
}

/** A static provider over `migrations/index.ts`; each migration gets the engine's DDL building blocks. */
function provider(d: MigrationDialect): MigrationProvider {
  const view: MigrationDialect = {
    engine: d.engine,
    sequenceType: d.sequenceType,
    sequencePrimaryKey: d.sequencePrimaryKey,
    textType: d.textType,
    bytesType: d.bytesType,
    plannerStatistics: d.plannerStatistics,
    clusteredByPrimaryKey: d.clusteredByPrimaryKey,
  }
  return {
    getMigrations: () =>
      Promise.resolve(
        Object.fromEntries(MIGRATIONS.map((m): [string, Migration] => [m.name, { up: (db) => m.up(db, view) }])),
      ),
  }
}

function makeStore(dialect: StoreDialect): Store {
  const { root, assertOutsideTransaction, transaction } = makeTransactions(dialect)
  const migrator = new Migrator({
    db: dialect.db,
    provider: provider(dialect),
    ...(dialect.migrationTableSchema === undefined ? {} : { migrationTableSchema: dialect.migrationTableSchema }),
  })
  let closing: Promise<void> | undefined

  return Object.freeze({
    ...root,
    engine: dialect.engine,
    capabilities: portCapabilities(dialect.capabilities),
    transaction,
    async migrate() {
      assertOutsideTransaction('store.migrate')
      const { error, results = [] } = await migrator.migrateToLatest()
      if (error !== undefined) {
        const failed = results.find((r) => r.status === 'Error')?.migrationName
        throw new Error(`store: migration ${failed ?? '(setup)'} failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        })
      }
      return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
    },
    async migrationStatus() {
      assertOutsideTransaction('store.migrationStatus')
      const all = await migrator.getMigrations()
      return {
        applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
        pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
      }
    },
    async refreshStatistics() {
      assertOutsideTransaction('store.refreshStatistics')
      await dialect.analyze()
    },
    async ping() {
      assertOutsideTransaction('store.ping')
      try {
        const r = await sql<{ one: number }>`select 1 as one`.execute(dialect.db)
        return r.rows.length === 1
      } catch {
        return false
      }
    },
    close() {
      closing ??= dialect.close()
      return closing
    },
  })
}
