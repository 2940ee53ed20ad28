/**
 * The webhook transport: one POST per attempt with node:http(s), where every URL is hostile.
 * - The host is resolved here and every address is checked (loopback, private, link-local… refused
 *   unless the node allows internal addresses); the connection goes to the checked address, so a DNS
 *   answer cannot change between the check and the connect (no rebinding).
 * - Connect and total timeouts; at most `maxResponseBytes` of the answer are read; redirects are not
 *   followed (a 3xx is a failed attempt).
 */
import { lookup } from 'node:dns/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { checkWebhookUrl, isInternalAddress } from '../core/webhook/url.js'

export interface WebhookSenderOptions {
  readonly allowInternalAddresses: boolean
  readonly connectTimeoutMs: number
  readonly totalTimeoutMs: number
  readonly maxResponseBytes: number
}

export const DEFAULT_WEBHOOK_SENDER: WebhookSenderOptions = { allowInternalAddresses: false, connectTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxResponseBytes: 64 * 1024 }

export function makeWebhookSender(opts: Partial<WebhookSenderOptions> = {}) {
  const o: WebhookSenderOptions = { ...DEFAULT_WEBHOOK_SENDER, ...opts }
  return {
    async post(rawUrl: string, headers: Readonly<Record<string, string>>, body: string): Promise<{ status: number | null; error: string | null }> {
      const checked = checkWebhookUrl(rawUrl, { allowInternal: o.allowInternalAddresses })
      if (!checked.ok) return { status: null, error: `refused: ${checked.error}` }
      const url = new URL(checked.value)
      const host = url.hostname.replace(/^\[|\]$/g, '')
      let address: string
      let family: 4 | 6
      try {
        if (isIP(host) !== 0) {
          address = host
          family = isIP(host) === 6 ? 6 : 4
        } else {
          const all = await lookup(host, { all: true, verbatim: true })
          if (all.length === 0) return { status: null, error: `refused: ${host} does not resolve` }
          if (!o.allowInternalAddresses && all.some((a) => isInternalAddress(a.address))) return { status: null, error: `refused: ${host} resolves to an internal address` }
          const first = all[0] as { address: string; family: number }
          address = first.address
          family = first.family === 6 ? 6 : 4
        }
      } catch (e) {
        return { status: null, error: `DNS: ${(e as Error).message}`.slice(0, 300) }
      }
      if (!o.allowInternalAddresses && isInternalAddress(address)) return { status: null, error: `refused: ${address} is an internal address` }
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest
      return new Promise((resolve) => {
        let done = false
        const finish = (r: { status: number | null; error: string | null }) => {
          if (done) return
          done = true
          clearTimeout(total)
          resolve(r)
        }
        const req = request(
          url,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
            // Connect to the address that was checked, whatever DNS says now.
            lookup: (_h, _o, cb) => cb(null, address, family),
            ...(url.protocol === 'https:' ? { servername: isIP(host) === 0 ? host : undefined } : {}),
            timeout: o.connectTimeoutMs,
          },
          (res) => {
            let size = 0
            res.on('data', (chunk: Buffer) => {
              size += chunk.length
              if (size > o.maxResponseBytes) {
                res.destroy()
                finish({ status: res.statusCode ?? null, error: res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode ?? '?'} (answer over ${o.maxResponseBytes} bytes, cut)` })
              }
            })
            res.on('end', () => finish({ status: res.statusCode ?? null, error: null }))
            res.on('error', (e) => finish({ status: res.statusCode ?? null, error: e.message.slice(0, 300) }))
          },
        )
        const total = setTimeout(() => {
          req.destroy(new Error(`no answer within ${o.totalTimeoutMs} ms`))
        }, o.totalTimeoutMs)
        req.on('timeout', () => req.destroy(new Error(`no connection within ${o.connectTimeoutMs} ms`)))
        req.on('error', (e) => finish({ status: null, error: e.message.slice(0, 300) }))
        req.end(body)
      })
    },
  }
}
