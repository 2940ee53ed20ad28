import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { acceptsTaxii, isTaxiiContentType } from './negotiation.js'

describe('Accept negotiation', () => {
  it('accepts TAXII 2.1 with or without the version parameter', () => {
    for (const a of [
      'application/taxii+json;version=2.1',
      'application/taxii+json; version=2.1',
      'Application/TAXII+JSON;Version="2.1"',
      'application/taxii+json',
      'application/json, application/taxii+json;version=2.1;q=0.5',
    ]) {
      expect(acceptsTaxii(a), a).toBe(true)
    }
  })
  it('refuses other versions, other types, wildcards, q=0 and nothing', () => {
    for (const a of [undefined, '', '*/*', 'application/*', 'application/json', 'application/taxii+json;version=2.0', 'application/taxii+json;version=2.1;q=0', 'application/stix+json;version=2.1', 'garbage;;']) {
      expect(acceptsTaxii(a), String(a)).toBe(false)
    }
  })
  test.prop([fc.string({ maxLength: 200 })])('never throws', (s) => {
    expect(typeof acceptsTaxii(s)).toBe('boolean')
    expect(typeof isTaxiiContentType(s)).toBe('boolean')
  })
  it('checks request content types the same way', () => {
    expect(isTaxiiContentType('application/taxii+json;version=2.1')).toBe(true)
    expect(isTaxiiContentType('application/taxii+json')).toBe(true)
    expect(isTaxiiContentType('application/taxii+json;version=2.0')).toBe(false)
    expect(isTaxiiContentType('application/json')).toBe(false)
  })
})
