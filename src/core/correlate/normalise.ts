/**
 * Canonical forms of the observable values the index looks up, so that `EVIL.example.` and
 * `evil.example`, or `hashes.sha256 = 'AB…'` and `hashes.'SHA-256' = 'ab…'`, correlate.
 *
 * | object:property | canonical form |
 * |---|---|
 * | `ipv4-addr:value`, `ipv6-addr:value` | dotted quad / RFC 5952 text, host bits cleared, `/32` and `/128` dropped |
 * | `domain-name:value` | lower case, trailing dots removed (no IDNA conversion) |
 * | `url:value` | scheme and host lower case, host's trailing dot removed, default port (http 80, https 443, ftp 21, ws 80, wss 443) removed, empty path of http(s) becomes `/`; userinfo, path, query and fragment unchanged (no percent-decoding) |
 * | `email-addr:value` | domain part (after the last `@`) as a domain name; the local part unchanged |
 * | `mac-addr:value` | lower case, `-` separators become `:` |
 * | `windows-registry-key:key`, `x509-certificate:serial_number` | lower case (case-insensitive in practice) |
 * | `hashes.<ALG>` of file, artifact, x509-certificate | algorithm name from the STIX hash vocabulary (`sha256`, `SHA256`, `SHA-256` → `SHA-256`); hex values lower case (not SSDEEP) |
 * | `value` reached through a reference (`network-traffic:dst_ref.value`) | pattern literals by their shape (`ruleByShape`): IP, URL, e-mail, MAC, domain name |
 * | everything else (`user-account:*`, `file:name`, `mutex:name`, …) | unchanged |
 *
 * Numbers stay numbers and strings stay strings (`autonomous-system:number = 64496` does not
 * correlate with the string `'64496'`, as in the matcher).
 *
 * `canonicalisePattern` and `canonicaliseObject` apply the same forms to a pattern's literals and
 * to observed objects, so that matching the two canonical forms means "equal up to these forms".
 */
import type { Comparison, ComparisonExpression, KeyStep, Literal, ObservationExpression, Pattern } from '../pattern/ast.js'
import { flattenChain } from '../pattern/ast.js'
import { formatNetwork, parseIpOrCidr } from '../pattern/ip.js'
import { ipv4Number } from './prefix-trie.js'

/** How a property's values are canonicalised. */
export type CanonicalRule = 'ip' | 'domain' | 'url' | 'email' | 'mac' | 'fold' | 'hash' | 'exact'

const RULES: ReadonlyMap<string, CanonicalRule> = new Map([
  ['ipv4-addr:value', 'ip'],
  ['ipv6-addr:value', 'ip'],
  ['domain-name:value', 'domain'],
  ['url:value', 'url'],
  ['email-addr:value', 'email'],
  ['mac-addr:value', 'mac'],
  ['windows-registry-key:key', 'fold'],
  ['x509-certificate:serial_number', 'fold'],
])

/** Object types whose `hashes` dictionary is indexed. */
export const HASHED_TYPES: ReadonlySet<string> = new Set(['file', 'artifact', 'x509-certificate'])

/** Rules that fold case completely (LIKE literals are lower-cased, MATCHES gets `(?i)`). */
const FOLDING: ReadonlySet<CanonicalRule> = new Set(['domain', 'mac', 'fold', 'hash'])

const VALUE_RULES: ReadonlyMap<string, CanonicalRule> = new Map([...RULES].filter(([k]) => k.endsWith(':value')).map(([k, r]) => [k.slice(0, -':value'.length), r]))

/** The rule of a single-key property of an object type ('exact' when it has none). */
export function ruleFor(objectType: string, property: string): CanonicalRule {
  return property === 'value' ? (VALUE_RULES.get(objectType) ?? 'exact') : (RULES.get(`${objectType}:${property}`) ?? 'exact')
}

/** The object types with a canonical single-key property, and those properties. */
export const CANONICAL_PROPERTIES: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>()
  for (const k of RULES.keys()) {
    const [t, p] = k.split(':') as [string, string]
    m.set(t, [...(m.get(t) ?? []), p])
  }
  return m
})()

