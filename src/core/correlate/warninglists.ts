/**
 * MISP warninglists (https://github.com/MISP/misp-warninglists): lists of known-benign values
 * (public DNS resolvers, RFC 1918 ranges, top sites, hashes of empty files …) that suppress
 * correlation matches, with the list's name as the recorded reason.
 *
 * A list has a `type` saying how its entries match a value, and `matching_attributes` (MISP
 * attribute types) saying which values it applies to; without them it applies to every kind.
 *
 * | type | matches when | structure |
 * |---|---|---|
 * | `string` | the value equals an entry (case-insensitive: the lists mix cases, e.g. `tlds`) | hash map |
 * | `substring` | the value contains an entry (case-insensitive) | Aho–Corasick automaton: linear in the value |
 * | `hostname` | the host equals an entry or is a subdomain of it (leading `.`/`*.` and trailing dots ignored) | hash map, one probe per label |
 * | `cidr` | the address is inside an entry's block (a bare address is a /32 or /128) | PrefixTrie |
 * | `regex` | an entry (PCRE) is found in the value | the linear-time engine of src/core/pattern/regex.ts under a step budget per value; or skipped (`regexes: 'skip'`), with the count reported. Undecided (budget spent, value too long) counts as no match |
 *
 * Values by kind: an `ip` is checked against cidr lists (and string lists); a `domain` against
 * hostname and string lists; a `url` against string/substring/regex lists as a whole and against
 * hostname and cidr lists by its host; an `email` as a whole and by its domain for hostname
 * lists; a `hash` against string lists.
 */
import { compileRegex, type CompiledRegex } from '../pattern/regex.js'
import { parseIpOrCidr } from '../pattern/ip.js'
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { canonicalDomain } from './normalise.js'
import { ipv4Number, PrefixTrie } from './prefix-trie.js'

export type WarninglistType = 'string' | 'substring' | 'hostname' | 'cidr' | 'regex'

/** A warninglist as in its `list.json`. */
export interface Warninglist {
  readonly name: string
  readonly description: string
  readonly version: number
  readonly type: WarninglistType
  readonly list: readonly string[]
  readonly matching_attributes?: readonly string[]
}

/** What a value is, for choosing the lists that apply to it. */
export type ValueKind = 'ip' | 'domain' | 'url' | 'email' | 'hash' | 'filename' | 'other'

export const VALUE_KINDS: readonly ValueKind[] = ['ip', 'domain', 'url', 'email', 'hash', 'filename', 'other']

/** Why a value is suppressed: the list and the entry that matched it. */
export interface WarninglistHit {
  readonly list: string
  readonly description: string
  readonly type: WarninglistType
  readonly entry: string
}

export const WARNINGLIST_LIMITS = {
  /** Most entries in one list. */
  maxEntries: 1_000_000,
  /** Longest entry kept (longer ones are ignored and counted). */
  maxEntryLength: 1_024,
  /** Longest value checked against regex lists, and the prefix of longer values searched for substrings. */
  maxValueLength: 8_192,
  /** Regex steps per value across all regex lists. */
  regexStepsPerValue: 200_000,
} as const

const TYPES: ReadonlySet<string> = new Set(['string', 'substring', 'hostname', 'cidr', 'regex'])

/** Checks a parsed `list.json` (the MISP schema: name, description, version, type, list; optional matching_attributes). */
export function parseWarninglist(json: unknown): Result<Warninglist, string> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return err('is not a JSON object')
  const o = json as Record<string, unknown>
  if (typeof o.name !== 'string' || o.name === '') return err('name must be a non-empty string')
  if (typeof o.description !== 'string') return err('description must be a string')
  if (typeof o.version !== 'number' || !Number.isInteger(o.version)) return err('version must be an integer')
  if (typeof o.type !== 'string' || !TYPES.has(o.type)) return err(`type must be one of ${[...TYPES].join(', ')}`)
  if (!Array.isArray(o.list) || !o.list.every((e) => typeof e === 'string')) return err('list must be an array of strings')
  if (o.list.length > WARNINGLIST_LIMITS.maxEntries) return err(`list has more than ${WARNINGLIST_LIMITS.maxEntries} entries`)
  const attrs = o.matching_attributes
  if (attrs !== undefined && (!Array.isArray(attrs) || !attrs.every((e) => typeof e === 'string'))) return err('matching_attributes must be an array of strings')
  const base = { name: o.name, description: o.description, version: o.version, type: o.type as WarninglistType, list: o.list as string[] }
  return ok(attrs === undefined ? base : { ...base, matching_attributes: attrs as string[] })
}

