import { describe, expect, it } from 'vitest'
import { LIMITS } from '../shared/limits.js'
import { STIX_EXAMPLES as VALID, T0, T1, sco, sid } from './examples.js'
import { META_TYPES, SCO_TYPES, SDO_TYPES, SRO_TYPES, stixCategory } from './types.js'
import type { StixValidation } from './validate.js'
import { validateBundle, validateStixObject } from './validate.js'

type Obj = Record<string, unknown>

/** Validates and fails the test (with the issues) unless there are no errors and no warnings. */
function expectClean(v: unknown): void {
  const r = validateStixObject(v)
  expect(r.ok ? { warnings: r.warnings } : { errors: r.errors, warnings: r.warnings }).toEqual({ warnings: [] })
}

function show(r: StixValidation): string {
  return JSON.stringify(r.ok ? { warnings: r.warnings } : { errors: r.errors, warnings: r.warnings })
}

/** Expects an error at exactly `pointer` whose message contains `fragment`. */
function expectError(v: unknown, pointer: string, fragment = ''): void {
  const r = validateStixObject(v)
  const hit = !r.ok && r.errors.some((e) => e.pointer === pointer && e.message.includes(fragment))
  expect(hit, `expected an error at '${pointer}' mentioning '${fragment}', got ${show(r)}`).toBe(true)
}

/** Expects a warning at exactly `pointer` containing `fragment`, and no errors. */
function expectWarning(v: unknown, pointer: string, fragment = ''): void {
  const r = validateStixObject(v)
  expect(r.ok, `expected no errors, got ${show(r)}`).toBe(true)
  const hit = r.warnings.some((w) => w.pointer === pointer && w.message.includes(fragment))
  expect(hit, `expected a warning at '${pointer}' mentioning '${fragment}', got ${show(r)}`).toBe(true)
}

/** A shallow copy with properties set (undefined deletes). */
function withProps(o: Obj, changes: Obj): Obj {
  const out: Obj = { ...o }
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k]
    else out[k] = v
  }
  return out
}

const v = (type: string): Record<string, unknown> => {
  const make = VALID[type]
  if (make === undefined) throw new Error(`no fixture for ${type}`)
  return make()
}

describe('type tables', () => {
  it('list every STIX 2.1 type once', () => {
    expect(SDO_TYPES).toHaveLength(19)
    expect(SRO_TYPES).toHaveLength(2)
    expect(SCO_TYPES).toHaveLength(18)
    expect(META_TYPES).toHaveLength(3)
    expect(new Set([...SDO_TYPES, ...SRO_TYPES, ...SCO_TYPES, ...META_TYPES]).size).toBe(42)
  })

  it('categorise types', () => {
    expect(stixCategory('indicator')).toBe('sdo')
    expect(stixCategory('sighting')).toBe('sro')
    expect(stixCategory('ipv4-addr')).toBe('sco')
    expect(stixCategory('marking-definition')).toBe('meta')
    expect(stixCategory('bundle')).toBe('bundle')
    expect(stixCategory('x-mitre-tactic')).toBe('custom')
  })
})

describe('every STIX 2.1 type', () => {
  const all = [...SDO_TYPES, ...SRO_TYPES, ...SCO_TYPES, ...META_TYPES]
  it.each(all)('a minimal valid %s passes without warnings', (type) => {
    expectClean(v(type))
  })

  // Required properties per type, from the specification (type and id are required everywhere).
  const REQUIRED: Record<string, string[]> = {
    'attack-pattern': ['name'],
    campaign: ['name'],
    'course-of-action': ['name'],
    grouping: ['context', 'object_refs'],
    identity: ['name'],
    incident: ['name'],
    indicator: ['pattern', 'pattern_type', 'valid_from'],
    infrastructure: ['name'],
    'intrusion-set': ['name'],
    malware: ['is_family'],
    'malware-analysis': ['product'],
    note: ['content', 'object_refs'],
    'observed-data': ['first_observed', 'last_observed', 'number_observed'],
    opinion: ['opinion', 'object_refs'],
    report: ['name', 'published', 'object_refs'],
    'threat-actor': ['name'],
    tool: ['name'],
    vulnerability: ['name'],
    relationship: ['relationship_type', 'source_ref', 'target_ref'],
    sighting: ['sighting_of_ref'],
    'language-content': ['object_ref', 'contents'],
    'marking-definition': ['created'],
    'extension-definition': ['created_by_ref', 'name', 'schema', 'version', 'extension_types'],
    'autonomous-system': ['number'],
    directory: ['path'],
    'domain-name': ['value'],
    'email-addr': ['value'],
    'email-message': ['is_multipart'],
    'ipv4-addr': ['value'],
    'ipv6-addr': ['value'],
    'mac-addr': ['value'],
    mutex: ['name'],
    'network-traffic': ['protocols'],
    software: ['name'],
    url: ['value'],
  }
  const cases: [string, string][] = []
  for (const type of all) {
    const common = stixCategory(type) === 'sco' ? ['type', 'id'] : stixCategory(type) === 'meta' && type === 'marking-definition' ? ['type', 'id', 'spec_version'] : ['type', 'id', 'spec_version', 'created', 'modified']
    for (const p of [...common, ...(REQUIRED[type] ?? [])]) cases.push([type, p])
  }
  it.each(cases)('%s without %s is rejected at /%s', (type, prop) => {
    expectError(withProps(v(type), { [prop]: undefined }), `/${prop}`, prop === 'type' ? 'missing' : '')
  })
})

