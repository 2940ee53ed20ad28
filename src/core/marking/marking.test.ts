import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../../../test/data.js'
import { validateStixObject } from '../stix/validate.js'
import {
  GRANULAR_LIMITS,
  KNOWN_PAP_IDS,
  OPENCTI_AMBER_STRICT_ID,
  PAP_DEFINITIONS,
  PAP_IDS,
  RECIPIENTS_EXTENSION_ID,
  TLP1_DEFINITIONS,
  TLP2_DEFINITIONS,
  TLP2_EXTENSION_DEFINITION,
  TLP2_IDS,
  effectiveTlp,
  granularRules,
  markingOnReceipt,
  receiptDefault,
  TLP_LEVELS,
  tlpRank,
  objectPap,
  objectTlp,
  openCtiMarkingId,
  papOfDefinition,
  papOfTag,
  parseSelector,
  recipientsOf,
  redactObject,
  selectorsToRedact,
  tlpOfDefinition,
  withMarkingRef,
  withRecipients,
} from './index.js'

const TLP2_DIR = join(SHARED_DATA, 'stix-samples', 'oasis-common-objects-tlp2')
const oasis = (JSON.parse(readFileSync(join(TLP2_DIR, 'tlp2-marking-definitions.json'), 'utf8')) as { objects: Record<string, unknown>[] }).objects
const pap = JSON.parse(readFileSync(join(SHARED_DATA, 'misp', 'taxonomies', 'PAP', 'machinetag.json'), 'utf8')) as { predicates: { value: string }[] }

describe('TLP 2.0 definitions', () => {
  it('are exactly the OASIS objects (ids and content)', () => {
    const markings = oasis.filter((o) => o['type'] === 'marking-definition')
    expect(markings).toHaveLength(5)
    expect(TLP2_DEFINITIONS).toEqual(markings)
    expect(TLP2_EXTENSION_DEFINITION).toEqual(oasis.find((o) => o['type'] === 'extension-definition'))
  })
  it('read as their levels, and pass the STIX validator', () => {
    for (const d of TLP2_DEFINITIONS) {
      const level = (d.extensions?.[TLP2_EXTENSION_DEFINITION.id] as { tlp_2_0: string }).tlp_2_0
      expect(tlpOfDefinition(d)).toBe(level)
      expect(TLP2_IDS[level as keyof typeof TLP2_IDS]).toBe(d.id)
      expect(validateStixObject(d).ok).toBe(true)
    }
  })
  it('the OASIS sample object marked GREEN is GREEN', () => {
    const bundle = JSON.parse(readFileSync(join(TLP2_DIR, 'using-tlp2.0-green.INVALID-timestamp.json'), 'utf8')) as { objects: Record<string, unknown>[] }
    const rel = bundle.objects.find((o) => o['type'] === 'relationship') as Record<string, unknown>
    expect(objectTlp(rel)).toBe('green')
  })
})

describe('TLP 1.0 mapping', () => {
  it('maps the four §7.2.1.4 definitions onto 2.0 (white → clear)', () => {
    expect(TLP1_DEFINITIONS.map((d) => [d.id, tlpOfDefinition(d)])).toEqual([
      ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'clear'],
      ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
      ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
      ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
    ])
    for (const d of TLP1_DEFINITIONS) expect(validateStixObject(d).ok).toBe(true)
  })
  it('reads OpenCTI TLP definitions, including its AMBER+STRICT id', () => {
    expect(OPENCTI_AMBER_STRICT_ID).toMatch(/^marking-definition--[0-9a-f-]{36}$/)
    expect(objectTlp({ object_marking_refs: [OPENCTI_AMBER_STRICT_ID] })).toBe('amber+strict')
    const octi = { type: 'marking-definition', spec_version: '2.1', id: openCtiMarkingId('TLP', 'TLP:AMBER'), created: '2020-01-01T00:00:00Z', definition_type: 'TLP', definition: 'TLP:AMBER' }
    expect(tlpOfDefinition(octi)).toBe('amber')
    expect(tlpOfDefinition({ ...octi, definition: 'TLP:PURPLE' })).toBe('unknown')
    expect(tlpOfDefinition({ ...octi, definition_type: 'statement', definition: { statement: 'Copyright' }, name: 'TLP: but not really' })).toBe('unknown')
    expect(tlpOfDefinition({ ...octi, definition_type: 'statement', definition: { statement: 'Copyright 2026' }, name: 'copyright' })).toBe('none')
  })
})

