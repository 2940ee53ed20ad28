/**
 * The STIX 2.1 object types, as data (spec §4 SDOs, §5 SROs, §6 SCOs, §7 meta objects, §8 bundle).
 */

/** The 19 STIX Domain Object types of STIX 2.1 (§4). */
export const SDO_TYPES: readonly string[] = Object.freeze([
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'observed-data',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
])

/** The two STIX Relationship Object types (§5). */
export const SRO_TYPES: readonly string[] = Object.freeze(['relationship', 'sighting'])

/** The 18 STIX Cyber-observable Object types (§6). */
export const SCO_TYPES: readonly string[] = Object.freeze([
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
])

/** The STIX Meta Object types (§7): language content, marking definition, extension definition. */
export const META_TYPES: readonly string[] = Object.freeze(['language-content', 'marking-definition', 'extension-definition'])

/** What kind of thing a STIX type name denotes. */
export type StixCategory = 'sdo' | 'sro' | 'sco' | 'meta' | 'bundle' | 'custom'

const CATEGORY = new Map<string, StixCategory>([
  ...SDO_TYPES.map((t): [string, StixCategory] => [t, 'sdo']),
  ...SRO_TYPES.map((t): [string, StixCategory] => [t, 'sro']),
  ...SCO_TYPES.map((t): [string, StixCategory] => [t, 'sco']),
  ...META_TYPES.map((t): [string, StixCategory] => [t, 'meta']),
  ['bundle', 'bundle'],
])

/**
 * The category of a STIX type name: one of the spec's SDO/SRO/SCO/meta types, 'bundle', or
 * 'custom' for anything else (custom objects such as `x-mitre-tactic`, or types defined by an
 * extension definition).
 */
export function stixCategory(type: string): StixCategory {
  return CATEGORY.get(type) ?? 'custom'
}

const TYPE_NAME = /^[a-z0-9-]{3,250}$/

/**
 * Whether a string is a well-formed STIX type name (§3.1 / §11.2): 3–250 characters of a–z, 0–9
 * and '-', without '--' (which separates the type from the UUID in identifiers).
 */
export function isValidTypeName(t: string): boolean {
  return typeof t === 'string' && TYPE_NAME.test(t) && !t.includes('--')
}

/**
 * The predefined SCO extensions (§6 "Predefined Cyber-observable Object Extensions") and the SCO
 * type each one belongs to.
 */
export const PREDEFINED_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ['archive-ext', 'file'],
  ['ntfs-ext', 'file'],
  ['pdf-ext', 'file'],
  ['raster-image-ext', 'file'],
  ['windows-pebinary-ext', 'file'],
  ['http-request-ext', 'network-traffic'],
  ['icmp-ext', 'network-traffic'],
  ['socket-ext', 'network-traffic'],
  ['tcp-ext', 'network-traffic'],
  ['windows-process-ext', 'process'],
  ['windows-service-ext', 'process'],
  ['unix-account-ext', 'user-account'],
])
