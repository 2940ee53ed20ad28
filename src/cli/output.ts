/**
 * Everything the CLI writes goes through here: results on stdout, one-line errors and progress on
 * stderr, and the exit codes (BSD sysexits). No other CLI module touches `console`,
 * `process.stdout` or `process.stderr`.
 */
import { describeError } from '../core/shared/errors.js'
import type { DomainError, DomainErrorCode } from '../core/shared/errors.js'

/**
 * Exit codes, from sysexits(3): 64 EX_USAGE (bad flags or arguments), 65 EX_DATAERR (bad input
 * data), 66 EX_NOINPUT (an input or a named thing does not exist), 69 EX_UNAVAILABLE (database or
 * peer unreachable), 77 EX_NOPERM (not allowed), 78 EX_CONFIG (invalid configuration); 1 for bugs.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 64,
  dataErr: 65,
  noInput: 66,
  unavailable: 69,
  noPerm: 77,
  config: 78,
} as const

export type ExitName = keyof typeof EXIT

/** How each domain error ends a CLI command. The compiler checks that every code is mapped. */
export const EXIT_FOR_ERROR = {
  validation_failed: EXIT.dataErr,
  stix_invalid: EXIT.dataErr,
  limit_exceeded: EXIT.dataErr,
  // The request contradicts the stored state (a duplicate, a stale version, a closed case): the input is at fault.
  conflict: EXIT.dataErr,
  invalid_transition: EXIT.dataErr,
  precondition_failed: EXIT.dataErr,
  not_found: EXIT.noInput,
  forbidden: EXIT.noPerm,
} as const satisfies Record<DomainErrorCode, number>

export function exitCodeFor(error: DomainError): number {
  return EXIT_FOR_ERROR[error.code]
}

/**
 * An expected end of a command: `entente: <message>` on stderr and `exitCode`. The message is one
 * line; further lines (given in `details`, or after line breaks in `message`) are printed
 * indented below it, e.g. one line per configuration problem.
 */
export class CliFailure extends Error {
  /** The one-line message. */
  readonly headline: string
  readonly details: readonly string[]

  constructor(
    public readonly exitCode: number,
    message: string,
    details: readonly string[] = [],
  ) {
    const [first = '', ...rest] = message.split(/\r?\n/)
    const headline = clean(first).trim()
    const more = [...rest, ...details].map((d) => clean(d).trim()).filter((d) => d !== '')
    super([headline, ...more].join('\n'))
    this.name = 'CliFailure'
    this.headline = headline
    this.details = more
  }
}

/** Ends the command with an exit code (by name or number) and a one-line message. */
export function fail(code: ExitName | number, message: string, details?: readonly string[]): never {
  throw new CliFailure(typeof code === 'number' ? code : EXIT[code], message, details)
}

/** Ends the command with a domain error: `not_found: collection 91a7… does not exist`. */
export function failWith(error: DomainError): never {
  const details =
    error.code === 'validation_failed' || error.code === 'stix_invalid'
      ? error.issues.slice(0, MAX_DETAILS).map((i) => `${i.pointer || '/'}: ${i.message}`)
      : []
  if (details.length === 1) details.length = 0 // already in the headline
  throw new CliFailure(exitCodeFor(error), `${error.code}: ${describeError(error)}`, details)
}

/**
 * Prints a failure and returns the exit code for it: a CliFailure as it is, anything else as an
 * internal error (with the stack only when `verbose`).
 */
export function reportFailure(e: unknown, opts: { verbose?: boolean } = {}): number {
  if (e instanceof CliFailure) {
    printError(e.headline, e.details)
    return e.exitCode
  }
  const message = e instanceof Error ? e.message : String(e)
  const stack = opts.verbose === true && e instanceof Error && e.stack !== undefined ? e.stack.split('\n').slice(1) : []
  printError(`internal error: ${message}`, stack)
  return EXIT.internal
}

