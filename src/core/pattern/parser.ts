/**
 * Recursive-descent parser for STIX 2.1 patterns (STIX 2.1 §9; grammar STIXPattern.g4).
 *
 * Precedence, loosest first, all left-associative:
 *   observation level: FOLLOWEDBY, OR, AND, then qualifiers (postfix: WITHIN, REPEATS, START/STOP);
 *   inside brackets:   OR, AND.
 *
 * Besides the grammar it checks what the OASIS validator and matcher reject: timestamps, hex and
 * base64 literals, sets mixing types, one qualifier type applied twice directly to a bracketed
 * expression, WITHIN > 0, REPEATS >= 1, START before STOP, ISSUBSET/ISSUPERSET operands that are
 * not IP addresses or CIDR blocks, and MATCHES regular expressions outside the supported subset
 * (see regex.ts). It never throws: every problem comes back as a `PatternError` with a column.
 */
import type { Issue } from '../shared/errors.js'
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { compareParsedTimestamps, parseStixTimestamp } from '../stix/time.js'
import type {
  Comparison,
  ComparisonExpression,
  KeyStep,
  Literal,
  ObjectPath,
  ObservationExpression,
  OrderableLiteral,
  PathStep,
  Pattern,
  Qualifier,
  Span,
  StringLiteral,
} from './ast.js'
import { parseIpOrCidr } from './ip.js'
import { excerpt, patternError, tokenize, type Keyword, type Punctuation, type Token } from './lexer.js'
import { PATTERN_LIMITS, type PatternError } from './limits.js'
import { compileRegex } from './regex.js'

/** Limits the parser enforces; defaults are PATTERN_LIMITS. */
export interface ParseOptions {
  readonly maxPatternLength?: number
  readonly maxNestingDepth?: number
  readonly maxSetSize?: number
}

/** Thrown internally to unwind the recursive descent; always caught in `parsePattern`. */
class Stop {
  constructor(readonly error: PatternError) {}
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the pattern'
    case 'string':
      return `string ${excerpt(t.text)}`
    default:
      return `'${excerpt(t.text)}'`
  }
}

