/**
 * The pure half of the ingest pipeline for one object: parse → validate → canonicalise.
 * Hashing and storing happen in the service; this part may run in a worker thread.
 */
import type { Issue } from '../shared/errors.js'
import { LIMITS } from '../shared/limits.js'
import { canonicalize } from '../stix/canonical.js'
import { toStoredTimestamp } from '../stix/time.js'
import { validateStixObject } from '../stix/validate.js'

/** A validated object, ready to hash and store. */
export interface PreparedObject {
  readonly stixId: string
  readonly type: string
  readonly specVersion: string
  /** Stored timestamp forms (fixed-width, microseconds) or null when absent. */
  readonly created: string | null
  readonly modified: string | null
  readonly revoked: boolean
  readonly createdByRef: string | null
  /** RFC 8785 canonical JSON of the whole object. */
  readonly json: string
  readonly warnings: readonly Issue[]
  /** SHA-256 of `json`, when the step that prepared it already computed it (peer sync verifies provenance with it). */
  readonly contentHash?: Uint8Array
}

export type PrepareFailureCode = 'malformed_json' | 'stix_invalid' | 'limit_exceeded'

export type PrepareOutcome =
  | { readonly ok: true; readonly value: PreparedObject }
  | {
      readonly ok: false
      /** The object's `id` when it could be read, so reports can name it. */
      readonly id: string | null
      readonly code: PrepareFailureCode
      readonly issues: readonly Issue[]
    }

function idOf(value: unknown): string | null {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as Record<string, unknown>)['id']
    if (typeof id === 'string' && id.length <= 300) return id
  }
  return null
}

function fail(id: string | null, code: PrepareFailureCode, pointer: string, message: string): PrepareOutcome {
  return { ok: false, id, code, issues: [{ pointer, message }] }
}

/**
 * Prepares one STIX object given as JSON text (streamed imports) or as an already parsed value
 * (request bodies). Never throws.
 */
export function prepareObject(input: { readonly text: string } | { readonly value: unknown }): PrepareOutcome {
  let value: unknown
  if ('text' in input) {
    // Characters, not bytes: a cheap upper bound check first; the reader already enforced the byte limit.
    if (input.text.length > LIMITS.maxObjectBytes) {
      return fail(null, 'limit_exceeded', '', `object is larger than ${LIMITS.maxObjectBytes} bytes`)
    }
    try {
      value = JSON.parse(input.text)
    } catch (e) {
      return fail(null, 'malformed_json', '', `malformed JSON: ${(e as Error).message}`)
    }
  } else {
    value = input.value
  }
  const checked = validateStixObject(value)
  if (!checked.ok) return { ok: false, id: idOf(value), code: 'stix_invalid', issues: checked.errors }
  const obj = checked.object
  let json: string
  try {
    json = canonicalize(obj)
  } catch (e) {
    return fail(obj.id, 'stix_invalid', '', `not representable as canonical JSON: ${(e as Error).message}`)
  }
  if (json.length > LIMITS.maxObjectBytes) {
    return fail(obj.id, 'limit_exceeded', '', `object is larger than ${LIMITS.maxObjectBytes} bytes`)
  }
  const created = typeof obj['created'] === 'string' ? toStoredTimestamp(obj['created']) : null
  const modified = typeof obj['modified'] === 'string' ? toStoredTimestamp(obj['modified']) : null
  const specVersion = typeof obj['spec_version'] === 'string' ? obj['spec_version'] : '2.1'
  const createdByRef = typeof obj['created_by_ref'] === 'string' ? obj['created_by_ref'] : null
  return {
    ok: true,
    value: {
      stixId: obj.id,
      type: obj.type,
      specVersion,
      created,
      modified,
      revoked: obj['revoked'] === true,
      createdByRef,
      json,
      warnings: checked.warnings,
    },
  }
}
