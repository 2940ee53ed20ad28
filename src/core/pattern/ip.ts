/**
 * IPv4 and IPv6 addresses and CIDR blocks, for ISSUBSET / ISSUPERSET (STIX 2.1 §9.5), for
 * comparing `ipv4-addr:value` / `ipv6-addr:value` as networks, and for normalising index keys.
 */

/** An address or CIDR block: `bytes` (4 or 16) and a prefix length (32/128 for a single address). */
export interface IpNetwork {
  readonly family: 4 | 6
  readonly bytes: Uint8Array
  readonly prefix: number
}

function parseIpv4(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split('.')
  if (parts.length !== 4) return false
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string
    if (!/^\d{1,3}$/.test(p)) return false
    const v = Number(p)
    if (v > 255) return false
    out[at + i] = v
  }
  return true
}

function parseIpv6(s: string): Uint8Array | null {
  const bytes = new Uint8Array(16)
  const halves = s.split('::')
  if (halves.length > 2) return null
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'))
  const head = groups(halves[0] as string)
  const tail = halves.length === 2 ? groups(halves[1] as string) : []
  // An embedded IPv4 address may end the address (::ffff:192.0.2.1).
  const all = [...head, ...tail]
  const last = all[all.length - 1]
  let v4: Uint8Array | null = null
  if (last !== undefined && last.includes('.')) {
    v4 = new Uint8Array(4)
    if (!parseIpv4(last, v4, 0)) return null
    if (tail.length > 0) tail.pop()
    else head.pop()
  }
  const words = head.length + tail.length + (v4 ? 2 : 0)
  if (halves.length === 1 ? words !== 8 : words > 7) return null
  const put = (g: string, wordIndex: number): boolean => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false
    const v = parseInt(g, 16)
    bytes[wordIndex * 2] = v >> 8
    bytes[wordIndex * 2 + 1] = v & 0xff
    return true
  }
  for (let i = 0; i < head.length; i++) if (!put(head[i] as string, i)) return null
  const tailStart = 8 - (v4 ? 2 : 0) - tail.length
  for (let i = 0; i < tail.length; i++) if (!put(tail[i] as string, tailStart + i)) return null
  if (v4) bytes.set(v4, 12)
  return bytes
}

/**
 * Parses `192.0.2.1`, `192.0.2.0/24`, `2001:db8::1`, `2001:db8::/32` (strict dotted quads, no
 * zone ids). Returns null for anything else.
 */
export function parseIpOrCidr(s: string): IpNetwork | null {
  if (typeof s !== 'string' || s.length > 64) return null
  const slash = s.indexOf('/')
  const addr = slash < 0 ? s : s.slice(0, slash)
  let prefix: number | null = null
  if (slash >= 0) {
    const p = s.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return null
    prefix = Number(p)
  }
  if (addr.includes(':')) {
    const bytes = parseIpv6(addr)
    if (!bytes) return null
    if (prefix !== null && prefix > 128) return null
    return { family: 6, bytes, prefix: prefix ?? 128 }
  }
  const bytes = new Uint8Array(4)
  if (!parseIpv4(addr, bytes, 0)) return null
  if (prefix !== null && prefix > 32) return null
  return { family: 4, bytes, prefix: prefix ?? 32 }
}

/** Whether the first `prefix` bits of `a` and `b` agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const whole = prefix >> 3
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false
  const rest = prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((a[whole] as number) & mask) === ((b[whole] as number) & mask)
}

/** Whether every address of `inner` is in `outer` (same family; an address is a /32 or /128). */
export function networkContains(outer: IpNetwork, inner: IpNetwork): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && samePrefix(outer.bytes, inner.bytes, outer.prefix)
}

/** Whether two networks are the same block (host bits below the prefix are ignored). */
export function networksEqual(a: IpNetwork, b: IpNetwork): boolean {
  return a.family === b.family && a.prefix === b.prefix && samePrefix(a.bytes, b.bytes, a.prefix)
}

/** Host bits cleared. */
function masked(n: IpNetwork): Uint8Array {
  const out = new Uint8Array(n.bytes.length)
  for (let i = 0; i < out.length; i++) {
    const bit = i * 8
    const b = n.bytes[i] as number
    out[i] = bit + 8 <= n.prefix ? b : bit >= n.prefix ? 0 : b & ((0xff << (8 - (n.prefix - bit))) & 0xff)
  }
  return out
}

/**
 * Canonical text: dotted quad for IPv4, RFC 5952 (lower case, longest zero run compressed) for
 * IPv6, host bits cleared, and `/prefix` only when it is shorter than the full address.
 */
export function formatNetwork(n: IpNetwork): string {
  const b = masked(n)
  let text: string
  if (n.family === 4) {
    text = Array.from(b).join('.')
  } else {
    const words: number[] = []
    for (let i = 0; i < 16; i += 2) words.push(((b[i] as number) << 8) | (b[i + 1] as number))
    let bestStart = -1
    let bestLen = 0
    for (let i = 0; i < 8; ) {
      if (words[i] !== 0) {
        i++
        continue
      }
      let j = i
      while (j < 8 && words[j] === 0) j++
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i
        bestLen = j - i
      }
      i = j
    }
    const hex = words.map((w) => w.toString(16))
    if (bestStart < 0) text = hex.join(':')
    else text = `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
  }
  return n.prefix === (n.family === 4 ? 32 : 128) ? text : `${text}/${n.prefix}`
}
