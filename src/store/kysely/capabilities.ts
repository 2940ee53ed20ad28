/**
 * Engine differences, named (Kysely's `DialectAdapter` idea). Shared repositories ask these flags
 * instead of testing the engine name. Each flag says why the engines differ.
 */
import type { StoreCapabilities } from '../port.js'

export interface EngineCapabilities extends StoreCapabilities {
  /**
   * Most bound parameters one statement may carry; multi-row inserts are chunked below it.
   * SQLite: SQLITE_MAX_VARIABLE_NUMBER is 32,766 since 3.32. PostgreSQL: the wire protocol counts
   * parameters in an int16, so 65,535.
   */
  readonly maxParameters: number
  /** `FOR UPDATE SKIP LOCKED` for job queues. SQLite has no row locks (one writer at a time). */
  readonly skipLocked: boolean
  /** `SELECT … FOR UPDATE` row locks (serialising log appends across connections). SQLite has one writer. */
  readonly rowLocks: boolean
  /** LISTEN/NOTIFY for live events across processes. SQLite is one process. */
  readonly listenNotify: boolean
  /** DDL inside a transaction rolls back with it. Kysely's SqliteAdapter reports false. */
  readonly transactionalDdl: boolean
}

export const SQLITE_CAPABILITIES: EngineCapabilities = Object.freeze({
  // better-sqlite3 is one synchronous connection in one process: all work is serialised.
  multipleConnections: false,
  maxParameters: 32_766,
  skipLocked: false,
  rowLocks: false,
  listenNotify: false,
  transactionalDdl: false,
})

export const POSTGRES_CAPABILITIES: EngineCapabilities = Object.freeze({
  // A pool of connections, possibly shared by several Entente processes.
  multipleConnections: true,
  maxParameters: 65_535,
  skipLocked: true,
  rowLocks: true,
  listenNotify: true,
  transactionalDdl: true,
})

/** The part of the capabilities the port exposes. */
export const portCapabilities = (c: EngineCapabilities): StoreCapabilities => ({
  multipleConnections: c.multipleConnections,
})