describe('type and id', () => {
  it.each([null, [], 'indicator', 42, true])('rejects a non-object (%j) at the root', (x) => {
    expectError(x, '', 'must be a STIX object')
  })

  it.each([
    ['Indicator', 'a-z, 0-9 and hyphen'],
    ['ab', '3-250 characters'],
    ['x'.repeat(251), '3-250 characters'],
    ['x--y', "'--'"],
    ['x_y_z', 'a-z, 0-9 and hyphen'],
  ])('rejects type %j', (type, fragment) => {
    expectError(withProps(v('indicator'), { type }), '/type', fragment)
  })

  it('rejects a bundle passed as an object', () => {
    expectError({ type: 'bundle', id: sid('bundle'), objects: [] }, '/type', 'bundle')
  })

  it.each([
    ['indicator--not-a-uuid', 'not a STIX identifier'],
    ['indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f', 'not a STIX identifier'],
    [sid('malware'), "must start with 'indicator--'"],
  ])('rejects id %j', (id, fragment) => {
    expectError(withProps(v('indicator'), { id }), '/id', fragment)
  })

  it('accepts UUIDs of any case and non-v4 versions', () => {
    expectClean(withProps(v('indicator'), { id: 'indicator--8E2E2D2B-17D4-1CBF-938F-98EE46B3CD3F' }))
  })
})

describe('spec_version', () => {
  it('is required on SDOs, SROs and meta objects, with a message about STIX 2.0', () => {
    expectError(withProps(v('malware'), { spec_version: undefined }), '/spec_version', 'STIX 2.0')
    expectError(withProps(v('relationship'), { spec_version: undefined }), '/spec_version', 'missing')
    expectError(withProps(v('marking-definition'), { spec_version: undefined }), '/spec_version', 'missing')
  })

  it("rejects '2.0' and anything but '2.1'", () => {
    expectError(withProps(v('indicator'), { spec_version: '2.0' }), '/spec_version', 'STIX 2.0 content is not accepted')
    expectError(withProps(v('indicator'), { spec_version: 2.1 }), '/spec_version', "must be '2.1'")
    expectError(withProps(v('ipv4-addr'), { spec_version: '2.0' }), '/spec_version')
  })

  it('is optional on SCOs', () => {
    expectClean(withProps(v('ipv4-addr'), { spec_version: undefined }))
  })
})

describe('timestamps', () => {
  it.each([
    ['2026-01-02T03:04:05Z', 'millisecond precision'],
    ['2026-01-02T03:04:05.1Z', 'millisecond precision'],
    ['2026-01-02T03:04:05.000+01:00', 'UTC'],
    ['2026-01-02T03:04:05.000z', "upper-case 'Z'"],
    ['2026-02-30T03:04:05.000Z', 'day of month'],
    ['2022-101-27T13:49:54.326Z', 'RFC 3339'],
  ])('created %j is rejected', (created, fragment) => {
    expectError(withProps(v('indicator'), { created, modified: '2026-12-31T00:00:00.000Z' }), '/created', fragment)
  })

  it('accepts more than millisecond precision on created/modified and second precision elsewhere', () => {
    expectClean(withProps(v('indicator'), { created: '2026-01-02T03:04:05.123456Z', modified: '2026-01-02T03:04:05.1234567Z' }))
    expectClean(withProps(v('indicator'), { valid_from: '2026-01-02T03:04:05Z' }))
  })

  it('requires modified >= created', () => {
    expectError(withProps(v('indicator'), { modified: '2026-01-02T03:04:04.999Z' }), '/modified', 'created')
    expectError(withProps(v('indicator'), { created: '2026-01-02T03:04:05.0001Z', modified: '2026-01-02T03:04:05.000Z' }), '/modified')
    expectClean(withProps(v('indicator'), { created: '2026-01-02T03:04:05.000Z', modified: '2026-01-02T03:04:05.000000Z' }))
  })

  it('requires valid_until > valid_from on indicators', () => {
    expectError(withProps(v('indicator'), { valid_until: '2026-01-02T03:04:05Z' }), '/valid_until', 'later than valid_from')
    expectError(withProps(v('indicator'), { valid_until: '2026-01-02T03:04:05.000Z' }), '/valid_until')
    expectClean(withProps(v('indicator'), { valid_until: '2026-01-02T03:04:05.001Z' }))
  })

  it.each([
    ['campaign', 'first_seen', 'last_seen'],
    ['intrusion-set', 'first_seen', 'last_seen'],
    ['threat-actor', 'first_seen', 'last_seen'],
    ['infrastructure', 'first_seen', 'last_seen'],
    ['malware', 'first_seen', 'last_seen'],
    ['sighting', 'first_seen', 'last_seen'],
    ['observed-data', 'first_observed', 'last_observed'],
    ['network-traffic', 'start', 'end'],
  ])('%s: %s must not be after %s (equal is fine)', (type, first, last) => {
    const base = type === 'network-traffic' ? withProps(v(type), { is_active: false }) : v(type)
    expectError(withProps(base, { [first]: T1, [last]: T0 }), `/${last}`, 'earlier')
    const equal = withProps(base, { [first]: T0, [last]: T0 })
    const r = validateStixObject(type === 'network-traffic' ? withProps(equal, { id: sid('network-traffic') }) : equal)
    expect(r.ok).toBe(true)
  })

  it('requires stop_time > start_time on relationships', () => {
    expectError(withProps(v('relationship'), { start_time: T0, stop_time: T0 }), '/stop_time', 'later than start_time')
  })
})

