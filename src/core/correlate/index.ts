/**
 * Correlation math (issue 4): the observable index, canonical observable values, MISP
 * warninglists, decay scores and over-correlation. Pure and browser-safe. See docs/correlation.md.
 */
export type { AddError, AddOutcome, BatchOutcome, CorrelationResult, IndexableIndicator, IndexedValue, IndexMode, IndicatorMatch, PartialMatch, QueryOptions } from './observable-index.js'
export { INDEX_LIMITS, ObservableIndex } from './observable-index.js'
export type { ObservationForms, PatternForms } from './evaluate.js'
export { matchEitherForm, patternForms, prepareObservationForms } from './evaluate.js'
export { ANY_TYPE, indexLookups } from './cover.js'
export type { CanonicalRule } from './normalise.js'
export {
  canonicalDomain,
  canonicalEmail,
  canonicalHash,
  canonicalHashAlgorithm,
  canonicalIp,
  canonicalMac,
  canonicalUrl,
  canonicalValue,
  canonicaliseObject,
  canonicalisePattern,
  ruleByShape,
  ruleFor,
} from './normalise.js'
export { PrefixTrie } from './prefix-trie.js'
export type { ValueKind, Warninglist, WarninglistHit, WarninglistOptions, WarninglistStats, WarninglistType } from './warninglists.js'
export { VALUE_KINDS, WARNINGLIST_LIMITS, WarninglistMatcher, kindOf, kindsForAttribute, parseWarninglist } from './warninglists.js'
export type { DecayInput, DecayModel, DecayScore, OverCorrelationPolicy } from './decay.js'
export { DECAY_MODELS, DEFAULT_BASE_SCORE, DEFAULT_OVER_CORRELATION, decayModelFor, decayScore, overCorrelation } from './decay.js'
export { MIN_LITERAL, SubstringIndex } from './substring-index.js'
