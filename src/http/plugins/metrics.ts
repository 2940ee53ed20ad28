/**
 * Prometheus metrics on a per-app Registry (tests build many apps; the global registry would clash):
 * request duration by route, method and status; objects ingested by channel and outcome; process
 * metrics. Exposed as text at GET /metrics when enabled.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { FastifyInstance } from 'fastify'

export interface Metrics {
  /** Counts the outcome of ingested objects. */
  ingested(via: 'taxii' | 'rest' | 'import', counts: { added: number; duplicates: number; failed: number }): void
}

export const noMetrics: Metrics = { ingested: () => {} }

/** Creates the registry, installs the request timer on `app` (the root) and serves GET /metrics. */
export function installMetrics(app: FastifyInstance): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by route pattern, method and status code',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const objects = new Counter({
    name: 'entente_objects_ingested_total',
    help: 'STIX objects received, by channel (taxii, rest, import) and outcome (added, duplicate, failed)',
    labelNames: ['via', 'outcome'] as const,
    registers: [registry],
  })
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    duration.observe({ route, method: request.method, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
  return {
    ingested(via, c) {
      if (c.added > 0) objects.inc({ via, outcome: 'added' }, c.added)
      if (c.duplicates > 0) objects.inc({ via, outcome: 'duplicate' }, c.duplicates)
      if (c.failed > 0) objects.inc({ via, outcome: 'failed' }, c.failed)
    },
  }
}