const HASH_ATTRIBUTES = /^(filename\|)?(md5|sha1|sha224|sha256|sha384|sha512(\/224|\/256)?|sha3-(224|256|384|512)|ssdeep|imphash|tlsh|authentihash|pehash|impfuzzy|vhash|cdhash|telfhash|x509-fingerprint-(md5|sha1|sha256)|ja3-fingerprint-md5|hassh-md5|hasshserver-md5)$/

/** The value kinds a MISP attribute type stands for (empty for types Entente does not check). */
export function kindsForAttribute(attribute: string): ValueKind[] {
  const a = attribute.toLowerCase()
  if (HASH_ATTRIBUTES.test(a)) return ['hash']
  switch (a) {
    case 'ip-src':
    case 'ip-dst':
    case 'ip-src|port':
    case 'ip-dst|port':
    case 'ip':
      return ['ip']
    case 'domain|ip':
      return ['domain', 'ip']
    case 'domain':
    case 'hostname':
    case 'hostname|port':
      return ['domain']
    case 'url':
    case 'uri':
    case 'link':
      return ['url']
    case 'email':
    case 'email-src':
    case 'email-dst':
    case 'email-reply-to':
    case 'target-email':
    case 'whois-registrant-email':
    case 'dns-soa-email':
      return ['email']
    case 'filename':
      return ['filename']
    default:
      return []
  }
}

/** The kind of a STIX observable property (for values the observable index reports). */
export function kindOf(objectType: string, path: string): ValueKind {
  if (path.startsWith('hashes.')) return 'hash'
  if (path === 'value') {
    switch (objectType) {
      case 'ipv4-addr':
      case 'ipv6-addr':
        return 'ip'
      case 'domain-name':
        return 'domain'
      case 'url':
        return 'url'
      case 'email-addr':
        return 'email'
    }
  }
  if (objectType === 'file' && path === 'name') return 'filename'
  return 'other'
}

/** Host of a URL (`scheme://[userinfo@]host[:port]…`), lower case; null when there is none. */
function urlHost(url: string): string | null {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)/.exec(url)
  if (!m || m[1] === '') return null
  const h = m[1] as string
  return h.startsWith('[') ? h.slice(1, -1).toLowerCase() : canonicalDomain(h)
}

function hostnameEntry(e: string): string {
  let h = e.trim().toLowerCase()
  if (h.startsWith('*.')) h = h.slice(2)
  while (h.startsWith('.')) h = h.slice(1)
  return canonicalDomain(h)
}

/** Transition key of (node, code unit): a small integer for ASCII (fast map keys), negative otherwise. */
const edge = (node: number, c: number): number => (c < 128 ? node * 128 + c : -(node * 65_536 + c))

/** An Aho–Corasick automaton over UTF-16 code units: which entries occur in a text, in one pass. */
class SubstringAutomaton {
  private readonly next = new Map<number, number>()
  private fail: Int32Array = new Int32Array(0)
  /** Node → entry ids ending there; `dict` → the nearest node on the fail chain with output. */
  private readonly out = new Map<number, number[]>()
  private dict: Int32Array = new Int32Array(0)
  private nodes = 1
  /** The root's transitions for ASCII (the search is at the root most of the time): 0 for none. */
  private readonly rootNext = new Int32Array(128)
  /** 1 for nodes where an entry ends. */
  private outAt: Uint8Array = new Uint8Array(0)
  /** (parent, code unit, child) triples, in insertion order, for building the failure links. */
  private children: number[] = []