const quoteList = (xs: readonly string[]): string => {
  const q = xs.map((x) => (x.startsWith('<') ? x.slice(1, -1) : `'${x}'`))
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1] ?? ''}`
}

const COMPARISON_OPERATORS: readonly string[] = ['=', '!=', '<', '<=', '>', '>=', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']

class Parser {
  private pos = 0
  private depth = 0
  private observations = 0
  private comparisons = 0

  constructor(
    private readonly src: string,
    private readonly tokens: readonly Token[],
    private readonly maxDepth: number,
    private readonly maxSet: number,
  ) {}

  private get tok(): Token {
    return this.tokens[this.pos] ?? (this.tokens[this.tokens.length - 1] as Token)
  }

  private fail(code: PatternError['code'], offset: number, what: string): never {
    throw new Stop(patternError(code, offset, what))
  }

  private expected(what: readonly string[], t: Token = this.tok): never {
    let hint = ''
    if (t.kind === 'identifier' && /^(and|or|not|followedby|like|matches|issubset|issuperset|exists|in|start|stop|seconds|within|repeats|times)$/i.test(t.text)) {
      hint = ' (keywords must be upper case)'
    } else if (t.kind === 'identifier' && /^(true|false)$/i.test(t.text)) {
      hint = ' (booleans are written true and false)'
    }
    this.fail('pattern_syntax', t.start, `expected ${quoteList(what)} but found ${describe(t)}${hint}`)
  }

  private isPunct(p: Punctuation): boolean {
    const t = this.tok
    return t.kind === 'punct' && t.text === p
  }
  private isKeyword(k: Keyword): boolean {
    const t = this.tok
    return t.kind === 'keyword' && t.text === k
  }
  private expectPunct(p: Punctuation): Token {
    if (!this.isPunct(p)) this.expected([p])
    return this.tokens[this.pos++] as Token
  }
  private expectKeyword(k: Keyword): Token {
    if (!this.isKeyword(k)) this.expected([k])
    return this.tokens[this.pos++] as Token
  }

  private enter(offset: number): void {
    if (++this.depth > this.maxDepth) this.fail('pattern_limit', offset, `nesting is deeper than the limit of ${this.maxDepth}`)
  }

  private span(start: number): Span {
    const prev = this.tokens[this.pos - 1]
    return { start, end: prev ? prev.end : start }
  }

  parse(): Pattern {
    const expression = this.followedBy()
    if (this.tok.kind !== 'eof') {
      this.expected(this.observationContinuations(), this.tok)
    }
    return { expression, observationCount: this.observations, span: { start: 0, end: this.src.length } }
  }

  /** What may follow a complete observation expression (for error messages). */
  private observationContinuations(): string[] {
    return ['AND', 'OR', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'START', '<end of pattern>']
  }

  // ---- observation expressions -------------------------------------------------------------

  private followedBy(): ObservationExpression {
    const start = this.tok.start
    let left = this.observationOr()
    while (this.isKeyword('FOLLOWEDBY')) {
      this.pos++
      const right = this.observationOr()
      left = { kind: 'followedby', left, right, span: this.span(start) }
    }
    return left
  }

  private observationOr(): ObservationExpression {
    const start = this.tok.start
    let left = this.observationAnd()
    while (this.isKeyword('OR')) {
      this.pos++
      const right = this.observationAnd()
      left = { kind: 'or', left, right, span: this.span(start) }
    }
    return left
  }

  private observationAnd(): ObservationExpression {
    const start = this.tok.start
    let left = this.qualified()
    while (this.isKeyword('AND')) {
      this.pos++
      const right = this.qualified()
      left = { kind: 'and', left, right, span: this.span(start) }
    }
    return left
  }

  private qualified(): ObservationExpression {
    const start = this.tok.start
    const depthBefore = this.depth
    const parenthesised = this.isPunct('(')
    let expr = this.observationPrimary()
    // The OASIS validator rejects one qualifier type applied twice directly to a bracketed
    // expression; after a parenthesised group any chain is allowed.
    const seen = parenthesised ? null : new Set<Qualifier['kind']>()
    while (this.isKeyword('WITHIN') || this.isKeyword('REPEATS') || this.isKeyword('START')) {
      const qstart = this.tok.start
      this.enter(qstart)
      const qualifier = this.qualifier()
      if (seen) {
        if (seen.has(qualifier.kind)) {
          const name = qualifier.kind === 'startstop' ? 'START/STOP' : qualifier.kind.toUpperCase()
          this.fail('pattern_invalid', qstart, `${name} is applied twice to the same observation expression (put it in parentheses to qualify the result again)`)
        }
        seen.add(qualifier.kind)
      }
      expr = { kind: 'qualified', expression: expr, qualifier, span: this.span(start) }
    }
    this.depth = depthBefore
    return expr
  }

  private qualifier(): Qualifier {
    const t = this.tok
    const start = t.start
    this.pos++
    if (t.kind === 'keyword' && t.text === 'WITHIN') {
      const n = this.tok
      if (!((n.kind === 'integer' || n.kind === 'float') && !n.text.startsWith('-'))) this.expected(['<a positive number of seconds>'])
      if (!(n.value > 0)) this.fail('pattern_invalid', n.start, 'WITHIN needs a number of seconds greater than 0')
      this.pos++
      const u = this.tok
      if (u.kind === 'identifier' && /^(milliseconds|minutes|hours|days|months|years|seconds)$/i.test(u.text)) {
        this.fail('pattern_syntax', u.start, `expected 'SECONDS' but found ${describe(u)} (SECONDS is the only unit)`)
      }
      this.expectKeyword('SECONDS')
      return { kind: 'within', seconds: n.value, span: this.span(start) }
    }
    if (t.kind === 'keyword' && t.text === 'REPEATS') {
      const n = this.tok
      if (!(n.kind === 'integer' && !n.text.startsWith('-'))) this.expected(['<a positive whole number>'])
      if (n.value < 1) this.fail('pattern_invalid', n.start, 'REPEATS needs a count of at least 1')
      if (n.value > PATTERN_LIMITS.maxBindingSize) this.fail('pattern_limit', n.start, `REPEATS count ${n.value} exceeds the limit of ${PATTERN_LIMITS.maxBindingSize}`)
      this.pos++
      this.expectKeyword('TIMES')
      return { kind: 'repeats', times: n.value, span: this.span(start) }
    }
    // START t'…' STOP t'…'
    const a = this.tok
    if (a.kind !== 'timestamp') this.expected(["<a timestamp t'…'>"])
    this.pos++
    this.expectKeyword('STOP')
    const b = this.tok
    if (b.kind !== 'timestamp') this.expected(["<a timestamp t'…'>"])
    this.pos++
    const ta = parseStixTimestamp(a.value)
    const tb = parseStixTimestamp(b.value)
    if (ta.ok && tb.ok && compareParsedTimestamps(ta.value, tb.value) >= 0) this.fail('pattern_invalid', b.start, 'STOP must be later than START')
    return { kind: 'startstop', start: a.value, stop: b.value, span: this.span(start) }
  }

  private observationPrimary(): ObservationExpression {
    const t = this.tok
    if (t.kind === 'punct' && t.text === '[') {
      this.enter(t.start)
      this.pos++
      if (++this.observations > PATTERN_LIMITS.maxObservationExpressions) {
        this.fail('pattern_limit', t.start, `more than ${PATTERN_LIMITS.maxObservationExpressions} observation expressions`)
      }
      const comparison = this.comparisonOr()
      if (!this.isPunct(']')) this.expected(this.comparisonContinuations([']']))
      this.pos++
      this.depth--
      return { kind: 'observation', comparison, span: this.span(t.start) }
    }
    if (t.kind === 'punct' && t.text === '(') {
      this.enter(t.start)
      this.pos++
      const inner = this.followedBy()
      if (!this.isPunct(')')) this.expected([')', 'AND', 'OR', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'START'])
      this.pos++
      this.depth--
      return inner
    }
    if (t.kind === 'identifier' && this.tokens[this.pos + 1]?.kind === 'punct' && (this.tokens[this.pos + 1] as Token).text === ':') {
      this.fail('pattern_syntax', t.start, `expected '[' but found ${describe(t)} (comparisons go inside square brackets: [${excerpt(t.text)}:…])`)
    }
    this.expected(['[', '('])
  }

  /** What may follow a complete comparison (for error messages). */
  private comparisonContinuations(closing: readonly string[]): string[] {
    return [...closing, 'AND', 'OR']
  }

  // ---- comparison expressions ----------------------------------------------------------------

  private comparisonOr(): ComparisonExpression {
    const start = this.tok.start
    let left = this.comparisonAnd()
    while (this.isKeyword('OR')) {
      this.pos++
      const right = this.comparisonAnd()
      left = { kind: 'or', left, right, span: this.span(start) }
    }
    return left
  }

  private comparisonAnd(): ComparisonExpression {
    const start = this.tok.start
    let left = this.comparisonPrimary()
    while (this.isKeyword('AND')) {
      this.pos++
      const right = this.comparisonPrimary()
      left = { kind: 'and', left, right, span: this.span(start) }
    }
    return left
  }

  private comparisonPrimary(): ComparisonExpression {
    const t = this.tok
    if (t.kind === 'punct' && t.text === '(') {
      this.enter(t.start)
      this.pos++
      const inner = this.comparisonOr()
      if (!this.isPunct(')')) this.expected(this.comparisonContinuations([')']))
      this.pos++
      this.depth--
      return inner
    }
    if (++this.comparisons > PATTERN_LIMITS.maxComparisons) this.fail('pattern_limit', t.start, `more than ${PATTERN_LIMITS.maxComparisons} comparisons`)
    if (t.kind === 'keyword' && t.text === 'EXISTS') {
      this.pos++
      const path = this.objectPath()
      return { kind: 'comparison', operator: 'EXISTS', negated: false, path, span: this.span(t.start) }
    }
    if (t.kind === 'keyword' && t.text === 'NOT' && this.tokens[this.pos + 1]?.kind === 'keyword' && (this.tokens[this.pos + 1] as Token).text === 'EXISTS') {
      this.fail('pattern_syntax', t.start, "expected an object path, '(' or 'EXISTS' but found 'NOT' (NOT cannot be applied to EXISTS)")
    }
    if (t.kind !== 'identifier') this.expected(['<an object path such as file:name>', '(', 'EXISTS'])
    const path = this.objectPath()
    let negated = false
    if (this.isKeyword('NOT')) {
      negated = true
      this.pos++
    }
    const op = this.tok
    const opName = op.kind === 'punct' || op.kind === 'keyword' ? op.text : ''
    if (!COMPARISON_OPERATORS.includes(opName)) {
      if (op.kind === 'keyword' && op.text === 'EXISTS') this.fail('pattern_syntax', op.start, 'EXISTS comes before the object path: EXISTS type:property')
      this.expected(negated ? COMPARISON_OPERATORS.filter((o) => o !== 'EXISTS') : ['<a comparison operator such as = or IN>', 'NOT'])
    }
    this.pos++
    const start = t.start
    switch (opName) {
      case '=':
      case '!=': {
        const value = this.literal(false)
        return { kind: 'comparison', operator: opName, negated, path, value, span: this.span(start) }
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const value = this.literal(true) as OrderableLiteral
        return { kind: 'comparison', operator: opName, negated, path, value, span: this.span(start) }
      }
      case 'IN': {
        const values = this.setLiteral()
        return { kind: 'comparison', operator: 'IN', negated, path, values, span: this.span(start) }
      }
      default: {
        const operator = opName as 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET'
        const s = this.tok
        if (s.kind !== 'string') this.expected(["<a string '…'>"])
        this.pos++
        const value: StringLiteral = { type: 'string', value: s.value, span: { start: s.start, end: s.end } }
        if (operator === 'MATCHES') {
          const re = compileRegex(s.value)
          if (!re.ok) this.fail('pattern_invalid', s.start, `invalid regular expression at position ${re.error.position + 1}: ${re.error.message}`)
        } else if (operator === 'ISSUBSET' || operator === 'ISSUPERSET') {
          if (parseIpOrCidr(s.value) === null) this.fail('pattern_invalid', s.start, `${operator} needs an IPv4 or IPv6 address or CIDR block, not ${excerpt(s.text)}`)
        }
        return { kind: 'comparison', operator, negated, path, value, span: this.span(start) }
      }
    }
  }

  private literal(orderable: boolean): Literal {
    const t = this.tok
    const span = { start: t.start, end: t.end }
    switch (t.kind) {
      case 'string':
        this.pos++
        return { type: 'string', value: t.value, span }
      case 'integer':
        this.pos++
        return { type: 'integer', value: t.value, span }
      case 'float':
        this.pos++
        return { type: 'float', value: t.value, span }
      case 'timestamp':
      case 'hex':
      case 'binary':
        this.pos++
        return { type: t.kind, value: t.value, span }
      case 'boolean':
        if (orderable) this.fail('pattern_invalid', t.start, `booleans cannot be ordered: ${t.text} needs = or !=`)
        this.pos++
        return { type: 'boolean', value: t.value, span }
      default:
        this.expected(['<a literal value>'])
    }
  }

  private setLiteral(): Literal[] {
    const open = this.tok
    this.expectPunct('(')
    const values: Literal[] = []
    if (this.isPunct(')')) {
      this.pos++
      return values
    }
    let kind: string | null = null
    for (;;) {
      const v = this.literal(false)
      const k = v.type === 'integer' || v.type === 'float' ? 'number' : v.type
      if (kind === null) kind = k
      else if (kind !== k) this.fail('pattern_invalid', v.span.start, `all values in an IN set must have the same type (${kind === 'number' ? 'numbers' : kind} and ${k === 'number' ? 'numbers' : k} are mixed)`)
      values.push(v)
      if (values.length > this.maxSet) this.fail('pattern_limit', open.start, `IN set has more than ${this.maxSet} values`)
      if (this.isPunct(',')) {
        this.pos++
        continue
      }
      if (this.isPunct(')')) {
        this.pos++
        return values
      }
      this.expected([',', ')'])
    }
  }

  private objectPath(): ObjectPath {
    const t = this.tok
    if (t.kind !== 'identifier') this.expected(['<an object type such as file>'])
    this.pos++
    this.expectPunct(':')
    const first = this.tok
    let firstStep: KeyStep
    if (first.kind === 'identifier' || first.kind === 'string') {
      this.pos++
      firstStep = { kind: 'key', key: first.kind === 'string' ? first.value : first.text, span: { start: first.start, end: first.end } }
    } else if (first.kind === 'keyword' || first.kind === 'boolean') {
      this.fail('pattern_syntax', first.start, `expected a property name but found ${describe(first)} (quote it: '${first.text}')`)
    } else {
      this.expected(['<a property name>'])
    }
    const steps: [KeyStep, ...PathStep[]] = [firstStep]
    for (;;) {
      const s = this.tok
      if (this.isPunct('.')) {
        this.pos++
        const k = this.tok
        if (k.kind === 'identifier' || k.kind === 'string') {
          this.pos++
          steps.push({ kind: 'key', key: k.kind === 'string' ? k.value : k.text, span: { start: s.start, end: k.end } })
        } else if (k.kind === 'keyword' || k.kind === 'boolean') {
          this.fail('pattern_syntax', k.start, `expected a property name but found ${describe(k)} (quote it: '${k.text}')`)
        } else {
          this.expected(['<a property name>'])
        }
      } else if (this.isPunct('[')) {
        this.pos++
        const k = this.tok
        if (k.kind === 'punct' && k.text === '*') {
          this.pos++
          this.expectPunct(']')
          steps.push({ kind: 'any', span: { start: s.start, end: this.span(s.start).end } })
        } else if (k.kind === 'integer') {
          this.pos++
          this.expectPunct(']')
          steps.push({ kind: 'index', index: k.value, span: { start: s.start, end: this.span(s.start).end } })
        } else {
          this.expected(['<a list index>', '*'])
        }
      } else {
        break
      }
      if (steps.length > PATTERN_LIMITS.maxPathSteps) this.fail('pattern_limit', s.start, `object path has more than ${PATTERN_LIMITS.maxPathSteps} steps`)
    }
    return { objectType: t.text, steps, span: this.span(t.start) }
  }
}

/** Number of observations a match binds: brackets, times the REPEATS counts above them. */
export function bindingSize(e: ObservationExpression): number {
  switch (e.kind) {
    case 'observation':
      return 1
    case 'qualified':
      return e.qualifier.kind === 'repeats' ? bindingSize(e.expression) * e.qualifier.times : bindingSize(e.expression)
    default:
      return bindingSize(e.left) + bindingSize(e.right)
  }
}

/**
 * Parses a STIX 2.1 pattern into a typed AST with source spans, checking the limits in
 * PATTERN_LIMITS (or tighter ones from `options`). Never throws; linear in the pattern length
 * apart from compiling MATCHES regular expressions (bounded by `maxRegexStates`).
 *
 * @example parsePattern("[ipv4-addr:value = '198.51.100.1']")
 * @example parsePattern("[file:size = ]") // err: "column 14: expected '<a literal value>' …"
 */
export function parsePattern(text: string, options: ParseOptions = {}): Result<Pattern, PatternError> {
  if (typeof text !== 'string') return err(patternError('pattern_syntax', 0, 'a pattern must be a string'))
  const maxLength = options.maxPatternLength ?? PATTERN_LIMITS.maxPatternLength
  if (text.length > maxLength) return err(patternError('pattern_limit', maxLength, `pattern is longer than the limit of ${maxLength} characters`))
  const tokens = tokenize(text)
  if (!tokens.ok) return tokens
  const parser = new Parser(text, tokens.value, options.maxNestingDepth ?? PATTERN_LIMITS.maxNestingDepth, options.maxSetSize ?? PATTERN_LIMITS.maxSetSize)
  try {
    const pattern = parser.parse()
    const size = bindingSize(pattern.expression)
    if (size > PATTERN_LIMITS.maxBindingSize) {
      return err(patternError('pattern_limit', 0, `a match of this pattern would bind ${size} observations, more than the limit of ${PATTERN_LIMITS.maxBindingSize}`))
    }
    return ok(pattern)
  } catch (e) {
    if (e instanceof Stop) return err(e.error)
    // A RangeError here would be a stack overflow, which the depth limit is meant to prevent.
    if (e instanceof RangeError) return err(patternError('pattern_limit', 0, 'pattern is too deeply nested'))
    throw e
  }
}

/** Comparisons of a comparison expression, left to right (iterative: OR chains can be long). */
export function comparisonsOf(e: ComparisonExpression): Comparison[] {
  const out: Comparison[] = []
  const stack: ComparisonExpression[] = [e]
  while (stack.length > 0) {
    const x = stack.pop() as ComparisonExpression
    if (x.kind === 'comparison') out.push(x)
    else stack.push(x.right, x.left)
  }
  return out
}

/**
 * A pattern error as a validation issue (for `validation_failed` / `stix_invalid` domain errors),
 * located at `pointer` (by default the indicator's `/pattern`).
 */
export function patternErrorToIssue(e: PatternError, pointer = '/pattern'): Issue {
  return { pointer, message: e.message }
}
