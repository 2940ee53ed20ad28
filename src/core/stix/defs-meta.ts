/**
 * The STIX Relationship Objects (§5) and STIX Meta Objects (§7: language content, marking
 * definitions with TLP and statement markings, extension definitions), as data.
 */
import type { Check, Ctx } from './check.js'
import {
  anyJson,
  bool,
  categories,
  clip,
  dict,
  en,
  int,
  isPlainObject,
  list,
  order,
  props,
  ref,
  string,
  ts,
  typeError,
  types,
} from './check.js'
import type { TypeDef } from './defs-common.js'
import { COMMON_SDO_SRO, sdoDef } from './defs-common.js'

/** The four TLP 1.0 marking definitions STIX 2.1 fixes (§7.2.1.4): id → level. */
export const TLP1_MARKINGS: ReadonlyMap<string, string> = new Map([
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'white'],
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
])

/** The TLP 2.0 extension definition published by OASIS (cti-stix-common-objects). */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'

/** The five TLP 2.0 marking definitions published by OASIS: id → `tlp_2_0` value. */
export const TLP2_MARKINGS: ReadonlyMap<string, string> = new Map([
  ['marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', 'clear'],
  ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'green'],
  ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'amber'],
  ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 'amber+strict'],
  ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', 'red'],
])

const TLP2_LEVELS: ReadonlySet<string> = new Set(TLP2_MARKINGS.values())

/** Relationship endpoints: SDOs and SCOs (custom types included), never SROs, meta objects or bundles. */
const ENDPOINT = categories('an SDO or SCO (not a relationship, sighting, meta object or bundle)', 'sdo', 'sco', 'custom')
const RELATIONSHIP_TYPE = /^[a-z0-9-]+$/

const relationshipType: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !RELATIONSHIP_TYPE.test(v)) ctx.error(`relationship types are limited to lower-case a-z, 0-9 and hyphen, got '${clip(v)}'`)
}

/** language-content `contents`: language tag → object of translated properties. */
const contents: Check = dict((v, ctx, depth) => {
  if (!isPlainObject(v)) return typeError(ctx, 'an object of translated properties', v)
  if (Object.keys(v).length === 0) return ctx.error('must not be empty')
  anyJson(v, ctx, depth)
})

function markingRules(o: Record<string, unknown>, ctx: Ctx): void {
  const id = o['id']
  const hasExt = Object.hasOwn(o, 'extensions')
  const dt = o['definition_type']
  const def = o['definition']
  if (!hasExt) {
    if (!Object.hasOwn(o, 'definition_type')) ctx.error("required property 'definition_type' is missing (a marking definition without extensions needs definition_type and definition)", 'definition_type')
    if (!Object.hasOwn(o, 'definition')) ctx.error("required property 'definition' is missing (a marking definition without extensions needs definition_type and definition)", 'definition')
  }
  if (Object.hasOwn(o, 'definition') && !Object.hasOwn(o, 'definition_type') && hasExt) ctx.error('definition requires definition_type', 'definition')
  const tlp1 = typeof id === 'string' ? TLP1_MARKINGS.get(id) : undefined
  if (tlp1 !== undefined && dt !== 'tlp') ctx.error(`the standard TLP:${tlp1.toUpperCase()} marking must have definition_type 'tlp'`, 'definition_type')
  if (dt === 'statement') {
    if (isPlainObject(def)) {
      if (!Object.hasOwn(def, 'statement')) ctx.error("a statement marking needs 'statement'", 'definition')
      else if (typeof def['statement'] !== 'string') {
        ctx.path.push('definition', 'statement')
        typeError(ctx, 'a string', def['statement'])
        ctx.path.length -= 2
      }
      for (const k of Object.keys(def)) if (k !== 'statement') ctx.warn(`'${clip(k)}' is not a property of a statement marking`, 'definition')
    } else if (def !== undefined) {
      ctx.path.push('definition')
      typeError(ctx, 'an object like {"statement": "..."}', def)
      ctx.path.pop()
    }
  } else if (dt === 'tlp') {
    const level = isPlainObject(def) ? def['tlp'] : undefined
    if (!isPlainObject(def)) {
      ctx.path.push('definition')
      typeError(ctx, 'an object like {"tlp": "green"}', def)
      ctx.path.pop()
    } else if (typeof level !== 'string' || !['white', 'green', 'amber', 'red'].includes(level)) {
      ctx.path.push('definition')
      ctx.error('must be one of white, green, amber, red', 'tlp')
      ctx.path.pop()
    } else if (tlp1 === undefined) {
      ctx.error('TLP 1.0 markings must use the standard marking-definition ids of STIX 2.1 §7.2.1.4', 'id')
    } else if (tlp1 !== level) {
      ctx.error(`this is the standard TLP:${tlp1.toUpperCase()} marking id but its definition says ${level}`, 'definition')
    }
  } else if (typeof dt === 'string') {
    if (tlp1 === undefined) ctx.warn(`definition_type '${clip(dt)}' is not statement or tlp; new marking types should use an extension definition`, 'definition_type')
    if (def !== undefined && !isPlainObject(def)) {
      ctx.path.push('definition')
      typeError(ctx, 'an object', def)
      ctx.path.pop()
    }
  }
  // The OASIS TLP 2.0 markings: the extension's level must match the well-known id.
  const ext = o['extensions']
  if (isPlainObject(ext)) {
    const tlp2 = ext[TLP2_EXTENSION_ID]
    if (isPlainObject(tlp2)) {
      const level = tlp2['tlp_2_0']
      ctx.path.push('extensions')
      ctx.path.push(TLP2_EXTENSION_ID)
      if (typeof level !== 'string' || !TLP2_LEVELS.has(level)) ctx.error('must be one of clear, green, amber, amber+strict, red', 'tlp_2_0')
      else {
        const expected = typeof id === 'string' ? TLP2_MARKINGS.get(id) : undefined
        if (expected !== undefined && expected !== level) ctx.error(`this is the standard TLP:${expected.toUpperCase()} marking id but the extension says ${level}`, 'tlp_2_0')
      }
      ctx.path.pop()
      ctx.path.pop()
    }
  }
}

