/**
 * The validator against real, published STIX content in ../shared/data (see its README): MITRE
 * ATT&CK Enterprise 18.1, DISARM, the OASIS examples, feeds2stix, stix2arango fixtures and the
 * OpenCTI reference datasets. Files that are non-conformant on purpose are pinned to their errors.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, attackObjects, disarmObjects } from '../../../test/data.js'
import type { Issue } from '../shared/errors.js'
import { canonicalize } from './canonical.js'
import { validateBundle, validateStixObject } from './validate.js'

const SAMPLES = join(SHARED_DATA, 'stix-samples')

function read(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown
}

/** "pointer message" with the object index kept, quoted values elided: compact, stable expectations. */
const brief = (issues: Issue[]): string[] => issues.map((i) => `${i.pointer} ${i.message.replace(/'[^']*'/g, "'…'").replace(/ \(.*\)$/, '')}`)

describe('MITRE ATT&CK Enterprise 18.1', () => {
  it('validates all 24,772 objects with no errors and no warnings', () => {
    const objects = attackObjects()
    expect(objects).toHaveLength(24_772)
    const r = validateBundle({ type: 'bundle', id: 'bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', objects })
    expect(r.errors).toEqual([])
    expect(r.warnings).toEqual([])
    expect(r.objectCount).toBe(24_772)
  })

  it('validates each object on its own too, and canonicalises it', () => {
    let n = 0
    for (const o of attackObjects()) {
      const r = validateStixObject(o)
      if (!r.ok || r.warnings.length > 0) throw new Error(`${o.id}: ${JSON.stringify(r)}`)
      expect(JSON.parse(canonicalize(o))).toEqual(o)
      n++
    }
    expect(n).toBe(24_772)
  })
})

describe('DISARM', () => {
  it('validates all objects with no errors and no warnings', () => {
    const objects = disarmObjects()
    expect(objects).toHaveLength(698)
    const r = validateBundle({ type: 'bundle', id: 'bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', objects })
    expect({ errors: r.errors, warnings: r.warnings }).toEqual({ errors: [], warnings: [] })
  })
})

/**
 * Every sample bundle and what the validator must say about it. Files not listed here must be
 * clean (no errors, no warnings).
 */
const EXPECTED: Record<string, { errors?: string[]; warnings?: string[] }> = {
  // OASIS keeps this one as a negative example: '2022-101-27…' is not a date.
  'oasis-common-objects-tlp2/using-tlp2.0-green.INVALID-timestamp.json': {
    errors: ['/objects/2/created must be an RFC 3339 timestamp like 2016-05-12T08:17:27.000Z'],
    warnings: ["/objects/1/sophistication '…' is not in the open vocabulary threat-actor-sophistication-ov"],
  },
  // stix2arango fixtures written as STIX 2.0: no spec_version, malware without is_family.
  'stix2arango-tests/duplicate-objects-properties-different.json': {
    errors: [
      "/objects/0/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/2/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
    ],
    warnings: ['/objects/5 same id and version as /objects/4'],
  },
  'stix2arango-tests/source-object-does-not-exist.json': {
    errors: ["/objects/0/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'", "/objects/1/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'"],
  },
  'stix2arango-tests/sro-original.json': {
    errors: [
      "/objects/0/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/is_family required property '…' is missing",
      "/objects/2/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
    ],
  },
  'stix2arango-tests/sro-updated.json': {
    errors: [
      "/objects/0/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/is_family required property '…' is missing",
      "/objects/2/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
    ],
  },
  'stix2arango-tests/target-object-does-not-exist.json': {
    errors: [
      "/objects/0/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/spec_version required property '…' is missing: STIX 2.1 objects must say spec_version '…'",
      "/objects/1/is_family required property '…' is missing",
    ],
  },
  'stix2arango-tests/duplicate-objects-all-properties-same.json': {
    warnings: ['/objects/1 same id and version as /objects/0', '/objects/3 same id and version as /objects/2'],
  },
  // The "updated" software SCO keeps its UUIDv5 id although its name changed.
  'stix2arango-tests/sco-updated.json': { warnings: ['/objects/0/id UUIDv5 id differs from the deterministic id computed from the id-contributing properties'] },
  'stix2arango-tests/embedded-ref-object-updated.json': { warnings: ["/objects/0/new_ref '…' is not a STIX 2.1 property of indicator; custom property names should start with x_"] },
}

