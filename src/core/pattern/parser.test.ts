import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { stripSpans, type ComparisonExpression, type ObservationExpression, type Pattern } from './ast.js'
import { PATTERN_LIMITS } from './limits.js'
import { comparisonsOf, parsePattern, patternErrorToIssue } from './parser.js'
import { printPattern } from './printer.js'

const parse = (s: string): Pattern => {
  const r = parsePattern(s)
  if (!r.ok) throw new Error(`${s}: ${r.error.message}`)
  return r.value
}
const parseError = (s: string): string => {
  const r = parsePattern(s)
  if (r.ok) throw new Error(`parsed but should not: ${s}`)
  return r.error.message
}

/** A compact rendering of the tree's shape: (A AND B), (A OR B), (A FB B), A{W5}, [..]. */
function shape(e: ObservationExpression): string {
  switch (e.kind) {
    case 'observation':
      return `[${cshape(e.comparison)}]`
    case 'qualified':
      return `${shape(e.expression)}{${e.qualifier.kind === 'within' ? `W${e.qualifier.seconds}` : e.qualifier.kind === 'repeats' ? `R${e.qualifier.times}` : 'SS'}}`
    default:
      return `(${shape(e.left)} ${e.kind === 'followedby' ? 'FB' : e.kind.toUpperCase()} ${shape(e.right)})`
  }
}
function cshape(e: ComparisonExpression): string {
  if (e.kind === 'comparison') return e.path.steps[0].kind === 'key' ? e.path.steps[0].key : '?'
  return `(${cshape(e.left)} ${e.kind.toUpperCase()} ${cshape(e.right)})`
}

/** The STIX 2.1 §9 examples, as collected by the OASIS pattern validator (spec_examples.txt, BSD-3). */
export const SPEC_EXAMPLES = [
  "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
  "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
  "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']",
  "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
  "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
  "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']",
  "[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\\\xd4\\\\xc3\\\\xb2\\\\xa1\\\\x02\\\\x00\\\\x04\\\\x00']",
  "[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\\\Windows\\\\System32']",
  '[file:extensions.windows-pebinary-ext.sections[*].entropy > 7.0]',
  "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
  "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']",
  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
  "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
  "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
  "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
  "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\CryptoLocker\\\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Software\\\\Microsoft\\\\CurrentVersion\\\\Run\\\\CryptoLocker_0388']",
  "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']",
  "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
  "[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
  "[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
  "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
  "([file:name = 'foo.dll'] AND [win-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']",
]

/** PASS_CASES of the OASIS validator's 2.1 tests (test_validator.py, BSD-3). */
const VALIDATOR_PASS = [
  '[file:size = 1280]',
  '[file:size != 1280]',
  '[file:size < 1024]',
  '[file:size <= 1024]',
  '[file:size > 1024]',
  '[file:size >= 1024]',
  "[file:file_name = 'my_file_name']",
  "[file:extended_properties.'ntfs-ext'.sid = '234']",
  "[emailaddr:value MATCHES '.+\\\\@ibm\\\\.com$' OR file:name MATCHES '^Final Report.+\\\\.exe$']",
  "[ipv4addr:value ISSUBSET '192.168.0.1/24']",
  "[ipv4addr:value NOT ISSUBSET '192.168.0.1/24']",
  "[user-account:value = 'Peter'] AND [user-account:value != 'Paul'] AND [user-account:value = 'Mary'] WITHIN 5 SECONDS",
  "[file:file_system_properties.file_name LIKE 'name%']",
  "[file:file_name IN ('test.txt', 'test2.exe', 'README')]",
  '[file:size IN (1024, 2048, 4096)]',
  "[network-connection:extended_properties[0].source_payload MATCHES 'dGVzdHRlc3R0ZXN0']",
  "[win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] WITHIN 5 SECONDS",
  "[x_whatever:detected == t'2018-03-22T12:11:14.1Z']",
  "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']",
  '[foo:bar=1] REPEATS 9 TIMES',
  "[network-traffic:start = '2018-04-20T12:36:24.558Z']",
  '( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])',
  "([win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar']) WITHIN 5 SECONDS WITHIN 6 SECONDS",
  "([win-registry-key:key = 'hkey_local_machine\\\\foo\\\\bar'] REPEATS 2 TIMES) REPEATS 2 TIMES",
  "[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR [ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'",
]

