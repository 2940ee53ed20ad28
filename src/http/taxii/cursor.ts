/**
 * Opaque keyset cursors for TAXII `next` and REST `nextCursor`: the last (date_added, seq) returned,
 * bound by an HMAC to the endpoint, the collection and the filters it was issued for. A cursor that
 * was edited, issued by another node (or process with another key) or for other filters is refused
 * with an issue, never a throw. Positions are not secret; the MAC only makes cursors tamper-evident.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Issue } from '../../core/shared/errors.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import type { KeysetPosition } from '../../store/port.js'
import type { ObjectFilters } from '../../services/share/objects.js'

const VERSION = 1
const TAG_BYTES = 16
const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
const MAX_CURSOR = 512

/** What a cursor is bound to. */
export interface CursorScope {
  readonly endpoint: string
  readonly collection: string
  readonly objectId?: string
  readonly filters: ObjectFilters
}

const sorted = (xs: readonly string[] | undefined) => (xs === undefined ? null : [...new Set(xs)].sort())

/** A deterministic string for a scope: the same filters in any order give the same scope. */
export function scopeKey(s: CursorScope): string {
  const f = s.filters
  const v = f.versions
  return JSON.stringify([
    s.endpoint,
    s.collection,
    s.objectId ?? null,
    f.addedAfter ?? null,
    sorted(f.ids),
    sorted(f.types),
    v === undefined ? null : [v.first, v.last, v.all, sorted(v.versions)],
    sorted(f.specVersions),
  ])
}

function tag(key: Uint8Array, scope: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`v${VERSION}\n${scope}\n${payload}`).digest().subarray(0, TAG_BYTES)
}

/** Encodes a keyset position as an opaque cursor for this scope. */
export function encodeCursor(pos: KeysetPosition, scope: CursorScope, key: Uint8Array): string {
  const payload = Buffer.from(JSON.stringify([VERSION, pos.dateAdded, pos.seq])).toString('base64url')
  return `${payload}.${tag(key, scopeKey(scope), payload).toString('base64url')}`
}

function bad(message: string): { ok: false; error: Issue } {
  return err({ pointer: '', message })
}

/** Decodes a cursor issued by `encodeCursor` for the same scope and key. Never throws. */
export function decodeCursor(text: unknown, scope: CursorScope, key: Uint8Array): Result<KeysetPosition, Issue> {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_CURSOR) return bad('is not a cursor issued by this server')
  const dot = text.indexOf('.')
  if (dot <= 0 || dot !== text.lastIndexOf('.')) return bad('is not a cursor issued by this server')
  const payload = text.slice(0, dot)
  const given = text.slice(dot + 1)
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(given)) return bad('is not a cursor issued by this server')
  const givenTag = Buffer.from(given, 'base64url')
  const expected = tag(key, scopeKey(scope), payload)
  if (givenTag.length !== expected.length || !timingSafeEqual(givenTag, expected)) {
    return bad('was not issued by this server for this collection and these filters')
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return bad('is not a cursor issued by this server')
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== VERSION) return bad('is not a cursor issued by this server')
  const [, dateAdded, seq] = value as [unknown, unknown, unknown]
  if (typeof dateAdded !== 'string' || !STORED_TIMESTAMP.test(dateAdded)) return bad('is not a cursor issued by this server')
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return bad('is not a cursor issued by this server')
  return ok({ dateAdded, seq })
}
