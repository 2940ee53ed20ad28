/**
 * One small, valid and realistic STIX 2.1 object of every type (SDOs, SROs, SCOs, meta objects),
 * as factories returning fresh copies. Used by the validator tests; also handy as templates for
 * forms, documentation and TAXII tests. Every example validates with no errors and no warnings.
 */
import { deterministicScoId } from './id.js'

type Obj = Record<string, unknown>

/** A fixed UUIDv4 whose last two hex digits are `n`. */
export const uuid = (n: number): string => `8e2e2d2b-17d4-4cbf-938f-98ee46b3cd${n.toString(16).padStart(2, '0')}`
/** A STIX id of a type. */
export const sid = (type: string, n = 1): string => `${type}--${uuid(n)}`

/** Fixed timestamps used by the examples. */
export const T0 = '2026-01-02T03:04:05.000Z'
export const T1 = '2026-01-03T03:04:05.000Z'

const sdoBase = (type: string): Obj => ({ type, spec_version: '2.1', id: sid(type), created: T0, modified: T0 })

/** An SCO with its deterministic id (§2.9) when it has one, else a fixed v4 id. */
export function sco(o: Obj): Obj {
  const type = o['type'] as string
  return { spec_version: '2.1', ...o, id: deterministicScoId(o) ?? sid(type, 7) }
}

