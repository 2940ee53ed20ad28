/**
 * Failures crossing the HTTP layer. Handlers never try/catch: they `unwrap` a service Result, which
 * either returns the value or throws a `DomainFailure`, and the context's error handler renders it
 * (problem+json under /api, the TAXII error resource under /taxii2) through `classify` in
 * plugins/problem.ts.
 */
import { describeError, type DomainError } from '../core/shared/errors.js'
import type { Result } from '../core/shared/result.js'

/** An expected failure from a service, carried to the error handler. */
export class DomainFailure extends Error {
  constructor(readonly error: DomainError) {
    super(describeError(error))
    this.name = 'DomainFailure'
  }
}

/** Returns the value of an ok Result, or throws its error as a DomainFailure. */
export function unwrap<T>(r: Result<T, DomainError>): T {
  if (r.ok) return r.value
  throw new DomainFailure(r.error)
}

/** Transport-level problem codes: not domain errors; mapped in plugins/problem.ts (HTTP_PROBLEMS). */
export type HttpProblemCode = 'unauthenticated' | 'csrf_failed' | 'not_acceptable' | 'unsupported_media_type' | 'rate_limited' | 'unavailable' | 'internal'

/** A transport-level failure (401, 406, 415, …) raised by the HTTP layer itself. */
export class HttpFailure extends Error {
  constructor(
    readonly code: HttpProblemCode,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail)
    this.name = 'HttpFailure'
  }
}

