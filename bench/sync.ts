/**
 * Federation sync benchmark: two real `entente serve` processes on loopback (SQLite), N Maltrail
 * indicators marked TLP:GREEN imported on node A, peered with B through the CLI (invitation,
 * fingerprints), then timed through the REST API:
 *   1. A publishes its per-peer collection for B (policy + one log entry per version);
 *   2. B pulls it: TAXII pages of 1,000, provenance fetched and verified with A's pinned key for every
 *      object, witnessing of A's checkpoint, ingest (validate, canonicalise, store, log) with the cursor
 *      advanced in each batch's transaction;
 *   3. B syncs again with nothing new (median of 20), whatever the collection size.
 *   node --import tsx bench/sync.ts [--objects 100000]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { generateIndicatorBundle } from './generate.js'

const here = dirname(fileURLToPath(import.meta.url))
const BIN = join(here, '..', 'bin', 'entente.js')
const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? (process.argv[i + 1] ?? def) : def
}
const N = Number(arg('objects', '100000'))
/** `--cpu-prof DIR`: the two servers write V8 CPU profiles there when they stop. */
const PROF = arg('cpu-prof', '')
const log = (s: string) => process.stderr.write(`${s}\n`)
/** CPU seconds (user + system, every thread) a child process has used so far, from /proc (Linux). */
/** CPU seconds of the main thread and of the other threads (by `comm` name, summed) of a child process, from /proc (Linux). */
function threadCpu(child: ChildProcess | undefined): Map<string, number> {
  const out = new Map<string, number>()
  if (!child?.pid) return out
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const name = tid === String(child.pid) ? 'main' : `other ${comm}`
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100)
    } catch {
      // the thread ended
    }
  }
  return out
}
const threadDelta = (a: Map<string, number>, b: Map<string, number>, n: number) =>
  Object.fromEntries([...b].map(([k, v]) => [k, Math.round(((v - (a.get(k) ?? 0)) * 1e6) / n)]).filter(([, v]) => Number(v) > 0))
function cpuSeconds(child: ChildProcess | undefined): number {
  if (!child?.pid) return NaN
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return NaN
  }
}

async function greenBundle(n: number): Promise<string> {
  const dir = join(here, '..', '.bench')
  const src = await generateIndicatorBundle(n, dir, log)
  const out = join(dir, `maltrail-green-${n}.json`)
  if (existsSync(out)) return out
  const w = createWriteStream(`${out}.tmp`)
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    w.write(line.startsWith('{"type":"indicator"') ? `{"object_marking_refs":["${GREEN}"],${line.slice(1)}\n` : `${line}\n`)
  }
  await new Promise((r) => w.end(r))
  const { renameSync } = await import('node:fs')
  renameSync(`${out}.tmp`, out)
  return out
}

interface Node {
  name: string
  data: string
  port: number
  url: string
  token: string
  server?: ChildProcess
}

const env = (n: Node) => ({ ...process.env, ENTENTE_HTTP__PORT: String(n.port), ENTENTE_NODE__NAME: n.name, ENTENTE_FEDERATION__ENABLED: 'false', ENTENTE_LOG__LEVEL: 'warn' })

