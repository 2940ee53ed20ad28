/**
 * Correlation benchmark (issue 4, Performance): the service's in-memory structures at scale.
 *
 *   node --expose-gc --max-old-space-size=6144 --import tsx bench/correlate.ts [indicators=1000000] [observables=1000000] [likes=skip] [partial=on] [only=recorrelation]
 *
 * 1. Loads N Maltrail indicators (bench/generate.ts; the cached .bench/maltrail-indicators-N.json
 *    when present) and builds the ObservableIndex the correlation service keeps; measures its memory.
 * 2. Correlates M observables through the index, with the warninglist check the service makes for
 *    every hit: a mix of the 19,862 ThreatFox IPs (6,703 of them in Maltrail), Maltrail values in
 *    other spellings (and, unless likes=skip, URLs that contain Maltrail URL paths), and values that
 *    hit nothing. Measured one query at a time (`matchObjects`, the simple warninglist `match`) and
 *    through the batch API (`matchEach`, the warninglist fast path `check`), as the service does.
 * 3. Full re-correlation as `entente correlate --all` does it in memory: rebuild the index from the
 *    N indicators, file the M stored observations' values (ObservationValues, what lets a new
 *    indicator find earlier observations), and run every stored observation through the index in
 *    batches of 5,000 (the service's page size).
 *    Store reads and writes (sightings, alerts) are not included: they are per match, not per object
 *    (bench/correlate-service.ts measures `correlateAll` on a SQLite node with them).
 *    `only=recorrelation` skips steps 1 and 2 (to profile step 3 alone).
 *
 * Prints one JSON line. Memory is V8 heap used plus array buffers after a full GC, minus before;
 * `gcSeconds` are the collector's pauses on the main thread during the rebuild and the whole step 3.
 */
import { createReadStream, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PerformanceObserver } from 'node:perf_hooks'
import { ObservableIndex } from '../src/core/correlate/observable-index.js'
import { WarninglistMatcher, kindOf } from '../src/core/correlate/warninglists.js'
import { loadWarninglists } from '../src/platform/warninglists.js'
import { ObservationValues } from '../src/services/correlate/observations.js'
import { SHARED_DATA, generateIndicatorBundle } from './generate.js'

const INDICATORS = Number(process.argv[2] ?? 1_000_000)
/** `likes=skip`: leave out the Maltrail url-path trails (`[url:value LIKE '%…%']`, fallback patterns evaluated against every URL). */
const SKIP_LIKE = process.argv.slice(4).includes('likes=skip')
/** `partial=on`: also collect partial hits (the service does not: it only acts on matches). */
const PARTIAL = process.argv.slice(4).includes('partial=on')
/** `only=recorrelation`: skip steps 1 and 2 (for profiling step 3 alone). */
const ONLY_RECORRELATION = process.argv.slice(4).includes('only=recorrelation')
const OBSERVABLES = Number(process.argv[3] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
const memory = (): number => {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
const mb = (b: number) => Math.round(b / 1e5) / 10

interface Ind {
  readonly id: string
  readonly pattern: string
  readonly valid_from: string
}

// ---- input ------------------------------------------------------------------------------------
const bundle = await generateIndicatorBundle(INDICATORS, join(import.meta.dirname, '..', '.bench'))
const indicators: Ind[] = []
for await (const line of createInterface({ input: createReadStream(bundle), crlfDelay: Infinity })) {
  const lead = line.startsWith(',') ? line.slice(1) : line
  const text = lead.endsWith(',') ? lead.slice(0, -1) : lead
  if (!text.startsWith('{"type":"indicator"')) continue
  const o = JSON.parse(text) as Ind
  if (SKIP_LIKE && o.pattern.includes(' LIKE ')) continue
  indicators.push({ id: o.id, pattern: o.pattern, valid_from: o.valid_from })
  if (indicators.length >= INDICATORS) break
}
const threatfox = readFileSync(join(SHARED_DATA, 'iocs', 'threatfox-ioc-ips.txt'), 'utf8').split('\n').filter((l) => l !== '')
const wlLists = (await loadWarninglists(join(SHARED_DATA, 'misp', 'warninglists'))).lists
const wl = new WarninglistMatcher(wlLists)

/** The value of a simple `[type:value = '…']` pattern (for making observables that hit). */
function valueOf(pattern: string): { type: string; value: string } | null {
  const m = /^\[([a-z0-9-]+):value = '((?:[^'\\]|\\.)*)'\]$/.exec(pattern)
  if (m) return { type: m[1] as string, value: (m[2] as string).replace(/\\(.)/g, '$1') }
  // A URL-path trail: a URL on some host with that path in it.
  const l = /^\[url:value LIKE '%((?:[^'\\%_]|\\.)*)%'\]$/.exec(pattern)
  if (l) return { type: 'url', value: `http://files.example.net${(l[1] as string).replace(/\\(.)/g, '$1')}?id=1` }
  const p = /dst_ref\.value = '([^']*)'/.exec(pattern)
  return p ? { type: 'ipv4-addr', value: p[1] as string } : null
}

