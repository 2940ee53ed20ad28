/**
 * The web explorer's reads: search over a collection (bounded-scan keyset pages, see
 * store SearchStore) and one object's detail (its versions in the collection and its relationships).
 * Every read goes through the collection's read right, like TAXII and REST: a collection the viewer
 * may not see answers `not_found`.
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import type { Collection, SearchPosition } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import type { ReadPolicyDeps } from '../share/audience.js'
import { makeObjectReads } from './read.js'

export const EXPLORE_LIMITS = {
  /** Memberships one search request examines at most (a page may then be short, with a next cursor). */
  scanLimit: 5_000,
  maxPageSize: 200,
  maxTextLength: 200,
  /** Relationships of one object shown at most, and relationship memberships examined to find them. */
  maxRelationships: 5_000,
  relationshipScan: 200_000,
  maxVersions: 1_000,
} as const

export interface SearchInput {
  readonly collection: string
  readonly type?: string
  readonly marking?: string
  readonly source?: string
  readonly addedFrom?: string
  readonly addedBefore?: string
  readonly text?: string
  readonly before?: SearchPosition
  readonly limit: number
}

export interface GraphEdge {
  readonly id: string
  readonly relationshipType: string
  readonly source: string
  readonly target: string
}

export interface ObjectDetail {
  readonly collectionId: string
  /** Every version in the collection, oldest first (canonical JSON). */
  readonly versions: readonly string[]
  /** Relationships in the collection whose source or target is the object. */
  readonly edges: readonly GraphEdge[]
  /** Names and types of the objects at the other ends, when readable in the collection. */
  readonly nodes: readonly { readonly id: string; readonly type: string; readonly name: string | null }[]
  /** True when there were more relationships than shown. */
  readonly truncated: boolean
}

const TYPE = /^[a-z0-9][a-z0-9-]{0,249}$/
const STIX_ID = /^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F-]{36}$/

