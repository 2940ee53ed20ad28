/** One problem found in input, located by an RFC 6901 JSON pointer. */
export interface Issue {
  readonly pointer: string
  readonly message: string
}

/**
 * Every expected failure in Entente. Codes are snake_case and stable forever: they appear in
 * problem+json bodies, TAXII error resources, CLI messages and docs/errors.md.
 * No HTTP here: the mapping to status codes lives in `http/`.
 */
export type DomainError =
  | { readonly code: 'validation_failed'; readonly issues: readonly Issue[] }
  | { readonly code: 'stix_invalid'; readonly issues: readonly Issue[] }
  | { readonly code: 'not_found'; readonly resource: string; readonly id?: string }
  | { readonly code: 'forbidden'; readonly reason: 'role' | 'agreement' | 'tlp' | 'collection' }
  | { readonly code: 'conflict'; readonly detail: string }
  | { readonly code: 'invalid_transition'; readonly from: string; readonly event: string }
  | { readonly code: 'limit_exceeded'; readonly limit: string; readonly max: number }
  /** The request named a version (If-Match) that is no longer the latest: reload and retry. */
  | { readonly code: 'precondition_failed'; readonly detail: string }

export type DomainErrorCode = DomainError['code']

/** A one-line human description of a domain error (CLI output, logs, problem `detail`). */
export function describeError(e: DomainError): string {
  switch (e.code) {
    case 'validation_failed':
    case 'stix_invalid': {
      const first = e.issues[0]
      const more = e.issues.length > 1 ? ` (and ${e.issues.length - 1} more)` : ''
      return first ? `${first.pointer || '/'}: ${first.message}${more}` : 'invalid input'
    }
    case 'not_found':
      return e.id ? `${e.resource} ${e.id} does not exist` : `${e.resource} does not exist`
    case 'forbidden':
      return `not allowed (${e.reason})`
    case 'conflict':
      return e.detail
    case 'invalid_transition':
      return `cannot ${e.event} from state ${e.from}`
    case 'limit_exceeded':
      return `${e.limit} exceeds the limit of ${e.max}`
    case 'precondition_failed':
      return e.detail
  }
}
