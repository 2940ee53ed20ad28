/**
 * The one mapping table from error codes to HTTP, `classify` (any thrown value → what to render), and
 * the RFC 9457 problem+json renderer used by every non-TAXII route. The TAXII renderer
 * (taxii/errors.ts) uses the same `classify`, so both speak the same codes.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { describeError, type DomainError, type Issue } from '../../core/shared/errors.js'
import { PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_PREFIX, type Problem } from '../../contract/problem.js'
import { DomainFailure, HttpFailure, type HttpProblemCode } from '../errors.js'

/** One row of a mapping table. `meaning` is what docs/errors.md says about the code. */
export interface ProblemEntry {
  readonly status: number
  readonly title: string
  readonly meaning: string
}

/**
 * Domain error code → HTTP status. The compiler checks that every DomainError code is mapped.
 * docs/errors.md is generated from this table and HTTP_PROBLEMS (see errors-doc.test.ts).
 */
export const PROBLEMS = {
  validation_failed: {
    status: 400,
    title: 'Request is not valid',
    meaning: 'The request (path, query, headers or body) does not match what the endpoint accepts. `errors` lists each problem with a JSON pointer such as `/body/name` or `/query/limit`. Malformed JSON bodies and bad TAXII filters or cursors are reported with this code too.',
  },
  stix_invalid: {
    status: 422,
    title: 'STIX content is not valid',
    meaning: 'A STIX object breaks the STIX 2.1 rules. In TAXII Add Objects and REST bundle uploads, invalid objects are reported per object (status `failures`, bundle `results`) instead, and valid ones are still stored.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    meaning: 'The resource does not exist, or the caller may not know it exists. A collection the caller has no rights on answers exactly like a missing one.',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed',
    meaning: 'The caller is known but may not do this: a read-only user writing, an organisation without write rights on a collection, a non-administrator changing node administration.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    meaning: 'The request clashes with existing state: a name, username or alias already taken, or a node initialised twice.',
  },
  invalid_transition: {
    status: 409,
    title: 'Not allowed in this state',
    meaning: 'The resource is in a state where this change is not allowed (workflows).',
  },
  limit_exceeded: {
    status: 413,
    title: 'Too large',
    meaning: 'The request is over a size limit: the body is larger than the node\'s `bodyLimit` (TAXII `max_content_length`), or a bundle or envelope has more objects than allowed per request.',
  },
  precondition_failed: {
    status: 412,
    title: 'Precondition failed',
    meaning: 'The request named the version it edits (`If-Match`, the `version` of a case or task) and that version is no longer the latest: someone else changed it. Reload, apply the change again and retry with the new version.',
  },
} as const satisfies Record<DomainError['code'], ProblemEntry>

/** Transport-level problems: not domain errors, but rendered by the same two renderers. */
export const HTTP_PROBLEMS = {
  unauthenticated: {
    status: 401,
    title: 'Authentication required',
    meaning: 'No credentials, or an unknown, revoked or expired token. Send `Authorization: Bearer <token>` (or HTTP Basic with the token as the password). The answer carries `WWW-Authenticate`.',
  },
  csrf_failed: {
    status: 403,
    title: 'CSRF check failed',
    meaning: 'A POST, PUT, PATCH or DELETE authenticated by the web session cookie did not carry the session\'s `X-CSRF-Token` header (returned at sign-in and by `GET /api/v1/session`). Requests with an API token are never checked.',
  },
  not_acceptable: {
    status: 406,
    title: 'Not acceptable',
    meaning: 'TAXII only: the `Accept` header does not include `application/taxii+json;version=2.1` (or `application/taxii+json`).',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    meaning: 'The request body\'s `Content-Type` is not one the endpoint accepts (TAXII: `application/taxii+json;version=2.1`; REST: `application/json`, and `application/gzip` for imports).',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    meaning: 'The caller sent too many requests; retry after the time in `Retry-After`.',
  },
  unavailable: {
    status: 503,
    title: 'Service unavailable',
    meaning: 'The node cannot serve the request right now (for example, its database is unreachable, or it is shutting down).',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    meaning: 'An unexpected failure. The answer carries no detail; the node logs the error with the request id, which is the thing to quote when reporting it.',
  },
} as const satisfies Record<HttpProblemCode, ProblemEntry>
export type ErrorCode = DomainError['code'] | HttpProblemCode

/** The challenge sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="entente", Basic realm="entente"'

/** Any failure, normalised for rendering. */
export interface ErrorView {
  readonly status: number
  readonly code: ErrorCode
  readonly title: string
  readonly detail: string
  readonly errors: readonly Issue[]
  readonly headers: Readonly<Record<string, string>>
  /** True for failures that are our fault (5xx): logged at error level with the error. */
  readonly internal: boolean
}

function view(code: ErrorCode, detail: string, errors: readonly Issue[] = [], headers: Readonly<Record<string, string>> = {}): ErrorView {
  const entry: ProblemEntry = code in PROBLEMS ? PROBLEMS[code as DomainError['code']] : HTTP_PROBLEMS[code as HttpProblemCode]
  return { status: entry.status, code, title: entry.title, detail, errors, headers, internal: entry.status >= 500 }
}

