/**
 * The pull cursor (pure): TAXII 2.1 `added_after` plus the server's `next`. While the server says
 * `more`, the next request keeps the same `added_after` and follows `next` (the server's keyset
 * cursor on (date_added, seq)), so objects that share one `date_added` across a page boundary are
 * neither skipped nor fetched twice. When a run of pages ends (`more: false`), `added_after` moves to
 * the last page's newest date_added (`X-TAXII-Date-Added-Last`) and `next` is dropped: the next run
 * asks only for what was added after everything already seen.
 */
import type { SyncCursor } from '../../store/port.js'

/** What one page said about where it ended. */
export interface PageEnd {
  readonly more: boolean
  readonly next: string | null
  /** `X-TAXII-Date-Added-Last` of the page (stored timestamp form), null when absent or empty. */
  readonly dateAddedLast: string | null
}

export const START: SyncCursor = { addedAfter: null, next: null }

/**
 * The cursor after a page fetched with `cursor` was stored. `seenMax` is the newest date_added
 * received from this source so far (it ends a run whose last page came back empty).
 */
export function advance(cursor: SyncCursor, page: PageEnd, seenMax: string | null = null): SyncCursor {
  if (page.more) {
    // A server that says `more` without a `next` cannot be followed: restart the run from added_after
    // (what was stored is recognised as duplicates) rather than skip anything.
    if (page.next === null) return { addedAfter: cursor.addedAfter, next: null }
    return { addedAfter: cursor.addedAfter, next: page.next }
  }
  const last = page.dateAddedLast ?? seenMax
  const addedAfter = last !== null && (cursor.addedAfter === null || last > cursor.addedAfter) ? last : cursor.addedAfter
  return { addedAfter, next: null }
}
