/**
 * The case status workflow: new → triage → active → contained → resolved → closed, with the side
 * steps a real response takes (a contained incident flaring up again, a false positive closed at
 * triage) and one way back from `closed`: reopening, which returns the case to `triage` with a reason.
 * `transition(state, request)` is the only way a status changes; services never set it directly.
 */
import { err, ok, type Result } from '../shared/result.js'
import type { DomainError } from '../shared/errors.js'
import { CASE_LIMITS, CLOSE_REASONS, type CaseStatus, type CloseReason } from './model.js'

/** Every allowed move, by current status. */
export const TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = Object.freeze({
  new: ['triage', 'closed'],
  triage: ['active', 'closed'],
  active: ['contained', 'resolved', 'closed'],
  contained: ['active', 'resolved'],
  resolved: ['active', 'closed'],
  // Reopening: a closed case goes back to triage (with a reason), never straight to work.
  closed: ['triage'],
})

/** The status a case is in plus why it got there. */
export interface CaseState {
  readonly status: CaseStatus
  /** Free-text reason of the last transition (required to close and to reopen). */
  readonly reason: string | null
  /** Set while closed. */
  readonly closeReason: CloseReason | null
}

/** A requested status change. */
export interface TransitionRequest {
  readonly to: CaseStatus
  readonly reason?: string
  readonly closeReason?: CloseReason
}

/** True when `to` may follow `from`. */
export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return TRANSITIONS[from].includes(to)
}

/**
 * Applies one requested status change. Closing needs a close reason (`resolved` only from the
 * resolved status; from earlier statuses one of the others) and closing or reopening needs a
 * free-text reason. Returns `invalid_transition` for a move the workflow does not allow and
 * `validation_failed` for a missing or bad reason; the state is unchanged either way.
 */
export function transition(state: CaseState, req: TransitionRequest): Result<CaseState, DomainError> {
  const { status: from } = state
  const { to } = req
  if (!canTransition(from, to)) return err({ code: 'invalid_transition', from, event: `move to ${to}` })
  const reason = req.reason?.trim() ?? ''
  if (reason.length > CASE_LIMITS.reasonLength) {
    return err({ code: 'validation_failed', issues: [{ pointer: '/body/reason', message: `must be at most ${CASE_LIMITS.reasonLength} characters` }] })
  }
  if (to === 'closed') {
    const closeReason = req.closeReason ?? (from === 'resolved' ? 'resolved' : undefined)
    if (closeReason === undefined || !CLOSE_REASONS.includes(closeReason)) {
      return err({ code: 'validation_failed', issues: [{ pointer: '/body/closeReason', message: `closing from ${from} needs a close reason (${CLOSE_REASONS.filter((r) => r !== 'resolved').join(', ')})` }] })
    }
    if (closeReason === 'resolved' && from !== 'resolved') {
      return err({ code: 'validation_failed', issues: [{ pointer: '/body/closeReason', message: 'only a resolved case closes as resolved' }] })
    }
    if (reason === '' && closeReason !== 'resolved') {
      return err({ code: 'validation_failed', issues: [{ pointer: '/body/reason', message: 'say why the case is closed' }] })
    }
    return ok({ status: 'closed', reason: reason === '' ? null : reason, closeReason })
  }
  if (req.closeReason !== undefined) {
    return err({ code: 'validation_failed', issues: [{ pointer: '/body/closeReason', message: 'only applies when closing' }] })
  }
  if (from === 'closed' && reason === '') {
    return err({ code: 'validation_failed', issues: [{ pointer: '/body/reason', message: 'say why the case is reopened' }] })
  }
  return ok({ status: to, reason: reason === '' ? null : reason, closeReason: null })
}

/** Every status reachable from `from` by allowed moves (including `from`). */
export function reachableFrom(from: CaseStatus): Set<CaseStatus> {
  const seen = new Set<CaseStatus>([from])
  const todo: CaseStatus[] = [from]
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const n of TRANSITIONS[s]) {
      if (seen.has(n)) continue
      seen.add(n)
      todo.push(n)
    }
  }
  return seen
}

/** The Incident Core Extension's `investigation_status` for a case status. */
export function investigationStatus(s: CaseStatus): 'new' | 'open' | 'closed' {
  return s === 'new' ? 'new' : s === 'closed' ? 'closed' : 'open'
}

/** The Incident Core Extension's `determination` for a case state. */
export function determination(state: CaseState): 'tbd' | 'suspected' | 'confirmed' | 'false-positive' | 'low-value' {
  if (state.closeReason === 'false_positive') return 'false-positive'
  if (state.closeReason === 'out_of_scope' || state.closeReason === 'no_action_needed') return 'low-value'
  if (state.status === 'new') return 'tbd'
  if (state.status === 'triage') return 'suspected'
  return 'confirmed'
}
