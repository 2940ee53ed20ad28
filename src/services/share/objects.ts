/**
 * The delivery half of the pipeline for collections: read → policy → out. TAXII and REST call these;
 * they never reach the store themselves. A collection the viewer may not see answers `not_found`,
 * exactly like a missing one.
 */
import { collectionAccess, type CollectionAccess } from '../../core/policy/collection-access.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import type { Collection, CollectionEntry, KeysetPosition, StatusRecord, VersionFilter } from '../../store/port.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { ServiceDeps } from '../deps.js'
import { actorOf, entryBase, loggedObject, makeLogRecorder } from '../log/record.js'
import { tlpLevel } from '../../core/marking/tlp.js'
import { present } from '../../core/policy/decide.js'
import { canonicalize } from '../../core/stix/canonical.js'
import { makeReadPolicy, type CollectionReadPolicy, type ReadPolicyDeps } from './audience.js'

/** TAXII filters in domain form (timestamps already in stored form). */
export interface ObjectFilters {
  readonly addedAfter?: string
  readonly ids?: readonly string[]
  readonly types?: readonly string[]
  readonly versions?: VersionFilter
  readonly specVersions?: readonly string[]
}

/** The newest STIX specification version this node stores. */
export const LATEST_SPEC_VERSION = '2.1'

export interface EntriesPage {
  readonly items: readonly CollectionEntry[]
  readonly more: boolean
  /** Where the next page starts, when `more`. */
  readonly next: KeysetPosition | null
}

export interface CollectionView extends Collection {
  readonly canRead: boolean
  readonly canWrite: boolean
}

