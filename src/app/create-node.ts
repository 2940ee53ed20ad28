/**
 * The composition root: config → logger → store → migrate → services → HTTP. Shared by
 * `entente serve` and every other CLI command. The only module that knows concrete adapters.
 */
import { randomBytes } from 'node:crypto'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import type { Config } from '../config/schema.js'
import { nodeHasher, nodeIds, nodeSecrets, systemClock } from '../platform/crypto.js'
import { makeSpool } from '../platform/import-files.js'
import { httpRemoteLog } from '../platform/remote-log.js'
import { httpPeerClient } from '../federation/taxii-client.js'
import { createWorkerPreparer } from '../platform/worker-preparer.js'
import { loadWarninglists } from '../platform/warninglists.js'
import type { CorrelationOptions } from '../services/correlate/correlate.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey, readKeyFile, writeKeyFile, type NodeSigningKey } from '../platform/signing.js'
import type { Logger } from '../services/deps.js'
import { makeServices, type Services } from '../services/index.js'
import { makeWebhookSender } from '../platform/webhook-sender.js'
import type { Preparer } from '../services/pipeline/preparer.js'
import { openStore } from '../store/kysely/open.js'
import { openPostgresEventChannel, type PostgresEventChannel } from '../store/kysely/notify.js'
import type { Store, StoreOptions } from '../store/port.js'
import { storedTimestampFromMs } from '../core/stix/time.js'

export interface EntenteNode {
  readonly config: Readonly<Config>
  /** The node's signing key, when configured or created (see `openNode`'s `createKey`). */
  readonly key: NodeSigningKey | undefined
  /** The checkpoint origin a new log gets (config, else derived from the key). */
  readonly origin: string | undefined
  readonly store: Store
  readonly services: Services
  readonly logger: pino.Logger
  close(): Promise<void>
}

/** The store options a config describes. */
export function storeOptions(config: Readonly<Config>): StoreOptions {
  const db = config.db
  if (db.driver === 'sqlite') return { driver: 'sqlite', path: db.path, synchronous: db.synchronous }
  return {
    driver: 'postgres',
    url: db.url,
    poolMax: db.poolMax,
    statementTimeoutMs: db.statementTimeoutMs,
    ...(db.schema !== undefined ? { schema: db.schema } : {}),
  }
}

/** The root logger: JSON lines on stderr (stdout is for command results), secrets redacted. */
export function createLogger(config: Readonly<Config>): pino.Logger {
  return pino(
    {
      level: config.log.level,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token', '*.secret'], censor: '[redacted]' },
    },
    config.log.pretty ? pino.transport({ target: 'pino-pretty', options: { destination: 2 } }) : pino.destination(2),
  )
}

/**
 * The node's signing key: `node.privateKey` when set, else the key file. With `create`, a missing key
 * file is created (mode 0600) with a new key; without, a missing key is `undefined`.
 */
export function loadNodeKey(config: Readonly<Config>, create: boolean): NodeSigningKey | undefined {
  if (config.node.privateKey !== undefined) return loadPrivateKey(config.node.privateKey)
  const file = config.node.keyFile
  if (existsSync(file)) return loadPrivateKey(readKeyFile(file))
  if (!create) return undefined
  mkdirSync(dirname(file), { recursive: true })
  const fresh = generateNodeKey()
  writeKeyFile(file, fresh.privateKeyPem)
  return loadPrivateKey(fresh.privateKeyPem)
}

/** The default checkpoint origin for a key: `entente/` and the first 16 hex digits of its SHA-256. */
export const defaultOrigin = (publicKey: Uint8Array): string => `entente/${createHash('sha256').update(publicKey).digest('hex').slice(0, 16)}`

/**
 * The correlation options of a configuration: the enabled MISP warninglists (read from
 * `correlation.warninglistsDir`) and the over-correlation limit. Throws when the directory cannot be
 * read or an enabled list does not exist there; lists that cannot be parsed are logged and skipped.
 */
