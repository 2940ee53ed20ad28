/**
 * A linear-time regular-expression engine for STIX `MATCHES` (STIX 2.1 §9.5: PCRE syntax).
 *
 * Patterns come from other countries, so a regular expression must never stall the node:
 * expressions compile to a Thompson NFA and run as a Pike-VM simulation, O(input × states), with
 * no backtracking. `(a+)+$` against thirty thousand `a`s and a `b` answers in milliseconds.
 *
 * Supported (PCRE semantics, no UCP): literals and escaped punctuation; `.`; classes with ranges,
 * negation, POSIX names (`[[:alpha:]]`) and the escapes `\d \w \s \h \v \D \W \S \H \V`;
 * `\t \n \r \f \e \a \0 \xHH \x{HHHH} \o{…} \cX`; `\Q…\E`; anchors `^ $ \A \z \Z \b \B`;
 * groups `(…)`, `(?:…)`, `(?<name>…)`, `(?P<name>…)`, `(?|…)`, comments `(?#…)`;
 * alternation; quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms; inline flags `i`, `m`,
 * `s` (`(?i)`, `(?-i)`, `(?i:…)`). Capturing groups are treated as non-capturing: MATCHES only
 * asks whether the expression matches.
 *
 * Rejected with a message naming the construct: backreferences, lookahead/lookbehind, atomic
 * groups, possessive quantifiers, recursion, conditionals, `\p{…}`, `\R`, `\X`, `\K`, `\G` and
 * unknown flags or escapes.
 */
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'
import { PATTERN_LIMITS } from './limits.js'

/** Where (code point index into the expression, 0-based) and what went wrong. */
export interface RegexError {
  readonly position: number
  readonly message: string
}

/** Mutable step allowance shared by the caller; a search stops (answering false) when it runs out. */
export interface StepBudget {
  remaining: number
}

export interface CompiledRegex {
  /** The number of NFA instructions. */
  readonly states: number
  /**
   * Whether the expression matches anywhere in `input` (PCRE `search`, not a full match).
   * With a budget, every thread step costs one; when `budget.remaining` goes negative the search
   * stops and answers false, and the caller should treat the answer as undecided.
   */
  test(input: string, budget?: StepBudget): boolean
}

type AssertKind = 'bol' | 'mbol' | 'eol' | 'meol' | 'start' | 'end' | 'word' | 'nonword'

type Node =
  | { readonly t: 'empty' }
  | { readonly t: 'set'; readonly ranges: readonly number[]; readonly negated: boolean; readonly ci: boolean }
  | { readonly t: 'assert'; readonly kind: AssertKind }
  | { readonly t: 'cat'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly items: readonly Node[] }
  | { readonly t: 'rep'; readonly node: Node; readonly min: number; readonly max: number }

interface Flags {
  readonly i: boolean
  readonly m: boolean
  readonly s: boolean
}

const MAX_CP = 0x10ffff
const MAX_REPEAT = 65535

class Fail {
  constructor(
    readonly position: number,
    readonly message: string,
  ) {}
}

// ---- character sets --------------------------------------------------------------------------

const DIGIT = [48, 57]
const WORD = [48, 57, 65, 90, 95, 95, 97, 122]
const SPACE = [9, 13, 32, 32]
const HSPACE = [9, 9, 32, 32, 0xa0, 0xa0, 0x1680, 0x1680, 0x180e, 0x180e, 0x2000, 0x200a, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000]
const VSPACE = [10, 13, 0x85, 0x85, 0x2028, 0x2029]

/** Sorted, merged ranges (pairs of inclusive bounds). */
function normalise(ranges: readonly number[]): number[] {
  const pairs: [number, number][] = []
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i] as number, ranges[i + 1] as number])
  pairs.sort((a, b) => a[0] - b[0])
  const out: number[] = []
  for (const [lo, hi] of pairs) {
    const last = out.length - 1
    if (last > 0 && lo <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, hi)
    else out.push(lo, hi)
  }
  return out
}