function extensionDefinitionRules(o: Record<string, unknown>, ctx: Ctx): void {
  const kinds = o['extension_types']
  if (Object.hasOwn(o, 'extension_properties') && !(Array.isArray(kinds) && kinds.includes('toplevel-property-extension'))) {
    ctx.error("extension_properties is only allowed when extension_types contains 'toplevel-property-extension'", 'extension_properties')
  }
}

const identity = ref(types('identity'))
const markingRefs = COMMON_SDO_SRO['object_marking_refs'] as Check
const granularMarkings = COMMON_SDO_SRO['granular_markings'] as Check
const externalReferences = COMMON_SDO_SRO['external_references'] as Check
const noop: Check = () => undefined

/** The SRO and meta object definitions. */
export const SRO_META_DEFS: readonly TypeDef[] = [
  sdoDef(
    'relationship',
    'sro',
    { relationship_type: relationshipType, description: string, source_ref: ref(ENDPOINT), target_ref: ref(ENDPOINT), start_time: ts(), stop_time: ts() },
    ['relationship_type', 'source_ref', 'target_ref'],
    (o, ctx) => order(o, ctx, 'start_time', 'stop_time', true),
  ),
  sdoDef(
    'sighting',
    'sro',
    {
      description: string,
      first_seen: ts(),
      last_seen: ts(),
      count: int(0, 999_999_999),
      sighting_of_ref: ref(categories('an SDO', 'sdo', 'custom')),
      observed_data_refs: list(ref(types('observed-data'))),
      where_sighted_refs: list(ref(types('identity', 'location'))),
      summary: bool,
    },
    ['sighting_of_ref'],
    (o, ctx) => order(o, ctx, 'first_seen', 'last_seen', false),
  ),
  {
    type: 'language-content',
    category: 'meta',
    props: props({
      ...COMMON_SDO_SRO,
      object_ref: ref(categories('a STIX object (not a bundle)', 'sdo', 'sro', 'sco', 'meta', 'custom')),
      object_modified: ts(true),
      contents,
    }),
    required: ['created', 'modified', 'object_ref', 'contents'],
    notApplicable: new Set(['lang', 'defanged']),
    specVersionRequired: true,
  },
  {
    type: 'marking-definition',
    category: 'meta',
    props: props({
      type: noop,
      id: noop,
      spec_version: noop,
      extensions: noop,
      created_by_ref: identity,
      created: ts(true),
      external_references: externalReferences,
      object_marking_refs: markingRefs,
      granular_markings: granularMarkings,
      name: string,
      definition_type: string,
      definition: anyJson, // size limits here; the shape is checked by the rules, which know definition_type
    }),
    required: ['created'],
    notApplicable: new Set(['modified', 'revoked', 'labels', 'confidence', 'lang', 'defanged']),
    specVersionRequired: true,
    rules: markingRules,
  },
  {
    type: 'extension-definition',
    category: 'meta',
    props: props({
      ...COMMON_SDO_SRO,
      name: string,
      description: string,
      schema: string,
      version: string,
      extension_types: list(en('extension-type-enum')),
      extension_properties: list(string),
    }),
    required: ['created', 'modified', 'created_by_ref', 'name', 'schema', 'version', 'extension_types'],
    notApplicable: new Set(['confidence', 'lang', 'extensions', 'defanged']),
    specVersionRequired: true,
    rules: extensionDefinitionRules,
  },
]