function cli(n: Node, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [BIN, ...args, '--data', n.data, '--json'], { env: env(n), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`entente ${args.join(' ')}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

async function serve(n: Node): Promise<void> {
  const prof = PROF === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', PROF]
  n.server = spawn(process.execPath, [...prof, BIN, 'serve', '--data', n.data], { env: env(n), stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    n.server?.stderr?.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('listening on')) resolve()
    })
    n.server?.once('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)))
  })
}

/** POST over node:http: a pull of a million objects answers after minutes, past fetch's 300 s header timeout. */
async function post(n: Node, path: string): Promise<{ ms: number; body: Record<string, unknown> }> {
  const t = performance.now()
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(`${n.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${n.token}`, accept: 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  const body = JSON.parse(text) as Record<string, unknown>
  const ms = performance.now() - t
  if (status !== 200) throw new Error(`${path}: ${status} ${text}`)
  return { ms, body }
}

const dir = mkdtempSync(join(tmpdir(), 'entente-bench-sync-'))
const port = 24000 + (process.pid % 1000) * 2
const a: Node = { name: 'Country A', data: join(dir, 'a'), port, url: `http://127.0.0.1:${port}`, token: '' }
const b: Node = { name: 'Country B', data: join(dir, 'b'), port: port + 1, url: `http://127.0.0.1:${port + 1}`, token: '' }
try {
  const file = await greenBundle(N)
  for (const n of [a, b]) n.token = ((cli(n, ['init']) as { token: { secret: string } }).token).secret
  log(`importing ${N} objects into A …`)
  let t = performance.now()
  cli(a, ['import', file])
  const importS = (performance.now() - t) / 1000
  for (const n of [a, b]) await serve(n)
  const inv = cli(a, ['peer', 'invite', '--name', 'b']) as { invitation: string; fingerprint: string }
  const bFp = (cli(b, ['peer', 'invite']) as { fingerprint: string }).fingerprint
  cli(b, ['peer', 'accept', inv.invitation, '--name', 'a'])
  cli(a, ['peer', 'approve', 'b', '--fingerprint', bFp])
  cli(b, ['peer', 'approve', 'a', '--fingerprint', inv.fingerprint])
  // What leaves A is decided under an agreement: A proposes one (up to GREEN, no onward sharing), B accepts.
  const agreement = (cli(a, ['agreement', 'propose', '--peer', 'b', '--purpose', 'sync benchmark', '--max-tlp', 'green', '--onward', 'no']) as { agreement: { id: string } }).agreement.id
  const hand = (from: Node, to: Node) => {
    const file = join(dir, `${agreement}.json`)
    const r = spawnSync(process.execPath, [BIN, 'agreement', 'export', agreement, '--data', from.data], { env: env(from), encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`agreement export: ${r.stderr}`)
    writeFileSync(file, r.stdout)
    cli(to, ['agreement', 'import', file])
  }
  hand(a, b)
  cli(b, ['agreement', 'accept', agreement])
  hand(b, a)
  log('A publishes the per-peer collection for B …')
  const pub = await post(a, '/api/v1/peers/b/sync')
  log(`B pulls with provenance verified …`)
  t = performance.now()
  const cpu0 = [cpuSeconds(a.server), cpuSeconds(b.server)]
  const threads0 = [threadCpu(a.server), threadCpu(b.server)]
  const pullFrom = process.hrtime.bigint() / 1000n
  const pull = await post(b, '/api/v1/peers/a/sync')
  // The pull's window on the monotonic clock V8's CPU profiles use (µs), to cut profiles to it.
  if (PROF !== '') log(`pull window (monotonic µs): ${pullFrom} ${process.hrtime.bigint() / 1000n}`)
  const pullS = (performance.now() - t) / 1000
  const cpu1 = [cpuSeconds(a.server), cpuSeconds(b.server)]
  const threads1 = [threadCpu(a.server), threadCpu(b.server)]
  const received = Number(pull.body['received'])
  // The bundle is N objects: one (unmarked, so never shared) identity and N − 1 GREEN indicators.
  if (received !== N - 1 || pull.body['rejected'] !== 0) throw new Error(`B received ${received} of ${N - 1}, rejected ${String(pull.body['rejected'])}`)
  const idle: number[] = []
  for (let i = 0; i < 20; i++) idle.push((await post(b, '/api/v1/peers/a/sync')).ms)
  idle.sort((x, y) => x - y)
  const results = {
    objects: N,
    importSeconds: Number(importS.toFixed(1)),
    publish: { seconds: Number((pub.ms / 1000).toFixed(1)), versions: pub.body['published'], perSecond: Math.round(Number(pub.body['published']) / (pub.ms / 1000)) },
    pull: { seconds: Number(pullS.toFixed(1)), received, rejected: pull.body['rejected'], pages: pull.body['pages'], perSecond: Math.round(received / pullS) },
    // CPU time per object received, every thread of each server (the load-independent figure: at
    // 20,000 objects/s on 2 cores, A and B together have 100 µs per object).
    cpuMicrosPerObject: { servingA: Math.round(((cpu1[0]! - cpu0[0]!) * 1e6) / received), pullingB: Math.round(((cpu1[1]! - cpu0[1]!) * 1e6) / received) },
    cpuMicrosPerObjectByThread: { servingA: threadDelta(threads0[0]!, threads1[0]!, received), pullingB: threadDelta(threads0[1]!, threads1[1]!, received) },
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    nothingNewMs: { p50: Number(idle[10]!.toFixed(1)), max: Number(idle[19]!.toFixed(1)) },
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
} finally {
  const exits = [a, b].map((n) => (n.server && n.server.exitCode === null ? new Promise((r) => n.server?.once('exit', r)) : Promise.resolve()))
  for (const n of [a, b]) n.server?.kill('SIGTERM')
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, PROF === '' ? 500 : 30_000))])
  rmSync(dir, { recursive: true, force: true })
}