  add(text: string, entry: number): void {
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      const k = edge(node, c)
      let n = this.next.get(k)
      if (n === undefined) {
        n = this.nodes++
        this.next.set(k, n)
        this.children.push(node, c, n)
        if (node === 0 && c < 128) this.rootNext[c] = n
      }
      node = n
    }
    const list = this.out.get(node)
    if (list) list.push(entry)
    else this.out.set(node, [entry])
  }

  /** Computes failure links (breadth first); call after the last `add`. */
  build(): void {
    const children: number[][] = Array.from({ length: this.nodes }, () => [])
    for (let i = 0; i < this.children.length; i += 3) (children[this.children[i] as number] as number[]).push(this.children[i + 1] as number, this.children[i + 2] as number)
    this.children = []
    this.fail = new Int32Array(this.nodes)
    this.dict = new Int32Array(this.nodes).fill(-1)
    this.outAt = new Uint8Array(this.nodes)
    for (const k of this.out.keys()) this.outAt[k] = 1
    const queue: number[] = []
    const root = children[0] as number[]
    for (let i = 0; i < root.length; i += 2) queue.push(root[i + 1] as number)
    for (let qi = 0; qi < queue.length; qi++) {
      const u = queue[qi] as number
      const f = this.fail[u] as number
      this.dict[u] = this.out.has(f) ? f : (this.dict[f] as number)
      const cs = children[u] as number[]
      for (let i = 0; i < cs.length; i += 2) {
        const c = cs[i] as number
        const v = cs[i + 1] as number
        let x = f
        let to = this.next.get(edge(x, c))
        while (to === undefined && x !== 0) {
          x = this.fail[x] as number
          to = this.next.get(edge(x, c))
        }
        this.fail[v] = to !== undefined && to !== v ? to : 0
        queue.push(v)
      }
    }
  }

  /** Entry ids found in `text` (each once). */
  search(text: string, found: Set<number>): void {
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      let to = node === 0 && c < 128 ? (this.rootNext[c] as number) || undefined : this.next.get(edge(node, c))
      while (to === undefined && node !== 0) {
        node = this.fail[node] as number
        to = node === 0 && c < 128 ? (this.rootNext[c] as number) || undefined : this.next.get(edge(node, c))
      }
      node = to ?? 0
      for (let x = this.outAt[node] === 1 ? node : (this.dict[node] as number); x > 0; x = this.dict[x] as number) for (const e of this.out.get(x) as number[]) found.add(e)
    }
  }

  get size(): number {
    return this.nodes
  }
}

/** A node of the reversed-label hostname trie: `com` → `example` → `www`. */
interface HostNode {
  children: Map<string, HostNode> | null
  entries: number | number[] | undefined
}

/**
 * Hostname entries by reversed labels: a host is walked from its last label, and every node on the
 * way that holds entries is a suffix of the host at a label boundary (the host itself or a parent
 * domain). The walk stops at the first label nobody listed, so most hosts cost one or two probes.
 */
class HostnameTrie {
  private readonly root: HostNode = { children: null, entries: undefined }
  size = 0

  add(host: string, entry: number): void {
    let node = this.root
    let end = host.length
    for (;;) {
      const dot = end === 0 ? -1 : host.lastIndexOf('.', end - 1)
      const label = host.slice(dot + 1, end)
      const children = (node.children ??= new Map())
      let next = children.get(label)
      if (!next) children.set(label, (next = { children: null, entries: undefined }))
      node = next
      if (dot < 0) break
      end = dot
    }
    const c = node.entries
    node.entries = c === undefined ? entry : typeof c === 'number' ? [c, entry] : (c.push(entry), c)
    this.size++
  }

  /** Calls `found` with the entries of the host and of each of its parent domains. */
  lookup(host: string, found: (cell: number | number[]) => void): void {
    if (host === '') return
    let node = this.root
    let end = host.length
    for (;;) {
      const dot = end === 0 ? -1 : host.lastIndexOf('.', end - 1)
      const next = node.children?.get(host.slice(dot + 1, end))
      if (next === undefined) return
      node = next
      if (node.entries !== undefined) found(node.entries)
      if (dot < 0) return
      end = dot
    }
  }
}

/** Most verdicts `check` remembers (two generations of half this size each). */
export const WARNINGLIST_CACHE_ENTRIES = 100_000

