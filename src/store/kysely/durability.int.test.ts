/**
 * Relaxed-durability transactions (TransactionOptions, used by peer pulls): the engine setting is
 * relaxed for that transaction only and restored for every other one, whether the transaction
 * commits, rolls back or throws; and a relaxed transaction commits and rolls back like any other.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { err, ok } from '../../core/shared/result.js'
import { DIALECTS, dropSchema, PG_TEST_URL } from '../../../test/db.js'
import type { StoreDialect } from './dialect.js'
import { openPostgresDialect } from './dialects/postgres.js'
import { openSqliteDialect } from './dialects/sqlite.js'
import { makeTransactions } from './tx.js'
import { randomBytes } from 'node:crypto'

const dir = mkdtempSync(join(tmpdir(), 'entente-durability-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Engine {
  readonly dialect: StoreDialect
  /** The engine's commit durability setting as seen by the connection `db` runs on. */
  readonly setting: (db: StoreDialect['db']) => Promise<string>
  readonly full: string
  readonly relaxed: string
  readonly close: () => Promise<void>
}

async function engine(d: (typeof DIALECTS)[number]): Promise<Engine> {
  if (d === 'sqlite') {
    const dialect = openSqliteDialect({ path: join(dir, `${randomBytes(4).toString('hex')}.db`) })
    // 2 = FULL, 1 = NORMAL
    const setting = async (db: StoreDialect['db']) => String((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous)
    return { dialect, setting, full: '2', relaxed: '1', close: () => dialect.close() }
  }
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`
  const dialect = await openPostgresDialect({ url: PG_TEST_URL, schema, poolMax: 1 })
  const setting = async (db: StoreDialect['db']) => String((await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronous_commit)
  return {
    dialect,
    setting,
    full: 'on',
    relaxed: 'off',
    close: async () => {
      await dialect.close()
      await dropSchema(schema)
    },
  }
}

for (const d of DIALECTS) {
  describe(`relaxed transactions (${d})`, () => {
    it('relax the commit inside that transaction only; every other transaction commits fully, after commit, rollback or throw', async () => {
      const e = await engine(d)
      try {
        // The setting as a transaction sees it (SQLite: the one connection; PostgreSQL: a pool of one).
        const inTransaction = async (relaxed: boolean) => {
          let v = ''
          const run = () =>
            e.dialect.db.transaction().execute(async (trx) => {
              if (relaxed) await e.dialect.relaxed.begin?.(trx)
              v = await e.setting(trx)
            })
          await e.dialect.exclusive(() => (relaxed && e.dialect.relaxed.wrap ? e.dialect.relaxed.wrap(run) : run()))
          return v
        }
        expect(await inTransaction(false)).toBe(e.full)
        expect(await inTransaction(true)).toBe(e.relaxed)
        expect(await inTransaction(false)).toBe(e.full)

        // The store's transaction runner uses the relaxed form only when asked, and the next ordinary
        // transaction is full again whether the relaxed one committed, rolled back or threw.
        const used: string[] = []
        const spied: StoreDialect = {
          ...e.dialect,
          relaxed: {
            ...(e.dialect.relaxed.wrap ? { wrap: <T>(run: () => Promise<T>) => (used.push('wrap'), (e.dialect.relaxed.wrap as (r: () => Promise<T>) => Promise<T>)(run)) } : {}),
            ...(e.dialect.relaxed.begin ? { begin: (trx: StoreDialect['db']) => (used.push('begin'), (e.dialect.relaxed.begin as (t: StoreDialect['db']) => Promise<void>)(trx)) } : {}),
          },
        }
        const { transaction } = makeTransactions(spied)
        expect((await transaction(async () => ok(1))).ok).toBe(true)
        expect(used).toEqual([])
        expect((await transaction(async () => ok(1), { durability: 'relaxed' })).ok).toBe(true)
        expect(used).toHaveLength(1)
        expect(await inTransaction(false)).toBe(e.full)
        expect((await transaction(async () => err({ code: 'forbidden', reason: 'role' } as const), { durability: 'relaxed' })).ok).toBe(false)
        expect(await inTransaction(false)).toBe(e.full)
        await expect(transaction(async () => Promise.reject(new Error('boom')), { durability: 'relaxed' })).rejects.toThrow('boom')
        expect(await inTransaction(false)).toBe(e.full)
        expect(used).toHaveLength(3)
      } finally {
        await e.close()
      }
    })
  })
}
