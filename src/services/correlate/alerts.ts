/**
 * The read side of correlation alerts: an organisation's alerts, newest first, and marking one read.
 * Users see their own organisation's alerts (never suppressed matches); node administrators see every
 * organisation's, one organisation's with `orgId`, and the suppressed matches with `suppressed`.
 * What an alert shows of the other side was decided by the read policy when it was made (`detail`);
 * ids of the other side's objects are hidden the same way here.
 */
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { LIMITS } from '../../core/shared/limits.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { Alert, AlertPosition, Store } from '../../store/port.js'
import type { Clock } from '../deps.js'

/** An alert as its reader may see it. */
export interface AlertView {
  readonly id: string
  readonly orgId: string
  readonly createdAt: string
  readonly kind: Alert['kind']
  /** Null when the reader may not read the indicator's collection. */
  readonly indicatorId: string | null
  readonly sightingId: string
  /** Null when the reader may not read the observation's collection. */
  readonly observationId: string | null
  readonly value: string | null
  readonly detail: Readonly<Record<string, unknown>>
  readonly suppressed: string | null
  readonly readAt: string | null
}

function view(viewer: Viewer, a: Alert): AlertView {
  const admin = isAdmin(viewer)
  return {
    id: a.id,
    orgId: a.orgId,
    createdAt: a.createdAt,
    kind: a.kind,
    indicatorId: admin || a.detail.indicator != null ? a.indicatorId : null,
    sightingId: a.sightingId,
    observationId: admin || a.detail.observation != null ? a.observationId : null,
    value: a.value,
    detail: a.detail,
    suppressed: a.suppressed,
    readAt: a.readAt,
  }
}

/** Opaque keyset cursors: base64url of the last position returned. */
export function encodeAlertCursor(p: AlertPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.id]), 'utf8').toString('base64url')
}

export function decodeAlertCursor(s: string): AlertPosition | null {
  if (s.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(s)) return null
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || v[0].length > 64 || v[1].length > 300) return null
    return { createdAt: v[0], id: v[1] }
  } catch {
    return null
  }
}

export function makeAlertService(deps: { readonly store: Store; readonly clock: Clock }) {
  const { store, clock } = deps
  return {
    /** Alerts the viewer may see, newest first. */
    async list(
      viewer: Viewer,
      q: { readonly orgId?: string; readonly suppressed?: boolean; readonly limit?: number; readonly cursor?: string },
    ): Promise<Result<{ items: AlertView[]; nextCursor: string | null }>> {
      const admin = isAdmin(viewer)
      if (!admin && q.orgId !== undefined && q.orgId !== viewer.orgId) return err({ code: 'forbidden', reason: 'role' })
      if (!admin && q.suppressed === true) return err({ code: 'forbidden', reason: 'role' })
      const limit = q.limit ?? 50
      if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.taxiiMaxLimit)
        return err({ code: 'validation_failed', issues: [{ pointer: '/query/limit', message: `must be an integer from 1 to ${LIMITS.taxiiMaxLimit}` }] })
      let before: AlertPosition | undefined
      if (q.cursor !== undefined) {
        const c = decodeAlertCursor(q.cursor)
        if (!c) return err({ code: 'validation_failed', issues: [{ pointer: '/query/cursor', message: 'is not a cursor this API issued' }] })
        before = c
      }
      const orgId = admin ? q.orgId : viewer.orgId
      const page = await store.alerts.list({ ...(orgId !== undefined ? { orgId } : {}), suppressed: q.suppressed === true, limit, ...(before ? { before } : {}) })
      const last = page.items[page.items.length - 1]
      return ok({ items: page.items.map((a) => view(viewer, a)), nextCursor: page.more && last ? encodeAlertCursor(last) : null })
    },

    /** Marks one of the viewer's alerts read; another organisation's is `not_found` (administrators excepted). */
    async markRead(viewer: Viewer, id: string): Promise<Result<AlertView>> {
      const a = await store.alerts.get(id)
      if (!a || (!isAdmin(viewer) && (a.orgId !== viewer.orgId || a.suppressed !== null))) return err({ code: 'not_found', resource: 'alert', id })
      const updated = await store.alerts.markRead(id, storedTimestampFromMs(clock.nowMs()))
      if (!updated) return err({ code: 'not_found', resource: 'alert', id })
      return ok(view(viewer, updated))
    },
  }
}

export type AlertService = ReturnType<typeof makeAlertService>