export interface WarninglistOptions {
  /** `compile` (default): regex lists run in the linear-time engine; `skip`: regex lists are ignored (counted in `stats().skippedRegexes`). */
  readonly regexes?: 'compile' | 'skip'
}

export interface WarninglistStats {
  readonly lists: number
  readonly entries: number
  /** Entries ignored: unparseable CIDR blocks, empty or over-long entries, regexes that do not compile or were skipped. */
  readonly ignored: number
  readonly skippedRegexes: number
}

/**
 * All warninglists in lookup structures. `match(value, kind)` returns the lists that suppress the
 * value (one hit per list, with the entry that matched).
 */
export class WarninglistMatcher {
  private readonly lists: readonly Warninglist[]
  /** Per list: the kinds it applies to, as a bit set over VALUE_KINDS. */
  private readonly kindMask: Int32Array
  private readonly entryList: number[] = []
  private readonly entryText: string[] = []
  private readonly exact = new Map<string, number | number[]>()
  private readonly hostnames = new Map<string, number | number[]>()
  private readonly cidrs = new PrefixTrie()
  private readonly substrings = new SubstringAutomaton()
  /** The value kinds some substring list applies to: other kinds skip the substring search. */
  private substringKinds = 0
  /** The same for string, hostname and cidr lists (check() skips structures no list of the kind is in). */
  private exactKinds = 0
  private hostnameKinds = 0
  private cidrKinds = 0
  private readonly hostTrie = new HostnameTrie()
  /** check(): verdicts by kind (one map each, keyed by the value itself: no key to build) in two
   * generations; the older is dropped when the newer holds half the entries. */
  private recent: Map<string, WarninglistHit | null>[] = VALUE_KINDS.map(() => new Map())
  private older: Map<string, WarninglistHit | null>[] = VALUE_KINDS.map(() => new Map())
  private recentSize = 0
  private readonly scratch = new Set<number>()
  private readonly cidrOut: number[] = []
  private best = -1
  private bestBit = 0
  /** The same for regex lists. */
  private regexKinds = 0
  private readonly regexes: { readonly entry: number; readonly re: CompiledRegex }[] = []
  private readonly statsValue: { ignored: number; skippedRegexes: number }

  constructor(lists: readonly Warninglist[], options: WarninglistOptions = {}) {
    this.lists = lists
    this.kindMask = new Int32Array(lists.length)
    let ignored = 0
    let skippedRegexes = 0
    const put = (m: Map<string, number | number[]>, k: string, entry: number): void => {
      const c = m.get(k)
      if (c === undefined) m.set(k, entry)
      else if (typeof c === 'number') m.set(k, [c, entry])
      else c.push(entry)
    }
    lists.forEach((l, li) => {
      const attrs = l.matching_attributes ?? []
      let mask = 0
      if (attrs.length === 0) mask = (1 << VALUE_KINDS.length) - 1
      for (const a of attrs) for (const k of kindsForAttribute(a)) mask |= 1 << VALUE_KINDS.indexOf(k)
      this.kindMask[li] = mask
      for (const text of l.list) {
        if (text === '' || text.length > WARNINGLIST_LIMITS.maxEntryLength) {
          ignored++
          continue
        }
        const entry = this.entryList.length
        this.entryList.push(li)
        this.entryText.push(text)
        switch (l.type) {
          case 'string':
            put(this.exact, text.toLowerCase(), entry)
            this.exactKinds |= this.kindMask[li] as number
            break
          case 'substring':
            this.substrings.add(text.toLowerCase(), entry)
            this.substringKinds |= this.kindMask[li] as number
            break
          case 'hostname': {
            const h = hostnameEntry(text)
            if (h === '') ignored++
            else {
              put(this.hostnames, h, entry)
              this.hostTrie.add(h, entry)
              this.hostnameKinds |= this.kindMask[li] as number
            }
            break
          }
          case 'cidr': {
            const net = parseIpOrCidr(text.trim())
            if (net) {
              this.cidrs.insert(net, entry)
              this.cidrKinds |= this.kindMask[li] as number
            } else ignored++
            break
          }
          case 'regex': {
            if (options.regexes === 'skip') {
              skippedRegexes++
              break
            }
            const re = compileRegex(text)
            if (re.ok) {
              this.regexes.push({ entry, re: re.value })
              this.regexKinds |= this.kindMask[li] as number
            }
            else ignored++
            break
          }
        }
      }
    })
    this.substrings.build()
    this.statsValue = { ignored, skippedRegexes }
  }

