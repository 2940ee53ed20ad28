/** Options of the HTTP adapter, given by the composition root (app/create-node.ts). */
import type { Logger } from 'pino'
import type { Services } from '../services/index.js'

/** Spools and reads uploaded bundles for REST import jobs; provided by the composition root (platform). */
export interface ImportFiles {
  spool(body: AsyncIterable<Uint8Array>): Promise<{ path: string; fingerprint: string; bytes: number }>
  read(path: string): AsyncIterable<{ index: number; text: string }[]>
  remove(path: string): Promise<void>
}

export interface HttpOptions {
  nodeName: string
  /** Public base URL (scheme://host[:port][/prefix]) for absolute URLs; default: from the request. */
  baseUrl?: string
  /** Largest request body in bytes; TAXII `max_content_length`. */
  bodyLimit: number
  taxii: { defaultPageSize: number; maxPageSize: number; statusRetentionHours: number }
  metrics: boolean
  trustProxy: boolean
  imports?: ImportFiles
  /**
   * Key for the MAC of pagination cursors. Several processes serving one database must share it so
   * that a cursor issued by one is accepted by another; default: a random key per process (cursors
   * then stop working across a restart, and clients start their listing again).
   */
  cursorKey?: Uint8Array
  /** Session cookies are Secure (with the `__Host-` prefix) even when a request came over plain http (TLS ends at a proxy). */
  secureCookies?: boolean
  /** The built web app (web/dist) served at `/`; absent: no web app. */
  webRoot?: string
  /** Milliseconds between SSE heartbeats on /api/v1/events (default 15 s). */
  sseHeartbeatMs?: number
}

export interface BuildAppArgs {
  services: Services
  logger: Logger
  options: HttpOptions
}
