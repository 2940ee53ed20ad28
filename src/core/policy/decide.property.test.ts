/**
 * Random worlds (nodes, organisations, agreements, markings, granular markings, paths) checked
 * against a small reference model of the TLP 2.0 rules written here, independently of audience.ts.
 */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import type { AgreementView } from '../agreement/view.js'
import { PAP_IDS, TLP1_DEFINITIONS, TLP2_IDS, withRecipients } from '../marking/index.js'
import { audienceAllows, audienceKey, decide, present, type Hop, type PolicyEnv, type Reader, type StoredContext } from './decide.js'

const ME = 'n0'
const NODES = ['n0', 'n1', 'n2', 'n3']
const id = (n: number): string => `identity--00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`
const ORGS: Record<string, string[]> = { n0: [id(1), id(2), id(3)], n1: [id(11), id(12)], n2: [id(21)], n3: [id(31)] }
const TYPES = ['indicator', 'report', 'malware']
const UNKNOWN_MARKING = 'marking-definition--00000000-0000-4000-8000-00000000dead'

// Reference table of marking ids → rank, written out by hand (null: not an access marking).
const RANK_OF: Record<string, number | null> = {
  [TLP2_IDS.clear]: 0,
  [TLP2_IDS.green]: 1,
  [TLP2_IDS.amber]: 2,
  [TLP2_IDS['amber+strict']]: 3,
  [TLP2_IDS.red]: 4,
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 0,
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 1,
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 2,
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 4,
  [PAP_IDS.amber]: null,
  [UNKNOWN_MARKING]: 4,
}
const MARKING_IDS = Object.keys(RANK_OF)
const TLP_BY_RANK = [TLP2_IDS.clear, TLP2_IDS.green, TLP2_IDS.amber, TLP2_IDS['amber+strict'], TLP2_IDS.red]
const LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const

const subset = <T>(xs: readonly T[]) => fc.subarray([...xs])
const nonEmpty = <T>(xs: readonly T[]) => fc.subarray([...xs], { minLength: 1 })

const PAIRS: [string, string][] = [['n0', 'n1'], ['n0', 'n2'], ['n0', 'n3'], ['n1', 'n2'], ['n2', 'n3'], ['n1', 'n3']]

const agreementArb = (i: number, [a, b]: [string, string]) =>
  fc
    .record({
      active: fc.constantFrom(true, true, true, false),
      maxTlp: fc.integer({ min: 0, max: 4 }),
      include: fc.option(nonEmpty(TYPES), { nil: null }),
      exclude: subset(TYPES),
      onAllowed: fc.constantFrom(true, true, false),
      onTo: fc.option(nonEmpty(NODES), { nil: null }),
      onMax: fc.integer({ min: 0, max: 3 }),
      onHops: fc.integer({ min: 1, max: 3 }),
      retention: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
      orgsA: nonEmpty(ORGS[a] as string[]),
      orgsB: nonEmpty(ORGS[b] as string[]),
    })
    .map(
      (r): AgreementView => ({
        id: `x-entente-agreement--00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`,
        active: r.active,
        sides: [
          { nodeId: a, orgs: new Set(r.orgsA) },
          { nodeId: b, orgs: new Set(r.orgsB) },
        ],
        maxTlp: r.maxTlp as 0,
        include: r.include === null ? null : new Set(r.include),
        exclude: new Set(r.exclude),
        onward: r.onAllowed
          ? { allowed: true, to: r.onTo === null ? null : new Set(r.onTo), maxTlp: Math.min(r.onMax, r.maxTlp, 3) as 0, maxHops: r.onHops }
          : { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 },
        retentionDays: r.retention,
      }),
    )

const agreementsArb = fc.tuple(...PAIRS.map((p, i) => fc.option(agreementArb(i, p), { nil: null }))).map((xs) => new Map(xs.filter((x): x is AgreementView => x !== null).map((a) => [a.id, a])))

const GRANULAR_TARGETS = ['description', 'name', 'external_references.[0]', 'external_references.[1].url']