function complement(ranges: readonly number[]): number[] {
  const r = normalise(ranges)
  const out: number[] = []
  let next = 0
  for (let i = 0; i < r.length; i += 2) {
    if ((r[i] as number) > next) out.push(next, (r[i] as number) - 1)
    next = (r[i + 1] as number) + 1
  }
  if (next <= MAX_CP) out.push(next, MAX_CP)
  return out
}

const POSIX: Readonly<Record<string, readonly number[]>> = {
  alpha: [65, 90, 97, 122],
  digit: DIGIT,
  alnum: [48, 57, 65, 90, 97, 122],
  upper: [65, 90],
  lower: [97, 122],
  space: SPACE,
  blank: [9, 9, 32, 32],
  punct: [33, 47, 58, 64, 91, 96, 123, 126],
  xdigit: [48, 57, 65, 70, 97, 102],
  word: WORD,
  cntrl: [0, 31, 127, 127],
  print: [32, 126],
  graph: [33, 126],
  ascii: [0, 127],
}

function inRanges(ranges: readonly number[], cp: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (cp < (ranges[i] as number)) return false
    if (cp <= (ranges[i + 1] as number)) return true
  }
  return false
}

/** Simple one-to-one case mapping of a code point (identity when the mapping is not a single code point). */
function lowerCp(cp: number): number {
  if (cp < 128) return cp >= 65 && cp <= 90 ? cp + 32 : cp
  const s = String.fromCodePoint(cp).toLowerCase()
  const l = s.codePointAt(0) ?? cp
  return s.length === String.fromCodePoint(l).length ? l : cp
}
function upperCp(cp: number): number {
  if (cp < 128) return cp >= 97 && cp <= 122 ? cp - 32 : cp
  const s = String.fromCodePoint(cp).toUpperCase()
  const u = s.codePointAt(0) ?? cp
  return s.length === String.fromCodePoint(u).length ? u : cp
}

