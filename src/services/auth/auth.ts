/**
 * Web sign-in: passwords (set by an administrator or the operator's CLI) and cookie sessions.
 *
 * - A session id is 256 random bits; the store keeps only its SHA-256 (like API tokens), so a copy
 *   of the database does not hold usable sessions.
 * - Sessions end at an idle expiry (pushed forward as they are used), at an absolute expiry, at
 *   sign-out, when the user's password changes, and when the user is disabled.
 * - The CSRF token is derived from the session id (SHA-256 under its own label): the server needs no
 *   extra state to check it, a page that reloads gets it again from `GET /api/v1/session`, and it
 *   reveals nothing about the session id.
 * - Failed sign-ins are limited per username and per client address; a blocked attempt does not
 *   spend a password hash.
 */
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { User } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import { makeFailureLimiter } from './rate-limit.js'

export interface AuthOptions {
  /** A session unused for this long ends. */
  readonly idleMinutes: number
  /** A session ends this long after sign-in, used or not. */
  readonly absoluteHours: number
  /** Failed sign-ins per username, then per address, within `failureWindowMinutes`. */
  readonly maxFailuresPerUser: number
  readonly maxFailuresPerAddress: number
  readonly failureWindowMinutes: number
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  idleMinutes: 30,
  absoluteHours: 12,
  maxFailuresPerUser: 5,
  maxFailuresPerAddress: 30,
  failureWindowMinutes: 15,
}

export const PASSWORD_MIN = 12
export const PASSWORD_MAX = 1024
const USERNAME_MAX = 64
/** A session id as sent in the cookie: `ses_` and 43 base64url characters. */
const SESSION_ID = /^ses_[A-Za-z0-9_-]{43}$/
const TOUCH_INTERVAL_MS = 60_000

export interface SignedIn {
  /** The cookie value: shown to the client once, never stored. */
  readonly sessionId: string
  readonly csrfToken: string
  readonly viewer: Viewer & { readonly kind: 'user' }
  readonly expiresAt: string
  readonly idleExpiresAt: string
}

export type SignInFailure = { readonly reason: 'invalid_credentials' } | { readonly reason: 'rate_limited'; readonly retryAfterSeconds: number }

export interface SessionAuth {
  readonly viewer: Viewer & { readonly kind: 'user' }
  readonly csrfToken: string
  readonly expiresAt: string
}

function toViewer(user: User): Viewer & { kind: 'user' } {
  return { kind: 'user', userId: user.id, username: user.username, orgId: user.orgId, role: user.role }
}

/** Constant-time comparison of two strings (of any length). */
function sameString(a: string, b: string, hash: (s: string) => Uint8Array): boolean {
  const x = hash(a)
  const y = hash(b)
  let d = 0
  for (let i = 0; i < x.length; i++) d |= (x[i] as number) ^ (y[i] as number)
  return d === 0 && x.length === y.length
}

