/**
 * The HTTP client for other nodes' transparency logs. Peers' answers are hostile until verified: the
 * URL must be plain http(s) without credentials, every request has a timeout, every answer a size cap,
 * and every field is checked before use.
 */
import type { RemoteEntry, RemoteLog } from '../services/deps.js'

const TIMEOUT_MS = 15_000
const MAX_BYTES = 16 * 1024 * 1024

function checkUrl(baseUrl: string): string {
  let u: URL
  try {
    u = new URL(baseUrl)
  } catch {
    throw new Error(`${JSON.stringify(baseUrl)} is not a URL`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${baseUrl}: only http and https URLs are allowed`)
  if (u.username || u.password) throw new Error(`${baseUrl}: credentials do not belong in the URL; use a token`)
  if (u.search || u.hash) throw new Error(`${baseUrl}: the URL must not have a query or fragment`)
  return u.toString().replace(/\/+$/, '')
}

async function get(url: string, token: string | undefined, accept: string): Promise<string> {
  const res = await fetch(url, {
    headers: { accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > MAX_BYTES) throw new Error(`${url}: answer larger than ${MAX_BYTES} bytes`)
  if (!res.body) throw new Error(`${url}: empty answer`)
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.length
    if (total > MAX_BYTES) throw new Error(`${url}: answer larger than ${MAX_BYTES} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (!res.ok) {
    let detail = ''
    try {
      const p = JSON.parse(text) as { detail?: unknown }
      if (typeof p.detail === 'string') detail = `: ${p.detail.slice(0, 300)}`
    } catch {
      /* not problem+json */
    }
    throw new Error(`${url}: HTTP ${res.status}${detail}`)
  }
  return text
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

function json(text: string, url: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new Error(`${url}: answer is not JSON`)
  }
  if (!isRecord(v)) throw new Error(`${url}: answer is not a JSON object`)
  return v
}

function b64(v: unknown, what: string, bytes?: number): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new Error(`${what} is not base64`)
  const out = Uint8Array.from(Buffer.from(v, 'base64'))
  if (bytes !== undefined && out.length !== bytes) throw new Error(`${what} is not ${bytes} bytes`)
  return out
}

const index = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${what} is not a non-negative integer`)
  return v
}

export function httpRemoteLog(baseUrl: string, token?: string): RemoteLog {
  const base = `${checkUrl(baseUrl)}/api/v1/log`
  return {
    url: base,
    checkpoint: () => get(`${base}/checkpoint`, token, 'text/plain'),
    async checkpoints(after, limit) {
      const url = `${base}/checkpoints?after=${after}&limit=${limit}`
      const v = json(await get(url, token, 'application/json'), url)
      if (!Array.isArray(v['items'])) throw new Error(`${url}: no items`)
      const items = v['items'].map((it: unknown, i) => {
        if (!isRecord(it) || typeof it['checkpoint'] !== 'string') throw new Error(`${url}: item ${i} has no checkpoint`)
        return { seq: index(it['seq'], `${url}: item ${i} seq`), note: it['checkpoint'] }
      })
      return { items, next: v['next'] === null || v['next'] === undefined ? null : index(v['next'], `${url}: next`) }
    },
    async consistency(first, second) {
      const url = `${base}/get-sth-consistency?first=${first}&second=${second}`
      const v = json(await get(url, token, 'application/json'), url)
      const list = v['consistency']
      if (!Array.isArray(list) || list.length > 128) throw new Error(`${url}: no consistency proof`)
      return list.map((h, i) => b64(h, `${url}: hash ${i}`, 32))
    },
    async entries(start, end) {
      const url = `${base}/get-entries?start=${start}&end=${end}`
      const v = json(await get(url, token, 'application/json'), url)
      const list = v['entries']
      if (!Array.isArray(list)) throw new Error(`${url}: no entries`)
      return list.map((e: unknown, i): RemoteEntry => {
        if (!isRecord(e)) throw new Error(`${url}: entry ${i} is not an object`)
        const at = index(e['index'], `${url}: entry ${i} index`)
        if (typeof e['leaf_input'] === 'string') return { index: at, leafInput: b64(e['leaf_input'], `${url}: entry ${at} leaf_input`) }
        return { index: at, leafHash: b64(e['leaf_hash'], `${url}: entry ${at} leaf_hash`, 32) }
      })
    },
  }
}
