/**
 * `npm run bench [-- --objects N] [--skip-postgres] [--connections C] [--seconds S]`
 * Ingest (SQLite and PostgreSQL, with the raw insert baseline) and TAXII read latency, on a bundle of
 * N indicators generated from the Maltrail trails in ../shared/data. Prints a Markdown table for
 * docs/benchmarks.md and writes .bench/results.json.
 */
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { generateIndicatorBundle } from './generate.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}
const N = Number(opt('objects', '1000000'))
const skipPg = args.includes('--skip-postgres')
const connections = opt('connections', '1,4,8')
const seconds = opt('seconds', '20')
const WORK = join(process.cwd(), '.bench')
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one JSON line from a benchmark child
function child(script: string, ...a: string[]): Record<string, any> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join('bench', script), ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 })
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number | string>
}

log(`generating ${N} indicators from the Maltrail trails (cached in .bench/)`)
const file = await generateIndicatorBundle(N, WORK, log)

const sqliteDir = join(WORK, `sqlite-${N}`)
rmSync(sqliteDir, { recursive: true, force: true })
log('ingest on SQLite')
const sqlite = child('ingest.ts', 'sqlite', file, sqliteDir)
log(JSON.stringify(sqlite))

const rawDir = join(WORK, `sqlite-raw-${N}`)
rmSync(rawDir, { recursive: true, force: true })
log('raw insert baseline on SQLite')
const raw = child('raw-insert.ts', sqliteDir, rawDir)
log(JSON.stringify(raw))
rmSync(rawDir, { recursive: true, force: true })

let postgres: Record<string, number | string> | null = null
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one JSON line from a benchmark child
let taxiiPg: Record<string, any> | null = null
if (!skipPg) {
  const schema = `bench_${Date.now()}`
  log(`ingest on PostgreSQL (schema ${schema})`)
  try {
    postgres = child('ingest.ts', 'postgres', file, schema)
    log(JSON.stringify(postgres))
    log(`TAXII reads on PostgreSQL: ${connections} connections, ${seconds} s each`)
    taxiiPg = child('taxii.ts', `postgres:${schema}`, connections, seconds)
    log(JSON.stringify(taxiiPg))
  } finally {
    const c = new pg.Client({ connectionString: process.env.ENTENTE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' })
    await c.connect()
    await c.query(`drop schema if exists ${schema} cascade`)
    await c.end()
  }
}

log(`TAXII reads: ${connections} connections, ${seconds} s each`)
const taxii = child('taxii.ts', sqliteDir, connections, seconds)
log(JSON.stringify(taxii))

log('provenance verification on receipt (one signed checkpoint per batch of 1,000)')
const prov = child('provenance.ts', '--leaves', String(N))
log(JSON.stringify(prov))

type Run = { connections: number; p50ms: number; p90ms: number; p99ms: number; reqPerS: number; non2xx: number }
function taxiiRows(engine: string, t: Record<string, unknown>): string {
  return (t['runs'] as Run[])
    .map((r) => `| TAXII on ${engine}: GET pages of 1,000 at random cursors, ${r.connections} concurrent client${r.connections > 1 ? 's' : ''} | p50 ${r.p50ms} ms, p90 ${r.p90ms} ms, p99 ${r.p99ms} ms, ${r.reqPerS} pages/s, non-2xx ${r.non2xx} |`)
    .join('\n')
}

const ratio = Number(sqlite.objectsPerS) / Number(raw.rowsPerS)
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
const table = `
Machine: ${machine}. Data: ${N.toLocaleString('en')} objects (${(Number(sqlite.bytes) / 2 ** 20).toFixed(0)} MiB bundle).

| measure | figure |
| --- | --- |
| SQLite ingest (parse, validate, canonicalise, hash, store; streamed) | ${sqlite.objectsPerS} objects/s (${Number(sqlite.importS).toFixed(1)} s) |
| SQLite raw insert of the same rows into the same tables | ${raw.rowsPerS} rows/s (${Number(raw.insertS).toFixed(1)} s) |
| ingest / raw ratio | ${(ratio * 100).toFixed(0)} % |
| SQLite ingest peak RSS | ${sqlite.peakRssMB} MB |
| well-formedness pre-scan of the file | ${Number(sqlite.prescanS).toFixed(1)} s |
| PostgreSQL ingest | ${postgres ? `${postgres.objectsPerS} objects/s (${Number(postgres.importS).toFixed(1)} s), peak RSS ${postgres.peakRssMB} MB` : 'skipped'} |
| TAXII full walk, pages of 1,000 (1 client) | ${taxii.pages} pages in ${Number(taxii.walkS).toFixed(1)} s (${taxii.walkPagesPerS} pages/s), ${taxii.objects} distinct objects |
${taxiiRows('SQLite', taxii)}
${taxiiPg ? taxiiRows('PostgreSQL', taxiiPg) : '| TAXII on PostgreSQL | skipped |'}
| provenance on receipt, batches of 1,000 of a ${N.toLocaleString('en')}-entry log (bench/provenance.ts) | random leaves ${prov.randomNode.objectsPerS} objects/s, contiguous ${prov.contiguousNode.objectsPerS} objects/s; per-object Ed25519 baseline ${prov.baseline.objectsPerS} objects/s |
`
writeFileSync(join(WORK, 'results.json'), JSON.stringify({ N, machine, sqlite, raw, postgres, taxii, taxiiPg, prov, ratio }, null, 2))
process.stdout.write(table)
