/**
 * Transparency log benchmarks, each in its own process:
 *   node --import tsx bench/translog.ts append <dir> <entries> [batch]   append rate on SQLite, then
 *                                                                        inclusion / consistency proof latency
 *   node --import tsx bench/translog.ts verify <sqlite-dir>              `entente log verify` on an ingested node
 * Prints one JSON line.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { openNode } from '../src/app/create-node.js'
import { loadConfig } from '../src/config/load.js'
import { storedTimestampFromMs } from '../src/core/stix/time.js'
import { ENTRY_VERSION, entryText, type LogEntry } from '../src/core/translog/entry.js'
import { verifyConsistency, verifyInclusion } from '../src/core/translog/merkle.js'
import { nodeHasher } from '../src/platform/crypto.js'
import { openStore } from '../src/store/kysely/open.js'
import type { LogAppend } from '../src/store/port.js'
import { makeLogService } from '../src/services/log/log.js'
import { ed25519Verify } from '../src/platform/signing.js'

const [mode, dir, nArg, batchArg] = process.argv.slice(2) as [string, string, string | undefined, string | undefined]
const log = (s: string) => process.stderr.write(`[translog] ${s}\n`)
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d

if (mode === 'append') {
  const N = Number(nArg ?? '1000000')
  const batch = Number(batchArg ?? '10000')
  mkdirSync(dir, { recursive: true })
  const store = await openStore({ driver: 'sqlite', path: join(dir, 'log.db') })
  await store.migrate()
  const collection = randomUUID()
  const org = randomUUID()
  const at = storedTimestampFromMs(Date.now())
  // Realistic object.added entries (about 330 bytes, like an ingest's).
  const make = (i: number): LogAppend => {
    const e: LogEntry = {
      v: ENTRY_VERSION, kind: 'object.added', at, by: { org, user: org }, collection,
      object: { id: `indicator--${randomUUID()}`, type: 'indicator', version: at, sha256: Buffer.from(nodeHasher.sha256(String(i))).toString('hex') },
    }
    return { kind: e.kind, at, text: entryText(e), collectionId: collection, objectSeq: i + 1 }
  }
  let appended = 0
  let appendS = 0
  const started = performance.now()
  while (appended < N) {
    const rows = Array.from({ length: Math.min(batch, N - appended) }, (_, j) => make(appended + j))
    const t = performance.now()
    const r = await store.transaction(async (tx) => ({ ok: true as const, value: await tx.log.append(rows, nodeHasher) }))
    appendS += (performance.now() - t) / 1000
    if (!r.ok) throw new Error('append failed')
    appended += rows.length
    if (appended % 1_000_000 === 0) log(`${appended} appended, ${Math.round(appended / appendS)} entries/s in append transactions`)
  }
  const wallS = (performance.now() - started) / 1000
  const head = await store.log.head()
  const service = makeLogService({ store, clock: { nowMs: () => Date.now() }, verify: ed25519Verify, logger: pino({ level: 'silent' }) as never, hasher: nodeHasher })
  // Inclusion proofs for random leaves of the whole tree, checked against the head.
  const inclusionMs: number[] = []
  for (let i = 0; i < 2000; i++) {
    const index = Math.floor(Math.random() * head.size)
    const leaf = (await store.log.entries(index, index + 1))[0]!.leafHash
    const t = performance.now()
    const proof = await service.inclusion(index, head.size)
    inclusionMs.push(performance.now() - t)
    if (!verifyInclusion(index, head.size, leaf, proof, head.root).ok) throw new Error(`bad proof for ${index}`)
  }
  const consistencyMs: number[] = []
  for (let i = 0; i < 500; i++) {
    const m = 1 + Math.floor(Math.random() * (head.size - 1))
    const t = performance.now()
    const proof = await service.consistency(m, head.size)
    consistencyMs.push(performance.now() - t)
    if (!proof.ok) throw new Error('consistency failed')
    void verifyConsistency
  }
  await store.close()
  process.stdout.write(
    `${JSON.stringify({
      mode, entries: N, batch, appendEntriesPerS: Math.round(N / appendS), wallEntriesPerS: Math.round(N / wallS),
      inclusionP50Ms: round(quantile(inclusionMs, 0.5)), inclusionP99Ms: round(quantile(inclusionMs, 0.99)),
      consistencyP50Ms: round(quantile(consistencyMs, 0.5)), consistencyP99Ms: round(quantile(consistencyMs, 0.99)),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  )
} else if (mode === 'verify') {
  const cfg = loadConfig({ env: {}, cwd: process.cwd(), argv: { db: { driver: 'sqlite', path: join(dir, 'entente.db') }, log: { level: 'warn' } } })
  if (!cfg.ok) throw new Error(JSON.stringify(cfg.error))
  const node = await openNode(cfg.value, { logger: pino({ level: 'warn' }) })
  const t = performance.now()
  const report = await node.services.verifyLog()
  const verifyS = (performance.now() - t) / 1000
  await node.close()
  if (!report.ok) log(JSON.stringify(report.problems.slice(0, 5)))
  process.stdout.write(
    `${JSON.stringify({ mode, entries: report.entries, ok: report.ok, problems: report.problemCount, verifyS: round(verifyS, 2), entriesPerS: Math.round(report.entries / verifyS), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  )
} else {
  process.stderr.write('usage: translog.ts append <dir> <entries> [batch] | verify <sqlite-dir>\n')
  process.exit(64)
}
