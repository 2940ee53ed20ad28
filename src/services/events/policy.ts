/**
 * Who may receive a live event: the read policy applied to the event stream. One function, so that
 * the policy engine replaces it in one place. Denies by default: an event kind this function does not
 * know reaches nobody.
 */
import { collectionAccess } from '../../core/policy/collection-access.js'
import type { Viewer } from '../../core/policy/viewer.js'
import type { EventBody } from './types.js'

/** What the decision may look up: the viewer's read right on a collection, and the case rule. */
export interface EventReadContext {
  canReadCollection(viewer: Viewer, collectionId: string): Promise<boolean>
  /** The marking policy on the object itself (explore/read.ts); without it, the collection right decides. */
  mayReadObject?: (viewer: Viewer, collectionId: string, json: string) => Promise<boolean>
  /** From src/services/cases when present (`mayViewCase`); without it, case events reach nobody. */
  mayViewCase?: (viewer: Viewer, caseObject: Readonly<Record<string, unknown>>) => boolean | Promise<boolean>
  /**
   * The marking policy on the objects an alert names (correlate/alerts.ts): with it, an organisation's
   * users get the alert's event only when `/api/v1/alerts` would show them the alert.
   */
  mayViewAlert?: (viewer: Viewer, alertId: string) => Promise<boolean>
}

export async function mayReceive(viewer: Viewer, event: EventBody, ctx: EventReadContext): Promise<boolean> {
  switch (event.kind) {
    case 'object':
      if (!(await ctx.canReadCollection(viewer, event.collectionId))) return false
      if (!ctx.mayReadObject) return true
      // With a marking policy, an object event without the object cannot be judged: nobody gets it.
      return event.json !== undefined && ctx.mayReadObject(viewer, event.collectionId, event.json)
    case 'alert':
      // Alerts are per organisation; suppressed matches are for node administrators only (as in /api/v1/alerts).
      if (viewer.kind === 'system' || viewer.role === 'admin') return true
      if (event.suppressed || event.orgId !== viewer.orgId) return false
      return ctx.mayViewAlert === undefined ? true : ctx.mayViewAlert(viewer, event.alertId)
    case 'case':
      if (!ctx.mayViewCase) return false
      return (await ctx.mayViewCase(viewer, event.caseObject)) === true
    default:
      return false
  }
}

/**
 * The collection read check of {@link mayReceive} from the store's permissions, cached per viewer
 * organisation for `ttlMs` (a revoked right stops events within that time).
 */
export function cachedCollectionReads(
  permissionOf: (collectionId: string, orgId: string) => Promise<{ readonly canRead: boolean; readonly canWrite: boolean } | null>,
  nowMs: () => number,
  ttlMs = 5_000,
): EventReadContext['canReadCollection'] {
  const cache = new Map<string, { canRead: boolean; at: number }>()
  return async (viewer, collectionId) => {
    if (viewer.kind === 'system' || viewer.role === 'admin') return true
    const key = `${viewer.orgId}\u0000${viewer.role}\u0000${collectionId}`
    const hit = cache.get(key)
    if (hit && nowMs() - hit.at < ttlMs) return hit.canRead
    const canRead = collectionAccess(viewer, await permissionOf(collectionId, viewer.orgId)).canRead
    if (cache.size > 10_000) cache.clear()
    cache.set(key, { canRead, at: nowMs() })
    return canRead
  }
}
