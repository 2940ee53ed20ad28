/**
 * The read side of correlation alerts: an organisation's alerts, newest first, and marking one read.
 * Users see their own organisation's alerts (never suppressed matches); node administrators see every
 * organisation's, one organisation's with `orgId`, and the suppressed matches with `suppressed`.
 *
 * Every alert names an indicator and an observation. A user's organisation sees an alert only when
 * the marking policy (`decide()`, through share/visibility.ts: the same read as TAXII Get An Object)
 * lets it see **both**, at the time of the read: a RED indicator of another organisation, or an AMBER
 * one it is not a recipient of, does not reach it through an alert, not even as the matched value. The
 * other side's details (ids, collection, name, pattern, reporter) are shown only when it may also read
 * that side's collection; the indicator's name and pattern are taken from the indicator as the reader
 * may have it (granular redaction), and the matched value is withheld when the pattern is.
 */
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { LIMITS } from '../../core/shared/limits.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { Alert, AlertPosition, Store } from '../../store/port.js'
import type { Clock } from '../deps.js'
import type { ReadPolicyDeps } from '../share/audience.js'
import { makeObjectVisibility, type ObjectVisibility } from '../share/visibility.js'

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

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const collectionOf = (side: unknown): string | null => (isRecord(side) && typeof side.collectionId === 'string' ? side.collectionId : null)

/**
 * The alert as a (non-administrator) user may see it now, or null when the marking policy hides one
 * of the objects it names. Administrators and system readers get the stored alert.
 */
async function visibleView(viewer: Viewer, a: Alert, vis: ObjectVisibility): Promise<AlertView | null> {
  if (isAdmin(viewer)) return view(viewer, a)
  if (a.orgId !== viewer.orgId || a.suppressed !== null) return null
  const ind = a.detail.indicator
  const obs = a.detail.observation
  // Where each side is stored: recorded in the alert (both sides' collections are in the stored detail
  // when the reader could read them when the alert was made; otherwise the other side is unknown here,
  // and the side stays hidden).
  const indCollection = collectionOf(ind) ?? collectionOf(a.detail.indicatorAt)
  const obsCollection = collectionOf(obs) ?? collectionOf(a.detail.observationAt)
  if (indCollection === null || obsCollection === null) return null
  const [si, so] = await Promise.all([vis.sight(viewer, indCollection, a.indicatorId), vis.sight(viewer, obsCollection, a.observationId)])
  if (!si.see || !so.see) return null
  const showInd = ind != null && si.canRead
  const showObs = obs != null && so.canRead
  const shown = si.object ?? {}
  const pattern = typeof shown.pattern === 'string' ? shown.pattern : null
  const { indicatorAt: _i, observationAt: _o, ...rest } = a.detail
  const detail: Record<string, unknown> = {
    ...rest,
    indicator: showInd && isRecord(ind) ? { ...ind, name: typeof shown.name === 'string' ? shown.name : null, pattern } : null,
    observation: showObs ? obs : null,
    ...(showInd ? {} : { note: 'an indicator of another organisation' }),
    ...(showObs ? {} : { note: 'sighted by another organisation' }),
    ...(pattern === null ? { value: null } : {}),
  }
  if (showInd && showObs) delete detail.note
  return {
    id: a.id,
    orgId: a.orgId,
    createdAt: a.createdAt,
    kind: a.kind,
    indicatorId: showInd ? a.indicatorId : null,
    sightingId: a.sightingId,
    observationId: showObs ? a.observationId : null,
    value: pattern === null ? null : a.value,
    detail,
    suppressed: null,
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

/** Most stored alerts examined for one page (hidden ones are skipped; the cursor continues after them). */
const MAX_SCANNED_PER_PAGE = 2_000

export function makeAlertService(deps: { readonly store: Store; readonly clock: Clock } & Pick<ReadPolicyDeps, 'agreementViews'>) {
  const { store, clock } = deps

  /** Whether the alert's organisation (as a read-only member) may see it now: for webhooks and live events. */
  async function visibleToOrg(a: Alert): Promise<boolean> {
    const member: Viewer = { kind: 'user', userId: '', username: '', orgId: a.orgId, role: 'read_only' }
    return (await visibleView(member, a, makeObjectVisibility(deps))) !== null
  }

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
      // Alerts the policy hides are skipped and the next ones read, so a page is not emptied after the
      // fact; at most MAX_SCANNED_PER_PAGE are examined, then the cursor continues where this stopped.
      const vis = makeObjectVisibility(deps)
      const items: AlertView[] = []
      let scanned = 0
      let last: Alert | undefined
      let more = true
      while (items.length < limit && more && scanned < MAX_SCANNED_PER_PAGE) {
        const want = admin ? limit - items.length : Math.min(500, Math.max(limit - items.length, 50))
        const page = await store.alerts.list({ ...(orgId !== undefined ? { orgId } : {}), suppressed: q.suppressed === true, limit: want, ...(before ? { before } : {}) })
        more = page.more
        for (const a of page.items) {
          if (items.length >= limit) {
            more = true
            break
          }
          last = a
          scanned++
          const v = await visibleView(viewer, a, vis)
          if (v !== null) items.push(v)
        }
        if (last) before = { createdAt: last.createdAt, id: last.id }
      }
      return ok({ items, nextCursor: more && last ? encodeAlertCursor(last) : null })
    },

    /** One alert as the viewer may see it; hidden, suppressed (for users) or another organisation's is `not_found`. */
    async get(viewer: Viewer, id: string): Promise<Result<AlertView>> {
      const a = await store.alerts.get(id)
      const shown = a ? await visibleView(viewer, a, makeObjectVisibility(deps)) : null
      return shown ? ok(shown) : err({ code: 'not_found', resource: 'alert', id })
    },

    /** Marks one of the viewer's alerts read; another organisation's is `not_found` (administrators excepted). */
    async markRead(viewer: Viewer, id: string): Promise<Result<AlertView>> {
      const a = await store.alerts.get(id)
      if (!a || (await visibleView(viewer, a, makeObjectVisibility(deps))) === null) return err({ code: 'not_found', resource: 'alert', id })
      const updated = await store.alerts.markRead(id, storedTimestampFromMs(clock.nowMs()))
      const shown = updated ? await visibleView(viewer, updated, makeObjectVisibility(deps)) : null
      if (!shown) return err({ code: 'not_found', resource: 'alert', id })
      return ok(shown)
    },

    visibleToOrg,
  }
}

export type AlertService = ReturnType<typeof makeAlertService>
