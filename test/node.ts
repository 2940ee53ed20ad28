/**
 * A real node for tests: real migrations on SQLite or PostgreSQL (test/db.ts), real services, and an
 * initialised host organisation with an admin token. Only the clock can be faked.
 */
import pino from 'pino'
import { makeServices, type Services } from '../src/services/index.js'
import { nodeHasher, nodeIds, nodeSecrets, systemClock } from '../src/platform/crypto.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../src/platform/signing.js'
import type { Clock } from '../src/services/deps.js'
import type { Store } from '../src/store/port.js'
import { openTestStore, type Dialect } from './db.js'

export interface TestNode {
  readonly store: Store
  readonly services: Services
  readonly adminToken: string
  readonly hostOrgId: string
  readonly defaultCollectionId: string
  /** The node's signing key (checkpoints). */
  readonly key: { readonly publicKey: Uint8Array; sign(m: Uint8Array): Uint8Array }
  readonly origin: string
  close(): Promise<void>
}

export const silentLogger = pino({ level: 'silent' })

/** A fake clock that tests can move. */
export function fakeClock(startMs = Date.parse('2026-11-01T00:00:00Z')): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = startMs
  return { nowMs: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) }
}

export async function createTestNode(dialect: Dialect, opts: { clock?: Clock } = {}): Promise<TestNode> {
  const store = await openTestStore(dialect)
  const key = loadPrivateKey(generateNodeKey().privateKeyPem)
  const services = makeServices({
    store, clock: opts.clock ?? systemClock, ids: nodeIds, hasher: nodeHasher, secrets: nodeSecrets, logger: silentLogger,
    nodeKey: key, verify: ed25519Verify,
  })
  const origin = `test.entente.local/${Buffer.from(key.publicKey).toString('hex').slice(0, 12)}`
  const init = await services.admin.initNode({
    orgName: 'Test Election Authority', adminUsername: 'admin', nodeName: 'test-node', key: { publicKey: key.publicKey, origin },
  })
  if (!init.ok) throw new Error(`initNode failed: ${JSON.stringify(init.error)}`)
  return {
    store,
    services,
    adminToken: init.value.token.secret,
    hostOrgId: init.value.organisation.id,
    defaultCollectionId: init.value.collection.id,
    key,
    origin,
    close: () => store.close(),
  }
}
