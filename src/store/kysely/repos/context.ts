import type { Kysely } from 'kysely'
import type { StoreDialect } from '../dialect.js'
import type { DB } from '../schema.js'

/** What every repository is built from: the connection or transaction it runs on, and the engine. */
export interface RepoContext {
  /** The open transaction inside `store.transaction`, the (guarded) root instance otherwise. */
  readonly db: Kysely<DB>
  readonly dialect: StoreDialect
  /**
   * Runs `fn` atomically: on `db` itself when it already is a transaction, otherwise in a new
   * transaction of its own (queued like any other transaction of the store).
   */
  atomic<T>(fn: (db: Kysely<DB>) => Promise<T>): Promise<T>
  /** True inside `store.transaction` (then `db` is that transaction). */
  readonly inTransaction: boolean
}

/** Splits rows so that one statement binds at most `maxParameters` values. */
export function chunksFor<T>(rows: readonly T[], columnsPerRow: number, maxParameters: number): T[][] {
  const size = Math.max(1, Math.floor(maxParameters / columnsPerRow))
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

/** Number of affected rows from Kysely's bigint result. */
export const affected = (n: bigint | undefined): number => Number(n ?? 0n)
