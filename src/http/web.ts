/**
 * The web app (web/dist, built by Vite) served by the node at `/`: every file of the build from
 * memory (read once at start, gzip-compressed once), hashed assets cached for a year, everything else
 * revalidated, a strict Content-Security-Policy, and the single-page fallback: an unknown GET path
 * that asks for HTML gets index.html, except under /api, /taxii2, /healthz and /metrics, which keep
 * their own 404 answers.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Nothing but this origin; no inline script or style, no framing, no plugins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** Paths the web app never answers: the API, TAXII and operations endpoints keep their 404s. */
const RESERVED = /^\/(api|taxii2|healthz|metrics)(\/|$|\?)/

interface WebFile {
  readonly body: Buffer
  readonly gzip: Buffer | null
  readonly type: string
  readonly etag: string
  readonly immutable: boolean
}

function walk(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else out.push(p)
  }
  return out
}

/** Reads a build directory into memory, keyed by URL path. */
export function loadWebRoot(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>()
  for (const path of walk(root)) {
    const url = `/${relative(root, path).split(sep).join('/')}`
    const body = readFileSync(path)
    const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
    const compressible = /^(text\/|application\/(json|manifest)|image\/svg)/.test(type) && body.length > 1024
    files.set(url, {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : null,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      // Vite names built assets by content hash under /assets/.
      immutable: url.startsWith('/assets/'),
    })
  }
  return files
}

function send(request: FastifyRequest, reply: FastifyReply, f: WebFile): FastifyReply {
  reply.headers(SECURITY_HEADERS)
  reply.header('content-type', f.type)
  reply.header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
  reply.header('etag', f.etag)
  reply.header('vary', 'accept-encoding')
  if (request.headers['if-none-match'] === f.etag) return reply.code(304).send()
  const gzip = f.gzip !== null && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))
  if (gzip) reply.header('content-encoding', 'gzip')
  return reply.send(gzip ? f.gzip : f.body)
}

/**
 * Registers the files of `root` as GET routes and returns the single-page fallback for the root
 * not-found handler (plugins/problem.ts `useProblems`). Without a build (`root` missing or without
 * index.html), nothing is served and the fallback declines.
 */
export function registerWebApp(app: FastifyInstance, root: string | undefined): (request: FastifyRequest, reply: FastifyReply) => boolean {
  if (root === undefined || !existsSync(join(root, 'index.html'))) return () => false
  const files = loadWebRoot(root)
  const index = files.get('/index.html') as WebFile
  for (const [url, f] of files) {
    if (RESERVED.test(url)) continue
    app.get(url, { schema: { hide: true } }, async (request, reply) => send(request, reply, f))
  }
  app.get('/', { schema: { hide: true } }, async (request, reply) => send(request, reply, index))
  return (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false
    const path = request.url
    if (RESERVED.test(path) || path.length > 2000) return false
    // Only navigations: a missing script or image stays a 404.
    if (!String(request.headers.accept ?? '').includes('text/html')) return false
    reply.code(200)
    send(request, reply, index)
    return true
  }
}