describe('PAP', () => {
  it('covers every MISP taxonomy value (WHITE is read as CLEAR)', () => {
    for (const p of pap.predicates) {
      const want = p.value === 'WHITE' ? 'clear' : p.value.toLowerCase()
      expect(papOfTag(`PAP:${p.value}`)).toBe(want)
      expect(KNOWN_PAP_IDS.get(openCtiMarkingId('PAP', `PAP:${p.value}`))).toBe(want)
    }
    expect(papOfTag('tlp:amber')).toBeUndefined()
  })
  it('OASIS PAP definitions read back and validate; they do not change TLP', () => {
    for (const d of PAP_DEFINITIONS) {
      expect(papOfDefinition(d)).toBe(d.name?.slice(4).toLowerCase())
      expect(validateStixObject(d).ok).toBe(true)
    }
    const o = { object_marking_refs: [PAP_IDS.amber, TLP2_IDS.green] }
    expect(objectTlp(o)).toBe('green')
    expect(objectPap(o)).toBe('amber')
    expect(objectPap({ object_marking_refs: [PAP_IDS.green, PAP_IDS.red] })).toBe('red')
    expect(objectTlp({ object_marking_refs: [PAP_IDS.red] })).toBeNull()
  })
})

describe('effective TLP', () => {
  it('is the most restrictive marking', () => {
    expect(objectTlp({ object_marking_refs: [TLP2_IDS.clear, TLP2_IDS.amber, TLP2_IDS.green] })).toBe('amber')
  })
  it('treats an unknown or unresolvable marking as RED, never CLEAR', () => {
    const unknown = 'marking-definition--00000000-0000-4000-8000-000000000000'
    expect(objectTlp({ object_marking_refs: [TLP2_IDS.clear, unknown] })).toBe('red')
    // resolvable statement marking: not an access marking
    const stmt = { type: 'marking-definition', spec_version: '2.1', id: unknown, created: '2020-01-01T00:00:00Z', definition_type: 'statement', definition: { statement: 'Copyright ACME' } }
    expect(objectTlp({ object_marking_refs: [TLP2_IDS.clear, unknown] }, (id) => (id === unknown ? stmt : undefined))).toBe('clear')
    // a lookup answering with another object is not trusted
    expect(objectTlp({ object_marking_refs: [unknown] }, () => ({ ...stmt, id: TLP2_IDS.clear }))).toBe('red')
    expect(objectTlp({ object_marking_refs: 'x' })).toBe('red')
  })
  it('an unmarked object takes the default it was stored under', () => {
    expect(effectiveTlp({ type: 'indicator' }, 'amber')).toBe('amber')
    expect(effectiveTlp({ type: 'indicator', object_marking_refs: [TLP2_IDS.green] }, 'red')).toBe('green')
  })
})

describe('markingOnReceipt', () => {
  it('gives unmarked input the collection default, or the organisation default when stricter', () => {
    const r = markingOnReceipt({ type: 'indicator' }, { collectionDefault: 'green' })
    expect(r).toEqual({ ok: true, value: { tlp: 'green', source: 'default', addRef: TLP2_IDS.green } })
    const s = markingOnReceipt({ type: 'indicator' }, { collectionDefault: 'green', orgDefault: 'amber' })
    expect(s.ok && s.value.tlp).toBe('amber')
    const t = markingOnReceipt({ type: 'indicator' }, { collectionDefault: 'amber', orgDefault: 'clear' })
    expect(t.ok && t.value.tlp).toBe('amber')
  })
  test.prop([fc.constantFrom(...TLP_LEVELS), fc.option(fc.constantFrom(...TLP_LEVELS), { nil: undefined })])(
    'the default is never wider than the collection’s, and never wider than the organisation’s',
    (collectionDefault, orgDefault) => {
      const d = receiptDefault(orgDefault === undefined ? { collectionDefault } : { collectionDefault, orgDefault })
      expect(tlpRank(d)).toBe(Math.max(tlpRank(collectionDefault), orgDefault === undefined ? 0 : tlpRank(orgDefault)))
      const r = markingOnReceipt({ type: 'indicator' }, orgDefault === undefined ? { collectionDefault } : { collectionDefault, orgDefault })
      expect(r.ok && r.value.tlp).toBe(d)
    },
  )
  it('keeps an object marking, and counts a PAP-only object as unmarked', () => {
    expect(markingOnReceipt({ object_marking_refs: [TLP2_IDS.clear] }, { collectionDefault: 'red' })).toEqual({ ok: true, value: { tlp: 'clear', source: 'object', addRef: null } })
    const r = markingOnReceipt({ object_marking_refs: [PAP_IDS.green] }, { collectionDefault: 'amber' })
    expect(r.ok && r.value.addRef).toBe(TLP2_IDS.amber)
    expect(withMarkingRef({ object_marking_refs: [PAP_IDS.green] }, TLP2_IDS.amber)).toEqual({ object_marking_refs: [PAP_IDS.green, TLP2_IDS.amber] })
  })
  it('rejects a malformed marking list with a pointer', () => {
    expect(markingOnReceipt({ object_marking_refs: 'tlp:red' }, { collectionDefault: 'green' })).toEqual({ ok: false, error: [{ pointer: '/object_marking_refs', message: 'must be a list of marking-definition ids' }] })
  })
})

