/**
 * STIX 2.1 timestamps (spec §3.2 "Timestamp") and Entente's stored form.
 *
 * A STIX timestamp is RFC 3339 restricted to `YYYY-MM-DDTHH:mm:ss[.s+]Z`: UTC only, the `Z`
 * designator, seconds always present, and a fraction of one or more digits when a `.` is present.
 * `created`/`modified` additionally need at least millisecond precision (checked by the validator,
 * not here). Leap seconds (`:60`) are rejected: nothing downstream can represent them and no real
 * STIX producer emits them.
 *
 * The stored form (`2026-01-02T03:04:05.123456Z`) is fixed-width, so text order equals time order
 * for years 0000–9999; it is what the store uses for columns and keyset cursors.
 */
import type { Result } from '../shared/result.js'
import { err, ok } from '../shared/result.js'

/** A parsed STIX timestamp: whole milliseconds since the epoch plus the fraction digits exactly as written. */
export interface ParsedStixTimestamp {
  /** Milliseconds since 1970-01-01T00:00:00Z, truncated to the millisecond (finer digits are in `fraction`). */
  readonly epochMs: number
  /** The digits after the decimal point ('' when there is no fraction). */
  readonly fraction: string
}

const MS_PER_DAY = 86_400_000

/** Days from 1970-01-01 to the given proleptic Gregorian date (valid for any year, no Date quirks for 0–99). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const mp = (m + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/** Two ASCII digits at `i` as a number, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * Parses an RFC 3339 STIX timestamp (UTC, 'Z', optional fraction).
 * Returns the epoch milliseconds and the fraction digits, or a message saying what is wrong.
 */
export function parseStixTimestamp(s: string): Result<ParsedStixTimestamp, string> {
  if (typeof s !== 'string') return err('must be a string')
  const n = s.length
  if (n < 20) return err('must be an RFC 3339 timestamp like 2016-05-12T08:17:27.000Z')
  const yh = d2(s, 0)
  const yl = d2(s, 2)
  if (
    yh < 0 ||
    yl < 0 ||
    s.charCodeAt(4) !== 45 /* - */ ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 /* T */ ||
    s.charCodeAt(13) !== 58 /* : */ ||
    s.charCodeAt(16) !== 58
  ) {
    if (s.charCodeAt(10) === 116 /* t */) return err("must use an upper-case 'T' between date and time")
    return err('must be an RFC 3339 timestamp like 2016-05-12T08:17:27.000Z')
  }
  const year = yh * 100 + yl
  const month = d2(s, 5)
  const day = d2(s, 8)
  const hour = d2(s, 11)
  const minute = d2(s, 14)
  const second = d2(s, 17)
  if (month < 1 || month > 12) return err('has an invalid month')
  if (day < 1 || day > daysInMonth(year, month)) return err('has an invalid day of month')
  if (hour < 0 || hour > 23) return err('has an invalid hour')
  if (minute < 0 || minute > 59) return err('has an invalid minute')
  if (second < 0 || second > 59) return err(second === 60 ? 'leap seconds are not supported' : 'has an invalid second')
  let i = 19
  let fraction = ''
  if (s.charCodeAt(i) === 46 /* . */) {
    i++
    const start = i
    while (i < n) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) break
      i++
    }
    if (i === start) return err('must have at least one digit after the decimal point')
    fraction = s.slice(start, i)
  }
  if (i !== n - 1 || s.charCodeAt(i) !== 90 /* Z */) {
    const last = s.charCodeAt(n - 1)
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) return err("must be in UTC with the 'Z' designator, not a numeric offset")
    if (last === 122 /* z */) return err("must end with an upper-case 'Z'")
    return err("must be in UTC and end with 'Z'")
  }
  let ms = 0
  if (fraction.length > 0) {
    ms = (fraction.charCodeAt(0) - 48) * 100
    if (fraction.length > 1) ms += (fraction.charCodeAt(1) - 48) * 10
    if (fraction.length > 2) ms += fraction.charCodeAt(2) - 48
  }
  const epochMs = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms
  return ok({ epochMs, fraction })
}

