/**
 * The HTTP adapter: one Fastify instance with the TAXII 2.1 server (/taxii2, encapsulated), the REST
 * administration API (/api/v1), the OpenAPI document (/api/docs), /healthz and /metrics. No listen:
 * the caller decides where to serve it (app/create-node.ts) or injects requests (tests).
 */
import { randomBytes } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { apiV1Plugin } from './api/v1/plugin.js'
import { healthRoutes } from './health.routes.js'
import type { BuildAppArgs } from './options.js'
import { installMetrics, noMetrics } from './plugins/metrics.js'
import { useProblems } from './plugins/problem.js'
import { genReqId } from './plugins/request-context.js'
import { taxiiPlugin } from './taxii/plugin.js'
import { registerWebApp } from './web.js'

export type { BuildAppArgs, HttpOptions, ImportFiles } from './options.js'

const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', '*.password', '*.token', '*.secret']

export async function buildApp({ services, logger, options }: BuildAppArgs): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger.child({ module: 'http' }, { redact: { paths: REDACT, censor: '[redacted]' } }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId,
    requestIdHeader: false,
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    ajv: {
      // Coerce query and path strings to numbers and booleans, but never wrap values in arrays,
      // never drop unknown properties silently (they fail validation instead).
      customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorateRequest('viewer', null)
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) request.log.debug({ method: request.method, url: request.routeOptions.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request')
  })
  // The web app's files and its single-page fallback (http/web.ts), when a build is configured.
  useProblems(app, options.bodyLimit, registerWebApp(app, options.webRoot))

  const metrics = options.metrics ? installMetrics(app) : noMetrics
  const cursorKey = options.cursorKey ?? randomBytes(32)
  const background = new Set<Promise<unknown>>()
  app.addHook('onClose', async () => {
    await Promise.allSettled([...background])
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Entente',
        version: '1',
        description: 'REST administration API (/api/v1) and TAXII 2.1 server (/taxii2) of an Entente node. Errors: RFC 9457 problem+json on /api, the TAXII error resource on /taxii2 (docs/errors.md).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token' },
          basic: { type: 'http', scheme: 'basic', description: 'Any user name; the API token as the password' },
        },
      },
      security: [{ bearer: [] }, { basic: [] }],
      tags: [
        { name: 'TAXII', description: 'TAXII 2.1 (media type application/taxii+json;version=2.1)' },
        { name: 'Account' },
        { name: 'Administration' },
        { name: 'Collections' },
        { name: 'Objects' },
        { name: 'Imports' },
        { name: 'Operations' },
      ],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs' })

  await app.register(healthRoutes, { admin: services.admin })
  const ctx = { services, options, cursorKey, metrics }
  await app.register(apiV1Plugin, { prefix: '/api/v1', ctx: { ...ctx, background } })
  await app.register(taxiiPlugin, { prefix: '/taxii2', ctx })
  return app
}
