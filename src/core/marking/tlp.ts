/**
 * TLP 2.0 (FIRST, August 2022) as STIX 2.1 marking definitions, and the TLP 1.0 definitions of STIX
 * 2.1 §7.2.1.4 mapped onto it (white → CLEAR, green → GREEN, amber → AMBER, red → RED).
 *
 * The five TLP 2.0 objects are the ones OASIS publishes in cti-stix-common-objects (extension
 * definition `extension-definition--60a3c5c5-…`), byte for byte in content; a test compares them
 * with ../shared/data/stix-samples/oasis-common-objects-tlp2/. OpenCTI writes TLP as
 * `definition_type: 'TLP'`, `definition: 'TLP:AMBER+STRICT'` under a UUIDv5 id: those are recognised too.
 */
import { uuidv5 } from '../stix/id.js'
import { canonicalize } from '../stix/canonical.js'
import { TLP1_MARKINGS, TLP2_EXTENSION_ID, TLP2_MARKINGS } from '../stix/defs-meta.js'

/** The TLP 2.0 levels, least restrictive first. */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const
export type TlpLevel = (typeof TLP_LEVELS)[number]
/** A TLP level as a number: 0 = CLEAR … 4 = RED. Higher is more restrictive; storage filters compare these. */
export type TlpRank = 0 | 1 | 2 | 3 | 4

/** The most restrictive rank (RED): what an unknown or unresolvable marking counts as. */
export const TLP_MAX_RANK: TlpRank = 4

/** The rank of a level. */
export function tlpRank(level: TlpLevel): TlpRank {
  return TLP_LEVELS.indexOf(level) as TlpRank
}

/** The level of a rank. */
export function tlpLevel(rank: TlpRank): TlpLevel {
  return TLP_LEVELS[rank] as TlpLevel
}

/** True when `s` names a TLP 2.0 level (lower case, as in the OASIS extension: `amber+strict`). */
export function isTlpLevel(s: unknown): s is TlpLevel {
  return typeof s === 'string' && (TLP_LEVELS as readonly string[]).includes(s)
}

/** The label as FIRST writes it: `TLP:AMBER+STRICT`. */
export function tlpLabel(level: TlpLevel): string {
  return `TLP:${level.toUpperCase()}`
}

