/**
 * Tokeniser for STIX 2.1 patterns, following the lexer rules of the OASIS grammar
 * (STIXPattern.g4): upper-case keywords, `true`/`false`, identifiers with and without hyphens,
 * single-quoted strings with `\'` and `\\` escapes, integers and decimals with an optional sign,
 * `t'…'`, `h'…'`, `b'…'` literals, `/* … *\/` and `// …` comments, and the grammar's whitespace set.
 */
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { parseStixTimestamp } from '../stix/time.js'
import type { PatternError } from './limits.js'

export const KEYWORDS = [
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUPERSET',
  'ISSUBSET',
  'EXISTS',
  'LAST',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'WITHIN',
  'REPEATS',
  'TIMES',
] as const
export type Keyword = (typeof KEYWORDS)[number]
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS)

/** Words that can never be bare identifiers: the keywords plus the boolean literals. */
export function isReservedWord(s: string): boolean {
  return KEYWORD_SET.has(s) || s === 'true' || s === 'false'
}

export type Punctuation = '[' | ']' | '(' | ')' | ':' | '.' | ',' | '*' | '=' | '!=' | '<' | '<=' | '>' | '>='

export type Token =
  | { readonly kind: 'punct'; readonly text: Punctuation; readonly start: number; readonly end: number }
  | { readonly kind: 'keyword'; readonly text: Keyword; readonly start: number; readonly end: number }
  | { readonly kind: 'identifier'; readonly text: string; readonly hyphen: boolean; readonly start: number; readonly end: number }
  | { readonly kind: 'string'; readonly text: string; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'integer'; readonly text: string; readonly value: number; readonly start: number; readonly end: number }
  | { readonly kind: 'float'; readonly text: string; readonly value: number; readonly start: number; readonly end: number }
  | { readonly kind: 'boolean'; readonly text: string; readonly value: boolean; readonly start: number; readonly end: number }
  | { readonly kind: 'timestamp' | 'hex' | 'binary'; readonly text: string; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'eof'; readonly text: ''; readonly start: number; readonly end: number }

/** Largest magnitude of a STIX integer (STIX 2.1 §2: integers are signed 54-bit values). */
export const MAX_STIX_INTEGER = Number.MAX_SAFE_INTEGER

/** A lexer or parser error at `offset` (0-based). */
export function patternError(code: PatternError['code'], offset: number, what: string): PatternError {
  const column = offset + 1
  return { code, column, message: `column ${column}: ${what}` }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === 45
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
const isBase64 = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || isDigit(c) || c === 43 || c === 47

function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true
  if (c < 0x85) return false
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  )
}

