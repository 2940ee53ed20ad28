/**
 * TAXII read latency: serves a node whose default collection holds the benchmark objects, walks every
 * page of 1,000 once (sequential), then runs autocannon with concurrent clients fetching pages of 1,000
 * at cursors spread over the whole collection.
 *   node --import tsx bench/taxii.ts <data-dir | postgres:SCHEMA> [connections, comma-separated: 1,8] [seconds]
 */
import { join } from 'node:path'
import autocannon from 'autocannon'
import pino from 'pino'
import { openNode, serveNode } from '../src/app/create-node.js'
import { loadConfig } from '../src/config/load.js'

const [dir, connArg, secArg] = process.argv.slice(2) as [string, string?, string?]
const connectionSets = (connArg ?? '1,8').split(',').map(Number)
const duration = Number(secArg ?? 20)
const PG_URL = process.env.ENTENTE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const db = dir.startsWith('postgres:')
  ? { driver: 'postgres', url: PG_URL, schema: dir.slice('postgres:'.length), poolMax: 10 }
  : { driver: 'sqlite', path: join(dir, 'entente.db') }
const cfg = loadConfig({ env: {}, cwd: process.cwd(), argv: { db, http: { port: 0 }, log: { level: 'warn' } } })
if (!cfg.ok) throw new Error(JSON.stringify(cfg.error))
const node = await openNode(cfg.value, { logger: pino({ level: 'warn' }) })
const admin = await node.store.users.getByUsername('admin')
if (!admin) throw new Error('no admin user: run the ingest benchmark first')
const tok = await node.services.admin.createToken({ kind: 'system', name: 'bench', orgId: admin.orgId }, { userId: admin.id, name: `bench ${Date.now()}` })
if (!tok.ok) throw new Error('token')
const server = await serveNode(node)
const headers = { authorization: `Bearer ${tok.value.secret}`, accept: 'application/taxii+json;version=2.1' }
const base = '/taxii2/api/collections/default/objects/?limit=1000'

// Sequential walk of every page: correctness (no object twice) and total time.
const paths: string[] = [base]
const seen = new Set<string>()
let next: string | undefined
let pages = 0
const t0 = performance.now()
do {
  const res = await fetch(`${server.url}${base}${next ? `&next=${encodeURIComponent(next)}` : ''}`, { headers })
  if (res.status !== 200) throw new Error(`walk: HTTP ${res.status} ${await res.text()}`)
  const body = (await res.json()) as { more: boolean; next?: string; objects: { id: string }[] }
  for (const o of body.objects) seen.add(o.id)
  pages++
  next = body.more ? body.next : undefined
  if (next && pages % 10 === 0) paths.push(`${base}&next=${encodeURIComponent(next)}`)
} while (next)
const walkS = (performance.now() - t0) / 1000

const runs = []
for (const connections of connectionSets) {
  const result = await autocannon({
    url: server.url, connections, duration, headers,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] ?? base }) }],
  })
  runs.push({
    connections, requests: result.requests.total, reqPerS: result.requests.average,
    p50ms: result.latency.p50, p90ms: result.latency.p90, p99ms: result.latency.p99, maxMs: result.latency.max,
    non2xx: result.non2xx, errors: result.errors,
  })
}
await server.close()
await node.close()
process.stdout.write(`${JSON.stringify({ objects: seen.size, pages, walkS, walkPagesPerS: Math.round(pages / walkS), duration, runs })}\n`)
