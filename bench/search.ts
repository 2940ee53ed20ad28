/**
 * The explorer's search at scale: N indicators (generated from the Maltrail trails, as the ingest
 * benchmark does) stored in one collection, then REST-shaped search pages timed through the store
 * (the same SearchStore calls the /api/v1/collections/{id}/search route makes):
 *   node --import tsx bench/search.ts [N=1000000] [sqlite|postgres] [--reuse]
 * Prints one JSON line: p50/p95 milliseconds per page for each kind of query.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openStore } from '../src/store/kysely/open.js'
import type { NewObjectVersion, SearchQuery, Store } from '../src/store/port.js'
import { EXPLORE_LIMITS } from '../src/services/explore/explore.js'
import { generateIndicatorBundle } from './generate.js'

const N = Number(process.argv[2] ?? 1_000_000)
const engine = (process.argv[3] ?? 'sqlite') as 'sqlite' | 'postgres'
const WORK = join(process.cwd(), '.bench')
const log = (s: string) => process.stderr.write(`[search] ${s}\n`)
const AMBER = 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421'

/** Streams the objects of the generated bundle (one object per line after the header, as generate.ts writes it). */
async function* objects(file: string): AsyncGenerator<Record<string, unknown>> {
  let buf = ''
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    buf += chunk
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim().replace(/,$/, '')
      buf = buf.slice(i + 1)
      if (line.startsWith('{"type":"indicator"') || line.startsWith('{"id":"indicator')) yield JSON.parse(line) as Record<string, unknown>
    }
  }
}

function version(o: Record<string, unknown>, n: number): NewObjectVersion {
  // One object in ten carries TLP:AMBER, so the marking filter has something to find.
  const obj = n % 10 === 0 ? { ...o, object_marking_refs: [AMBER] } : o
  const json = JSON.stringify(obj)
  const stamp = String(o.modified ?? '2026-01-01T00:00:00.000Z').replace(/Z$/, '').padEnd(26, '0').slice(0, 26) + 'Z'
  return {
    stixId: String(o.id), type: 'indicator', specVersion: '2.1', created: stamp, modified: stamp, versionKey: stamp, revoked: false,
    createdByRef: typeof o.created_by_ref === 'string' ? o.created_by_ref : null, contentHash: createHash('sha256').update(json).digest(), json,
  }
}

async function fill(store: Store, file: string): Promise<string> {
  const collectionId = randomUUID()
  const r = await store.collections.create({ id: collectionId, title: 'bench', description: null, alias: null, mediaTypes: [], createdAt: '2026-01-01T00:00:00.000000Z' })
  if (!r.ok) throw new Error(JSON.stringify(r.error))
  let batch: NewObjectVersion[] = []
  let n = 0
  const t0 = performance.now()
  const flush = async () => {
    const at = new Date(Date.UTC(2026, 0, 1) + n * 10).toISOString().replace('Z', '000Z')
    await store.transaction(async (tx) => ({ ok: true as const, value: await tx.objects.putVersions(collectionId, batch, at) }))
    batch = []
  }
  for await (const o of objects(file)) {
    batch.push(version(o, n++))
    if (batch.length === 5000) await flush()
    if (n % 100_000 === 0) log(`${n} stored (${Math.round(n / ((performance.now() - t0) / 1000))}/s)`)
    if (n >= N) break
  }
  if (batch.length) await flush()
  await store.refreshStatistics()
  log(`${n} objects in ${Math.round((performance.now() - t0) / 1000)} s`)
  return collectionId
}

async function time(store: Store, label: string, q: Omit<SearchQuery, 'limit' | 'scanLimit'>, runs = 20) {
  const ms: number[] = []
  let items = 0
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    const p = await store.search.objects({ ...q, limit: 50, scanLimit: EXPLORE_LIMITS.scanLimit })
    ms.push(performance.now() - t)
    items = p.items.length
  }
  ms.sort((a, b) => a - b)
  const r = { p50: Number((ms[Math.floor(runs / 2)] ?? 0).toFixed(1)), p95: Number((ms[Math.floor(runs * 0.95)] ?? 0).toFixed(1)), items }
  log(`${label}: ${JSON.stringify(r)}`)
  return [label, r] as const
}

const reuse = process.argv.includes('--reuse')
const file = await generateIndicatorBundle(N, WORK, log)
const dir = join(WORK, `search-${N}`)
if (!reuse) rmSync(dir, { recursive: true, force: true })
await mkdir(dir, { recursive: true })
const store =
  engine === 'sqlite'
    ? await openStore({ driver: 'sqlite', path: join(dir, 'entente.db'), synchronous: 'NORMAL' })
    : await openStore({ driver: 'postgres', url: process.env.ENTENTE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema: `bench_search_${process.pid}` })
await store.migrate()
// --reuse (SQLite): measure again on the database a previous run filled.
const existing = reuse ? (await store.collections.list()).find((c) => c.title === 'bench') : undefined
const collectionId = existing ? existing.id : await fill(store, file)
const middle = await store.search.objects({ collectionId, limit: 1, scanLimit: Math.floor(N / 2) })
const results = Object.fromEntries([
  await time(store, 'first page, no filter', { collectionId }),
  await time(store, 'first page, type=indicator', { collectionId, types: ['indicator'] }),
  await time(store, 'deep page (cursor at the middle)', { collectionId, ...(middle.next ? { before: middle.next } : {}) }),
  await time(store, 'marking TLP:AMBER (1 in 10)', { collectionId, marking: AMBER }),
  await time(store, 'text, rare (scan-bounded)', { collectionId, text: 'no-such-text-anywhere' }),
  await time(store, 'type with no match (index only)', { collectionId, types: ['malware'] }),
])
await store.close()
process.stdout.write(`${JSON.stringify({ engine, objects: N, scanLimit: EXPLORE_LIMITS.scanLimit, results })}\n`)
