/** Correlation alerts (/api/v1/alerts): what an organisation was told about matches of its intelligence. */
import Type from 'typebox'
import type { Static } from 'typebox'
import { Cursor, Id, Limit, NullableTimestamp, Timestamp } from './common.js'

export const Alert = Type.Object(
  {
    id: Id,
    orgId: Id,
    createdAt: Timestamp,
    kind: Type.Union([Type.Literal('indicator_sighted'), Type.Literal('observation_matched')], {
      description: '`indicator_sighted`: your indicator was sighted; `observation_matched`: your observation matched an indicator',
    }),
    indicatorId: Type.Union([Id, Type.Null()], { description: 'Null when you may not read the indicator’s collection' }),
    sightingId: Id,
    observationId: Type.Union([Id, Type.Null()], { description: 'Null when you may not read the observation’s collection' }),
    value: Type.Union([Type.String(), Type.Null()], { description: 'The matched value (canonical form)' }),
    detail: Type.Record(Type.String(), Type.Unknown(), {
      description:
        'What you may see of the match: value, objectType, firstSeen, lastSeen, count, decay {score, decayed}, and ' +
        '`indicator` / `observation` (null with a `note` when the read policy hides the other side)',
    }),
    suppressed: Type.Union([Type.String(), Type.Null()], { description: 'Why the match was suppressed (administrators only)' }),
    readAt: NullableTimestamp,
  },
  { additionalProperties: false },
)
export type Alert = Static<typeof Alert>

export const AlertList = Type.Object(
  { items: Type.Array(Alert), nextCursor: Type.Union([Cursor, Type.Null()]) },
  { additionalProperties: false },
)

export const ListAlertsQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
    orgId: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Administrators: one organisation’s alerts (default: every organisation’s)' })),
    suppressed: Type.Optional(Type.Boolean({ description: 'Administrators: the suppressed matches instead of the alerts' })),
  },
  { additionalProperties: false },
)
