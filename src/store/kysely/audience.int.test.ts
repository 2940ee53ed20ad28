/**
 * The differential policy test (STYLE.md): on random worlds (memberships with random TLP, producers,
 * named recipients, expiry and arrival agreements; random collection recipients and agreements;
 * random readers), the store's SQL audience filter returns exactly the rows the pure policy
 * (`audienceAllows`, which `decide().see` equals) allows, on SQLite and PostgreSQL.
 */
import { fc } from '@fast-check/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, openTestStore } from '../../../test/db.js'
import type { AgreementView } from '../../core/agreement/view.js'
import { audienceAllows, type AudienceKey, type PolicyEnv, type Reader } from '../../core/policy/audience.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { AudienceFilter, NewObjectVersion, Store } from '../port.js'

const ORGS = ['identity--00000000-0000-4000-8000-000000000000', 'identity--11111111-1111-4111-8111-111111111111', 'identity--22222222-2222-4222-8222-222222222222', 'identity--33333333-3333-4333-8333-333333333333']
const US = 'us.example'
const NOW = Date.parse('2026-11-01T00:00:00Z')

interface Row {
  tlp: 0 | 1 | 2 | 3 | 4
  producer: string | null
  recipients: string[] | null
  expires: number | null
  arrival: number | null
  coll: 0 | 1
}

const orgSubset = fc.subarray(ORGS)
const row: fc.Arbitrary<Row> = fc.record({
  tlp: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const),
  producer: fc.option(fc.constantFrom(...ORGS), { nil: null }),
  recipients: fc.option(fc.subarray(ORGS, { minLength: 1 }), { nil: null }),
  expires: fc.option(fc.integer({ min: -2, max: 2 }).map((d) => NOW + d * 3_600_000), { nil: null }),
  arrival: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
  coll: fc.constantFrom(0 as const, 1 as const),
})
const world = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 30 }),
  collRecipients: fc.tuple(orgSubset, orgSubset),
  // Three agreements between us and a peer: which of our organisations each lists.
  agreementOrgs: fc.tuple(orgSubset, orgSubset, orgSubset),
  reader: fc.oneof(
    fc.record({ kind: fc.constant('org' as const), x: fc.constantFrom(...ORGS), clientOf: orgSubset }),
    fc.constant({ kind: 'public' as const }),
  ),
})

function agreementView(i: number, orgs: readonly string[]): AgreementView {
  return {
    id: `x-entente-agreement--0000000${i}-0000-4000-8000-000000000000`,
    active: i !== 2,
    sides: [{ nodeId: US, orgs: new Set(orgs) }, { nodeId: 'peer.example', orgs: new Set(['identity--99999999-9999-4999-8999-999999999999']) }],
    maxTlp: 3,
    include: null,
    exclude: new Set(),
    onward: { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 },
    retentionDays: null,
  }
}

for (const dialect of DIALECTS) {
  describe(`audience filter = policy [${dialect}]`, () => {
    let store: Store
    let n = 0
    beforeAll(async () => {
      store = await openTestStore(dialect)
    })
    afterAll(async () => {
      await store.close()
    })

    it('returns exactly the rows audienceAllows allows, for random worlds and readers', async () => {
      await fc.assert(
        fc.asyncProperty(world, async (w) => {
          const run = ++n
          const colls = [`c-${run}-0`, `c-${run}-1`] as const
          for (const id of colls) await store.collections.create({ id, title: id, description: null, alias: null, mediaTypes: [], createdAt: '2026-01-01T00:00:00.000000Z' })
          const agreements = new Map(w.agreementOrgs.map((orgs, i) => [agreementView(i, orgs).id, agreementView(i, orgs)]))
          const ids = [...agreements.keys()]
          const keys = new Map<string, AudienceKey>()
          await store.transaction(async (tx) => {
            for (const [i, r] of w.rows.entries()) {
              const stixId = `indicator--${run.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`
              const path = r.arrival === null ? null : [{ from: 'peer.example', to: US, agreementId: ids[r.arrival] as string }]
              const v: NewObjectVersion = {
                stixId, type: 'indicator', specVersion: '2.1', created: null, modified: null, versionKey: `h:${run}-${i}`, revoked: false, createdByRef: null,
                contentHash: new Uint8Array(32).fill(i), json: '{}',
                audience: { tlp: r.tlp, producer: r.producer, recipients: r.recipients, expiresAt: r.expires === null ? null : storedTimestampFromMs(r.expires), path },
              }
              await tx.objects.putVersions(colls[r.coll], [v], '2026-10-01T00:00:00.000000Z')
              keys.set(stixId, { tlp: r.tlp, type: 'indicator', producer: r.producer, recipients: r.recipients, collectionId: colls[r.coll], path, expiresAt: r.expires })
            }
            return { ok: true, value: undefined }
          })
          const env: PolicyEnv = {
            nodeId: US,
            now: NOW,
            agreements,
            collectionRecipients: (c) => (c === colls[0] ? w.collRecipients[0] : c === colls[1] ? w.collRecipients[1] : undefined),
          }
          let reader: Reader
          let filter: AudienceFilter
          if (w.reader.kind === 'public') {
            reader = { kind: 'public' }
            filter = { kind: 'public', now: storedTimestampFromMs(NOW) }
          } else {
            const { x, clientOf } = w.reader
            reader = { kind: 'org', orgIdentityId: x, clientOf }
            const any = (orgs: Iterable<string>, who: readonly string[]) => [...orgs].some((o) => who.includes(o))
            filter = {
              kind: 'org',
              identity: x,
              clientOf,
              recipientCollections: colls.filter((_, i) => w.collRecipients[i]!.includes(x)),
              clientRecipientCollections: colls.filter((_, i) => any(w.collRecipients[i]!, clientOf)),
              agreements: ids.filter((id) => agreements.get(id)!.sides[0].orgs.has(x)),
              clientAgreements: ids.filter((id) => any(agreements.get(id)!.sides[0].orgs, clientOf)),
              now: storedTimestampFromMs(NOW),
            }
          }
          const seen = new Set<string>()
          for (const c of colls) {
            const page = await store.objects.query({ collectionId: c, versions: { first: false, last: false, all: true, versions: [] }, limit: 1000, withContent: false, audience: filter })
            for (const e of page.items) seen.add(e.stixId)
          }
          const expected = new Set([...keys].filter(([, k]) => audienceAllows(k, reader, env)).map(([id]) => id))
          expect([...seen].sort()).toEqual([...expected].sort())
        }),
        { numRuns: dialect === 'sqlite' ? 150 : 60 },
      )
    }, 240_000)
  })
}
