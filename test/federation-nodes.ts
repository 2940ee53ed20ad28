/**
 * Real `entente serve` processes on loopback ports for federation tests: start, stop, run CLI
 * commands against a node's data, peer two nodes (fingerprints compared), sign an agreement between
 * two peers with the agreement CLI (propose, export, import, accept, export back, import).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'

export const BIN = join(import.meta.dirname, '..', 'bin', 'entente.js')
export const TAXII = 'application/taxii+json;version=2.1'

export interface TestNode {
  readonly name: string
  data: string
  readonly port: number
  readonly url: string
  token: string
  server: ChildProcess | null
}

export function testNode(name: string, port: number): TestNode {
  return { name, data: '', port, url: `http://127.0.0.1:${port}`, token: '', server: null }
}

export function nodeEnv(n: TestNode, extra: Record<string, string> = {}) {
  return { ...process.env, ENTENTE_HTTP__PORT: String(n.port), ENTENTE_NODE__NAME: n.name, ENTENTE_FEDERATION__ENABLED: 'false', ...extra }
}

export function run(n: TestNode, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data', n.data], { env: nodeEnv(n) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(n: TestNode, args: string[]): Promise<any> {
  const r = await run(n, [...args, '--json'])
  if (r.code !== 0) throw new Error(`entente ${args.join(' ')} → ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

export async function serve(n: TestNode, extraEnv: Record<string, string> = {}): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data', n.data], { env: nodeEnv(n, extraEnv), stdio: ['ignore', 'pipe', 'pipe'] })
  n.server = child
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000)
    const on = (d: Buffer) => {
      if (process.env['ENTENTE_TEST_SERVE_LOG']) process.stderr.write(d)
      out += d.toString()
      if (/listening on http/.test(out)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stderr?.on('data', on)
    child.stdout?.on('data', on)
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)))
  })
}

export async function stop(n: TestNode): Promise<void> {
  const s = n.server
  if (!s || s.exitCode !== null) return
  const gone = new Promise((r) => s.once('exit', r))
  s.kill('SIGTERM')
  await gone
  n.server = null
}

/** Peers x and y (x invites), both administrators approving the other's fingerprint. */
export async function peer(x: TestNode, y: TestNode, yOnX: string, xOnY: string): Promise<void> {
  const inv = await json(x, ['peer', 'invite', '--name', yOnX])
  const yOwn = (await json(y, ['peer', 'invite'])).fingerprint as string
  await json(y, ['peer', 'accept', inv.invitation, '--name', xOnY])
  await json(x, ['peer', 'approve', yOnX, '--fingerprint', yOwn])
  await json(y, ['peer', 'approve', xOnY, '--fingerprint', inv.fingerprint])
}

/** Hands the latest signed version of an agreement from one node to the other (export → import). */
export async function hand(from: TestNode, to: TestNode, id: string, dir: string): Promise<void> {
  const r = await run(from, ['agreement', 'export', id])
  if (r.code !== 0) throw new Error(`export: ${r.stderr}`)
  const file = join(dir, `${id}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, r.stdout)
  await json(to, ['agreement', 'import', file])
}

/** An active agreement between x and y (x proposes with `terms`, y accepts); returns its id. */
export async function agree(x: TestNode, y: TestNode, yOnX: string, dir: string, terms: string[]): Promise<string> {
  const proposed = await json(x, ['agreement', 'propose', '--peer', yOnX, '--purpose', 'election security exchange (test)', ...terms])
  const id = proposed.agreement.id as string
  await hand(x, y, id, dir)
  const accepted = await json(y, ['agreement', 'accept', id])
  if (accepted.status.status !== 'active') throw new Error(`agreement ${id} is ${accepted.status.status}: ${accepted.status.reason}`)
  await hand(y, x, id, dir)
  return id
}

export async function taxiiGet(url: string, token: string) {
  const res = await fetch(url, { headers: { accept: TAXII, authorization: `Bearer ${token}` } })
  return { status: res.status, body: (await res.json()) as { objects?: { id: string }[]; more?: boolean; next?: string } }
}

export async function addObjects(n: TestNode, objects: unknown[]): Promise<void> {
  const res = await fetch(`${n.url}/taxii2/api/collections/default/objects/`, {
    method: 'POST',
    headers: { accept: TAXII, 'content-type': TAXII, authorization: `Bearer ${n.token}` },
    body: JSON.stringify({ objects }),
  })
  const status = (await res.json()) as { failure_count: number; failures?: unknown[] }
  if (res.status !== 202 || status.failure_count !== 0) throw new Error(`add objects: ${res.status} ${JSON.stringify(status).slice(0, 500)}`)
}

/** Every object id in a collection, paging with next. */
export async function collectionIds(n: TestNode, collection: string, token = n.token): Promise<string[]> {
  const ids: string[] = []
  let next: string | undefined
  for (;;) {
    const q = new URLSearchParams({ limit: '1000', ...(next ? { next } : {}) })
    const r = await taxiiGet(`${n.url}/taxii2/api/collections/${collection}/objects/?${q}`, token)
    if (r.status !== 200) throw new Error(`read ${collection}: ${r.status}`)
    ids.push(...(r.body.objects ?? []).map((o) => o.id))
    if (!r.body.more || !r.body.next) return ids
    next = r.body.next
  }
}

/** The token `from` holds to read its per-peer collection on the peer named `peerName`, and that collection. */
export function peerToken(from: TestNode, peerName: string): { token: string; collection: string } {
  const db = new Database(join(from.data, 'entente.db'), { readonly: true })
  const row = db.prepare('select auth, remote_collection from peers where name = ?').get(peerName) as { auth: string; remote_collection: string }
  db.close()
  return { token: (JSON.parse(row.auth) as { token: string }).token, collection: row.remote_collection }
}