export function makeObjectsService(deps: Pick<ServiceDeps, 'store' | 'clock' | 'hasher'> & Pick<ReadPolicyDeps, 'agreementViews'>) {
  const { store, clock } = deps
  // Who may see which rows (SQL filter) and what they get of each object (present + redaction).
  const readPolicy = makeReadPolicy(deps)
  const recorder = makeLogRecorder(deps.hasher)

  async function access(viewer: Viewer, idOrAlias: string): Promise<Result<{ collection: Collection; access: CollectionAccess }>> {
    const collection = await store.collections.find(idOrAlias)
    if (!collection) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    const a = collectionAccess(viewer, await store.collections.permissionOf(collection.id, viewer.orgId))
    if (!a.visible) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    return ok({ collection, access: a })
  }

  async function readable(viewer: Viewer, idOrAlias: string): Promise<Result<Collection>> {
    const r = await access(viewer, idOrAlias)
    if (!r.ok) return r
    if (!r.value.access.canRead) return err({ code: 'forbidden', reason: 'collection' })
    return ok(r.value.collection)
  }

  async function page(
    collectionId: string,
    filters: ObjectFilters,
    after: KeysetPosition | null,
    limit: number,
    withContent: boolean,
    policy: CollectionReadPolicy,
  ): Promise<EntriesPage> {
    const p = await store.objects.query({ collectionId, ...filters, ...(after ? { after } : {}), limit, withContent, audience: policy.filter })
    const last = p.items[p.items.length - 1]
    const next = p.more && last ? { dateAdded: last.dateAdded, seq: last.seq } : null
    const latest = filters.specVersions === undefined ? await latestSpecVersionsOnly(collectionId, filters, p.items) : p.items
    const items = readPolicy.present(policy, collectionId, latest)
    return { items, more: p.more, next }
  }

  // --- TAXII 2.1 match[spec_version] default (added for the HTTP adapter) -------------------
  // Without match[spec_version], TAXII asks for only the latest spec_version of each object. An entry
  // in an older spec version is dropped when the same object also exists in the collection in the
  // latest one. Only pages holding older entries (legacy 2.0 imports) pay for the extra query; a page
  // may then hold fewer items than `limit`, which TAXII allows, and `next` still moves past them.
  async function latestSpecVersionsOnly(collectionId: string, filters: ObjectFilters, items: readonly CollectionEntry[]): Promise<readonly CollectionEntry[]> {
    const older = [...new Set(items.filter((i) => i.specVersion < LATEST_SPEC_VERSION).map((i) => i.stixId))]
    if (older.length === 0) return items
    const query = (ids: readonly string[], limit: number) =>
      store.objects.query({
        collectionId,
        ids,
        specVersions: [LATEST_SPEC_VERSION],
        versions: { first: false, last: false, all: true, versions: [] },
        ...(filters.addedAfter !== undefined ? { addedAfter: filters.addedAfter } : {}),
        limit,
        withContent: false,
      })
    const newer = await query(older, older.length * 4)
    const superseded = new Set(newer.items.map((i) => i.stixId))
    // Objects with many versions can fill the batch: look the remaining ids up one by one.
    if (newer.more) for (const id of older) if (!superseded.has(id) && (await query([id], 1)).items.length > 0) superseded.add(id)
    if (superseded.size === 0) return items
    return items.filter((i) => i.specVersion >= LATEST_SPEC_VERSION || !superseded.has(i.stixId))
  }

  return {
    /** Collections the viewer may see, with its rights on each. */
    async listCollections(viewer: Viewer): Promise<CollectionView[]> {
      const all = await store.collections.list()
      const out: CollectionView[] = []
      for (const c of all) {
        const a = collectionAccess(viewer, await store.collections.permissionOf(c.id, viewer.orgId))
        if (a.visible) out.push({ ...c, canRead: a.canRead, canWrite: a.canWrite })
      }
      return out
    },

    async getCollection(viewer: Viewer, idOrAlias: string): Promise<Result<CollectionView>> {
      const r = await access(viewer, idOrAlias)
      if (!r.ok) return r
      return ok({ ...r.value.collection, canRead: r.value.access.canRead, canWrite: r.value.access.canWrite })
    },

    /** TAXII Get Objects / Get Manifest: one keyset page. */
    async listObjects(
      viewer: Viewer,
      q: { collection: string; filters: ObjectFilters; after: KeysetPosition | null; limit: number; withContent: boolean },
    ): Promise<Result<EntriesPage & { collectionId: string }>> {
      const c = await readable(viewer, q.collection)
      if (!c.ok) return c
      const policy = await readPolicy.forCollection(viewer, c.value.id, true)
      return ok({ ...(await page(c.value.id, q.filters, q.after, q.limit, q.withContent, policy)), collectionId: c.value.id })
    },

    /**
     * TAXII Get An Object / Get Object Versions: one object's entries. `not_found` when the object
     * has no entry matching the filters in this collection.
     */
    async objectEntries(
      viewer: Viewer,
      q: { collection: string; id: string; filters: ObjectFilters; after: KeysetPosition | null; limit: number; withContent: boolean },
    ): Promise<Result<EntriesPage & { collectionId: string }>> {
      const c = await readable(viewer, q.collection)
      if (!c.ok) return c
      const policy = await readPolicy.forCollection(viewer, c.value.id, true)
      const p = await page(c.value.id, { ...q.filters, ids: [q.id] }, q.after, q.limit, q.withContent, policy)
      if (p.items.length === 0 && q.after === null) return err({ code: 'not_found', resource: 'object', id: q.id })
      return ok({ ...p, collectionId: c.value.id })
    },

    /** TAXII Delete An Object: needs read and write rights on the collection. */
    async deleteObject(
      viewer: Viewer,
      q: { collection: string; id: string; versions?: VersionFilter; specVersions?: readonly string[] },
    ): Promise<Result<{ removed: number }>> {
      const r = await access(viewer, q.collection)
      if (!r.ok) return r
      if (!r.value.access.canRead || !r.value.access.canWrite) return err({ code: 'forbidden', reason: 'collection' })
      const filter = { ...(q.versions ? { versions: q.versions } : {}), ...(q.specVersions ? { specVersions: q.specVersions } : {}) }
      const collectionId = r.value.collection.id
      const removed = await store.transaction(async (tx) => {
        const gone = await tx.objects.removeFromCollection(collectionId, q.id, filter)
        if (gone.length === 0) return err({ code: 'not_found', resource: 'object', id: q.id })
        const base = entryBase(storedTimestampFromMs(clock.nowMs()), actorOf(viewer))
        await recorder.record(
          tx,
          gone.map((v) => ({ entry: { ...base, kind: 'object.removed', collection: collectionId, object: loggedObject(v) }, collectionId, objectSeq: v.objectSeq })),
        )
        return ok(gone.length)
      })
      if (!removed.ok) return removed
      return ok({ removed: removed.value })
    },

    /** TAXII Get Status: only the organisation that made the request may read its status. */
    async getStatus(viewer: Viewer, q: { collection: string; statusId: string }): Promise<Result<StatusRecord>> {
      const r = await access(viewer, q.collection)
      if (!r.ok) return r
      const s = await store.statuses.get(q.statusId)
      const mine = s !== null && s.collectionId === r.value.collection.id && (s.orgId === viewer.orgId || viewer.kind === 'system' || viewer.role === 'admin')
      if (!s || !mine) return err({ code: 'not_found', resource: 'status', id: q.statusId })
      return ok(s)
    },

    /**
     * TAXII Get Status by status id alone (statuses live under the API root, not a collection). Only the
     * organisation that made the request (or an administrator) may read it; others get `not_found`.
     * (Added for the HTTP adapter.)
     */
    async getStatusById(viewer: Viewer, statusId: string): Promise<Result<StatusRecord>> {
      const s = await store.statuses.get(statusId)
      const mine = s !== null && (s.orgId === viewer.orgId || viewer.kind === 'system' || viewer.role === 'admin')
      if (!s || !mine) return err({ code: 'not_found', resource: 'status', id: statusId })
      return ok(s)
    },

    /**
     * Streams the latest version of every object in a collection (or every readable collection when
     * `collection` is null) as canonical JSON strings, for export.
     */
    async exportLatest(viewer: Viewer, q: { collection: string | null; batchSize?: number }): Promise<Result<AsyncIterable<readonly string[]>>> {
      if (q.collection !== null) {
        const c = await readable(viewer, q.collection)
        if (!c.ok) return c
        const policy = await readPolicy.forCollection(viewer, c.value.id, true)
        const all = store.objects.exportLatest(c.value.id, q.batchSize ?? 1000)
        if (policy.reader === null) return ok(all)
        // Readers other than system and administrators: each object through decide() with the
        // collection's default (the producer is not known here, so a reader's own RED objects are left out).
        const reader = policy.reader
        const collectionId = c.value.id
        const defaultTlp = tlpLevel(c.value.defaultTlp ?? 2)
        return ok(
          (async function* () {
            for await (const batch of all) {
              const out: string[] = []
              for (const json of batch) {
                const object = JSON.parse(json) as Record<string, unknown>
                const shown = present(reader, object, { collectionId, defaultTlp, origin: { kind: 'local', producer: '' }, receivedAt: '1970-01-01T00:00:00Z' }, policy.env)
                if (shown !== null) out.push(shown === object ? json : canonicalize(shown))
              }
              if (out.length > 0) yield out
            }
          })(),
        )
      }
      if (!(viewer.kind === 'system' || viewer.role === 'admin')) return err({ code: 'forbidden', reason: 'role' })
      return ok(store.objects.exportLatest(null, q.batchSize ?? 1000))
    },
  }
}

export type ObjectsService = ReturnType<typeof makeObjectsService>