const worldArb = agreementsArb.chain((agreements) => {
  // Paths run through distinct nodes to this one; each hop under an agreement between its two nodes
  // when there is one (sometimes an unknown agreement id instead).
  const between = (a: string, b: string): string | undefined =>
    [...agreements.values()].find((x) => x.sides.some((s) => s.nodeId === a) && x.sides.some((s) => s.nodeId === b))?.id
  const pathArb = fc
    .tuple(fc.shuffledSubarray(NODES.filter((n) => n !== ME), { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }))
    .map(([nodes, forged]): Hop[] => {
      const seq = [...nodes, ME]
      return nodes.map((from, i) => {
        const to = seq[i + 1] as string
        const real = between(from, to)
        return { from, to, agreementId: real !== undefined && forged[i] !== true ? real : 'x-entente-agreement--00000000-0000-4000-8000-0000000000ff' }
      })
    })
  const allOrgs = Object.values(ORGS).flat()
  return fc.record({
    agreements: fc.constant(agreements),
    type: fc.constantFrom(...TYPES),
    marks: fc.subarray(MARKING_IDS, { maxLength: 3 }),
    recipients: fc.option(nonEmpty(allOrgs), { nil: null }),
    granular: fc.array(fc.record({ sel: fc.constantFrom(...GRANULAR_TARGETS), rank: fc.integer({ min: 0, max: 4 }) }), { maxLength: 3 }),
    defaultTlp: fc.constantFrom(...LEVELS),
    origin: fc.oneof(
      fc.record({ kind: fc.constant('local' as const), producer: fc.constantFrom(...(ORGS[ME] as string[])) }),
      fc.record({ kind: fc.constant('peer' as const), producer: fc.option(fc.constantFrom(...allOrgs), { nil: null }), path: pathArb }),
    ),
    collRecipients: subset(ORGS[ME] as string[]),
    ageDays: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 }),
    reader: fc.oneof(
      fc.constant<Reader>({ kind: 'public' }),
      fc.constant<Reader>({ kind: 'system', name: 'retention' }),
      fc.record({ kind: fc.constant('org' as const), orgIdentityId: fc.constantFrom(...(ORGS[ME] as string[])), clientOf: subset(ORGS[ME] as string[]) }),
      fc.record({ kind: fc.constant('peer' as const), nodeId: fc.constantFrom(...NODES) }),
      fc.record({ kind: fc.constant('peer' as const), nodeId: fc.constantFrom(...NODES), actingFor: subset(allOrgs) }),
    ),
  })
})
type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never

const RECEIVED = Date.parse('2026-03-01T00:00:00Z')

function build(w: World, marks: readonly string[] = w.marks) {
  let object: Record<string, unknown> = {
    type: w.type,
    spec_version: '2.1',
    id: `${w.type}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f`,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-01T00:00:00.000Z',
    name: 'secret name',
    description: 'secret description',
    external_references: [{ source_name: 'ref-zero', url: 'https://example.org/zero' }, { source_name: 'ref-one', url: 'https://example.org/one' }],
  }
  if (marks.length > 0) object['object_marking_refs'] = [...marks]
  if (w.granular.length > 0) object['granular_markings'] = w.granular.map((g) => ({ marking_ref: TLP_BY_RANK[g.rank], selectors: [g.sel] }))
  if (w.recipients !== null) object = withRecipients(object, w.recipients)
  const ctx: StoredContext = { collectionId: 'c1', defaultTlp: w.defaultTlp, origin: w.origin, receivedAt: new Date(RECEIVED).toISOString() }
  const env: PolicyEnv = { nodeId: ME, now: RECEIVED + w.ageDays * 86_400_000, agreements: w.agreements, collectionRecipients: (c) => (c === 'c1' ? w.collRecipients : undefined) }
  return { object, ctx, env }
}

// ---- the reference model -------------------------------------------------------------------

function refObjectRank(w: World, marks: readonly string[] = w.marks): number {
  const ranks = marks.map((m) => RANK_OF[m]).filter((r): r is number => r !== null && r !== undefined)
  return ranks.length === 0 ? LEVELS.indexOf(w.defaultTlp) : Math.max(...ranks)
}