describe('property types and ranges', () => {
  it.each([
    ['confidence', 101, 'between 0 and 100'],
    ['confidence', -1, 'between 0 and 100'],
    ['confidence', 5.5, 'an integer'],
    ['confidence', '50', 'an integer'],
    ['revoked', 'false', 'boolean'],
    ['labels', [], 'empty list'],
    ['labels', 'phishing', 'a list'],
    ['name', 42, 'a string'],
    ['description', null, 'not null'],
  ])('indicator %s = %j is rejected', (prop, value, fragment) => {
    expectError(withProps(v('indicator'), { [prop]: value }), `/${prop}`, fragment)
  })

  it('points into lists', () => {
    expectError(withProps(v('indicator'), { labels: ['ok', 7] }), '/labels/1', 'a string')
  })

  it.each([
    ['observed-data', 'number_observed', 0],
    ['observed-data', 'number_observed', 1_000_000_000],
    ['sighting', 'count', -1],
    ['sighting', 'count', 1_000_000_000],
    ['network-traffic', 'src_port', 65_536],
    ['location', 'latitude', 90.5],
    ['location', 'longitude', -180.5],
    ['file', 'size', -1],
    ['autonomous-system', 'number', -1],
  ])('%s %s = %j is out of range', (type, prop, value) => {
    const extra = type === 'location' ? { latitude: 10, longitude: 10 } : {}
    expectError(withProps(v(type), { ...extra, [prop]: value }), `/${prop}`, value === -1 && type !== 'sighting' ? 'at least 0' : 'between')
  })

  it('accepts the range limits', () => {
    expectClean(withProps(v('sighting'), { count: 0 }))
    expectClean(withProps(v('sighting'), { count: 999_999_999 }))
    expectClean(withProps(v('observed-data'), { number_observed: 999_999_999 }))
    expectClean(withProps(v('indicator'), { confidence: 0 }))
  })

  it('checks hashes, hex and binary', () => {
    expectError(withProps(v('file'), { hashes: { MD5: 'abc' } }), '/hashes/MD5', 'MD5')
    expectError(withProps(v('file'), { hashes: {} }), '/hashes', 'empty')
    expectError(withProps(v('file'), { hashes: { 'SHA 256': 'ab' } }), '/hashes/SHA 256', 'dictionary keys')
    expectWarning(withProps(v('file'), { id: sid('file'), hashes: { sha256: 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' } }), '/hashes/sha256', 'hashing-algorithm-ov')
    expectError(withProps(v('file'), { magic_number_hex: 'abc' }), '/magic_number_hex', 'even number')
    expectError(withProps(v('artifact'), { payload_bin: 'not base64!' }), '/payload_bin', 'base64')
  })

  it('checks dictionaries', () => {
    expectError(withProps(v('process'), { environment_variables: { 'PATH=': '/bin' } }), '/environment_variables/PATH=', 'dictionary keys')
    expectError(withProps(v('process'), { environment_variables: {} }), '/environment_variables', 'empty')
  })
})

describe('references', () => {
  it.each([
    ['indicator', 'created_by_ref', sid('malware'), '/created_by_ref', 'an identity'],
    ['indicator', 'object_marking_refs', [sid('identity')], '/object_marking_refs/0', 'marking-definition'],
    ['indicator', 'created_by_ref', 'identity--x', '/created_by_ref', 'not a STIX identifier'],
    ['sighting', 'sighting_of_ref', sid('relationship'), '/sighting_of_ref', 'an SDO'],
    ['sighting', 'sighting_of_ref', sid('ipv4-addr'), '/sighting_of_ref', 'an SDO'],
    ['sighting', 'where_sighted_refs', [sid('malware')], '/where_sighted_refs/0', 'identity or location'],
    ['sighting', 'observed_data_refs', [sid('indicator')], '/observed_data_refs/0', 'observed-data'],
    ['relationship', 'target_ref', sid('sighting'), '/target_ref', 'not a relationship'],
    ['relationship', 'source_ref', sid('marking-definition'), '/source_ref', 'SDO or SCO'],
    ['relationship', 'target_ref', sid('bundle'), '/target_ref', 'SDO or SCO'],
    ['relationship', 'source_ref', sid('language-content'), '/source_ref', 'SDO or SCO'],
    ['observed-data', 'object_refs', [sid('indicator')], '/object_refs/0', 'an SCO or SRO'],
    ['malware', 'sample_refs', [sid('url')], '/sample_refs/0', 'file or artifact'],
    ['malware', 'operating_system_refs', [sid('file')], '/operating_system_refs/0', 'software'],
    ['malware-analysis', 'sample_ref', sid('url'), '/sample_ref', 'file, network-traffic or artifact'],
    ['report', 'object_refs', [sid('bundle')], '/object_refs/0', 'not a bundle'],
    ['network-traffic', 'dst_ref', sid('url'), '/dst_ref', 'ipv4-addr'],
    ['email-message', 'from_ref', sid('user-account'), '/from_ref', 'email-addr'],
    ['directory', 'contains_refs', [sid('process')], '/contains_refs/0', 'file or directory'],
  ])('%s %s = %j → %s', (type, prop, value, pointer, fragment) => {
    expectError(withProps(v(type), { [prop]: value }), pointer, fragment)
  })

  it('lets relationships connect SDOs, SCOs and custom objects', () => {
    expectClean(withProps(v('relationship'), { source_ref: sid('x-mitre-tactic'), target_ref: sid('ipv4-addr') }))
  })
})

describe('granular markings', () => {
  const gm = (m: Record<string, unknown>): Record<string, unknown> => withProps(v('indicator'), { granular_markings: [m] })
  const TLP_RED = 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'
  it('needs exactly one of marking_ref and lang', () => {
    expectError(gm({ selectors: ['name'] }), '/granular_markings/0', 'marking_ref or lang')
    expectError(gm({ selectors: ['name'], lang: 'en', marking_ref: TLP_RED }), '/granular_markings/0/lang', 'not both')
    expectClean(gm({ selectors: ['name'], lang: 'en' }))
    expectClean(gm({ selectors: ['name', 'indicator_types.[0]', 'external_references.[0].url'], marking_ref: TLP_RED }))
  })

  it('needs non-empty selectors that resolve', () => {
    expectError(gm({ selectors: [], marking_ref: TLP_RED }), '/granular_markings/0/selectors', 'empty')
    expectError(gm({ marking_ref: TLP_RED }), '/granular_markings/0/selectors', 'missing')
    expectError(gm({ selectors: ['name', 'nope'], marking_ref: TLP_RED }), '/granular_markings/0/selectors/1', 'does not point')
    expectError(gm({ selectors: ['indicator_types.[5]'], marking_ref: TLP_RED }), '/granular_markings/0/selectors/0', 'does not point')
    expectError(gm({ selectors: ['name'], marking_ref: sid('identity') }), '/granular_markings/0/marking_ref', 'marking-definition')
  })
})

describe('external references and kill chain phases', () => {
  it('needs source_name and one of description, url, external_id', () => {
    expectError(withProps(v('indicator'), { external_references: [{ source_name: 'x' }] }), '/external_references/0', 'at least one')
    expectError(withProps(v('indicator'), { external_references: [{ url: 'https://x' }] }), '/external_references/0/source_name', 'missing')
    expectError(withProps(v('indicator'), { external_references: [{ source_name: 'x', external_id: 'y', hashes: { sha256: 'ab' } }] }), '/external_references/0/hashes/sha256', 'hashing-algorithm-ov')
  })

  it('needs both kill chain fields', () => {
    expectError(withProps(v('attack-pattern'), { kill_chain_phases: [{ kill_chain_name: 'lockheed' }] }), '/kill_chain_phases/0/phase_name', 'missing')
  })
})

describe('vocabularies', () => {
  it('warns for values outside open vocabularies', () => {
    expectWarning(withProps(v('indicator'), { pattern_type: 'kql' }), '/pattern_type', 'pattern-type-ov')
    expectWarning(withProps(v('indicator'), { indicator_types: ['election-fraud'] }), '/indicator_types/0', 'indicator-type-ov')
    expectWarning(withProps(v('identity'), { identity_class: 'department' }), '/identity_class', 'identity-class-ov')
    expectWarning(withProps(v('grouping'), { context: 'election' }), '/context', 'grouping-context-ov')
    expectWarning(withProps(v('malware-analysis'), { result: 'clean' }), '/result', 'malware-av-result-ov')
    expectWarning(withProps(v('user-account'), { id: sid('user-account'), account_type: 'mastodon' }), '/account_type', 'account-type-ov')
  })

  it('rejects values outside closed enumerations', () => {
    expectError(withProps(v('opinion'), { opinion: 'maybe' }), '/opinion', 'opinion-enum')
    expectError(withProps(v('artifact'), { encryption_algorithm: 'rot13' }), '/encryption_algorithm', 'encryption-algorithm-enum')
    expectError(withProps(v('extension-definition'), { extension_types: ['new-thing'] }), '/extension_types/0', 'extension-type-enum')
    expectError(withProps(v('windows-registry-key'), { values: [{ name: 'a', data_type: 'REG_TEXT' }] }), '/values/0/data_type', 'windows-registry-datatype-enum')
  })
})

describe('type-specific rules', () => {
  it('indicator pattern', () => {
    expectError(withProps(v('indicator'), { pattern: '' }), '/pattern', 'empty')
    expectError(withProps(v('indicator'), { pattern: 'x'.repeat(LIMITS.maxPatternLength + 1) }), '/pattern', 'limit')
  })

  it('malware needs a name when it is a family', () => {
    expectError(withProps(v('malware'), { name: undefined }), '/name', 'is_family')
    expectClean(withProps(v('malware'), { name: undefined, is_family: false }))
  })

  it('malware-analysis needs result or analysis_sco_refs', () => {
    expectError(withProps(v('malware-analysis'), { result: undefined }), '', 'result or analysis_sco_refs')
    expectClean(withProps(v('malware-analysis'), { result: undefined, analysis_sco_refs: [sid('file')] }))
  })

  it('observed-data has object_refs or the deprecated objects, not both', () => {
    expectWarning(withProps(v('observed-data'), { object_refs: undefined }), '', 'no observation')
    expectError(withProps(v('observed-data'), { object_refs: [sid('relationship')] }), '/object_refs', 'at least one reference to a cyber-observable')
    expectClean(withProps(v('observed-data'), { object_refs: [sid('ipv4-addr'), sid('relationship')] }))
    expectError(withProps(v('observed-data'), { objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }), '/objects', 'object_refs')
    expectWarning(withProps(v('observed-data'), { object_refs: undefined, objects: { '0': { type: 'ipv4-addr', value: '198.51.100.3' } } }), '/objects', 'deprecated')
  })

  it('location needs region, country or coordinates', () => {
    expectError(withProps(v('location'), { region: undefined, country: undefined }), '', 'region, country')
    expectError(withProps(v('location'), { latitude: 59.4 }), '/latitude', 'requires longitude')
    expectError(withProps(v('location'), { precision: 10 }), '/precision', 'latitude and longitude')
    expectClean(withProps(v('location'), { region: undefined, country: undefined, latitude: 59.437, longitude: 24.7536, precision: 100 }))
  })

  it('course-of-action reserves action', () => {
    expectError(withProps(v('course-of-action'), { action: 'block' }), '/action', 'reserved')
  })

  it('email-message body and multipart are exclusive', () => {
    expectError(withProps(v('email-message'), { id: sid('email-message'), is_multipart: true }), '/body', 'is_multipart')
    expectError(withProps(v('email-message'), { body_multipart: [{ body: 'x' }] }), '/body_multipart', 'is_multipart is false')
    expectError(withProps(v('email-message'), { id: sid('email-message'), is_multipart: true, body: undefined, body_multipart: [{ content_type: 'text/plain' }] }), '/body_multipart/0', 'body or body_raw_ref')
  })

  it('registry keys, headers and the PE extension', () => {
    // Spec MUSTs that MISP breaks and python-stix2 tolerates: warnings, not errors (interoperability).
    expectWarning(withProps(v('windows-registry-key'), { id: sid('windows-registry-key'), key: 'HKLM\\Software\\Foo' }), '/key', 'HKEY_LOCAL_MACHINE')
    expectWarning(withProps(v('email-message'), { id: sid('email-message'), additional_header_fields: { 'X-Mailer': 'mutt' } }), '/additional_header_fields/X-Mailer', 'list')
    expectWarning(withProps(v('artifact'), { id: sid('artifact'), decryption_key: 'infected' }), '/decryption_key', 'encryption_algorithm')
    expectError(withProps(v('windows-registry-key'), { values: [{}] }), '/values/0', 'at least one property')
    expectError({ type: 'windows-registry-key', id: sid('windows-registry-key') }, '', 'at least one property')
    expectError({ type: 'user-account', id: sid('user-account') }, '', 'at least one property')
    expectError(withProps(v('email-message'), { additional_header_fields: { 'X-Mailer': [1] } }), '/additional_header_fields/X-Mailer/0', 'a string')
    expectClean(withProps(v('email-message'), { id: sid('email-message'), additional_header_fields: { 'X-Mailer': ['mutt'] } }))
    expectError(withProps(v('file'), { id: sid('file'), extensions: { 'windows-pebinary-ext': { pe_type: 'dll' } } }), '/extensions/windows-pebinary-ext', 'besides pe_type')
  })

  it('file needs hashes or name; process and x509-certificate need content', () => {
    expectError(withProps(v('file'), { name: undefined, hashes: undefined }), '', 'hashes or name')
    expectError({ type: 'process', id: sid('process') }, '', 'at least one property')
    expectError({ type: 'x509-certificate', id: sid('x509-certificate'), spec_version: '2.1' }, '', 'at least one property')
  })

  it('network-traffic rules', () => {
    const nt = withProps(v('network-traffic'), { id: sid('network-traffic') })
    expectError(withProps(nt, { src_ref: undefined }), '', 'src_ref or dst_ref')
    expectError(withProps(nt, { is_active: true, end: T1 }), '/end', 'is_active')
    expectError(withProps(nt, { protocols: [] }), '/protocols', 'empty')
    expectWarning(withProps(nt, { protocols: ['TCP'] }), '/protocols/0', 'lower-case')
  })

  it('artifact rules', () => {
    expectError(withProps(v('artifact'), { url: 'https://x.example/a' }), '/url', 'payload_bin')
    expectError(withProps(v('artifact'), { id: sid('artifact'), payload_bin: undefined, url: 'https://x.example/a' }), '/hashes', 'url')
  })

  it('address values', () => {
    expectError(withProps(v('ipv4-addr'), { value: '300.1.1.1' }), '/value', 'IPv4')
    expectError(withProps(v('ipv4-addr'), { value: '10.0.0.0/33' }), '/value', 'IPv4')
    expectClean(sco({ type: 'ipv4-addr', value: '10.0.0.0/8' }))
    expectError(withProps(v('ipv6-addr'), { value: '2001:db8:::1' }), '/value', 'IPv6')
    expectClean(sco({ type: 'ipv6-addr', value: '::ffff:192.0.2.1' }))
    expectClean(sco({ type: 'ipv6-addr', value: '2001:db8::/32' }))
    expectError(withProps(v('mac-addr'), { value: 'D2:FB:49:24:37:18' }), '/value', 'lower-case')
  })

  it('relationship_type is limited to a-z, 0-9 and hyphen', () => {
    expectError(withProps(v('relationship'), { relationship_type: 'Indicates' }), '/relationship_type', 'lower-case')
    expectError(withProps(v('relationship'), { relationship_type: 'related_to' }), '/relationship_type', 'lower-case')
  })
})

describe('SCO specifics', () => {
  it.each(['created', 'modified', 'created_by_ref', 'labels', 'confidence', 'lang', 'external_references', 'revoked'])(
    'an SCO must not have %s',
    (prop) => {
      const value = { created: T0, modified: T0, created_by_ref: sid('identity'), labels: ['x'], confidence: 1, lang: 'en', external_references: [{ source_name: 'x', url: 'https://x' }], revoked: false }[prop]
      expectError(withProps(v('ipv4-addr'), { [prop]: value }), `/${prop}`, 'does not apply to cyber-observable objects')
    },
  )

  it('SDOs must not have defanged', () => {
    expectError(withProps(v('indicator'), { defanged: true }), '/defanged', 'does not apply')
  })

  it('warns when a UUIDv5 id is not the deterministic one, but accepts UUIDv4 ids', () => {
    expectWarning(withProps(v('ipv4-addr'), { value: '198.51.100.4' }), '/id', 'deterministic id')
    expectClean(withProps(v('ipv4-addr'), { id: sid('ipv4-addr') }))
  })
})

describe('marking definitions', () => {
  it('accepts statement, TLP 1.0 and TLP 2.0 (extension) markings', () => {
    expectClean({ type: 'marking-definition', spec_version: '2.1', id: sid('marking-definition'), created: T0, definition_type: 'statement', definition: { statement: 'Copyright 2026 Entente' } })
    expectClean({
      type: 'marking-definition',
      spec_version: '2.1',
      id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
      created: '2022-10-01T00:00:00.000Z',
      name: 'TLP:RED',
      extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'red' } },
    })
  })

  it('rejects non-standard TLP 1.0 markings and mismatched levels', () => {
    expectError(withProps(v('marking-definition'), { id: sid('marking-definition') }), '/id', 'standard')
    expectError(withProps(v('marking-definition'), { definition: { tlp: 'red' } }), '/definition', 'TLP:WHITE')
    expectError(withProps(v('marking-definition'), { definition: { tlp: 'clear' } }), '/definition/tlp', 'white, green, amber, red')
    expectError(withProps(v('marking-definition'), { definition_type: 'statement', definition: { statement: 'x' } }), '/definition_type', "'tlp'")
    expectError(
      {
        type: 'marking-definition',
        spec_version: '2.1',
        id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
        created: '2022-10-01T00:00:00.000Z',
        extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'green' } },
      },
      '/extensions/extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d/tlp_2_0',
      'TLP:RED',
    )
  })

  it('needs definition_type and definition unless extensions are used, and cannot be versioned', () => {
    expectError(withProps(v('marking-definition'), { definition_type: undefined }), '/definition_type', 'missing')
    expectError(withProps(v('marking-definition'), { definition: undefined }), '/definition', 'missing')
    expectError(withProps(v('marking-definition'), { modified: T0 }), '/modified', 'does not apply to marking-definition')
    expectError({ type: 'marking-definition', spec_version: '2.1', id: sid('marking-definition'), created: T0, definition_type: 'statement', definition: { text: 'x' } }, '/definition', "'statement'")
    expectWarning({ type: 'marking-definition', spec_version: '2.1', id: sid('marking-definition'), created: T0, definition_type: 'iep', definition: { x: 1 } }, '/definition_type', 'extension definition')
  })
})