describe('parsePattern: valid patterns', () => {
  it.each(SPEC_EXAMPLES)('parses the spec example %s', (s) => {
    const p = parse(s)
    // Canonical text re-parses to the same tree.
    expect(stripSpans(parse(printPattern(p)))).toEqual(stripSpans(p))
  })

  it.each(VALIDATOR_PASS)('parses %s', (s) => {
    expect(parsePattern(s).ok).toBe(true)
  })

  it('builds typed comparisons with operators, literals and paths', () => {
    const p = parse("[file:hashes.'SHA-256' NOT = 'ab' AND file:x[2].y[*] <> 1.5 AND EXISTS file:z AND file:n IN (1, 2.5)]")
    const cs = comparisonsOf((p.expression as { comparison: ComparisonExpression }).comparison)
    expect(cs.map((c) => [c.operator, c.negated])).toEqual([
      ['=', true],
      ['!=', false],
      ['EXISTS', false],
      ['IN', false],
    ])
    expect(stripSpans(cs[0]?.path)).toEqual({ objectType: 'file', steps: [{ kind: 'key', key: 'hashes' }, { kind: 'key', key: 'SHA-256' }] })
    expect(stripSpans(cs[1]?.path.steps)).toEqual([{ kind: 'key', key: 'x' }, { kind: 'index', index: 2 }, { kind: 'key', key: 'y' }, { kind: 'any' }])
    expect(stripSpans(cs[3])).toMatchObject({ values: [{ type: 'integer', value: 1 }, { type: 'float', value: 2.5 }] })
  })

  it('reads every literal type', () => {
    const lits = (s: string): unknown => {
      const c = comparisonsOf((parse(s).expression as { comparison: ComparisonExpression }).comparison)[0]
      return c && 'value' in c ? stripSpans(c.value) : undefined
    }
    expect(lits("[a:b = 'it\\'s a \\\\ path']")).toEqual({ type: 'string', value: "it's a \\ path" })
    expect(lits('[a:b = -42]')).toEqual({ type: 'integer', value: -42 })
    expect(lits('[a:b = +7]')).toEqual({ type: 'integer', value: 7 })
    expect(lits('[a:b = -.5]')).toEqual({ type: 'float', value: -0.5 })
    expect(lits('[a:b = true]')).toEqual({ type: 'boolean', value: true })
    expect(lits("[a:b = t'2016-01-01T00:00:00Z']")).toEqual({ type: 'timestamp', value: '2016-01-01T00:00:00Z' })
    expect(lits("[a:b = h'0aFF']")).toEqual({ type: 'hex', value: '0aFF' })
    expect(lits("[a:b = b'AQIDBA==']")).toEqual({ type: 'binary', value: 'AQIDBA==' })
    expect(lits(`[a:b = ${Number.MAX_SAFE_INTEGER}]`)).toEqual({ type: 'integer', value: Number.MAX_SAFE_INTEGER })
  })

  it('skips comments and the grammar whitespace', () => {
    expect(printPattern(parse("/* c */ [a:b\u00a0=\u3000'x'] // trailing"))).toBe("[a:b = 'x']")
  })

  it('follows the grammar precedence: FOLLOWEDBY < OR < AND < qualifiers, all left-associative', () => {
    expect(shape(parse('[a:a=1] OR [a:b=1] AND [a:c=1]').expression)).toBe('([a] OR ([b] AND [c]))')
    expect(shape(parse('[a:a=1] FOLLOWEDBY [a:b=1] OR [a:c=1]').expression)).toBe('([a] FB ([b] OR [c]))')
    expect(shape(parse('[a:a=1] AND [a:b=1] AND [a:c=1]').expression)).toBe('(([a] AND [b]) AND [c])')
    expect(shape(parse('[a:a=1] FOLLOWEDBY [a:b=1] FOLLOWEDBY [a:c=1]').expression)).toBe('(([a] FB [b]) FB [c])')
    expect(shape(parse('[a:a=1] AND [a:b=1] WITHIN 5 SECONDS').expression)).toBe('([a] AND [b]{W5})')
    expect(shape(parse('([a:a=1] AND [a:b=1]) WITHIN 5 SECONDS').expression)).toBe('([a] AND [b]){W5}')
    expect(shape(parse('[a:a=1] REPEATS 2 TIMES WITHIN 1.5 SECONDS').expression)).toBe('[a]{R2}{W1.5}')
    expect(shape(parse('[a:a=1 OR a:b=1 AND a:c=1]').expression)).toBe('[(a OR (b AND c))]')
    expect(shape(parse('[(a:a=1 OR a:b=1) AND a:c=1]').expression)).toBe('[((a OR b) AND c)]')
  })

  it('records source spans for every node', () => {
    const src = "[file:name = 'x'] AND [file:size > 10] WITHIN 5 SECONDS"
    const p = parse(src)
    const e = p.expression
    if (e.kind !== 'and') throw new Error('expected AND')
    expect(src.slice(e.span.start, e.span.end)).toBe(src)
    expect(src.slice(e.left.span.start, e.left.span.end)).toBe("[file:name = 'x']")
    expect(src.slice(e.right.span.start, e.right.span.end)).toBe('[file:size > 10] WITHIN 5 SECONDS')
    if (e.right.kind !== 'qualified' || e.left.kind !== 'observation') throw new Error('shape')
    expect(src.slice(e.right.qualifier.span.start, e.right.qualifier.span.end)).toBe('WITHIN 5 SECONDS')
    const c = e.left.comparison
    if (c.kind !== 'comparison' || c.operator !== '=') throw new Error('shape')
    expect(src.slice(c.span.start, c.span.end)).toBe("file:name = 'x'")
    expect(src.slice(c.path.span.start, c.path.span.end)).toBe('file:name')
    expect(src.slice(c.value.span.start, c.value.span.end)).toBe("'x'")
    expect(p.observationCount).toBe(2)
  })
})

