/**
 * Election playbooks shipped with the node: case templates with their task lists. Each task names
 * the MITRE ATT&CK Enterprise techniques (T…) and mitigations (M…), or the DISARM techniques (T0…)
 * and countermeasures (C…), it works against; a test checks every id exists in the data sets under
 * ../shared/data. Opening a case from a playbook creates the case and all its tasks in one write.
 */
import type { Severity } from '../model.js'
import type { TechniqueRef } from '../stix.js'

export interface PlaybookTask {
  readonly title: string
  readonly description: string
  readonly techniques: readonly TechniqueRef[]
  /** Suggested due time after opening, in hours. */
  readonly dueInHours: number | null
}

export interface Playbook {
  readonly id: string
  readonly title: string
  readonly description: string
  readonly severity: Severity
  readonly tasks: readonly PlaybookTask[]
}

const a = (...ids: string[]): TechniqueRef[] => ids.map((id) => ({ framework: 'attack' as const, id }))
const d = (...ids: string[]): TechniqueRef[] => ids.map((id) => ({ framework: 'disarm' as const, id }))
const task = (title: string, description: string, techniques: TechniqueRef[], dueInHours: number | null = null): PlaybookTask => ({ title, description, techniques, dueInHours })

export const PLAYBOOKS: readonly Playbook[] = Object.freeze([
  {
    id: 'ddos-results-site',
    title: 'DDoS on a results or information website',
    description: 'A results, polling-place or voter-information website is unreachable or degraded by a denial-of-service attack, typically on election night.',
    severity: 'high',
    tasks: [
      task('Confirm the outage and its scope', 'Check reachability from several networks and countries; separate attack traffic from legitimate election-night load.', a('T1498', 'T1499'), 1),
      task('Activate upstream DDoS mitigation', 'Engage the hosting provider, CDN or scrubbing service; enable rate limiting and geo or ASN filtering.', a('T1498.001', 'T1499.002', 'M1037'), 1),
      task('Publish results through fallback channels', 'Switch to the static mirror, official social media accounts and press wire so citizens and media keep receiving results.', a('T1498'), 2),
      task('Share attack indicators with partners', 'Share source ranges, botnet infrastructure and request patterns as STIX indicators under the case TLP.', a('T1498', 'M1031'), 4),
      task('Check for a diversion', 'Look for intrusion attempts, defacement or data manipulation on the same systems while defenders were busy.', a('T1491.002', 'T1565.001', 'T1190'), 6),
      task('Communicate the status of the results', 'Explain to the public that counting is not affected by the website outage.', d('C00030'), 2),
    ],
  },
  {
    id: 'voter-registration-compromise',
    title: 'Compromise of a voter registration database',
    description: 'Unauthorised access to, or manipulation of, a voter registration system or its data.',
    severity: 'critical',
    tasks: [
      task('Contain the intrusion', 'Isolate affected servers, revoke exposed credentials and sessions, preserve volatile evidence first.', a('T1078', 'T1190', 'M1026', 'M1030'), 2),
      task('Preserve evidence and collect logs', 'Image affected hosts, collect database audit logs, web and VPN logs; keep a chain of custody.', a('T1005', 'T1213', 'M1047'), 4),
      task('Verify the integrity of registration records', 'Compare records with the last known-good backup and paper sources; list added, changed and removed voters.', a('T1565', 'T1565.001', 'M1053'), 12),
      task('Determine data exfiltration', 'Establish whether voter data left the network and through which channel.', a('T1567', 'T1048', 'M1057'), 12),
      task('Reset credentials and enforce MFA', 'Rotate every administrative and service credential; require multi-factor authentication for all access.', a('T1078', 'T1110', 'M1032'), 24),
      task('Prepare public and legal notification', 'Data-protection notification, public statement and guidance to polling stations on voter-list checks.', d('C00030'), 48),
    ],
  },
  {
    id: 'hack-and-leak',
    title: 'Hack-and-leak against a campaign or official',
    description: 'Documents or mail stolen from a campaign, party or election official are being (or about to be) published, possibly altered.',
    severity: 'high',
    tasks: [
      task('Identify the compromised accounts and systems', 'Find the mailboxes, cloud storage and devices the material came from and how they were accessed.', a('T1566', 'T1114', 'T1530', 'T1586'), 6),
      task('Secure the affected accounts', 'Reset credentials, revoke tokens and app passwords, enable MFA, review mail forwarding rules.', a('T1098', 'M1032', 'M1027'), 6),
      task('Check leaked documents for alterations', 'Compare leaked files with originals to find forged or altered content before it spreads.', d('T0089', 'T0023'), 24),
      task('Track the spread of the leak', 'Monitor leak sites, channels and accounts pushing the material; record them as observed data.', d('T0115', 'T0118', 'T0119'), 12),
      task('Request takedown of leaked personal data', 'Ask platforms and hosts to remove unlawfully published personal data.', d('C00189'), 24),
      task('Coordinate communication with media', 'Brief journalists on provenance and alterations; ask them not to amplify forged content.', d('C00154', 'C00188'), 24),
    ],
  },
  {
    id: 'disinformation-surge',
    title: 'Coordinated disinformation surge',
    description: 'A coordinated, inauthentic campaign spreads false information about voting procedures, dates, places or results.',
    severity: 'high',
    tasks: [
      task('Map the narratives and the accounts pushing them', 'Collect posts, accounts, hashtags and sites; identify coordinated and inauthentic behaviour.', d('T0049', 'T0118', 'T0015'), 6),
      task('Publish correct information (pre-bunk and debunk)', 'Publish clear, official information on the procedures targeted; pre-bunk narratives expected next.', d('C00125', 'C00030'), 4),
      task('Report coordinated inauthentic accounts to platforms', 'Send evidence to platform trust-and-safety teams through the agreed election channels.', d('C00197', 'C00189', 'C00123'), 12),
      task('Share the narratives with fact-checkers', 'Feed the shared fact-checking database so partners respond consistently.', d('C00008', 'C00014'), 12),
      task('Coordinate with partners across borders', 'Compare with narratives seen in partner countries; agree joint messaging where the campaign is cross-border.', d('C00176'), 24),
      task('Brief media on the campaign', 'Help newsrooms recognise the campaign and avoid amplifying it.', d('C00154', 'C00188'), 24),
    ],
  },
  {
    id: 'phishing-election-officials',
    title: 'Phishing of election officials',
    description: 'Election officials or poll workers receive targeted phishing aiming at credentials or malware delivery.',
    severity: 'medium',
    tasks: [
      task('Collect the phishing messages and indicators', 'Gather samples, sender infrastructure, links and attachments; share them as indicators.', a('T1566.001', 'T1566.002', 'T1598'), 4),
      task('Block senders, domains and links', 'Block at the mail gateway and web proxy; search mailboxes for other recipients.', a('T1583.001', 'M1021', 'M1054'), 4),
      task('Identify users who clicked or entered credentials', 'Check proxy, mail and sign-in logs; reset credentials of anyone who did.', a('T1078', 'M1032'), 8),
      task('Check endpoints of users who opened attachments', 'Scan and triage endpoints for the delivered payload.', a('T1566.001', 'M1049', 'M1040'), 12),
      task('Warn officials across jurisdictions', 'Send a warning with examples to election offices at every level and to partner countries.', a('T1566', 'M1017'), 12),
    ],
  },
  {
    id: 'ransomware-local-office',
    title: 'Ransomware at a local election office',
    description: 'Systems of a municipal or regional election office are encrypted or threatened with publication of data.',
    severity: 'critical',
    tasks: [
      task('Isolate affected systems', 'Disconnect infected hosts and segments; stop the spread to shared election systems.', a('T1486', 'M1030'), 1),
      task('Assess the impact on election operations', 'List affected functions: voter lists, poll-worker scheduling, ballot printing, result transmission.', a('T1486', 'T1490'), 4),
      task('Restore from offline backups', 'Rebuild from known-good, offline backups after confirming they are clean.', a('T1490', 'M1053'), 24),
      task('Determine initial access and data theft', 'Find the entry point and whether data was exfiltrated before encryption.', a('T1133', 'T1078', 'T1567'), 24),
      task('Activate contingency procedures', 'Switch to paper-based and manual fallbacks for the upcoming election steps.', a('T1485'), 4),
      task('Share indicators and the ransomware family with partners', 'Share hashes, infrastructure and notes so other offices can hunt for it.', a('T1486', 'M1049'), 12),
    ],
  },
  {
    id: 'insider-threat',
    title: 'Insider threat',
    description: 'A staff member, contractor or poll worker misuses legitimate access to election systems or data.',
    severity: 'high',
    tasks: [
      task('Preserve evidence discreetly', 'Collect access logs and records before alerting the person; involve legal and HR.', a('T1078', 'M1047'), 4),
      task('Review and restrict access', 'Remove or reduce the person\'s access; review privileged and shared accounts.', a('T1078', 'T1098', 'M1026', 'M1018'), 8),
      task('Assess data accessed or changed', 'Determine which records were read, exported or modified.', a('T1213', 'T1565.001', 'T1005'), 24),
      task('Check for collusion and external contacts', 'Look for data passed to outside actors, including foreign intelligence or campaigns.', a('T1567', 'T1048'), 48),
      task('Review separation of duties', 'Fix procedures that let one person act alone on critical election steps.', a('M1026', 'M1036'), 72),
    ],
  },
])

/** A playbook by id. */
export function findPlaybook(id: string): Playbook | undefined {
  return PLAYBOOKS.find((p) => p.id === id)
}
