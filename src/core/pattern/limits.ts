/**
 * Limits on STIX patterns. Patterns arrive from partners in other countries and from citizens'
 * reports, so every dimension that costs time or memory is bounded; exceeding a limit is an
 * ordinary error result, never a crash.
 */
import { LIMITS } from '../shared/limits.js'

export const PATTERN_LIMITS = {
  /** Longest pattern accepted, in UTF-16 code units (64 KiB; the same figure the STIX validator uses). */
  maxPatternLength: LIMITS.maxPatternLength,
  /** Deepest nesting of brackets, parentheses and qualifiers. */
  maxNestingDepth: 64,
  /** Most values in one `IN (…)` set. */
  maxSetSize: 1000,
  /** Most bracketed observation expressions in one pattern. */
  maxObservationExpressions: 1000,
  /** Most comparisons in one pattern. */
  maxComparisons: 10_000,
  /** Most steps in one object path. */
  maxPathSteps: 64,
  /**
   * Most observations one match may bind: the number of bracketed expressions, each multiplied
   * by the REPEATS counts above it. Also bounds REPEATS itself.
   */
  maxBindingSize: 1000,
  /** Most NFA instructions a MATCHES regular expression may compile to. */
  maxRegexStates: 10_000,
  /**
   * Most search steps one `matchPattern` call may take (values visited while resolving object
   * paths plus candidate observations tried while binding). Beyond it the matcher gives up with
   * an error instead of stalling the node.
   */
  maxMatchSteps: 2_000_000,
} as const

/** What went wrong with a pattern, located by a 1-based column (character offset + 1). */
export interface PatternError {
  /** `pattern_syntax`: not STIX pattern grammar; `pattern_invalid`: grammatical but meaningless
   * (bad timestamp, mixed set, bad regex…); `pattern_limit`: a PATTERN_LIMITS value exceeded. */
  readonly code: 'pattern_syntax' | 'pattern_invalid' | 'pattern_limit'
  /** 1-based column: the offset from the start of the pattern plus one (newlines count as one character). */
  readonly column: number
  /** The full one-line message, starting with `column N: `. */
  readonly message: string
}

/** Why a match could not be decided. */
export interface MatchError {
  /** `observation_invalid`: an observed-data object lacks usable times or counts;
   * `match_limit`: the search needed more than `maxMatchSteps` steps. */
  readonly code: 'observation_invalid' | 'match_limit'
  /** RFC 6901 pointer into the observations array, when the error concerns one of them. */
  readonly pointer: string
  readonly message: string
}
