/**
 * The engine harness: every storage behaviour is asserted on SQLite and PostgreSQL.
 *   ENTENTE_TEST_DIALECTS=sqlite npx vitest run --project int   # quick local run without PostgreSQL
 * PostgreSQL tests use a throwaway schema per store (`t_<pid>_<random>`) inside the `test` database;
 * `close()` drops it. test/global-setup.ts checks that PostgreSQL is reachable and drops schemas that
 * dead test processes left behind.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openStore } from '../src/store/kysely/open.js'
import type { Store } from '../src/store/port.js'

export type Dialect = 'sqlite' | 'postgres'

/** The test database; `ENTENTE_TEST_PG_URL` may point elsewhere (another port, a CI service). */
export const PG_TEST_URL = process.env.ENTENTE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

function parseDialects(v: string | undefined): Dialect[] {
  const names = (v ?? 'sqlite,postgres')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  return names.map((n) => {
    if (n === 'sqlite' || n === 'postgres') return n
    throw new Error(`ENTENTE_TEST_DIALECTS: unknown dialect ${JSON.stringify(n)} (use sqlite, postgres or both)`)
  })
}

export const DIALECTS: readonly Dialect[] = parseDialects(process.env.ENTENTE_TEST_DIALECTS)

/** Test schemas are named `t_<pid>_<hex>`; the pid lets the global setup tell live runs from leftovers. */
export const TEST_SCHEMA_PATTERN = /^t_(\d+)_[0-9a-f]+$/

/** A migrated store on a fresh database: SQLite `:memory:`, or a new PostgreSQL schema dropped on close. */
export async function openTestStore(dialect: Dialect): Promise<Store> {
  if (dialect === 'sqlite') {
    const store = await openStore({ driver: 'sqlite', path: ':memory:' })
    await store.migrate()
    return store
  }
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`
  const store = await openStore({ driver: 'postgres', url: PG_TEST_URL, schema, poolMax: 4 })
  try {
    await store.migrate()
  } catch (e) {
    await store.close()
    await dropSchema(schema)
    throw e
  }
  let closing: Promise<void> | undefined
  return Object.freeze({
    ...store,
    close: () =>
      (closing ??= (async () => {
        await store.close()
        await dropSchema(schema)
      })()),
  })
}

export async function dropSchema(schema: string): Promise<void> {
  if (!TEST_SCHEMA_PATTERN.test(schema)) throw new Error(`refusing to drop non-test schema ${schema}`)
  const client = new pg.Client({ connectionString: PG_TEST_URL })
  await client.connect()
  try {
    await client.query(`drop schema if exists ${pg.escapeIdentifier(schema)} cascade`)
  } finally {
    await client.end()
  }
}
