/**
 * The typed syntax tree of a STIX 2.1 pattern (STIX 2.1 §9, "STIX Patterning").
 *
 * Every node carries a `span`: the half-open range `[start, end)` of UTF-16 code unit offsets
 * (0-based) of the text it was parsed from. Printed ASTs (see printer.ts) re-parse to the same
 * tree apart from spans, so structural comparisons should ignore them (`stripSpans`).
 *
 * Binary operators are left-associative binary nodes, exactly as the grammar nests them;
 * parentheses are not nodes (they only steer nesting).
 */

/** Source range `[start, end)` in UTF-16 code units from the start of the pattern. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** `'text'` (escapes `\'` and `\\` already resolved). */
export interface StringLiteral {
  readonly type: 'string'
  readonly value: string
  readonly span: Span
}
/** A whole number within the STIX integer range, ±(2^53 − 1). */
export interface IntegerLiteral {
  readonly type: 'integer'
  readonly value: number
  readonly span: Span
}
/** A finite decimal number written with a point (`1.5`, `-.25`); never an exponent. */
export interface FloatLiteral {
  readonly type: 'float'
  readonly value: number
  readonly span: Span
}
export interface BooleanLiteral {
  readonly type: 'boolean'
  readonly value: boolean
  readonly span: Span
}
/** `t'2016-01-01T00:00:00Z'`: `value` is the timestamp text between the quotes. */
export interface TimestampLiteral {
  readonly type: 'timestamp'
  readonly value: string
  readonly span: Span
}
/** `h'ffd8'`: `value` is the hex digits as written (an even number of them). */
export interface HexLiteral {
  readonly type: 'hex'
  readonly value: string
  readonly span: Span
}
/** `b'AQID'`: `value` is the (padded, canonical-length) base64 text as written. */
export interface BinaryLiteral {
  readonly type: 'binary'
  readonly value: string
  readonly span: Span
}

/** Any literal that may follow `=` or `!=`, or appear in an `IN (...)` set. */
export type Literal = StringLiteral | IntegerLiteral | FloatLiteral | BooleanLiteral | TimestampLiteral | HexLiteral | BinaryLiteral
/** Literals that may follow `<`, `<=`, `>`, `>=` (everything but booleans). */
export type OrderableLiteral = Exclude<Literal, BooleanLiteral>

/** `.key`, `.'quoted-key'` or the first component after the colon. */
export interface KeyStep {
  readonly kind: 'key'
  readonly key: string
  readonly span: Span
}
/** `[n]`: a list index (negative indexes parse but never select anything). */
export interface IndexStep {
  readonly kind: 'index'
  readonly index: number
  readonly span: Span
}
/** `[*]`: every element of a list. */
export interface AnyIndexStep {
  readonly kind: 'any'
  readonly span: Span
}
export type PathStep = KeyStep | IndexStep | AnyIndexStep

/** `object-type:first.second[0].third`: the first step is always a key. */
export interface ObjectPath {
  readonly objectType: string
  readonly steps: readonly [KeyStep, ...PathStep[]]
  readonly span: Span
}

export type EqualityOperator = '=' | '!='
export type OrderOperator = '<' | '<=' | '>' | '>='
/** Operators whose right-hand side is a string literal. */
export type StringOperator = 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET'
export type ComparisonOperator = EqualityOperator | OrderOperator | 'IN' | StringOperator | 'EXISTS'

interface ComparisonBase {
  readonly kind: 'comparison'
  readonly path: ObjectPath
  /** `NOT` written before the operator. Never set for EXISTS (the grammar has no NOT EXISTS). */
  readonly negated: boolean
  readonly span: Span
}
/** `path [NOT] = literal`, `path [NOT] != literal` (`==` and `<>` are parsed as `=` and `!=`). */
export interface EqualityComparison extends ComparisonBase {
  readonly operator: EqualityOperator
  readonly value: Literal
}
export interface OrderComparison extends ComparisonBase {
  readonly operator: OrderOperator
  readonly value: OrderableLiteral
}
/** `path [NOT] IN (v1, v2, …)`: all values of one type (integers and floats may mix). */
export interface SetComparison extends ComparisonBase {
  readonly operator: 'IN'
  readonly values: readonly Literal[]
}
export interface StringComparison extends ComparisonBase {
  readonly operator: StringOperator
  readonly value: StringLiteral
}
/** `EXISTS path`. */
export interface ExistsComparison extends ComparisonBase {
  readonly operator: 'EXISTS'
  readonly negated: false
}
export type Comparison = EqualityComparison | OrderComparison | SetComparison | StringComparison | ExistsComparison

/** `left AND right` / `left OR right` inside brackets. */
export interface ComparisonBinary {
  readonly kind: 'and' | 'or'
  readonly left: ComparisonExpression
  readonly right: ComparisonExpression
  readonly span: Span
}
export type ComparisonExpression = Comparison | ComparisonBinary

/** `[ comparison-expression ]`: one observation. */
export interface ObservationBracket {
  readonly kind: 'observation'
  readonly comparison: ComparisonExpression
  readonly span: Span
}
/** `left AND right`, `left OR right`, `left FOLLOWEDBY right` between observation expressions. */
export interface ObservationBinary {
  readonly kind: 'and' | 'or' | 'followedby'
  readonly left: ObservationExpression
  readonly right: ObservationExpression
  readonly span: Span
}
export interface WithinQualifier {
  readonly kind: 'within'
  /** Seconds, > 0 (an integer or a decimal as written). */
  readonly seconds: number
  readonly span: Span
}
export interface RepeatsQualifier {
  readonly kind: 'repeats'
  /** How many times, >= 1. */
  readonly times: number
  readonly span: Span
}
export interface StartStopQualifier {
  readonly kind: 'startstop'
  /** Timestamp texts, START strictly earlier than STOP. */
  readonly start: string
  readonly stop: string
  readonly span: Span
}
export type Qualifier = WithinQualifier | RepeatsQualifier | StartStopQualifier

/** `expression WITHIN …`, `expression REPEATS …`, `expression START … STOP …`. */
export interface QualifiedObservation {
  readonly kind: 'qualified'
  readonly expression: ObservationExpression
  readonly qualifier: Qualifier
  readonly span: Span
}
export type ObservationExpression = ObservationBracket | ObservationBinary | QualifiedObservation

/** A parsed pattern. `observationCount` is the number of bracketed observation expressions. */
export interface Pattern {
  readonly expression: ObservationExpression
  readonly observationCount: number
  readonly span: Span
}

/** Any node that has a span. */
export type PatternNode = Pattern | ObservationExpression | Qualifier | ComparisonExpression | ObjectPath | PathStep | Literal

/**
 * A deep copy of a tree with every `span` removed, for comparing trees by structure only
 * (e.g. `expect(stripSpans(parse(print(a)))).toEqual(stripSpans(a))`).
 */
/**
 * The operands of a chain of one boolean operator (`a AND b AND c` → [a, b, c]), left to right,
 * flattened iteratively: same-operator chains can be thousands long (OR lists of indicators).
 */
export function flattenChain(e: ComparisonBinary): ComparisonExpression[] {
  const operands: ComparisonExpression[] = []
  const stack: ComparisonExpression[] = [e]
  while (stack.length > 0) {
    const x = stack.pop() as ComparisonExpression
    if (x.kind === e.kind) stack.push((x as ComparisonBinary).right, (x as ComparisonBinary).left)
    else operands.push(x)
  }
  return operands
}

export function stripSpans<T>(node: T): unknown {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy)
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) if (k !== 'span') out[k] = copy(x)
      return out
    }
    return v
  }
  return copy(node)
}
