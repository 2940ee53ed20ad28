/**
 * Observable index benchmark (issue 4): builds the index from N indicators made from the real
 * IOC corpora in ../shared/data/iocs (ESET malware hashes, then Maltrail domain, IPv4, IPv6, URL and
 * address-and-port trails with the patterns of bench/generate.ts), measures the memory it holds,
 * then correlates M observables one at a time: the 19,862 ThreatFox IPs (most of the 6,703 in
 * Maltrail are address-and-port trails: an address alone is a `partial` hit), Maltrail values in
 * other spellings (upper case, trailing dot), and values that hit nothing.
 *
 *   node --expose-gc --import tsx bench/correlate-index.ts [indicators=1000000] [observables=1000000]
 *
 * Observables go through the index one at a time with partial hits (`matchObjects`) and in pages of
 * 5,000 without them (`matchEach`); warninglist checks through the simple `match` and the fast `check`.
 *
 * Prints one JSON line. Memory is V8 heap used plus array buffers, after a full GC, minus the same
 * figure before building (the input indicators are parsed one at a time and not kept).
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { ObservableIndex } from '../src/core/correlate/observable-index.js'
import { WarninglistMatcher, kindOf } from '../src/core/correlate/warninglists.js'
import { loadWarninglists } from '../src/platform/warninglists.js'
import { SHARED_DATA, patternFor } from './generate.js'

const INDICATORS = Number(process.argv[2] ?? 1_000_000)
const OBSERVABLES = Number(process.argv[3] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

function uuidFrom(s: string): string {
  const x = createHash('sha256').update(s).digest('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-4${x.slice(13, 16)}-8${x.slice(17, 20)}-${x.slice(20, 32)}`
}

function memory(): number {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

interface Row {
  readonly value: string
  readonly type: string
}

function maltrailRows(): Row[] {
  const text = gunzipSync(readFileSync(join(SHARED_DATA, 'iocs', 'maltrail-static-trails.csv.gz'))).toString('utf8')
  const out: Row[] = []
  for (const line of text.split('\n').slice(1)) {
    // value,type,category,family: the value has no comma for the types used here.
    const c1 = line.indexOf(',')
    const c2 = line.indexOf(',', c1 + 1)
    if (c1 < 0 || c2 < 0) continue
    const type = line.slice(c1 + 1, c2)
    if (type === 'domain' || type === 'ipv4' || type === 'ipv6' || type === 'url' || type === 'ipv4-port') out.push({ value: line.slice(0, c1), type })
  }
  return out
}

function esetHashes(): Row[] {
  const lines = readFileSync(join(SHARED_DATA, 'iocs', 'eset-malware-ioc-hashes.csv'), 'utf8').split('\n').slice(1)
  return lines.filter((l) => l.includes(',')).map((l) => {
    const [value, type] = l.split(',') as [string, string]
    return { value, type }
  })
}

const HASH_PATH: Record<string, string> = { MD5: 'MD5', SHA1: "'SHA-1'", SHA256: "'SHA-256'" }

const rows = [...esetHashes(), ...maltrailRows()]
const threatfox = readFileSync(join(SHARED_DATA, 'iocs', 'threatfox-ioc-ips.txt'), 'utf8').split('\n').filter((l) => l !== '')
if (rows.length < INDICATORS) throw new Error(`the corpora have ${rows.length} usable rows, fewer than ${INDICATORS}`)

// Warninglists: load and build all of ../shared/data/misp/warninglists.
const wlBefore = memory()
const wlStart = performance.now()
const loaded = await loadWarninglists(join(SHARED_DATA, 'misp', 'warninglists'))
const warninglists = new WarninglistMatcher(loaded.lists)
const wlLoadMs = performance.now() - wlStart
const wlBytes = memory() - wlBefore

const before = memory()
const index = new ObservableIndex()
const t0 = performance.now()
let failed = 0
let used = 0
for (let i = 0; index.size < INDICATORS && i < rows.length; i++) {
  used = i + 1
  const r = rows[i] as Row
  const pattern = HASH_PATH[r.type] !== undefined ? `[file:hashes.${HASH_PATH[r.type]} = '${r.value}']` : patternFor(r.value, r.type)
  if (pattern === null) continue
  // Through JSON, as indicators arrive from the store: flat strings, nothing shared with the corpus.
  const json = JSON.stringify({ id: `indicator--${uuidFrom(`${r.type}|${r.value}`)}`, pattern, valid_from: '2026-08-23T12:00:00Z', created_by_ref: 'identity--8a1c1f0e-5a3b-4c1e-9d2f-3b7e4c6d5a10' })
  const added = index.add(JSON.parse(json) as { id: string; pattern: string })
  if (!added.ok) failed++
}
const buildSeconds = (performance.now() - t0) / 1000
const after = memory()

// Observables: ThreatFox IPs, Maltrail values re-spelled (upper case, trailing dot, default port),
// hashes in upper case, and misses.
const observables: unknown[] = []
for (let i = 0; observables.length < OBSERVABLES; i++) {
  const k = i % 4
  if (k === 0) observables.push({ type: 'ipv4-addr', value: threatfox[(i >> 2) % threatfox.length] })
  else if (k === 1) {
    const r = rows[(i * 7919) % used] as Row
    if (r.type === 'ipv4-port') observables.push({ type: 'ipv4-addr', value: r.value.slice(0, r.value.lastIndexOf(':')) })
    else if (r.type === 'domain') observables.push({ type: 'domain-name', value: `${r.value.toUpperCase()}.` })
    else if (r.type === 'url') observables.push({ type: 'url', value: r.value })
    else if (r.type === 'ipv4') observables.push({ type: 'ipv4-addr', value: r.value })
    else if (r.type === 'ipv6') observables.push({ type: 'ipv6-addr', value: r.value })
    else observables.push({ type: 'file', hashes: { [r.type]: r.value.toUpperCase() } })
  } else if (k === 2) observables.push({ type: 'domain-name', value: `host-${i}.not-listed.example` })
  else observables.push({ type: 'ipv4-addr', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })
}
// As observables arrive (parsed JSON: flat strings, not the concatenations built above).
const queries = JSON.parse(JSON.stringify(observables)) as unknown[]
observables.length = 0
const now = Date.parse('2026-09-01T00:00:00Z')
const t1 = performance.now()
let matched = 0
let partial = 0
let threatfoxMatched = 0
let threatfoxPartial = 0
for (let i = 0; i < queries.length; i++) {
  const r = index.matchObjects([queries[i]], { now })
  if (r.matches.length > 0) {
    matched++
    if (i % 4 === 0) threatfoxMatched++
  } else if (r.partial.length > 0) {
    partial++
    if (i % 4 === 0) threatfoxPartial++
  }
}
const querySeconds = (performance.now() - t1) / 1000
// The same through the batch API (pages of 5,000, no partial hits: what the service asks).
const t3 = performance.now()
let batchMatched = 0
for (let i = 0; i < queries.length; i += 5_000) index.matchEach(queries.slice(i, i + 5_000), { now }, () => batchMatched++)
const batchSeconds = (performance.now() - t3) / 1000

// Warninglist checks of the same observables (what the service does for each hit value).
const sample = queries.slice(0, 200_000) as { type: string; value?: string; hashes?: Record<string, string> }[]
const probeOf = (o: (typeof sample)[number]): [string, string] => (o.value !== undefined ? ['value', o.value] : ['hashes.MD5', Object.values(o.hashes ?? {})[0] ?? ''])
const t2 = performance.now()
let suppressed = 0
for (const o of sample) {
  const [path, value] = probeOf(o)
  if (warninglists.match(value, kindOf(o.type, path)).length > 0) suppressed++
}
const wlChecksPerS = 200_000 / ((performance.now() - t2) / 1000)
// The fast path (check), with its verdict cache cold at the start.
const t4 = performance.now()
let fastSuppressed = 0
for (const o of sample) {
  const [path, value] = probeOf(o)
  if (warninglists.check(value, kindOf(o.type, path)) !== null) fastSuppressed++
}
const wlFastPerS = 200_000 / ((performance.now() - t4) / 1000)
const stats = index.stats()

console.log(
  JSON.stringify({
    bench: 'correlate-index',
    node: process.version,
    indicators: stats.indicators,
    failed,
    keys: stats.keys,
    modes: { exact: stats.exact, confirm: stats.confirm, fallback: stats.fallback },
    build_s: Number(buildSeconds.toFixed(2)),
    index_mb: Number(((after - before) / 1e6).toFixed(1)),
    bytes_per_indicator: Math.round((after - before) / stats.indicators),
    observables: queries.length,
    matched,
    partial,
    threatfox_queries: Math.ceil(queries.length / 4),
    threatfox_matched: threatfoxMatched,
    threatfox_partial: threatfoxPartial,
    lookups_per_s: Math.round(queries.length / querySeconds),
    batch_lookups_per_s: Math.round(queries.length / batchSeconds),
    batch_matched: batchMatched,
    warninglists: loaded.lists.length,
    warninglist_entries: warninglists.stats().entries,
    warninglist_load_ms: Math.round(wlLoadMs),
    warninglist_mb: Number((wlBytes / 1e6).toFixed(1)),
    warninglist_checks_per_s: Math.round(wlChecksPerS),
    warninglist_suppressed_of_200k: suppressed,
    warninglist_fast_checks_per_s: Math.round(wlFastPerS),
    warninglist_fast_suppressed_of_200k: fastSuppressed,
  }),
)
