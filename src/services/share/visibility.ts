/**
 * What a viewer may see of one object of one collection, outside a collection listing: the same read
 * as TAXII Get An Object (collection read right, the stored audience key, `decide()` and granular
 * redaction through ./audience.ts), for read paths that name objects by id — correlation alerts, the
 * sightings correlation derives, transparency-log entries.
 *
 * `see` is the marking decision with the viewer's real rights (an organisation is an implied AMBER
 * recipient of a collection only when it may read it); `canRead` is the collection read right. A
 * GREEN object is seen by the whole community even without the read right; callers that show more
 * than the fact of a match (ids, collections) also need `canRead`.
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import type { Viewer } from '../../core/policy/viewer.js'
import type { CollectionEntry } from '../../store/port.js'
import { makeReadPolicy, type CollectionReadPolicy, type ReadPolicyDeps } from './audience.js'

export interface ObjectSight {
  /** The marking policy lets the viewer see the version. */
  readonly see: boolean
  /** The viewer may read the collection. */
  readonly canRead: boolean
  /** The version as the viewer may have it (granular redaction applied), when `see`. */
  readonly object: Readonly<Record<string, unknown>> | null
}

const HIDDEN: ObjectSight = { see: false, canRead: false, object: null }

/**
 * A per-request reader of single objects: collection rights, read policies and entries are cached for
 * the life of the returned object (make one per request or batch, never keep it).
 */
export function makeObjectVisibility(deps: ReadPolicyDeps) {
  const readPolicy = makeReadPolicy(deps)
  const policies = new Map<string, Promise<{ canRead: boolean; policy: CollectionReadPolicy }>>()
  const entries = new Map<string, Promise<CollectionEntry | null>>()
  const versionLists = new Map<string, Promise<readonly CollectionEntry[]>>()

  function policyFor(viewer: Viewer, collectionId: string) {
    const key = `${viewer.kind === 'user' ? `${viewer.userId}\u0000${viewer.orgId}\u0000${viewer.role}` : `system\u0000${viewer.name}`}\u0000${collectionId}`
    let p = policies.get(key)
    if (p === undefined) {
      p = (async () => {
        const canRead = collectionAccess(viewer, await deps.store.collections.permissionOf(collectionId, viewer.orgId)).canRead
        return { canRead, policy: await readPolicy.forCollection(viewer, collectionId, canRead) }
      })()
      policies.set(key, p)
    }
    return p
  }

  /** The stored membership of a version of `stixId` in the collection (latest, or the one at `version`). */
  function entry(collectionId: string, stixId: string, version?: string): Promise<CollectionEntry | null> {
    const key = `${collectionId}\u0000${stixId}\u0000${version ?? ''}`
    let e = entries.get(key)
    if (e === undefined) {
      const versions = version === undefined ? undefined : { first: false, last: false, all: false, versions: [version] }
      e = deps.store.objects
        .query({ collectionId, ids: [stixId], limit: 1, withContent: true, ...(versions ? { versions } : {}) })
        .then((p) => p.items[0] ?? null)
      entries.set(key, e)
    }
    return e
  }

  /** What `viewer` may see of `stixId` in `collectionId` (the latest version, or the one at `version`). */
  async function sight(viewer: Viewer, collectionId: string, stixId: string, version?: string): Promise<ObjectSight> {
    const e = await entry(collectionId, stixId, version)
    if (e === null || e.json === undefined) return HIDDEN
    const { canRead, policy } = await policyFor(viewer, collectionId)
    const shown = readPolicy.present(policy, collectionId, [e])[0]
    if (shown?.json === undefined) return { see: false, canRead, object: null }
    return { see: true, canRead, object: JSON.parse(shown.json) as Record<string, unknown> }
  }

  /**
   * What `viewer` may see of the version of `stixId` in `collectionId` whose content hashes to
   * `sha256` (hex): the version a transparency-log entry names. Hidden when no member has that hash.
   */
  async function sightByHash(viewer: Viewer, collectionId: string, stixId: string, sha256: string): Promise<ObjectSight> {
    const key = `${collectionId}\u0000${stixId}\u0000#all`
    let all = versionLists.get(key)
    if (all === undefined) {
      all = deps.store.objects
        .query({ collectionId, ids: [stixId], limit: 10_000, withContent: true, versions: { first: false, last: false, all: true, versions: [] } })
        .then((p) => p.items)
      versionLists.set(key, all)
    }
    const e = (await all).find((x) => Buffer.from(x.contentHash).toString('hex') === sha256)
    if (e === undefined || e.json === undefined) return HIDDEN
    const { canRead, policy } = await policyFor(viewer, collectionId)
    const shown = readPolicy.present(policy, collectionId, [e])[0]
    return shown?.json === undefined ? { see: false, canRead, object: null } : { see: true, canRead, object: JSON.parse(shown.json) as Record<string, unknown> }
  }

  /** Whether the viewer reads the collection completely (system jobs, administrators, peer principals): no per-object check needed. */
  async function complete(viewer: Viewer, collectionId: string): Promise<boolean> {
    return (await policyFor(viewer, collectionId)).policy.reader === null
  }

  return { sight, sightByHash, entry, complete }
}

export type ObjectVisibility = ReturnType<typeof makeObjectVisibility>