/** A command's result on stdout: pretty JSON with `--json`, otherwise the human rendering. */
export function printResult(value: unknown, opts: { json: boolean; human: () => string }): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
    return
  }
  const text = opts.human()
  if (text !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/**
 * `entente: <message>` on stderr. A multi-line message (or `details`) prints its first line there
 * and the other lines indented below it.
 */
export function printError(message: string, details: readonly string[] = []): void {
  const [first = '', ...rest] = message.split(/\r?\n/)
  const lines = [`entente: ${clean(first)}`, ...[...rest, ...details].filter((d) => d.trim() !== '').map((d) => `  ${clean(d).trim()}`)]
  process.stderr.write(`${lines.join('\n')}\n`)
}

/** Human-oriented notes (not results) on stderr: "listening on …", hints. */
export function printInfo(message: string): void {
  process.stderr.write(message.endsWith('\n') ? message : `${message}\n`)
}

// ---------------------------------------------------------------------------------------------
// Progress

/** The part of a stream progress needs (`process.stderr` fits; tests pass a fake). */
export interface ProgressStream {
  write(text: string): unknown
  readonly isTTY?: boolean
  readonly columns?: number
}

export interface ProgressOptions {
  label: string
  /** Known total (objects or bytes): enables the bar, the percentage and the ETA. */
  total?: number | undefined
  /** Default: process.stderr. */
  stream?: ProgressStream | undefined
  /** With `--json` the progress is silent (stdout carries the result; stderr stays quiet). */
  json?: boolean | undefined
  /** What `done` counts: objects (default) or bytes (shown as MB, MB/s). */
  unit?: 'objects' | 'bytes' | undefined
  /** Clock in milliseconds (tests). Default: performance.now. */
  now?: (() => number) | undefined
}

export interface Progress {
  /** Reports the count done so far (cumulative) and optional counters (added, failed, …). */
  update(done: number, extra?: Record<string, number>): void
  /** Finishes: clears the live line and prints one summary line. Calls after the first do nothing. */
  done(summary?: string): void
}

const TTY_INTERVAL_MS = 100
const PLAIN_INTERVAL_MS = 5_000
const MAX_DETAILS = 20

/**
 * A progress reporter. On a TTY: one line redrawn at most ~10 times a second, with a bar,
 * percentage, rate and ETA when the total is known. Elsewhere (CI, pipes): a plain line at most
 * every 5 s or at each further 10 %. Silent with `json`.
 */
export function createProgress(opts: ProgressOptions): Progress {
  if (opts.json === true) return { update: () => {}, done: () => {} }
  const stream: ProgressStream = opts.stream ?? process.stderr
  const now = opts.now ?? (() => performance.now())
  const tty = stream.isTTY === true
  const unit = opts.unit ?? 'objects'
  const total = opts.total !== undefined && opts.total > 0 ? opts.total : undefined
  const started = now()
  let count = 0
  let counters: Record<string, number> = {}
  let lastDraw = -Infinity
  let lastPlain = started
  let lastDecile = 0
  let drawn = false
  let finished = false

  const stats = (t: number): Stats => {
    const seconds = Math.max((t - started) / 1000, 1e-9)
    const rate = count / seconds
    const fraction = total === undefined ? undefined : Math.min(count / total, 1)
    const eta = total === undefined || rate <= 0 ? undefined : Math.max(total - count, 0) / rate
    return { seconds, rate, fraction, eta }
  }

  const draw = (t: number): void => {
    const s = stats(t)
    const width = Math.max((stream.columns ?? 80) - 1, 20)
    let head = opts.label
    if (s.fraction !== undefined) {
      const barWidth = Math.max(Math.min(30, width - 60), 10)
      const filled = Math.round(s.fraction * barWidth)
      head += ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${percent(s.fraction)}`
    }
    const parts = [head, amount(count, total, unit), rateText(s.rate, unit)]
    if (s.eta !== undefined && s.fraction !== undefined && s.fraction < 1) parts.push(`ETA ${duration(s.eta)}`)
    parts.push(...counterTexts(counters))
    const line = clean(parts.join(' · '))
    stream.write(`\r${line.length > width ? `${line.slice(0, width - 1)}…` : line}\x1b[K`)
    drawn = true
    lastDraw = t
  }

  const plainLine = (t: number): void => {
    const s = stats(t)
    const head = s.fraction !== undefined ? `${percent(s.fraction)} (${amount(count, total, unit)})` : amount(count, total, unit)
    const eta = s.eta !== undefined && s.fraction !== undefined && s.fraction < 1 ? `, ETA ${duration(s.eta)}` : ''
    const more = counterTexts(counters)
    stream.write(`${clean(`${opts.label}: ${head}, ${rateText(s.rate, unit)}${eta}${more.length > 0 ? `, ${more.join(', ')}` : ''}`)}\n`)
    lastPlain = t
  }

  return {
    update(done, extra) {
      if (finished) return
      count = done
      if (extra !== undefined) counters = { ...extra }
      const t = now()
      if (tty) {
        if (t - lastDraw >= TTY_INTERVAL_MS) draw(t)
        return
      }
      const decile = total === undefined ? 0 : Math.floor(Math.min(count / total, 1) * 10)
      if (decile > lastDecile || t - lastPlain >= PLAIN_INTERVAL_MS) {
        lastDecile = Math.max(decile, lastDecile)
        plainLine(t)
      }
    },
    done(summary) {
      if (finished) return
      finished = true
      const s = stats(now())
      const text =
        summary ??
        `${amount(count, undefined, unit)} in ${duration(s.seconds, true)} (${rateText(s.rate, unit)})${counterTexts(counters)
          .map((c) => `, ${c}`)
          .join('')}`
      stream.write(`${tty && drawn ? '\r\x1b[K' : ''}${clean(`${opts.label}: ${text}`)}\n`)
    },
  }
}

interface Stats {
  readonly seconds: number
  readonly rate: number
  readonly fraction: number | undefined
  readonly eta: number | undefined
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })

function amount(n: number, total: number | undefined, unit: 'objects' | 'bytes'): string {
  if (unit === 'bytes') return `${megabytes(n)}${total !== undefined ? `/${megabytes(total)}` : ''} MB`
  return `${integer.format(n)}${total !== undefined ? `/${integer.format(total)}` : ''} objects`
}

function megabytes(bytes: number): string {
  return oneDecimal.format(bytes / 1e6)
}

function rateText(rate: number, unit: 'objects' | 'bytes'): string {
  return unit === 'bytes' ? `${megabytes(rate)} MB/s` : `${integer.format(rate)}/s`
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`
}

function counterTexts(counters: Record<string, number>): string[] {
  return Object.entries(counters).map(([k, v]) => `${k} ${integer.format(v)}`)
}

/** `0:07`, `12:34`, `1:02:03`; with `fine`, short durations as `2.3 s`. */
function duration(seconds: number, fine = false): string {
  if (fine && seconds < 60) return `${oneDecimal.format(seconds)} s`
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** Control characters from data (file names, peer messages) must not reach the terminal. */
function clean(text: string): string {
   
  return text.replace(/\t/g, ' ').replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '?')
}

/**
 * Standard output as a stream for large results (exports). A reader that goes away early
 * (`entente export | head`) ends the command quietly instead of with an EPIPE stack trace.
 */
export function resultStream(): NodeJS.WriteStream {
  process.stdout.once('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok)
    throw e
  })
  return process.stdout
}
