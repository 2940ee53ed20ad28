import { describe, expect, it } from 'vitest'
import type { AgreementView } from '../agreement/view.js'
import { TLP2_IDS, withRecipients } from '../marking/index.js'
import { decide, present, type PolicyEnv, type StoredContext } from './decide.js'

// Two countries (fr, ee) and a coordinator (hub). fr and ee each have an agreement with the hub only.
const FR = 'identity--0f3a2c47-6a0e-4a8b-9a43-1c6f6b2d8e01'
const EE = 'identity--7c1e9d2a-3b4f-4e5a-8c6d-2f1a0b9c8d02'
const HUB = 'identity--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c05'
const view = (id: string, a: [string, string], b: [string, string], over: Partial<AgreementView> = {}): AgreementView => ({
  id,
  active: true,
  sides: [
    { nodeId: a[0], orgs: new Set([a[1]]) },
    { nodeId: b[0], orgs: new Set([b[1]]) },
  ],
  maxTlp: 2,
  include: null,
  exclude: new Set(),
  onward: { allowed: true, to: new Set(['ee']), maxTlp: 2, maxHops: 1 },
  retentionDays: null,
  ...over,
})
const FR_HUB = 'x-entente-agreement--00000000-0000-4000-8000-000000000001'
const HUB_EE = 'x-entente-agreement--00000000-0000-4000-8000-000000000002'
const hubEnv = (frHub: Partial<AgreementView> = {}): PolicyEnv => ({
  nodeId: 'hub',
  now: Date.parse('2026-04-01T00:00:00Z'),
  agreements: new Map([
    [FR_HUB, view(FR_HUB, ['fr', FR], ['hub', HUB], frHub)],
    [HUB_EE, view(HUB_EE, ['hub', HUB], ['ee', EE], { onward: { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 } })],
  ]),
})
const fromFr: StoredContext = { collectionId: 'c', defaultTlp: 'amber', origin: { kind: 'peer', producer: FR, path: [{ from: 'fr', to: 'hub', agreementId: FR_HUB }] }, receivedAt: '2026-04-01T00:00:00Z' }
const indicator = (tlp: keyof typeof TLP2_IDS): Record<string, unknown> => ({
  type: 'indicator',
  spec_version: '2.1',
  id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
  created: '2026-03-01T00:00:00.000Z',
  modified: '2026-03-01T00:00:00.000Z',
  pattern: "[domain-name:value = 'vote-info-update.example']",
  pattern_type: 'stix',
  valid_from: '2026-03-01T00:00:00Z',
  object_marking_refs: [TLP2_IDS[tlp]],
})

describe('a coordinator relaying between members', () => {
  it('relays AMBER from fr to ee when the fr–hub agreement allows onward sharing to ee', () => {
    const d = decide({ kind: 'peer', nodeId: 'ee' }, indicator('amber'), fromFr, hubEnv())
    expect(d).toMatchObject({ see: true, reason: 'agreement', agreementId: HUB_EE })
    // the hop downgrade: ee received under an agreement without onward sharing, so it stops there
    expect(d.relay).toEqual({ allowed: false, maxTlp: null, to: [], reason: 'onward_not_allowed' })
  })
  it('does not relay without onward rights, above the onward TLP, or to a node not listed', () => {
    expect(decide({ kind: 'peer', nodeId: 'ee' }, indicator('amber'), fromFr, hubEnv({ onward: { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 } })).reason).toBe('relay_not_allowed')
    expect(decide({ kind: 'peer', nodeId: 'ee' }, indicator('amber'), fromFr, hubEnv({ onward: { allowed: true, to: null, maxTlp: 1, maxHops: 1 } })).see).toBe(false)
    expect(decide({ kind: 'peer', nodeId: 'ee' }, indicator('green'), fromFr, hubEnv({ onward: { allowed: true, to: null, maxTlp: 1, maxHops: 1 } })).see).toBe(true)
    expect(decide({ kind: 'peer', nodeId: 'ee' }, indicator('green'), fromFr, hubEnv({ onward: { allowed: true, to: new Set(['lv']), maxTlp: 2, maxHops: 1 } })).see).toBe(false)
    expect(decide({ kind: 'peer', nodeId: 'ee' }, indicator('green'), fromFr, hubEnv({ active: false })).see).toBe(false)
  })
  it('never relays RED, never sends an object back along its path', () => {
    const red = withRecipients(indicator('red'), [EE])
    expect(decide({ kind: 'peer', nodeId: 'ee' }, red, fromFr, hubEnv({ maxTlp: 4 })).see).toBe(false)
    expect(decide({ kind: 'peer', nodeId: 'fr' }, indicator('clear'), fromFr, hubEnv()).reason).toBe('already_on_path')
  })
  it('the hub sees what fr shared with it; RED only when the hub is named', () => {
    expect(decide({ kind: 'org', orgIdentityId: HUB }, indicator('amber+strict'), fromFr, hubEnv()).see).toBe(true)
    expect(decide({ kind: 'org', orgIdentityId: HUB }, indicator('red'), fromFr, hubEnv()).see).toBe(false)
    expect(decide({ kind: 'org', orgIdentityId: HUB }, withRecipients(indicator('red'), [HUB]), fromFr, hubEnv()).see).toBe(true)
  })
})

