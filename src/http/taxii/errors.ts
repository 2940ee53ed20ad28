/**
 * The TAXII error resource renderer: the same `classify` and codes as problem+json, in the shape
 * TAXII 2.1 defines (`http_status` is a string), with the TAXII media type.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { PROBLEM_TYPE_PREFIX } from '../../contract/problem.js'
import { TAXII_MEDIA_TYPE, type TaxiiError } from '../../contract/taxii/resources.js'
import { classify, logFailure, type ErrorView } from '../plugins/problem.js'

/** An ErrorView as a TAXII error resource. */
export function toTaxiiError(request: FastifyRequest, v: ErrorView): TaxiiError {
  return {
    title: v.title,
    description: v.detail,
    error_id: String(request.id),
    error_code: v.code,
    http_status: String(v.status),
    external_details: `${PROBLEM_TYPE_PREFIX}${v.code}`,
    ...(v.errors.length > 0 ? { details: { errors: v.errors.map((i) => ({ pointer: i.pointer, message: i.message })) } } : {}),
  }
}

/** Sends any failure as a TAXII error resource. */
export function sendTaxiiError(request: FastifyRequest, reply: FastifyReply, error: unknown, bodyLimit: number): FastifyReply {
  const v = classify(error, bodyLimit)
  logFailure(request, v, error)
  reply.code(v.status).headers(v.headers).header('content-type', TAXII_MEDIA_TYPE)
  return reply.send(JSON.stringify(toTaxiiError(request, v)))
}