describe('extension definitions and language content', () => {
  it('extension_properties only for toplevel-property-extension', () => {
    expectError(withProps(v('extension-definition'), { extension_properties: ['election_id'] }), '/extension_properties', 'toplevel-property-extension')
    expectClean(withProps(v('extension-definition'), { extension_types: ['toplevel-property-extension'], extension_properties: ['election_id'] }))
    expectError(withProps(v('extension-definition'), { extensions: { [sid('extension-definition', 2)]: { extension_type: 'property-extension', a: 1 } } }), '/extensions', 'does not apply')
  })

  it('language content', () => {
    expectError(withProps(v('language-content'), { lang: 'en' }), '/lang', 'does not apply')
    expectError(withProps(v('language-content'), { contents: { de: {} } }), '/contents/de', 'empty')
    expectError(withProps(v('language-content'), { object_modified: '2026-01-02T03:04:05Z' }), '/object_modified', 'millisecond')
  })
})

describe('extensions', () => {
  const EXT = sid('extension-definition', 9)
  it('checks predefined SCO extensions', () => {
    const pe = (ext: unknown): Record<string, unknown> => withProps(v('file'), { id: sid('file'), extensions: { 'windows-pebinary-ext': ext } })
    expectClean(pe({ pe_type: 'exe', machine_hex: '014c', sections: [{ name: '.text', entropy: 7.9 }] }))
    expectError(pe({ machine_hex: '014c' }), '/extensions/windows-pebinary-ext/pe_type', 'missing')
    expectError(pe({ pe_type: 'exe', sections: [{ size: 1 }] }), '/extensions/windows-pebinary-ext/sections/0/name', 'missing')
    expectError(pe({}), '/extensions/windows-pebinary-ext', 'at least one property')
    expectError(withProps(v('file'), { id: sid('file'), extensions: { 'http-request-ext': { request_method: 'get', request_value: '/' } } }), '/extensions/http-request-ext', 'network-traffic')
    const nt = withProps(v('network-traffic'), { id: sid('network-traffic') })
    expectError(withProps(nt, { extensions: { 'socket-ext': { address_family: 'AF_INET', options: { FOO_BAR: 1 } } } }), '/extensions/socket-ext/options/FOO_BAR', 'socket option')
    expectError(withProps(nt, { extensions: { 'socket-ext': { address_family: 'AF_CAN' } } }), '/extensions/socket-ext/address_family', 'enum')
    expectClean(withProps(nt, { extensions: { 'tcp-ext': { src_flags_hex: '00000002' }, 'http-request-ext': { request_method: 'get', request_value: '/', request_header: { 'Accept-Encoding': 'gzip' } } } }))
    expectClean(sco({ type: 'user-account', user_id: '0', extensions: { 'unix-account-ext': { gid: 0, home_dir: '/root', shell: '/bin/sh' } } }))
  })

  it('checks extension-definition extensions', () => {
    expectClean(withProps(v('indicator'), { extensions: { [EXT]: { extension_type: 'property-extension', election_id: 'ee-2026' } } }))
    expectError(withProps(v('indicator'), { extensions: { [EXT]: { extension_type: 'bogus' } } }), `/extensions/${EXT}/extension_type`, 'extension-type-enum')
    expectError(withProps(v('indicator'), { extensions: { 'extension-definition--nope': { extension_type: 'property-extension' } } }), '/extensions/extension-definition--nope', 'valid extension-definition')
    expectError(withProps(v('indicator'), { extensions: { [EXT]: {} } }), `/extensions/${EXT}`, 'at least one property')
    expectError(withProps(v('indicator'), { extensions: { 'x-foo': { a: 1 } } }), '/extensions/x-foo', 'neither')
    expectError(withProps(v('indicator'), { extensions: {} }), '/extensions', 'empty')
    expectError(withProps(v('indicator'), { extensions: { [EXT]: { extension_type: 'new-sdo' } } }), `/extensions/${EXT}/extension_type`, 'STIX 2.1 type')
  })

  it('allows extra top-level properties through a toplevel-property-extension', () => {
    const base = withProps(v('indicator'), { election_id: 'ee-2026' })
    expectWarning(base, '/election_id', 'x_')
    expectClean(withProps(base, { extensions: { [EXT]: { extension_type: 'toplevel-property-extension' } } }))
  })

  it('validates new object types defined by extensions', () => {
    const newSdo = { type: 'x-entente-case', spec_version: '2.1', id: sid('x-entente-case'), created: T0, modified: T0, title: 'Case 1', assignee_refs: [sid('identity')], extensions: { [EXT]: { extension_type: 'new-sdo' } } }
    expectClean(newSdo)
    expectError(withProps(newSdo, { created: undefined }), '/created', 'missing')
    const newSco = { type: 'x-phone-number', spec_version: '2.1', id: sid('x-phone-number'), value: '+3725550100', extensions: { [EXT]: { extension_type: 'new-sco' } } }
    expectClean(newSco)
    expectError(withProps(newSco, { created: T0 }), '/created', 'does not apply')
    expectClean({ type: 'x-entente-link', spec_version: '2.1', id: sid('x-entente-link'), created: T0, modified: T0, extensions: { [EXT]: { extension_type: 'new-sro' } } })
  })

  it('warns about STIX 2.0-style custom SCO extensions', () => {
    expectWarning(withProps(v('file'), { id: sid('file'), extensions: { 'x-acme-ext': { foo: 1 } } }), '/extensions/x-acme-ext', 'extension-definition')
  })
})

