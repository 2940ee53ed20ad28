/**
 * HTTP test helpers: an app built over a real test node (test/node.ts) and a small TAXII/REST client
 * on top of `app.inject`. Also a spool for REST import jobs that keeps uploads in a temp directory.
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp, type HttpOptions, type ImportFiles } from '../src/http/app.js'
import type { Clock } from '../src/services/deps.js'
import type { Dialect } from './db.js'
import { createTestNode, silentLogger, type TestNode } from './node.js'

export const TAXII = 'application/taxii+json;version=2.1'

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  nodeName: 'test-node',
  baseUrl: 'https://node.example.test',
  bodyLimit: 10 * 1024 * 1024,
  taxii: { defaultPageSize: 1000, maxPageSize: 10_000, statusRetentionHours: 24 },
  metrics: false,
  trustProxy: false,
}

/** A spool for REST import uploads: files in a temp directory, read back whole (tests use small bundles). */
export function testImportFiles(): ImportFiles & { dir: string } {
  const dir = join(tmpdir(), `entente-http-test-${process.pid}-${randomUUID().slice(0, 8)}`)
  return {
    dir,
    async spool(body) {
      await mkdir(dir, { recursive: true })
      const chunks: Buffer[] = []
      for await (const c of body) chunks.push(Buffer.from(c))
      const data = Buffer.concat(chunks)
      const path = join(dir, `${randomUUID()}.upload`)
      await writeFile(path, data)
      return { path, fingerprint: createHash('sha256').update(data).digest('hex'), bytes: data.length }
    },
    async *read(path) {
      let data = await readFile(path)
      if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data)
      const bundle = JSON.parse(data.toString('utf8')) as { objects?: unknown[] }
      if (!Array.isArray(bundle.objects)) throw new Error('not a STIX bundle: no objects array')
      const all = bundle.objects.map((o, index) => ({ index, text: JSON.stringify(o) }))
      for (let i = 0; i < all.length; i += 500) yield all.slice(i, i + 500)
    },
    async remove(path) {
      await rm(path, { force: true })
    },
  }
}

export interface HttpTestNode extends TestNode {
  readonly app: FastifyInstance
  readonly imports: ImportFiles & { dir: string }
}

/** A test node with an app over it. `close()` closes both. */
export async function createHttpTestNode(
  dialect: Dialect,
  opts: { options?: Partial<HttpOptions>; clock?: Clock } = {},
): Promise<HttpTestNode> {
  const node = await createTestNode(dialect, opts.clock ? { clock: opts.clock } : {})
  const imports = testImportFiles()
  const app = await buildApp({ services: node.services, logger: silentLogger, options: { ...DEFAULT_HTTP_OPTIONS, imports, ...opts.options } })
  await app.ready()
  return {
    ...node,
    app,
    imports,
    async close() {
      await app.close()
      await node.close()
      await rm(imports.dir, { recursive: true, force: true })
    },
  }
}

export interface RequestOptions {
  /** Bearer token. */
  token?: string
  /** Basic credentials (user name, token). */
  basic?: [string, string]
  /** Raw Authorization header. */
  authorization?: string
  body?: unknown
  /** Accept header; `null` sends none. Default: the TAXII media type. */
  accept?: string | null
  /** Content-Type; default the TAXII media type when there is a body. */
  contentType?: string
  headers?: Record<string, string>
  query?: Record<string, string>
}

function authHeader(o: RequestOptions): Record<string, string> {
  if (o.authorization !== undefined) return { authorization: o.authorization }
  if (o.token !== undefined) return { authorization: `Bearer ${o.token}` }
  if (o.basic !== undefined) return { authorization: `Basic ${Buffer.from(`${o.basic[0]}:${o.basic[1]}`).toString('base64')}` }
  return {}
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'

function withQuery(url: string, query?: Record<string, string>): string {
  if (!query) return url
  const qs = new URLSearchParams(query).toString()
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url
}

/** A TAXII request: TAXII Accept and Content-Type unless told otherwise. */
export function taxii(app: FastifyInstance, method: Method, url: string, o: RequestOptions = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...authHeader(o), ...o.headers }
  const accept = o.accept === undefined ? TAXII : o.accept
  if (accept !== null) headers['accept'] = accept
  let payload: string | Buffer | undefined
  if (o.body !== undefined) {
    payload = typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body)
    headers['content-type'] = o.contentType ?? TAXII
  }
  return app.inject({ method, url: withQuery(url, o.query), headers, ...(payload !== undefined ? { payload } : {}) })
}

/** A REST request: JSON in and out unless told otherwise. */
export function api(app: FastifyInstance, method: Method, url: string, o: RequestOptions = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...authHeader(o), ...o.headers }
  if (o.accept !== undefined && o.accept !== null) headers['accept'] = o.accept
  let payload: string | Buffer | undefined
  if (o.body !== undefined) {
    payload = typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body)
    headers['content-type'] = o.contentType ?? 'application/json'
  }
  return app.inject({ method, url: withQuery(url, o.query), headers, ...(payload !== undefined ? { payload } : {}) })
}

/** The JSON body of a response. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T
}

/** A STIX sample bundle's objects from ../shared/data/stix-samples. */
export async function sampleObjects(relative: string): Promise<Record<string, unknown>[]> {
  const { SHARED_DATA } = await import('./data.js')
  const text = await readFile(join(SHARED_DATA, 'stix-samples', relative), 'utf8')
  return (JSON.parse(text) as { objects: Record<string, unknown>[] }).objects
}