interface AjvIssue {
  readonly instancePath?: string
  readonly message?: string
  readonly keyword?: string
  readonly params?: Record<string, unknown>
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** AJV errors (Fastify validation) → issues with pointers into the request (`/body/name`). */
export function ajvIssues(context: string, errors: readonly AjvIssue[]): Issue[] {
  const part = context === 'querystring' ? 'query' : context
  return errors.map((e) => {
    let pointer = `/${part}${e.instancePath ?? ''}`
    const p = e.params ?? {}
    if (e.keyword === 'required' && typeof p['missingProperty'] === 'string') pointer += `/${pointerSegment(p['missingProperty'])}`
    if (e.keyword === 'additionalProperties' && typeof p['additionalProperty'] === 'string') {
      return { pointer: `${pointer}/${pointerSegment(p['additionalProperty'])}`, message: 'is not allowed here' }
    }
    return { pointer, message: e.message ?? 'is not valid' }
  })
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}

/** Any thrown value → what to render. Never exposes the message of an unknown error. */
export function classify(error: unknown, bodyLimit: number): ErrorView {
  if (error instanceof DomainFailure) {
    const e = error.error
    const issues = e.code === 'validation_failed' || e.code === 'stix_invalid' ? e.issues : []
    const detail = issues.length > 1 ? `${plural(issues.length, 'problem')} in the request` : describeError(e)
    return view(e.code, detail, issues)
  }
  if (error instanceof HttpFailure) return view(error.code, error.detail, [], error.headers)
  if (error === null || typeof error !== 'object') return view('internal', 'An internal error occurred.')
  const e = error as { code?: unknown; statusCode?: unknown; validation?: unknown; validationContext?: unknown; message?: unknown }
  if (Array.isArray(e.validation)) {
    const issues = ajvIssues(typeof e.validationContext === 'string' ? e.validationContext : 'body', e.validation as AjvIssue[])
    return view('validation_failed', issues.length === 1 ? `${issues[0]?.pointer}: ${issues[0]?.message}` : `${plural(issues.length, 'problem')} in the request`, issues)
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return view('limit_exceeded', `request body is larger than ${bodyLimit} bytes`)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return view('unsupported_media_type', 'this Content-Type is not accepted here')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return view('validation_failed', 'the request body is empty', [{ pointer: '/body', message: 'must not be empty' }])
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return view('validation_failed', 'the request body is not valid JSON', [{ pointer: '/body', message: 'is not valid JSON' }])
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return view('validation_failed', 'Content-Length does not match the body', [{ pointer: '/headers/content-length', message: 'does not match the body' }])
    case 'FST_ERR_NOT_FOUND':
      return view('not_found', 'no such route')
  }
  // Other client errors raised by Fastify or its plugins: keep the status family, never a 500.
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status === 404) return view('not_found', 'not found')
  if (status === 413) return view('limit_exceeded', `request body is larger than ${bodyLimit} bytes`)
  if (status === 415) return view('unsupported_media_type', 'this Content-Type is not accepted here')
  if (status === 503) return view('unavailable', 'the service is unavailable')
  if (status >= 400 && status < 500) return view('validation_failed', 'the request is not valid')
  return view('internal', 'An internal error occurred.')
}

/** Logs a failure at the level it deserves: 5xx at error with the error, 4xx at info without a stack. */
export function logFailure(request: FastifyRequest, v: ErrorView, error: unknown): void {
  if (v.internal) request.log.error({ err: error, code: v.code, status: v.status }, 'request failed')
  else request.log.info({ code: v.code, status: v.status, method: request.method, url: request.routeOptions.url ?? request.url }, v.detail)
}

/** The request path without its query string. */
export function pathOf(request: FastifyRequest): string {
  const q = request.url.indexOf('?')
  return q === -1 ? request.url : request.url.slice(0, q)
}

/** Renders an ErrorView as an RFC 9457 problem. */
export function toProblem(request: FastifyRequest, v: ErrorView): Problem {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${v.code}`,
    title: v.title,
    status: v.status,
    detail: v.detail,
    instance: pathOf(request),
    code: v.code,
    requestId: String(request.id),
    errors: v.errors.map((i) => ({ pointer: i.pointer, message: i.message })),
  }
}

/** Sends a problem for any failure. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown, bodyLimit: number): FastifyReply {
  const v = classify(error, bodyLimit)
  logFailure(request, v, error)
  reply.code(v.status).headers(v.headers).header('content-type', PROBLEM_MEDIA_TYPE)
  return reply.send(JSON.stringify(toProblem(request, v)))
}

/**
 * Installs the problem+json error and not-found handlers on a context (the root, and /api).
 * `fallback` (the web app's single-page fallback, http/web.ts) may answer an unknown route first; it
 * returns false for anything it does not serve (every /api, /taxii2, /healthz and /metrics path).
 */
export function useProblems(app: FastifyInstance, bodyLimit: number, fallback?: (request: FastifyRequest, reply: FastifyReply) => boolean): void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendProblem(request, reply, error, bodyLimit))
  app.setNotFoundHandler((request, reply) => {
    if (fallback?.(request, reply)) return reply
    return sendProblem(request, reply, new DomainFailure({ code: 'not_found', resource: `route ${request.method} ${pathOf(request)}` }), bodyLimit)
  })
}
