/**
 * The TAXII 2.1 server, an encapsulated plugin registered at /taxii2: its own body parser
 * (application/taxii+json;version=2.1 only), Accept negotiation (406), authentication, error handler
 * (TAXII error resource) and not-found handler. Every answer carries the TAXII media type.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { TAXII_MEDIA_TYPE } from '../../contract/taxii/resources.js'
import { DomainFailure, HttpFailure } from '../errors.js'
import { authHook } from '../plugins/auth.js'
import { pathOf } from '../plugins/problem.js'
import { collectionsRoutes } from './collections.routes.js'
import type { TaxiiContext } from './context.js'
import { discoveryRoutes } from './discovery.routes.js'
import { sendTaxiiError } from './errors.js'
import { acceptsTaxii, isTaxiiContentType, TAXII_TYPE } from './negotiation.js'
import { objectsRoutes } from './objects.routes.js'
import { statusRoutes } from './status.routes.js'

export const taxiiPlugin: FastifyPluginAsync<{ ctx: TaxiiContext }> = async (app, { ctx }) => {
  const bodyLimit = ctx.options.bodyLimit
  const parseJson = app.getDefaultJsonParser('error', 'error')

  // Only TAXII JSON bodies; anything else is a 415 from Fastify (FST_ERR_CTP_INVALID_MEDIA_TYPE).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(TAXII_TYPE, { parseAs: 'string', bodyLimit }, (request, body, done) => {
    if (!isTaxiiContentType(request.headers['content-type'])) {
      done(new HttpFailure('unsupported_media_type', `Content-Type must be ${TAXII_MEDIA_TYPE}`), undefined)
      return
    }
    parseJson(request, body as string, done)
  })

  app.setErrorHandler((error: FastifyError, request, reply) => sendTaxiiError(request, reply, error, bodyLimit))
  app.setNotFoundHandler((request, reply) =>
    sendTaxiiError(request, reply, new DomainFailure({ code: 'not_found', resource: `TAXII endpoint ${pathOf(request)}` }), bodyLimit),
  )

  app.addHook('onRequest', async (request) => {
    if (!acceptsTaxii(request.headers.accept)) {
      throw new HttpFailure('not_acceptable', `Accept must include ${TAXII_MEDIA_TYPE}`)
    }
  })
  app.addHook('onRequest', authHook(ctx.services.admin))
  // Set last, so that Fastify's defaults (json; charset) never replace the TAXII media type.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', TAXII_MEDIA_TYPE)
    return payload
  })

  await app.register(discoveryRoutes, { ctx })
  await app.register(collectionsRoutes, { ctx })
  await app.register(objectsRoutes, { ctx })
  await app.register(statusRoutes, { ctx })
}