/**
 * Orders two parsed timestamps exactly (all fraction digits count): negative when `a` is earlier,
 * 0 when equal, positive when later.
 */
export function compareParsedTimestamps(a: ParsedStixTimestamp, b: ParsedStixTimestamp): number {
  if (a.epochMs !== b.epochMs) return a.epochMs < b.epochMs ? -1 : 1
  // Same millisecond: compare the remaining digits, right-padded to equal length.
  const fa = a.fraction
  const fb = b.fraction
  const len = Math.max(fa.length, fb.length)
  for (let i = 3; i < len; i++) {
    const ca = i < fa.length ? fa.charCodeAt(i) : 48
    const cb = i < fb.length ? fb.charCodeAt(i) : 48
    if (ca !== cb) return ca < cb ? -1 : 1
  }
  return 0
}

function pad(n: number, width: number): string {
  const s = String(n)
  return s.length >= width ? s : '0'.repeat(width - s.length) + s
}

/** Formats epoch milliseconds plus extra microseconds (0–999) as the stored form. */
function formatStored(epochMs: number, micros: number): string {
  const days = Math.floor(epochMs / MS_PER_DAY)
  let rem = epochMs - days * MS_PER_DAY
  // civil from days (Howard Hinnant's algorithm)
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  const hh = Math.floor(rem / 3_600_000)
  rem -= hh * 3_600_000
  const mi = Math.floor(rem / 60_000)
  rem -= mi * 60_000
  const ss = Math.floor(rem / 1000)
  const ms = rem - ss * 1000
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mi, 2)}:${pad(ss, 2)}.${pad(ms, 3)}${pad(micros, 3)}Z`
}

/** Earliest and latest instants the 4-digit stored form can hold. */
const MIN_MS = daysFromCivil(0, 1, 1) * MS_PER_DAY
const MAX_MS = daysFromCivil(10_000, 1, 1) * MS_PER_DAY - 1

/**
 * Fixed-width UTC ISO-8601 with exactly 6 fractional digits, e.g. 2026-01-02T03:04:05.123456Z
 * (truncates finer precision). Input must be a valid STIX/RFC3339 UTC timestamp; returns null
 * otherwise. Text order = time order.
 */
export function toStoredTimestamp(s: string): string | null {
  if (typeof s !== 'string') return null
  const p = parseStixTimestamp(s)
  if (!p.ok) return null
  const f = p.value.fraction
  const six = f.length === 6 ? f : f.length > 6 ? f.slice(0, 6) : f + '000000'.slice(f.length)
  return s.slice(0, 19) + '.' + six + 'Z'
}

/**
 * Stored form of a JS epoch ms / Date (microseconds zero-padded).
 * Throws a RangeError for a non-finite value or one outside years 0000–9999: that is a clock bug,
 * not bad input.
 */
export function storedTimestampFromMs(ms: number | Date): string {
  const v = typeof ms === 'number' ? ms : ms.getTime()
  if (!Number.isFinite(v) || v < MIN_MS || v > MAX_MS) throw new RangeError(`cannot store timestamp ${String(v)}`)
  return formatStored(Math.floor(v), 0)
}

const STORED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/**
 * A STIX timestamp string for output (from a stored one: trailing zeros may be kept; must be valid
 * STIX with millisecond precision at least). Microseconds are dropped when they are zero, so
 * `…05.123000Z` becomes `…05.123Z`; otherwise all six digits are kept.
 * Throws a RangeError when given something that is not a stored timestamp (a store/codec bug).
 */
export function stixTimestampFromStored(stored: string): string {
  if (typeof stored !== 'string' || !STORED.test(stored)) {
    const normalised = typeof stored === 'string' ? toStoredTimestamp(stored) : null
    if (normalised === null) throw new RangeError(`not a stored timestamp: ${String(stored)}`)
    return stixTimestampFromStored(normalised)
  }
  return stored.endsWith('000Z') ? stored.slice(0, 23) + 'Z' : stored
}

/** Number of fraction digits (0 when none) of a syntactically valid STIX timestamp. */
export function fractionDigits(s: string): number {
  return s.length > 20 ? s.length - 21 : 0
}
