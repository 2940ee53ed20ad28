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

/**
 * Keys per run of a prepared `in (…)` lookup (StoreDialect.selectPrepared): one statement text for
 * every batch, so it is prepared once; a short last chunk is padded (see `paddedChunks`).
 */
export const PREPARED_IN_SIZE = 100
/** The placeholders of a prepared `in (…)` lookup. */
export const PREPARED_IN_LIST = Array.from({ length: PREPARED_IN_SIZE }, () => '?').join(', ')

/**
 * Splits keys into chunks of exactly `size`, the last padded with its own first key (a repeated key
 * in an `in (…)` list changes nothing). No chunk when there are no keys.
 */
export function paddedChunks<T>(keys: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < keys.length; i += size) {
    const chunk = keys.slice(i, i + size)
    const first = chunk[0] as T
    while (chunk.length < size) chunk.push(first)
    out.push(chunk)
  }
  return out
}

/** Number of affected rows from Kysely's bigint result. */
export const affected = (n: bigint | undefined): number => Number(n ?? 0n)