/** A short, printable rendering of source text for error messages. */
export function excerpt(s: string): string {
  const one = s.length > 32 ? s.slice(0, 29) + '…' : s
  return one.replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Validates base64 as the grammar does: groups of four, optional `=`/`==` padding, at least one group. */
function validBase64(s: string): boolean {
  if (s.length === 0 || s.length % 4 !== 0) return false
  let pad = 0
  if (s.endsWith('==')) pad = 2
  else if (s.endsWith('=')) pad = 1
  for (let i = 0; i < s.length - pad; i++) if (!isBase64(s.charCodeAt(i))) return false
  return true
}

/**
 * Splits a pattern into tokens (ending with one `eof` token), or reports the first lexical error.
 * Linear in the length of the input.
 */
export function tokenize(src: string): Result<Token[], PatternError> {
  const tokens: Token[] = []
  const n = src.length
  let i = 0
  while (i < n) {
    const c = src.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    const start = i
    // Comments.
    if (c === 47 /* / */) {
      const d = src.charCodeAt(i + 1)
      if (d === 42 /* * */) {
        const close = src.indexOf('*/', i + 2)
        if (close < 0) return err(patternError('pattern_syntax', start, "unterminated comment: expected '*/'"))
        i = close + 2
        continue
      }
      if (d === 47) {
        while (i < n && src.charCodeAt(i) !== 10 && src.charCodeAt(i) !== 13) i++
        continue
      }
      return err(patternError('pattern_syntax', start, "unexpected '/': regular expressions are written as strings, e.g. MATCHES '^a+$'"))
    }
    // Prefixed literals: t'…', h'…', b'…'.
    if ((c === 116 || c === 104 || c === 98) && src.charCodeAt(i + 1) === 39 /* ' */) {
      const close = src.indexOf("'", i + 2)
      if (close < 0) return err(patternError('pattern_syntax', start, 'unterminated literal: expected a closing quote'))
      const body = src.slice(i + 2, close)
      const text = src.slice(i, close + 1)
      if (c === 116) {
        const ts = parseStixTimestamp(body)
        if (!ts.ok) return err(patternError('pattern_invalid', start, `invalid timestamp ${excerpt(text)}: ${ts.error}`))
        tokens.push({ kind: 'timestamp', text, value: body, start, end: close + 1 })
      } else if (c === 104) {
        for (let k = 0; k < body.length; k++) {
          if (!isHex(body.charCodeAt(k))) return err(patternError('pattern_invalid', start + 2 + k, `invalid hex literal: '${excerpt(body.charAt(k))}' is not a hex digit`))
        }
        if (body.length % 2 !== 0) return err(patternError('pattern_invalid', start, 'invalid hex literal: it needs an even number of hex digits'))
        tokens.push({ kind: 'hex', text, value: body, start, end: close + 1 })
      } else {
        if (!validBase64(body)) return err(patternError('pattern_invalid', start, 'invalid binary literal: expected non-empty, padded base64 (groups of four characters)'))
        tokens.push({ kind: 'binary', text, value: body, start, end: close + 1 })
      }
      i = close + 1
      continue
    }
    if (isIdentStart(c)) {
      let hyphen = false
      i++
      while (i < n && isIdentPart(src.charCodeAt(i))) {
        if (src.charCodeAt(i) === 45) hyphen = true
        i++
      }
      const text = src.slice(start, i)
      if (!hyphen && KEYWORD_SET.has(text)) tokens.push({ kind: 'keyword', text: text as Keyword, start, end: i })
      else if (text === 'true' || text === 'false') tokens.push({ kind: 'boolean', text, value: text === 'true', start, end: i })
      else tokens.push({ kind: 'identifier', text, hyphen, start, end: i })
      continue
    }
    if (c === 39 /* ' */) {
      let value = ''
      let j = i + 1
      let from = j
      for (;;) {
        if (j >= n) return err(patternError('pattern_syntax', start, "unterminated string: expected a closing '"))
        const d = src.charCodeAt(j)
        if (d === 39) break
        if (d === 92 /* \ */) {
          const e = src.charCodeAt(j + 1)
          if (e !== 39 && e !== 92) {
            return err(
              patternError('pattern_syntax', j, `invalid escape '\\${excerpt(src.charAt(j + 1))}' in string: only \\' and \\\\ are allowed (write a backslash as \\\\)`),
            )
          }
          value += src.slice(from, j) + String.fromCharCode(e)
          j += 2
          from = j
          continue
        }
        j++
      }
      value += src.slice(from, j)
      tokens.push({ kind: 'string', text: src.slice(start, j + 1), value, start, end: j + 1 })
      i = j + 1
      continue
    }
    // Numbers, with an optional sign.
    if (isDigit(c) || ((c === 43 || c === 45 || c === 46) && (isDigit(src.charCodeAt(i + 1)) || (src.charCodeAt(i + 1) === 46 && isDigit(src.charCodeAt(i + 2)) && c !== 46)))) {
      let j = i
      if (c === 43 || c === 45) j++
      const intStart = j
      while (j < n && isDigit(src.charCodeAt(j))) j++
      const intDigits = src.slice(intStart, j)
      if (src.charCodeAt(j) === 46 /* . */) {
        const fracStart = j + 1
        let k = fracStart
        while (k < n && isDigit(src.charCodeAt(k))) k++
        if (k === fracStart) return err(patternError('pattern_syntax', j, 'invalid number: expected a digit after the decimal point'))
        const text = src.slice(start, k)
        const value = Number(text.startsWith('+') ? text.slice(1) : text)
        if (!Number.isFinite(value)) return err(patternError('pattern_invalid', start, `number ${excerpt(text)} is too large`))
        tokens.push({ kind: 'float', text, value, start, end: k })
        i = k
        continue
      }
      const text = src.slice(start, j)
      if (intDigits.length > 1 && intDigits.charCodeAt(0) === 48) return err(patternError('pattern_syntax', start, `invalid integer ${excerpt(text)}: leading zeros are not allowed`))
      const value = Number(text.startsWith('+') ? text.slice(1) : text)
      if (!(Math.abs(value) <= MAX_STIX_INTEGER)) {
        return err(patternError('pattern_invalid', start, `integer ${excerpt(text)} is outside the STIX integer range ±(2^53 - 1)`))
      }
      tokens.push({ kind: 'integer', text, value: value === 0 ? 0 : value, start, end: j })
      i = j
      continue
    }
    const two = src.slice(i, i + 2)
    if (two === '==' || two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      const text: Punctuation = two === '==' ? '=' : two === '<>' ? '!=' : two
      tokens.push({ kind: 'punct', text, start, end: i + 2 })
      i += 2
      continue
    }
    const one = src.charAt(i)
    if ('[]():.,*=<>'.includes(one)) {
      tokens.push({ kind: 'punct', text: one as Punctuation, start, end: i + 1 })
      i++
      continue
    }
    const cp = src.codePointAt(i) ?? c
    return err(patternError('pattern_syntax', start, `unexpected character '${excerpt(String.fromCodePoint(cp))}'`))
  }
  tokens.push({ kind: 'eof', text: '', start: n, end: n })
  return ok(tokens)
}
