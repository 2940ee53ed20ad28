/**
 * One ingest measurement in its own process (so peak RSS is this run's alone):
 *   node --import tsx bench/ingest.ts <sqlite|postgres> <bundle-file> <target>
 * target: a data directory (sqlite) or a PostgreSQL schema name. Prints one JSON line.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import pino from 'pino'
import { openNode } from '../src/app/create-node.js'
import { loadConfig } from '../src/config/load.js'
import { fingerprintFile, prescanBundle, readBundleBatches } from '../src/platform/import-files.js'

const [engine, file, target] = process.argv.slice(2) as [string, string, string]
const PG_URL = process.env.ENTENTE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const cfg = loadConfig({
  env: {},
  cwd: process.cwd(),
  argv: {
    db: engine === 'sqlite' ? { driver: 'sqlite', path: join(target, 'entente.db') } : { driver: 'postgres', url: PG_URL, schema: target, poolMax: 4 },
    log: { level: 'warn' },
  },
})
if (!cfg.ok) throw new Error(JSON.stringify(cfg.error))
const node = await openNode(cfg.value, { workers: true, logger: pino({ level: 'warn' }) })
const init = await node.services.admin.initNode({ orgName: 'Bench', adminUsername: 'admin', nodeName: 'bench' })
if (!init.ok) throw new Error(JSON.stringify(init.error))
const viewer = { kind: 'system' as const, name: 'bench', orgId: init.value.organisation.id }

const bytes = (await stat(file)).size
let t = performance.now()
const objects = await prescanBundle(file)
const prescanS = (performance.now() - t) / 1000
t = performance.now()
const fingerprint = await fingerprintFile(file)
const fingerprintS = (performance.now() - t) / 1000
t = performance.now()
const job = await node.services.ingest.importStream(viewer, {
  collection: 'default', source: file, fingerprint, batches: readBundleBatches(file, 2000),
})
const importS = (performance.now() - t) / 1000
if (!job.ok) throw new Error(JSON.stringify(job.error))
await node.close()
process.stdout.write(
  `${JSON.stringify({
    engine, objects, bytes, prescanS, fingerprintS, importS,
    objectsPerS: Math.round(objects / importS),
    added: job.value.added, failed: job.value.failed,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  })}\n`,
)