const HASH_NAMES: ReadonlyMap<string, string> = new Map([
  ['MD5', 'MD5'],
  ['SHA1', 'SHA-1'],
  ['SHA224', 'SHA-224'],
  ['SHA256', 'SHA-256'],
  ['SHA384', 'SHA-384'],
  ['SHA512', 'SHA-512'],
  ['SHA3224', 'SHA3-224'],
  ['SHA3256', 'SHA3-256'],
  ['SHA3384', 'SHA3-384'],
  ['SHA3512', 'SHA3-512'],
  ['SSDEEP', 'SSDEEP'],
  ['TLSH', 'TLSH'],
])

/**
 * The STIX hash-algorithm vocabulary name for an algorithm as written (`sha256`, `SHA256`,
 * `Sha-256` → `SHA-256`; `sha3_256` → `SHA3-256`). Names outside the vocabulary are upper-cased.
 */
export function canonicalHashAlgorithm(name: string): string {
  const up = name.toUpperCase()
  return HASH_NAMES.get(up.replace(/[-_ ]/g, '')) ?? up
}

const HEX = /^[0-9a-fA-F]+$/

/** A hash value: lower-case hex (SSDEEP and non-hex values unchanged). */
export function canonicalHash(algorithm: string, value: string): string {
  return algorithm !== 'SSDEEP' && HEX.test(value) ? value.toLowerCase() : value
}

/** A domain name: lower case, without one trailing dot. */
export function canonicalDomain(s: string): string {
  let l = s.toLowerCase()
  while (l.length > 1 && l.endsWith('.')) l = l.slice(0, -1)
  return l
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)'
const CANONICAL_V4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`)

/** An IP address or CIDR block in the form `formatNetwork` prints; unparseable text unchanged. */
export function canonicalIp(s: string): string {
  if (CANONICAL_V4.test(s)) return s // the common case, without parsing
  const n = parseIpOrCidr(s)
  return n ? formatNetwork(n) : s
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ftp: '21', ws: '80', wss: '443' }
const URL_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([\s\S]*)$/

/** A URL with scheme and host lower case, the default port dropped (see the module comment). */
export function canonicalUrl(s: string): string {
  const m = URL_PARTS.exec(s)
  if (!m) return s
  const scheme = (m[1] as string).toLowerCase()
  const authority = m[2] as string
  let rest = m[3] as string
  const at = authority.lastIndexOf('@')
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : ''
  const hostport = authority.slice(at + 1)
  let host: string
  let port = ''
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']')
    if (close < 0) return s
    host = hostport.slice(0, close + 1)
    const after = hostport.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) return s
    port = after.slice(1)
  } else {
    const colon = hostport.lastIndexOf(':')
    host = colon >= 0 ? hostport.slice(0, colon) : hostport
    port = colon >= 0 ? hostport.slice(colon + 1) : ''
  }
  if (port !== '' && !/^\d+$/.test(port)) return s
  if (port === DEFAULT_PORTS[scheme]) port = ''
  host = canonicalDomain(host)
  if (rest === '' && (scheme === 'http' || scheme === 'https')) rest = '/'
  return `${scheme}://${userinfo}${host}${port === '' ? '' : `:${port}`}${rest}`
}

/** An e-mail address with its domain part (after the last `@`) canonical. */
export function canonicalEmail(s: string): string {
  const at = s.lastIndexOf('@')
  return at < 0 ? s : `${s.slice(0, at + 1)}${canonicalDomain(s.slice(at + 1))}`
}

const MAC = /^[0-9a-f]{2}([-:])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/

/** A MAC address in lower case with `:` separators. */
export function canonicalMac(s: string): string {
  const l = s.toLowerCase()
  return MAC.test(l) ? l.replace(/-/g, ':') : l
}

const URL_SHAPE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
const MAC_SHAPE = /^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$/
const DOMAIN_SHAPE = /^[^\s/@:]+\.[^\s/@:]*$/

