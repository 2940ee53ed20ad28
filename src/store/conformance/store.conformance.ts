/**
 * The storage conformance suite: every behaviour of the port (src/store/port.ts), asserted with real
 * data on whichever engine `open` returns. Run once per engine:
 *   for (const d of DIALECTS) describeStoreConformance(d, () => openTestStore(d))
 * One store per suite; every test makes its own collections and ids, so tests are independent of
 * each other and of their order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS } from '../migrations/index.js'
import type { Store } from '../port.js'
import { adminTests } from './admin.js'
import { alertTests } from './alerts.js'
import { caseTests } from './cases.js'
import { objectTests } from './objects.js'
import { peerTests } from './peers.js'
import { queryTests } from './queries.js'
import { recordTests } from './records.js'
import { transactionTests } from './transactions.js'
import { webTests } from './web.js'

export function describeStoreConformance(dialect: string, open: () => Promise<Store>): void {
  describe(`store conformance: ${dialect}`, () => {
    let store: Store | undefined
    const s = (): Store => {
      if (!store) throw new Error('store not open')
      return store
    }
    beforeAll(async () => {
      store = await open()
    })
    afterAll(async () => {
      await store?.close()
    })

    describe('lifecycle', () => {
      it('is migrated, answers ping, and migrating again applies nothing', async () => {
        const st = s()
        const names = MIGRATIONS.map((m) => m.name)
        expect(await st.migrationStatus()).toEqual({ applied: names, pending: [] })
        expect(await st.migrate()).toEqual([])
        expect(await st.ping()).toBe(true)
        expect(['sqlite', 'postgres']).toContain(st.engine)
        expect(st.capabilities.multipleConnections).toBe(st.engine === 'postgres')
      })
    })

    adminTests(s)
    objectTests(s)
    queryTests(s)
    transactionTests(s)
    recordTests(s)
    alertTests(s)
    peerTests(s)
    webTests(s)
    caseTests(s)
  })
}
