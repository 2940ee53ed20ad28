/**
 * Cookie sessions for the web app, beside bearer tokens: the session cookie, its attributes, and the
 * CSRF check of unsafe methods. A request that sends `Authorization` is authenticated by it alone; the
 * cookie is only looked at without one, so scripts with tokens never meet CSRF checks.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthService } from '../../services/auth/auth.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The session id of a request authenticated by the session cookie. */
    sessionId?: string
  }
  interface FastifyContextConfig {
    /** `skip`: no CSRF check on this route (sign-in: there is no session yet). */
    csrf?: 'skip'
  }
}

export const SESSION_COOKIE = 'entente_session'
/** With Secure, the `__Host-` prefix pins the cookie to this host and path `/` (no subdomain can set it). */
export const SECURE_SESSION_COOKIE = '__Host-entente_session'
export const CSRF_HEADER = 'x-csrf-token'

export type SessionAuthenticator = Pick<AuthService, 'authenticate' | 'checkCsrf'>

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method)

/** A cookie's value from a Cookie header (the first of that name), or undefined. Never throws. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The session cookie of a request (either name), or undefined. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const h = request.headers.cookie
  return readCookie(h, SECURE_SESSION_COOKIE) ?? readCookie(h, SESSION_COOKIE)
}

/** Whether cookies must be Secure: configured so, or the request came over https. */
export function secureCookies(request: FastifyRequest, configured: boolean): boolean {
  return configured || request.protocol === 'https'
}

export function setSessionCookie(reply: FastifyReply, sessionId: string, maxAgeSeconds: number, secure: boolean): void {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE
  reply.header('set-cookie', `${name}=${sessionId}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`)
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  const name = secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE
  reply.header('set-cookie', `${name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`)
}