  stats(): WarninglistStats {
    return { lists: this.lists.length, entries: this.entryList.length, ignored: this.statsValue.ignored, skippedRegexes: this.statsValue.skippedRegexes }
  }

  /**
   * The first list (in list order) that suppresses `value` of this kind, or null: `match(value,
   * kind)[0] ?? null`, computed faster (property-tested equal). Structures no list of this kind is in
   * are skipped, hostnames go through a reversed-label trie, plain IPv4 addresses are looked up as
   * integers, and verdicts are remembered by kind and value (at most WARNINGLIST_CACHE_ENTRIES; values
   * longer than 256 characters are not remembered).
   */
  check(value: string, kind: ValueKind): WarninglistHit | null {
    const k = VALUE_KINDS.indexOf(kind)
    const cacheable = value.length <= 256
    if (cacheable) {
      const known = (this.recent[k] as Map<string, WarninglistHit | null>).get(value)
      if (known !== undefined) return known
      const old = (this.older[k] as Map<string, WarninglistHit | null>).get(value)
      if (old !== undefined) {
        this.remember(k, value, old)
        return old
      }
    }
    const verdict = this.decide(value, kind)
    if (cacheable) this.remember(k, value, verdict)
    return verdict
  }

  private remember(k: number, value: string, verdict: WarninglistHit | null): void {
    if (this.recentSize >= WARNINGLIST_CACHE_ENTRIES / 2) {
      this.older = this.recent
      this.recent = VALUE_KINDS.map(() => new Map())
      this.recentSize = 0
    }
    ;(this.recent[k] as Map<string, WarninglistHit | null>).set(value, verdict)
    this.recentSize++
  }

  /** Keeps the smallest entry number whose list applies to the kind (entries are numbered in list order). */
  private consider(e: number): void {
    if (this.best >= 0 && e >= this.best) return
    if (((this.kindMask[this.entryList[e] as number] as number) & this.bestBit) !== 0) this.best = e
  }

  private readonly considerCell = (cell: number | number[]): void => {
    if (typeof cell === 'number') this.consider(cell)
    else for (const e of cell) this.consider(e)
  }

  private decide(value: string, kind: ValueKind): WarninglistHit | null {
    const bit = 1 << VALUE_KINDS.indexOf(kind)
    this.best = -1
    this.bestBit = bit
    const lower = value.toLowerCase()
    if ((this.exactKinds & bit) !== 0) {
      const c = this.exact.get(lower)
      if (c !== undefined) this.considerCell(c)
      if (kind === 'domain') {
        const d = this.exact.get(canonicalDomain(value))
        if (d !== undefined) this.considerCell(d)
      }
    }
    if ((this.hostnameKinds & bit) !== 0) {
      const host = kind === 'domain' ? canonicalDomain(value) : kind === 'url' ? urlHost(value) : kind === 'email' ? canonicalDomain(value.slice(value.lastIndexOf('@') + 1)) : null
      if (host !== null) this.hostTrie.lookup(host, this.considerCell)
    }
    if ((this.cidrKinds & bit) !== 0) {
      const ipText = kind === 'ip' ? value.trim() : kind === 'url' ? urlHost(value) : kind === 'domain' ? value : null
      // An address starts with a digit (IPv4) or has a colon (IPv6): host names skip the parse.
      const c0 = ipText === null ? 0 : ipText.charCodeAt(0)
      if (ipText !== null && ((c0 >= 48 && c0 <= 57) || ipText.includes(':'))) {
        const out = this.cidrOut
        out.length = 0
        const v4 = ipv4Number(ipText)
        if (v4 >= 0) this.cidrs.containingV4(v4, out)
        else {
          const net = parseIpOrCidr(ipText)
          if (net) this.cidrs.containing(net, out)
        }
        for (const e of out) this.consider(e)
      }
    }
    if (this.substrings.size > 1 && (this.substringKinds & bit) !== 0) {
      const found = this.scratch
      found.clear()
      this.substrings.search(lower.length > WARNINGLIST_LIMITS.maxValueLength ? lower.slice(0, WARNINGLIST_LIMITS.maxValueLength) : lower, found)
      for (const e of found) this.consider(e)
    }
    if (this.regexes.length > 0 && (this.regexKinds & bit) !== 0 && value.length <= WARNINGLIST_LIMITS.maxValueLength) {
      // Only lists before the best so far can change the verdict (the regexes are in entry order).
      const budget = { remaining: WARNINGLIST_LIMITS.regexStepsPerValue }
      for (const r of this.regexes) {
        if (budget.remaining <= 0 || (this.best >= 0 && r.entry >= this.best)) break
        if (((this.kindMask[this.entryList[r.entry] as number] as number) & bit) === 0) continue
        if (r.re.test(value, budget)) this.consider(r.entry)
      }
    }
    if (this.best < 0) return null
    const l = this.lists[this.entryList[this.best] as number] as Warninglist
    return { list: l.name, description: l.description, type: l.type, entry: this.entryText[this.best] as string }
  }

