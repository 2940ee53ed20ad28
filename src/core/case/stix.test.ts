/** Case objects are valid STIX 2.1 (our validator), read back unchanged, and playbooks name real ATT&CK and DISARM ids. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA, attackObjects, disarmObjects } from '../../../test/data.js'
import { validateStixObject } from '../stix/validate.js'
import { CASE_DEFINITIONS, INCIDENT_CORE_DEFINITION } from './definitions.js'
import { CASE_EXTENSION_ID, INCIDENT_CORE_EXTENSION_ID, TLP_MARKING } from './model.js'
import { PLAYBOOKS } from './playbooks/index.js'
import { buildCase, buildNote, buildOffer, buildRequest, buildTask, buildUserIdentity, readCase, readNote, readOffer, readRequest, readTask, type CaseRecord } from './stix.js'
import { computeTimeline } from './timeline.js'

const T0 = '2026-11-24T21:00:00.000Z'
const T1 = '2026-11-24T21:05:00.000Z'
const lead = 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff'
const partner = 'identity--5e9b3d5a-1c47-4c1b-9b8e-3c1f4e9b2a11'
const base: CaseRecord = {
  id: 'incident--2242662b-d581-4864-8696-fff719dc0501', created: T0, modified: T0, createdByRef: lead, modifiedByRef: null, tlp: 'amber',
  title: 'Results site DDoS', description: 'Election night', severity: 'high', status: 'new', statusReason: null, closeReason: null, leadRef: lead,
  participantRefs: [partner], linkedRefs: ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f'], playbook: 'ddos-results-site',
}

function expectValid(o: unknown) {
  const v = validateStixObject(o)
  expect(v.ok ? [] : v.errors).toEqual([])
}

describe('case objects as STIX', () => {
  it('builds an incident with the Incident Core Extension and the case extension, shaped like the OASIS sample', () => {
    const o = buildCase(base)
    expectValid(o)
    const sample = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-common-objects-incident', 'incident_sample_activity.json'), 'utf8')) as { objects: Record<string, unknown>[] }
    expectValid(sample.objects.find((x) => x['type'] === 'incident'))
    expect(sample.objects.find((x) => x['type'] === 'extension-definition')?.['id']).toBe(INCIDENT_CORE_EXTENSION_ID)
    expect(INCIDENT_CORE_DEFINITION).toEqual(sample.objects.find((x) => x['type'] === 'extension-definition'))
    const ext = (o['extensions'] as Record<string, Record<string, unknown>>)
    expect(ext[INCIDENT_CORE_EXTENSION_ID]).toMatchObject({ extension_type: 'property-extension', investigation_status: 'new', determination: 'tbd' })
    expect(ext[CASE_EXTENSION_ID]).toMatchObject({ status: 'new', lead_ref: lead, participant_refs: [partner] })
    expect(o['object_marking_refs']).toEqual([TLP_MARKING.amber])
    expect(readCase(o)).toEqual(base)
  })

  it('uses the OASIS TLP 2.0 marking ids', () => {
    const tlp2 = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-common-objects-tlp2', 'tlp2-marking-definitions.json'), 'utf8')) as { objects: Record<string, unknown>[] }
    const ids = new Set(tlp2.objects.filter((x) => x['type'] === 'marking-definition').map((x) => x['id']))
    for (const id of Object.values(TLP_MARKING)) expect(ids.has(id)).toBe(true)
  })

  it('builds valid tasks, requests, offers, notes, user identities and extension definitions, and reads them back', () => {
    const meta = { created: T0, modified: T1, createdByRef: lead, modifiedByRef: partner, tlp: 'red' as const }
    const task = { ...meta, id: 'x-entente-task--0f6b5f4e-4a6b-4c43-9d55-0f0f2b6a1c01', caseRef: base.id, title: 'Activate mitigation', description: null, status: 'in_progress' as const, assigneeRef: partner, due: T1, techniques: [{ framework: 'attack' as const, id: 'T1498.001' }, { framework: 'disarm' as const, id: 'C00008' }] }
    const req = { ...meta, id: 'x-entente-assistance-request--0f6b5f4e-4a6b-4c43-9d55-0f0f2b6a1c02', caseRef: base.id, kind: 'takedown' as const, description: 'C2 takedown', status: 'open' as const }
    const offer = { ...meta, id: 'x-entente-assistance-offer--0f6b5f4e-4a6b-4c43-9d55-0f0f2b6a1c03', caseRef: base.id, requestRef: req.id, offeredByRef: partner, description: 'We can', status: 'pending' as const, decisionReason: null }
    const note = { ...meta, modified: T0, id: 'note--0f6b5f4e-4a6b-4c43-9d55-0f0f2b6a1c04', caseRef: base.id, content: 'Scrubbing on', authors: ['analyst'] }
    for (const o of [buildTask(task), buildRequest(req), buildOffer(offer), buildNote(note), buildUserIdentity({ id: partner, username: 'a', created: T0, orgIdentityRef: lead }), ...CASE_DEFINITIONS]) expectValid(o)
    expect(readTask(buildTask(task))).toEqual(task)
    expect(readRequest(buildRequest(req))).toEqual(req)
    expect(readOffer(buildOffer(offer))).toEqual(offer)
    expect(readNote(buildNote(note))).toEqual(note)
    expect(readCase({ ...buildCase(base), extensions: {} })).toBeNull()
  })

  it('derives the timeline from versions', () => {
    const v2: CaseRecord = { ...base, modified: T1, status: 'triage', statusReason: 'confirmed', participantRefs: [], linkedRefs: [...base.linkedRefs, 'report--0f6b5f4e-4a6b-4c43-9d55-0f0f2b6a1c05'] }
    const tl = computeTimeline({ case: [base, v2], tasks: [], notes: [], requests: [], offers: [] })
    expect(tl.map((e) => e.kind)).toEqual(['case_opened', 'status_changed', 'participant_removed', 'object_linked'])
    expect(tl[1]?.data).toMatchObject({ from: 'new', to: 'triage', reason: 'confirmed' })
  })
})

describe('playbooks', () => {
  const live = (o: Record<string, unknown>) => o['revoked'] !== true && o['x_mitre_deprecated'] !== true
  const ext = (o: Record<string, unknown>, source: string) =>
    ((o['external_references'] as { source_name?: string; external_id?: string }[] | undefined) ?? []).filter((r) => r.source_name === source).map((r) => r.external_id)
  const attackTechniques = new Set(attackObjects().filter((o) => o.type === 'attack-pattern' && live(o)).flatMap((o) => ext(o, 'mitre-attack')))
  const attackMitigations = new Set(attackObjects().filter((o) => o.type === 'course-of-action' && live(o)).flatMap((o) => ext(o, 'mitre-attack')))
  const disarmTechniques = new Set(disarmObjects().filter((o) => o.type === 'attack-pattern').flatMap((o) => ext(o, 'mitre-attack')))
  const countermeasures = new Set(
    readFileSync(join(SHARED_DATA, 'disarm', 'master-csv', 'countermeasures.csv'), 'utf8').split('\n').map((l) => l.split(',')[0]).filter((x): x is string => !!x && /^C\d{5}$/.test(x)),
  )

  it('ships the seven election playbooks, each with tasks', () => {
    expect(PLAYBOOKS.map((p) => p.id)).toEqual([
      'ddos-results-site', 'voter-registration-compromise', 'hack-and-leak', 'disinformation-surge', 'phishing-election-officials', 'ransomware-local-office', 'insider-threat',
    ])
    for (const p of PLAYBOOKS) for (const t of p.tasks) expect(t.techniques.length).toBeGreaterThan(0)
  })

  it('names only ATT&CK and DISARM ids that exist in the data sets (not revoked or deprecated)', () => {
    expect(attackTechniques.size).toBeGreaterThan(500)
    expect(disarmTechniques.size).toBeGreaterThan(100)
    expect(countermeasures.size).toBeGreaterThan(100)
    const missing: string[] = []
    for (const p of PLAYBOOKS) {
      for (const t of p.tasks) {
        for (const x of t.techniques) {
          const known =
            x.framework === 'attack' ? (x.id.startsWith('M') ? attackMitigations : attackTechniques).has(x.id) : (x.id.startsWith('C') ? countermeasures : disarmTechniques).has(x.id)
          if (!known) missing.push(`${p.id}: ${x.framework} ${x.id}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('maps the disinformation playbook to DISARM countermeasures', () => {
    const p = PLAYBOOKS.find((x) => x.id === 'disinformation-surge')
    expect(p?.tasks.every((t) => t.techniques.every((x) => x.framework === 'disarm'))).toBe(true)
    expect(p?.tasks.flatMap((t) => t.techniques).filter((x) => x.id.startsWith('C')).length).toBeGreaterThan(5)
  })
})
