/**
 * `entente pattern …`: check STIX patterns before sharing them.
 *
 *   entente pattern validate '<pattern>'   prints `valid` (with --print, the canonical form); exit 0
 *                                          prints `invalid: column N: …`; exit 1
 *   entente pattern test FILE              one JSON object per line: {"pattern": "…", "observed": [ … ]}
 *                                          prints one line per case: `match`, `no-match` or
 *                                          `invalid: line N: <reason>`
 *
 * Exit codes of `test`: 0 when every case was decided (match or no-match), 1 when at least one
 * line was invalid (all lines are still processed), 65 when the file is larger than
 * MAX_TEST_FILE_BYTES, 66 when it cannot be read. Blank lines are skipped.
 *
 * `observed` holds observed-data objects and the SCOs their `object_refs` point to (2.0-style
 * embedded `objects` work too). SCOs without any observed-data are taken as one observation made
 * at the time of the run.
 */
import { readFile, stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { matchPattern, parsePattern, printPattern } from '../../core/pattern/index.js'
import { EXIT, fail, printResult } from '../output.js'

/** Exit codes of `pattern validate` / `pattern test` for invalid input (the issue fixes 1). */
export const PATTERN_EXIT = { ok: 0, invalid: 1 } as const

/** Largest FILE for `pattern test`. */
export const MAX_TEST_FILE_BYTES = 16 * 1024 * 1024
/** Longest line of FILE (a case), in UTF-16 code units. */
export const MAX_TEST_LINE_CHARS = 1024 * 1024
/** Most objects in one case's `observed`. */
export const MAX_OBSERVED_OBJECTS = 10_000

export type ValidateOutcome = { readonly valid: true; readonly canonical: string } | { readonly valid: false; readonly column: number; readonly message: string }

/** Parses a pattern: valid with its canonical text, or the error (`column N: …`). */
export function validatePatternText(text: string): ValidateOutcome {
  const r = parsePattern(text)
  return r.ok ? { valid: true, canonical: printPattern(r.value) } : { valid: false, column: r.error.column, message: r.error.message }
}

export interface PatternCaseResult {
  /** 1-based line number in FILE. */
  readonly line: number
  readonly result: 'match' | 'no-match' | 'invalid'
  readonly reason?: string
}

type JsonObject = Record<string, unknown>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Decides one line of a `pattern test` file: parses the JSON case, the pattern and the
 * observations, and matches. Never throws.
 */
export function testPatternCase(text: string, line: number, now: Date): PatternCaseResult {
  const invalid = (reason: string): PatternCaseResult => ({ line, result: 'invalid', reason })
  if (text.length > MAX_TEST_LINE_CHARS) return invalid(`the line is longer than ${MAX_TEST_LINE_CHARS} characters`)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return invalid(`not JSON: ${(e as Error).message}`)
  }
  if (!isObject(json)) return invalid('a case must be a JSON object {"pattern": "...", "observed": [...]}')
  if (typeof json.pattern !== 'string') return invalid('"pattern" must be a string')
  if (!Array.isArray(json.observed)) return invalid('"observed" must be an array of observed-data and SCO objects')
  const observed = json.observed as unknown[]
  if (observed.length > MAX_OBSERVED_OBJECTS) return invalid(`"observed" has more than ${MAX_OBSERVED_OBJECTS} objects`)
  const p = parsePattern(json.pattern)
  if (!p.ok) return invalid(p.error.message)
  const observations: unknown[] = []
  const scos: unknown[] = []
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]
    if (!isObject(o) || typeof o.type !== 'string') return invalid(`observed[${i}] is not a STIX object (an object with a "type")`)
    if (o.type === 'observed-data') observations.push(o)
    else scos.push(o)
  }
  if (observations.length === 0 && scos.length > 0) {
    // Bare SCOs: one observation of all of them, made now.
    const when = now.toISOString()
    const objects: JsonObject = {}
    scos.forEach((o, i) => {
      const id = (o as JsonObject).id
      objects[typeof id === 'string' ? id : String(i)] = o
    })
    observations.push({ type: 'observed-data', first_observed: when, last_observed: when, number_observed: 1, objects })
  }
  const m = matchPattern(p.value, observations, { scos })
  if (!m.ok) return invalid(`${m.error.code}${m.error.pointer ? ` at observed-data ${m.error.pointer}` : ''}: ${m.error.message}`)
  return { line, result: m.value.matched ? 'match' : 'no-match' }
}

/** Runs every non-blank line of a `pattern test` file. */
export function runPatternTests(text: string, now: Date): PatternCaseResult[] {
  const out: PatternCaseResult[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).replace(/\r$/, '')
    if (l.trim() === '') continue
    out.push(testPatternCase(l, i + 1, now))
  }
  return out
}

/** The human line for a case. */
export function formatCase(r: PatternCaseResult): string {
  return r.result === 'invalid' ? `invalid: line ${r.line}: ${(r.reason ?? '').replace(/[\r\n]+/g, ' ')}` : r.result
}

export function registerPattern(program: Command) {
  const pattern = program.command('pattern').description('check STIX patterns: validate them, or test them against sample observations')
  pattern
    .command('validate')
    .description('parse a STIX pattern: exit 0 and print "valid", or exit 1 and print "invalid: column N: …"')
    .argument('<pattern>', 'the pattern (quote it for the shell)')
    .option('--print', 'print the canonical form of a valid pattern instead of "valid"')
    .option('--json', 'machine-readable output')
    .action((text: string, flags: { print?: boolean; json?: boolean }) => {
      const v = validatePatternText(text)
      printResult(v, { json: flags.json === true, human: () => (v.valid ? (flags.print === true ? v.canonical : 'valid') : `invalid: ${v.message}`) })
      if (!v.valid) process.exitCode = PATTERN_EXIT.invalid
    })
  pattern
    .command('test')
    .description('match patterns against sample observations: FILE has one {"pattern": "…", "observed": […]} per line; prints match, no-match or invalid per line (exit 1 if any is invalid)')
    .argument('<file>', 'the cases, one JSON object per line')
    .option('--json', 'machine-readable output')
    .action(async (file: string, flags: { json?: boolean }) => {
      let size: number
      try {
        size = (await stat(file)).size
      } catch (e) {
        fail(EXIT.noInput, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      }
      if (size > MAX_TEST_FILE_BYTES) fail(EXIT.dataErr, `${file} is larger than ${MAX_TEST_FILE_BYTES} bytes`)
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (e) {
        fail(EXIT.noInput, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      }
      const results = runPatternTests(text, new Date())
      printResult(results, { json: flags.json === true, human: () => results.map(formatCase).join('\n') })
      if (results.some((r) => r.result === 'invalid')) process.exitCode = PATTERN_EXIT.invalid
    })
}
