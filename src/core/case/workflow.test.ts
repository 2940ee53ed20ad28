/** The case workflow: allowed moves, reasons, reopening, and a property test over any sequence of requests. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CASE_STATUSES, CLOSE_REASONS, type CaseStatus } from './model.js'
import { TRANSITIONS, canTransition, reachableFrom, transition, type CaseState } from './workflow.js'

const at = (status: CaseStatus): CaseState => ({ status, reason: null, closeReason: null })

describe('case workflow', () => {
  it('follows new → triage → active → contained → resolved → closed', () => {
    let s = at('new')
    for (const to of ['triage', 'active', 'contained', 'resolved'] as const) {
      const r = transition(s, { to })
      expect(r.ok).toBe(true)
      if (r.ok) s = r.value
    }
    const closed = transition(s, { to: 'closed' })
    expect(closed.ok && closed.value).toEqual({ status: 'closed', reason: null, closeReason: 'resolved' })
  })

  it('refuses moves the workflow does not allow, leaving the state as it was', () => {
    for (const from of CASE_STATUSES) {
      for (const to of CASE_STATUSES) {
        if (canTransition(from, to)) continue
        const r = transition(at(from), { to, reason: 'x', closeReason: 'duplicate' })
        expect(r.ok).toBe(false)
        expect(!r.ok && r.error.code).toBe('invalid_transition')
      }
    }
  })

  it('needs a close reason and a why to close early, and only a resolved case closes as resolved', () => {
    expect(transition(at('triage'), { to: 'closed' }).ok).toBe(false)
    expect(transition(at('triage'), { to: 'closed', closeReason: 'false_positive' }).ok).toBe(false)
    expect(transition(at('triage'), { to: 'closed', closeReason: 'resolved', reason: 'done' }).ok).toBe(false)
    const r = transition(at('triage'), { to: 'closed', closeReason: 'false_positive', reason: 'load test by the vendor' })
    expect(r.ok && r.value).toEqual({ status: 'closed', reason: 'load test by the vendor', closeReason: 'false_positive' })
    expect(transition(at('active'), { to: 'contained', closeReason: 'duplicate' }).ok).toBe(false)
    expect(transition(at('new'), { to: 'triage', reason: 'x'.repeat(2001) }).ok).toBe(false)
  })

  it('reopens a closed case to triage only, with a reason, clearing the close reason', () => {
    const closed: CaseState = { status: 'closed', reason: 'x', closeReason: 'duplicate' }
    expect(transition(closed, { to: 'active', reason: 'again' }).ok).toBe(false)
    expect(transition(closed, { to: 'triage' }).ok).toBe(false)
    const r = transition(closed, { to: 'triage', reason: 'the attack resumed' })
    expect(r.ok && r.value).toEqual({ status: 'triage', reason: 'the attack resumed', closeReason: null })
  })

  it('reaches every status from new, and closed from every status', () => {
    expect([...reachableFrom('new')].sort()).toEqual([...CASE_STATUSES].sort())
    for (const s of CASE_STATUSES) expect(reachableFrom(s).has('closed')).toBe(true)
  })

  it('any sequence of requested transitions keeps the case in a state reachable by the workflow, each step an allowed move', () => {
    const request = fc.record({
      to: fc.constantFrom(...CASE_STATUSES),
      reason: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
      closeReason: fc.option(fc.constantFrom(...CLOSE_REASONS), { nil: undefined }),
    })
    const reachable = reachableFrom('new')
    fc.assert(
      fc.property(fc.array(request, { maxLength: 60 }), (reqs) => {
        let s = at('new')
        for (const q of reqs) {
          const r = transition(s, {
            to: q.to, ...(q.reason !== undefined ? { reason: q.reason } : {}), ...(q.closeReason !== undefined ? { closeReason: q.closeReason } : {}),
          })
          if (!r.ok) continue
          expect(TRANSITIONS[s.status]).toContain(r.value.status)
          expect(r.value.closeReason !== null).toBe(r.value.status === 'closed')
          s = r.value
          expect(reachable.has(s.status)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })
})
