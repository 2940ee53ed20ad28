/** Request ids: accepted from `X-Request-Id` when safe, otherwise generated; echoed on every response. */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const SAFE_ID = /^[\w\-=]{1,255}$/

/** Fastify `genReqId`: the client's X-Request-Id when at most 255 characters of [\w\-=], else a new UUID. */
export function genReqId(req: IncomingMessage): string {
  const h = req.headers['x-request-id']
  if (typeof h === 'string' && SAFE_ID.test(h)) return h
  return randomUUID()
}
