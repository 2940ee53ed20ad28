/** Building blocks shared by the REST wire schemas. REST JSON is camelCase; STIX objects keep their own names. */
import Type from 'typebox'
import { LIMITS } from '../../core/shared/limits.js'

/** Stored timestamps: fixed-width UTC ISO-8601 with microseconds. */
export const Timestamp = Type.String({ description: 'UTC RFC 3339 timestamp', examples: ['2026-11-01T10:00:00.000000Z'] })
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

export const Id = Type.String({ minLength: 1, maxLength: 300, description: 'An identifier' })

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false })

export const Name = Type.String({ minLength: 1, maxLength: LIMITS.maxNameLength })

/** A page size for REST listings. */
export const Limit = Type.Integer({ minimum: 1, maximum: LIMITS.taxiiMaxLimit })

/** An opaque keyset cursor returned as `nextCursor` by a previous page. */
export const Cursor = Type.String({ minLength: 1, maxLength: 1000, description: 'Opaque cursor from a previous page (nextCursor)' })

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('analyst'), Type.Literal('read_only')])
