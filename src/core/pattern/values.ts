/**
 * Comparison semantics of STIX patterns (STIX 2.1 §9.5), following the OASIS reference matcher
 * (cti-pattern-matcher) where the prose is silent:
 *
 * - numbers compare with numbers (integers and floats mix); strings with strings, ordered by code
 *   point; booleans only with booleans (`=`/`!=`);
 * - a timestamp literal compares with a string property read as a STIX timestamp, as instants;
 * - hex and binary literals compare as bytes with `_hex`/`_bin` properties (decoded) and with
 *   strings whose characters are all below U+0100 (one byte each);
 * - values of incompatible types are never equal, so `=` is false and `!=` is true; ordering them
 *   is false (and NOT makes it true);
 * - `value` of an `ipv4-addr` / `ipv6-addr` object compares with an address or CIDR string as a
 *   network (`'198.51.100.1/32'` equals `'198.51.100.1'`; `'2001:db8::1'` equals
 *   `'2001:0db8:0:0:0:0:0:1'`). The reference matcher compares these as plain strings.
 */
import type { ParsedStixTimestamp } from '../stix/time.js'
import { compareParsedTimestamps, parseStixTimestamp } from '../stix/time.js'
import type { Literal } from './ast.js'
import { networksEqual, parseIpOrCidr, type IpNetwork } from './ip.js'

/** A literal prepared for comparisons. */
export type PreparedLiteral =
  | { readonly kind: 'string'; readonly s: string; readonly latin1: Uint8Array | null; readonly ip: IpNetwork | null }
  | { readonly kind: 'number'; readonly n: number }
  | { readonly kind: 'boolean'; readonly b: boolean }
  | { readonly kind: 'timestamp'; readonly t: ParsedStixTimestamp }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }

/** A property value with what the matcher knows about where it came from. */
export interface PropertyValue {
  readonly v: unknown
  /** True for the `value` property of an ipv4-addr or ipv6-addr object. */
  readonly ip: boolean
}

const HEX = '0123456789abcdef'

/** Decodes hex digits (even count) to bytes, or null. */
export function hexToBytes(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16)
  return out
}

export function bytesToHex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += (HEX[x >> 4] as string) + (HEX[x & 15] as string)
  return s
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

/** Decodes standard padded base64 to bytes, or null when it is not valid base64. */
export function base64ToBytes(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  const out = new Uint8Array((s.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < s.length; i += 4) {
    let acc = 0
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k)
      let v: number
      if (c === 61 /* = */ && i + k >= s.length - pad) v = 0
      else {
        v = c < 128 ? (B64_INDEX[c] as number) : -1
        if (v < 0) return null
      }
      acc = (acc << 6) | v
    }
    if (o < out.length) out[o++] = (acc >> 16) & 0xff
    if (o < out.length) out[o++] = (acc >> 8) & 0xff
    if (o < out.length) out[o++] = acc & 0xff
  }
  return out
}

/** The string as one byte per character when every character is below U+0100, else null. */
export function latin1Bytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 255) return null
    out[i] = c
  }
  return out
}

/** Bytes as a string of characters U+0000–U+00FF (how MATCHES and LIKE see binary values). */
export function bytesToLatin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096))
  return s
}