/**
 * The rule for a value whose object type is not known (a comparison through a reference,
 * `network-traffic:dst_ref.value = '…'`), guessed from its shape: an IP address or block, a URL
 * (`scheme://`), an e-mail address (has `@`), a MAC address, a domain name (dotted, no spaces,
 * slashes or colons); otherwise unchanged.
 */
export function ruleByShape(s: string): CanonicalRule {
  // An address starts with a digit (IPv4) or has a colon (IPv6): most values are neither, and skip the parse.
  const c0 = s.charCodeAt(0)
  if (((c0 >= 48 && c0 <= 57) || s.includes(':')) && (ipv4Number(s) >= 0 || parseIpOrCidr(s))) return 'ip'
  if (URL_SHAPE.test(s)) return 'url'
  if (s.includes('@')) return 'email'
  if (MAC_SHAPE.test(s)) return 'mac'
  if (DOMAIN_SHAPE.test(s)) return 'domain'
  return 'exact'
}

/** A value under a rule; numbers (and other non-strings) are returned unchanged. */
export function canonicalValue<T>(rule: CanonicalRule, value: T, algorithm = ''): T | string {
  if (typeof value !== 'string') return value
  switch (rule) {
    case 'ip':
      return canonicalIp(value)
    case 'domain':
      return canonicalDomain(value)
    case 'url':
      return canonicalUrl(value)
    case 'email':
      return canonicalEmail(value)
    case 'mac':
      return canonicalMac(value)
    case 'fold':
      return value.toLowerCase()
    case 'hash':
      return canonicalHash(algorithm, value)
    case 'exact':
      return value
  }
}

// ---- patterns --------------------------------------------------------------------------------

/** Whether a path reaches `value` through a reference: `x:a_ref.value`, `x:a_refs[*].value`, `x:a_refs[0].value`. */
export function isRefValuePath(steps: Comparison['path']['steps']): boolean {
  const n = steps.length
  const last = steps[n - 1]
  if (n < 2 || last?.kind !== 'key' || last.key !== 'value') return false
  const ref = steps[n - 2]
  if (ref?.kind === 'key') return ref.key.endsWith('_ref')
  const refs = steps[n - 3]
  return refs?.kind === 'key' && refs.key.endsWith('_refs')
}

/** The rule and (for hashes) the canonical algorithm of a comparison's path, or null. `shape`: by the value's shape. */
function pathRule(c: Comparison): { rule: CanonicalRule | 'shape'; algorithm: string; steps: Comparison['path']['steps'] } | null {
  const steps = c.path.steps
  if (isRefValuePath(steps)) return { rule: 'shape', algorithm: '', steps }
  const first = steps[0]
  if (steps.length === 1) {
    const rule = ruleFor(c.path.objectType, first.key)
    return rule === 'exact' ? null : { rule, algorithm: '', steps }
  }
  const second = steps[1]
  if (steps.length === 2 && first.key === 'hashes' && second?.kind === 'key' && HASHED_TYPES.has(c.path.objectType)) {
    const algorithm = canonicalHashAlgorithm(second.key)
    const renamed: KeyStep = algorithm === second.key ? second : { ...second, key: algorithm }
    return { rule: 'hash', algorithm, steps: renamed === second ? steps : [first, renamed] }
  }
  return null
}

/**
 * A string literal of a comparison (`=`, `!=`, `IN`) in the form `canonicalisePattern` gives it:
 * canonical under the rule of the comparison's path (by its shape for a `value` reached through a
 * reference); unchanged when the path has no canonical form.
 */
export function canonicalLiteralValue(c: Comparison, value: string): string {
  const r = pathRule(c)
  return r === null ? value : canonicalValue(r.rule === 'shape' ? ruleByShape(value) : r.rule, value, r.algorithm)
}

function canonicalLiteral(l: Literal, rule: CanonicalRule | 'shape', algorithm: string): Literal {
  if (l.type !== 'string') return l
  const v = canonicalValue(rule === 'shape' ? ruleByShape(l.value) : rule, l.value, algorithm)
  return v === l.value ? l : { ...l, value: v }
}

