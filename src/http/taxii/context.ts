/** What every TAXII route plugin receives, and helpers shared by them. */
import type { FastifyRequest } from 'fastify'
import type { Services } from '../../services/index.js'
import type { KeysetPosition } from '../../store/port.js'
import { DomainFailure } from '../errors.js'
import type { HttpOptions } from '../options.js'
import type { Metrics } from '../plugins/metrics.js'
import { decodeCursor, encodeCursor, type CursorScope } from './cursor.js'
import { parseTaxiiQuery, type TaxiiEndpoint, type TaxiiQuery } from './filters.js'

/** The one API root of a node: /taxii2/api/. */
export const API_ROOT = 'api'

export interface TaxiiContext {
  readonly services: Services
  readonly options: HttpOptions
  readonly cursorKey: Uint8Array
  readonly metrics: Metrics
}

/** Parses an endpoint's query or throws `validation_failed` with every issue. */
export function taxiiQuery(ctx: TaxiiContext, endpoint: TaxiiEndpoint, request: FastifyRequest): TaxiiQuery {
  const r = parseTaxiiQuery(endpoint, request.query, { defaultLimit: ctx.options.taxii.defaultPageSize, maxLimit: ctx.options.taxii.maxPageSize })
  if (!r.ok) throw new DomainFailure({ code: 'validation_failed', issues: r.error })
  return r.value
}

/** The keyset position of a `next` cursor, or throws `validation_failed` for a bad one. */
export function position(ctx: TaxiiContext, next: string | null, scope: CursorScope, pointer = '/query/next'): KeysetPosition | null {
  if (next === null) return null
  const r = decodeCursor(next, scope, ctx.cursorKey)
  if (!r.ok) throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer, message: r.error.message }] })
  return r.value
}

/** The `next` cursor for a page, or null on the last page. */
export function nextCursor(ctx: TaxiiContext, next: KeysetPosition | null, scope: CursorScope): string | null {
  return next === null ? null : encodeCursor(next, scope, ctx.cursorKey)
}

/** Absolute base URL: the configured one, else scheme and host of the request (trustProxy decides which). */
export function baseUrlOf(ctx: TaxiiContext, request: FastifyRequest): string {
  if (ctx.options.baseUrl !== undefined) return ctx.options.baseUrl.replace(/\/+$/, '')
  return `${request.protocol}://${request.host}`
}
