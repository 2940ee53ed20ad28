/**
 * The in-memory side of stored observations: which observations (observed-data, standalone SCOs,
 * sightings with observed data) hold which values, so that a new indicator finds the earlier
 * observations it matches without a scan of the store. Values are kept as given, lower-cased and in
 * canonical form (by their shape); the candidates this finds are confirmed by the pattern matcher.
 */
import { canonicalHash, canonicalHashAlgorithm, canonicalValue, ruleByShape, ruleFor } from '../../core/correlate/normalise.js'
import { PrefixTrie } from '../../core/correlate/prefix-trie.js'
import type { Pattern } from '../../core/pattern/ast.js'
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

/** Files the keys of a value: as given, lower case, canonical for its property and by its shape. */
function addKeysOf(type: string, prop: string, v: string, keys: Set<string>): void {
  keys.add(v)
  const lower = v.toLowerCase()
  keys.add(lower)
  const rule = ruleFor(type, prop)
  const c = canonicalValue(rule, v)
  if (typeof c === 'string') keys.add(c)
  const shape = ruleByShape(v)
  // The same rule gives the same form (an address under `ip` twice): computed once.
  if (shape !== rule) {
    const s = canonicalValue(shape, v)
    if (typeof s === 'string') keys.add(s)
  }
}

/** The string values of an SCO that indicators compare with (top-level strings and hashes). */
export function observedValues(sco: unknown): { keys: string[]; ips: string[] } {
  const keys = new Set<string>()
  const ips: string[] = []
  collectValues(sco, keys, ips)
  return { keys: [...keys], ips }
}

/** observedValues into a set and a list (several SCOs of one observation share them). */
function collectValues(sco: unknown, keys: Set<string>, ips: string[]): void {
  if (!isObject(sco) || typeof sco.type !== 'string') return
  for (const prop in sco) {
    if (!Object.hasOwn(sco, prop) || prop === 'id' || prop === 'type' || prop === 'spec_version') continue
    const v = sco[prop]
    if (typeof v === 'string' && v.length <= 2048) {
      addKeysOf(sco.type, prop, v, keys)
      if (prop === 'value' && (sco.type === 'ipv4-addr' || sco.type === 'ipv6-addr') && !ips.includes(v)) ips.push(v)
    } else if (prop === 'hashes' && isObject(v)) {
      for (const [alg, h] of Object.entries(v)) {
        if (typeof h !== 'string') continue
        keys.add(h)
        keys.add(h.toLowerCase())
        keys.add(canonicalHash(canonicalHashAlgorithm(alg), h))
      }
    }
  }
}

/** What a pattern could match by: its `=`/`IN` string literals (all forms), CIDR blocks, and whether it has neither. */
export function patternProbes(p: Pattern): { keys: string[]; networks: string[]; unbounded: boolean } {
  const keys = new Set<string>()
  const networks: string[] = []
  let unbounded = false
  const comparisons: unknown[] = []
  const stack: unknown[] = [p.expression]
  while (stack.length > 0) {
    const e = stack.pop() as { kind: string; [k: string]: unknown }
    if (e.kind === 'observation') stack.push(e.comparison)
    else if (e.kind === 'qualified') stack.push(e.expression)
    else if (e.kind === 'comparison') comparisons.push(e)
    else stack.push(e.left, e.right)
  }
  for (const c of comparisons as { operator: string; negated: boolean; value?: { type: string; value: unknown }; values?: { type: string; value: unknown }[] }[]) {
    const lits = c.operator === 'IN' ? (c.values ?? []) : c.value ? [c.value] : []
    const exact = !c.negated && (c.operator === '=' || c.operator === 'IN')
    const subset = !c.negated && c.operator === 'ISSUBSET'
    let any = false
    for (const l of lits) {
      if (l.type !== 'string' || typeof l.value !== 'string') continue
      const v = l.value
      const net = parseIpOrCidr(v)
      if (net && (subset || net.prefix < (net.family === 4 ? 32 : 128))) {
        networks.push(v)
        any = true
      }
      if (exact) {
        addKeysOf('', '', v, keys)
        any = true
      }
    }
    if (!any && (c.operator === 'LIKE' || c.operator === 'MATCHES' || c.negated || c.operator === '!=' || c.operator === 'EXISTS')) unbounded = true
  }
  if (keys.size === 0 && networks.length === 0) unbounded = true
  return { keys: [...keys], networks, unbounded }
}