export function makeExploreService(deps: Pick<ServiceDeps, 'store' | 'clock'> & Pick<ReadPolicyDeps, 'agreementViews'>) {
  const { store } = deps
  const reads = makeObjectReads(deps)

  async function readable(viewer: Viewer, idOrAlias: string): Promise<Result<Collection>> {
    const c = await store.collections.find(idOrAlias)
    if (!c) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    const a = collectionAccess(viewer, await store.collections.permissionOf(c.id, viewer.orgId))
    if (!a.visible) return err({ code: 'not_found', resource: 'collection', id: idOrAlias })
    if (!a.canRead) return err({ code: 'forbidden', reason: 'collection' })
    return ok(c)
  }

  return {
    async search(viewer: Viewer, q: SearchInput) {
      const issues = []
      if (q.type !== undefined && !TYPE.test(q.type)) issues.push({ pointer: '/query/type', message: 'must be a STIX type such as indicator' })
      if (q.marking !== undefined && !/^marking-definition--[0-9a-fA-F-]{36}$/.test(q.marking)) issues.push({ pointer: '/query/marking', message: 'must be a marking-definition id' })
      if (q.source !== undefined && !/^identity--[0-9a-fA-F-]{36}$/.test(q.source)) issues.push({ pointer: '/query/source', message: 'must be an identity id' })
      if (q.text !== undefined && q.text.length > EXPLORE_LIMITS.maxTextLength) issues.push({ pointer: '/query/text', message: `must be at most ${EXPLORE_LIMITS.maxTextLength} characters` })
      if (q.addedFrom !== undefined && q.addedBefore !== undefined && q.addedFrom >= q.addedBefore) issues.push({ pointer: '/query/addedBefore', message: 'must be after addedFrom' })
      if (issues.length > 0) return err({ code: 'validation_failed' as const, issues })
      const c = await readable(viewer, q.collection)
      if (!c.ok) return c
      const page = await store.search.objects({
        collectionId: c.value.id,
        ...(q.type !== undefined ? { types: [q.type] } : {}),
        ...(q.marking !== undefined ? { marking: q.marking } : {}),
        ...(q.source !== undefined ? { source: q.source } : {}),
        ...(q.addedFrom !== undefined ? { addedFrom: q.addedFrom } : {}),
        ...(q.addedBefore !== undefined ? { addedBefore: q.addedBefore } : {}),
        ...(q.text !== undefined && q.text.trim() !== '' ? { text: q.text.trim() } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        limit: Math.min(Math.max(1, q.limit), EXPLORE_LIMITS.maxPageSize),
        scanLimit: EXPLORE_LIMITS.scanLimit,
      })
      // The marking policy on every hit (the scan window bounds the work; hidden hits leave a short page).
      const shown = await reads.presenter(viewer, c.value)
      const items = page.items.flatMap((h) => {
        const json = shown(h.json, h.audience, h.dateAdded)
        if (json === null) return []
        const { audience: _audience, ...hit } = h
        return [{ ...hit, json }]
      })
      return ok({ collectionId: c.value.id, items, next: page.next })
    },

    async object(viewer: Viewer, q: { collection: string; id: string }): Promise<Result<ObjectDetail>> {
      if (!STIX_ID.test(q.id)) return err({ code: 'validation_failed', issues: [{ pointer: '/params/objectId', message: 'must be a STIX id (type--uuid)' }] })
      const c = await readable(viewer, q.collection)
      if (!c.ok) return c
      const collectionId = c.value.id
      const all = { first: false, last: false, all: true, versions: [] }
      const shown = await reads.presenter(viewer, c.value)
      const versions = await store.objects.query({ collectionId, ids: [q.id], versions: all, limit: EXPLORE_LIMITS.maxVersions, withContent: true })
      // Versions the viewer may not see are left out; an object with none is as missing as a missing one.
      const visible = versions.items.flatMap((v) => {
        const json = v.json === undefined ? null : shown(v.json, v.audience, v.dateAdded)
        return json === null ? [] : [{ version: v.version, json }]
      })
      if (visible.length === 0) return err({ code: 'not_found', resource: 'object', id: q.id })
      const ordered = visible.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0))

      // Relationships naming the object: a bounded scan of the collection's relationships.
      const edges: GraphEdge[] = []
      let truncated = false
      let before: SearchPosition | undefined
      let scanned = 0
      while (scanned < EXPLORE_LIMITS.relationshipScan) {
        const p = await store.search.objects({ collectionId, types: ['relationship'], text: q.id.toLowerCase(), limit: 1000, scanLimit: 50_000, ...(before ? { before } : {}) })
        for (const h of p.items) {
          const json = shown(h.json, h.audience, h.dateAdded)
          if (json === null) continue
          const r = JSON.parse(json) as { id: string; relationship_type?: unknown; source_ref?: unknown; target_ref?: unknown }
          if (typeof r.source_ref !== 'string' || typeof r.target_ref !== 'string') continue
          if (r.source_ref !== q.id && r.target_ref !== q.id) continue
          if (edges.length >= EXPLORE_LIMITS.maxRelationships) {
            truncated = true
            break
          }
          edges.push({ id: r.id, relationshipType: typeof r.relationship_type === 'string' ? r.relationship_type : 'related-to', source: r.source_ref, target: r.target_ref })
        }
        scanned += 50_000
        if (truncated || !p.next) break
        before = p.next
      }
      if (before !== undefined && scanned >= EXPLORE_LIMITS.relationshipScan) truncated = true

      const others = [...new Set(edges.flatMap((e) => [e.source, e.target]).filter((id) => id !== q.id))]
      const nodes: { id: string; type: string; name: string | null }[] = []
      for (let i = 0; i < others.length; i += 500) {
        const p = await store.objects.query({ collectionId, ids: others.slice(i, i + 500), limit: 2000, withContent: true })
        for (const e of p.items) {
          const json = e.json === undefined ? null : shown(e.json, e.audience, e.dateAdded)
          // An end the viewer may not see keeps only its id (which the relationship already names).
          const o = (json === null ? {} : JSON.parse(json)) as { name?: unknown }
          nodes.push({ id: e.stixId, type: e.type, name: typeof o.name === 'string' ? o.name.slice(0, 200) : null })
        }
      }
      // Ends not readable in this collection stay as bare ids (their type is in the id).
      const known = new Set(nodes.map((n) => n.id))
      for (const id of others) if (!known.has(id)) nodes.push({ id, type: id.split('--')[0] ?? 'unknown', name: null })
      return ok({ collectionId, versions: ordered.map((v) => v.json), edges, nodes, truncated })
    },
  }
}

export type ExploreService = ReturnType<typeof makeExploreService>
