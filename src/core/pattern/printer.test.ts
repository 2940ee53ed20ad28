import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { Comparison, ComparisonExpression, KeyStep, Literal, ObjectPath, ObservationExpression, PathStep, Pattern, Qualifier, Span } from './ast.js'
import { stripSpans } from './ast.js'
import { isReservedWord } from './lexer.js'
import { parsePattern } from './parser.js'
import { formatDecimal, formatKey, printPattern } from './printer.js'

const S: Span = { start: 0, end: 0 }

// ---- arbitraries for valid ASTs --------------------------------------------------------------

const identifier = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}(-[a-z0-9]{1,4})?$/).filter((s) => !isReservedWord(s))
const key = fc.oneof(identifier, fc.string({ maxLength: 8 }), fc.constantFrom('SHA-256', 'MD5', 'AND', 'true', 'x y', "it's", 'back\\slash'))
const keyStep: fc.Arbitrary<KeyStep> = key.map((k) => ({ kind: 'key', key: k, span: S }))
const step: fc.Arbitrary<PathStep> = fc.oneof(
  keyStep,
  fc.integer({ min: -3, max: 1000 }).map((index): PathStep => ({ kind: 'index', index, span: S })),
  fc.constant<PathStep>({ kind: 'any', span: S }),
)
const path: fc.Arbitrary<ObjectPath> = fc
  .tuple(identifier, keyStep, fc.array(step, { maxLength: 3 }))
  .map(([objectType, first, rest]) => ({ objectType, steps: [first, ...rest], span: S }))

const timestampText = fc
  .tuple(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.constantFrom('', '.5', '.123456', '.000'))
  .map(([d, frac]) => d.toISOString().slice(0, 19) + frac + 'Z')
const hexText = fc.uint8Array({ maxLength: 8 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''))
const base64Text = fc.uint8Array({ minLength: 1, maxLength: 9 }).map((b) => btoa(String.fromCharCode(...b)))

