/**
 * Sharing agreements over REST (administrators only), and the peer inbox where an approved peer node
 * hands over a signed agreement with its peer credential. The service does every check; this only
 * translates.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AgreementAction, AgreementList, AgreementObject, AgreementOut, AgreementRecord, EventBody, NodeSelf, PeerAgreements, ProposeBody } from '../../../contract/api/agreements.js'
import { IdParams } from '../../../contract/api/common.js'
import type { AgreementRecord as Rec, ProposeInput } from '../../../services/agreements/agreements.js'
import { unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

/** The wire form of a record (mutable lists for the serialiser). */
const out = <T extends Rec>(r: T) => ({ ...r, status: { ...r.status, suspendedBy: [...r.status.suspendedBy] } })

function proposeInput(b: ProposeBody): ProposeInput {
  const o = b.onward
  return {
    ...(b.peer !== undefined ? { peer: b.peer } : {}),
    ...(b.peerNodeId !== undefined ? { peerNodeId: b.peerNodeId } : {}),
    ...(b.peerKey !== undefined ? { peerKey: b.peerKey } : {}),
    ...(b.peerOrgs !== undefined ? { peerOrgs: b.peerOrgs } : {}),
    ...(b.orgs !== undefined ? { orgs: b.orgs } : {}),
    ...(b.name !== undefined ? { name: b.name } : {}),
    purpose: b.purpose,
    maxTlp: b.maxTlp,
    ...(b.types !== undefined ? { types: { ...(b.types.include ? { include: b.types.include } : {}), ...(b.types.exclude ? { exclude: b.types.exclude } : {}) } } : {}),
    ...(o !== undefined
      ? {
          onward: o.allowed
            ? { allowed: true, ...(o.toNodeIds ? { to_node_ids: o.toNodeIds } : {}), ...(o.maxTlp ? { max_tlp: o.maxTlp } : {}), ...(o.maxHops !== undefined ? { max_hops: o.maxHops } : {}) }
            : { allowed: false },
        }
      : {}),
    ...(b.retentionDays !== undefined ? { retentionDays: b.retentionDays } : {}),
    ...(b.start !== undefined ? { start: b.start } : {}),
    ...(b.end !== undefined ? { end: b.end } : {}),
  }
}

export const agreementsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { agreements } = ctx.services
  const tags = ['Agreements']

  app.get('/agreements', { schema: { tags, summary: 'Every agreement with its status now (administrators)', response: { 200: AgreementList, ...problems(401, 403) } } }, async (request) =>
    unwrap(await agreements.list(viewerOf(request))).map(out),
  )

  app.get('/agreements/self', { schema: { tags, summary: "This node's id, key and fingerprint as agreements name them", response: { 200: NodeSelf, ...problems(401, 403, 409) } } }, async (request) =>
    unwrap(await agreements.self(viewerOf(request))),
  )

  app.post(
    '/agreements',
    { schema: { tags, summary: 'Propose an agreement: built, signed with this node’s key and stored', body: ProposeBody, response: { 201: AgreementRecord, ...problems(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.code(201).send(out(unwrap(await agreements.propose(viewerOf(request), proposeInput(request.body))))),
  )

  app.post(
    '/agreements/import',
    { schema: { tags, summary: 'Store a signed agreement from the other node (a proposal or its new events)', body: AgreementObject, response: { 200: AgreementRecord, ...problems(400, 401, 403, 409) } } },
    async (request) => out(unwrap(await agreements.import(viewerOf(request), request.body))),
  )

  app.post(
    '/agreements/inbox',
    {
      schema: {
        tags,
        summary: 'Peer inbox: an approved peer node hands over a signed agreement with its peer credential (signatures checked against the pinned key)',
        body: AgreementObject,
        response: { 200: AgreementRecord, ...problems(400, 401, 403, 409) },
      },
    },
    async (request) => out(unwrap(await agreements.inbox(viewerOf(request), request.body))),
  )

  app.get(
    '/agreements/peer',
    {
      schema: {
        tags,
        summary: 'Peer exchange: the latest version of every agreement between the calling peer node (its peer credential) and this node',
        response: { 200: PeerAgreements, ...problems(401, 403) },
      },
    },
    async (request) => ({ agreements: unwrap(await agreements.forPeer(viewerOf(request))) }),
  )

  app.get('/agreements/:id', { schema: { tags, summary: 'One agreement and its status now', params: IdParams, response: { 200: AgreementRecord, ...problems(401, 403, 404) } } }, async (request) =>
    out(unwrap(await agreements.show(viewerOf(request), request.params.id))),
  )

  app.get(
    '/agreements/:id/export',
    { schema: { tags, summary: 'The latest signed version (STIX), to hand to the other node', params: IdParams, response: { 200: AgreementOut, ...problems(401, 403, 404) } } },
    async (request) => unwrap(await agreements.export(viewerOf(request), request.params.id)),
  )

  app.post(
    '/agreements/:id/:action',
    {
      schema: {
        tags,
        summary: 'Sign and store an event: accept, suspend, resume or terminate',
        params: AgreementAction,
        body: EventBody,
        response: { 200: AgreementRecord, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const v = viewerOf(request)
      const { id, action } = request.params
      const reason = request.body.reason
      return out(unwrap(action === 'accept' ? await agreements.accept(v, id) : await agreements[action](v, id, reason)))
    },
  )
}
