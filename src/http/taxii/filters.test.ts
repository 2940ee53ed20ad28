import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import type { ObjectFilters } from '../../services/share/objects.js'
import { formatTaxiiQuery, parseTaxiiQuery, parseVersionFilter, type TaxiiEndpoint } from './filters.js'

const limits = { defaultLimit: 100, maxLimit: 1000 }

/** A stored timestamp (the form filters carry): fixed width, microseconds. */
const storedTs = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true })
  .chain((d) => fc.integer({ min: 0, max: 999 }).map((us) => `${d.toISOString().slice(0, 23)}${String(us).padStart(3, '0')}Z`))
const stixType = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/)
const stixId = fc.tuple(stixType, fc.uuid()).map(([t, u]) => `${t}--${u}`)
const uniq = <T>(arb: fc.Arbitrary<T>) => fc.uniqueArray(arb, { minLength: 1, maxLength: 10 })

const filtersArb: fc.Arbitrary<ObjectFilters> = fc.record(
  {
    addedAfter: storedTs,
    ids: uniq(stixId),
    types: uniq(stixType),
    versions: fc
      .record({ first: fc.boolean(), last: fc.boolean(), all: fc.boolean(), versions: fc.uniqueArray(storedTs, { maxLength: 5 }) })
      .filter((v) => v.first || v.last || v.all || v.versions.length > 0),
    specVersions: uniq(fc.constantFrom('2.0', '2.1')),
  },
  { requiredKeys: [] },
)

describe('parseTaxiiQuery', () => {
  test.prop([filtersArb, fc.integer({ min: 1, max: 1000 })])('round-trips filters and limits through URL parameters', (filters, limit) => {
    const r = parseTaxiiQuery('objects', formatTaxiiQuery(filters, limit), limits)
    expect(r).toEqual({ ok: true, value: { filters, limit, next: null } })
  })

  test.prop([fc.dictionary(fc.string({ maxLength: 30 }), fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }), fc.anything()))])(
    'never throws on arbitrary queries',
    (query) => {
      for (const ep of ['objects', 'manifest', 'object', 'versions', 'delete'] as TaxiiEndpoint[]) {
        const r = parseTaxiiQuery(ep, query, limits)
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0)
      }
    },
  )

  test.prop([fc.string({ maxLength: 80 })])('garbage in a filter gives issues with pointers, never a throw', (garbage) => {
    for (const name of ['added_after', 'match[id]', 'match[version]', 'limit']) {
      const r = parseTaxiiQuery('objects', { [name]: garbage }, limits)
      if (!r.ok) for (const i of r.error) expect(i.pointer).toBe(`/query/${name}`)
    }
  })

  it('defaults and caps the limit, refuses bad ones', () => {
    expect(parseTaxiiQuery('objects', {}, limits)).toMatchObject({ ok: true, value: { limit: 100 } })
    expect(parseTaxiiQuery('objects', { limit: '5000' }, limits)).toMatchObject({ ok: true, value: { limit: 1000 } })
    for (const bad of ['0', '-1', '1.5', 'ten', '', ' 10']) {
      expect(parseTaxiiQuery('objects', { limit: bad }, limits)).toMatchObject({ ok: false, error: [{ pointer: '/query/limit' }] })
    }
  })

  it('reads comma-separated values and repeated parameters as one OR-ed list', () => {
    const r = parseTaxiiQuery('objects', { 'match[type]': ['indicator,malware', 'tool'], 'match[version]': 'first,last' }, limits)
    expect(r).toMatchObject({ ok: true, value: { filters: { types: ['indicator', 'malware', 'tool'], versions: { first: true, last: true, all: false, versions: [] } } } })
  })

  it('normalises timestamps to the stored form', () => {
    const r = parseTaxiiQuery('objects', { added_after: '2016-01-01T01:01:01Z', 'match[version]': '2016-01-01T01:01:01.5Z' }, limits)
    expect(r).toMatchObject({
      ok: true,
      value: { filters: { addedAfter: '2016-01-01T01:01:01.000000Z', versions: { versions: ['2016-01-01T01:01:01.500000Z'] } } },
    })
  })

  it('refuses bad filters with one issue each', () => {
    const r = parseTaxiiQuery(
      'objects',
      { added_after: 'yesterday', 'match[id]': 'indicator--nope', 'match[type]': 'Bad Type', 'match[version]': 'newest', 'match[spec_version]': 'two', next: ['a', 'b'] },
      limits,
    )
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.map((i) => i.pointer).sort()).toEqual(
        ['/query/added_after', '/query/match[id]', '/query/match[spec_version]', '/query/match[type]', '/query/match[version]', '/query/next'].sort(),
      )
    }
  })

  it('ignores parameters an endpoint does not take', () => {
    expect(parseTaxiiQuery('versions', { 'match[type]': 'Bad Type', 'match[version]': 'x' }, limits)).toEqual({ ok: true, value: { filters: {}, limit: 100, next: null } })
    expect(parseTaxiiQuery('delete', { limit: 'x', next: 'y' }, limits)).toEqual({ ok: true, value: { filters: {}, limit: 100, next: null } })
  })

  it('caps the number of values', () => {
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`).join(',')
    expect(parseTaxiiQuery('objects', { 'match[type]': many }, limits).ok).toBe(false)
  })
})

describe('parseVersionFilter', () => {
  it('reads keywords and timestamps', () => {
    expect(parseVersionFilter(['all'])).toEqual({ ok: true, value: { first: false, last: false, all: true, versions: [] } })
    expect(parseVersionFilter(['2020-01-01T00:00:00.000Z', 'first'])).toEqual({
      ok: true,
      value: { first: true, last: false, all: false, versions: ['2020-01-01T00:00:00.000000Z'] },
    })
    expect(parseVersionFilter(['latest']).ok).toBe(false)
  })
})
