/**
 * A freshly imported collection must be readable at once: without planner statistics PostgreSQL
 * plans the TAXII page query as a nested loop over every stored object (a 30 s timeout at 1M objects).
 */
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS, PG_TEST_URL } from '../../../test/db.js'
import { attackObjects } from '../../../test/data.js'
import { createTestNode, type TestNode } from '../../../test/node.js'

const batches = (objects: readonly unknown[], size: number) =>
  (async function* () {
    for (let i = 0; i < objects.length; i += size) yield objects.slice(i, i + size).map((o, j) => ({ index: i + j, text: JSON.stringify(o) }))
  })()

describe.runIf(DIALECTS.includes('postgres'))('planner statistics after an import [postgres]', () => {
  let node: TestNode
  beforeEach(async () => {
    node = await createTestNode('postgres')
  })
  afterEach(async () => {
    await node.close()
  })

  it('analyzes the object tables when an import finishes, so reads use index plans at once', async () => {
    const r = await node.services.ingest.importStream(
      { kind: 'system', name: 'test', orgId: node.hostOrgId },
      { collection: 'default', source: 'attack', fingerprint: 'attack-5000', batches: batches(attackObjects().slice(1, 5001), 1000) },
    )
    expect(r.ok && r.value.added).toBe(5000)
    const schema = await currentSchema(node)
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_TEST_URL, max: 1 }) }) })
    try {
      const rows = await sql<{ relname: string; reltuples: number }>`
        select c.relname, c.reltuples::float8 as reltuples from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relname in ('stix_objects', 'collection_objects') order by c.relname`.execute(db)
      // reltuples is -1 until a table is first analyzed.
      expect(rows.rows.map((x) => [x.relname, Number(x.reltuples)])).toEqual([
        ['collection_objects', 5000],
        ['stix_objects', 5000],
      ])
    } finally {
      await db.destroy()
    }
  })
})

/** The throwaway schema the test store lives in. */
async function currentSchema(node: TestNode): Promise<string> {
  // The store exposes no SQL; the import job's row lives in the test schema, so look it up by its table.
  const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_TEST_URL, max: 1 }) }) })
  try {
    const jobs = await node.store.jobs.list(1)
    const r = await sql<{ table_schema: string }>`
      select table_schema from information_schema.tables where table_name = 'import_jobs' and table_schema like 't\\_%'`.execute(db)
    for (const row of r.rows) {
      const hit = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(row.table_schema, 'import_jobs')} where id = ${jobs[0]?.id ?? ''}`.execute(db)
      if (hit.rows[0]?.n === 1) return row.table_schema
    }
    throw new Error('test schema not found')
  } finally {
    await db.destroy()
  }
}