export function prepareLiteral(l: Literal): PreparedLiteral {
  switch (l.type) {
    case 'string':
      return { kind: 'string', s: l.value, latin1: latin1Bytes(l.value), ip: parseIpOrCidr(l.value) }
    case 'integer':
    case 'float':
      return { kind: 'number', n: l.value }
    case 'boolean':
      return { kind: 'boolean', b: l.value }
    case 'timestamp': {
      const t = parseStixTimestamp(l.value)
      // The parser validated it; a hand-built AST with a bad timestamp compares as epoch NaN (never equal).
      return t.ok ? { kind: 'timestamp', t: t.value } : { kind: 'timestamp', t: { epochMs: Number.NaN, fraction: '' } }
    }
    case 'hex':
      return { kind: 'bytes', bytes: hexToBytes(l.value) ?? new Uint8Array(0) }
    case 'binary':
      return { kind: 'bytes', bytes: base64ToBytes(l.value) ?? new Uint8Array(0) }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}

/** Orders strings by code point (JavaScript's `<` orders UTF-16 code units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs === ys) return x - y
    // A surrogate (code point >= U+10000) sorts after every BMP character above it in code units.
    return xs ? (y >= 0xe000 ? 1 : x - y) : x >= 0xe000 ? -1 : x - y
  }
  return a.length - b.length
}

/**
 * Orders a property value against a literal: negative, 0, positive, or null when the two cannot
 * be compared (different types, a string that is not a timestamp, characters beyond one byte).
 */
export function compareValue(pv: PropertyValue, lit: PreparedLiteral): number | null {
  const v = pv.v
  switch (lit.kind) {
    case 'number':
      return typeof v === 'number' ? (v < lit.n ? -1 : v > lit.n ? 1 : v === lit.n ? 0 : null) : null
    case 'string':
      if (typeof v === 'string') return compareCodePoints(v, lit.s)
      if (v instanceof Uint8Array) return lit.latin1 ? compareBytes(v, lit.latin1) : null
      return null
    case 'timestamp': {
      if (typeof v !== 'string') return null
      const t = parseStixTimestamp(v)
      if (!t.ok || Number.isNaN(lit.t.epochMs)) return null
      return compareParsedTimestamps(t.value, lit.t)
    }
    case 'bytes': {
      if (v instanceof Uint8Array) return compareBytes(v, lit.bytes)
      if (typeof v === 'string') {
        const b = latin1Bytes(v)
        return b ? compareBytes(b, lit.bytes) : null
      }
      return null
    }
    case 'boolean':
      return null
  }
}

/** The last few IP values parsed (IN sets compare one value with many literals). */
let lastIpText: string | null = null
let lastIp: IpNetwork | null = null
function parsedIp(s: string): IpNetwork | null {
  if (s !== lastIpText) {
    lastIpText = s
    lastIp = parseIpOrCidr(s)
  }
  return lastIp
}

/** `=` semantics: equal values of compatible types (see the module comment). */
export function valueEquals(pv: PropertyValue, lit: PreparedLiteral): boolean {
  if (lit.kind === 'boolean') return pv.v === lit.b
  if (lit.kind === 'string' && pv.ip && lit.ip && typeof pv.v === 'string') {
    const net = parsedIp(pv.v)
    if (net) return networksEqual(net, lit.ip)
  }
  return compareValue(pv, lit) === 0
}

/** Code points of a string. */
export function codePoints(s: string): number[] {
  return Array.from(s, (c) => c.codePointAt(0) as number)
}

const PERCENT = 37
const UNDERSCORE = 95

/** A compiled LIKE pattern: segments between `%`, each a run of code points where `_` matches any one. */
export interface LikePattern {
  readonly segments: readonly (readonly number[])[]
}

export function compileLike(pattern: string): LikePattern {
  const cps = codePoints(pattern.normalize('NFC'))
  const segments: number[][] = [[]]
  for (const c of cps) {
    if (c === PERCENT) segments.push([])
    else (segments[segments.length - 1] as number[]).push(c)
  }
  return { segments }
}

function segmentAt(seg: readonly number[], s: readonly number[], at: number): boolean {
  if (at + seg.length > s.length) return false
  for (let k = 0; k < seg.length; k++) if (seg[k] !== UNDERSCORE && seg[k] !== s[at + k]) return false
  return true
}

/**
 * SQL LIKE: `%` matches any run of characters (newlines included), `_` exactly one character;
 * the whole value must match; case-sensitive; both sides NFC-normalised as the reference matcher
 * does. Segments are placed greedily leftmost, which is exact for `%`-separated segments and
 * costs at most O(value × pattern).
 */
export function likeMatches(p: LikePattern, value: string, budget: { remaining: number }): boolean {
  const s = codePoints(value.normalize('NFC'))
  const segs = p.segments
  if (segs.length === 1) {
    const only = segs[0] as number[]
    return only.length === s.length && segmentAt(only, s, 0)
  }
  const first = segs[0] as number[]
  const last = segs[segs.length - 1] as number[]
  if (!segmentAt(first, s, 0)) return false
  let pos = first.length
  const end = s.length - last.length
  if (end < pos || !segmentAt(last, s, end)) return false
  for (let k = 1; k < segs.length - 1; k++) {
    const seg = segs[k] as number[]
    let found = -1
    for (let at = pos; at + seg.length <= end; at++) {
      budget.remaining -= seg.length + 1
      if (segmentAt(seg, s, at)) {
        found = at
        break
      }
    }
    if (found < 0) return false
    pos = found + seg.length
  }
  return true
}