// Observables: all ThreatFox IPs, then Maltrail values (upper case, trailing dot for domains) and misses.
const observables: { type: string; value: string }[] = threatfox.map((value) => ({ type: 'ipv4-addr', value }))
for (let i = 0; observables.length < OBSERVABLES; i++) {
  if (i % 2 === 0) {
    const v = valueOf((indicators[(i * 7919) % indicators.length] as Ind).pattern)
    if (v) observables.push(v.type === 'domain-name' ? { type: v.type, value: `${v.value.toUpperCase()}.` } : v)
  } else if (i % 4 === 1) observables.push({ type: 'domain-name', value: `host-${i}.not-listed.example` })
  else observables.push({ type: 'ipv4-addr', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })
}
const queries = JSON.parse(JSON.stringify(observables)) as { type: string; value: string }[]
observables.length = 0
const now = Date.parse('2026-11-01T00:00:00Z')

// ---- 1. build ---------------------------------------------------------------------------------
function build(): { index: ObservableIndex; ms: number; failed: number } {
  const started = performance.now()
  const index = new ObservableIndex()
  let failed = 0
  for (const ind of indicators) if (!index.add(ind).ok) failed++
  return { index, ms: performance.now() - started, failed }
}
/** Steps 1 and 2: the index build and queries through it (skipped with `only=recorrelation`). */
function measureQueries() {
  const before = memory()
  const first = build()
  const buildMs = first.ms
  const { index } = first
  const indexBytes = memory() - before

  // ---- 2. correlate observables through the index ---------------------------------------------------
  /** The best of `runs` timings (`f` returns its elapsed milliseconds). */
  const best = (runs: number, f: () => number): number => {
    let ms = Infinity
    for (let i = 0; i < runs; i++) ms = Math.min(ms, f())
    return ms
  }
  let matches = 0
  let partial = 0
  let suppressed = 0
  let threatfoxHits = 0
  let started = performance.now()
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i] as { type: string; value: string }
    const r = index.matchObjects([q], { now, partial: PARTIAL })
    if (r.matches.length > 0) {
      matches += r.matches.length
      if (i < threatfox.length) threatfoxHits++
      for (const m of r.matches) for (const v of m.values) if (wl.match(String(v.value), kindOf(v.objectType, v.path)).length > 0) suppressed++
    }
    if (r.partial.length > 0) {
      partial += r.partial.length
      if (i < threatfox.length && r.matches.length === 0) threatfoxHits++
    }
  }
  const correlateMs = performance.now() - started
  // The index alone (no warninglist check), on the same observables.
  started = performance.now()
  let indexOnlyMatches = 0
  for (let i = 0; i < queries.length; i++) indexOnlyMatches += index.matchObjects([queries[i] as { type: string; value: string }], { now, partial: false }).matches.length
  const indexOnlyMs = performance.now() - started
  // The batch API (one call per page of 5,000 observables, as the service), alone and with the fast warninglist check.
  let batchMatches = 0
  const batchMs = best(2, () => {
    batchMatches = 0
    const t = performance.now()
    for (let i = 0; i < queries.length; i += BATCH) index.matchEach(queries.slice(i, i + BATCH), { now }, () => batchMatches++)
    return performance.now() - t
  })
  let batchSuppressed = 0
  const coldWl = () => new WarninglistMatcher(wlLists)
  let fastWl = coldWl()
  const batchWlMs = best(2, () => {
    batchSuppressed = 0
    fastWl = coldWl() // a cold verdict cache on each run
    const t = performance.now()
    for (let i = 0; i < queries.length; i += BATCH) {
      index.matchEach(queries.slice(i, i + BATCH), { now }, (_, m) => {
        for (const v of m.values) if (fastWl.check(String(v.value), kindOf(v.objectType, v.path)) !== null) batchSuppressed++
      })
    }
    return performance.now() - t
  })
  return {
    threatfoxHits,
    matches,
    partial,
    suppressedByWarninglists: suppressed,
    buildSeconds: Number((buildMs / 1000).toFixed(2)),
    indexMemoryMB: mb(indexBytes),
    observablesPerSecond: Math.round(queries.length / (correlateMs / 1000)),
    indexOnly: { observablesPerSecond: Math.round(queries.length / (indexOnlyMs / 1000)), matches: indexOnlyMatches },
    batch: {
      observablesPerSecond: Math.round(queries.length / (batchMs / 1000)),
      matches: batchMatches,
      withWarninglistCheck: { observablesPerSecond: Math.round(queries.length / (batchWlMs / 1000)), suppressed: batchSuppressed },
    },
  }
}
const BATCH = 5_000
const queried = ONLY_RECORRELATION ? {} : measureQueries()

