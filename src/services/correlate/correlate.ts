/**
 * The correlation service (issue 4, item 5): the "derive" step of the one pipeline.
 *
 * It keeps, in memory, an ObservableIndex of every current indicator (latest version, not revoked,
 * `pattern_type: stix`; validity is checked at match time) in every collection, with each
 * indicator's owner organisation (the organisation whose write added it, from the transparency log's
 * `object.added` entry; a `system` actor means the host organisation) and collection; and the values
 * of every stored observation (observed-data, standalone SCOs, sightings with observed data).
 * Both are built from the store at first use (or by `correlate --all`) and kept up to date by the
 * ingest pipeline, which hands over what each committed batch added (`ingested`).
 *
 * A match (indicator × observation) becomes:
 * - a STIX `sighting` of the indicator, where_sighted_refs = the reporting organisation's identity,
 *   with a deterministic id (UUIDv5 of indicator id and observation id), stored through the ingest
 *   pipeline into the observation's collection as the `correlation` system actor (so it is in the
 *   transparency log like every write);
 * - an alert to the indicator's owner and one to the reporter, each with what the read policy lets
 *   that organisation see of the other side.
 * Unless it is suppressed: every matched value is on a warninglist, or shared by more indicators than
 * `maxIndicatorsPerValue`. Then there is no sighting and no alert to users, only a suppressed record
 * (for node administrators) with the reason.
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { decayModelFor, decayScore, overCorrelation, type DecayScore } from '../../core/correlate/decay.js'
import { ObservableIndex, type CorrelationResult, type IndexedValue } from '../../core/correlate/observable-index.js'
import { IdTable } from '../../core/correlate/hashed-cells.js'
import { kindOf, WarninglistMatcher, type Warninglist } from '../../core/correlate/warninglists.js'
import { parsePattern } from '../../core/pattern/parser.js'
import { LIMITS } from '../../core/shared/limits.js'
import { ok, type Result } from '../../core/shared/result.js'
import { parseStixTimestamp, storedTimestampFromMs } from '../../core/stix/time.js'
import type { Alert, Organisation, Store } from '../../store/port.js'
import type { Clock, Ids, Logger } from '../deps.js'
import type { AddedObject } from '../pipeline/ingest.js'
import { entryActor } from './log-actor.js'
import { ObservationValues, patternProbes, type ObservationKind, type ObservationRecord } from './observations.js'
import type { Origin } from '../../core/policy/audience.js'
import type { ReadPolicyDeps } from '../share/audience.js'
import { makeObjectVisibility } from '../share/visibility.js'
import { sightingMarking } from './sighting-marking.js'
import { sightingIdOf } from './sighting-id.js'

/** The namespace of correlation sighting ids: sighting--UUIDv5(namespace, indicator id + '|' + observation id). */
export { SIGHTING_NAMESPACE } from './sighting-id.js'

/** The system actor correlation writes as (its sightings are in the log under this name). */
export const CORRELATION_ACTOR = 'correlation'

export const CORRELATION_LIMITS = {
  /** Objects read from the store per query when (re)building (the next page is read while one is indexed). */
  scanBatch: 5_000,
  /** A new indicator without an indexable value is evaluated against at most this many stored observations. */
  maxUnboundedScan: 50_000,
  /** Candidate observations loaded from the store for one batch of new indicators. */
  maxCandidatesPerBatch: 20_000,
} as const

/** SCO types that are observations when stored on their own. */
export const SCO_TYPES: readonly string[] = [
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr', 'ipv6-addr',
  'mac-addr', 'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account', 'windows-registry-key', 'x509-certificate',
]
const SCO_SET: ReadonlySet<string> = new Set(SCO_TYPES)

export interface CorrelationOptions {
  readonly warninglists: readonly Warninglist[]
  /** A value shared by more indicators than this is over-correlated (its matches are suppressed). */
  readonly maxIndicatorsPerValue: number
}


/** What correlation needs of the ingest pipeline: storing its sightings (with no producing organisation). */
export interface SightingWriter {
  ingestBatch(viewer: Viewer, input: { readonly collection: string; readonly objects: readonly unknown[]; readonly origin?: Origin }): Promise<Result<{ results: readonly { outcome: string }[] }>>
}