const isWordCp = (cp: number): boolean => (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || cp === 95 || (cp >= 97 && cp <= 122)

// ---- parser ----------------------------------------------------------------------------------

class RegexParser {
  private i = 0
  private readonly cps: number[]

  constructor(
    source: string,
    private readonly maxStates: number,
  ) {
    this.cps = Array.from(source, (c) => c.codePointAt(0) as number)
  }

  /** Capturing groups in the whole expression (an upper bound: `(` not escaped and not followed by `?`). */
  private groupCount(): number {
    let n = 0
    for (let j = 0; j < this.cps.length; j++) {
      if (this.cps[j] === 92) j++
      else if (this.cps[j] === 40 && this.cps[j + 1] !== 63) n++
    }
    return n
  }

  private peek(k = 0): number {
    return this.cps[this.i + k] ?? -1
  }
  private eof(): boolean {
    return this.i >= this.cps.length
  }
  private fail(message: string, at = this.i): never {
    throw new Fail(at, message)
  }

  parse(): Node {
    const node = this.alternation({ i: false, m: false, s: false }, 0)
    if (!this.eof()) this.fail("unmatched ')'")
    return node
  }

  private alternation(flags: Flags, depth: number): Node {
    if (depth > 200) this.fail('groups are nested too deeply')
    const items: Node[] = []
    let f = flags
    for (;;) {
      const [node, after] = this.concatenation(f, depth)
      items.push(node)
      f = after
      if (this.peek() !== 124 /* | */) break
      this.i++
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'alt', items }
  }

  /** Returns the sequence and the flags in force after it (inline `(?i)` lasts to the end of the group). */
  private concatenation(flags: Flags, depth: number): [Node, Flags] {
    const items: Node[] = []
    let f = flags
    while (!this.eof()) {
      const c = this.peek()
      if (c === 124 || c === 41 /* ) */) break
      const atom = this.atom(f, depth)
      if (atom === null) continue
      if ('flags' in atom) {
        f = atom.flags
        continue
      }
      items.push(this.quantified(atom.node))
    }
    return [items.length === 1 ? (items[0] as Node) : items.length === 0 ? { t: 'empty' } : { t: 'cat', items }, f]
  }

  private quantified(node: Node): Node {
    let min: number
    let max: number
    const c = this.peek()
    const qStart = this.i
    if (c === 42 /* * */) {
      min = 0
      max = Infinity
      this.i++
    } else if (c === 43 /* + */) {
      min = 1
      max = Infinity
      this.i++
    } else if (c === 63 /* ? */) {
      min = 0
      max = 1
      this.i++
    } else if (c === 123 /* { */) {
      const q = this.braces()
      if (q === null) return node
      ;[min, max] = q
    } else {
      return node
    }
    if (this.peek() === 43) this.fail('possessive quantifiers are not supported (they need backtracking)')
    if (this.peek() === 63) this.i++ // lazy: same answer for a yes/no match
    const n = this.peek()
    if (n === 42 || n === 43 || n === 63 || (n === 123 && this.bracesAhead())) this.fail('nothing to repeat')
    if (node.t === 'empty') this.fail('nothing to repeat', qStart)
    return { t: 'rep', node, min, max }
  }

  /** Whether `{n}`, `{n,}` or `{n,m}` starts here (otherwise `{` is a literal, as in PCRE). */
  private bracesAhead(): boolean {
    let j = this.i + 1
    const digits = (): number => {
      const s = j
      while ((this.cps[j] ?? -1) >= 48 && (this.cps[j] ?? -1) <= 57) j++
      return j - s
    }
    if (digits() === 0) return false
    if (this.cps[j] === 125) return true
    if (this.cps[j] !== 44) return false
    j++
    digits()
    return this.cps[j] === 125
  }

  private braces(): [number, number] | null {
    if (!this.bracesAhead()) return null
    const start = this.i
    this.i++
    const num = (): number => {
      let v = 0
      let any = false
      while (this.peek() >= 48 && this.peek() <= 57) {
        v = Math.min(v * 10 + (this.peek() - 48), MAX_REPEAT + 1)
        this.i++
        any = true
      }
      return any ? v : -1
    }
    const min = num()
    let max = min
    if (this.peek() === 44) {
      this.i++
      const m = num()
      max = m < 0 ? Infinity : m
    }
    this.i++ // }
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) this.fail(`repeat count is larger than ${MAX_REPEAT}`, start)
    if (max < min) this.fail('numbers out of order in {} quantifier', start)
    return [min, max]
  }

  private set(ranges: readonly number[], negated: boolean, flags: Flags): Node {
    return { t: 'set', ranges: normalise(ranges), negated, ci: flags.i }
  }

  private atom(flags: Flags, depth: number): { node: Node } | { flags: Flags } | null {
    const c = this.peek()
    switch (c) {
      case 40 /* ( */:
        return this.group(flags, depth)
      case 91 /* [ */:
        return { node: this.charClass(flags) }
      case 46 /* . */:
        this.i++
        return { node: flags.s ? this.set([0, MAX_CP], false, flags) : this.set([10, 10], true, flags) }
      case 94 /* ^ */:
        this.i++
        return { node: { t: 'assert', kind: flags.m ? 'mbol' : 'bol' } }
      case 36 /* $ */:
        this.i++
        return { node: { t: 'assert', kind: flags.m ? 'meol' : 'eol' } }
      case 92 /* \ */:
        return this.escape(flags)
      case 42:
      case 43:
      case 63:
        this.fail('nothing to repeat')
        break
      case 123:
        if (this.bracesAhead()) this.fail('nothing to repeat')
        break
    }
    this.i++
    return { node: this.literal(c, flags) }
  }

  private literal(cp: number, flags: Flags): Node {
    return { t: 'set', ranges: [cp, cp], negated: false, ci: flags.i }
  }

  private group(flags: Flags, depth: number): { node: Node } | { flags: Flags } | null {
    const open = this.i
    this.i++ // (
    let inner = flags
    if (this.peek() === 63 /* ? */) {
      this.i++
      const c = this.peek()
      const c2 = this.peek(1)
      if (c === 58 /* : */ || c === 124 /* | */) {
        this.i++
      } else if (c === 61 || c === 33 || (c === 60 && (c2 === 61 || c2 === 33))) {
        this.fail('lookahead and lookbehind assertions are not supported', open)
      } else if (c === 62 /* > */) {
        this.fail('atomic groups are not supported (they need backtracking)', open)
      } else if (c === 35 /* # */) {
        while (!this.eof() && this.peek() !== 41) this.i++
        if (this.eof()) this.fail("missing ')' after comment", open)
        this.i++
        return null
      } else if (c === 60 /* < */ || c === 39 /* ' */ || (c === 80 /* P */ && c2 === 60)) {
        if (c === 80) this.i++
        const close = c === 39 ? 39 : 62
        this.i++
        const nameStart = this.i
        while (!this.eof() && this.peek() !== close) {
          if (!isWordCp(this.peek())) this.fail('invalid group name')
          this.i++
        }
        if (this.eof() || this.i === nameStart) this.fail('invalid group name', open)
        this.i++
      } else if (c === 80 /* P */ && (c2 === 61 || c2 === 62)) {
        this.fail(c2 === 61 ? 'backreferences are not supported (they need backtracking)' : 'recursion is not supported', open)
      } else if (c === 82 /* R */ || c === 38 /* & */ || (c >= 48 && c <= 57) || c === 43 || (c === 45 && c2 >= 48 && c2 <= 57)) {
        this.fail('recursion and subroutine calls are not supported', open)
      } else if (c === 40 /* ( */) {
        this.fail('conditional groups are not supported', open)
      } else {
        // Inline flags: (?imsx-imsx) or (?imsx-imsx: … )
        let on = true
        let f = { ...flags }
        for (;;) {
          const d = this.peek()
          if (d === 41 /* ) */) {
            this.i++
            return { flags: f }
          }
          if (d === 58 /* : */) {
            this.i++
            inner = f
            break
          }
          if (d === 45 /* - */ && on) {
            on = false
            this.i++
            continue
          }
          if (d === 105 /* i */) f = { ...f, i: on }
          else if (d === 109 /* m */) f = { ...f, m: on }
          else if (d === 115 /* s */) f = { ...f, s: on }
          else if (d < 0) this.fail("missing ')'", open)
          else this.fail(`inline flag '${String.fromCodePoint(d)}' is not supported (only i, m and s)`)
          this.i++
        }
      }
    }
    const node = this.alternation(inner, depth + 1)
    if (this.peek() !== 41) this.fail("missing ')'", open)
    this.i++
    return { node }
  }

  /** Reads a hex number of up to `maxDigits` digits (or `{…}` when braced). */
  private hexValue(braced: boolean, maxDigits: number, start: number): number {
    let v = 0
    let n = 0
    for (;;) {
      const d = this.peek()
      const h = d >= 48 && d <= 57 ? d - 48 : d >= 65 && d <= 70 ? d - 55 : d >= 97 && d <= 102 ? d - 87 : -1
      if (h < 0 || (!braced && n >= maxDigits)) break
      v = v * 16 + h
      n++
      this.i++
      if (v > MAX_CP) this.fail('character value is too large', start)
    }
    if (braced) {
      if (this.peek() !== 125 || n === 0) this.fail('invalid \\x{…} escape', start)
      this.i++
    }
    return v
  }

  /**
   * One escape after the backslash. Returns a code point, or a set (ranges + negated), or an
   * assertion; `inClass` changes `\b` to backspace and forbids assertions.
   */
  private escapeValue(inClass: boolean): number | { ranges: readonly number[]; negated: boolean } | { assert: AssertKind } | { quote: true } {
    const start = this.i
    this.i++ // backslash
    if (this.eof()) this.fail('\\ at end of expression', start)
    const c = this.peek()
    this.i++
    const ch = String.fromCodePoint(c)
    switch (ch) {
      case 'd':
        return { ranges: DIGIT, negated: false }
      case 'D':
        return { ranges: DIGIT, negated: true }
      case 'w':
        return { ranges: WORD, negated: false }
      case 'W':
        return { ranges: WORD, negated: true }
      case 's':
        return { ranges: SPACE, negated: false }
      case 'S':
        return { ranges: SPACE, negated: true }
      case 'h':
        return { ranges: HSPACE, negated: false }
      case 'H':
        return { ranges: HSPACE, negated: true }
      case 'v':
        return { ranges: VSPACE, negated: false }
      case 'V':
        return { ranges: VSPACE, negated: true }
      case 'N':
        if (inClass) this.fail('\\N is not allowed in a class', start)
        return { ranges: [10, 10], negated: true }
      case 't':
        return 9
      case 'n':
        return 10
      case 'r':
        return 13
      case 'f':
        return 12
      case 'e':
        return 27
      case 'a':
        return 7
      case 'b':
        if (inClass) return 8
        return { assert: 'word' }
      case 'B':
        if (inClass) this.fail('\\B is not allowed in a class', start)
        return { assert: 'nonword' }
      case 'A':
        if (inClass) this.fail('\\A is not allowed in a class', start)
        return { assert: 'start' }
      case 'z':
        if (inClass) this.fail('\\z is not allowed in a class', start)
        return { assert: 'end' }
      case 'Z':
        if (inClass) this.fail('\\Z is not allowed in a class', start)
        return { assert: 'eol' }
      case 'x':
        if (this.peek() === 123) {
          this.i++
          return this.hexValue(true, 0, start)
        }
        return this.hexValue(false, 2, start)
      case 'o': {
        if (this.peek() !== 123) this.fail('invalid \\o{…} escape', start)
        this.i++
        let v = 0
        let n = 0
        while (this.peek() >= 48 && this.peek() <= 55) {
          v = v * 8 + (this.peek() - 48)
          n++
          this.i++
          if (v > MAX_CP) this.fail('character value is too large', start)
        }
        if (this.peek() !== 125 || n === 0) this.fail('invalid \\o{…} escape', start)
        this.i++
        return v
      }
      case '0': {
        let v = 0
        for (let k = 0; k < 2 && this.peek() >= 48 && this.peek() <= 55; k++) {
          v = v * 8 + (this.peek() - 48)
          this.i++
        }
        return v
      }
      case 'c': {
        const d = this.peek()
        if (d < 32 || d > 126) this.fail('\\c must be followed by a printable ASCII character', start)
        this.i++
        return (d >= 97 && d <= 122 ? d - 32 : d) ^ 0x40
      }
      case 'Q':
        if (inClass) this.fail('\\Q is not supported inside a class', start)
        return { quote: true }
      case 'E':
        return { quote: true }
      case 'p':
      case 'P':
      case 'X':
        this.fail(`Unicode property escapes (\\${ch}) are not supported`, start)
        break
      case 'R':
        this.fail('\\R is not supported; use (?:\\r\\n|\\n|\\r)', start)
        break
      case 'K':
      case 'G':
        this.fail(`\\${ch} is not supported`, start)
        break
      case 'g':
      case 'k':
        this.fail('backreferences are not supported (they need backtracking)', start)
        break
      case 'u':
        this.fail('\\u is not PCRE syntax; write \\x{HHHH}', start)
        break
    }
    if (c >= 49 && c <= 57) {
      // PCRE: \1–\9 are backreferences; a larger number is one too if there are that many
      // groups, otherwise up to three octal digits.
      let j = this.i - 1
      let dec = 0
      while ((this.cps[j] ?? -1) >= 48 && (this.cps[j] ?? -1) <= 57) dec = dec * 10 + ((this.cps[j++] as number) - 48)
      if (inClass || (dec >= 10 && dec > this.groupCount())) {
        if (c > 55) this.fail(`unknown escape \\${ch}`, start)
        let v = c - 48
        for (let k = 0; k < 2 && this.peek() >= 48 && this.peek() <= 55; k++) v = v * 8 + (this.cps[this.i++] as number) - 48
        return v
      }
      this.fail('backreferences are not supported (they need backtracking)', start)
    }
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)) this.fail(`unknown escape \\${ch}`, start)
    return c
  }

  private escape(flags: Flags): { node: Node } | null {
    const v = this.escapeValue(false)
    if (typeof v === 'number') return { node: this.literal(v, flags) }
    if ('assert' in v) return { node: { t: 'assert', kind: v.assert } }
    if ('quote' in v) {
      // \Q…\E: everything up to \E (or the end) is literal. A lone \E is ignored.
      if (this.cps[this.i - 1] === 69 /* E */) return null
      const items: Node[] = []
      while (!this.eof() && !(this.peek() === 92 && this.peek(1) === 69)) {
        items.push(this.literal(this.peek(), flags))
        this.i++
      }
      if (!this.eof()) this.i += 2
      return items.length === 0 ? null : { node: items.length === 1 ? (items[0] as Node) : { t: 'cat', items } }
    }
    return { node: this.set(v.ranges, v.negated, flags) }
  }

  private charClass(flags: Flags): Node {
    const open = this.i
    this.i++ // [
    let negated = false
    if (this.peek() === 94 /* ^ */) {
      negated = true
      this.i++
    }
    const ranges: number[] = []
    let first = true
    for (;;) {
      if (this.eof()) this.fail("missing terminating ']' for character class", open)
      const c = this.peek()
      if (c === 93 /* ] */ && !first) {
        this.i++
        break
      }
      first = false
      // POSIX class [:name:]
      if (c === 91 && this.peek(1) === 58) {
        const close = this.cps.indexOf(58, this.i + 2)
        if (close > 0 && this.cps[close + 1] === 93) {
          let name = String.fromCodePoint(...this.cps.slice(this.i + 2, close))
          let neg = false
          if (name.startsWith('^')) {
            neg = true
            name = name.slice(1)
          }
          const r = POSIX[name]
          if (!r) this.fail(`unknown POSIX class name '${name}'`)
          ranges.push(...(neg ? complement(r) : r))
          this.i = close + 2
          continue
        }
      }
      let lo: number
      if (c === 92) {
        const v = this.escapeValue(true)
        if (typeof v !== 'number') {
          if ('ranges' in v) {
            ranges.push(...(v.negated ? complement(v.ranges) : v.ranges))
            continue
          }
          if ('quote' in v) continue
          this.fail('assertions are not allowed in a class')
        }
        lo = v
      } else {
        lo = c
        this.i++
      }
      // A range lo-hi (a '-' before ']' or before a class escape is a literal '-').
      if (this.peek() === 45 && this.peek(1) !== 93 && this.peek(1) !== -1) {
        const save = this.i
        this.i++
        let hi: number
        if (this.peek() === 92) {
          const v = this.escapeValue(true)
          if (typeof v !== 'number') {
            this.i = save
            ranges.push(lo, lo)
            continue
          }
          hi = v
        } else if (this.peek() === 91 && this.peek(1) === 58) {
          this.i = save
          ranges.push(lo, lo)
          continue
        } else {
          hi = this.peek()
          this.i++
        }
        if (hi < lo) this.fail('range out of order in character class', save)
        ranges.push(lo, hi)
        continue
      }
      ranges.push(lo, lo)
    }
    return this.set(ranges, negated, flags)
  }

  /** Instruction count of a node, checked against the limit as it is computed. */
  size(node: Node): number {
    const check = (n: number): number => {
      if (n > this.maxStates) throw new Fail(0, `expression is too large (more than ${this.maxStates} states)`)
      return n
    }
    switch (node.t) {
      case 'empty':
        return 0
      case 'set':
      case 'assert':
        return 1
      case 'cat':
        return check(node.items.reduce((a, x) => check(a + this.size(x)), 0))
      case 'alt':
        return check(node.items.reduce((a, x) => check(a + this.size(x)), 0) + 2 * (node.items.length - 1))
      case 'rep': {
        const s = this.size(node.node)
        if (node.max === Infinity) return check(node.min * s + s + 2)
        return check(node.min * s + (node.max - node.min) * (s + 1))
      }
    }
  }
}

