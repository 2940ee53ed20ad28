import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { Checkpoint } from './checkpoint.js'
import { consistencyProof, emptyRoot, leafHash, rootFromLeafHashes } from './merkle.js'
import { addSeen, checkAgainstSeen, neededProofs, type ConsistencyProofs } from './witness.js'

const ORIGIN = 'entente.example.org/log'
const enc = new TextEncoder()
const LEAVES = Array.from({ length: 200 }, (_, i) => leafHash(enc.encode(`entry ${i}`)))
const FORKED = LEAVES.map((h, i) => (i === 57 ? leafHash(enc.encode('rewritten entry 57')) : h))

const head = (size: number, leaves = LEAVES, origin = ORIGIN): Checkpoint => ({
  origin,
  size,
  root: size === 0 ? emptyRoot() : rootFromLeafHashes(leaves.slice(0, size)),
  timestamp: null,
  extensions: [],
})

/** Proofs as an honest log serving `leaves` answers them. */
const served =
  (leaves = LEAVES): ConsistencyProofs =>
  (m, n) =>
    consistencyProof(m, n, (i) => leaves[i]!)
const none: ConsistencyProofs = () => undefined

describe('neededProofs', () => {
  it('asks for the nearest seen sizes below and above', () => {
    const seen = [head(10), head(100), head(50), head(150)]
    expect(neededProofs(seen, head(70))).toEqual([{ first: 50, second: 70 }, { first: 70, second: 100 }])
    expect(neededProofs(seen, head(180))).toEqual([{ first: 150, second: 180 }])
    expect(neededProofs(seen, head(5))).toEqual([{ first: 5, second: 10 }])
    expect(neededProofs(seen, head(100))).toEqual([])
    expect(neededProofs([], head(100))).toEqual([])
    expect(neededProofs([head(0)], head(100))).toEqual([])
    expect(neededProofs(seen, head(0))).toEqual([])
    expect(neededProofs([head(10, LEAVES, 'other/log')], head(100))).toEqual([])
  })
})

describe('checkAgainstSeen', () => {
  it('accepts the first checkpoint, a repeated one, and an extension with its proofs', () => {
    expect(checkAgainstSeen([], head(10), none).verdict).toBe('consistent')
    expect(checkAgainstSeen([head(10)], head(10), none).verdict).toBe('consistent')
    const seen = [head(10), head(50), head(100)]
    const v = checkAgainstSeen(seen, head(70), served())
    expect(v).toEqual({ verdict: 'consistent', detail: expect.stringContaining('consistent with size 50') as unknown })
    expect(checkAgainstSeen(seen, head(150), served()).verdict).toBe('consistent')
    expect(checkAgainstSeen(seen, head(3), served()).verdict).toBe('consistent')
  })

  it('is unverifiable until the needed proofs are supplied, and says which', () => {
    const v = checkAgainstSeen([head(50), head(100)], head(70), (m, n) => (m === 50 ? served()(m, n) : undefined))
    expect(v).toMatchObject({ verdict: 'unverifiable', needed: [{ first: 70, second: 100 }] })
    expect(v.detail).toContain('70→100')
  })

  it('reports a fork between two checkpoints of the same size, naming both roots', () => {
    const v = checkAgainstSeen([head(100)], head(100, FORKED), none)
    expect(v.verdict).toBe('fork')
    if (v.verdict !== 'fork') return
    expect(v.between[0].root).toEqual(head(100).root)
    expect(v.between[1].root).toEqual(head(100, FORKED).root)
    expect(v.detail).toContain(Buffer.from(head(100).root).toString('base64'))
    expect(v.detail).toContain(Buffer.from(head(100, FORKED).root).toString('base64'))
  })

  it('reports a fork when the history below a seen checkpoint was rewritten', () => {
    // The log showed size 100 with the real entry 57, now shows 150 with it rewritten.
    const v = checkAgainstSeen([head(100)], head(150, FORKED), served(FORKED))
    expect(v.verdict).toBe('fork')
    expect(v.detail).toMatch(/size 100 \(root .+\) is not consistent with checkpoint size 150/)
    // ... and when a smaller checkpoint arrives that a seen larger one does not extend.
    expect(checkAgainstSeen([head(150)], head(80, FORKED), served(FORKED)).verdict).toBe('fork')
    // Before the rewritten entry, both histories agree (the proof comes from the larger tree).
    expect(checkAgainstSeen([head(150)], head(50, FORKED), served()).verdict).toBe('consistent')
  })

  it('reports a fork for a proof that does not verify (including an empty one)', () => {
    expect(checkAgainstSeen([head(50)], head(70), () => []).verdict).toBe('fork')
    const bad: ConsistencyProofs = (m, n) => served()(m, n)!.map((h, i) => (i === 0 ? leafHash(h) : h))
    expect(checkAgainstSeen([head(50)], head(70), bad).verdict).toBe('fork')
  })

  it('checks the empty tree without proofs', () => {
    expect(checkAgainstSeen([head(0)], head(40), none).verdict).toBe('consistent')
    expect(checkAgainstSeen([head(40)], head(0), none).verdict).toBe('consistent')
  })

  it('only compares with checkpoints of the same origin', () => {
    expect(checkAgainstSeen([head(100, FORKED, 'other/log')], head(100), none).verdict).toBe('consistent')
  })

  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 6 }), fc.integer({ min: 0, max: 200 })], { numRuns: 200 })(
    'checkpoints of one honest log are always consistent; a rewritten entry below both sizes is always a fork',
    (sizes, next) => {
      const seen = sizes.map((s) => head(s))
      expect(checkAgainstSeen(seen, head(next), served()).verdict).toBe('consistent')
      const forkedNext = head(next, FORKED)
      // A log showing two histories answers each proof from the history of the larger checkpoint.
      const v = checkAgainstSeen(seen, forkedNext, (m, n) => (n === next ? served(FORKED)(m, n) : served()(m, n)))
      // The fork is visible exactly when some seen checkpoint and the new one both include entry 57.
      const visible = next > 57 && sizes.some((s) => s > 57)
      expect(v.verdict).toBe(visible ? 'fork' : 'consistent')
    },
  )
})

describe('addSeen', () => {
  it('keeps one origin, sorted, without duplicates', () => {
    const seen = addSeen(addSeen(addSeen([], head(50)), head(10)), head(50))
    expect(seen.map((c) => c.size)).toEqual([10, 50])
    expect(addSeen([head(5, LEAVES, 'other/log')], head(7)).map((c) => c.size)).toEqual([7])
  })
})