describe('custom content', () => {
  it('accepts x_ properties silently, including ATT&CK x_mitre_*', () => {
    expectClean(withProps(v('attack-pattern'), { x_mitre_version: '1.0', x_mitre_domains: ['enterprise-attack'], x_mitre_modified_by_ref: sid('identity'), x_mitre_deprecated: false }))
  })

  it('warns for custom property names without x_, rejects malformed names', () => {
    expectWarning(withProps(v('indicator'), { foo_bar: 1 }), '/foo_bar', 'x_')
    expectError(withProps(v('indicator'), { 'Bad-Name': 1 }), '/Bad-Name', 'not a valid property name')
    expectError(withProps(v('indicator'), { ab: 1 }), '/ab', 'not a valid property name')
    expectWarning(withProps(v('indicator'), { _x_foo: 1 }), '/_x_foo', 'begin with a letter')
  })

  it('warns about custom _ref(s) that are not identifiers', () => {
    expectWarning(withProps(v('indicator'), { x_source_ref: 'nope' }), '/x_source_ref', '_ref')
    expectWarning(withProps(v('indicator'), { x_source_refs: ['nope'] }), '/x_source_refs', '_refs')
    expectWarning(withProps(v('indicator'), { x_meta: { owner_ref: 'nope' } }), '/x_meta/owner_ref', '_ref')
    expectClean(withProps(v('indicator'), { x_source_ref: '' }))
  })

  it('warns about null custom properties', () => {
    expectWarning(withProps(v('indicator'), { x_gone: null }), '/x_gone', 'null')
  })

  it('validates custom objects on their common properties', () => {
    const tactic = { type: 'x-mitre-tactic', spec_version: '2.1', id: sid('x-mitre-tactic'), created: T0, modified: T0, name: 'Initial Access', x_mitre_shortname: 'initial-access' }
    expectClean(tactic)
    expectClean(withProps(tactic, { tactic_refs: [sid('x-mitre-tactic', 2)] })) // a custom object's own properties need no x_
    expectError(withProps(tactic, { spec_version: undefined }), '/spec_version', 'missing')
    expectError(withProps(tactic, { modified: '2025-01-01T00:00:00.000Z' }), '/modified', 'created')
    expectError(withProps(tactic, { created_by_ref: sid('malware') }), '/created_by_ref', 'an identity')
    // Without created/modified (and no extension saying otherwise) it is a custom cyber-observable.
    expectClean({ type: 'custom-sco', spec_version: '2.1', id: sid('custom-sco'), title: 'old' })
  })
})

