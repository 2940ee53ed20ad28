/**
 * What "an indicator matches an observation" means for correlation: the pattern matches under the
 * specification's semantics (`matchPattern`), **or** its canonical form matches the canonical form
 * of the observations (see normalise.ts). So an observed `EVIL.Example.` correlates with
 * `[domain-name:value = 'evil.example']`, while everything the specification matches still
 * matches (e.g. comparisons through references, `network-traffic:dst_ref.value = 'EVIL.example'`,
 * which canonicalisation does not rewrite).
 *
 * The observable index answers exactly this relation; the brute-force oracle in the tests uses
 * these functions directly.
 */
import type { Pattern } from '../pattern/ast.js'
import type { MatchError } from '../pattern/limits.js'
import { matchPattern, prepareObservations, type MatchOutcome, type PreparedObservations, type ScoSource } from '../pattern/matcher.js'
import type { Result } from '../shared/result.js'
import { ok } from '../shared/result.js'
import { canonicaliseObject, canonicalisePattern } from './normalise.js'

/** A pattern and its canonical form (the same object when canonicalisation changes nothing). */
export interface PatternForms {
  readonly raw: Pattern
  readonly canonical: Pattern
}

/** Observations prepared as given and in canonical form (`canonical` null when identical). */
export interface ObservationForms {
  readonly raw: PreparedObservations
  readonly canonical: PreparedObservations | null
}

/** Both forms of a parsed pattern. */
export function patternForms(p: Pattern): PatternForms {
  return { raw: p, canonical: canonicalisePattern(p) }
}

type JsonObject = Readonly<Record<string, unknown>>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

function canonicalObserved(o: unknown): unknown {
  if (!isObject(o) || !isObject(o.objects)) return o
  let changed = false
  const objects: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o.objects)) {
    const c = canonicaliseObject(v)
    if (c !== v) changed = true
    objects[k] = c
  }
  return changed ? { ...o, objects } : o
}

function canonicalScos(scos: ScoSource | undefined): { scos: ScoSource | undefined; changed: boolean } {
  if (scos === undefined) return { scos, changed: false }
  let changed = false
  if (scos instanceof Map) {
    const m = new Map<string, unknown>()
    for (const [k, v] of scos as ReadonlyMap<string, unknown>) {
      const c = canonicaliseObject(v)
      if (c !== v) changed = true
      m.set(k, c)
    }
    return { scos: m, changed }
  }
  const list = (scos as readonly unknown[]).map((v) => {
    const c = canonicaliseObject(v)
    if (c !== v) changed = true
    return c
  })
  return { scos: list, changed }
}

/**
 * Checks and prepares observed-data objects in both forms. Fails with `observation_invalid` as
 * `prepareObservations` does.
 */
export function prepareObservationForms(observed: readonly unknown[], scos?: ScoSource): Result<ObservationForms, MatchError> {
  const raw = prepareObservations(observed, scos === undefined ? {} : { scos })
  if (!raw.ok) return raw
  let changed = false
  const cObserved = observed.map((o) => {
    const c = canonicalObserved(o)
    if (c !== o) changed = true
    return c
  })
  const cs = canonicalScos(scos)
  if (!changed && !cs.changed) return ok({ raw: raw.value, canonical: null })
  const canonical = prepareObservations(cObserved, cs.scos === undefined ? {} : { scos: cs.scos })
  if (!canonical.ok) return canonical
  return ok({ raw: raw.value, canonical: canonical.value })
}

/**
 * Matches in either form (see the module comment): the raw pattern against the raw observations
 * first, then the canonical pattern against the canonical observations when either differs.
 * An error is returned only when neither form matched and the raw form failed (or the raw form
 * did not match and the canonical one failed).
 */
export function matchEitherForm(p: PatternForms, obs: ObservationForms, maxSteps?: number): Result<MatchOutcome, MatchError> {
  const opts = maxSteps === undefined ? {} : { maxSteps }
  const first = matchPattern(p.raw, obs.raw, opts)
  if (first.ok && first.value.matched) return first
  if (p.canonical === p.raw && obs.canonical === null) return first
  const second = matchPattern(p.canonical, obs.canonical ?? obs.raw, opts)
  if (second.ok && second.value.matched) return second
  return first.ok ? second : first
}
