/**
 * The 19 STIX Domain Objects of STIX 2.1 (§4), as data.
 */
import type { Check, Ctx } from './check.js'
import {
  atLeastOne,
  bool,
  categories,
  clip,
  exclusive,
  int,
  isPlainObject,
  list,
  num,
  obj,
  order,
  ov,
  en,
  ref,
  string,
  ts,
  typeError,
  types,
  walkJson,
} from './check.js'
import type { TypeDef } from './defs-common.js'
import { KILL_CHAIN_PHASE, sdoDef } from './defs-common.js'
import { LIMITS } from '../shared/limits.js'
import { idType, isStixId } from './id.js'
import { stixCategory } from './types.js'

const strings = list(string)
const killChainPhases = list(obj(KILL_CHAIN_PHASE))
const software = ref(types('software'))

/** Anything a report, note, opinion or grouping may point at: every STIX object but a bundle. */
const ANY_OBJECT = categories('a STIX object (not a bundle)', 'sdo', 'sro', 'sco', 'meta', 'custom')
const objectRefs = list(ref(ANY_OBJECT))

/** Whether an identifier names an SCO (or a custom type, which may be one). */
function isScoRef(id: string): boolean {
  const c = stixCategory(idType(id) ?? '')
  return c === 'sco' || c === 'custom'
}

function seen(o: Record<string, unknown>, ctx: Ctx): void {
  order(o, ctx, 'first_seen', 'last_seen', false)
}

const pattern: Check = (v, ctx) => {
  if (typeof v !== 'string') return typeError(ctx, 'a string', v)
  if (v.length === 0) return ctx.error('must not be empty')
  if (v.length > LIMITS.maxPatternLength) ctx.error(`pattern is longer than the limit of ${LIMITS.maxPatternLength} characters`)
}

const COUNTRY = /^[A-Za-z]{2}$/
const country: Check = (v, ctx, depth) => {
  string(v, ctx, depth)
  if (typeof v === 'string' && !COUNTRY.test(v)) ctx.warn(`'${clip(v)}' should be an ISO 3166-1 alpha-2 country code`)
}

/** observed-data `objects` (deprecated): a dictionary of embedded cyber-observables keyed by local id. */
const observedObjects: Check = (v, ctx, depth) => {
  if (!isPlainObject(v)) return typeError(ctx, 'a dictionary of cyber-observable objects', v)
  const keys = Object.keys(v)
  if (keys.length === 0) return ctx.error('must not be an empty dictionary')
  for (const k of keys) {
    const x = v[k]
    ctx.path.push(k)
    if (!isPlainObject(x)) typeError(ctx, 'a cyber-observable object', x)
    else if (typeof x['type'] !== 'string') ctx.error("an embedded cyber-observable needs a string 'type'")
    walkJson(x, ctx, depth + 1, { refs: false })
    ctx.path.pop()
  }
}