const stringLit = fc.string({ maxLength: 12 }).map((value): Literal => ({ type: 'string', value, span: S }))
const intLit = fc.maxSafeInteger().map((value): Literal => ({ type: 'integer', value: value === 0 ? 0 : value, span: S }))
const floatLit = fc.double({ noNaN: true, noDefaultInfinity: true }).map((value): Literal => ({ type: 'float', value, span: S }))
const boolLit = fc.boolean().map((value): Literal => ({ type: 'boolean', value, span: S }))
const tsLit = timestampText.map((value): Literal => ({ type: 'timestamp', value, span: S }))
const hexLit = hexText.map((value): Literal => ({ type: 'hex', value, span: S }))
const binLit = base64Text.map((value): Literal => ({ type: 'binary', value, span: S }))
const literal = fc.oneof(stringLit, intLit, floatLit, boolLit, tsLit, hexLit, binLit)
const orderable = fc.oneof(stringLit, intLit, floatLit, tsLit, hexLit, binLit)
/** A homogeneous IN set (integers and floats may mix). */
const set = fc.oneof(
  fc.array(fc.oneof(intLit, floatLit), { maxLength: 4 }),
  fc.array(stringLit, { maxLength: 4 }),
  fc.array(boolLit, { maxLength: 3 }),
  fc.array(tsLit, { maxLength: 3 }),
  fc.array(hexLit, { maxLength: 3 }),
  fc.array(binLit, { maxLength: 3 }),
)
const regexText = fc.constantFrom('^a+$', '(a|b)*c', '[^\\d\\s]{2,4}', '(?i)evil\\.example$', '\\x41\\bfoo', 'colou?r', '', '[[:alpha:]]+?')
const ipText = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.option(fc.nat(32), { nil: undefined })).map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}${p === undefined ? '' : `/${p}`}`),
  fc.constantFrom('2001:db8::/32', '::1', 'fe80::1:2', '2001:0db8:dead:beef:0000:0000:0000:0000/64'),
)

const comparison: fc.Arbitrary<Comparison> = fc.oneof(
  fc.record({ path, negated: fc.boolean(), operator: fc.constantFrom('=' as const, '!=' as const), value: literal }),
  fc.record({ path, negated: fc.boolean(), operator: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const), value: orderable }),
  fc.record({ path, negated: fc.boolean(), operator: fc.constant('IN' as const), values: set }),
  fc.record({ path, negated: fc.boolean(), operator: fc.constant('LIKE' as const), value: stringLit }),
  fc.record({ path, negated: fc.boolean(), operator: fc.constant('MATCHES' as const), value: regexText.map((value): Literal & { type: 'string' } => ({ type: 'string', value, span: S })) }),
  fc.record({
    path,
    negated: fc.boolean(),
    operator: fc.constantFrom('ISSUBSET' as const, 'ISSUPERSET' as const),
    value: ipText.map((value): Literal & { type: 'string' } => ({ type: 'string', value, span: S })),
  }),
  fc.record({ path, negated: fc.constant(false as const), operator: fc.constant('EXISTS' as const) }),
).map((c) => ({ kind: 'comparison', span: S, ...c }) as Comparison)

const { cexpr } = fc.letrec<{ cexpr: ComparisonExpression }>((tie) => ({
  cexpr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('cexpr'), right: tie('cexpr'), span: fc.constant(S) }),
  ),
}))

const qualifier: fc.Arbitrary<Qualifier> = fc.oneof(
  fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0.001, max: 1e6, noNaN: true })).map((seconds): Qualifier => ({ kind: 'within', seconds, span: S })),
  fc.integer({ min: 1, max: 3 }).map((times): Qualifier => ({ kind: 'repeats', times, span: S })),
  fc.tuple(timestampText, timestampText).filter(([a, b]) => Date.parse(a.replace(/^0/, '1')) !== Date.parse(b.replace(/^0/, '1')) && a !== b).map(([a, b]): Qualifier => {
    const [start, stop] = new Date(a).getTime() < new Date(b).getTime() ? [a, b] : [b, a]
    return { kind: 'startstop', start, stop, span: S }
  }),
)

const { oexpr } = fc.letrec<{ oexpr: ObservationExpression }>((tie) => ({
  oexpr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    cexpr.map((comparison): ObservationExpression => ({ kind: 'observation', comparison, span: S })),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const, 'followedby' as const), left: tie('oexpr'), right: tie('oexpr'), span: fc.constant(S) }),
    fc.record({ kind: fc.constant('qualified' as const), expression: tie('oexpr'), qualifier, span: fc.constant(S) }),
  ),
}))

function countBrackets(e: ObservationExpression): number {
  if (e.kind === 'observation') return 1
  if (e.kind === 'qualified') return countBrackets(e.expression)
  return countBrackets(e.left) + countBrackets(e.right)
}
function bound(e: ObservationExpression): number {
  if (e.kind === 'observation') return 1
  if (e.kind === 'qualified') return bound(e.expression) * (e.qualifier.kind === 'repeats' ? e.qualifier.times : 1)
  return bound(e.left) + bound(e.right)
}

const pattern: fc.Arbitrary<Pattern> = oexpr.filter((e) => bound(e) <= 1000).map((expression) => ({ expression, observationCount: countBrackets(expression), span: S }))

describe('printPattern', () => {
  test.prop([pattern], { numRuns: 1500 })('prints arbitrary ASTs to text that parses back to the same AST', (p) => {
    const text = printPattern(p)
    const r = parsePattern(text)
    if (!r.ok) throw new Error(`${text}\n${r.error.message}`)
    expect(stripSpans(r.value)).toEqual(stripSpans({ ...p, span: r.value.span }))
    // Printing is canonical: a second round gives the same text.
    expect(printPattern(r.value)).toBe(text)
  })

  it('prints canonical text', () => {
    const canon = (s: string): string => {
      const r = parsePattern(s)
      if (!r.ok) throw new Error(r.error.message)
      return printPattern(r.value)
    }
    expect(canon("[file:name=='a'AND file:size<>5]")).toBe("[file:name = 'a' AND file:size != 5]")
    expect(canon("[file:hashes.'MD5' = 'x']")).toBe("[file:hashes.MD5 = 'x']")
    expect(canon("[file:extensions.windows-pebinary-ext.sections[*].entropy > 7.0]")).toBe("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]")
    expect(canon('[a:b = 1] AND ([a:c = 1] AND [a:d = 1])')).toBe('[a:b = 1] AND ([a:c = 1] AND [a:d = 1])')
    expect(canon('([a:b = 1] AND [a:c = 1]) AND [a:d = 1]')).toBe('[a:b = 1] AND [a:c = 1] AND [a:d = 1]')
    expect(canon('([a:b = 1] OR [a:c = 1]) AND [a:d = 1]')).toBe('([a:b = 1] OR [a:c = 1]) AND [a:d = 1]')
    expect(canon('[a:b = 1] FOLLOWEDBY ([a:c = 1] WITHIN 2 SECONDS)')).toBe('[a:b = 1] FOLLOWEDBY [a:c = 1] WITHIN 2 SECONDS')
    expect(canon('([a:b = 1]) REPEATS 2 TIMES REPEATS 3 TIMES')).toBe('([a:b = 1] REPEATS 2 TIMES) REPEATS 3 TIMES')
    expect(canon("[a:b IN ('x','y')] WITHIN 1.50 SECONDS")).toBe("[a:b IN ('x', 'y')] WITHIN 1.5 SECONDS")
    expect(canon("[a:b = 'it\\'s \\\\']")).toBe("[a:b = 'it\\'s \\\\']")
    expect(canon('[a:b NOT LIKE \'x%\' OR EXISTS a:c]')).toBe("[a:b NOT LIKE 'x%' OR EXISTS a:c]")
  })

  it('formats decimals without exponents', () => {
    expect(formatDecimal(1)).toBe('1.0')
    expect(formatDecimal(-0)).toBe('-0.0')
    expect(formatDecimal(0.1)).toBe('0.1')
    expect(formatDecimal(1e21)).toBe('1000000000000000000000.0')
    expect(formatDecimal(1.5e-7)).toBe('0.00000015')
    expect(formatDecimal(-2.5e22)).toBe('-25000000000000000000000.0')
    for (const x of [5e-324, 1.7976931348623157e308, 123.456e-10]) expect(Number(formatDecimal(x))).toBe(x)
  })

  it('quotes keys only when needed', () => {
    expect(formatKey('value')).toBe('value')
    expect(formatKey('SHA-256')).toBe("'SHA-256'")
    expect(formatKey('AND')).toBe("'AND'")
    expect(formatKey('true')).toBe("'true'")
    expect(formatKey('')).toBe("''")
    expect(formatKey("it's")).toBe("'it\\'s'")
  })
})
