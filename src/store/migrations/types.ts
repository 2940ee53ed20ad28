import type { Kysely } from 'kysely'
import type { MigrationDialect } from '../kysely/dialect.js'

/**
 * One forward-only migration. It receives the engine's DDL building blocks so the same file serves
 * SQLite and PostgreSQL. `Kysely<any>`: migrations are frozen in time and must not depend on the
 * current `DB` interface (Kysely's own advice).
 */
export interface StoreMigration {
  /** Sorts in application order (`0001-init`, `0002-…`). Never renamed once released. */
  readonly name: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: MigrationDialect): Promise<void>
}
