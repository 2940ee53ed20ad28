/** TAXII 2.1 Server Discovery (public) and API Root information. */
import type { FastifyPluginAsync } from 'fastify'
import { ApiRoot, Discovery, TAXII_MEDIA_TYPE, TaxiiError } from '../../contract/taxii/resources.js'
import { API_ROOT, baseUrlOf, type TaxiiContext } from './context.js'

const errors = { 401: TaxiiError, 406: TaxiiError }

export const discoveryRoutes: FastifyPluginAsync<{ ctx: TaxiiContext }> = async (app, { ctx }) => {
  app.get(
    '/',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['TAXII'],
        summary: 'Server discovery',
        description: 'Public: lists the API root. Credentials are optional, but a bad token is refused.',
        response: { 200: Discovery, ...errors },
      },
    },
    async (request) => {
      const root = `${baseUrlOf(ctx, request)}/taxii2/${API_ROOT}/`
      return {
        title: `Entente node ${ctx.options.nodeName}`,
        description: 'TAXII 2.1 server of an Entente node: election security intelligence shared under agreements.',
        default: root,
        api_roots: [root],
      }
    },
  )

  app.get(
    `/${API_ROOT}/`,
    { schema: { tags: ['TAXII'], summary: 'API root information', response: { 200: ApiRoot, ...errors } } },
    async () => ({
      title: ctx.options.nodeName,
      description: 'The API root of this node: every collection the caller may see.',
      versions: [TAXII_MEDIA_TYPE],
      max_content_length: ctx.options.bodyLimit,
    }),
  )
}
