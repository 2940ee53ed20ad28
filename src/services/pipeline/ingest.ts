/**
 * The ingest half of the one pipeline: parse → validate → policy → store, for every way objects
 * arrive (TAXII Add Objects, REST, CLI import, later peer sync). Per-object results, batch commits,
 * idempotent on (id, version) so a replay after a crash adds nothing twice.
 */
import type { PrepareOutcome } from '../../core/ingest/prepare.js'
import { collectionAccess } from '../../core/policy/collection-access.js'
import { mayWriteObjects, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { LIMITS } from '../../core/shared/limits.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { Collection, ImportFailure, ImportJob, NewObjectVersion, PutOutcome, StatusDetail, StatusRecord, Tx } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import { actorOf, entryBase, loggedObject, makeLogRecorder, type Recorded } from '../log/record.js'
import { inlinePreparer, type Preparer, type RawItem } from './preparer.js'
import { audiencesOf, makeMarkingDefinitions, type BatchOrigin } from './audience.js'
import type { AgreementView } from '../../core/agreement/view.js'
import type { Origin } from '../../core/policy/audience.js'
import { receiptDefault } from '../../core/marking/effective.js'
import { tlpLevel, tlpRank } from '../../core/marking/tlp.js'

/** The outcome of one object, in input order. */
export interface ItemResult {
  readonly index: number
  readonly id: string | null
  /** The object's version as stored (modified, created, or the date added), when known. */
  readonly version: string | null
  readonly outcome: 'added' | 'duplicate' | 'failed'
  readonly code?: string
  readonly message?: string
  readonly pointer?: string
}

export interface BatchCounts {
  readonly added: number
  readonly duplicates: number
  readonly failed: number
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** A string field of a raw, unvalidated input object, for naming it in a failure report. */
function rawField(item: RawItem, field: string): string | null {
  if (!('value' in item)) return null
  const v = item.value
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null
  const f = (v as Record<string, unknown>)[field]
  return typeof f === 'string' && f.length <= 300 ? f : null
}

/** One object version a committed ingest batch added to a collection (handed to the derive step). */
export interface AddedObject {
  readonly collectionId: string
  readonly objectSeq: number
  readonly stixId: string
  readonly type: string
  readonly json: string
  readonly dateAdded: string
}

export interface IngestDeps extends ServiceDeps {
  readonly preparer?: Preparer
  /**
   * The derive step (DESIGN.md, the one pipeline): called after each committed batch with the
   * versions it added (correlation). Its failures are logged; the write stands.
   */
  readonly onAdded?: (viewer: Viewer, added: readonly AddedObject[]) => Promise<unknown>
  /** The agreements this node knows (retention of versions received from peers). */
  readonly agreementViews?: (nowMs: number) => Promise<ReadonlyMap<string, AgreementView>>
}

export function makeIngestService(deps: IngestDeps) {
  const { store, clock, hasher, ids } = deps
  const preparer = deps.preparer ?? inlinePreparer
  const recorder = makeLogRecorder(hasher)
  const deriveLog = deps.logger.child({ module: 'ingest' })
  const markingDefinitions = makeMarkingDefinitions()
  const noAgreements: ReadonlyMap<string, AgreementView> = new Map()

  /**
   * The audience context of a batch: the default TLP for unmarked input, and who produced it: the
   * submitting organisation (local input) or, when `origin` is given (peer sync, feeds), where it came
   * from. Input from outside gets the collection's default; local input the stricter of the
   * collection's and the submitting organisation's (docs/markings.md "Defaults").
   */
  async function batchOrigin(tx: Tx, viewer: Viewer, collection: Collection, at: string, origin?: Origin): Promise<BatchOrigin> {
    const agreements = origin?.kind === 'peer' && deps.agreementViews ? await deps.agreementViews(clock.nowMs()) : noAgreements
    const collectionDefault = collection.defaultTlp ?? 2
    if (origin !== undefined) return { defaultTlp: collectionDefault, origin, receivedAt: at, agreements }
    const org = await tx.orgs.get(viewer.orgId)
    const orgDefault = org?.defaultTlp !== undefined ? { orgDefault: tlpLevel(org.defaultTlp) } : {}
    const defaultTlp = tlpRank(receiptDefault({ collectionDefault: tlpLevel(collectionDefault), ...orgDefault }))
    return { defaultTlp, origin: { kind: 'local', producer: org?.identityId ?? '' }, receivedAt: at, agreements }
  }

  /** Hands a committed batch to the derive step; never fails the write. */
  async function derive(viewer: Viewer, added: readonly AddedObject[]): Promise<void> {
    if (!deps.onAdded || added.length === 0) return
    try {
      await deps.onAdded(viewer, added)
    } catch (e) {
      deriveLog.error({ err: e, objects: added.length }, 'derive step (correlation) failed after a committed batch')
    }
  }

  /** Checks that the viewer may write into the collection; a collection it may not see is `not_found`. */
  async function writableCollection(viewer: Viewer, idOrAlias: string): Promise<Result<Collection>> {
    if (!mayWriteObjects(viewer)) return err({ code: 'forbidden', reason: 'role' })
    const collection = await store.collections.find(idOrAlias)
    if (!collection) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    const access = collectionAccess(viewer, await store.collections.permissionOf(collection.id, viewer.orgId))
    if (!access.visible) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    if (!access.canWrite) return err({ code: 'forbidden', reason: 'collection' })
    return ok(collection)
  }

  /** Turns prepared outcomes into versions to store (hashing them) and failure results. */
  function toVersions(prepared: readonly PrepareOutcome[], firstIndex: number, raw: readonly RawItem[]) {
    const versions: NewObjectVersion[] = []
    const positions: number[] = []
    const results: (ItemResult | null)[] = new Array(prepared.length).fill(null)
    prepared.forEach((p, i) => {
      if (!p.ok) {
        const issue = p.issues[0]
        const rawItem = raw[i]
        results[i] = {
          index: firstIndex + i,
          id: p.id,
          version: rawItem ? (rawField(rawItem, 'modified') ?? rawField(rawItem, 'created')) : null,
          outcome: 'failed',
          code: p.code,
          message: issue?.message ?? p.code,
          ...(issue ? { pointer: issue.pointer } : {}),
        }
        return
      }
      const v = p.value
      const contentHash = v.contentHash ?? hasher.sha256(v.json)
      versions.push({
        stixId: v.stixId,
        type: v.type,
        specVersion: v.specVersion,
        created: v.created,
        modified: v.modified,
        versionKey: v.modified ?? v.created ?? `h:${hex(contentHash)}`,
        revoked: v.revoked,
        createdByRef: v.createdByRef,
        contentHash,
        json: v.json,
      })
      positions.push(i)
    })
    return { versions, positions, results }
  }

  function merge(
    results: (ItemResult | null)[],
    versions: readonly NewObjectVersion[],
    positions: readonly number[],
    outcomes: readonly PutOutcome[],
    firstIndex: number,
    dateAdded: string,
  ): { results: ItemResult[]; counts: BatchCounts } {
    let added = 0
    let duplicates = 0
    let failed = 0
    outcomes.forEach((o, j) => {
      const v = versions[j] as NewObjectVersion
      const i = positions[j] as number
      const version = v.modified ?? v.created ?? dateAdded
      if (o.kind === 'added') results[i] = { index: firstIndex + i, id: v.stixId, version, outcome: 'added' }
      else if (o.kind === 'duplicate') results[i] = { index: firstIndex + i, id: v.stixId, version, outcome: 'duplicate' }
      else
        results[i] = {
          index: firstIndex + i,
          id: v.stixId,
          version,
          outcome: 'failed',
          code: 'conflict',
          message: 'a different object with this id and modified timestamp already exists; a new version needs a new modified',
          pointer: '/modified',
        }
    })
    const done = results as ItemResult[]
    for (const r of done) {
      if (r.outcome === 'added') added++
      else if (r.outcome === 'duplicate') duplicates++
      else failed++
    }
    return { results: done, counts: { added, duplicates, failed } }
  }

  /**
   * Prepares and stores one batch inside `tx`. Returns, besides the results, the log entries of the
   * versions added: the caller appends them last in the same transaction.
   */
  async function storeBatch(
    tx: Tx,
    viewer: Viewer,
    collectionId: string,
    raw: readonly RawItem[],
    prepared: readonly PrepareOutcome[],
    firstIndex: number,
    dateAdded: string,
    from: BatchOrigin,
  ) {
    const all = toVersions(prepared, firstIndex, raw)
    const { results } = all
    // The audience key of each version; versions whose markings cannot be read are refused.
    const audiences = await audiencesOf(tx, all.versions, from, markingDefinitions)
    const versions: NewObjectVersion[] = []
    const positions: number[] = []
    audiences.forEach((a, j) => {
      const v = all.versions[j] as NewObjectVersion
      const i = all.positions[j] as number
      if (a.ok) {
        versions.push({ ...v, audience: a.value })
        positions.push(i)
        return
      }
      const issue = a.issues[0]
      results[i] = {
        index: firstIndex + i,
        id: v.stixId,
        version: v.modified ?? v.created ?? dateAdded,
        outcome: 'failed',
        code: 'stix_invalid',
        message: `markings: ${issue?.message ?? 'cannot be read'}`,
        ...(issue ? { pointer: issue.pointer } : {}),
      }
    })
    const outcomes = versions.length > 0 ? await tx.objects.putVersions(collectionId, versions, dateAdded) : []
    const base = entryBase(dateAdded, actorOf(viewer))
    const logged: Recorded[] = []
    const added: AddedObject[] = []
    outcomes.forEach((o, j) => {
      if (o.kind !== 'added') return
      const v = versions[j] as NewObjectVersion
      logged.push({ entry: { ...base, kind: 'object.added', collection: collectionId, object: loggedObject(v) }, collectionId, objectSeq: o.objectSeq })
      if (deps.onAdded) added.push({ collectionId, objectSeq: o.objectSeq, stixId: v.stixId, type: v.type, json: v.json, dateAdded })
    })
    return { ...merge(results, versions, positions, outcomes, firstIndex, dateAdded), logged, added }
  }

  function statusDetail(r: ItemResult, fallbackVersion: string): StatusDetail {
    const detail = { id: r.id ?? '', version: r.version ?? fallbackVersion }
    if (r.outcome === 'failed') return { ...detail, message: `${r.code}: ${r.pointer ? `${r.pointer}: ` : ''}${r.message}` }
    if (r.outcome === 'duplicate') return { ...detail, message: 'duplicate: this version was already in the collection' }
    return detail
  }

  /** Import jobs a viewer may see: administrators see all, other users the jobs they started. */
  function mayReadJob(viewer: Viewer, job: ImportJob): boolean {
    if (viewer.kind === 'system' || viewer.role === 'admin') return true
    return job.createdBy === viewer.username
  }

  return {
    writableCollection,

    // --- Import jobs, read side (added for the HTTP adapter: GET /api/v1/imports) -------------
    /** One import job; `not_found` when missing or not the viewer's. */
    async getImportJob(viewer: Viewer, id: string): Promise<Result<ImportJob>> {
      const job = await store.jobs.get(id)
      if (!job || !mayReadJob(viewer, job)) return err({ code: 'not_found', resource: 'import job', id })
      return ok(job)
    },

    /** The most recent import jobs the viewer may see, newest first as the store lists them. */
    async listImportJobs(viewer: Viewer, limit: number): Promise<Result<ImportJob[]>> {
      const admin = viewer.kind === 'system' || viewer.role === 'admin'
      // Non-administrators see their own jobs: read a wider window, then keep theirs.
      const jobs = await store.jobs.list(admin ? limit : Math.min(limit * 10, 10_000))
      return ok(jobs.filter((j) => mayReadJob(viewer, j)).slice(0, limit))
    },

    /**
     * Adds a bounded list of objects (a TAXII envelope or a REST bundle) to a collection in one
     * transaction, and records a TAXII status resource for it. Invalid objects are reported as
     * failures; valid ones are stored.
     */
    async addObjects(
      viewer: Viewer,
      input: { readonly collection: string; readonly objects: readonly unknown[] },
    ): Promise<Result<{ status: StatusRecord; results: ItemResult[] }>> {
      const target = await writableCollection(viewer, input.collection)
      if (!target.ok) return target
      if (input.objects.length > LIMITS.maxObjectsPerRequest) {
        return err({ code: 'limit_exceeded', limit: 'objects per request', max: LIMITS.maxObjectsPerRequest })
      }
      const raw: RawItem[] = input.objects.map((value) => ({ value }))
      const prepared = await preparer.prepare(raw)
      const now = storedTimestampFromMs(clock.nowMs())
      let added: readonly AddedObject[] = []
      const r = await store.transaction(async (tx) => {
        const batch = await storeBatch(tx, viewer, target.value.id, raw, prepared, 0, now, await batchOrigin(tx, viewer, target.value, now))
        const { results, counts, logged } = batch
        added = batch.added
        const failures = results.filter((r) => r.outcome === 'failed')
        const successes = results.filter((r) => r.outcome !== 'failed')
        const status: StatusRecord = {
          id: ids.uuid(),
          collectionId: target.value.id,
          status: 'complete',
          requestTimestamp: now,
          totalCount: results.length,
          successCount: counts.added + counts.duplicates,
          failureCount: counts.failed,
          pendingCount: 0,
          successes: successes.slice(0, LIMITS.maxReportedFailures).map((r) => statusDetail(r, now)),
          failures: failures.slice(0, LIMITS.maxReportedFailures).map((r) => statusDetail(r, now)),
          pendings: [],
          orgId: viewer.orgId,
        }
        await tx.statuses.put(status)
        await recorder.record(tx, logged)
        return ok({ status, results })
      })
      if (r.ok) await derive(viewer, added)
      return r
    },

    /**
     * Adds a batch of objects received from elsewhere (peer sync, vendor feeds) to a collection in one
     * transaction, and runs `within` in that same transaction with the per-object results: federation
     * advances its durable cursor and records origins there, so a crash leaves either the whole batch
     * and the new cursor, or neither. `within` returning `err` rolls everything back. No status resource.
     */
    async ingestBatch(
      viewer: Viewer,
      input: {
        readonly collection: string
        readonly objects: readonly unknown[]
        readonly within?: (tx: Tx, results: readonly ItemResult[]) => Promise<Result<void>>
        /** Where the objects come from (peer sync: the path and the producer at the origin); default: the viewer's organisation. */
        readonly origin?: Origin
        /**
         * The objects already prepared by the caller (peer sync prepares and verifies a page before it
         * stores it), one outcome per object in order; default: prepared here.
         */
        readonly prepared?: readonly PrepareOutcome[]
        /** `relaxed` for batches that can be fetched again from their source (see TransactionOptions). */
        readonly durability?: 'full' | 'relaxed'
      },
    ): Promise<Result<{ results: ItemResult[]; counts: BatchCounts }>> {
      const target = await writableCollection(viewer, input.collection)
      if (!target.ok) return target
      if (input.objects.length > LIMITS.maxObjectsPerRequest) {
        return err({ code: 'limit_exceeded', limit: 'objects per request', max: LIMITS.maxObjectsPerRequest })
      }
      const raw: RawItem[] = input.objects.map((value) => ({ value }))
      if (input.prepared !== undefined && input.prepared.length !== raw.length) throw new Error('ingestBatch: one prepared outcome per object is needed')
      const prepared = input.prepared ?? (await preparer.prepare(raw))
      const now = storedTimestampFromMs(clock.nowMs())
      let added: readonly AddedObject[] = []
      const r = await store.transaction(async (tx) => {
        const batch = await storeBatch(tx, viewer, target.value.id, raw, prepared, 0, now, await batchOrigin(tx, viewer, target.value, now, input.origin))
        added = batch.added
        if (input.within) {
          const w = await input.within(tx, batch.results)
          if (!w.ok) return w
        }
        await recorder.record(tx, batch.logged)
        return ok({ results: batch.results, counts: batch.counts })
      }, input.durability === 'relaxed' ? { durability: 'relaxed' } : undefined)
      if (r.ok) await derive(viewer, added)
      return r
    },

    /**
     * Imports a streamed bundle into a collection in batches, one transaction each, recording progress
     * in an import job inside the same transaction. Re-running the same source (same fingerprint) after
     * a crash resumes after the last committed batch: nothing is lost or stored twice.
     */
    async importStream(
      viewer: Viewer,
      input: {
        readonly collection: string
        readonly source: string
        readonly fingerprint: string
        readonly batches: AsyncIterable<readonly { readonly index: number; readonly text: string }[]>
        readonly onProgress?: (p: { processed: number; added: number; duplicates: number; failed: number; resumedFrom: number }) => void
        /** Called once the job exists (before any object is stored), e.g. to print its id. */
        readonly onJob?: (job: { id: string; resumedFrom: number }) => void
      },
    ) {
      const target = await writableCollection(viewer, input.collection)
      if (!target.ok) return target
      const collectionId = target.value.id
      const now = () => storedTimestampFromMs(clock.nowMs())
      const actor = viewer.kind === 'user' ? viewer.username : `system:${viewer.name}`
      let job = await store.jobs.findRunning(collectionId, input.fingerprint)
      const resumedFrom = job?.processed ?? 0
      if (!job) {
        const at = now()
        job = await store.jobs.create({
          id: ids.uuid(), collectionId, source: input.source, fingerprint: input.fingerprint, state: 'running',
          processed: 0, added: 0, duplicates: 0, failed: 0, failures: [], error: null, createdBy: actor, createdAt: at, updatedAt: at,
        })
      }
      const jobId = job.id
      input.onJob?.({ id: jobId, resumedFrom })
      let batchesCommitted = 0
      let totals = { processed: job.processed, added: job.added, duplicates: job.duplicates, failed: job.failed }
      // Prepare batch n+1 while batch n is being stored: with a worker preparer the two overlap on two cores.
      let pending: Promise<{ raw: RawItem[]; prepared: PrepareOutcome[]; first: number; last: number }> | null = null
      const start = (batch: readonly { index: number; text: string }[]) => {
        const todo = batch.filter((b) => b.index >= resumedFrom)
        const raw: RawItem[] = todo.map((b) => ({ text: b.text }))
        const first = todo[0]?.index ?? 0
        const last = batch[batch.length - 1]?.index ?? -1
        return preparer.prepare(raw).then((prepared) => ({ raw, prepared, first, last }))
      }
      const commit = async (b: { raw: RawItem[]; prepared: PrepareOutcome[]; first: number; last: number }) => {
        const at = now()
        let added: readonly AddedObject[] = []
        const r = await store.transaction(async (tx) => {
          const stored =
            b.raw.length > 0
              ? await storeBatch(tx, viewer, collectionId, b.raw, b.prepared, b.first, at, await batchOrigin(tx, viewer, target.value, at))
              : { results: [], counts: { added: 0, duplicates: 0, failed: 0 }, logged: [], added: [] }
          const { results, counts, logged } = stored
          added = stored.added
          const newFailures: ImportFailure[] = results
            .filter((x) => x.outcome === 'failed')
            .map((x) => ({ index: x.index, id: x.id, code: x.code ?? 'failed', message: x.message ?? '', ...(x.pointer !== undefined ? { pointer: x.pointer } : {}) }))
          await tx.jobs.advance(jobId, { processed: b.last + 1, ...counts, newFailures, at })
          await recorder.record(tx, logged)
          return ok(counts)
        })
        if (!r.ok) throw new Error('import batch failed unexpectedly')
        await derive(viewer, added)
        // Once the first batch is in, the planner learns what the tables look like (an empty table's
        // statistics would otherwise steer reads of a growing collection to full scans).
        if (++batchesCommitted === 1) await store.refreshStatistics()
        totals = {
          processed: b.last + 1,
          added: totals.added + r.value.added,
          duplicates: totals.duplicates + r.value.duplicates,
          failed: totals.failed + r.value.failed,
        }
        input.onProgress?.({ ...totals, resumedFrom })
      }
      try {
        for await (const batch of input.batches) {
          const last = batch[batch.length - 1]?.index ?? -1
          if (last < resumedFrom) {
            input.onProgress?.({ ...totals, resumedFrom })
            continue
          }
          const next = start(batch)
          if (pending) await commit(await pending)
          pending = next
        }
        if (pending) await commit(await pending)
        pending = null
      } catch (e) {
        if (pending) await pending.catch(() => undefined)
        await store.jobs.finish(jobId, 'failed', (e as Error).message, now())
        throw e
      }
      await store.jobs.finish(jobId, 'completed', null, now())
      await store.refreshStatistics()
      const finished = await store.jobs.get(jobId)
      return ok(finished ?? job)
    },
  }
}

export type IngestService = ReturnType<typeof makeIngestService>