export interface CorrelateDeps {
  readonly store: Store
  readonly clock: Clock
  readonly ids: Ids
  readonly logger: Logger
  readonly correlation?: CorrelationOptions
  /** Late-bound: the ingest service is built with a hook into this service. */
  readonly writer: () => SightingWriter
  /** The agreements this node knows (the read policy behind sightings' markings). */
  readonly agreementViews?: NonNullable<ReadPolicyDeps['agreementViews']>
}

/** Counts of one correlation run. */
export interface CorrelationSummary {
  indicators: number
  observations: number
  matches: number
  sightings: number
  alerts: number
  suppressed: Record<string, number>
  errors: number
  seconds: number
}

interface IndicatorMeta {
  readonly collectionId: string
  readonly owner: string
  readonly version: string
  readonly pattern: string
  readonly name: string | null
  readonly validFrom: number
  readonly validUntil: number | undefined
  /** valid_from / valid_until as written, for re-indexing in a temporary index (strings, not an object per indicator). */
  readonly validFromText: string | undefined
  readonly validUntilText: string | undefined
  readonly confidence: number | undefined
  lastSighting: number | undefined
}

interface Observation {
  readonly rec: ObservationRecord
  /** observed-data objects (for observed-data and sightings), empty for an SCO. */
  readonly observed: readonly unknown[]
  /** The SCOs (resolved references; for an SCO observation, itself). */
  readonly scos: readonly unknown[]
  readonly firstSeen: string
  readonly lastSeen: string
  readonly count: number
  readonly observedDataRefs: readonly string[]
}

type JsonObject = Record<string, unknown>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