  /** The lists (by name) that suppress `value` of this kind, each once, in list order. */
  match(value: string, kind: ValueKind): WarninglistHit[] {
    const bit = 1 << VALUE_KINDS.indexOf(kind)
    const found = new Set<number>()
    const add = (cell: number | number[] | undefined): void => {
      if (cell === undefined) return
      if (typeof cell === 'number') found.add(cell)
      else for (const e of cell) found.add(e)
    }
    const lower = value.toLowerCase()
    add(this.exact.get(lower))
    if (kind === 'domain') add(this.exact.get(canonicalDomain(value)))
    // Hosts: the domain itself, its e-mail domain, or its URL host; then each parent domain.
    const host = kind === 'domain' ? canonicalDomain(value) : kind === 'url' ? urlHost(value) : kind === 'email' ? canonicalDomain(value.slice(value.lastIndexOf('@') + 1)) : kind === 'ip' ? null : null
    if (host !== null && this.hostnames.size > 0) {
      for (let h = host; h !== ''; ) {
        add(this.hostnames.get(h))
        const dot = h.indexOf('.')
        h = dot < 0 ? '' : h.slice(dot + 1)
      }
    }
    const ipText = kind === 'ip' ? value.trim() : kind === 'url' ? urlHost(value) : kind === 'domain' ? value : null
    const net = ipText === null ? null : parseIpOrCidr(ipText)
    if (net) for (const e of this.cidrs.containing(net)) found.add(e)
    const text = lower.length > WARNINGLIST_LIMITS.maxValueLength ? lower.slice(0, WARNINGLIST_LIMITS.maxValueLength) : lower
    if (this.substrings.size > 1 && (this.substringKinds & bit) !== 0) this.substrings.search(text, found)
    // A cut value could match an anchored expression the whole value does not: longer values are
    // not checked against regex lists, and a search that runs out of steps counts as no match
    // (fail open: a warninglist must never hide an alert it cannot decide).
    if (this.regexes.length > 0 && (this.regexKinds & bit) !== 0 && value.length <= WARNINGLIST_LIMITS.maxValueLength) {
      const budget = { remaining: WARNINGLIST_LIMITS.regexStepsPerValue }
      for (const r of this.regexes) {
        if (budget.remaining <= 0) break
        if (((this.kindMask[this.entryList[r.entry] as number] as number) & bit) === 0) continue
        if (r.re.test(value, budget)) found.add(r.entry)
      }
    }
    const byList = new Map<number, WarninglistHit>()
    if (found.size === 0) return []
    for (const e of [...found].sort((a, b) => a - b)) {
      const li = this.entryList[e] as number
      if (((this.kindMask[li] as number) & bit) === 0 || byList.has(li)) continue
      const l = this.lists[li] as Warninglist
      byList.set(li, { list: l.name, description: l.description, type: l.type, entry: this.entryText[e] as string })
    }
    return [...byList.entries()].sort((a, b) => a[0] - b[0]).map(([, h]) => h)
  }
}