describe('parsePattern: errors', () => {
  it.each([
    ['file:size = 1280', "column 1: expected '[' but found 'file' (comparisons go inside square brackets"],
    ['[file:size = ]', 'column 14: expected a literal value but found'],
    ['[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]', 'column 20: expected a literal value but found'],
    ['[file.size = 1280]', "column 6: expected ':' but found '.'"],
    ['[file:name MATCHES /.*\\.dll/]', "column 20: unexpected '/'"],
    ["[win-registry-key:key = 'x'] WITHIN ]", 'column 37: expected a positive number of seconds'],
    ["[win-registry-key:key = 'x'] WITHIN 5 HOURS", "column 39: expected 'SECONDS' but found 'HOURS'"],
    ["[win-registry-key:key = 'x'] WITHIN -5 SECONDS", 'column 37: expected a positive number of seconds'],
    ['[network-traffic:dst_ref.value ISSUBSET ]', "column 41: expected a string '…' but found ']'"],
    ["[file:hashes.MD5 =? 'cead3f77f6cda6ec00f57d76c9a6879f']", "column 19: unexpected character '?'"],
    ["[x_whatever:detected == t'2457-73-22T32:81:84.1Z']", "column 25: invalid timestamp t'2457-73-22T32:81:84.1Z': has an invalid month"],
    ["[artifact:payload_bin = b'====']", 'column 25: invalid binary literal'],
    ['[foo:bar=1] within 2 seconds', "column 13: expected 'AND', 'OR', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'START' or end of pattern but found 'within' (keywords must be upper case)"],
    ["[a:b = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS", 'column 30: WITHIN is applied twice'],
    ["([a:b = 'x'] REPEATS 2 TIMES REPEATS 3 TIMES)", 'column 30: REPEATS is applied twice'],
    ["[a:b = 'x'] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z' START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T02:20:00Z'", 'START/STOP is applied twice'],
    ["[a:b = 'x'] START t'2016-06-01T02:00:00Z' STOP t'2016-06-01T01:00:00Z'", 'STOP must be later than START'],
    ["[a:b = 'x'] START '2016-06-01T02:00:00Z' STOP t'2016-06-01T03:00:00Z'", "column 19: expected a timestamp t'…' but found string"],
    ["[a:b = 'x'] WITHIN 0 SECONDS", 'WITHIN needs a number of seconds greater than 0'],
    ["[a:b = 'x'] REPEATS 0 TIMES", 'REPEATS needs a count of at least 1'],
    ["[a:b = 'x'] REPEATS 1.5 TIMES", 'expected a positive whole number'],
    ["[a:b = 'x' AND a:c = 'y'", "column 25: expected ']', 'AND' or 'OR' but found the end of the pattern"],
    ["[a:b = 'x'] [a:c = 'y']", "column 13: expected 'AND'"],
    ["[a:b = 'x' and a:c = 'y']", 'keywords must be upper case'],
    ['[a:b IN (1, true)]', 'all values in an IN set must have the same type'],
    ["[a:b IN ('x', 2)]", 'all values in an IN set must have the same type'],
    ['[a:b > true]', 'booleans cannot be ordered'],
    ["[a:b LIKE 5]", "expected a string '…'"],
    ["[a:b MATCHES '(a)\\\\1']", 'invalid regular expression at position 4: backreferences are not supported'],
    ["[a:b MATCHES '(?=x)']", 'lookahead and lookbehind assertions are not supported'],
    ["[a:b ISSUBSET 'example.com']", 'ISSUBSET needs an IPv4 or IPv6 address or CIDR block'],
    ["[a:b = 'unterminated]", 'unterminated string'],
    ["[a:b = 'bad \\n escape']", "invalid escape '\\n' in string"],
    ["[a:b = h'abc']", 'invalid hex literal: it needs an even number of hex digits'],
    ["[a:b = h'zz']", "invalid hex literal: 'z' is not a hex digit"],
    ['[a:b = 007]', 'leading zeros are not allowed'],
    ['[a:b = 1.]', 'expected a digit after the decimal point'],
    ['[a:b = 9007199254740992]', 'outside the STIX integer range'],
    ['[a:AND = 1]', "expected a property name but found 'AND' (quote it: 'AND')"],
    ['[NOT EXISTS a:b]', 'NOT cannot be applied to EXISTS'],
    ['[a:b EXISTS]', 'EXISTS comes before the object path'],
    ['[a:b[x] = 1]', 'expected a list index or'],
    ['', "column 1: expected '[' or '(' but found the end of the pattern"],
    ['/* open', 'unterminated comment'],
    ['[a:b = 1]]', "column 10: expected 'AND'"],
  ])('rejects %j', (src, message) => {
    expect(parseError(src)).toContain(message)
  })

  it('reports the error code', () => {
    const r = parsePattern('[a:b = ]')
    expect(r.ok ? null : r.error.code).toBe('pattern_syntax')
    const v = parsePattern("[a:b = t'2016-13-01T00:00:00Z']")
    expect(v.ok ? null : v.error.code).toBe('pattern_invalid')
    expect(v.ok ? null : v.error.column).toBe(8)
  })

  it('turns an error into a validation issue', () => {
    const r = parsePattern('[a:b = ]')
    if (r.ok) throw new Error('should fail')
    expect(patternErrorToIssue(r.error)).toEqual({ pointer: '/pattern', message: r.error.message })
  })
})