// ---- compiler --------------------------------------------------------------------------------

const enum Op {
  Set,
  Assert,
  Split,
  Jmp,
  Match,
}

interface Inst {
  op: Op
  x: number
  y: number
  ranges: readonly number[]
  negated: boolean
  ci: boolean
  assert: AssertKind
}

function compile(root: Node): Inst[] {
  const prog: Inst[] = []
  const emit = (op: Op): Inst => {
    const inst: Inst = { op, x: 0, y: 0, ranges: [], negated: false, ci: false, assert: 'bol' }
    prog.push(inst)
    return inst
  }
  const gen = (node: Node): void => {
    switch (node.t) {
      case 'empty':
        return
      case 'set': {
        const inst = emit(Op.Set)
        inst.ranges = node.ranges
        inst.negated = node.negated
        inst.ci = node.ci
        return
      }
      case 'assert':
        emit(Op.Assert).assert = node.kind
        return
      case 'cat':
        for (const x of node.items) gen(x)
        return
      case 'alt': {
        const jumps: Inst[] = []
        node.items.forEach((x, k) => {
          if (k < node.items.length - 1) {
            const split = emit(Op.Split)
            split.x = prog.length
            gen(x)
            jumps.push(emit(Op.Jmp))
            split.y = prog.length
          } else {
            gen(x)
          }
        })
        for (const j of jumps) j.x = prog.length
        return
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) gen(node.node)
        if (node.max === Infinity) {
          const loop = prog.length
          const split = emit(Op.Split)
          split.x = prog.length
          gen(node.node)
          emit(Op.Jmp).x = loop
          split.y = prog.length
        } else {
          const splits: Inst[] = []
          for (let k = node.min; k < node.max; k++) {
            const split = emit(Op.Split)
            split.x = prog.length
            splits.push(split)
            gen(node.node)
          }
          for (const s of splits) s.y = prog.length
        }
        return
      }
    }
  }
  gen(root)
  emit(Op.Match)
  return prog
}