/** A STIX 2.1 marking-definition object (the subset of properties policy reads). */
export interface MarkingDefinition {
  readonly type: 'marking-definition'
  readonly spec_version: '2.1'
  readonly id: string
  readonly created: string
  readonly name?: string
  readonly definition_type?: string
  readonly definition?: Readonly<Record<string, unknown>> | string
  readonly extensions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

export { TLP2_EXTENSION_ID }

const TLP2_CREATED = '2022-10-01T00:00:00.000Z'

function tlp2(id: string, level: TlpLevel): MarkingDefinition {
  return Object.freeze({
    type: 'marking-definition',
    spec_version: '2.1',
    id,
    created: TLP2_CREATED,
    name: tlpLabel(level),
    extensions: Object.freeze({ [TLP2_EXTENSION_ID]: Object.freeze({ extension_type: 'property-extension', tlp_2_0: level }) }),
  } as const)
}

/** The TLP 2.0 extension definition object OASIS publishes (created by CISA's identity). */
export const TLP2_EXTENSION_DEFINITION = Object.freeze({
  id: TLP2_EXTENSION_ID,
  type: 'extension-definition',
  spec_version: '2.1',
  name: 'TLP 2.0',
  description: 'This defines TLP 2.0 as a STIX extension',
  created: '2022-10-01T00:00:00.000Z',
  modified: '2022-10-01T00:00:00.000Z',
  created_by_ref: 'identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01',
  schema: 'https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/tlp-2.0',
  version: '1.0.0',
  extension_types: Object.freeze(['property-extension']),
})

/** The official TLP 2.0 marking-definition ids. */
export const TLP2_IDS: Readonly<Record<TlpLevel, string>> = Object.freeze({
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
})

/** The five official TLP 2.0 marking-definition objects, least restrictive first. */
export const TLP2_DEFINITIONS: readonly MarkingDefinition[] = Object.freeze(TLP_LEVELS.map((l) => tlp2(TLP2_IDS[l], l)))

/** The TLP 1.0 marking definitions fixed by STIX 2.1 §7.2.1.4, as the specification prints them. */
export const TLP1_DEFINITIONS: readonly MarkingDefinition[] = Object.freeze(
  [...TLP1_MARKINGS].map(([id, level]) =>
    Object.freeze({
      type: 'marking-definition',
      spec_version: '2.1',
      id,
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      name: `TLP:${level.toUpperCase()}`,
      definition: Object.freeze({ tlp: level }),
    } as const),
  ),
)

const TLP1_TO_2: Readonly<Record<string, TlpLevel>> = { white: 'clear', green: 'green', amber: 'amber', red: 'red' }

/** The namespace OpenCTI derives marking-definition ids in (UUIDv5 over RFC 8785 `{definition, definition_type}`). */
export const OPENCTI_ID_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7'

/** The id OpenCTI (pycti `MarkingDefinition.generate_id`) gives a marking it has no fixed id for. */
export function openCtiMarkingId(definitionType: string, definition: string): string {
  return `marking-definition--${uuidv5(OPENCTI_ID_NAMESPACE, canonicalize({ definition, definition_type: definitionType }))}`
}

/**
 * OpenCTI's TLP:AMBER+STRICT id (it uses the STIX TLP 1.0 ids for CLEAR/WHITE, GREEN, AMBER and RED,
 * and a derived id for AMBER+STRICT, which TLP 1.0 lacks).
 */
export const OPENCTI_AMBER_STRICT_ID = openCtiMarkingId('TLP', 'TLP:AMBER+STRICT')

/** Every marking id whose TLP level is known without looking the definition up. */
export const KNOWN_TLP_IDS: ReadonlyMap<string, TlpLevel> = new Map<string, TlpLevel>([
  ...[...TLP2_MARKINGS].map(([id, level]) => [id, level as TlpLevel] as const),
  ...[...TLP1_MARKINGS].map(([id, level]) => [id, TLP1_TO_2[level] as TlpLevel] as const),
  [OPENCTI_AMBER_STRICT_ID, 'amber+strict'],
])

/** The TLP 1.0 level a TLP 2.0 level is written as for a TLP 1.0-only consumer (AMBER+STRICT has no 1.0 form: AMBER would widen it, so RED). */
export function tlp1Fallback(level: TlpLevel): 'white' | 'green' | 'amber' | 'red' {
  switch (level) {
    case 'clear':
      return 'white'
    case 'green':
      return 'green'
    case 'amber':
      return 'amber'
    case 'amber+strict':
    case 'red':
      return 'red'
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * What a marking-definition object says about TLP: a level, `'none'` when it is a marking of
 * another kind (a statement, PAP), or `'unknown'` when it claims to be TLP but is not one we can read
 * (which callers treat as RED). Reads the TLP 2.0 extension, STIX `definition_type: 'tlp'`, and
 * OpenCTI's `definition_type: 'TLP'` with `definition: 'TLP:…'`.
 */
export function tlpOfDefinition(def: unknown): TlpLevel | 'none' | 'unknown' {
  if (!isObj(def) || def['type'] !== 'marking-definition') return 'unknown'
  const id = def['id']
  if (typeof id === 'string') {
    const known = KNOWN_TLP_IDS.get(id)
    if (known !== undefined) return known
  }
  const ext = def['extensions']
  if (isObj(ext) && Object.hasOwn(ext, TLP2_EXTENSION_ID)) {
    const e = ext[TLP2_EXTENSION_ID]
    const level = isObj(e) ? e['tlp_2_0'] : undefined
    return isTlpLevel(level) ? level : 'unknown'
  }
  const dt = def['definition_type']
  const d = def['definition']
  if (typeof dt === 'string' && dt.toLowerCase() === 'tlp') {
    // STIX 1.0 form {"tlp": "amber"} with a non-standard id, or OpenCTI's "TLP:AMBER+STRICT".
    const raw = isObj(d) ? d['tlp'] : d
    if (typeof raw !== 'string') return 'unknown'
    const v = raw.toLowerCase().replace(/^tlp:/, '')
    if (isTlpLevel(v)) return v
    const mapped = TLP1_TO_2[v]
    return mapped ?? 'unknown'
  }
  // A name that claims TLP without a readable definition must not pass as harmless.
  const name = def['name']
  if (typeof name === 'string' && /^\s*tlp\s*:/i.test(name)) return 'unknown'
  return 'none'
}