/** The STIX 2.1 SDO definitions, keyed by type. */
export const SDO_DEFS: readonly TypeDef[] = [
  sdoDef('attack-pattern', 'sdo', { name: string, description: string, aliases: strings, kill_chain_phases: killChainPhases }, ['name']),
  sdoDef(
    'campaign',
    'sdo',
    { name: string, description: string, aliases: strings, first_seen: ts(), last_seen: ts(), objective: string },
    ['name'],
    seen,
  ),
  sdoDef('course-of-action', 'sdo', { name: string, description: string }, ['name'], undefined, ['action']),
  sdoDef(
    'grouping',
    'sdo',
    { name: string, description: string, context: ov('grouping-context-ov'), object_refs: objectRefs },
    ['context', 'object_refs'],
  ),
  sdoDef(
    'identity',
    'sdo',
    {
      name: string,
      description: string,
      roles: strings,
      identity_class: ov('identity-class-ov'),
      sectors: list(ov('industry-sector-ov')),
      contact_information: string,
    },
    ['name'],
  ),
  sdoDef('incident', 'sdo', { name: string, description: string, kill_chain_phases: killChainPhases }, ['name']),
  sdoDef(
    'indicator',
    'sdo',
    {
      name: string,
      description: string,
      indicator_types: list(ov('indicator-type-ov')),
      pattern,
      pattern_type: ov('pattern-type-ov'),
      pattern_version: string,
      valid_from: ts(),
      valid_until: ts(),
      kill_chain_phases: killChainPhases,
    },
    ['pattern', 'pattern_type', 'valid_from'],
    (o, ctx) => order(o, ctx, 'valid_from', 'valid_until', true),
  ),
  sdoDef(
    'infrastructure',
    'sdo',
    {
      name: string,
      description: string,
      infrastructure_types: list(ov('infrastructure-type-ov')),
      aliases: strings,
      kill_chain_phases: killChainPhases,
      first_seen: ts(),
      last_seen: ts(),
    },
    ['name'],
    seen,
  ),
  sdoDef(
    'intrusion-set',
    'sdo',
    {
      name: string,
      description: string,
      aliases: strings,
      first_seen: ts(),
      last_seen: ts(),
      goals: strings,
      resource_level: ov('attack-resource-level-ov'),
      primary_motivation: ov('attack-motivation-ov'),
      secondary_motivations: list(ov('attack-motivation-ov')),
    },
    ['name'],
    seen,
  ),
  sdoDef(
    'location',
    'sdo',
    {
      name: string,
      description: string,
      latitude: num(-90, 90),
      longitude: num(-180, 180),
      precision: num(0),
      region: ov('region-ov'),
      country,
      administrative_area: string,
      city: string,
      street_address: string,
      postal_code: string,
    },
    [],
    (o, ctx) => {
      const lat = Object.hasOwn(o, 'latitude')
      const lon = Object.hasOwn(o, 'longitude')
      if (lat && !lon) ctx.error('latitude requires longitude', 'latitude')
      if (lon && !lat) ctx.error('longitude requires latitude', 'longitude')
      if (Object.hasOwn(o, 'precision') && !(lat && lon)) ctx.error('precision requires latitude and longitude', 'precision')
      if (!Object.hasOwn(o, 'region') && !Object.hasOwn(o, 'country') && !(lat && lon)) {
        ctx.error('a location needs region, country, or latitude and longitude')
      }
    },
  ),
  sdoDef(
    'malware',
    'sdo',
    {
      name: string,
      description: string,
      malware_types: list(ov('malware-type-ov')),
      is_family: bool,
      aliases: strings,
      kill_chain_phases: killChainPhases,
      first_seen: ts(),
      last_seen: ts(),
      operating_system_refs: list(software),
      architecture_execution_envs: list(ov('processor-architecture-ov')),
      implementation_languages: list(ov('implementation-language-ov')),
      capabilities: list(ov('malware-capabilities-ov')),
      sample_refs: list(ref(types('file', 'artifact'))),
    },
    ['is_family'],
    (o, ctx) => {
      seen(o, ctx)
      if (o['is_family'] === true && !Object.hasOwn(o, 'name')) ctx.error("'name' is required when is_family is true", 'name')
    },
  ),
  sdoDef(
    'malware-analysis',
    'sdo',
    {
      product: string,
      version: string,
      host_vm_ref: software,
      operating_system_ref: software,
      installed_software_refs: list(software),
      configuration_version: string,
      modules: strings,
      analysis_engine_version: string,
      analysis_definition_version: string,
      submitted: ts(),
      analysis_started: ts(),
      analysis_ended: ts(),
      result_name: string,
      result: ov('malware-av-result-ov'),
      analysis_sco_refs: list(ref(categories('an SCO', 'sco', 'custom'))),
      sample_ref: ref(types('file', 'network-traffic', 'artifact')),
    },
    ['product'],
    (o, ctx) => atLeastOne(o, ctx, ['result', 'analysis_sco_refs'], 'a malware analysis needs result or analysis_sco_refs'),
  ),
  sdoDef('note', 'sdo', { abstract: string, content: string, authors: strings, object_refs: objectRefs }, ['content', 'object_refs']),
  sdoDef(
    'observed-data',
    'sdo',
    {
      first_observed: ts(),
      last_observed: ts(),
      number_observed: int(1, 999_999_999),
      objects: observedObjects,
      object_refs: list(ref(categories('an SCO or SRO', 'sco', 'sro', 'custom'))),
    },
    ['first_observed', 'last_observed', 'number_observed'],
    (o, ctx) => {
      order(o, ctx, 'first_observed', 'last_observed', false)
      exclusive(o, ctx, 'object_refs', 'objects')
      if (!Object.hasOwn(o, 'object_refs') && !Object.hasOwn(o, 'objects')) ctx.warn('observed-data without object_refs (or the deprecated objects) records no observation')
      if (Object.hasOwn(o, 'objects')) ctx.warn("'objects' is deprecated in STIX 2.1; use object_refs to SCOs", 'objects')
      const refs = o['object_refs']
      if (Array.isArray(refs) && refs.length > 0 && refs.every((r) => isStixId(r as string)) && !refs.some((r) => isScoRef(r as string))) {
        ctx.error('object_refs must contain at least one reference to a cyber-observable (SCO)', 'object_refs')
      }
    },
  ),
  sdoDef(
    'opinion',
    'sdo',
    { explanation: string, authors: strings, opinion: en('opinion-enum'), object_refs: objectRefs },
    ['opinion', 'object_refs'],
  ),
  sdoDef(
    'report',
    'sdo',
    { name: string, description: string, report_types: list(ov('report-type-ov')), published: ts(), object_refs: objectRefs },
    ['name', 'published', 'object_refs'],
  ),
  sdoDef(
    'threat-actor',
    'sdo',
    {
      name: string,
      description: string,
      threat_actor_types: list(ov('threat-actor-type-ov')),
      aliases: strings,
      first_seen: ts(),
      last_seen: ts(),
      roles: list(ov('threat-actor-role-ov')),
      goals: strings,
      sophistication: ov('threat-actor-sophistication-ov'),
      resource_level: ov('attack-resource-level-ov'),
      primary_motivation: ov('attack-motivation-ov'),
      secondary_motivations: list(ov('attack-motivation-ov')),
      personal_motivations: list(ov('attack-motivation-ov')),
    },
    ['name'],
    seen,
  ),
  sdoDef(
    'tool',
    'sdo',
    {
      name: string,
      description: string,
      tool_types: list(ov('tool-type-ov')),
      aliases: strings,
      kill_chain_phases: killChainPhases,
      tool_version: string,
    },
    ['name'],
  ),
  sdoDef('vulnerability', 'sdo', { name: string, description: string }, ['name']),
]