function setMatches(inst: Inst, cp: number): boolean {
  let hit = inRanges(inst.ranges, cp)
  if (!hit && inst.ci) hit = inRanges(inst.ranges, lowerCp(cp)) || inRanges(inst.ranges, upperCp(cp))
  return hit !== inst.negated
}

/** Runs the program over `input` (Pike VM without captures). */
/** Work arrays of one compiled program, reused between runs (a run never yields). */
interface Machine {
  readonly prog: readonly Inst[]
  lists: [Int32Array, Int32Array]
  /** Generation marks: a state is on the list for position p when mark[state] === base + p + 1. */
  readonly mark: Int32Array
  base: number
  /** Each state is expanded once per position and pushes at most two successors. */
  readonly stack: Int32Array
}

function machine(prog: readonly Inst[]): Machine {
  const size = prog.length
  return { prog, lists: [new Int32Array(size), new Int32Array(size)], mark: new Int32Array(size), base: 0, stack: new Int32Array(2 * size + 2) }
}

function run(m: Machine, input: string, budget: StepBudget | undefined, anchored: boolean): boolean {
  const prog = m.prog
  // Code points: one per UTF-16 unit unless the input has surrogate pairs.
  let cps: ArrayLike<number>
  if (/[\ud800-\udfff]/.test(input)) cps = Array.from(input, (c) => c.codePointAt(0) as number)
  else {
    const a = new Int32Array(input.length)
    for (let i = 0; i < a.length; i++) a[i] = input.charCodeAt(i)
    cps = a
  }
  const n = cps.length
  if (m.base > 0x3fff0000 - n) {
    m.mark.fill(0)
    m.base = 0
  }
  const base = m.base
  m.base += n + 2
  let [clist, nlist] = m.lists
  let ccount = 0
  const mark = m.mark
  const stack = m.stack
  let steps = 0

  const assertHolds = (kind: AssertKind, pos: number): boolean => {
    switch (kind) {
      case 'bol':
      case 'start':
        return pos === 0
      case 'mbol':
        return pos === 0 || cps[pos - 1] === 10
      case 'eol':
        return pos === n || (pos === n - 1 && cps[pos] === 10)
      case 'meol':
        return pos === n || cps[pos] === 10
      case 'end':
        return pos === n
      case 'word':
      case 'nonword': {
        const a = pos > 0 && isWordCp(cps[pos - 1] as number)
        const b = pos < n && isWordCp(cps[pos] as number)
        return (a !== b) === (kind === 'word')
      }
    }
  }

  /** Count of states on the list being built by `add`. */
  let cnt = 0
  /** Adds `pc0` and its epsilon closure at position `pos` to `list`; true when Match is reached. */
  const add = (list: Int32Array, pc0: number, pos: number): boolean => {
    let sp = 0
    stack[sp++] = pc0
    while (sp > 0) {
      const pc = stack[--sp] as number
      if (mark[pc] === base + pos + 1) continue
      mark[pc] = base + pos + 1
      steps++
      const inst = prog[pc] as Inst
      switch (inst.op) {
        case Op.Match:
          return true
        case Op.Jmp:
          stack[sp++] = inst.x
          break
        case Op.Split:
          stack[sp++] = inst.y
          stack[sp++] = inst.x
          break
        case Op.Assert:
          if (assertHolds(inst.assert, pos)) stack[sp++] = pc + 1
          break
        case Op.Set:
          list[cnt++] = pc
          break
      }
    }
    return false
  }

  for (let pos = 0; ; pos++) {
    if (!anchored || pos === 0) {
      cnt = ccount
      if (add(clist, 0, pos)) return true
      ccount = cnt
    }
    if (pos >= n || (ccount === 0 && anchored)) return false
    if (budget) {
      budget.remaining -= steps + ccount
      steps = 0
      if (budget.remaining < 0) return false
    }
    const cp = cps[pos] as number
    cnt = 0
    for (let k = 0; k < ccount; k++) {
      const pc = clist[k] as number
      if (setMatches(prog[pc] as Inst, cp) && add(nlist, pc + 1, pos + 1)) return true
    }
    const t = clist
    clist = nlist
    nlist = t
    ccount = cnt
  }
}

