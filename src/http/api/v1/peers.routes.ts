/**
 * Federation over REST: peers (invite, accept, approve, list, status, sync, remove), vendor feeds, and
 * the two calls peers make to each other (register with an invitation secret; notify with their token).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { AcceptBody, ApproveBody, FeedBody, InviteBody, Invitation, NotifyAnswer, PathsAnswer, PathsBody, PeerList, PeerView, RegisterAnswer, RegisterBody, SyncSummary } from '../../../contract/api/peers.js'
import type { PeerAuth } from '../../../store/port.js'
import { DomainFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

export const peersRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { federation } = ctx.services
  const tags = ['Federation']

  app.get('/peers', { schema: { tags, summary: 'Peer nodes and their sync status', response: { 200: PeerList, ...problems(401, 403) } } }, async (request) =>
    unwrap(await federation.list(viewerOf(request), 'node')),
  )

  app.post(
    '/peers/invitations',
    { schema: { tags, summary: 'Create a single-use, expiring peering invitation', body: InviteBody, response: { 201: Invitation, ...problems(400, 401, 403, 409) } } },
    async (request, reply) => {
      const b = request.body
      const r = unwrap(
        await federation.invite(viewerOf(request), { ...(b.name !== undefined ? { name: b.name } : {}), ...(b.url !== undefined ? { url: b.url } : {}), ...(b.ttlHours !== undefined ? { ttlHours: b.ttlHours } : {}) }),
      )
      return reply.code(201).send(r)
    },
  )

  app.post(
    '/peers/accept',
    {
      schema: {
        tags,
        summary: 'Accept an invitation: register the inviting node as a peer and this node with it',
        body: AcceptBody,
        response: { 201: PeerView, ...problems(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body
      const r = unwrap(await federation.accept(viewerOf(request), { invitation: b.invitation, ...(b.name !== undefined ? { name: b.name } : {}), ...(b.url !== undefined ? { url: b.url } : {}) }))
      return reply.code(201).send(r)
    },
  )

  app.get('/peers/:id', { schema: { tags, summary: 'One peer (by id or name)', params: IdParams, response: { 200: PeerView, ...problems(401, 403, 404) } } }, async (request) =>
    unwrap(await federation.get(viewerOf(request), request.params.id, 'node')),
  )

  app.post(
    '/peers/:id/approve',
    {
      schema: {
        tags,
        summary: 'Approve the peer’s key fingerprint (compared out of band); starts syncing',
        params: IdParams,
        body: ApproveBody,
        response: { 200: PeerView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => unwrap(await federation.approve(viewerOf(request), { peer: request.params.id, fingerprint: request.body.fingerprint })),
  )

  app.post('/peers/:id/sync', { schema: { tags, summary: 'Sync with a peer now', params: IdParams, response: { 200: SyncSummary, ...problems(401, 403, 404, 409) } } }, async (request) =>
    unwrap(await federation.sync(viewerOf(request), request.params.id, 'node')),
  )

  app.delete('/peers/:id', { schema: { tags, summary: 'Stop syncing with a peer and revoke its credential', params: IdParams, response: { 200: PeerView, ...problems(401, 403, 404) } } }, async (request) =>
    unwrap(await federation.remove(viewerOf(request), request.params.id, 'node')),
  )

  app.get('/feeds', { schema: { tags, summary: 'TAXII 2.1 feeds this node pulls', response: { 200: PeerList, ...problems(401, 403) } } }, async (request) =>
    unwrap(await federation.list(viewerOf(request), 'feed')),
  )

  app.post('/feeds', { schema: { tags, summary: 'Pull a collection of a plain TAXII 2.1 server', body: FeedBody, response: { 201: PeerView, ...problems(400, 401, 403, 409) } } }, async (request, reply) => {
    const b = request.body
    if (b.token !== undefined && (b.username !== undefined || b.password !== undefined))
      throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/body/token', message: 'give a token or a username and password, not both' }] })
    if ((b.username === undefined) !== (b.password === undefined))
      throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/body/password', message: 'HTTP Basic needs both username and password' }] })
    const auth: PeerAuth =
      b.token !== undefined ? { kind: 'bearer', token: b.token } : b.username !== undefined && b.password !== undefined ? { kind: 'basic', username: b.username, password: b.password } : { kind: 'none' }
    const r = unwrap(
      await federation.addFeed(viewerOf(request), { name: b.name, url: b.url, collection: b.collection, auth, ...(b.defaultMarking !== undefined ? { defaultMarking: b.defaultMarking } : {}) }),
    )
    return reply.code(201).send(r)
  })

  app.get('/feeds/:id', { schema: { tags, summary: 'One feed', params: IdParams, response: { 200: PeerView, ...problems(401, 403, 404) } } }, async (request) =>
    unwrap(await federation.get(viewerOf(request), request.params.id, 'feed')),
  )
  app.post('/feeds/:id/sync', { schema: { tags, summary: 'Pull a feed now', params: IdParams, response: { 200: SyncSummary, ...problems(401, 403, 404, 409) } } }, async (request) =>
    unwrap(await federation.sync(viewerOf(request), request.params.id, 'feed')),
  )
  app.delete('/feeds/:id', { schema: { tags, summary: 'Stop pulling a feed', params: IdParams, response: { 200: PeerView, ...problems(401, 403, 404) } } }, async (request) =>
    unwrap(await federation.remove(viewerOf(request), request.params.id, 'feed')),
  )

  // --- Node to node -----------------------------------------------------------------------------
  app.post(
    '/federation/register',
    {
      config: { auth: 'optional' as const },
      bodyLimit: 256 * 1024,
      schema: {
        tags,
        summary: 'Register with an invitation (called by the accepting node; the invitation secret is the credential)',
        body: RegisterBody,
        response: { 201: RegisterAnswer, ...problems(400, 403, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(unwrap(await federation.register(request.body))),
  )

  app.post(
    '/federation/notify',
    { bodyLimit: 1024, schema: { tags, summary: 'A peer has something new: pull from it now (the peer’s token)', response: { 202: NotifyAnswer, ...problems(401, 404) } } },
    async (request, reply) => reply.code(202).send(unwrap(await federation.notified(viewerOf(request)))),
  )

  app.post(
    '/federation/paths',
    {
      bodyLimit: 512 * 1024,
      schema: { tags, summary: 'The hops each object of the caller’s per-peer collection took from its origin node (the peer’s token)', body: PathsBody, response: { 200: PathsAnswer, ...problems(400, 401, 404) } },
    },
    async (request) => unwrap(await federation.paths(viewerOf(request), request.body.objects)),
  )
}
