/**
 * What a viewer may see of one object of a collection: collection read right, then the marking
 * policy (`core/policy/decide` `present`: TLP audience, agreements, granular redaction), exactly as
 * share/audience.ts reads for TAXII and REST. Used by the explorer's search and object detail and by
 * the live event stream, so that no page, answer or event shows more than the objects API would.
 *
 * The producer of a stored version and the path it came by are not in its JSON: they come from the
 * membership's stored audience columns (migration 0007), as for TAXII and REST. Without them (an
 * event, which carries only the object) the producer is unknown, so a reader's own RED objects are
 * left out there: it fails closed.
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import { present, type StoredContext } from '../../core/policy/decide.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { tlpLevel } from '../../core/marking/tlp.js'
import { canonicalize } from '../../core/stix/canonical.js'
import type { Collection, CollectionEntry } from '../../store/port.js'
import { makeReadPolicy, type ReadPolicyDeps } from '../share/audience.js'

/** Presents one object (canonical JSON in, with its membership's stored audience when known): the JSON the viewer may have, or null when hidden. */
export type ObjectPresenter = (json: string, audience?: CollectionEntry['audience'], dateAdded?: string) => string | null

export function makeObjectReads(deps: ReadPolicyDeps) {
  const policy = makeReadPolicy(deps)

  /** The presenter for a viewer's reads of a collection it may read (call once per request). */
  async function presenter(viewer: Viewer, collection: Collection): Promise<ObjectPresenter> {
    const p = await policy.forCollection(viewer, collection.id, true)
    const reader = p.reader
    if (reader === null) return (json) => json
    const unknownOrigin: StoredContext = { collectionId: collection.id, defaultTlp: tlpLevel(collection.defaultTlp ?? 2), origin: { kind: 'local', producer: '' }, receivedAt: '1970-01-01T00:00:00Z' }
    return (json, a, dateAdded) => {
      // The same context share/audience.ts builds for TAXII and REST reads of a stored membership.
      const ctx: StoredContext =
        a === undefined
          ? unknownOrigin
          : {
              collectionId: collection.id,
              defaultTlp: tlpLevel(a.tlp),
              origin: a.path !== null && a.path.length > 0 ? { kind: 'peer', producer: a.producer, path: a.path } : { kind: 'local', producer: a.producer ?? '' },
              receivedAt: dateAdded ?? '1970-01-01T00:00:00Z',
            }
      let object: Record<string, unknown>
      try {
        object = JSON.parse(json) as Record<string, unknown>
      } catch {
        return null
      }
      const shown = present(reader, object, ctx, p.env)
      return shown === null ? null : shown === object ? json : canonicalize(shown)
    }
  }

  // The event stream asks for every event and subscriber: presenters are kept a few seconds per
  // viewer and collection (a changed right or agreement takes effect within that time).
  const cache = new Map<string, { at: number; present: ObjectPresenter | null }>()
  const TTL_MS = 5_000

  /** For the event stream: may this viewer see this object of this collection (read right and markings)? */
  async function mayReadObject(viewer: Viewer, collectionId: string, json: string): Promise<boolean> {
    const key = `${viewer.kind === 'user' ? `${viewer.userId}\u0000${viewer.role}\u0000${viewer.orgId}` : `system\u0000${viewer.name}`}\u0000${collectionId}`
    const now = deps.clock.nowMs()
    let hit = cache.get(key)
    if (!hit || now - hit.at >= TTL_MS) {
      const collection = await deps.store.collections.get(collectionId)
      const canRead = collection !== null && collectionAccess(viewer, await deps.store.collections.permissionOf(collectionId, viewer.orgId)).canRead
      hit = { at: now, present: canRead && collection ? await presenter(viewer, collection) : null }
      if (cache.size > 10_000) cache.clear()
      cache.set(key, hit)
    }
    return hit.present !== null && hit.present(json) !== null
  }

  return { presenter, mayReadObject }
}

export type ObjectReads = ReturnType<typeof makeObjectReads>