/** feeds2stix derives SCO UUIDv5s from the bare value, not from the RFC 8785 JSON of the id-contributing properties. */
const FEEDS2STIX_IDS: Record<string, number> = {
  'feeds2stix-examples/cinsscore_bundle.json': 3,
  'feeds2stix-examples/ipsum_level_8.json': 58,
  'feeds2stix-examples/vxvault_bundle.json': 101,
}

const sampleFiles = readdirSync(SAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.json'))
  .sort()

describe('STIX samples', () => {
  it('finds the sample files', () => {
    expect(sampleFiles.length).toBeGreaterThanOrEqual(50)
  })

  it.each(sampleFiles.filter((f) => !f.endsWith('interop-objectmarking-test.json')))('%s', (file) => {
    const r = validateBundle(read(join(SAMPLES, file)))
    const idWarnings = FEEDS2STIX_IDS[file]
    if (idWarnings !== undefined) {
      expect(r.errors).toEqual([])
      expect(r.warnings).toHaveLength(idWarnings)
      expect(r.warnings.every((w) => /^\/objects\/\d+\/id$/.test(w.pointer) && w.message.includes('deterministic id'))).toBe(true)
      return
    }
    const expected = EXPECTED[file] ?? {}
    expect({ errors: brief(r.errors), warnings: brief(r.warnings) }).toEqual({ errors: expected.errors ?? [], warnings: expected.warnings ?? [] })
    expect(r.ok).toBe(r.errors.length === 0)
  })

  it('interop-objectmarking-test.json holds a single campaign (not a bundle), which is valid', () => {
    const o = read(join(SAMPLES, 'oasis-json-schemas-examples', 'interop-objectmarking-test.json'))
    expect(validateStixObject(o)).toMatchObject({ ok: true, warnings: [] })
    expect(validateBundle(o).ok).toBe(false)
  })
})

describe('OpenCTI reference datasets', () => {
  it.each(['companies.json', 'geography.json', 'sectors.json'])('%s has no errors', (file) => {
    const r = validateBundle(read(join(SHARED_DATA, 'opencti-datasets', file)))
    expect(r.errors).toEqual([])
    // geography.json names countries and regions in words ('France', 'Africa'): open-vocabulary / code warnings only.
    const kinds = new Set(r.warnings.map((w) => w.message.replace(/'[^']*'/g, "'…'")))
    expect([...kinds].sort()).toEqual(file === 'geography.json' ? ["'…' is not in the open vocabulary region-ov", "'…' should be an ISO 3166-1 alpha-2 country code"] : [])
  })
})

describe('MISP to STIX 2.1 golden vectors (misp-stix)', () => {
  /** Every STIX object inside the mapping and test files (bundles unpacked, MISP halves skipped). */
  function stixObjects(): Record<string, unknown>[] {
    const dir = join(SHARED_DATA, 'misp', 'misp-stix-mappings')
    const out: Record<string, unknown>[] = []
    const collect = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(collect)
      else if (x !== null && typeof x === 'object') {
        const o = x as Record<string, unknown>
        if (typeof o['type'] === 'string' && typeof o['id'] === 'string' && o['id'].includes('--')) {
          if (o['type'] === 'bundle') collect(o['objects'])
          else out.push(o)
          return
        }
        for (const [k, v] of Object.entries(o)) if (k !== 'MISP') collect(v)
      }
    }
    for (const sub of ['mapping', 'tests']) {
      for (const f of readdirSync(join(dir, sub))) if (f.includes('stix21') && !f.includes('summary')) collect(read(join(dir, sub, f)))
    }
    return out
  }

  it('accepts the converter output except truncated payloads and upper-case custom property names', () => {
    const objects = stixObjects()
    expect(objects.length).toBeGreaterThan(1000)
    const reasons = new Set<string>()
    let invalid = 0
    for (const o of objects) {
      const r = validateStixObject(o)
      if (r.ok) continue
      invalid++
      for (const e of r.errors) {
        if (e.pointer === '/payload_bin' && String(o['payload_bin']).includes('[...]')) reasons.add('payload_bin elided with [...]: not base64')
        else if (e.message.includes('not a valid property name')) reasons.add('custom property names with upper case or hyphens (x_misp_PackageName, x_misp_cfr-type-of-incident)')
        else reasons.add(`unexpected: ${e.pointer} ${e.message}`)
      }
    }
    expect([...reasons].sort()).toEqual([
      'custom property names with upper case or hyphens (x_misp_PackageName, x_misp_cfr-type-of-incident)',
      'payload_bin elided with [...]: not base64',
    ])
    expect(invalid).toBe(14)
  })
})