describe('parsePattern: limits', () => {
  const limitError = (s: string, opts = {}): string => {
    const r = parsePattern(s, opts)
    if (r.ok) throw new Error('should fail')
    expect(r.error.code).toBe('pattern_limit')
    return r.error.message
  }

  it('rejects patterns longer than the limit', () => {
    const long = `[a:b = '${'x'.repeat(PATTERN_LIMITS.maxPatternLength)}']`
    expect(limitError(long)).toContain(`longer than the limit of ${PATTERN_LIMITS.maxPatternLength}`)
    expect(parsePattern("[a:b = 'xx']", { maxPatternLength: 12 }).ok).toBe(true)
    expect(limitError("[a:b = 'xxx']", { maxPatternLength: 12 })).toContain('longer than the limit of 12')
  })

  it('rejects nesting deeper than the limit, in both expression levels', () => {
    const d = PATTERN_LIMITS.maxNestingDepth
    expect(parsePattern(`${'('.repeat(d - 1)}[a:b = 1]${')'.repeat(d - 1)}`).ok).toBe(true)
    expect(limitError(`${'('.repeat(d)}[a:b = 1]${')'.repeat(d)}`)).toContain(`deeper than the limit of ${d}`)
    expect(limitError(`[${'('.repeat(d)}a:b = 1${')'.repeat(d)}]`)).toContain('deeper than the limit')
    // A deep nest never overflows the stack, whatever its depth.
    expect(limitError(`${'('.repeat(30_000)}[a:b = 1]${')'.repeat(30_000)}`)).toContain('deeper than the limit')
    // Qualifier chains count as nesting.
    expect(limitError(`([a:b = 1])${' WITHIN 1 SECONDS'.repeat(d + 1)}`)).toContain('deeper than the limit')
  })

  it('rejects IN sets larger than the limit', () => {
    const set = (n: number): string => `[a:b IN (${Array.from({ length: n }, (_, i) => i).join(', ')})]`
    expect(parsePattern(set(PATTERN_LIMITS.maxSetSize)).ok).toBe(true)
    expect(limitError(set(PATTERN_LIMITS.maxSetSize + 1))).toContain(`more than ${PATTERN_LIMITS.maxSetSize} values`)
  })

  it('rejects too many observation expressions, comparisons or bound observations', () => {
    const n = PATTERN_LIMITS.maxObservationExpressions
    expect(parsePattern(Array.from({ length: n }, () => '[a:b=1]').join(' OR ')).ok).toBe(true)
    expect(limitError(Array.from({ length: n + 1 }, () => '[a:b=1]').join(' OR '))).toContain('observation expressions')
    const many = `[${Array.from({ length: PATTERN_LIMITS.maxComparisons + 1 }, () => 'a:b=1').join(' OR ')}]`
    expect(limitError(many, { maxPatternLength: many.length })).toContain(`more than ${PATTERN_LIMITS.maxComparisons} comparisons`)
    expect(limitError('[a:b=1] REPEATS 1001 TIMES')).toContain('exceeds the limit')
    expect(limitError('([a:b=1] REPEATS 40 TIMES) REPEATS 40 TIMES')).toContain('would bind 1600 observations')
    expect(limitError(`[a:${Array.from({ length: PATTERN_LIMITS.maxPathSteps + 1 }, () => 'x').join('.')} = 1]`)).toContain('steps')
  })
})

