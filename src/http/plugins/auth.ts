/**
 * Authentication for /api and /taxii2: `Authorization: Bearer <token>`, or HTTP Basic with any user
 * name and the token as the password (what many TAXII clients can send). The token is checked by
 * `admin.authenticateToken`; the viewer is set on `request.viewer`.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import type { Viewer } from '../../core/policy/viewer.js'
import type { AdminService } from '../../services/admin/admin.js'
import { HttpFailure } from '../errors.js'
import { WWW_AUTHENTICATE } from './problem.js'
import { isSafeMethod, sessionCookie, CSRF_HEADER, type SessionAuthenticator } from './session.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking; null before authentication and on public routes called without credentials. */
    viewer: Viewer | null
  }
  interface FastifyContextConfig {
    /** `optional`: credentials are checked when sent, but not required (TAXII discovery). */
    auth?: 'optional'
  }
}

export type Credentials = { readonly kind: 'none' } | { readonly kind: 'token'; readonly secret: string } | { readonly kind: 'malformed' }

const MAX_HEADER = 2048

/** Reads the Authorization header. Never throws. */
export function readCredentials(header: string | undefined): Credentials {
  if (header === undefined || header.length === 0) return { kind: 'none' }
  if (header.length > MAX_HEADER) return { kind: 'malformed' }
  const space = header.indexOf(' ')
  if (space <= 0) return { kind: 'malformed' }
  const scheme = header.slice(0, space).toLowerCase()
  const value = header.slice(space + 1).trim()
  if (value.length === 0) return { kind: 'malformed' }
  if (scheme === 'bearer') return { kind: 'token', secret: value }
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return { kind: 'malformed' }
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return { kind: 'malformed' }
    const secret = decoded.slice(colon + 1)
    return secret.length > 0 ? { kind: 'token', secret } : { kind: 'malformed' }
  }
  return { kind: 'malformed' }
}

function unauthenticated(detail: string): HttpFailure {
  return new HttpFailure('unauthenticated', detail, { 'www-authenticate': WWW_AUTHENTICATE })
}

/**
 * An onRequest hook that authenticates every request of its context. Routes with
 * `config: { auth: 'optional' }` accept requests without credentials; bad credentials are refused
 * everywhere (a client that sends a wrong token should learn about it).
 */
export function authHook(admin: Pick<AdminService, 'authenticateToken'>, sessions?: SessionAuthenticator): onRequestAsyncHookHandler {
  return async function authenticate(request) {
    const creds = readCredentials(request.headers.authorization)
    // The web app's session cookie, only when no Authorization header was sent (plugins/session.ts).
    const cookie = creds.kind === 'none' && sessions ? sessionCookie(request) : undefined
    if (cookie !== undefined && sessions) {
      const s = await sessions.authenticate(cookie)
      if (!s) {
        if (request.routeOptions.config.auth === 'optional') return
        throw unauthenticated('the session has ended: sign in again')
      }
      if (!isSafeMethod(request.method) && request.routeOptions.config.csrf !== 'skip') {
        const sent = request.headers[CSRF_HEADER]
        if (!sessions.checkCsrf(cookie, typeof sent === 'string' ? sent : undefined))
          throw new HttpFailure('csrf_failed', `a request made with the session cookie must carry the ${CSRF_HEADER} header given at sign-in`)
      }
      request.viewer = s.viewer
      request.sessionId = cookie
      return
    }
    if (creds.kind === 'none') {
      if (request.routeOptions.config.auth === 'optional') return
      throw unauthenticated('this endpoint needs credentials: Authorization: Bearer <token>')
    }
    if (creds.kind === 'malformed') throw unauthenticated('the Authorization header is not a Bearer token or Basic credentials')
    const viewer = await admin.authenticateToken(creds.secret)
    if (!viewer) throw unauthenticated('the token is unknown, revoked or expired')
    request.viewer = viewer
  }
}

/** The authenticated viewer of a request (routes behind `authHook`). */
export function viewerOf(request: FastifyRequest): Viewer {
  if (request.viewer === null) throw unauthenticated('this endpoint needs credentials')
  return request.viewer
}
