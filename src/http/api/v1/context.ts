/** What every /api/v1 route plugin receives. */
import { Problem } from '../../../contract/problem.js'
import type { Services } from '../../../services/index.js'
import type { HttpOptions } from '../../options.js'
import type { Metrics } from '../../plugins/metrics.js'

export interface ApiContext {
  readonly services: Services
  readonly options: HttpOptions
  readonly cursorKey: Uint8Array
  readonly metrics: Metrics
  /** Background work (import jobs) the app waits for when it closes. */
  readonly background: Set<Promise<unknown>>
}

/** Problem responses for the OpenAPI document (errors are rendered by the problem handler). */
export function problems<S extends number>(...statuses: S[]): Record<S, typeof Problem> {
  const out = {} as Record<S, typeof Problem>
  for (const s of statuses) out[s] = Problem
  return out
}