describe('parsePattern: totality', () => {
  const TOKENS = ['[', ']', '(', ')', ':', '.', ',', '*', '=', '!=', '<', '>=', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'MATCHES', 'EXISTS', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'TIMES', 'SECONDS', 'START', 'STOP', 'file', 'name', 'a-b', "'x'", "'(a+)+'", '5', '-1', '2.5', 'true', "t'2016-01-01T00:00:00Z'", "h'ff'", "b'AA=='", ' ']

  test.prop([fc.string({ maxLength: 300 })], { numRuns: 500 })('arbitrary strings give a result, never a throw', (s) => {
    const r = parsePattern(s)
    expect(typeof r.ok).toBe('boolean')
    if (!r.ok) expect(r.error.message).toMatch(/^column \d+: /)
  })

  test.prop([fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 })], { numRuns: 1000 })('token soups give a result quickly, and what parses prints and re-parses', (toks) => {
    const s = toks.join(' ')
    const t0 = performance.now()
    const r = parsePattern(s)
    expect(performance.now() - t0).toBeLessThan(250)
    if (r.ok) expect(stripSpans(parse(printPattern(r.value)))).toEqual(stripSpans(r.value))
    else expect(r.error.column).toBeGreaterThanOrEqual(1)
  })

  it('parses a 64 KiB pattern in well under a second', () => {
    const one = "[ipv4-addr:value = '198.51.100.1' OR domain-name:value = 'vote-update.example']"
    const parts: string[] = []
    let len = 0
    while (len + one.length + 4 < PATTERN_LIMITS.maxPatternLength && parts.length < PATTERN_LIMITS.maxObservationExpressions) {
      parts.push(one)
      len += one.length + 4
    }
    const t0 = performance.now()
    const r = parsePattern(parts.join(' OR '))
    expect(r.ok).toBe(true)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