describe('recipients', () => {
  it('reads the named recipients and rejects bad ones with pointers', () => {
    const a = 'identity--5b6c1f2e-2f6a-4a7f-9b1e-3f6b0a6d8c11'
    const o = withRecipients({ type: 'indicator' }, [a])
    expect(recipientsOf(o)).toEqual({ ok: true, value: [a] })
    expect(recipientsOf({ type: 'indicator' })).toEqual({ ok: true, value: null })
    const bad = recipientsOf({ extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', recipient_refs: [a, 'org-b'] } } })
    expect(bad).toEqual({ ok: false, error: [{ pointer: `/extensions/${RECIPIENTS_EXTENSION_ID}/recipient_refs/1`, message: 'must be an identity id (identity--<uuid>)' }] })
  })
})

// STIX 2.1 §7.2.3.1 selector examples, on the specification's example object.
const SPEC_OBJECT = {
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  created: '2016-04-06T20:03:48.000Z',
  modified: '2016-04-06T20:03:48.000Z',
  pattern: "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
  pattern_type: 'stix',
  valid_from: '2016-01-01T00:00:00Z',
  description: 'Some description',
  name: 'Malicious site hosting downloader',
  external_references: [
    { source_name: 'ACME Threat Intel', description: 'Threat report', url: 'https://example.com/r1' },
    { source_name: 'capec', external_id: 'CAPEC-163', url: 'https://capec.mitre.org/data/definitions/163.html' },
  ],
  kill_chain_phases: [{ kill_chain_name: 'lockheed-martin-cyber-kill-chain', phase_name: 'delivery' }],
}

describe('granular markings', () => {
  it('parses selectors with list indices and rejects malformed ones', () => {
    expect(parseSelector('external_references.[1].url')).toEqual({ ok: true, value: ['external_references', 1, 'url'] })
    expect(parseSelector('a..b').ok).toBe(false)
    expect(parseSelector('[0].x').ok).toBe(false)
    expect(parseSelector('a.[x]').ok).toBe(false)
    expect(parseSelector('x'.repeat(GRANULAR_LIMITS.maxSelectorLength + 1)).ok).toBe(false)
  })
  it('checks every selector against the object, with pointers', () => {
    const o = { ...SPEC_OBJECT, granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['description', 'external_references.[2].url', 'labels'] }] }
    const r = granularRules(o)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.map((i) => i.pointer)).toEqual(['/granular_markings/0/selectors/1', '/granular_markings/0/selectors/2'])
    expect(granularRules({ ...SPEC_OBJECT, granular_markings: [{ selectors: ['description'] }] }).ok).toBe(false)
  })
  it('redacts nested and list-index selectors into a new object and rewrites the remaining selectors', () => {
    const o = {
      ...SPEC_OBJECT,
      granular_markings: [
        { marking_ref: TLP2_IDS.red, selectors: ['external_references.[0]', 'description'] },
        { marking_ref: TLP2_IDS.amber, selectors: ['external_references.[1].url'] },
        { lang: 'en', selectors: ['name'] },
      ],
    }
    const rules = granularRules(o)
    expect(rules.ok).toBe(true)
    if (!rules.ok) return
    const drop = selectorsToRedact(rules.value, (rank) => rank <= 2) // entitled up to AMBER
    expect(drop).toEqual(['external_references.[0]', 'description'])
    const r = redactObject(o, drop)
    expect(r).not.toBeNull()
    expect(r?.['description']).toBeUndefined()
    expect(r?.['external_references']).toEqual([SPEC_OBJECT.external_references[1]])
    expect(r?.['granular_markings']).toEqual([
      { marking_ref: TLP2_IDS.amber, selectors: ['external_references.[0].url'] },
      { lang: 'en', selectors: ['name'] },
    ])
    expect(o.description).toBe('Some description') // input untouched
    expect(validateStixObject(r).ok).toBe(true)
  })
  it('removes lists emptied by redaction, and hides the object when a structural property would go', () => {
    const o = { ...SPEC_OBJECT, granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['kill_chain_phases.[0].phase_name', 'kill_chain_phases.[0].kill_chain_name'] }] }
    const r = redactObject(o, ['kill_chain_phases.[0].phase_name', 'kill_chain_phases.[0].kill_chain_name'])
    expect(r !== null && Object.hasOwn(r, 'kill_chain_phases')).toBe(false)
    expect(r !== null && Object.hasOwn(r, 'granular_markings')).toBe(false)
    expect(validateStixObject(r).ok).toBe(true)
    expect(redactObject(SPEC_OBJECT, ['id'])).toBeNull()
    expect(redactObject(SPEC_OBJECT, ['modified'])).toBeNull()
    expect(redactObject(SPEC_OBJECT, ['nope'])).toBeNull()
  })
})
