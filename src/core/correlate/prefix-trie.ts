/**
 * A prefix structure for IP networks: which stored CIDR blocks contain an address (or a smaller
 * block). Used by the observable index (`ISSUBSET` indicators) and by the warninglists (`cidr`
 * lists).
 *
 * Blocks shorter than a full address live in a binary trie per family (one node per bit, children
 * in growable Int32Arrays, so a node costs 8 bytes); a lookup walks at most 32 (IPv4) or 128
 * (IPv6) nodes: O(prefix length), whatever the number of blocks. Full-length entries (`/32`,
 * `/128`, the bulk of real lists such as public DNS resolvers) go to a hash map instead, which
 * keeps the trie small.
 *
 * Each stored block carries small integer values (an indicator slot, a list number). Removing a
 * value leaves its trie nodes in place (they are reused when a block is stored again); the trie
 * only grows with the number of distinct blocks ever stored.
 */
import type { IpNetwork } from '../pattern/ip.js'

/** A values cell: one value, or several. */
type Values = number | number[]

function addValue(cell: Values | undefined, value: number): Values {
  if (cell === undefined) return value
  if (typeof cell === 'number') return cell === value ? cell : [cell, value]
  if (!cell.includes(value)) cell.push(value)
  return cell
}

/** The cell without `value`, `undefined` when it becomes empty, or `null` when `value` was not there. */
function removeValue(cell: Values | undefined, value: number): Values | undefined | null {
  if (cell === undefined) return null
  if (typeof cell === 'number') return cell === value ? undefined : null
  const i = cell.indexOf(value)
  if (i < 0) return null
  cell.splice(i, 1)
  return cell.length === 1 ? (cell[0] as number) : cell
}

function pushValues(cell: Values | undefined, out: number[]): void {
  if (cell === undefined) return
  if (typeof cell === 'number') out.push(cell)
  else for (const v of cell) out.push(v)
}

/** One family's trie: node 0 is the root; child index 0 means "no child" (the root is nobody's child). */
class BitTrie {
  private zero = new Int32Array(64)
  private one = new Int32Array(64)
  /** 1 where a node holds values: a lookup reads the map only there (most nodes on a path hold none). */
  private marked = new Uint8Array(64)
  private nodes = 1
  private readonly values = new Map<number, Values>()

  private child(node: number, bit: number, create: boolean): number {
    const arr = bit === 0 ? this.zero : this.one
    const c = arr[node] as number
    if (c !== 0 || !create) return c
    if (this.nodes === this.zero.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.zero = grow(this.zero)
      this.one = grow(this.one)
      const m = new Uint8Array(this.marked.length * 2)
      m.set(this.marked)
      this.marked = m
    }
    const n = this.nodes++
    ;(bit === 0 ? this.zero : this.one)[node] = n
    return n
  }

  private find(bytes: Uint8Array, prefix: number, create: boolean): number {
    let node = 0
    for (let i = 0; i < prefix; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1
      node = this.child(node, bit, create)
      if (node === 0) return -1
    }
    return node
  }

  insert(bytes: Uint8Array, prefix: number, value: number): void {
    const node = this.find(bytes, prefix, true)
    this.values.set(node, addValue(this.values.get(node), value))
    this.marked[node] = 1
  }

  remove(bytes: Uint8Array, prefix: number, value: number): boolean {
    const node = this.find(bytes, prefix, false)
    if (node < 0) return false
    const next = removeValue(this.values.get(node), value)
    if (next === null) return false
    if (next === undefined) {
      this.values.delete(node)
      this.marked[node] = 0
    } else this.values.set(node, next)
    return true
  }

  /** Values on the path of the first `prefix` bits of `bytes` (every stored block containing it). */
  collect(bytes: Uint8Array, prefix: number, out: number[]): void {
    let node = 0
    if (this.marked[0] === 1) pushValues(this.values.get(0), out)
    for (let i = 0; i < prefix; i++) {
      const bit = ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1
      node = ((bit === 0 ? this.zero : this.one)[node] as number) ?? 0
      if (node === 0) return
      if (this.marked[node] === 1) pushValues(this.values.get(node), out)
    }
  }

