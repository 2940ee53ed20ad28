/**
 * Witnessing another node's log: deciding whether a newly fetched checkpoint is consistent with the
 * checkpoints already seen from the same origin, or proves a fork (the log showed two histories).
 *
 * Merkle consistency is transitive (it says "the smaller tree's leaves are a prefix of the larger
 * tree's"), so if the seen checkpoints are consistent with one another, a new one needs checking only
 * against its nearest neighbours by size: the largest seen below it and the smallest seen above it.
 * A witness keeps that invariant by storing only checkpoints found `consistent` (with {@link addSeen}).
 *
 * Use over HTTP: ask {@link neededProofs} which consistency proofs are needed, fetch each
 * (`get-sth-consistency?first=&second=`), then call {@link checkAgainstSeen} with a lookup of the
 * fetched proofs. Verdicts:
 * - `consistent`: every needed proof verified (or nothing was needed);
 * - `fork`: two checkpoints of the same size with different roots, or a consistency proof that does
 *   not verify. `between` holds both checkpoints: signed evidence to report loudly and keep;
 * - `unverifiable`: a needed proof was not supplied (`needed` lists them), or the origins differ.
 */
import { bytesEqual, verifyConsistency } from './merkle.js'
import { base64Encode } from './note.js'
import type { Checkpoint } from './checkpoint.js'

/** A consistency proof a witness needs: from tree size `first` to tree size `second` (first < second). */
export interface ProofRequest {
  readonly first: number
  readonly second: number
}

/** The outcome of {@link checkAgainstSeen}. */
export type WitnessVerdict =
  | { readonly verdict: 'consistent'; readonly detail: string }
  | { readonly verdict: 'fork'; readonly detail: string; readonly between: readonly [Checkpoint, Checkpoint] }
  | { readonly verdict: 'unverifiable'; readonly detail: string; readonly needed: readonly ProofRequest[] }

/** Looks up a fetched consistency proof from size `m` to size `n`, or undefined when it was not fetched. */
export type ConsistencyProofs = (m: number, n: number) => readonly Uint8Array[] | undefined

const describe = (cp: Checkpoint): string => `size ${cp.size} (root ${base64Encode(cp.root)})`

/** The seen checkpoints of `next`'s origin, smallest size first. */
function sameOrigin(seen: readonly Checkpoint[], origin: string): Checkpoint[] {
  return seen.filter((c) => c.origin === origin).sort((a, b) => a.size - b.size)
}

/** The nearest seen checkpoints below and above `next`'s size, and any of the same size. */
function neighbours(seen: readonly Checkpoint[], next: Checkpoint): { lower?: Checkpoint; equal: Checkpoint[]; higher?: Checkpoint } {
  let lower: Checkpoint | undefined
  let higher: Checkpoint | undefined
  const equal: Checkpoint[] = []
  for (const c of sameOrigin(seen, next.origin)) {
    if (c.size < next.size) lower = c
    else if (c.size === next.size) equal.push(c)
    else if (higher === undefined) higher = c
  }
  return { ...(lower && { lower }), equal, ...(higher && { higher }) }
}

/**
 * The consistency proofs needed to check `next` against `seen` (only the seen checkpoints with
 * `next`'s origin count): from the largest seen size below `next.size` to `next.size`, and from
 * `next.size` to the smallest seen size above it. None is needed from size 0 (every tree extends
 * the empty one) or when a checkpoint of the same size was seen (the roots must simply be equal).
 */
export function neededProofs(seen: readonly Checkpoint[], next: Checkpoint): ProofRequest[] {
  const { lower, equal, higher } = neighbours(seen, next)
  if (equal.length > 0) return []
  const out: ProofRequest[] = []
  if (lower !== undefined && lower.size > 0) out.push({ first: lower.size, second: next.size })
  if (higher !== undefined && next.size > 0) out.push({ first: next.size, second: higher.size })
  return out
}

/**
 * Checks a newly fetched checkpoint of one origin against the checkpoints seen from it before
 * (assumed consistent with one another; see the module comment). Signatures are not checked here:
 * pass checkpoints that were opened with the origin's pinned key. Never throws.
 */
export function checkAgainstSeen(seen: readonly Checkpoint[], next: Checkpoint, proofs: ConsistencyProofs): WitnessVerdict {
  const origin = next.origin
  const { lower, equal, higher } = neighbours(seen, next)
  for (const c of equal) {
    if (!bytesEqual(c.root, next.root)) {
      return {
        verdict: 'fork',
        detail: `fork in log ${origin}: two checkpoints of size ${next.size} with different roots ${base64Encode(c.root)} and ${base64Encode(next.root)}`,
        between: [c, next],
      }
    }
  }
  if (equal.length > 0) return { verdict: 'consistent', detail: `log ${origin}: checkpoint ${describe(next)} was already seen` }
  const missing = neededProofs(seen, next).filter((q) => proofs(q.first, q.second) === undefined)
  if (missing.length > 0) {
    return {
      verdict: 'unverifiable',
      detail: `log ${origin}: consistency proof${missing.length > 1 ? 's' : ''} ${missing.map((q) => `${q.first}→${q.second}`).join(', ')} needed to check checkpoint ${describe(next)}`,
      needed: missing,
    }
  }
  const pairs: [Checkpoint, Checkpoint][] = []
  if (lower !== undefined) pairs.push([lower, next])
  if (higher !== undefined) pairs.push([next, higher])
  for (const [a, b] of pairs) {
    const proof = a.size === 0 || b.size === 0 ? [] : (proofs(a.size, b.size) ?? [])
    const v = verifyConsistency(a.size, b.size, a.root, b.root, proof)
    if (!v.ok) {
      return {
        verdict: 'fork',
        detail: `fork in log ${origin}: checkpoint ${describe(a)} is not consistent with checkpoint ${describe(b)}: ${v.error}`,
        between: [a, b],
      }
    }
  }
  const against = pairs.map(([a, b]) => describe(a === next ? b : a))
  return {
    verdict: 'consistent',
    detail: against.length === 0 ? `log ${origin}: first checkpoint seen, ${describe(next)}` : `log ${origin}: checkpoint ${describe(next)} is consistent with ${against.join(' and ')}`,
  }
}

/**
 * The seen list with `next` added (after it was found `consistent`): same origin only, sorted by size,
 * without a duplicate of a checkpoint of the same size and root. Does not modify `seen`.
 */
export function addSeen(seen: readonly Checkpoint[], next: Checkpoint): Checkpoint[] {
  const out = sameOrigin(seen, next.origin)
  if (out.some((c) => c.size === next.size && bytesEqual(c.root, next.root))) return out
  out.push(next)
  return out.sort((a, b) => a.size - b.size)
}
