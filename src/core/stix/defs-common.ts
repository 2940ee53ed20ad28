/**
 * Definitions shared by every STIX object: the common properties (§3.2), the embedded types
 * external-reference (§2.5), kill-chain-phase (§2.8) and granular-marking (§7.2.3), and the shape
 * of a top-level type definition.
 */
import type { Check, Ctx, ObjectDef } from './check.js'
import { atLeastOne, bool, hashes, int, list, obj, props, ref, str, string, ts, types } from './check.js'

/** The category a type definition validates as (custom types borrow one of these). */
export type DefCategory = 'sdo' | 'sro' | 'sco' | 'meta'

/** A top-level STIX object type, as data. */
export interface TypeDef {
  readonly type: string
  readonly category: DefCategory
  /** Every property STIX defines for the type, common ones included (type/id/spec_version/extensions are checked by the engine). */
  readonly props: ReadonlyMap<string, Check>
  /** Required properties other than type, id and spec_version. */
  readonly required: readonly string[]
  /** Common properties that are "not applicable" to this type: present = error. */
  readonly notApplicable: ReadonlySet<string>
  /** Property names the spec reserves for this type. */
  readonly reserved?: ReadonlySet<string>
  /** Whether spec_version must be present ('2.1'); SCOs may omit it. */
  readonly specVersionRequired: boolean
  /** Cross-property rules. */
  readonly rules?: (o: Record<string, unknown>, ctx: Ctx) => void
}

/** Properties the engine itself checks; present in every table so they are never "custom". */
export const ENGINE_PROPERTIES: readonly string[] = ['type', 'id', 'spec_version', 'extensions']

const noop: Check = () => undefined

const LANG_TAG = /^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$/
/** An RFC 5646 language tag: the shape is checked loosely and only warns. */
export const langTag: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !LANG_TAG.test(v)) ctx.warn(`'${v}' does not look like an RFC 5646 language tag (e.g. en, de-CH)`)
}

/** external-reference (§2.5). */
export const EXTERNAL_REFERENCE: ObjectDef = {
  name: 'external reference',
  props: props({ source_name: str(), description: str(), url: str(), hashes: hashes(true), external_id: str() }),
  required: ['source_name'],
  rules: (o, ctx) => atLeastOne(o, ctx, ['description', 'url', 'external_id'], 'an external reference needs at least one of description, url or external_id besides source_name'),
}

/** kill-chain-phase (§2.8). */
export const KILL_CHAIN_PHASE: ObjectDef = {
  name: 'kill chain phase',
  props: props({ kill_chain_name: str({ nonEmpty: true }), phase_name: str({ nonEmpty: true }) }),
  required: ['kill_chain_name', 'phase_name'],
}

/** granular-marking (§7.2.3): exactly one of lang and marking_ref, plus selectors. */
export const GRANULAR_MARKING: ObjectDef = {
  name: 'granular marking',
  props: props({ lang: langTag, marking_ref: ref(types('marking-definition')), selectors: list(str({ nonEmpty: true })) }),
  required: ['selectors'],
  rules: (o, ctx) => {
    const hasLang = Object.hasOwn(o, 'lang')
    const hasRef = Object.hasOwn(o, 'marking_ref')
    if (hasLang && hasRef) ctx.error('a granular marking has either lang or marking_ref, not both', 'lang')
    else if (!hasLang && !hasRef) ctx.error('a granular marking needs marking_ref or lang')
  },
}

const identityRef = ref(types('identity'))
const markingRefs = list(ref(types('marking-definition')))
const granularMarkings = list(obj(GRANULAR_MARKING))
const externalReferences = list(obj(EXTERNAL_REFERENCE))

/** The common properties of SDOs and SROs (§3.2). */
export const COMMON_SDO_SRO: Readonly<Record<string, Check>> = {
  type: noop,
  id: noop,
  spec_version: noop,
  extensions: noop,
  created_by_ref: identityRef,
  created: ts(true),
  modified: ts(true),
  revoked: bool,
  labels: list(string),
  confidence: int(0, 100),
  lang: langTag,
  external_references: externalReferences,
  object_marking_refs: markingRefs,
  granular_markings: granularMarkings,
}

/** The common properties of SCOs (§3.2, §6). */
export const COMMON_SCO: Readonly<Record<string, Check>> = {
  type: noop,
  id: noop,
  spec_version: noop,
  extensions: noop,
  object_marking_refs: markingRefs,
  granular_markings: granularMarkings,
  defanged: bool,
}

/** Common properties that do not apply to SCOs. */
export const SCO_NOT_APPLICABLE: ReadonlySet<string> = new Set([
  'created_by_ref',
  'created',
  'modified',
  'revoked',
  'labels',
  'confidence',
  'lang',
  'external_references',
])

const SDO_NOT_APPLICABLE: ReadonlySet<string> = new Set(['defanged'])

/** Defines an SDO or SRO type: common properties + the type's own. */
export function sdoDef(
  type: string,
  category: 'sdo' | 'sro',
  own: Record<string, Check>,
  required: readonly string[],
  rules?: (o: Record<string, unknown>, ctx: Ctx) => void,
  reserved?: readonly string[],
): TypeDef {
  return {
    type,
    category,
    props: props({ ...COMMON_SDO_SRO, ...own }),
    required: ['created', 'modified', ...required],
    notApplicable: SDO_NOT_APPLICABLE,
    specVersionRequired: true,
    ...(rules === undefined ? {} : { rules }),
    ...(reserved === undefined ? {} : { reserved: new Set(reserved) }),
  }
}

/** Defines an SCO type: SCO common properties + the type's own. */
export function scoDef(type: string, own: Record<string, Check>, required: readonly string[], rules?: (o: Record<string, unknown>, ctx: Ctx) => void): TypeDef {
  return {
    type,
    category: 'sco',
    props: props({ ...COMMON_SCO, ...own }),
    required,
    notApplicable: SCO_NOT_APPLICABLE,
    specVersionRequired: false,
    ...(rules === undefined ? {} : { rules }),
  }
}