export function makeAuthService(deps: Pick<ServiceDeps, 'store' | 'clock' | 'secrets' | 'hasher' | 'logger'> & { readonly auth?: Partial<AuthOptions> }) {
  const { store, clock, secrets, hasher } = deps
  const opts: AuthOptions = { ...DEFAULT_AUTH_OPTIONS, ...deps.auth }
  const log = deps.logger.child({ module: 'auth' })
  const windowMs = opts.failureWindowMinutes * 60_000
  const perUser = makeFailureLimiter({ max: opts.maxFailuresPerUser, windowMs })
  const perAddress = makeFailureLimiter({ max: opts.maxFailuresPerAddress, windowMs })
  const lastTouched = new Map<string, number>()
  // Verifying against this when the user does not exist (or has no password) keeps the answer time
  // the same as for a wrong password, so timing does not tell which usernames exist.
  let dummyHash: Promise<string> | undefined
  const dummy = () => (dummyHash ??= secrets.hashPassword('entente-dummy-password-for-timing'))

  const nowMs = () => clock.nowMs()
  const csrfOf = (sessionId: string) => Buffer.from(hasher.sha256(`entente-csrf\u0000${sessionId}`)).toString('base64url')
  const idHash = (sessionId: string) => hasher.sha256(sessionId)

  async function verify(password: string, encoded: string): Promise<boolean> {
    try {
      return await secrets.verifyPassword(password, encoded)
    } catch (e) {
      log.warn({ err: e }, 'a stored password hash could not be checked')
      return false
    }
  }

  return {
    options: opts,

    /** Checks a username and password and opens a session. */
    async signIn(input: { username: string; password: string; address: string }): Promise<Result<SignedIn, SignInFailure>> {
      const now = nowMs()
      const userKey = input.username.toLowerCase().slice(0, USERNAME_MAX + 1)
      const addressKey = input.address.slice(0, 100)
      const wait = Math.max(perUser.blockedFor(userKey, now), perAddress.blockedFor(addressKey, now))
      if (wait > 0) return err({ reason: 'rate_limited', retryAfterSeconds: wait })
      const fail = () => {
        perUser.fail(userKey, now)
        perAddress.fail(addressKey, now)
        return err({ reason: 'invalid_credentials' as const })
      }
      if (input.username.length === 0 || input.username.length > USERNAME_MAX || input.password.length === 0 || input.password.length > PASSWORD_MAX) return fail()
      const user = await store.users.getByUsername(input.username)
      if (!user || user.passwordHash === null || user.disabledAt !== null) {
        await verify(input.password, await dummy())
        return fail()
      }
      if (!(await verify(input.password, user.passwordHash))) return fail()
      perUser.reset(userKey)
      const sessionId = `ses_${secrets.newToken().replace(/^[a-z]+_/, '')}`
      const at = storedTimestampFromMs(now)
      const expiresMs = now + opts.absoluteHours * 3600_000
      const expiresAt = storedTimestampFromMs(expiresMs)
      const idleExpiresAt = storedTimestampFromMs(Math.min(expiresMs, now + opts.idleMinutes * 60_000))
      const created = await store.sessions.create(idHash(sessionId), { userId: user.id, createdAt: at, lastSeenAt: at, idleExpiresAt, expiresAt, revokedAt: null })
      if (!created.ok) throw new Error(`cannot store a session: ${JSON.stringify(created.error)}`)
      return ok({ sessionId, csrfToken: csrfOf(sessionId), viewer: toViewer(user), expiresAt, idleExpiresAt })
    },

    /** The viewer a session cookie acts as, or null when it is malformed, unknown or ended. */
    async authenticate(sessionId: string): Promise<SessionAuth | null> {
      if (!SESSION_ID.test(sessionId)) return null
      const now = nowMs()
      const at = storedTimestampFromMs(now)
      const h = idHash(sessionId)
      const p = await store.sessions.findActive(h, at)
      if (!p) return null
      const key = Buffer.from(h).toString('base64')
      if (now - (lastTouched.get(key) ?? 0) >= TOUCH_INTERVAL_MS) {
        if (lastTouched.size > 10_000) lastTouched.clear()
        lastTouched.set(key, now)
        await store.sessions.touch(h, at, storedTimestampFromMs(now + opts.idleMinutes * 60_000))
      }
      return { viewer: toViewer(p.user), csrfToken: csrfOf(sessionId), expiresAt: p.session.expiresAt }
    },

    /** True when `sent` is the CSRF token of the session (constant time). */
    checkCsrf(sessionId: string, sent: string | undefined): boolean {
      if (sent === undefined || sent.length === 0 || sent.length > 200) return false
      return sameString(csrfOf(sessionId), sent, (s) => hasher.sha256(s))
    },

    /** Ends a session (sign-out). Unknown or already ended sessions are fine. */
    async signOut(sessionId: string): Promise<void> {
      if (!SESSION_ID.test(sessionId)) return
      await store.sessions.revoke(idHash(sessionId), storedTimestampFromMs(nowMs()))
    },

    /** Ends every session of a user (the user was disabled). */
    async endSessionsOf(userId: string): Promise<number> {
      return store.sessions.revokeUser(userId, storedTimestampFromMs(nowMs()))
    },

    /**
     * Sets a user's password (administrators, and the operator through the CLI's system viewer) and ends
     * every session of theirs. (Not a transparency-log entry: the log records shared state, and a
     * password is neither shared nor checkable by partners.)
     */
    async setPassword(viewer: Viewer, input: { userId: string; password: string }): Promise<Result<User>> {
      if (!isAdmin(viewer)) return err({ code: 'forbidden', reason: 'role' })
      if (input.password.length < PASSWORD_MIN || input.password.length > PASSWORD_MAX)
        return err({ code: 'validation_failed', issues: [{ pointer: '/password', message: `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` }] })
      if (!(await store.users.get(input.userId))) return err({ code: 'not_found', resource: 'user', id: input.userId })
      const hash = await secrets.hashPassword(input.password)
      const at = storedTimestampFromMs(nowMs())
      return store.transaction(async (tx) => {
        const u = await tx.sessions.setPasswordHash(input.userId, hash)
        if (!u.ok) return u
        await tx.sessions.revokeUser(input.userId, at)
        return u
      })
    },

    /** Deletes sessions that ended more than a day ago. */
    async purge(): Promise<number> {
      return store.sessions.purge(storedTimestampFromMs(nowMs() - 86_400_000))
    },
  }
}

export type AuthService = ReturnType<typeof makeAuthService>