describe('input limits and robustness', () => {
  it('rejects strings over the limit', () => {
    const long = 'a'.repeat(LIMITS.maxStringLength + 1)
    expectError(withProps(v('indicator'), { description: long }), '/description', 'limit')
    expectError(withProps(v('indicator'), { x_notes: ['ok', long] }), '/x_notes/1', 'limit')
  })

  it('rejects nesting deeper than the limit without overflowing the stack', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 100_000; i++) deep = { a: deep }
    expectError(withProps(v('indicator'), { x_deep: deep }), '/x_deep' + '/a'.repeat(LIMITS.maxJsonDepth - 1), 'nesting')
    let arr: unknown = []
    for (let i = 0; i < 100_000; i++) arr = [arr]
    const r = validateStixObject(withProps(v('indicator'), { labels: arr }))
    expect(r.ok).toBe(false)
  })

  it('reports non-JSON values', () => {
    expectError(withProps(v('indicator'), { x_f: () => 1 }), '/x_f', 'not a JSON value')
    expectError(withProps(v('indicator'), { x_n: Number.NaN }), '/x_n', 'not a JSON number')
    expectError(withProps(v('indicator'), { x_u: undefined, x_d: new Date(0) }), '/x_d', 'not a JSON value')
  })

  it('turns a throwing getter into an error instead of throwing', () => {
    const o = v('indicator')
    Object.defineProperty(o, 'name', {
      enumerable: true,
      get() {
        throw new Error('boom')
      },
    })
    expectError(o, '', 'boom')
  })

  it('treats a "__proto__" member as plain data', () => {
    const o = JSON.parse(JSON.stringify(v('indicator')).replace('{', '{"__proto__":{"name":42},')) as unknown
    expectWarning(o, '/__proto__', 'begin with a letter')
  })

  it('caps the issues reported for one object and shortens huge member names in pointers', () => {
    const r = validateStixObject(withProps(v('indicator'), { labels: Array.from({ length: 5000 }, (_, i) => i) }))
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toHaveLength(101)
    expect(r.errors[100]).toEqual({ pointer: '', message: '4900 more errors not shown' })
    const key = 'k'.repeat(100_000)
    const big = validateStixObject(withProps(v('process'), { environment_variables: { [key]: 1 } }))
    expect(big.ok).toBe(false)
    if (!big.ok) expect(Math.max(...big.errors.map((e) => e.pointer.length))).toBeLessThan(400)
  })

  it('escapes pointer segments (RFC 6901)', () => {
    expectError(withProps(v('process'), { environment_variables: { 'a/b~c': 'x' } }), '/environment_variables/a~1b~0c', 'dictionary keys')
  })
})

