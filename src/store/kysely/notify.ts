/**
 * PostgreSQL LISTEN/NOTIFY as a broadcast channel between the Entente processes sharing one database
 * (it implements the `EventChannel` port of services/events/fanout.ts, by shape).
 *
 * - One channel per schema (two nodes in two schemas of one database do not hear each other).
 * - NOTIFY goes through a small pool of its own (`select pg_notify($1, $2)`), after the writer's
 *   commit. Payloads of 8000 bytes or more are refused by PostgreSQL; we refuse them first.
 * - LISTEN holds one dedicated connection. When it fails (server restart, network, a terminated
 *   backend) it is re-established with exponential backoff, and `onGap` says notices may have been
 *   missed meanwhile.
 */
import { createHash } from 'node:crypto'
import pg from 'pg'

export interface PostgresEventChannelOptions {
  readonly url: string
  /** The schema the node's tables are in (the channel's scope); absent: the connection's current schema. */
  readonly schema?: string
  /** Backoff between LISTEN reconnection attempts (defaults 250 ms doubling to 10 s). */
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number }
  /** Connection failures (logged by the caller). */
  readonly onError?: (e: unknown) => void
}

/** PostgreSQL's limit is "shorter than 8000 bytes" in the default configuration. */
const NOTIFY_LIMIT_BYTES = 8000

/** The channel name of a schema: readable when it fits in an identifier (63 bytes), hashed otherwise. */
export function channelName(schema: string): string {
  const plain = `entente_events.${schema}`
  return Buffer.byteLength(plain) <= 63 ? plain : `entente_events.${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`
}

export interface PostgresEventChannel {
  readonly channel: string
  notify(payload: string): Promise<void>
  listen(handlers: { onPayload(payload: string): void; onGap(): void }): Promise<void>
  /** For operators and tests: whether LISTEN is connected, its backend pid, and how often it reconnected. */
  state(): { readonly connected: boolean; readonly pid: number | null; readonly reconnects: number }
  close(): Promise<void>
}

export async function openPostgresEventChannel(opts: PostgresEventChannelOptions): Promise<PostgresEventChannel> {
  const backoff = opts.reconnect ?? { baseMs: 250, maxMs: 10_000 }
  const pool = new pg.Pool({ connectionString: opts.url, max: 2, application_name: 'entente-notify' })
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (e) => opts.onError?.(e))
  let schema = opts.schema
  if (schema === undefined) {
    try {
      schema = (await pool.query<{ schema: string }>('select current_schema() as schema')).rows[0]?.schema ?? 'public'
    } catch (e) {
      await pool.end()
      throw e
    }
  }
  const channel = channelName(schema)

  let handlers: { onPayload(payload: string): void; onGap(): void } | null = null
  let client: pg.Client | null = null
  let pid: number | null = null
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let delay = backoff.baseMs
  let reconnects = 0

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: opts.url, application_name: 'entente-listen' })
    c.on('notification', (m) => {
      if (m.channel === channel && m.payload !== undefined) handlers?.onPayload(m.payload)
    })
    c.on('error', (e) => {
      opts.onError?.(e)
      lost(c)
    })
    c.on('end', () => lost(c))
    try {
      await c.connect()
      await c.query(`listen ${pg.escapeIdentifier(channel)}`)
      const r = await c.query<{ pid: number }>('select pg_backend_pid() as pid')
      if (closed) throw new Error('closed')
      client = c
      pid = r.rows[0]?.pid ?? null
      delay = backoff.baseMs
    } catch (e) {
      await c.end().catch(() => undefined)
      throw e
    }
  }

  /** The LISTEN connection `c` is gone: reconnect (unless closing), and say notices may have been missed. */
  function lost(c: pg.Client) {
    if (c !== client) return
    client = null
    pid = null
    void c.end().catch(() => undefined)
    schedule()
  }

  function schedule() {
    if (closed || timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      connect().then(
        () => {
          reconnects++
          handlers?.onGap()
        },
        (e: unknown) => {
          opts.onError?.(e)
          delay = Math.min(delay * 2, backoff.maxMs)
          schedule()
        },
      )
    }, delay)
    timer.unref()
  }

  return {
    channel,
    async notify(payload) {
      if (Buffer.byteLength(payload, 'utf8') >= NOTIFY_LIMIT_BYTES) throw new RangeError(`event notice of ${Buffer.byteLength(payload, 'utf8')} bytes: NOTIFY takes less than ${NOTIFY_LIMIT_BYTES}`)
      await pool.query('select pg_notify($1, $2)', [channel, payload])
    },
    async listen(h) {
      if (handlers !== null) throw new Error('already listening')
      handlers = h
      try {
        await connect()
      } catch (e) {
        // The database may come back: keep trying in the background.
        opts.onError?.(e)
        schedule()
      }
    },
    state: () => ({ connected: client !== null, pid, reconnects }),
    async close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      const c = client
      client = null
      await c?.end().catch(() => undefined)
      await pool.end()
    },
  }
}