function parse(json: string): JsonObject | null {
  try {
    const v: unknown = JSON.parse(json)
    return isObject(v) ? v : null
  } catch {
    return null
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const ms = (s: unknown): number | undefined => {
  if (typeof s !== 'string') return undefined
  const t = parseStixTimestamp(s)
  return t.ok ? t.value.epochMs : undefined
}
const stixTime = (msValue: number): string => new Date(msValue).toISOString()

/** The organisation a log entry's actor stands for; `system` actors act for the host organisation. */
function actorOrg(entryText: string | null, hostOrg: string): string {
  const by = entryText === null ? null : entryActor(entryText)
  return by && typeof by.org === 'string' ? by.org : hostOrg
}
function actorSystem(entryText: string | null): string | null {
  const by = entryText === null ? null : entryActor(entryText)
  return by && typeof by.system === 'string' ? by.system : null
}

export function makeCorrelateService(deps: CorrelateDeps) {
  const { store, clock, ids, logger } = deps
  const log = logger.child({ module: 'correlate' })
  const options: CorrelationOptions = deps.correlation ?? { warninglists: [], maxIndicatorsPerValue: 100 }
  const warninglists = new WarninglistMatcher(options.warninglists)
  const policy = { maxIndicatorsPerValue: options.maxIndicatorsPerValue, maxObservationsPerValue: Number.POSITIVE_INFINITY }

  let index = new ObservableIndex()
  // By indicator id; an IdTable, not a Map: `correlate --all` fills it with every indicator.
  let meta = new IdTable<IndicatorMeta>()
  let observations = new ObservationValues()
  let built: Promise<void> | null = null
  let hostOrg = ''
  let tail: Promise<unknown> = Promise.resolve()

  /** Serialises correlation work (building, ingest batches, re-correlation). */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn)
    tail = run.catch(() => undefined)
    return run
  }

  const orgCache = new Map<string, Organisation | null>()
  async function org(id: string): Promise<Organisation | null> {
    if (!orgCache.has(id)) orgCache.set(id, await store.orgs.get(id))
    return orgCache.get(id) ?? null
  }

  /** Whether an organisation (as its non-administrator users) may read a collection. */
  async function mayRead(orgId: string, collectionId: string): Promise<boolean> {
    const viewer: Viewer = { kind: 'user', userId: '', username: '', orgId, role: 'read_only' }
    return collectionAccess(viewer, await store.collections.permissionOf(collectionId, orgId)).canRead
  }

  // ---- indicators ------------------------------------------------------------------------------

  /** Indexes (or replaces, or removes) an indicator version; returns true when it is now indexed. */
  const interned = new Map<string, string>()
  const intern = (s: string): string => {
    const known = interned.get(s)
    if (known !== undefined) return known
    if (interned.size < 100_000) interned.set(s, s)
    return s
  }

  function putIndicator(o: JsonObject, collectionId: string, owner: string): boolean {
    const id = str(o.id)
    const pattern = str(o.pattern)
    if (id === undefined || pattern === undefined) return false
    const version = str(o.modified) ?? str(o.created) ?? ''
    const known = meta.get(id)
    if (known && known.version > version) return false // an older version arriving late
    if (o.revoked === true || (o.pattern_type !== undefined && o.pattern_type !== 'stix')) {
      index.remove(id)
      meta.delete(id)
      return false
    }
    const validity = {
      ...(typeof o.valid_from === 'string' ? { valid_from: o.valid_from } : {}),
      ...(typeof o.valid_until === 'string' ? { valid_until: o.valid_until } : {}),
    }
    const r = index.add({ id, pattern, ...validity, created_by_ref: owner })
    if (!r.ok) {
      index.remove(id)
      meta.delete(id)
      log.debug({ indicator: id, code: r.error.code }, 'indicator not indexed')
      return false
    }
    meta.set(id, {
      // A handful of distinct collections and organisations: one string each, not one per indicator.
      collectionId: intern(collectionId),
      owner: intern(owner),
      version,
      pattern,
      name: str(o.name) ?? null,
      validFrom: ms(o.valid_from) ?? ms(o.created) ?? 0,
      validUntil: ms(o.valid_until),
      validFromText: validity.valid_from,
      validUntilText: validity.valid_until,
      confidence: typeof o.confidence === 'number' ? o.confidence : undefined,
      lastSighting: known?.lastSighting,
    })
    return true
  }

  // ---- observations ----------------------------------------------------------------------------

  /** The latest stored version of an object, anywhere. */
  async function latest(id: string): Promise<JsonObject | null> {
    const versions = await store.objects.versionsOf(id)
    const last = versions[versions.length - 1]
    return last ? parse(last.json) : null
  }

  /** Resolves an observed-data's `object_refs` (first among `near`, then in the store). */
  async function scosOf(od: JsonObject, near: ReadonlyMap<string, JsonObject>): Promise<JsonObject[]> {
    const out: JsonObject[] = []
    if (isObject(od.objects)) for (const v of Object.values(od.objects)) if (isObject(v)) out.push(v)
    if (Array.isArray(od.object_refs)) {
      for (const ref of od.object_refs.slice(0, 1000)) {
        if (typeof ref !== 'string' || !SCO_SET.has(ref.slice(0, ref.indexOf('--')))) continue
        const sco = near.get(ref) ?? (await latest(ref))
        if (sco) out.push(sco)
      }
    }
    return out
  }

  /** Turns a stored object into an observation (null when it is not one correlation looks at). */
  async function observationOf(o: JsonObject, rec: ObservationRecord, near: ReadonlyMap<string, JsonObject>): Promise<Observation | null> {
    if (rec.kind === 'sco') return { rec, observed: [], scos: [o], firstSeen: rec.dateAdded, lastSeen: rec.dateAdded, count: 1, observedDataRefs: [] }
    if (rec.kind === 'observed-data') {
      const scos = await scosOf(o, near)
      if (scos.length === 0) return null
      return {
        rec, observed: [o], scos,
        firstSeen: str(o.first_observed) ?? rec.dateAdded,
        lastSeen: str(o.last_observed) ?? rec.dateAdded,
        count: typeof o.number_observed === 'number' ? o.number_observed : 1,
        observedDataRefs: [rec.id],
      }
    }
    // A sighting: its observed data.
    const refs = Array.isArray(o.observed_data_refs) ? o.observed_data_refs.filter((r): r is string => typeof r === 'string').slice(0, 100) : []
    const observed: JsonObject[] = []
    const scos: JsonObject[] = []
    for (const ref of refs) {
      const od = near.get(ref) ?? (await latest(ref))
      if (!od) continue
      observed.push(od)
      scos.push(...(await scosOf(od, near)))
    }
    if (scos.length === 0) return null
    return {
      rec, observed, scos,
      firstSeen: str(o.first_seen) ?? rec.dateAdded,
      lastSeen: str(o.last_seen) ?? str(o.first_seen) ?? rec.dateAdded,
      count: typeof o.count === 'number' ? o.count : 1,
      observedDataRefs: refs,
    }
  }

  function kindOfType(type: string): ObservationKind | null {
    if (type === 'observed-data') return 'observed-data'
    if (type === 'sighting') return 'sighting'
    return SCO_SET.has(type) ? 'sco' : null
  }

  /** Runs an observation through an index. */
  function matchIn(idx: ObservableIndex, obs: Observation, now: number): CorrelationResult | null {
    if (obs.rec.kind === 'sco') return idx.matchObjects(obs.scos, { now, partial: false })
    const r = idx.matchObservedData(obs.observed, { now, scos: obs.scos, partial: false })
    return r.ok ? r.value : null
  }

  /**
   * Runs a batch of observations through an index: standalone SCOs in one `matchEach` call (no
   * per-observation allocation), the others one at a time. Matches come out in observation order.
   */
  function matchAll(idx: ObservableIndex, batch: readonly Observation[], now: number, out: Match[]): void {
    const single: number[] = []
    const objects: unknown[] = []
    const found: { pos: number; match: Match }[] = []
    batch.forEach((obs, pos) => {
      if (obs.rec.kind === 'sco') {
        single.push(pos)
        objects.push(obs.scos.length === 1 ? obs.scos[0] : obs.scos)
        return
      }
      const r = matchIn(idx, obs, now)
      if (r) for (const x of r.matches) found.push({ pos, match: { indicator: x.indicator, values: x.values, obs } })
    })
    if (objects.length > 0) {
      idx.matchEach(objects, { now }, (i, x) => {
        const pos = single[i] as number
        found.push({ pos, match: { indicator: x.indicator, values: x.values, obs: batch[pos] as Observation } })
      })
    }
    // Stable: matches of one observation keep the order the index gave them.
    found.sort((a, b) => a.pos - b.pos)
    for (const f of found) out.push(f.match)
  }

  // ---- matches → sightings and alerts ------------------------------------------------------------

  interface Match {
    readonly indicator: string
    readonly values: readonly IndexedValue[]
    readonly obs: Observation
  }

  /** Why a match is suppressed, or null. Suppressed only when every matched value is. */
  function suppression(values: readonly IndexedValue[]): string | null {
    if (values.length === 0) return null
    let first: string | null = null
    for (const v of values) {
      const over = overCorrelation({ indicators: v.indicators }, policy)
      const hit = over === null ? warninglists.check(String(v.value), kindOf(v.objectType, v.path)) : null
      const reason = over ?? (hit ? `warninglist: ${hit.list}` : null)
      if (reason === null) return null
      first ??= reason
    }
    return first
  }

  function decayOf(m: IndicatorMeta, values: readonly IndexedValue[], now: number): DecayScore {
    const model = decayModelFor(values[0]?.objectType ?? 'default')
    return decayScore(
      {
        validFrom: m.validFrom,
        ...(m.validUntil !== undefined ? { validUntil: m.validUntil } : {}),
        ...(m.confidence !== undefined ? { confidence: m.confidence } : {}),
        ...(m.lastSighting !== undefined ? { lastSighting: m.lastSighting } : {}),
      },
      model,
      now,
    )
  }

  /** One distinct match of a batch, with what deciding about it needs. */
  interface Pending {
    readonly m: Match
    readonly ind: IndicatorMeta
    readonly sightingId: string
    readonly reason: string | null
  }

  /**
   * What earlier runs delivered for a batch of matches, in a few queries for the whole batch instead
   * of one per match: the sightings stored (in any collection) and, per organisation, the sightings
   * it has an alert for (suppressed or not). Nothing is written while a batch is decided, so asking
   * before deciding answers what asking per match did.
   */
  async function delivered(pending: readonly Pending[]): Promise<{ stored: ReadonlySet<string>; alerted: (orgId: string, sightingId: string) => boolean }> {
    const byOrg = new Map<string, Set<string>>()
    const ask = (orgId: string, sightingId: string) => {
      let s = byOrg.get(orgId)
      if (s === undefined) byOrg.set(orgId, (s = new Set()))
      s.add(sightingId)
    }
    const sightings: string[] = []
    for (const p of pending) {
      ask(p.ind.owner, p.sightingId)
      if (p.reason !== null) continue
      ask(p.m.obs.rec.reporterOrg, p.sightingId)
      sightings.push(p.sightingId)
    }
    const stored = sightings.length === 0 ? new Set<string>() : await store.objects.storedIds(sightings)
    const alertedBy = new Map<string, ReadonlySet<string>>()
    for (const [orgId, ids] of byOrg) alertedBy.set(orgId, await store.alerts.alertedSightings(orgId, [...ids]))
    return { stored, alerted: (orgId, sightingId) => alertedBy.get(orgId)?.has(sightingId) === true }
  }

  /**
   * Turns matches into sightings (through ingest) and alerts; adds the counts to `summary`. What an
   * earlier run delivered is asked for the whole batch at once (`delivered`), and only what is
   * missing is built: a re-run over delivered matches reads and writes nothing per match.
   */
  async function deliver(matches: readonly Match[], summary: CorrelationSummary): Promise<void> {
    const now = clock.nowMs()
    const at = storedTimestampFromMs(now)
    const host = await org(hostOrg)
    // Each (sighting, observation collection) once per batch, in match order.
    const seen = new Set<string>()
    const pending: Pending[] = []
    for (const m of matches) {
      const ind = meta.get(m.indicator)
      if (!ind) continue
      const sightingId = sightingIdOf(m.indicator, m.obs.rec.id)
      const key = `${sightingId}\u0000${m.obs.rec.collectionId}`
      if (seen.has(key)) continue
      seen.add(key)
      pending.push({ m, ind, sightingId, reason: suppression(m.values) })
    }
    if (pending.length === 0) return
    const { stored, alerted } = await delivered(pending)
    const sightingsByCollection = new Map<string, JsonObject[]>()
    const alerts: Alert[] = []
    // Sightings are marked no wider than the indicator and the observation (sighting-marking.ts).
    const visibility = makeObjectVisibility(deps)
    const readCache = new Map<string, boolean>()
    const readable = async (orgId: string, collectionId: string) => {
      const k = `${orgId}\u0000${collectionId}`
      if (!readCache.has(k)) readCache.set(k, await mayRead(orgId, collectionId))
      return readCache.get(k) === true
    }
    for (const { m, ind, sightingId, reason } of pending) {
      summary.matches++
      const reporter = m.obs.rec.reporterOrg
      if (reason !== null) {
        const counted = reason.startsWith('over-correlated') ? 'over-correlation' : reason
        summary.suppressed[counted] = (summary.suppressed[counted] ?? 0) + 1
      }
      const toOwner = !alerted(ind.owner, sightingId)
      const toReporter = reason === null && !alerted(reporter, sightingId)
      const sight = reason === null && !stored.has(sightingId)
      // The decay of this match uses the indicator's last sighting before it (as it did when every match was built).
      const decay = toOwner || toReporter ? decayOf(ind, m.values, now) : null
      if (reason === null) ind.lastSighting = now
      if (!toOwner && !toReporter && !sight) continue
      const reporterOrg = await org(reporter)
      const v = m.values[0]
      const value = v === undefined ? null : String(v.value)
      // The sighting, unless an earlier run stored it already.
      if (sight && reporterOrg && host) {
        const sighting: JsonObject = {
          type: 'sighting',
          spec_version: '2.1',
          id: sightingId,
          created: stixTime(now),
          modified: stixTime(now),
          created_by_ref: host.identityId,
          sighting_of_ref: m.indicator,
          where_sighted_refs: [reporterOrg.identityId],
          first_seen: m.obs.firstSeen,
          last_seen: m.obs.lastSeen < m.obs.firstSeen ? m.obs.firstSeen : m.obs.lastSeen,
          count: Math.max(0, Math.min(999_999_999, Math.floor(m.obs.count))),
          ...(m.obs.observedDataRefs.length > 0 ? { observed_data_refs: m.obs.observedDataRefs } : {}),
          ...(await sightingMarking(deps, visibility, { indicator: { collectionId: ind.collectionId, id: m.indicator }, observation: { collectionId: m.obs.rec.collectionId, id: m.obs.rec.id } })),
        }
        const list = sightingsByCollection.get(m.obs.rec.collectionId) ?? []
        list.push(sighting)
        sightingsByCollection.set(m.obs.rec.collectionId, list)
      }
      if (decay === null) continue
      const common = {
        value,
        objectType: v?.objectType ?? null,
        path: v?.path ?? null,
        firstSeen: m.obs.firstSeen,
        lastSeen: m.obs.lastSeen,
        count: m.obs.count,
        decay: { score: decay.score, decayed: decay.decayed },
        // Where both sides are stored, so the alert read path can ask the marking policy about each.
        indicatorAt: { collectionId: ind.collectionId },
        observationAt: { collectionId: m.obs.rec.collectionId },
      }
      const ownerOrg = await org(ind.owner)
      const indicatorView = { id: m.indicator, name: ind.name, pattern: ind.pattern, collectionId: ind.collectionId, owner: ind.owner, ownerName: ownerOrg?.name ?? null }
      const observationView = { id: m.obs.rec.id, type: m.obs.rec.type, collectionId: m.obs.rec.collectionId, reporter, reporterName: reporterOrg?.name ?? null }
      const base = { createdAt: at, indicatorId: m.indicator, sightingId, observationId: m.obs.rec.id, value, readAt: null }
      if (reason !== null) {
        alerts.push({ ...base, id: ids.uuid(), orgId: ind.owner, kind: 'indicator_sighted', suppressed: reason, detail: { ...common, indicator: indicatorView, observation: observationView } })
        continue
      }
      if (toOwner) {
        const ownerSees = await readable(ind.owner, m.obs.rec.collectionId)
        alerts.push({
          ...base, id: ids.uuid(), orgId: ind.owner, kind: 'indicator_sighted', suppressed: null,
          detail: { ...common, indicator: indicatorView, observation: ownerSees ? observationView : null, ...(ownerSees ? {} : { note: 'sighted by another organisation' }) },
        })
      }
      if (toReporter) {
        const reporterSees = await readable(reporter, ind.collectionId)
        alerts.push({
          ...base, id: ids.uuid(), orgId: reporter, kind: 'observation_matched', suppressed: null,
          detail: { ...common, observation: observationView, indicator: reporterSees ? indicatorView : null, ...(reporterSees ? {} : { note: 'an indicator of another organisation' }) },
        })
      }
    }
    const writer = deps.writer()
    const viewer: Viewer = { kind: 'system', name: CORRELATION_ACTOR, orgId: hostOrg }
    for (const [collection, list] of sightingsByCollection) {
      for (let i = 0; i < list.length; i += LIMITS.maxObjectsPerRequest) {
        const r = await writer.ingestBatch(viewer, { collection, objects: list.slice(i, i + LIMITS.maxObjectsPerRequest), origin: { kind: 'local', producer: null } })
        if (!r.ok) {
          summary.errors++
          log.warn({ collection, error: r.error }, 'cannot store correlation sightings')
          continue
        }
        for (const x of r.value.results) {
          if (x.outcome === 'added') summary.sightings++
          else if (x.outcome === 'failed') summary.errors++
        }
      }
    }
    for (let i = 0; i < alerts.length; i += 1000) {
      const added = await store.alerts.add(alerts.slice(i, i + 1000))
      summary.alerts += added.filter((a) => a.suppressed === null).length
    }
  }

  // ---- building and re-correlating ---------------------------------------------------------------

  /** Streams stored memberships of some types, in order, as batches. */
  async function* scan(types: readonly string[]) {
    type Rows = Awaited<ReturnType<Store['objects']['scanMembers']>>
    const page = (afterSeq: number): Promise<Rows> => store.objects.scanMembers({ types, afterSeq, limit: CORRELATION_LIMITS.scanBatch })
    let next: Promise<Rows> | null = page(0)
    while (next !== null) {
      const rows: Rows = await next
      if (rows.length === 0) return
      // Read the next page while the caller indexes this one (a full page means there may be more).
      next = rows.length < CORRELATION_LIMITS.scanBatch ? null : page((rows[rows.length - 1] as { seq: number }).seq)
      // A failed read-ahead is reported where it is awaited, not as an unhandled rejection.
      next?.catch(() => undefined)
      yield rows
    }
  }

  async function loadHostOrg(): Promise<void> {
    hostOrg = (await store.meta.get('node.host_org')) ?? ''
  }

  /** Rebuilds the indicator index from the store. */
  async function buildIndicators(onProgress?: (n: number) => void): Promise<void> {
    index = new ObservableIndex()
    meta = new IdTable()
    let n = 0
    for await (const rows of scan(['indicator'])) {
      for (const r of rows) {
        const o = parse(r.json)
        if (o) putIndicator(o, r.collectionId, actorOrg(r.logEntry, hostOrg))
      }
      n += rows.length
      onProgress?.(n)
    }
  }

  /**
   * Every stored observation, in batches: observed-data first (to know which SCOs they reference),
   * then standalone SCOs, then sightings; correlation's own sightings are skipped.
   */
  async function* storedObservations(): AsyncGenerator<Observation[]> {
    const referenced = new Set<string>()
    const kinds: (readonly string[])[] = [['observed-data'], SCO_TYPES, ['sighting']]
    for (const types of kinds) {
      for await (const rows of scan(types)) {
        const near = new Map<string, JsonObject>()
        const parsed: { o: JsonObject; r: (typeof rows)[number] }[] = []
        for (const r of rows) {
          // Correlation's own sightings are not observations (nor what one refers to): skipped unparsed.
          if (r.type === 'sighting' && actorSystem(r.logEntry) === CORRELATION_ACTOR) continue
          const o = parse(r.json)
          if (!o) continue
          parsed.push({ o, r })
          near.set(r.stixId, o)
        }
        const out: Observation[] = []
        for (const { o, r } of parsed) {
          const kind = kindOfType(r.type)
          if (kind === null) continue
          if (kind === 'observed-data' && Array.isArray(o.object_refs)) for (const ref of o.object_refs) if (typeof ref === 'string') referenced.add(`${r.collectionId}\u0000${ref}`)
          if (kind === 'sco' && referenced.has(`${r.collectionId}\u0000${r.stixId}`)) continue
          const rec: ObservationRecord = { id: r.stixId, kind, type: r.type, collectionId: r.collectionId, objectSeq: r.objectSeq, reporterOrg: actorOrg(r.logEntry, hostOrg), dateAdded: r.dateAdded }
          const obs = await observationOf(o, rec, near)
          if (obs) out.push(obs)
        }
        yield out
      }
    }
  }

  /** Loads the index and the observation values from the store (no correlation). */
  async function build(): Promise<void> {
    const started = clock.nowMs()
    await loadHostOrg()
    await buildIndicators()
    observations = new ObservationValues()
    for await (const batch of storedObservations()) for (const obs of batch) observations.put(obs.rec, obs.scos)
    log.info({ indicators: index.size, observations: observations.size, ms: clock.nowMs() - started }, 'correlation index built')
  }

  function ensureBuilt(): Promise<void> {
    built ??= build().catch((e: unknown) => {
      built = null
      throw e
    })
    return built
  }

  const emptySummary = (): CorrelationSummary => ({ indicators: 0, observations: 0, matches: 0, sightings: 0, alerts: 0, suppressed: {}, errors: 0, seconds: 0 })

  /** Correlates a batch of new indicators (already indexed) against the stored observations. */
  async function correlateNewIndicators(newIds: readonly string[], summary: CorrelationSummary): Promise<Match[]> {
    if (newIds.length === 0 || observations.size === 0) return []
    const temp = new ObservableIndex()
    const candidates = new Map<string, ObservationRecord>()
    for (const id of newIds) {
      const m = meta.get(id)
      if (!m) continue
      const parsed = parsePattern(m.pattern)
      if (!parsed.ok) continue
      temp.add({
        id,
        pattern: parsed.value,
        ...(m.validFromText === undefined ? {} : { valid_from: m.validFromText }),
        ...(m.validUntilText === undefined ? {} : { valid_until: m.validUntilText }),
      })
      const found = observations.candidates(patternProbes(parsed.value), CORRELATION_LIMITS.maxUnboundedScan)
      if (found === null) {
        log.warn({ indicator: id }, 'indicator without an indexable value not checked against the stored observations (too many)')
        continue
      }
      for (const r of found) {
        if (candidates.size >= CORRELATION_LIMITS.maxCandidatesPerBatch) break
        candidates.set(`${r.collectionId}\u0000${r.id}`, r)
      }
    }
    const now = clock.nowMs()
    const matches: Match[] = []
    const recs = [...candidates.values()]
    for (let i = 0; i < recs.length; i += 500) {
      const chunk = recs.slice(i, i + 500)
      const rows = await store.audit.objectsBySeq(chunk.map((r) => r.objectSeq))
      const bySeq = new Map(rows.map((r) => [r.seq, r.json]))
      for (const rec of chunk) {
        const json = bySeq.get(rec.objectSeq)
        const o = json === undefined ? null : parse(json)
        if (!o) continue
        const obs = await observationOf(o, rec, new Map())
        if (!obs) continue
        summary.observations++
        const r = matchIn(temp, obs, now)
        if (r) for (const x of r.matches) matches.push({ indicator: x.indicator, values: x.values, obs })
      }
    }
    return matches
  }

  /** The ingest hook: what a committed batch added (see the module comment). */
  async function ingested(viewer: Viewer, added: readonly AddedObject[]): Promise<CorrelationSummary> {
    const summary = emptySummary()
    if (viewer.kind === 'system' && viewer.name === CORRELATION_ACTOR) return summary
    const relevant = added.filter((a) => a.type === 'indicator' || kindOfType(a.type) !== null)
    if (relevant.length === 0) return summary
    return serial(async () => {
      const started = clock.nowMs()
      await ensureBuilt()
      const reporter = viewer.kind === 'user' ? viewer.orgId : hostOrg
      const near = new Map<string, JsonObject>()
      const parsed: { a: AddedObject; o: JsonObject }[] = []
      for (const a of relevant) {
        const o = parse(a.json)
        if (!o) continue
        parsed.push({ a, o })
        near.set(a.stixId, o)
      }
      const newIndicators: string[] = []
      for (const { a, o } of parsed) if (a.type === 'indicator' && putIndicator(o, a.collectionId, reporter)) newIndicators.push(a.stixId)
      summary.indicators = newIndicators.length
      const matches = await correlateNewIndicators(newIndicators, summary)
      // New observations against every indicator. SCOs referenced by an observed-data of the batch are part of it.
      const referenced = new Set<string>()
      for (const { a, o } of parsed) if (a.type === 'observed-data' && Array.isArray(o.object_refs)) for (const ref of o.object_refs) if (typeof ref === 'string') referenced.add(ref)
      const now = clock.nowMs()
      const batch: Observation[] = []
      for (const { a, o } of parsed) {
        const kind = kindOfType(a.type)
        if (kind === null || (kind === 'sco' && referenced.has(a.stixId))) continue
        const rec: ObservationRecord = { id: a.stixId, kind, type: a.type, collectionId: a.collectionId, objectSeq: a.objectSeq, reporterOrg: reporter, dateAdded: a.dateAdded }
        const obs = await observationOf(o, rec, near)
        if (!obs) continue
        observations.put(rec, obs.scos)
        summary.observations++
        batch.push(obs)
      }
      matchAll(index, batch, now, matches)
      await deliver(matches, summary)
      summary.seconds = (clock.nowMs() - started) / 1000
      return summary
    })
  }

  return {
    ingested,

    /** Builds the in-memory index now (e.g. when `serve` starts) instead of at the first ingest. */
    warm(): Promise<void> {
      return serial(() => ensureBuilt())
    },

    /**
     * `entente correlate --all`: rebuilds the index from the store and correlates every stored
     * observation against every indicator. Idempotent: sightings and alerts that exist are kept.
     */
    async correlateAll(input: { readonly onProgress?: (p: { phase: 'indicators' | 'observations'; done: number }) => void } = {}): Promise<Result<CorrelationSummary>> {
      return serial(async () => {
        const started = clock.nowMs()
        const summary = emptySummary()
        await loadHostOrg()
        orgCache.clear()
        await buildIndicators((n) => input.onProgress?.({ phase: 'indicators', done: n }))
        summary.indicators = index.size
        observations = new ObservationValues()
        const now = clock.nowMs()
        for await (const batch of storedObservations()) {
          const matches: Match[] = []
          for (const obs of batch) observations.put(obs.rec, obs.scos)
          summary.observations += batch.length
          matchAll(index, batch, now, matches)
          await deliver(matches, summary)
          input.onProgress?.({ phase: 'observations', done: summary.observations })
        }
        built = Promise.resolve()
        summary.seconds = (clock.nowMs() - started) / 1000
        return ok(summary)
      })
    },

    /** Sizes of the in-memory structures (after the index is built). */
    stats() {
      return { indicators: index.size, observations: observations.size, index: index.stats() }
    },
  }
}

export type CorrelateService = ReturnType<typeof makeCorrelateService>
