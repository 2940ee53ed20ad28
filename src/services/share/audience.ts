/**
 * The read half of the policy for collection reads (docs/markings.md): which rows a viewer may see
 * (an `AudienceFilter` the store applies in SQL, so pages are not emptied after the fact), then
 * `present()` on each object read (defence in depth, and granular redaction).
 *
 * Readers: a user of an organisation on this node reads as that organisation (its STIX identity id),
 * with the organisations it is a client of (TLP:AMBER only: docs/markings.md "Clients").
 * System jobs and node administrators read every row unredacted (they operate the node and hold its
 * database; their reads are audited). A peer node's principal reads its per-peer collection, whose
 * content the federation share policy already chose when publishing: it is not filtered again here.
 */
import type { AgreementView } from '../../core/agreement/view.js'
import { sideOf } from '../../core/agreement/view.js'
import { tlpLevel } from '../../core/marking/tlp.js'
import { decide, type PolicyEnv, type Reader, type StoredContext } from '../../core/policy/decide.js'
import { redactObject } from '../../core/marking/granular.js'
import type { Viewer } from '../../core/policy/viewer.js'
import { canonicalize } from '../../core/stix/canonical.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { AudienceFilter, CollectionEntry, Store } from '../../store/port.js'

export interface ReadPolicyDeps {
  readonly store: Store
  readonly clock: { nowMs(): number }
  /** The agreements this node knows, `active` at a time (absent: none). */
  readonly agreementViews?: (nowMs: number) => Promise<ReadonlyMap<string, AgreementView>>
}

/** How one viewer reads one collection. */
export interface CollectionReadPolicy {
  readonly filter: AudienceFilter
  /** null: complete reads (system, administrators, peer principals). */
  readonly reader: Reader | null
  readonly env: PolicyEnv
}

const nodeIdOfOrigin = (origin: string): string => origin.replace(/[^A-Za-z0-9._:-]/g, ':').slice(0, 200)

export function makeReadPolicy(deps: ReadPolicyDeps) {
  const { store, clock } = deps
  const none: ReadonlyMap<string, AgreementView> = new Map()

  async function forCollection(viewer: Viewer, collectionId: string, canRead: boolean): Promise<CollectionReadPolicy> {
    const now = clock.nowMs()
    const complete = (): CollectionReadPolicy => ({ filter: { kind: 'all' }, reader: null, env: { nodeId: '', now, agreements: none } })
    if (viewer.kind === 'system' || viewer.role === 'admin') return complete()
    if ((await store.peers.findByUser(viewer.userId)) !== null) return complete()
    const org = await store.orgs.get(viewer.orgId)
    const agreements = deps.agreementViews ? await deps.agreementViews(now) : none
    const origin = await store.meta.get('log.origin')
    const nodeId = origin === null ? '' : nodeIdOfOrigin(origin)
    // An organisation without an identity sees only what anyone in the community sees.
    const x = org?.identityId ?? ''
    // The organisations this one is a client of (TLP:AMBER reaches recipients and their clients), and
    // those of them that are implied recipients of this collection (they may read it).
    const parents = org ? await store.orgs.parentsOf(org.id) : []
    const clientOf = parents.map((p) => p.identityId)
    const readingParents: string[] = []
    for (const p of parents) if ((await store.collections.permissionOf(collectionId, p.id))?.canRead === true) readingParents.push(p.identityId)
    const sideHasAny = (a: AgreementView, ids: readonly string[]) => {
      const side = sideOf(a, nodeId)
      return side !== undefined && ids.some((i) => side.orgs.has(i))
    }
    const mine = [...agreements.values()].filter((a) => sideHasAny(a, [x])).map((a) => a.id)
    const filter: AudienceFilter = {
      kind: 'org',
      identity: x,
      clientOf,
      recipientCollections: canRead ? [collectionId] : [],
      clientRecipientCollections: readingParents.length > 0 ? [collectionId] : [],
      agreements: mine,
      clientAgreements: clientOf.length > 0 ? [...agreements.values()].filter((a) => sideHasAny(a, clientOf)).map((a) => a.id) : [],
      now: storedTimestampFromMs(now),
    }
    const recipients = [...(canRead ? [x] : []), ...readingParents]
    const env: PolicyEnv = { nodeId, now, agreements, collectionRecipients: (c) => (c === collectionId ? recipients : []) }
    return { filter, reader: { kind: 'org', orgIdentityId: x, clientOf }, env }
  }

  /**
   * The entries as the reader may have them: each object checked again with `decide` and its
   * granularly marked parts the reader is not entitled to removed. CLEAR and GREEN objects without
   * granular markings pass without being parsed (the SQL filter and the policy agree on them trivially).
   */
  function present(p: CollectionReadPolicy, collectionId: string, items: readonly CollectionEntry[]): CollectionEntry[] {
    const reader = p.reader
    if (reader === null) return [...items]
    const out: CollectionEntry[] = []
    for (const e of items) {
      const a = e.audience
      if (e.json === undefined || a === undefined || (a.tlp <= 1 && !e.json.includes('"granular_markings"'))) {
        out.push(e)
        continue
      }
      const object = JSON.parse(e.json) as Record<string, unknown>
      const ctx: StoredContext = {
        collectionId,
        defaultTlp: tlpLevel(a.tlp),
        origin: a.path !== null && a.path.length > 0 ? { kind: 'peer', producer: a.producer, path: a.path } : { kind: 'local', producer: a.producer ?? '' },
        receivedAt: e.dateAdded,
      }
      const d = decide(reader, object, ctx, p.env)
      if (!d.see) continue
      if (d.redact.length === 0) {
        out.push(e)
        continue
      }
      const redacted = redactObject(object, d.redact)
      if (redacted !== null) out.push({ ...e, json: canonicalize(redacted) })
    }
    return out
  }

  return { forCollection, present }
}

export type ReadPolicy = ReturnType<typeof makeReadPolicy>
