/**
 * Prints a pattern AST as canonical STIX pattern text: upper-case keywords, single spaces around
 * operators, `=`/`!=` (never `==`/`<>`), property names quoted only when they must be, and only
 * the parentheses the tree's shape needs. `parsePattern(printPattern(p))` gives back `p` apart
 * from spans.
 */
import type { ComparisonExpression, Literal, ObjectPath, ObservationExpression, Pattern, Qualifier } from './ast.js'
import { isReservedWord } from './lexer.js'

/** Observation-level binding strength (higher binds tighter). */
function obsPrec(e: ObservationExpression): number {
  switch (e.kind) {
    case 'followedby':
      return 1
    case 'or':
      return 2
    case 'and':
      return 3
    case 'qualified':
      return 4
    case 'observation':
      return 5
  }
}

const cmpPrec = (e: ComparisonExpression): number => (e.kind === 'or' ? 1 : e.kind === 'and' ? 2 : 3)

/** A string literal with `\` and `'` escaped. */
export function quoteString(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`
}

const PLAIN_KEY = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A property name as written in a path: bare when the grammar allows, quoted otherwise. */
export function formatKey(key: string): string {
  return PLAIN_KEY.test(key) && !isReservedWord(key) ? key : quoteString(key)
}

/** `type:first.second[0][*]`. */
export function printPath(p: ObjectPath): string {
  let out = `${p.objectType}:`
  p.steps.forEach((s, i) => {
    if (s.kind === 'key') out += (i === 0 ? '' : '.') + formatKey(s.key)
    else if (s.kind === 'index') out += `[${s.index}]`
    else out += '[*]'
  })
  return out
}

/** A finite number as a decimal with a point and no exponent (`1` → `1.0`, `1e21` → `1000000000000000000000.0`). */
export function formatDecimal(x: number): string {
  if (Object.is(x, -0)) return '-0.0'
  const s = String(x)
  const e = s.indexOf('e')
  if (e < 0) return s.includes('.') ? s : `${s}.0`
  const neg = s.startsWith('-')
  const mant = s.slice(neg ? 1 : 0, e)
  const exp = Number(s.slice(e + 1))
  const dot = mant.indexOf('.')
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1)
  const intLen = (dot < 0 ? mant.length : dot) + exp
  let body: string
  if (intLen <= 0) body = `0.${'0'.repeat(-intLen)}${digits}`
  else if (intLen >= digits.length) body = `${digits}${'0'.repeat(intLen - digits.length)}.0`
  else body = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`
  return (neg ? '-' : '') + body
}

export function printLiteral(l: Literal): string {
  switch (l.type) {
    case 'string':
      return quoteString(l.value)
    case 'integer':
      return String(l.value)
    case 'float':
      return formatDecimal(l.value)
    case 'boolean':
      return l.value ? 'true' : 'false'
    case 'timestamp':
      return `t'${l.value}'`
    case 'hex':
      return `h'${l.value}'`
    case 'binary':
      return `b'${l.value}'`
  }
}

function printQualifier(q: Qualifier): string {
  switch (q.kind) {
    case 'within':
      return `WITHIN ${Number.isInteger(q.seconds) ? String(q.seconds) : formatDecimal(q.seconds)} SECONDS`
    case 'repeats':
      return `REPEATS ${q.times} TIMES`
    case 'startstop':
      return `START t'${q.start}' STOP t'${q.stop}'`
  }
}

/** Operands of a left-nested chain of one operator, left to right (iterative: chains can be long). */
function chain<T extends { kind: string }>(e: T, kind: string, left: (x: T) => T, right: (x: T) => T): { first: T; rest: T[] } {
  const rest: T[] = []
  let cur = e
  while (cur.kind === kind) {
    rest.push(right(cur))
    cur = left(cur)
  }
  rest.reverse()
  return { first: cur, rest }
}

export function printComparisonExpression(e: ComparisonExpression): string {
  if (e.kind === 'comparison') {
    if (e.operator === 'EXISTS') return `EXISTS ${printPath(e.path)}`
    const not = e.negated ? 'NOT ' : ''
    const rhs = e.operator === 'IN' ? `(${e.values.map(printLiteral).join(', ')})` : printLiteral(e.value)
    return `${printPath(e.path)} ${not}${e.operator} ${rhs}`
  }
  const p = cmpPrec(e)
  const { first, rest } = chain<ComparisonExpression>(
    e,
    e.kind,
    (x) => (x.kind === 'comparison' ? x : x.left),
    (x) => (x.kind === 'comparison' ? x : x.right),
  )
  const wrap = (x: ComparisonExpression, strict: boolean): string => {
    const s = printComparisonExpression(x)
    return cmpPrec(x) < p || (strict && cmpPrec(x) === p) ? `(${s})` : s
  }
  const op = e.kind === 'and' ? ' AND ' : ' OR '
  return [wrap(first, false), ...rest.map((x) => wrap(x, true))].join(op)
}

export function printObservationExpression(e: ObservationExpression): string {
  if (e.kind === 'observation') return `[${printComparisonExpression(e.comparison)}]`
  if (e.kind === 'qualified') {
    // Qualifier chains print flat after their base, except that one qualifier type may not be
    // applied twice directly to a bracketed expression: then the part so far is parenthesised.
    const quals: Qualifier[] = []
    let base: ObservationExpression = e
    while (base.kind === 'qualified') {
      quals.push(base.qualifier)
      base = base.expression
    }
    quals.reverse()
    let text = printObservationExpression(base)
    let seen: Set<string> | null = null
    if (obsPrec(base) < 4) text = `(${text})`
    else seen = new Set()
    for (const q of quals) {
      if (seen?.has(q.kind)) {
        text = `(${text})`
        seen = null
      }
      seen?.add(q.kind)
      text += ` ${printQualifier(q)}`
    }
    return text
  }
  const p = obsPrec(e)
  const { first, rest } = chain<ObservationExpression>(
    e,
    e.kind,
    (x) => (x.kind === 'and' || x.kind === 'or' || x.kind === 'followedby' ? x.left : x),
    (x) => (x.kind === 'and' || x.kind === 'or' || x.kind === 'followedby' ? x.right : x),
  )
  const wrap = (x: ObservationExpression, strict: boolean): string => {
    const s = printObservationExpression(x)
    return obsPrec(x) < p || (strict && obsPrec(x) === p) ? `(${s})` : s
  }
  const op = e.kind === 'and' ? ' AND ' : e.kind === 'or' ? ' OR ' : ' FOLLOWEDBY '
  return [wrap(first, false), ...rest.map((x) => wrap(x, true))].join(op)
}

/** Canonical text of a pattern (see the module comment). */
export function printPattern(p: Pattern): string {
  return printObservationExpression(p.expression)
}