describe('retention, the public and granular markings', () => {
  it('hides objects once the arrival agreement’s retention has passed', () => {
    const env = hubEnv({ retentionDays: 30 })
    expect(decide({ kind: 'org', orgIdentityId: HUB }, indicator('green'), fromFr, env).see).toBe(true)
    const later = { ...env, now: Date.parse('2026-05-02T00:00:00Z') }
    expect(decide({ kind: 'org', orgIdentityId: HUB }, indicator('green'), fromFr, later).reason).toBe('expired')
    expect(decide({ kind: 'system', name: 'retention' }, indicator('green'), fromFr, later).see).toBe(true)
  })
  it('the public sees CLEAR only; unmarked objects take the collection default', () => {
    const env = hubEnv()
    const local: StoredContext = { collectionId: 'c', defaultTlp: 'green', origin: { kind: 'local', producer: HUB }, receivedAt: '2026-04-01T00:00:00Z' }
    expect(decide({ kind: 'public' }, indicator('clear'), local, env).see).toBe(true)
    expect(decide({ kind: 'public' }, indicator('green'), local, env).see).toBe(false)
    const { object_marking_refs: _drop, ...unmarked } = indicator('clear')
    expect(decide({ kind: 'public' }, unmarked, local, env)).toMatchObject({ see: false, tlp: 'green' })
  })
  it('a GREEN indicator with a RED description reaches a partner without the description', () => {
    const env: PolicyEnv = { ...hubEnv(), nodeId: 'fr', agreements: new Map([[FR_HUB, view(FR_HUB, ['fr', FR], ['hub', HUB])]]) }
    const local: StoredContext = { collectionId: 'c', defaultTlp: 'amber', origin: { kind: 'local', producer: FR }, receivedAt: '2026-04-01T00:00:00Z' }
    const o = { ...indicator('green'), description: 'seen on the ministry mail gateway', granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['description'] }] }
    const d = decide({ kind: 'peer', nodeId: 'hub' }, o, local, env)
    expect(d).toMatchObject({ see: true, redact: ['description'] })
    const out = present({ kind: 'peer', nodeId: 'hub' }, o, local, env)
    expect(out?.['description']).toBeUndefined()
    expect(out?.['granular_markings']).toBeUndefined()
    expect(present({ kind: 'org', orgIdentityId: FR }, o, local, env)?.['description']).toBe(o.description)
    // a granular marking on the id hides the whole object from whoever may not read at that level
    const hidden = { ...o, granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['id'] }] }
    expect(decide({ kind: 'peer', nodeId: 'hub' }, hidden, local, env)).toMatchObject({ see: false, tlp: 'red' })
  })
  it('malformed markings fail closed with pointers', () => {
    const local: StoredContext = { collectionId: 'c', defaultTlp: 'clear', origin: { kind: 'local', producer: FR }, receivedAt: '2026-04-01T00:00:00Z' }
    const d = decide({ kind: 'public' }, { ...indicator('clear'), granular_markings: [{ marking_ref: TLP2_IDS.red, selectors: ['nope'] }] }, local, hubEnv())
    expect(d).toMatchObject({ see: false, reason: 'invalid_markings' })
    expect(d.issues?.[0]?.pointer).toBe('/granular_markings/0/selectors/0')
  })
})