/** Observations by value. Slots are reused after removal. */
export class ObservationValues {
  private readonly records: (ObservationRecord | undefined)[] = []
  private readonly keysOfSlot: (readonly string[] | undefined)[] = []
  private readonly ipsOfSlot: (readonly string[] | undefined)[] = []
  private readonly slotOf = new Map<string, number>()
  private readonly free: number[] = []
  private readonly byKey = new Map<string, number | number[]>()
  private readonly byIp = new Map<string, number | number[]>()

  get size(): number {
    return this.slotOf.size
  }

  private static ref(r: { collectionId: string; id: string }): string {
    return `${r.collectionId}\u0000${r.id}`
  }

  /** Files an observation under its SCOs' values (replacing an earlier version of it). */
  put(rec: ObservationRecord, scos: readonly unknown[]): void {
    const ref = ObservationValues.ref(rec)
    if (this.slotOf.has(ref)) this.remove(rec)
    const keys = this.scratchKeys
    keys.clear()
    const ips: string[] = []
    for (const s of scos) collectValues(s, keys, ips)
    const slot = this.free.pop() ?? this.records.length
    const list = [...keys]
    this.records[slot] = rec
    this.keysOfSlot[slot] = list
    this.ipsOfSlot[slot] = ips
    this.slotOf.set(ref, slot)
    // Each key once per observation, and the slot is new to every cell: no duplicate checks.
    for (const k of list) add(this.byKey, k, slot)
    for (const ip of ips) add(this.byIp, ip, slot)
  }
  private readonly scratchKeys = new Set<string>()

  remove(r: { collectionId: string; id: string }): void {
    const ref = ObservationValues.ref(r)
    const slot = this.slotOf.get(ref)
    if (slot === undefined) return
    for (const k of this.keysOfSlot[slot] ?? []) drop(this.byKey, k, slot)
    for (const ip of this.ipsOfSlot[slot] ?? []) drop(this.byIp, ip, slot)
    this.records[slot] = undefined
    this.keysOfSlot[slot] = undefined
    this.ipsOfSlot[slot] = undefined
    this.slotOf.delete(ref)
    this.free.push(slot)
  }

  /**
   * Observations that may match a pattern with these probes; `null` when the pattern has no
   * usable probe and more than `maxScan` observations would have to be evaluated.
   */
  candidates(probes: { keys: readonly string[]; networks: readonly string[]; unbounded: boolean }, maxScan: number): ObservationRecord[] | null {
    const slots = new Set<number>()
    const collect = (cell: number | number[] | undefined) => {
      if (cell === undefined) return
      if (typeof cell === 'number') slots.add(cell)
      else for (const s of cell) slots.add(s)
    }
    if (probes.unbounded) {
      if (this.size > maxScan) return null
      for (const s of this.slotOf.values()) slots.add(s)
    } else {
      for (const k of probes.keys) collect(this.byKey.get(k))
      if (probes.networks.length > 0) {
        const trie = new PrefixTrie()
        for (const n of probes.networks) {
          const net = parseIpOrCidr(n)
          if (net) trie.insert(net, 0)
        }
        for (const [ip, cell] of this.byIp) {
          const net = parseIpOrCidr(ip)
          if (net && trie.contains(net)) collect(cell)
        }
      }
    }
    const out: ObservationRecord[] = []
    for (const s of slots) {
      const r = this.records[s]
      if (r) out.push(r)
    }
    return out
  }
}

/** Adds a slot that is not in the key's cell yet (put files each key of an observation once). */
function add(m: Map<string, number | number[]>, k: string, slot: number): void {
  const c = m.get(k)
  if (c === undefined) m.set(k, slot)
  else if (typeof c === 'number') m.set(k, [c, slot])
  else c.push(slot)
}

function drop(m: Map<string, number | number[]>, k: string, slot: number): void {
  const c = m.get(k)
  if (c === undefined) return
  if (typeof c === 'number') {
    if (c === slot) m.delete(k)
    return
  }
  const i = c.indexOf(slot)
  if (i >= 0) c.splice(i, 1)
  if (c.length === 1) m.set(k, c[0] as number)
  else if (c.length === 0) m.delete(k)
}
