/** RFC 9457 problem details, as every 4xx/5xx of /api and the other non-TAXII routes render them. */
import Type from 'typebox'
import type { Static } from 'typebox'

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'

/** Prefix of every problem `type`: `urn:entente:problem:<code>`. */
export const PROBLEM_TYPE_PREFIX = 'urn:entente:problem:'

export const ProblemIssue = Type.Object(
  {
    pointer: Type.String({ description: 'RFC 6901 JSON pointer into the request: /body/…, /query/…, /params/…' }),
    message: Type.String(),
  },
  { additionalProperties: false },
)

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'urn:entente:problem:<code>', examples: ['urn:entente:problem:validation_failed'] }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String(),
    instance: Type.String({ description: 'The request path' }),
    code: Type.String({ description: 'Stable snake_case error code (docs/errors.md)' }),
    requestId: Type.String({ description: 'The request id (X-Request-Id); quote it when reporting a problem' }),
    errors: Type.Array(ProblemIssue),
  },
  { additionalProperties: false, description: 'RFC 9457 problem details (application/problem+json)' },
)
export type Problem = Static<typeof Problem>
