/**
 * The one egress for federation: every request to a peer or feed goes through `request`. Peers' URLs
 * and answers are hostile: http(s) only, no credentials in URLs, no redirects (a peer cannot send us
 * elsewhere), a timeout on every request, a size cap on every answer read as it streams.
 */
export const TIMEOUT_MS = 30_000
/** Largest answer read from a peer (a TAXII page of 1,000 objects, or a provenance bundle). */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024

export interface OutboundAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

export class OutboundError extends Error {
  override readonly name = 'OutboundError'
}

/** One HTTP request with the federation limits. Throws OutboundError with a one-line message. */
export async function request(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs?: number; maxBytes?: number },
): Promise<OutboundAnswer> {
  const u = new URL(url)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OutboundError(`${u.protocol} URLs are not allowed`)
  if (u.username || u.password) throw new OutboundError('credentials do not belong in a URL')
  const max = init.maxBytes ?? MAX_ANSWER_BYTES
  let res: Response
  try {
    res = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body !== undefined ? { body: init.body } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(init.timeoutMs ?? TIMEOUT_MS),
    })
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause
    throw new OutboundError(`${u.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`)
  }
  const declared = Number(res.headers.get('content-length') ?? '0')
  if (declared > max) throw new OutboundError(`${u.origin}: answer larger than ${max} bytes`)
  const chunks: Uint8Array[] = []
  let total = 0
  if (res.body) {
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        total += chunk.length
        if (total > max) throw new OutboundError(`${u.origin}: answer larger than ${max} bytes`)
        chunks.push(chunk)
      }
    } catch (e) {
      if (e instanceof OutboundError) throw e
      throw new OutboundError(`${u.origin}: ${(e as Error).message}`)
    }
  }
  return { status: res.status, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }
}

/** The reason of an error answer: problem+json `detail`, a TAXII error `description`, or the status. */
export function describeFailure(url: string, a: OutboundAnswer): string {
  let detail = ''
  try {
    const p = JSON.parse(a.text) as Record<string, unknown>
    const d = p['detail'] ?? p['description'] ?? p['title']
    if (typeof d === 'string') detail = `: ${d.slice(0, 300).replace(/\s+/g, ' ')}`
  } catch {
    /* not JSON */
  }
  return `${new URL(url).origin}${new URL(url).pathname}: HTTP ${a.status}${detail}`
}