/** Whether every match must start at position 0 (the expression begins with `^` or `\A` on every branch). */
function isAnchored(node: Node): boolean {
  switch (node.t) {
    case 'assert':
      return node.kind === 'bol' || node.kind === 'start'
    case 'cat':
      return node.items.length > 0 && isAnchored(node.items[0] as Node)
    case 'alt':
      return node.items.every(isAnchored)
    case 'rep':
      return node.min > 0 && isAnchored(node.node)
    default:
      return false
  }
}

/**
 * Compiles a PCRE-style expression (the supported subset is listed at the top of this file) into
 * a linear-time matcher, or explains why it cannot. The compiled program has at most
 * `maxStates` instructions (default PATTERN_LIMITS.maxRegexStates).
 */
export function compileRegex(source: string, options: { readonly maxStates?: number } = {}): Result<CompiledRegex, RegexError> {
  const maxStates = options.maxStates ?? PATTERN_LIMITS.maxRegexStates
  const parser = new RegexParser(source, maxStates)
  let root: Node
  try {
    root = parser.parse()
    parser.size(root)
  } catch (e) {
    if (e instanceof Fail) return err({ position: e.position, message: e.message })
    if (e instanceof RangeError) return err({ position: 0, message: 'expression is nested too deeply' })
    throw e
  }
  const prog = compile(root)
  const anchored = isAnchored(root)
  const m = machine(prog)
  return ok({
    states: prog.length,
    test: (input: string, budget?: StepBudget): boolean => run(m, input, budget, anchored),
  })
}
