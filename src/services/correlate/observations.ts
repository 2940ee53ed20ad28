/**
 * The in-memory side of stored observations: which observations (observed-data, standalone SCOs,
 * sightings with observed data) hold which values, so that a new indicator finds the earlier
 * observations it matches without a scan of the store. The candidates this finds are confirmed by
 * the pattern matcher.
 *
 * Keys. An indicator matches an observation when its pattern matches as written, or in canonical
 * form against the canonical observation (core/correlate/evaluate.ts). So each observed value is
 * filed as given and in the canonical form of its property (`ruleFor(type, property)`; hashes under
 * their algorithm's vocabulary name), and a pattern looks each `=`/`IN` literal up as written and in
 * the canonical form the matcher gives it (`canonicalisePattern`: the rule of the comparison's path,
 * or the literal's shape for a `value` reached through a reference). An equality in either form
 * then shares a key: as written, the two values are equal; in canonical form, both sides were put
 * in the same form (the referenced object is canonicalised by its own type, which is the key it
 * was filed under).
 */
import { canonicalHash, canonicalHashAlgorithm, canonicalLiteralValue, canonicalValue, ruleFor } from '../../core/correlate/normalise.js'
import { HashedCells } from '../../core/correlate/hashed-cells.js'
import { ipv4Number, PrefixTrie } from '../../core/correlate/prefix-trie.js'
import type { Comparison, Pattern } from '../../core/pattern/ast.js'
import { comparisonsOf } from '../../core/pattern/parser.js'
import { parseIpOrCidr } from '../../core/pattern/ip.js'

export type ObservationKind = 'observed-data' | 'sco' | 'sighting'

/** One stored observation, as correlation remembers it (its content stays in the store). */
export interface ObservationRecord {
  readonly id: string
  readonly kind: ObservationKind
  readonly type: string
  readonly collectionId: string
  readonly objectSeq: number
  /** The organisation that reported it (added it to the collection). */
  readonly reporterOrg: string
  readonly dateAdded: string
}

type JsonObject = Readonly<Record<string, unknown>>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The keys of an observed value: as given and in the canonical form of its property. */
function keysOf(type: string, prop: string, v: string, key: (k: string) => void): void {
  key(v)
  const rule = ruleFor(type, prop)
  if (rule === 'exact') return
  const c = canonicalValue(rule, v)
  if (c !== v) key(c)
}

/** The string values of an SCO that indicators compare with (top-level strings and hashes). */
export function observedValues(sco: unknown): { keys: string[]; ips: string[] } {
  const keys = new Set<string>()
  const ips: string[] = []
  collectValues(
    sco,
    (k) => keys.add(k),
    (ip) => ips.push(ip),
  )
  return { keys: [...keys], ips }
}

/**
 * Passes the keys of an SCO's values to `key` (a key may come more than once) and its addresses
 * (`value` of ipv4-addr and ipv6-addr, as given) to `ip`.
 */
function collectValues(sco: unknown, key: (k: string) => void, ip: (v: string) => void): void {
  if (!isObject(sco) || typeof sco.type !== 'string') return
  for (const prop in sco) {
    if (!Object.hasOwn(sco, prop) || prop === 'id' || prop === 'type' || prop === 'spec_version') continue
    const v = sco[prop]
    if (typeof v === 'string' && v.length <= 2048) {
      keysOf(sco.type, prop, v, key)
      if (prop === 'value' && (sco.type === 'ipv4-addr' || sco.type === 'ipv6-addr')) ip(v)
    } else if (prop === 'hashes' && isObject(v)) {
      for (const [alg, h] of Object.entries(v)) {
        if (typeof h !== 'string') continue
        key(h)
        const c = canonicalHash(canonicalHashAlgorithm(alg), h)
        if (c !== h) key(c)
      }
    }
  }
}

/**
 * What a pattern could match by: its `=`/`IN` string literals (as written and in the canonical form
 * the matcher compares them in), CIDR blocks, and whether it has neither.
 */
export function patternProbes(p: Pattern): { keys: string[]; networks: string[]; unbounded: boolean } {
  const keys = new Set<string>()
  const networks: string[] = []
  let unbounded = false
  const comparisons: Comparison[] = []
  const stack: Pattern['expression'][] = [p.expression]
  while (stack.length > 0) {
    const e = stack.pop() as Pattern['expression']
    if (e.kind === 'observation') comparisons.push(...comparisonsOf(e.comparison))
    else if (e.kind === 'qualified') stack.push(e.expression)
    else stack.push(e.left, e.right)
  }
  for (const c of comparisons) {
    const lits = c.operator === 'IN' ? c.values : c.operator === 'EXISTS' ? [] : [c.value]
    const exact = !c.negated && (c.operator === '=' || c.operator === 'IN')
    const subset = !c.negated && c.operator === 'ISSUBSET'
    let any = false
    for (const l of lits) {
      if (l.type !== 'string') continue
      const v = l.value
      const net = parseIpOrCidr(v)
      if (net && (subset || net.prefix < (net.family === 4 ? 32 : 128))) {
        networks.push(v)
        any = true
      }
      if (exact) {
        keys.add(v)
        keys.add(canonicalLiteralValue(c, v))
        any = true
      }
    }
    if (!any && (c.operator === 'LIKE' || c.operator === 'MATCHES' || c.negated || c.operator === '!=' || c.operator === 'EXISTS')) unbounded = true
  }
  if (keys.size === 0 && networks.length === 0) unbounded = true
  return { keys: [...keys], networks, unbounded }
}

/**
 * Observations by value. Each observation gets a slot, in filing order. Keys and ids are held
 * hashed (HashedCells): an id lookup is checked against the record, and a value lookup gives
 * candidates, which the service confirms by evaluating the pattern. A removed observation leaves
 * its value entries behind (they point to an empty slot and are skipped) until more than half
 * the slots are empty; then every structure is compacted.
 */
