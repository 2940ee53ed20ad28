import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { compareParsedTimestamps, parseStixTimestamp, stixTimestampFromStored, storedTimestampFromMs, toStoredTimestamp } from './time.js'

describe('parseStixTimestamp', () => {
  it.each([
    ['2016-05-12T08:17:27Z', Date.UTC(2016, 4, 12, 8, 17, 27), ''],
    ['2016-05-12T08:17:27.000Z', Date.UTC(2016, 4, 12, 8, 17, 27), '000'],
    ['2016-05-12T08:17:27.1Z', Date.UTC(2016, 4, 12, 8, 17, 27, 100), '1'],
    ['2016-05-12T08:17:27.123456789Z', Date.UTC(2016, 4, 12, 8, 17, 27, 123), '123456789'],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999), '999'],
    ['1969-12-31T23:59:59.5Z', -500, '5'],
    ['0001-01-01T00:00:00Z', -62135596800000, ''],
  ])('parses %s', (s, epochMs, fraction) => {
    expect(parseStixTimestamp(s)).toEqual({ ok: true, value: { epochMs, fraction } })
  })

  it.each([
    ['2016-05-12T08:17:27', 'Z'],
    ['2016-05-12T08:17:27+00:00', 'numeric offset'],
    ['2016-05-12T08:17:27.000z', "upper-case 'Z'"],
    ['2016-05-12t08:17:27.000Z', "upper-case 'T'"],
    ['2016-05-12 08:17:27Z', 'RFC 3339'],
    ['2016-05-12T08:17Z', 'RFC 3339'],
    ['2016-5-12T08:17:27Z', 'RFC 3339'],
    ['2016-05-12T08:17:27.Z', 'digit after the decimal point'],
    ['2022-101-27T13:49:54.326Z', 'RFC 3339'],
    ['2023-02-29T00:00:00Z', 'day of month'],
    ['2016-13-01T00:00:00Z', 'month'],
    ['2016-00-01T00:00:00Z', 'month'],
    ['2016-05-12T24:00:00Z', 'hour'],
    ['2016-05-12T23:60:00Z', 'minute'],
    ['2016-12-31T23:59:60Z', 'leap second'],
    ['', 'RFC 3339'],
  ])('rejects %j', (s, fragment) => {
    const r = parseStixTimestamp(s)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain(fragment)
  })
})

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (Date.UTC maps years 0–99 to 1900–1999, so literal). */
const YEAR_0 = -62_167_219_200_000
const YEAR_9999_END = 253_402_300_799_999

describe('stored form', () => {
  it('is fixed width with six fraction digits, truncating finer precision', () => {
    expect(toStoredTimestamp('2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05.000000Z')
    expect(toStoredTimestamp('2026-01-02T03:04:05.1Z')).toBe('2026-01-02T03:04:05.100000Z')
    expect(toStoredTimestamp('2026-01-02T03:04:05.123456Z')).toBe('2026-01-02T03:04:05.123456Z')
    expect(toStoredTimestamp('2026-01-02T03:04:05.123456789Z')).toBe('2026-01-02T03:04:05.123456Z')
    expect(toStoredTimestamp('2026-01-02T03:04:05+01:00')).toBeNull()
    expect(toStoredTimestamp('yesterday')).toBeNull()
  })

  it('is produced from epoch milliseconds and Dates', () => {
    expect(storedTimestampFromMs(0)).toBe('1970-01-01T00:00:00.000000Z')
    expect(storedTimestampFromMs(Date.UTC(2026, 0, 2, 3, 4, 5, 123))).toBe('2026-01-02T03:04:05.123000Z')
    expect(storedTimestampFromMs(new Date('1969-12-31T23:59:59.999Z'))).toBe('1969-12-31T23:59:59.999000Z')
    expect(() => storedTimestampFromMs(Number.NaN)).toThrow(RangeError)
    expect(() => storedTimestampFromMs(Date.UTC(10000, 0, 1))).toThrow(RangeError)
  })

  it('converts back to a STIX timestamp with at least millisecond precision', () => {
    expect(stixTimestampFromStored('2026-01-02T03:04:05.123000Z')).toBe('2026-01-02T03:04:05.123Z')
    expect(stixTimestampFromStored('2026-01-02T03:04:05.123456Z')).toBe('2026-01-02T03:04:05.123456Z')
    expect(stixTimestampFromStored('2026-01-02T03:04:05.000000Z')).toBe('2026-01-02T03:04:05.000Z')
    expect(() => stixTimestampFromStored('garbage')).toThrow(RangeError)
  })

  const instant = fc.record({
    ms: fc.integer({ min: YEAR_0, max: YEAR_9999_END }),
    extra: fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 6 }),
  })
  /** A STIX timestamp for an instant, with 0–9 fraction digits. */
  function stix(ms: number, extra: string, digits: number): string {
    const iso = storedTimestampFromMs(ms) // yyyy-mm-ddThh:mm:ss.mmm000Z
    const frac = (iso.slice(20, 23) + extra).slice(0, digits)
    return iso.slice(0, 19) + (digits === 0 ? '' : '.' + frac) + 'Z'
  }

  test.prop([instant, fc.integer({ min: 0, max: 9 })])('is 27 characters and parses back to the same instant', ({ ms, extra }, digits) => {
    const s = stix(ms, extra, digits)
    const stored = toStoredTimestamp(s)
    expect(stored).toHaveLength(27)
    const a = parseStixTimestamp(s)
    const b = parseStixTimestamp(stored ?? '')
    expect(a.ok && b.ok && a.value.epochMs === b.value.epochMs).toBe(true)
    expect(stixTimestampFromStored(stored ?? '').length).toBeGreaterThanOrEqual(24)
  })

  test.prop([instant, instant, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })])(
    'preserves time order as text order',
    (x, y, dx, dy) => {
      const a = stix(x.ms, x.extra, dx)
      const b = stix(y.ms, y.extra, dy)
      const pa = parseStixTimestamp(a)
      const pb = parseStixTimestamp(b)
      if (!pa.ok || !pb.ok) throw new Error('generator produced an invalid timestamp')
      const cmp = compareParsedTimestamps(pa.value, pb.value)
      const sa = toStoredTimestamp(a) as string
      const sb = toStoredTimestamp(b) as string
      if (sa < sb) expect(cmp).toBeLessThan(0)
      else if (sa > sb) expect(cmp).toBeGreaterThan(0)
      else expect(pa.value.fraction.slice(0, 6).padEnd(6, '0')).toBe(pb.value.fraction.slice(0, 6).padEnd(6, '0'))
    },
  )

  test.prop([fc.integer({ min: YEAR_0, max: YEAR_9999_END })])(
    'agrees with Date.prototype.toISOString',
    (ms) => {
      const iso = new Date(ms).toISOString()
      if (iso.length !== 24) return // years before 0000 or after 9999 print with a sign
      expect(storedTimestampFromMs(ms)).toBe(toStoredTimestamp(iso))
    },
  )
})
