/**
 * Indicator decay and over-correlation (issue 4 item 6).
 *
 * **Decay** follows MISP's polynomial decaying model:
 *
 *     score(t) = base × (1 − (t / τ)^(1/δ))     for 0 ≤ t < τ, and 0 from t = τ on
 *
 * where `t` is the time since the indicator was last seen (its latest sighting, or `valid_from`
 * when it has none: a sighting resets the clock), `τ` the lifetime and `δ` the decay speed
 * (δ > 1 drops quickly at first, δ < 1 holds the score and drops late, δ = 1 is linear). `base`
 * is the indicator's `confidence` (0–100) when it has one, else `DEFAULT_BASE_SCORE`. An
 * indicator past `valid_until` or revoked scores 0. Below `threshold` it counts as decayed: the
 * correlation service may still record matches but should not alert on them.
 *
 * Defaults per observable type reflect how long such infrastructure stays malicious: addresses
 * are reassigned within weeks, domains and URLs last a few months, file hashes never change.
 *
 * **Over-correlation**: a value shared by too many indicators (or seen in too many observations) is
 * no longer a useful signal (a CDN address, a popular domain); its matches are suppressed with a
 * reason, as MISP's correlation exclusions and over-correlation limit do.
 */

export interface DecayModel {
  /** τ: lifetime in days after the last sighting; the score is 0 from then on. */
  readonly lifetimeDays: number
  /** δ: decay speed (> 0). */
  readonly speed: number
  /** Scores below this count as decayed (0–100). */
  readonly threshold: number
}

export const DEFAULT_BASE_SCORE = 75

/** Default models by the observable type an indicator's pattern is about. */
export const DECAY_MODELS: Readonly<Record<string, DecayModel>> = {
  'ipv4-addr': { lifetimeDays: 30, speed: 2, threshold: 30 },
  'ipv6-addr': { lifetimeDays: 30, speed: 2, threshold: 30 },
  'network-traffic': { lifetimeDays: 30, speed: 2, threshold: 30 },
  'domain-name': { lifetimeDays: 90, speed: 1.5, threshold: 30 },
  url: { lifetimeDays: 60, speed: 1.5, threshold: 30 },
  'email-addr': { lifetimeDays: 180, speed: 1, threshold: 30 },
  file: { lifetimeDays: 365, speed: 0.5, threshold: 30 },
  artifact: { lifetimeDays: 365, speed: 0.5, threshold: 30 },
  default: { lifetimeDays: 120, speed: 1, threshold: 30 },
}

/** The model for an observable type (the `default` model for types without their own). */
export function decayModelFor(objectType: string): DecayModel {
  return DECAY_MODELS[objectType] ?? (DECAY_MODELS.default as DecayModel)
}

export interface DecayInput {
  /** Milliseconds since the epoch. */
  readonly validFrom: number
  readonly validUntil?: number
  readonly revoked?: boolean
  /** STIX `confidence` (0–100). */
  readonly confidence?: number
  /** When the indicator was last sighted (ms), if ever. */
  readonly lastSighting?: number
}

export interface DecayScore {
  /** 0–100, rounded to one decimal. */
  readonly score: number
  readonly decayed: boolean
  /** Days since the indicator was last seen (valid_from or the last sighting). */
  readonly ageDays: number
}

const DAY_MS = 86_400_000

/** The decay score of an indicator at `now` (see the module comment). */
export function decayScore(input: DecayInput, model: DecayModel, now: number): DecayScore {
  const seen = Math.max(input.validFrom, input.lastSighting ?? -Infinity)
  const ageDays = Math.max(0, (now - seen) / DAY_MS)
  const base = input.confidence !== undefined && input.confidence >= 0 && input.confidence <= 100 ? input.confidence : DEFAULT_BASE_SCORE
  let score: number
  if (input.revoked === true || (input.validUntil !== undefined && now >= input.validUntil) || now < input.validFrom) score = 0
  else if (ageDays >= model.lifetimeDays) score = 0
  else score = base * (1 - Math.pow(ageDays / model.lifetimeDays, 1 / model.speed))
  score = Math.round(score * 10) / 10
  return { score, decayed: score < model.threshold, ageDays: Math.round(ageDays * 100) / 100 }
}

export interface OverCorrelationPolicy {
  /** A value shared by more indicators than this is over-correlated. */
  readonly maxIndicatorsPerValue: number
  /** A value seen in more observations than this (in the counting window the caller keeps) is over-correlated. */
  readonly maxObservationsPerValue: number
}

export const DEFAULT_OVER_CORRELATION: OverCorrelationPolicy = { maxIndicatorsPerValue: 100, maxObservationsPerValue: 10_000 }

/** Why a value's matches are suppressed, or null when they are not. */
export function overCorrelation(counts: { readonly indicators: number; readonly observations?: number }, policy: OverCorrelationPolicy = DEFAULT_OVER_CORRELATION): string | null {
  if (counts.indicators > policy.maxIndicatorsPerValue) return `over-correlated: the value is in ${counts.indicators} indicators (limit ${policy.maxIndicatorsPerValue})`
  if (counts.observations !== undefined && counts.observations > policy.maxObservationsPerValue)
    return `over-correlated: the value was seen in ${counts.observations} observations (limit ${policy.maxObservationsPerValue})`
  return null
}