describe('validateBundle', () => {
  const bundle = (objects: unknown[]): Record<string, unknown> => ({ type: 'bundle', id: sid('bundle'), objects })

  it('validates every object with pointers into the bundle', () => {
    const objs = [v('identity'), v('indicator'), v('malware'), withProps(v('relationship'), { created: '2026-01-02T03:04:05Z' })]
    const r = validateBundle(bundle(objs))
    expect(r.ok).toBe(false)
    expect(r.objectCount).toBe(4)
    expect(r.errors).toEqual([{ pointer: '/objects/3/created', message: "must have at least millisecond precision, e.g. '2026-01-02T03:04:05.000Z'" }])
    expect(validateBundle(bundle(objs.slice(0, 3)))).toEqual({ ok: true, errors: [], warnings: [], objectCount: 3 })
  })

  it('checks the bundle itself', () => {
    expect(validateBundle({ type: 'bundle', objects: [] }).errors.map((e) => e.pointer)).toEqual(['/id', '/objects'])
    expect(validateBundle({ type: 'report', id: sid('bundle') }).errors.map((e) => e.pointer)).toEqual(['/type'])
    expect(validateBundle({ type: 'bundle', id: sid('indicator') }).errors.map((e) => e.pointer)).toEqual(['/id'])
    expect(validateBundle({ type: 'bundle', id: sid('bundle'), objects: {} }).errors.map((e) => e.pointer)).toEqual(['/objects'])
    expect(validateBundle('nope').errors.map((e) => e.pointer)).toEqual([''])
    expect(validateBundle({ type: 'bundle', id: sid('bundle') })).toEqual({ ok: true, errors: [], warnings: [], objectCount: 0 })
  })

  it('warns about spec_version, unknown properties and repeated versions', () => {
    const r = validateBundle({ ...bundle([v('indicator'), v('indicator')]), spec_version: '2.0', x_source: 'feed' })
    expect(r.ok).toBe(true)
    expect(r.warnings.map((w) => w.pointer)).toEqual(['/spec_version', '/x_source', '/objects/1'])
  })
})