export async function correlationOptions(config: Readonly<Config>, logger: Pick<Logger, 'warn'>): Promise<CorrelationOptions> {
  const c = config.correlation
  if (c.warninglistsDir === undefined) {
    if (c.warninglists !== undefined && c.warninglists.length > 0) throw new Error('correlation.warninglists is set but correlation.warninglistsDir is not')
    return { warninglists: [], maxIndicatorsPerValue: c.maxIndicatorsPerValue }
  }
  let loaded: Awaited<ReturnType<typeof loadWarninglists>>
  try {
    loaded = await loadWarninglists(c.warninglistsDir)
  } catch (e) {
    throw new Error(`correlation.warninglistsDir: cannot read ${c.warninglistsDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  for (const p of loaded.problems) logger.warn({ path: p.path, problem: p.message }, 'warninglist skipped')
  if (c.warninglists === undefined) return { warninglists: loaded.lists, maxIndicatorsPerValue: c.maxIndicatorsPerValue }
  const wanted = new Set(c.warninglists)
  const found = new Set<string>()
  const lists = loaded.lists.filter((l, i) => {
    const dir = loaded.directories[i] ?? ''
    const hit = wanted.has(dir) ? dir : wanted.has(l.name) ? l.name : null
    if (hit !== null) found.add(hit)
    return hit !== null
  })
  const missing = [...wanted].filter((w) => !found.has(w))
  if (missing.length > 0) throw new Error(`correlation.warninglists: not found in ${c.warninglistsDir}: ${missing.join(', ')}`)
  return { warninglists: lists, maxIndicatorsPerValue: c.maxIndicatorsPerValue }
}

/**
 * Opens a node: the store (migrated unless `migrate: false`) and its services.
 * `workers`: prepare objects in worker threads (imports); default false.
 * `createKey`: create the signing key file when there is none (`init`, `serve`).
 */
export async function openNode(
  config: Readonly<Config>,
  opts: { logger?: pino.Logger; migrate?: boolean; workers?: boolean; createKey?: boolean } = {},
): Promise<EntenteNode> {
  const logger = opts.logger ?? createLogger(config)
  const key = loadNodeKey(config, opts.createKey === true)
  if (config.db.driver === 'sqlite' && config.db.path !== ':memory:') await mkdir(dirname(config.db.path), { recursive: true })
  const store = await openStore(storeOptions(config))
  try {
    if (opts.migrate !== false) {
      const applied = await store.migrate()
      if (applied.length > 0) logger.info({ applied }, 'migrations applied')
    }
  } catch (e) {
    await store.close()
    throw e
  }
  let correlation: CorrelationOptions
  try {
    correlation = await correlationOptions(config, logger)
  } catch (e) {
    await store.close()
    throw e
  }
  const preparer: Preparer | undefined = opts.workers ? createWorkerPreparer() : undefined
  // Several processes on one PostgreSQL share live events through LISTEN/NOTIFY (services/events/fanout.ts).
  let eventChannel: PostgresEventChannel | undefined
  if (config.db.driver === 'postgres') {
    try {
      eventChannel = await openPostgresEventChannel({
        url: config.db.url,
        ...(config.db.schema !== undefined ? { schema: config.db.schema } : {}),
        onError: (e) => logger.warn({ err: e }, 'live-event channel (LISTEN/NOTIFY) failed; reconnecting'),
      })
    } catch (e) {
      await store.close()
      throw e
    }
  }
  const services = makeServices({
    ...(eventChannel ? { eventChannel } : {}),
    correlation,
    store, clock: systemClock, ids: nodeIds, hasher: nodeHasher, secrets: nodeSecrets, logger: logger as unknown as Logger,
    verify: ed25519Verify,
    remoteLogs: httpRemoteLog,
    peerClient: httpPeerClient,
    federation: {
      baseUrl: config.node.baseUrl,
      pollIntervalMs: config.federation.pollSeconds * 1000,
      backoff: { baseMs: config.federation.backoffBaseSeconds * 1000, maxMs: config.federation.backoffMaxSeconds * 1000 },
      invitationTtlHours: config.federation.invitationTtlHours,
    },
    webhooks: { allowInternalAddresses: config.webhooks.allowInternalAddresses },
    ...(key ? { nodeKey: key } : {}),
    ...(preparer ? { preparer } : {}),
  })
  const origin = config.transparency.origin ?? (key ? defaultOrigin(key.publicKey) : undefined)
  return {
    config, store, services, logger, key, origin,
    async close() {
      await preparer?.close()
      await eventChannel?.close()
      await store.close()
    },
  }
}

/**
 * The key that signs TAXII pagination cursors, kept in the database so every process serving it (and
 * the next start) accepts cursors the others issued.
 */
async function cursorKey(store: Store): Promise<Uint8Array> {
  const existing = await store.meta.get('taxii.cursor_key')
  if (existing === null) await store.meta.set('taxii.cursor_key', randomBytes(32).toString('base64'))
  // Re-read: if two processes raced, both now use whichever value was written last.
  return Buffer.from((await store.meta.get('taxii.cursor_key')) ?? '', 'base64')
}

/** Starts the HTTP server on the configured address; resolves with the URL it listens on. */
export async function serveNode(node: EntenteNode): Promise<{ url: string; close(): Promise<void> }> {
  const { config, services, logger } = node
  const spool = makeSpool()
  // Loaded here, not at the top: only `serve` needs the HTTP stack, and the other commands start faster without it.
  const { buildApp } = await import('../http/app.js')
  const app = await buildApp({
    services,
    logger,
    options: {
      nodeName: config.node.name,
      ...(config.node.baseUrl !== undefined ? { baseUrl: config.node.baseUrl } : {}),
      bodyLimit: config.http.bodyLimit,
      trustProxy: config.http.trustProxy,
      taxii: config.taxii,
      metrics: config.metrics.enabled,
      cursorKey: await cursorKey(node.store),
      imports: { spool: (body) => spool.spool(body, 4 * 1024 * 1024 * 1024), read: spool.read, remove: spool.remove },
      // The web app (issue 6): web/dist beside src/ or dist/; session cookies are Secure when the node's public URL is https.
      webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
      secureCookies: config.node.baseUrl?.startsWith('https://') === true,
    },
  })
  // The case index is derived from stored versions; a crash between a TAXII or peer-sync write and its
  // derive step leaves it behind: rebuilt before serving when it is out of step.
  await services.cases.reindexIfDrifted().catch((e: unknown) => logger.warn({ err: e }, 'cannot check the case index'))
  const url = await app.listen({ host: config.http.host, port: config.http.port })
  // The correlation index is built in the background now rather than by the first write.
  services.correlate.warm().catch((e: unknown) => logger.warn({ err: e }, 'cannot build the correlation index'))
  // Status resources are kept for at least statusRetentionHours (TAXII asks for 24 h at least).
  const purge = setInterval(() => {
    const before = storedTimestampFromMs(Date.now() - config.taxii.statusRetentionHours * 3600_000)
    node.store.statuses.purge(before).catch((e: unknown) => logger.warn({ err: e }, 'status purge failed'))
  }, 3600_000)
  purge.unref()
  // Ended web sessions are deleted a day after they ended.
  const sessions = setInterval(() => void services.auth.purge().catch((e: unknown) => logger.warn({ err: e }, 'session purge failed')), 3600_000)
  sessions.unref()
  // Checkpoints: signed regularly when the log has grown (and on demand through the API and CLI).
  const sign = async () => {
    if (node.key) {
      const r = await services.log.checkpoint()
      if (!r.ok) logger.warn({ error: r.error }, 'cannot sign a log checkpoint')
    }
    // The leaf-hash lookup of get-proof-by-hash follows the log in bulk, off the write path.
    await services.log.catchUpLeafIndex()
  }
  const signing = setInterval(() => void sign().catch((e: unknown) => logger.warn({ err: e }, 'checkpoint failed')), config.transparency.checkpointIntervalSeconds * 1000)
  signing.unref()
  // Witnessing: the logs this node watches, checked regularly; a fork is logged at error level.
  const witness = setInterval(() => {
    services.remoteLog
      .checkWitnessed()
      .then((results) => {
        for (const r of results) if (r.verdict === 'error') logger.warn({ origin: r.origin, detail: r.detail }, 'witnessed log check failed')
      })
      .catch((e: unknown) => logger.warn({ err: e }, 'witness check failed'))
  }, config.transparency.witnessIntervalSeconds * 1000)
  witness.unref()
  // Webhooks: due deliveries are sent regularly (one batch at a time; a batch never overlaps the next).
  const sender = makeWebhookSender(config.webhooks)
  let sending = false
  const deliveries = setInterval(() => {
    if (sending) return
    sending = true
    services.webhooks
      .deliverDue(sender)
      .catch((e: unknown) => logger.warn({ err: e }, 'webhook deliveries failed'))
      .finally(() => {
        sending = false
      })
  }, config.webhooks.intervalSeconds * 1000)
  deliveries.unref()
  // Federation: pulls from peers and feeds, publishes to peers (src/federation/scheduler.ts).
  const { startScheduler } = await import('../federation/scheduler.js')
  const scheduler = config.federation.enabled ? startScheduler({ federation: services.federation, logger: logger as unknown as Logger }) : null
  return {
    url,
    async close() {
      clearInterval(purge)
      clearInterval(sessions)
      clearInterval(signing)
      clearInterval(witness)
      clearInterval(deliveries)
      await scheduler?.stop()
      await app.close()
    },
  }
}
