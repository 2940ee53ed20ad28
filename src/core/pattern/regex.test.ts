import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { PATTERN_LIMITS } from './limits.js'
import { compileRegex } from './regex.js'

const re = (source: string): ((s: string) => boolean) => {
  const r = compileRegex(source)
  if (!r.ok) throw new Error(`${source}: ${r.error.message}`)
  return (s) => r.value.test(s)
}
const reject = (source: string): string => {
  const r = compileRegex(source)
  if (r.ok) throw new Error(`compiled but should not: ${source}`)
  return r.error.message
}

describe('compileRegex: supported PCRE subset', () => {
  it.each([
    // [expression, input, matches]
    ['l+', 'hello', true],
    ['.lo$', 'hello', true],
    ['^ello', 'hello', false],
    ['a|b|c', 'xxc', true],
    ['colou?r', 'color', true],
    ['^colou?r$', 'colouur', false],
    ['^x{2}$', 'xx', true],
    ['^x{2}$', 'xxx', false],
    ['^x{2,}$', 'xxxxx', true],
    ['^x{2,3}$', 'xxxx', false],
    ['^x{0,1}y$', 'y', true],
    ['^a{,2}$', 'a{,2}', true], // not a quantifier: literal, as in PCRE
    ['x{', 'x{', true],
    ['^(?:ab)+$', 'ababab', true],
    ['^(ab)+?$', 'abab', true],
    ['^(?<name>ab)c$', 'abc', true],
    ['^(?P<n>a)(?|b|c)$', 'ac', true],
    ['^a(?#comment)b$', 'ab', true],
    ['a.c', 'abc', true],
    ['a.c', 'a\nc', false],
    ['(?s)a.c', 'a\nc', true],
    ['^\\d+$', '2024', true],
    ['^\\d+$', '20a4', false],
    ['^\\D\\W\\S$', 'a!x', true],
    ['^\\w+@\\w+\\.com$', 'jdoe@example.com', true],
    ['\\s', 'no-space', false],
    ['\\h\\v', '\t\n', true],
    ['^[a-c]+$', 'abcabc', true],
    ['^[^a-c]+$', 'xyz', true],
    ['^[^a-c]+$', 'xaz', false],
    ['^[\\d.]+$', '1.2.3', true],
    ['^[a\\-z]+$', '-az', true],
    ['^[a-]+$', 'a-', true],
    ['^[]a]+$', ']a', true],
    ['^[^]a]$', 'b', true],
    ['^[[:alpha:]_][[:alnum:]]*$', '_x1', true],
    ['^[[:^digit:]]$', '5', false],
    ['\\bfoo\\b', 'a foo b', true],
    ['\\bfoo\\b', 'afoob', false],
    ['\\Bfoo', 'afoo', true],
    ['^$', '', true],
    ['a$', 'a\n', true], // PCRE: $ also matches before a final newline
    ['a\\z', 'a\n', false],
    ['a\\Z', 'a\n', true],
    ['\\Aa', 'ba', false],
    ['(?m)^b$', 'a\nb\nc', true],
    ['^b$', 'a\nb\nc', false],
    ['(?i)HeLLo', 'hello', true],
    ['(?i:a)b', 'Ab', true],
    ['(?i:a)b', 'AB', false],
    ['a(?i)b', 'aB', true],
    ['(?i)[a-c]+', 'ABC', true],
    ['(?i)[^a]', 'A', false],
    ['\\x41\\x{42}\\103\\o{104}', 'ABCD', true],
    ['\\t\\n\\r\\f\\e\\a\\0', '\t\n\r\f\x1b\x07\x00', true],
    ['\\cA', '\x01', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/', '.*+?()[]{}|^$\\/', true],
    ['^.{3}$', '😀ab', true], // code points, not UTF-16 units
    ['^[😀-😂]$', '😁', true],
    ['a**', '', false],
  ] as const)('%s on %j', (source, input, expected) => {
    if (source === 'a**') {
      expect(reject(source)).toContain('nothing to repeat')
      return
    }
    expect(re(source)(input)).toBe(expected)
  })

  it('matches the OASIS test expressions', () => {
    expect(re('.+\\@example\\.com$')('jdoe@example.com')).toBe(true)
    expect(re('^Final Report.+\\.exe$')('Final Report 2024.exe')).toBe(true)
    expect(re('^Final Report.+\\.exe$')('Final Report.exe')).toBe(false)
    expect(re('\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00')('\x00\xd4\xc3\xb2\xa1\x02\x00\x04\x00\xff')).toBe(true)
  })
})

describe('compileRegex: rejected constructs', () => {
  it.each([
    ['(a)\\1', 'backreferences are not supported'],
    ['(?P<x>a)(?P=x)', 'backreferences are not supported'],
    ['\\k<x>', 'backreferences are not supported'],
    ['(?=a)', 'lookahead and lookbehind assertions are not supported'],
    ['(?!a)', 'lookahead and lookbehind'],
    ['(?<=a)b', 'lookahead and lookbehind'],
    ['(?<!a)b', 'lookahead and lookbehind'],
    ['(?>a+)', 'atomic groups are not supported'],
    ['a++', 'possessive quantifiers are not supported'],
    ['a{2}+', 'possessive quantifiers are not supported'],
    ['(?R)', 'recursion'],
    ['(?(1)a|b)', 'conditional groups are not supported'],
    ['\\p{L}', 'Unicode property escapes'],
    ['\\R', '\\R is not supported'],
    ['\\K', '\\K is not supported'],
    ['\\u0041', '\\u is not PCRE syntax'],
    ['\\y', 'unknown escape \\y'],
    ['(?x)a b', "inline flag 'x' is not supported"],
    ['(a', "missing ')'"],
    ['a)', "unmatched ')'"],
    ['[a', "missing terminating ']'"],
    ['[z-a]', 'range out of order'],
    ['*a', 'nothing to repeat'],
    ['a{3,2}', 'numbers out of order'],
    ['a{70000}', 'repeat count is larger than 65535'],
    ['[[:nope:]]', "unknown POSIX class name 'nope'"],
    ['\\', '\\ at end of expression'],
  ])('%s', (source, message) => {
    expect(reject(source)).toContain(message)
  })

  it('reports the position of the problem', () => {
    const r = compileRegex('abc(?=x)')
    expect(r.ok ? null : r.error.position).toBe(3)
  })

  it('bounds the size of the compiled program', () => {
    expect(reject('(a{100}){200}')).toContain(`more than ${PATTERN_LIMITS.maxRegexStates} states`)
    expect(reject('((((a{20}){20}){20}){20}){20}')).toContain('too large')
    expect(compileRegex('a{50}', { maxStates: 40 }).ok).toBe(false)
    const ok = compileRegex('(a{10}){10}')
    expect(ok.ok && ok.value.states).toBeLessThanOrEqual(PATTERN_LIMITS.maxRegexStates)
  })
})

describe('compileRegex: linear time', () => {
  it.each([
    ['(a+)+$', 30_000],
    ['^(a|a)*$', 30_000],
    ['(a*)*b', 30_000],
    ['^(a|aa)+$', 30_000],
    ['(.*a){20}', 30_000],
  ])('%s against %i a’s and a b answers quickly and correctly', (source, n) => {
    const input = 'a'.repeat(n) + 'b'
    const t0 = performance.now()
    const result = re(source)(input)
    const elapsed = performance.now() - t0
    expect(result).toBe(source === '(a*)*b' || source === '(.*a){20}')
    expect(elapsed).toBeLessThan(1000)
  })

  it('stops when the step budget runs out', () => {
    const r = compileRegex('(a|b)*c')
    if (!r.ok) throw new Error('compile')
    const budget = { remaining: 1000 }
    expect(r.value.test('ab'.repeat(10_000), budget)).toBe(false)
    expect(budget.remaining).toBeLessThan(0)
    const enough = { remaining: 10_000_000 }
    expect(r.value.test('ab'.repeat(10_000) + 'c', enough)).toBe(true)
    expect(enough.remaining).toBeGreaterThan(0)
  })
})

describe('compileRegex: agrees with a backtracking engine on small inputs', () => {
  // Expressions over {a, b} whose PCRE and JavaScript meanings coincide (no \n in the inputs).
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\w', '^', '$', '\\b'),
      fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => x + y),
      fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => `(?:${x}|${y})`),
      fc.tuple(tie('expr'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?')).map(([x, q]) => `(${x})${q}`),
    ),
  }))

  test.prop([expr, fc.stringMatching(/^[ab ]{0,12}$/)], { numRuns: 2000 })('same answer as RegExp', (source, input) => {
    const mine = compileRegex(source)
    if (!mine.ok) throw new Error(`${source}: ${mine.error.message}`)
    expect(mine.value.test(input)).toBe(new RegExp(source).test(input))
  })
})