  /** `collect` for an IPv4 address given as an unsigned 32-bit integer (no byte array). */
  collectV4(addr: number, out: number[]): void {
    let node = 0
    if (this.marked[0] === 1) pushValues(this.values.get(0), out)
    for (let i = 0; i < 32; i++) {
      const bit = (addr >>> (31 - i)) & 1
      node = ((bit === 0 ? this.zero : this.one)[node] as number) ?? 0
      if (node === 0) return
      if (this.marked[node] === 1) pushValues(this.values.get(node), out)
    }
  }

  get nodeCount(): number {
    return this.nodes
  }
  get blockCount(): number {
    return this.values.size
  }
}

/** A full address as a hash key: IPv4 as an unsigned integer, IPv6 as 32 hex digits. */
function hostKey(n: IpNetwork): number | string {
  const b = n.bytes
  if (n.family === 4) return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0
  let s = ''
  for (let i = 0; i < 16; i++) s += ((b[i] as number) < 16 ? '0' : '') + (b[i] as number).toString(16)
  return s
}

/** CIDR blocks of both families, each with integer values; lookups by contained address or block. */
export class PrefixTrie {
  private readonly v4 = new BitTrie()
  private readonly v6 = new BitTrie()
  private readonly hosts = new Map<number | string, Values>()

  private full(n: IpNetwork): boolean {
    return n.prefix === (n.family === 4 ? 32 : 128)
  }

  /** Stores `value` under the block `net` (host bits below the prefix are ignored). */
  insert(net: IpNetwork, value: number): void {
    if (this.full(net)) {
      const k = hostKey(net)
      this.hosts.set(k, addValue(this.hosts.get(k), value))
    } else (net.family === 4 ? this.v4 : this.v6).insert(net.bytes, net.prefix, value)
  }

  /** Removes `value` from the block `net`; false when it was not stored there. */
  remove(net: IpNetwork, value: number): boolean {
    if (!this.full(net)) return (net.family === 4 ? this.v4 : this.v6).remove(net.bytes, net.prefix, value)
    const k = hostKey(net)
    const next = removeValue(this.hosts.get(k), value)
    if (next === null) return false
    if (next === undefined) this.hosts.delete(k)
    else this.hosts.set(k, next)
    return true
  }

  /**
   * Values of every stored block that contains `net` (same family, stored prefix ≤ `net.prefix`,
   * same leading bits), appended to `out` (duplicates possible when one value is stored under
   * several containing blocks). O(net.prefix).
   */
  containing(net: IpNetwork, out: number[] = []): number[] {
    ;(net.family === 4 ? this.v4 : this.v6).collect(net.bytes, net.prefix, out)
    if (this.full(net)) pushValues(this.hosts.get(hostKey(net)), out)
    return out
  }

  /** `containing` for one IPv4 address as an unsigned 32-bit integer (see `ipv4Number`). */
  containingV4(addr: number, out: number[] = []): number[] {
    this.v4.collectV4(addr, out)
    pushValues(this.hosts.get(addr >>> 0), out)
    return out
  }

  /** Whether any stored block contains `net`. */
  contains(net: IpNetwork): boolean {
    return this.containing(net).length > 0
  }

  /** Sizes, for memory reports: distinct blocks and trie nodes. */
  stats(): { blocks: number; nodes: number } {
    return { blocks: this.hosts.size + this.v4.blockCount + this.v6.blockCount, nodes: this.v4.nodeCount + this.v6.nodeCount }
  }
}

/**
 * A dotted-quad IPv4 address in its plain form (`198.51.100.7`: four decimal parts 0–255, no leading
 * zeros, nothing else) as an unsigned integer, without allocating; -1 for anything else (which may
 * still be an address in another spelling: parse those with parseIpOrCidr).
 */
export function ipv4Number(s: string): number {
  const n = s.length
  if (n < 7 || n > 15) return -1
  let addr = 0
  let part = 0
  let digits = 0
  let parts = 0
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 46 : s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || part > 255 || ++parts > 4) return -1
      addr = addr * 256 + part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1
      part = part * 10 + (c - 48)
      if (++digits > 3) return -1
    } else return -1
  }
  return parts === 4 ? addr : -1
}
