/**
 * `entente correlate --all` end to end (issue 4, Performance): the correlation service's
 * `correlateAll` on a SQLite node holding N Maltrail indicators and M stored observables, with the
 * store reads, the sighting checks and the alert writes that bench/correlate.ts leaves out.
 *
 *   node --expose-gc --max-old-space-size=6144 --import tsx bench/correlate-service.ts [indicators=200000] [observables=200000] [reuse]
 *
 * The node is made in .bench/correlate-service-N-M/ (with `reuse`, the one made by an earlier run is
 * used as it is). Observables are standalone SCOs made as in bench/correlate.ts: the ThreatFox IPs,
 * Maltrail values in other spellings, and values that hit nothing. Importing them correlates them
 * (the ingest hook), so `correlateAll` finds every match already delivered: it re-reads, re-matches
 * and checks them, and adds nothing. Prints one JSON line: the summary and the seconds to the end
 * of the indicator phase and of the whole run.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createHash } from 'node:crypto'
import pino from 'pino'
import { openNode } from '../src/app/create-node.js'
import { loadConfig } from '../src/config/load.js'
import { fingerprintFile, readBundleBatches } from '../src/platform/import-files.js'
import { SHARED_DATA, generateIndicatorBundle } from './generate.js'

const INDICATORS = Number(process.argv[2] ?? 200_000)
const OBSERVABLES = Number(process.argv[3] ?? 200_000)
const REUSE = process.argv.slice(4).includes('reuse')
const bench = join(import.meta.dirname, '..', '.bench')
const dir = join(bench, `correlate-service-${INDICATORS}-${OBSERVABLES}`)
const log = (s: string) => process.stderr.write(`${s}\n`)

const uuid = (s: string): string => {
  const h = createHash('sha256').update(s).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** The value of a Maltrail pattern (as bench/correlate.ts makes observables that hit). */
function valueOf(pattern: string): { type: string; value: string } | null {
  const m = /^\[([a-z0-9-]+):value = '((?:[^'\\]|\\.)*)'\]$/.exec(pattern)
  if (m) return { type: m[1] as string, value: (m[2] as string).replace(/\\(.)/g, '$1') }
  const p = /dst_ref\.value = '([^']*)'/.exec(pattern)
  return p ? { type: 'ipv4-addr', value: p[1] as string } : null
}

async function writeObservables(indicatorBundle: string, path: string): Promise<void> {
  const patterns: string[] = []
  for await (const line of createInterface({ input: createReadStream(indicatorBundle), crlfDelay: Infinity })) {
    const i = line.indexOf('"pattern":"')
    if (i >= 0) patterns.push(JSON.parse(`"${/"pattern":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? ''}"`) as string)
  }
  const threatfox = readFileSync(join(SHARED_DATA, 'iocs', 'threatfox-ioc-ips.txt'), 'utf8').split('\n').filter((l) => l !== '')
  const values: { type: string; value: string }[] = threatfox.slice(0, Math.floor(OBSERVABLES / 10)).map((value) => ({ type: 'ipv4-addr', value }))
  for (let i = 0; values.length < OBSERVABLES; i++) {
    if (i % 2 === 0) {
      const v = valueOf(patterns[(i * 7919) % patterns.length] as string)
      if (v) values.push(v.type === 'domain-name' ? { type: v.type, value: `${v.value.toUpperCase()}.` } : v)
    } else if (i % 4 === 1) values.push({ type: 'domain-name', value: `host-${i}.not-listed.example` })
    else values.push({ type: 'ipv4-addr', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })
  }
  const out = createWriteStream(path)
  out.write(`{"type":"bundle","id":"bundle--${uuid(path)}","objects":[\n`)
  values.forEach((v, i) => out.write(`${i === 0 ? '' : ',\n'}${JSON.stringify({ type: v.type, spec_version: '2.1', id: `${v.type}--${uuid(`${i}|${v.type}|${v.value}`)}`, value: v.value })}`))
  out.write('\n]}\n')
  await new Promise<void>((r) => out.end(r))
}

if (!REUSE || !existsSync(join(dir, 'entente.db'))) await rm(dir, { recursive: true, force: true })
await mkdir(dir, { recursive: true })
const fresh = !existsSync(join(dir, 'entente.db'))
const cfg = loadConfig({ env: {}, cwd: process.cwd(), argv: { db: { driver: 'sqlite', path: join(dir, 'entente.db') }, log: { level: 'warn' } } })
if (!cfg.ok) throw new Error(JSON.stringify(cfg.error))
const node = await openNode(cfg.value, { workers: true, logger: pino({ level: 'warn' }) })
if (fresh) {
  const init = await node.services.admin.initNode({ orgName: 'Bench', adminUsername: 'admin', nodeName: 'bench' })
  if (!init.ok) throw new Error(JSON.stringify(init.error))
  const viewer = { kind: 'system' as const, name: 'bench', orgId: init.value.organisation.id }
  const indicators = await generateIndicatorBundle(INDICATORS, bench, log)
  const observables = join(dir, 'observables.json')
  await writeObservables(indicators, observables)
  for (const file of [indicators, observables]) {
    const t = performance.now()
    const job = await node.services.ingest.importStream(viewer, { collection: 'default', source: file, fingerprint: await fingerprintFile(file), batches: readBundleBatches(file, 2000) })
    if (!job.ok) throw new Error(JSON.stringify(job.error))
    log(`imported ${file}: ${job.value.added} added, ${job.value.failed} failed in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
}
;(globalThis as { gc?: () => void }).gc?.()
const started = performance.now()
let indicatorsDone = 0
const r = await node.services.correlate.correlateAll({
  onProgress: (p) => {
    if (p.phase === 'observations' && indicatorsDone === 0) indicatorsDone = performance.now() - started
  },
})
const seconds = (performance.now() - started) / 1000
if (!r.ok) throw new Error(JSON.stringify(r.error))
await node.close()
process.stdout.write(
  `${JSON.stringify({
    bench: 'correlate-service',
    indicators: INDICATORS,
    observables: OBSERVABLES,
    seconds: Number(seconds.toFixed(2)),
    indicatorPhaseSeconds: Number((indicatorsDone / 1000).toFixed(2)),
    summary: r.value,
  })}\n`,
)
