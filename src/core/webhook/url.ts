/**
 * Webhook URLs are hostile (SSRF): only http/https, no user info, bounded length, and no loopback,
 * private, link-local or otherwise internal address unless the node allows them. The address checks
 * apply to literal hosts at registration and to every resolved address at delivery (platform).
 */
import { err, ok, type Result } from '../shared/result.js'

export const WEBHOOK_URL_MAX = 2048

function ipv4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (!m) return null
  const p = m.slice(1).map(Number)
  return p.every((x) => x <= 255) ? p : null
}

/** True for addresses a webhook must not reach by default: loopback, private, link-local, CGNAT, multicast, unspecified, documentation, IPv6 ULA and mapped forms. */
export function isInternalAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '')
  const v4 = ipv4(a)
  if (v4) {
    const [x, y] = v4 as [number, number, number, number]
    return (
      x === 0 || x === 10 || x === 127 || (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254) || (x === 172 && y >= 16 && y <= 31) ||
      (x === 192 && y === 168) || (x === 192 && y === 0) || (x === 198 && (y === 18 || y === 19)) || x >= 224
    )
  }
  if (!a.includes(':')) return false
  if (a === '::' || a === '::1') return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (mapped) return isInternalAddress(mapped[1] as string)
  if (/^::ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(a)) return true
  const first = parseInt(a.split(':')[0] || '0', 16)
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00 || a.startsWith('64:ff9b:') || a.startsWith('2001:db8:')
}

/** Checks a webhook URL's shape and literal host; returns the normalised URL. */
export function checkWebhookUrl(raw: string, opts: { readonly allowInternal: boolean }): Result<string, string> {
  if (raw.length > WEBHOOK_URL_MAX) return err(`must be at most ${WEBHOOK_URL_MAX} characters`)
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return err('is not a URL')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return err('must be an http or https URL')
  if (u.username !== '' || u.password !== '') return err('must not contain a user name or password (the signature authenticates the node)')
  if (u.hash !== '') return err('must not contain a fragment')
  const host = u.hostname.toLowerCase()
  if (!opts.allowInternal) {
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return err(`host ${host} is internal; this node does not allow internal webhook addresses`)
    if (isInternalAddress(host)) return err(`address ${host} is loopback, private or otherwise internal; this node does not allow internal webhook addresses`)
  }
  return ok(u.toString())
}