function canonicalComparison(c: Comparison): Comparison {
  const r = pathRule(c)
  if (!r) return c
  const path = r.steps === c.path.steps ? c.path : { ...c.path, steps: r.steps }
  const folding = r.rule !== 'shape' && FOLDING.has(r.rule)
  switch (c.operator) {
    case '=':
    case '!=':
      return { ...c, path, value: canonicalLiteral(c.value, r.rule, r.algorithm) }
    case 'IN':
      return { ...c, path, values: c.values.map((l) => canonicalLiteral(l, r.rule, r.algorithm)) }
    case 'LIKE':
      return folding ? { ...c, path, value: { ...c.value, value: c.value.value.toLowerCase() } } : { ...c, path }
    case 'MATCHES':
      return folding ? { ...c, path, value: { ...c.value, value: `(?i)${c.value.value}` } } : { ...c, path }
    default:
      return path === c.path ? c : { ...c, path }
  }
}

function canonicalComparisonExpression(e: ComparisonExpression): ComparisonExpression {
  if (e.kind === 'comparison') return canonicalComparison(e)
  // Same-operator chains can be thousands long: flatten iteratively, rebuild left-deep.
  const operands = flattenChain(e)
  const mapped = operands.map(canonicalComparisonExpression)
  if (mapped.every((m, i) => m === operands[i])) return e
  let acc = mapped[0] as ComparisonExpression
  for (let i = 1; i < mapped.length; i++) acc = { kind: e.kind, left: acc, right: mapped[i] as ComparisonExpression, span: e.span }
  return acc
}

function canonicalObservation(e: ObservationExpression): ObservationExpression {
  switch (e.kind) {
    case 'observation': {
      const c = canonicalComparisonExpression(e.comparison)
      return c === e.comparison ? e : { ...e, comparison: c }
    }
    case 'qualified': {
      const x = canonicalObservation(e.expression)
      return x === e.expression ? e : { ...e, expression: x }
    }
    default: {
      const l = canonicalObservation(e.left)
      const r = canonicalObservation(e.right)
      return l === e.left && r === e.right ? e : { ...e, left: l, right: r }
    }
  }
}

/**
 * The pattern with the literals of comparisons on canonical properties in canonical form:
 * `=`, `!=` and `IN` values canonicalised, hash algorithm names from the vocabulary, `LIKE`
 * literals lower-cased and `MATCHES` made case-insensitive (`(?i)`) on case-folded properties.
 * Returns the same object when nothing changes.
 */
export function canonicalisePattern(p: Pattern): Pattern {
  const e = canonicalObservation(p.expression)
  return e === p.expression ? p : { ...p, expression: e }
}

// ---- observed objects ------------------------------------------------------------------------

type JsonObject = Readonly<Record<string, unknown>>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * A cyber-observable object with its canonical properties in canonical form and its `hashes`
 * keyed by vocabulary names with canonical values. Returns the same object when nothing changes
 * (a shallow copy otherwise; the input is never modified).
 */
export function canonicaliseObject<T>(o: T): T {
  if (!isObject(o) || typeof o.type !== 'string') return o
  let out: Record<string, unknown> | null = null
  const props = CANONICAL_PROPERTIES.get(o.type)
  if (props) {
    for (const p of props) {
      const v = o[p]
      if (typeof v !== 'string') continue
      const c = canonicalValue(ruleFor(o.type, p), v)
      if (c !== v) (out ??= { ...o })[p] = c
    }
  }
  const hashes = o.hashes
  if (HASHED_TYPES.has(o.type) && isObject(hashes)) {
    let changed = false
    const h: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(hashes)) {
      const alg = canonicalHashAlgorithm(k)
      const cv = typeof v === 'string' ? canonicalHash(alg, v) : v
      if (alg !== k || cv !== v) changed = true
      h[alg] = cv
    }
    if (changed) (out ??= { ...o }).hashes = h
  }
  return (out ?? o) as T
}