export class ObservationValues {
  /** Records by slot (undefined: removed). */
  private records: (ObservationRecord | undefined)[] = []
  private live = 0
  /** Slots by id, in the namespace of the collection. */
  private readonly ids = new HashedCells()
  /** Slots by value key. */
  private readonly values = new HashedCells()
  /** Plain IPv4 addresses (as integers, see ipv4Number) and their slots. */
  private v4 = new Uint32Array(1024)
  private v4Slot = new Int32Array(1024)
  private v4Count = 0
  /** Other addresses (IPv6, other spellings of IPv4, blocks), as given, and their slots. */
  private otherIps: string[] = []
  private otherIpSlot: number[] = []
  /** The slot being filed, and its addresses so far (each once per observation). */
  private filing = 0
  private readonly filingIps: string[] = []
  private readonly scratch: number[] = []

  /** Observations filed. */
  get size(): number {
    return this.live
  }

  /** Files an observation under its SCOs' values (replacing an earlier version of it). */
  put(rec: ObservationRecord, scos: readonly unknown[]): void {
    const old = this.slotOf(rec)
    if (old >= 0) this.drop(old)
    const slot = this.records.length
    this.records.push(rec)
    this.live++
    this.ids.add(rec.id, slot, rec.collectionId)
    this.filing = slot
    this.filingIps.length = 0
    for (const s of scos) collectValues(s, this.fileKey, this.fileIp)
  }

  private readonly fileKey = (k: string): void => {
    this.values.add(k, this.filing)
  }

  private readonly fileIp = (ip: string): void => {
    if (this.filingIps.includes(ip)) return
    this.filingIps.push(ip)
    const n = ipv4Number(ip)
    if (n < 0) {
      this.otherIps.push(ip)
      this.otherIpSlot.push(this.filing)
      return
    }
    if (this.v4Count === this.v4.length) {
      const a = new Uint32Array(this.v4.length * 2)
      a.set(this.v4)
      this.v4 = a
      const b = new Int32Array(this.v4Slot.length * 2)
      b.set(this.v4Slot)
      this.v4Slot = b
    }
    this.v4[this.v4Count] = n
    this.v4Slot[this.v4Count++] = this.filing
  }

  remove(r: { collectionId: string; id: string }): void {
    const slot = this.slotOf(r)
    if (slot >= 0) this.drop(slot)
  }

  /** The slot of an observation, or -1. */
  private slotOf(r: { collectionId: string; id: string }): number {
    const found = this.scratch
    found.length = 0
    this.ids.get(r.id, found, r.collectionId)
    for (const s of found) {
      const rec = this.records[s]
      if (rec !== undefined && rec.id === r.id && rec.collectionId === r.collectionId) return s
    }
    return -1
  }

  private drop(slot: number): void {
    const rec = this.records[slot] as ObservationRecord
    this.ids.remove(rec.id, slot, rec.collectionId)
    this.records[slot] = undefined
    this.live--
    const empty = this.records.length - this.live
    if (empty > this.live && empty >= 1024) this.compact()
  }

  /** Renumbers the slots densely, dropping what removed observations left behind. */
  private compact(): void {
    const renumber = new Int32Array(this.records.length).fill(-1)
    const records: ObservationRecord[] = []
    this.records.forEach((r, s) => {
      if (r === undefined) return
      renumber[s] = records.length
      records.push(r)
    })
    this.records = records
    this.ids.compact(renumber)
    this.values.compact(renumber)
    let n = 0
    for (let i = 0; i < this.v4Count; i++) {
      const s = renumber[this.v4Slot[i] as number] as number
      if (s < 0) continue
      this.v4[n] = this.v4[i] as number
      this.v4Slot[n++] = s
    }
    this.v4Count = n
    const ips: string[] = []
    const ipSlots: number[] = []
    this.otherIps.forEach((ip, i) => {
      const s = renumber[this.otherIpSlot[i] as number] as number
      if (s < 0) return
      ips.push(ip)
      ipSlots.push(s)
    })
    this.otherIps = ips
    this.otherIpSlot = ipSlots
  }

  /**
   * Observations that may match a pattern with these probes (each key's in filing order, then
   * those with an address in one of the networks); `null`
   * when the pattern has no usable probe and more than `maxScan` observations would have to be
   * evaluated.
   */
  candidates(probes: { keys: readonly string[]; networks: readonly string[]; unbounded: boolean }, maxScan: number): ObservationRecord[] | null {
    const out: ObservationRecord[] = []
    if (probes.unbounded) {
      if (this.live > maxScan) return null
      for (const r of this.records) if (r !== undefined) out.push(r)
      return out
    }
    const found: number[] = []
    for (const k of probes.keys) this.values.get(k, found)
    if (probes.networks.length > 0) {
      const trie = new PrefixTrie()
      for (const n of probes.networks) {
        const net = parseIpOrCidr(n)
        if (net) trie.insert(net, 0)
      }
      const hits: number[] = []
      for (let i = 0; i < this.v4Count; i++) {
        hits.length = 0
        if (trie.containingV4(this.v4[i] as number, hits).length > 0) found.push(this.v4Slot[i] as number)
      }
      this.otherIps.forEach((ip, i) => {
        const net = parseIpOrCidr(ip)
        if (net && trie.contains(net)) found.push(this.otherIpSlot[i] as number)
      })
    }
    const seen = new Set<number>()
    for (const s of found) {
      const r = this.records[s]
      if (r === undefined || seen.has(s)) continue
      seen.add(s)
      out.push(r)
    }
    return out
  }
}
