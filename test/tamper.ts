/**
 * A test node whose database the test can also change behind the node's back, with raw SQL: a
 * temporary SQLite file (a second better-sqlite3 connection), or a throwaway PostgreSQL schema (a
 * second `pg` client on it). For transparency-log tests: edit, delete, insert or swap rows and check
 * that `entente log verify` notices.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openStore } from '../src/store/kysely/open.js'
import type { Store } from '../src/store/port.js'
import type { Clock } from '../src/services/deps.js'
import { dropSchema, PG_TEST_URL, type Dialect } from './db.js'
import { createTestNode, type TestNode } from './node.js'

export type Row = Record<string, unknown>

export interface TamperNode extends TestNode {
  /**
   * Runs one statement on the node's database over a connection of its own, outside the node's
   * store. Parameters are written `?` (turned into `$1`, `$2`… on PostgreSQL); returns the rows.
   */
  sql(text: string, params?: readonly unknown[]): Promise<Row[]>
  /** Opens another store on the same database (another process, as far as the database can tell). */
  openAnother(): Promise<Store>
}

const toPgParams = (text: string) => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

export async function createTamperNode(dialect: Dialect, opts: { clock?: Clock } = {}): Promise<TamperNode> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'entente-tamper-'))
    const path = join(dir, 'entente.db')
    let raw: Database.Database | undefined
    const others: Store[] = []
    try {
      const store = await openStore({ driver: 'sqlite', path })
      await store.migrate()
      const node = await createTestNode(dialect, { ...opts, store })
      const db = new Database(path)
      raw = db
      db.pragma('busy_timeout = 5000')
      db.pragma('foreign_keys = ON')
      return {
        ...node,
        sql: (text, params = []) => {
          const st = db.prepare(text)
          return Promise.resolve(st.reader ? (st.all(...params) as Row[]) : (st.run(...params), []))
        },
        async openAnother() {
          const s = await openStore({ driver: 'sqlite', path })
          others.push(s)
          return s
        },
        async close() {
          for (const s of others) await s.close()
          await node.close()
          db.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    } catch (e) {
      raw?.close()
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
  }

  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`
  const others: Store[] = []
  const client = new pg.Client({ connectionString: PG_TEST_URL })
  try {
    const store = await openStore({ driver: 'postgres', url: PG_TEST_URL, schema, poolMax: 4 })
    others.push(store)
    await store.migrate()
    const node = await createTestNode(dialect, { ...opts, store })
    others.shift()
    await client.connect()
    await client.query(`set search_path to ${pg.escapeIdentifier(schema)}`)
    let closing: Promise<void> | undefined
    return {
      ...node,
      sql: async (text, params = []) => (await client.query(toPgParams(text), [...params])).rows as Row[],
      async openAnother() {
        const s = await openStore({ driver: 'postgres', url: PG_TEST_URL, schema, poolMax: 4 })
        others.push(s)
        return s
      },
      close: () =>
        (closing ??= (async () => {
          for (const s of others) await s.close()
          await node.close()
          await client.end()
          await dropSchema(schema)
        })()),
    }
  } catch (e) {
    for (const s of others) await s.close()
    await client.end().catch(() => undefined)
    await dropSchema(schema)
    throw e
  }
}