/** One valid, realistic object per STIX 2.1 type, keyed by type. */
export const STIX_EXAMPLES: Readonly<Record<string, () => Obj>> = {
  'attack-pattern': () => ({ ...sdoBase('attack-pattern'), name: 'Spearphishing Attachment', kill_chain_phases: [{ kill_chain_name: 'mitre-attack', phase_name: 'initial-access' }] }),
  campaign: () => ({ ...sdoBase('campaign'), name: 'Ballot Box', first_seen: '2026-01-01T00:00:00Z', last_seen: '2026-01-02T00:00:00Z' }),
  'course-of-action': () => ({ ...sdoBase('course-of-action'), name: 'Block domain', description: 'Sinkhole it.' }),
  grouping: () => ({ ...sdoBase('grouping'), context: 'suspicious-activity', object_refs: [sid('indicator')] }),
  identity: () => ({ ...sdoBase('identity'), name: 'Election Authority', identity_class: 'organization', sectors: ['government-national'] }),
  incident: () => ({ ...sdoBase('incident'), name: 'Voter registry defacement' }),
  indicator: () => ({
    ...sdoBase('indicator'),
    created_by_ref: sid('identity'),
    name: 'Phishing domain',
    indicator_types: ['malicious-activity'],
    pattern: "[domain-name:value = 'vote-update.example']",
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: '2026-01-02T03:04:05Z',
    labels: ['phishing'],
    confidence: 80,
    object_marking_refs: ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb'],
    external_references: [{ source_name: 'cert', url: 'https://cert.example/advisory/1' }],
  }),
  infrastructure: () => ({ ...sdoBase('infrastructure'), name: 'C2 server', infrastructure_types: ['command-and-control'] }),
  'intrusion-set': () => ({ ...sdoBase('intrusion-set'), name: 'APT28', aliases: ['Sofacy'], primary_motivation: 'ideology' }),
  location: () => ({ ...sdoBase('location'), region: 'northern-europe', country: 'EE' }),
  malware: () => ({ ...sdoBase('malware'), name: 'X-Agent', is_family: true, malware_types: ['backdoor'] }),
  'malware-analysis': () => ({ ...sdoBase('malware-analysis'), product: 'sandbox', result: 'malicious', sample_ref: sid('file') }),
  note: () => ({ ...sdoBase('note'), content: 'Seen in two counties.', object_refs: [sid('indicator')] }),
  'observed-data': () => ({ ...sdoBase('observed-data'), first_observed: T0, last_observed: T1, number_observed: 3, object_refs: [sid('ipv4-addr')] }),
  opinion: () => ({ ...sdoBase('opinion'), opinion: 'agree', object_refs: [sid('report')] }),
  report: () => ({ ...sdoBase('report'), name: 'Weekly report', published: T1, report_types: ['threat-report'], object_refs: [sid('indicator')] }),
  'threat-actor': () => ({ ...sdoBase('threat-actor'), name: 'Troll farm', threat_actor_types: ['nation-state'], sophistication: 'advanced' }),
  tool: () => ({ ...sdoBase('tool'), name: 'Mimikatz', tool_types: ['credential-exploitation'] }),
  vulnerability: () => ({ ...sdoBase('vulnerability'), name: 'CVE-2026-0001', external_references: [{ source_name: 'cve', external_id: 'CVE-2026-0001' }] }),
  relationship: () => ({ ...sdoBase('relationship'), relationship_type: 'indicates', source_ref: sid('indicator'), target_ref: sid('malware') }),
  sighting: () => ({
    ...sdoBase('sighting'),
    sighting_of_ref: sid('indicator'),
    where_sighted_refs: [sid('identity'), sid('location')],
    observed_data_refs: [sid('observed-data')],
    count: 3,
    first_seen: T0,
    last_seen: T0,
  }),
  'language-content': () => ({ ...sdoBase('language-content'), object_ref: sid('campaign'), object_modified: T0, contents: { de: { name: 'Wahlurne' } } }),
  'marking-definition': () => ({
    type: 'marking-definition',
    spec_version: '2.1',
    id: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
    created: '2017-01-20T00:00:00.000Z',
    definition_type: 'tlp',
    name: 'TLP:WHITE',
    definition: { tlp: 'white' },
  }),
  'extension-definition': () => ({
    ...sdoBase('extension-definition'),
    created_by_ref: sid('identity'),
    name: 'Entente case',
    schema: 'https://entente.example/schemas/case.json',
    version: '1.0.0',
    extension_types: ['new-sdo'],
  }),
  artifact: () => sco({ type: 'artifact', mime_type: 'text/plain', payload_bin: 'aGVsbG8=' }),
  'autonomous-system': () => sco({ type: 'autonomous-system', number: 15139, name: 'Slime Industries' }),
  directory: () => sco({ type: 'directory', path: 'C:\\Windows\\System32' }),
  'domain-name': () => sco({ type: 'domain-name', value: 'vote-update.example' }),
  'email-addr': () => sco({ type: 'email-addr', value: 'john@example.com', display_name: 'John Doe' }),
  'email-message': () => sco({ type: 'email-message', is_multipart: false, subject: 'Your polling station moved', body: 'Click here' }),
  file: () => sco({ type: 'file', name: 'ballot.pdf', hashes: { 'SHA-256': 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' }, size: 4096 }),
  'ipv4-addr': () => sco({ type: 'ipv4-addr', value: '198.51.100.3' }),
  'ipv6-addr': () => sco({ type: 'ipv6-addr', value: '2001:db8::1' }),
  'mac-addr': () => sco({ type: 'mac-addr', value: 'd2:fb:49:24:37:18' }),
  mutex: () => sco({ type: 'mutex', name: '__CLEANSWEEP__' }),
  'network-traffic': () => sco({ type: 'network-traffic', src_ref: sid('ipv4-addr'), dst_port: 443, protocols: ['ipv4', 'tcp'] }),
  process: () => sco({ type: 'process', pid: 1221, command_line: './gedit-bin --new-window' }),
  software: () => sco({ type: 'software', name: 'Word', vendor: 'Microsoft', version: '2002' }),
  url: () => sco({ type: 'url', value: 'https://vote-update.example/login' }),
  'user-account': () => sco({ type: 'user-account', user_id: '1001', account_login: 'jdoe', account_type: 'unix' }),
  'windows-registry-key': () => sco({ type: 'windows-registry-key', key: 'HKEY_LOCAL_MACHINE\\System\\Foo', values: [{ name: 'Foo', data: 'qwerty', data_type: 'REG_SZ' }] }),
  'x509-certificate': () => sco({ type: 'x509-certificate', serial_number: '36:f7:d4:32:f4:ab:70:ea', issuer: 'C=ZA, O=Thawte' }),
}
