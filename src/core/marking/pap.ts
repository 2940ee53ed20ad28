/**
 * PAP, the Permissible Actions Protocol (MISP taxonomy `PAP`, ../shared/data/misp/taxonomies/PAP):
 * what a recipient may *do* with information (TLP says who may *see* it).
 *
 * Entente writes PAP as the OASIS marking definitions of cti-stix-common-objects
 * (`extension-definition--f8d78575-…`, property `pap`), and reads three encodings, so MISP and
 * OpenCTI content keeps its meaning:
 * - the OASIS definitions (ids below; PAP:WHITE is the older name of PAP:CLEAR);
 * - OpenCTI's `definition_type: 'PAP'`, `definition: 'PAP:AMBER'` (ids derived with UUIDv5, see
 *   {@link openCtiMarkingId}), which is also what OpenCTI's MISP connector produces from MISP tags;
 * - MISP tags `PAP:AMBER` (machine tags of the taxonomy), e.g. in labels, with {@link papOfTag}.
 *
 * PAP does not change who may read an object; it travels with the object and is shown to readers.
 */
import { openCtiMarkingId, type MarkingDefinition } from './tlp.js'

export const PAP_LEVELS = ['clear', 'green', 'amber', 'red'] as const
export type PapLevel = (typeof PAP_LEVELS)[number]

/** The OASIS PAP extension definition id. */
export const PAP_EXTENSION_ID = 'extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b'

/** The OASIS PAP marking-definition ids (cti-stix-common-objects, pap-marking-definition-f8d). */
export const PAP_IDS: Readonly<Record<PapLevel | 'white', string>> = Object.freeze({
  clear: 'marking-definition--ad15a0cd-55b6-4588-a14c-a66105329b92',
  white: 'marking-definition--a3bea94c-b469-41dc-9cfe-d6e7daba7730',
  green: 'marking-definition--c43594d1-4b11-4c59-93ab-1c9b14d53ce9',
  amber: 'marking-definition--60f8932b-e51e-4458-b265-a2e8be9a80ab',
  red: 'marking-definition--740d36e5-7714-4c30-961a-3ae632ceee0e',
})

const CREATED: Readonly<Record<PapLevel | 'white', string>> = {
  clear: '2022-10-01T00:00:00.000Z',
  white: '2022-10-01T00:00:00.000Z',
  green: '2022-10-09T00:00:00.000Z',
  amber: '2022-10-02T00:00:00.000Z',
  red: '2022-10-06T00:00:00.000Z',
}

function pap(level: PapLevel | 'white'): MarkingDefinition {
  return Object.freeze({
    type: 'marking-definition',
    spec_version: '2.1',
    id: PAP_IDS[level],
    created: CREATED[level],
    name: `PAP:${level.toUpperCase()}`,
    extensions: Object.freeze({ [PAP_EXTENSION_ID]: Object.freeze({ extension_type: 'property-extension', pap: level }) }),
  } as const)
}

/** The OASIS PAP marking definitions Entente writes (CLEAR, GREEN, AMBER, RED), least restrictive first. */
export const PAP_DEFINITIONS: readonly MarkingDefinition[] = Object.freeze(PAP_LEVELS.map(pap))
/** The legacy PAP:WHITE definition (read as CLEAR). */
export const PAP_WHITE_DEFINITION: MarkingDefinition = pap('white')

/** Every PAP marking id Entente recognises without the definition: OASIS ids and OpenCTI's derived ids. */
export const KNOWN_PAP_IDS: ReadonlyMap<string, PapLevel> = new Map<string, PapLevel>([
  ...PAP_LEVELS.map((l) => [PAP_IDS[l], l] as const),
  [PAP_IDS.white, 'clear'],
  ...PAP_LEVELS.map((l) => [openCtiMarkingId('PAP', `PAP:${l.toUpperCase()}`), l] as const),
  [openCtiMarkingId('PAP', 'PAP:WHITE'), 'clear'],
])

function papWord(s: unknown): PapLevel | undefined {
  if (typeof s !== 'string') return undefined
  const v = s.trim().toLowerCase().replace(/^pap:/, '')
  if (v === 'white') return 'clear'
  return (PAP_LEVELS as readonly string[]).includes(v) ? (v as PapLevel) : undefined
}

/** The PAP level of a MISP tag (`PAP:AMBER`, `pap:amber`, `PAP:WHITE` → clear), or undefined. */
export function papOfTag(tag: string): PapLevel | undefined {
  return /^\s*pap:/i.test(tag) ? papWord(tag) : undefined
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The PAP level a marking-definition object states, or undefined when it is not a PAP marking. */
export function papOfDefinition(def: unknown): PapLevel | undefined {
  if (!isObj(def) || def['type'] !== 'marking-definition') return undefined
  const id = def['id']
  if (typeof id === 'string' && KNOWN_PAP_IDS.has(id)) return KNOWN_PAP_IDS.get(id)
  const ext = def['extensions']
  if (isObj(ext) && isObj(ext[PAP_EXTENSION_ID])) return papWord(ext[PAP_EXTENSION_ID]['pap'])
  const dt = def['definition_type']
  if (typeof dt === 'string' && dt.toLowerCase() === 'pap') {
    const d = def['definition']
    return papWord(isObj(d) ? d['pap'] : d)
  }
  return undefined
}
