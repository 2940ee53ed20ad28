/**
 * A real node for tests: real migrations on SQLite or PostgreSQL (test/db.ts), real services, and an
 * initialised host organisation with an admin token. Only the clock can be faked.
 */
import pino from 'pino'
import { makeServices, type Services } from '../src/services/index.js'
import { nodeHasher, nodeIds, nodeSecrets, systemClock } from '../src/platform/crypto.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey, type NodeSigningKey } from '../src/platform/signing.js'
import type { Clock } from '../src/services/deps.js'
import type { CorrelationOptions } from '../src/services/correlate/correlate.js'
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

/** The services a test node runs over `store`: real dependencies, the given clock and signing key. */
export function makeTestServices(store: Store, key: NodeSigningKey, clock: Clock = systemClock, correlation?: CorrelationOptions): Services {
  return makeServices({
    store, clock, ids: nodeIds, hasher: nodeHasher, secrets: nodeSecrets, logger: silentLogger, nodeKey: key, verify: ed25519Verify,
    ...(correlation ? { correlation } : {}),
  })
}

/**
 * Initialises a node on a fresh test store, or on `opts.store` (already migrated; closed with the node)
 * when the test needs to reach the database by other means too (test/tamper.ts).
 */
export async function createTestNode(dialect: Dialect, opts: { clock?: Clock; store?: Store; correlation?: CorrelationOptions } = {}): Promise<TestNode> {
  const store = opts.store ?? (await openTestStore(dialect))
  const key = loadPrivateKey(generateNodeKey().privateKeyPem)
  const services = makeTestServices(store, key, opts.clock, opts.correlation)
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
