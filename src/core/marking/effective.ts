/**
 * Object markings (STIX 2.1 §7.2.2): the effective TLP of an object, the PAP it carries, and the
 * default-marking rule for unmarked input.
 *
 * The effective TLP is the most restrictive TLP among `object_marking_refs`. A reference this node
 * cannot resolve, or a definition that claims to be TLP but cannot be read, counts as RED: an
 * unknown marking never widens the audience. Markings of other kinds (statements, PAP) do not
 * change the audience. An object without any TLP marking takes the default it was stored under
 * (the receiving collection's default), never CLEAR by accident.
 */
import type { Issue } from '../shared/errors.js'
import { err, ok, type Result } from '../shared/result.js'
import { papOfDefinition, KNOWN_PAP_IDS, type PapLevel, PAP_LEVELS } from './pap.js'
import { KNOWN_TLP_IDS, TLP2_IDS, TLP_MAX_RANK, tlpLevel, tlpOfDefinition, tlpRank, type TlpLevel, type TlpRank } from './tlp.js'

/**
 * Looks a marking-definition up by id among the definitions this node holds (stored ones, those that
 * came in the same bundle). Returns undefined when the node does not know it. Built-in TLP and PAP
 * definitions are known without it.
 */
export type MarkingLookup = (id: string) => unknown

/** Most marking references read from one object (object_marking_refs plus granular markings). */
export const MAX_MARKING_REFS = 1000

/** What one marking reference means for access. */
export type MarkingMeaning = { readonly kind: 'tlp'; readonly level: TlpLevel } | { readonly kind: 'other' } | { readonly kind: 'unknown' }

/** The meaning of one marking reference: a TLP level, another kind of marking, or unknown (counted as RED). */
export function markingMeaning(ref: unknown, lookup?: MarkingLookup): MarkingMeaning {
  if (typeof ref !== 'string') return { kind: 'unknown' }
  const known = KNOWN_TLP_IDS.get(ref)
  if (known !== undefined) return { kind: 'tlp', level: known }
  if (KNOWN_PAP_IDS.has(ref)) return { kind: 'other' }
  const def = lookup?.(ref)
  if (def === undefined || def === null) return { kind: 'unknown' }
  if (typeof def === 'object' && (def as Record<string, unknown>)['id'] !== ref) return { kind: 'unknown' }
  const t = tlpOfDefinition(def)
  if (t === 'unknown') return { kind: 'unknown' }
  if (t === 'none') return { kind: 'other' }
  return { kind: 'tlp', level: t }
}

/** The rank a list of marking refs imposes: null when none of them is a TLP (or unknown) marking. */
export function refsRank(refs: readonly unknown[], lookup?: MarkingLookup): TlpRank | null {
  let rank: TlpRank | null = null
  for (const r of refs) {
    const m = markingMeaning(r, lookup)
    const x = m.kind === 'tlp' ? tlpRank(m.level) : m.kind === 'unknown' ? TLP_MAX_RANK : null
    if (x !== null && (rank === null || x > rank)) rank = x
  }
  return rank
}

/** The object's own TLP (from `object_marking_refs`), or null when it carries no TLP marking at all. */
export function objectTlp(object: Readonly<Record<string, unknown>>, lookup?: MarkingLookup): TlpLevel | null {
  const refs = object['object_marking_refs']
  if (refs === undefined) return null
  // A malformed marking list is not "no marking": fail closed.
  if (!Array.isArray(refs) || refs.length > MAX_MARKING_REFS) return 'red'
  const r = refsRank(refs, lookup)
  return r === null ? null : tlpLevel(r)
}

/**
 * The effective TLP of a stored object: its own marking when it has one, else the default it was
 * stored under.
 */
export function effectiveTlp(object: Readonly<Record<string, unknown>>, defaultTlp: TlpLevel, lookup?: MarkingLookup): TlpLevel {
  return objectTlp(object, lookup) ?? defaultTlp
}

/** The most restrictive PAP among the object's markings (and MISP `PAP:` labels), or undefined. */
export function objectPap(object: Readonly<Record<string, unknown>>, lookup?: MarkingLookup): PapLevel | undefined {
  let best = -1
  const see = (l: PapLevel | undefined): void => {
    if (l !== undefined) best = Math.max(best, PAP_LEVELS.indexOf(l))
  }
  const refs = object['object_marking_refs']
  if (Array.isArray(refs)) {
    for (const r of refs.slice(0, MAX_MARKING_REFS)) {
      if (typeof r !== 'string') continue
      see(KNOWN_PAP_IDS.get(r) ?? papOfDefinition(lookup?.(r)))
    }
  }
  return best < 0 ? undefined : PAP_LEVELS[best]
}

/** Defaults that apply to unmarked input. */
export interface ReceiptDefaults {
  /** The receiving collection's default marking. Required: there is no implicit CLEAR. */
  readonly collectionDefault: TlpLevel
  /** The submitting organisation's default, for local input; the more restrictive of the two applies. */
  readonly orgDefault?: TlpLevel
}

/**
 * The default unmarked input gets: the receiving collection's, or the submitting organisation's when
 * that is more restrictive (fail-safe: an organisation default never widens a collection's).
 */
export function receiptDefault(defaults: ReceiptDefaults): TlpLevel {
  const { collectionDefault: c, orgDefault: o } = defaults
  return o !== undefined && tlpRank(o) > tlpRank(c) ? o : c
}

/** What {@link markingOnReceipt} decided. */
export interface ReceiptMarking {
  /** The object's effective TLP once stored. */
  readonly tlp: TlpLevel
  /** `object` when the object carries its own TLP marking, `default` when the default applies. */
  readonly source: 'object' | 'default'
  /** The TLP 2.0 marking-definition id of the default to add, when `source` is `default`. */
  readonly addRef: string | null
}

/**
 * The default marking rule: an object without a TLP marking gets the receiving collection's default
 * (or the organisation's, when that is more restrictive), never CLEAR by accident. Pure: the caller
 * either stamps the ref with {@link withMarkingRef} (local input) or records the TLP in the stored
 * version's audience key (peer input, whose bytes are covered by provenance and must not change).
 */
export function markingOnReceipt(object: Readonly<Record<string, unknown>>, defaults: ReceiptDefaults, lookup?: MarkingLookup): Result<ReceiptMarking, Issue[]> {
  const refs = object['object_marking_refs']
  if (refs !== undefined && !Array.isArray(refs)) return err([{ pointer: '/object_marking_refs', message: 'must be a list of marking-definition ids' }])
  if (Array.isArray(refs) && refs.length > MAX_MARKING_REFS) return err([{ pointer: '/object_marking_refs', message: `has ${refs.length} markings; at most ${MAX_MARKING_REFS} are accepted` }])
  const own = objectTlp(object, lookup)
  if (own !== null) return ok({ tlp: own, source: 'object', addRef: null })
  const d = receiptDefault(defaults)
  return ok({ tlp: d, source: 'default', addRef: TLP2_IDS[d] })
}

/** A copy of the object with `ref` added to `object_marking_refs` (unchanged when already there). */
export function withMarkingRef<T extends Readonly<Record<string, unknown>>>(object: T, ref: string): T {
  const refs = Array.isArray(object['object_marking_refs']) ? (object['object_marking_refs'] as unknown[]) : []
  if (refs.includes(ref)) return object
  return { ...object, object_marking_refs: [...refs, ref] }
}
