/** GET /healthz: 200 when the store answers, 503 otherwise. Public, cheap, never cached. */
import type { FastifyPluginAsync } from 'fastify'
import Type from 'typebox'
import type { AdminService } from '../services/admin/admin.js'

const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]) }, { additionalProperties: false })

export const healthRoutes: FastifyPluginAsync<{ admin: Pick<AdminService, 'ping'> }> = async (app, { admin }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['Operations'], summary: 'Liveness and storage check', response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      const up = await admin.ping()
      return reply.code(up ? 200 : 503).send({ status: up ? 'ok' : 'unavailable' })
    },
  )
}