// ---- 3. full re-correlation (in memory) ------------------------------------------------------------
gc()
// The collector's pauses, by start time (the observer is called later, between ticks).
const pauses: { start: number; ms: number }[] = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration })
}).observe({ entryTypes: ['gc'] })
/** Milliseconds of collector pauses that started within the windows. */
const gcWithin = (...windows: [number, number][]): number => pauses.filter((p) => windows.some(([a, b]) => p.start >= a && p.start < b)).reduce((n, p) => n + p.ms, 0)
let started = performance.now()
const { index, failed } = build()
const rebuilt = performance.now()
const rebuildMs = rebuilt - started
const rebuildWindow: [number, number] = [started, rebuilt]
const stored = new ObservationValues()
const obsBefore = memory()
started = performance.now()
for (let i = 0; i < queries.length; i++) {
  const q = queries[i] as { type: string; value: string }
  stored.put({ id: `observed-data--${i}`, kind: 'sco', type: q.type, collectionId: 'c', objectSeq: i, reporterOrg: 'o', dateAdded: '2026-11-01T00:00:00.000000Z' }, [q])
}
const filed = performance.now()
const fileMs = filed - started
const fileWindow: [number, number] = [started, filed]
const observationBytes = memory() - obsBefore
started = performance.now()
let reMatches = 0
for (let i = 0; i < queries.length; i += BATCH) index.matchEach(queries.slice(i, i + BATCH), { now }, () => reMatches++)
const matched = performance.now()
const rematchMs = matched - started + fileMs
await new Promise((r) => setTimeout(r, 10))
const gcSeconds = {
  rebuild: Number((gcWithin(rebuildWindow) / 1000).toFixed(2)),
  total: Number((gcWithin(rebuildWindow, fileWindow, [started, matched]) / 1000).toFixed(2)),
}

process.stdout.write(
  `${JSON.stringify({
    bench: 'correlate',
    likePatterns: SKIP_LIKE ? 'skipped' : 'included',
    partialHits: PARTIAL ? 'collected' : 'not collected (as the service)',
    indicators: indicators.length,
    notIndexed: failed,
    observables: queries.length,
    threatfoxIps: threatfox.length,
    ...queried,
    recorrelation: {
      seconds: Number(((rebuildMs + rematchMs) / 1000).toFixed(2)),
      rebuildSeconds: Number((rebuildMs / 1000).toFixed(2)),
      observationsSeconds: Number((rematchMs / 1000).toFixed(2)),
      fileSeconds: Number((fileMs / 1000).toFixed(2)),
      // Pauses of the garbage collector in the rebuild, and in the whole re-correlation.
      gcSeconds,
      matches: reMatches,
      // `stored` is read after the measurement, so the collector cannot take it before.
      storedObservations: stored.size,
      observationValuesMemoryMB: mb(observationBytes),
    },
    index: index.stats(),
  })}\n`,
)
