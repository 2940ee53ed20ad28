/**
 * Runs once before the test workers start. When PostgreSQL is among the test dialects it must be
 * reachable: the run fails (it never skips silently). Also drops test schemas left behind by test
 * processes that no longer exist (a crashed or killed run); schemas of live runs are kept.
 */
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { DIALECTS, PG_TEST_URL, TEST_SCHEMA_PATTERN } from './db.js'

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return e instanceof Error && 'code' in e && e.code === 'EPERM'
  }
}

export default async function setup(project: TestProject): Promise<void> {
  // Unit tests never touch PostgreSQL (services run on SQLite :memory:); only integration runs need it.
  if (project.name === 'unit') return
  if (!DIALECTS.includes('postgres')) return

  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    await client.query('select 1')
  } catch (e) {
    await client.end().catch(() => {})
    const why = e instanceof Error ? e.message : String(e)
    throw new Error(
      `PostgreSQL is not reachable at ${PG_TEST_URL} (${why}).\n` +
        'Integration tests run on SQLite and PostgreSQL. Start PostgreSQL, or for a quick local run use\n' +
        '  ENTENTE_TEST_DIALECTS=sqlite npx vitest run',
    )
  }
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname like 't\\_%'",
    )
    for (const { nspname } of rows) {
      const m = TEST_SCHEMA_PATTERN.exec(nspname)
      if (!m || processAlive(Number(m[1]))) continue
      await client.query(`drop schema if exists ${pg.escapeIdentifier(nspname)} cascade`)
    }
  } finally {
    await client.end()
  }
}