function refMayRead(w: World, t: number): boolean {
  const r = w.reader
  if (r.kind === 'system') return true
  const path = w.origin.kind === 'peer' ? w.origin.path : null
  const arrival = path !== null ? w.agreements.get((path[path.length - 1] as Hop).agreementId) : undefined
  if (arrival?.retentionDays != null && w.ageDays >= arrival.retentionDays) return false
  const producer = w.origin.producer
  if (r.kind === 'public') return t === 0
  if (r.kind === 'org') {
    const x = r.orgIdentityId
    if (t <= 1 || x === producer) return true
    if (t === 4) return (w.recipients ?? []).includes(x)
    let R: string[]
    if (w.recipients !== null) R = w.recipients
    else {
      R = [...w.collRecipients]
      if (arrival !== undefined) R.push(...[...arrival.sides].filter((s) => s.nodeId === ME).flatMap((s) => [...s.orgs]))
    }
    if (R.includes(x)) return true
    return t === 2 && (r.clientOf ?? []).some((c) => R.includes(c) || c === producer)
  }
  const p = r.nodeId
  if (p === ME) return false
  if (path !== null && path.some((h) => h.from === p || h.to === p)) return false
  if (t === 0) return true
  if (path !== null) {
    if (t === 4) return false
    for (let i = 0; i < path.length; i++) {
      const a = w.agreements.get((path[i] as Hop).agreementId)
      const nextNode = i === path.length - 1 ? p : (path[i + 1] as Hop).to
      const hopsAfterReceiver = path.length - i
      if (a === undefined || !a.active || !a.onward.allowed) return false
      if (a.onward.to !== null && !a.onward.to.has(nextNode)) return false
      if (t > a.onward.maxTlp || hopsAfterReceiver > a.onward.maxHops) return false
    }
  }
  for (const a of w.agreements.values()) {
    const nodes = a.sides.map((s) => s.nodeId)
    if (!a.active || !nodes.includes(ME) || !nodes.includes(p)) continue
    if (t > a.maxTlp || (a.include !== null && !a.include.has(w.type)) || a.exclude.has(w.type)) continue
    const mine = a.sides.find((s) => s.nodeId === ME) as { orgs: ReadonlySet<string> }
    const theirs = [...(a.sides.find((s) => s.nodeId === p) as { orgs: ReadonlySet<string> }).orgs]
    if (path === null && (producer === null || !mine.orgs.has(producer))) continue
    const acting = 'actingFor' in r && r.actingFor !== undefined ? theirs.filter((o) => r.actingFor?.includes(o)) : theirs
    if (acting.length === 0) continue
    if (t === 1) return true
    if (t <= 3 && (w.recipients === null || acting.some((o) => w.recipients?.includes(o)))) return true
    if (t === 4 && path === null && w.recipients !== null && acting.some((o) => w.recipients?.includes(o))) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------

describe('decide() on random worlds', () => {
  test.prop([worldArb], { numRuns: 3000 })('sees exactly what the TLP 2.0 reference model allows, and audienceAllows agrees', (w) => {
    const { object, ctx, env } = build(w)
    const d = decide(w.reader, object, ctx, env)
    const t = refObjectRank(w)
    expect(d.see).toBe(refMayRead(w, t))
    const key = audienceKey(object, ctx, env)
    expect(key.ok).toBe(true)
    if (key.ok) expect(audienceAllows(key.value, w.reader, env)).toBe(d.see)
    if (w.reader.kind === 'public' && d.see) expect(d.tlp).toBe('clear')
    if (t === 4) expect(d.relay.allowed).toBe(false)
  })

  test.prop([worldArb], { numRuns: 2000 })('redaction never leaves a property marked above the reader', (w) => {
    const { object, ctx, env } = build(w)
    const out = present(w.reader, object, ctx, env)
    const t = refObjectRank(w)
    if (!refMayRead(w, t)) {
      expect(out).toBeNull()
      return
    }
    expect(out).not.toBeNull()
    const text = JSON.stringify(out)
    // Each part is readable iff the reader may read at the most restrictive marking covering it.
    const need = (sel: string): number => Math.max(t, ...w.granular.filter((g) => sel.startsWith(g.sel)).map((g) => g.rank))
    const parts: [string, string][] = [['description', 'secret description'], ['name', 'secret name'], ['external_references.[0]', 'ref-zero'], ['external_references.[1].url', 'example.org/one']]
    for (const [sel, marker] of parts) expect(text.includes(marker)).toBe(refMayRead(w, need(sel)))
  })

  test.prop([worldArb, fc.integer({ min: 0, max: 4 })], { numRuns: 2000 })('raising a marking never adds readers', (w, extra) => {
    const { object, ctx, env } = build(w)
    const before = decide(w.reader, object, ctx, env).see
    // Raise: add a marking at or above the current level (adding CLEAR to an unmarked AMBER object would lower it).
    const level = Math.max(extra, refObjectRank(w))
    const raised = build(w, [...w.marks, TLP_BY_RANK[level] as string])
    expect(refObjectRank(w, [...w.marks, TLP_BY_RANK[level] as string])).toBeGreaterThanOrEqual(refObjectRank(w))
    const after = decide(w.reader, raised.object, raised.ctx, raised.env).see
    if (after) expect(before).toBe(true)
    // and for every level above: the audience only shrinks
    const seen = [0, 1, 2, 3, 4].map((r) => decide(w.reader, build(w, [TLP_BY_RANK[r] as string]).object, ctx, env).see)
    for (let r = 1; r < 5; r++) if (seen[r]) expect(seen[r - 1]).toBe(true)
  })

  test.prop([worldArb, subset(Object.values(ORGS).flat())], { numRuns: 2000 })(
    'being a client of other organisations only ever adds AMBER objects (never AMBER+STRICT, RED, or anything a peer gets)',
    (w, parents) => {
      if (w.reader.kind !== 'org') return
      const { object, ctx, env } = build(w)
      const alone = decide({ kind: 'org', orgIdentityId: w.reader.orgIdentityId }, object, ctx, env)
      const asClient = decide({ kind: 'org', orgIdentityId: w.reader.orgIdentityId, clientOf: parents }, object, ctx, env)
      if (alone.see) expect(asClient.see).toBe(true)
      if (asClient.see && !alone.see) {
        expect(asClient.tlp).toBe('amber')
        expect(refObjectRank(w)).toBe(2)
      }
      // With no organisation to be a client of, nothing changes.
      expect(decide({ kind: 'org', orgIdentityId: w.reader.orgIdentityId, clientOf: [] }, object, ctx, env).see).toBe(alone.see)
    },
  )

  test.prop([worldArb], { numRuns: 1000 })('TLP:RED is never relayable and the public never sees above CLEAR', (w) => {
    const { object, ctx, env } = build(w, [TLP2_IDS.red])
    const d = decide(w.reader, object, ctx, env)
    expect(d.relay.allowed).toBe(false)
    expect(decide({ kind: 'public' }, object, ctx, env).see).toBe(false)
    const one = TLP1_DEFINITIONS[3]?.id as string
    expect(decide({ kind: 'public' }, build(w, [one]).object, ctx, env).see).toBe(false)
  })
})

describe('the generated worlds exercise every rule', () => {
  test('peers see GREEN and above, through relays too, and redaction happens', () => {
    const seen = new Set<string>()
    for (const w of fc.sample(worldArb, { numRuns: 15000, seed: 7 })) {
      const { object, ctx, env } = build(w)
      const d = decide(w.reader, object, ctx, env)
      if (!d.see) continue
      seen.add(`${w.reader.kind}:${d.tlp}:${w.origin.kind}`)
      if (d.redact.length > 0) seen.add('redacted')
      if (d.relay.allowed && w.origin.kind === 'peer' && d.tlp !== 'clear') seen.add('relay-on')
    }
    for (const k of ['peer:green:local', 'peer:amber:local', 'peer:red:local', 'peer:green:peer', 'org:red:local', 'org:amber:peer', 'redacted', 'relay-on']) expect(seen).toContain(k)
  })

  test('clients see AMBER through their parents in some worlds, and AMBER+STRICT never', () => {
    const through = new Set<number>()
    for (const w of fc.sample(worldArb, { numRuns: 15000, seed: 11 })) {
      if (w.reader.kind !== 'org' || (w.reader.clientOf ?? []).length === 0) continue
      const { object, ctx, env } = build(w)
      const d = decide(w.reader, object, ctx, env)
      if (d.see && !decide({ kind: 'org', orgIdentityId: w.reader.orgIdentityId }, object, ctx, env).see) through.add(refObjectRank(w))
    }
    expect([...through]).toEqual([2])
  })
})
