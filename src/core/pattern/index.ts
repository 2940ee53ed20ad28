/**
 * STIX 2.1 patterning (STIX 2.1 §9): parse to a typed AST with positions, print canonical text,
 * match against observed-data, extract exact-lookup keys for an observable index. Pure and
 * browser-safe; `MATCHES` runs in a linear-time regex engine. See docs/patterns.md.
 */
export type {
  AnyIndexStep,
  BinaryLiteral,
  BooleanLiteral,
  Comparison,
  ComparisonBinary,
  ComparisonExpression,
  ComparisonOperator,
  EqualityComparison,
  ExistsComparison,
  FloatLiteral,
  HexLiteral,
  IndexStep,
  IntegerLiteral,
  KeyStep,
  Literal,
  ObjectPath,
  ObservationBinary,
  ObservationBracket,
  ObservationExpression,
  OrderComparison,
  OrderableLiteral,
  PathStep,
  Pattern,
  PatternNode,
  QualifiedObservation,
  Qualifier,
  RepeatsQualifier,
  SetComparison,
  Span,
  StartStopQualifier,
  StringComparison,
  StringLiteral,
  TimestampLiteral,
  WithinQualifier,
} from './ast.js'
export { stripSpans } from './ast.js'
export type { MatchError, PatternError } from './limits.js'
export { PATTERN_LIMITS } from './limits.js'
export type { ParseOptions } from './parser.js'
export { bindingSize, parsePattern, patternErrorToIssue } from './parser.js'
export { printPattern, printObservationExpression, printComparisonExpression, printPath, printLiteral } from './printer.js'
export type { MatchOptions, MatchOutcome, PatternBinding, PreparedObservations, ScoSource } from './matcher.js'
export { matchPattern, prepareObservations } from './matcher.js'
export type { CompiledRegex, RegexError, StepBudget } from './regex.js'
export { compileRegex } from './regex.js'
export type { ExactLookup, ObservationLookups, PatternLookups } from './extract.js'
export { INDEXABLE_PATHS, extractLookups } from './extract.js'
export type { IpNetwork } from './ip.js'
export { formatNetwork, networkContains, parseIpOrCidr } from './ip.js'
