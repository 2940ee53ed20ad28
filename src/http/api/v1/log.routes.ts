/**
 * The transparency log over HTTP (/api/v1/log), shaped like RFC 6962 §4. Tree heads, proofs, the key
 * and checkpoints are public (they are hashes and signatures: a partner verifies without an account);
 * entries are public too, but an entry the reader may not see comes as its leaf hash only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import {
  CheckpointList,
  CheckpointListQuery,
  ConsistencyProof,
  ConsistencyQuery,
  EntriesQuery,
  InclusionProof,
  LogEntries,
  LogKey,
  ProofByHashQuery,
  ProvenanceBody,
  ProvenanceBundle,
  SignedTreeHead,
} from '../../../contract/api/log.js'
import { isAdmin } from '../../../core/policy/viewer.js'
import type { StoredCheckpoint } from '../../../store/port.js'
import { DomainFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { problems, type ApiContext } from './context.js'

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

/** A leaf hash from a query: base64 (a `+` may arrive as a space when the client did not encode it) or hex. */
function parseHash(s: string): Uint8Array {
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Uint8Array.from(Buffer.from(s, 'hex'))
  const t = s.replace(/ /g, '+')
  if (/^[A-Za-z0-9+/]{43}=$/.test(t)) return Uint8Array.from(Buffer.from(t, 'base64'))
  throw new DomainFailure({ code: 'validation_failed', issues: [{ pointer: '/hash', message: 'must be a SHA-256 hash in base64 (44 characters) or hex (64 digits)' }] })
}

/** The signature of the first signature line of a note (base64 of key ID ‖ signature). */
function signatureOf(note: string): string {
  const line = note.split('\n').find((l) => l.startsWith('\u2014 '))
  return line?.split(' ')[2] ?? ''
}

function sth(cp: StoredCheckpoint) {
  return {
    tree_size: cp.size,
    timestamp: Date.parse(cp.timestamp),
    sha256_root_hash: b64(cp.root),
    tree_head_signature: signatureOf(cp.note),
    checkpoint: cp.note,
  }
}

export const logRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { log } = ctx.services
  const pub = { auth: 'optional' as const }
  const tags = ['Transparency log']

  app.get(
    '/log/key',
    { config: pub, schema: { tags, summary: "The log's signing key (what partners pin)", response: { 200: LogKey, ...problems(409) } } },
    async () => {
      const id = await log.identity()
      const key = await log.verifierKey()
      if (!id || !key) throw new DomainFailure({ code: 'conflict', detail: 'this node has no log key yet' })
      return { origin: id.origin, verifier_key: key, public_key: b64(id.publicKey), tree_size: (await log.head()).size }
    },
  )

  app.get(
    '/log/get-sth',
    {
      config: pub,
      schema: { tags, summary: 'The latest signed tree head (RFC 6962 get-sth)', response: { 200: SignedTreeHead, ...problems(409) } },
    },
    async () => sth(unwrap(await log.currentCheckpoint())),
  )

  app.get(
    '/log/checkpoint',
    {
      config: pub,
      schema: {
        tags,
        summary: 'The latest checkpoint as a C2SP signed note (text/plain)',
        response: { 200: Type.String({ description: 'signed note text' }), ...problems(409) },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(unwrap(await log.currentCheckpoint()).note),
  )

  app.post(
    '/log/checkpoint',
    {
      schema: {
        tags,
        summary: 'Sign a checkpoint of the log now (administrators)',
        description: 'Returns the latest checkpoint when the log has not grown since it was signed.',
        response: { 201: SignedTreeHead, ...problems(401, 403, 409) },
      },
    },
    async (request, reply) => {
      if (!isAdmin(viewerOf(request))) throw new DomainFailure({ code: 'forbidden', reason: 'role' })
      return reply.code(201).send(sth(unwrap(await log.checkpoint())))
    },
  )

  app.get(
    '/log/checkpoints',
    {
      config: pub,
      schema: { tags, summary: 'Every checkpoint this node signed, oldest first', querystring: CheckpointListQuery, response: { 200: CheckpointList } },
    },
    async (request) => {
      const limit = request.query.limit ?? 100
      const items = await log.checkpoints(request.query.after ?? 0, limit)
      return {
        items: items.map((c) => ({ seq: c.seq, tree_size: c.size, sha256_root_hash: b64(c.root), signed_at: c.timestamp, checkpoint: c.note })),
        next: items.length === limit ? (items[items.length - 1]?.seq ?? null) : null,
      }
    },
  )

  app.get(
    '/log/get-sth-consistency',
    {
      config: pub,
      schema: {
        tags,
        summary: 'Consistency proof between two tree sizes (RFC 6962 get-sth-consistency)',
        querystring: ConsistencyQuery,
        response: { 200: ConsistencyProof, ...problems(400) },
      },
    },
    async (request) => ({ consistency: unwrap(await log.consistency(request.query.first, request.query.second)).map(b64) }),
  )

  app.get(
    '/log/get-proof-by-hash',
    {
      config: pub,
      schema: {
        tags,
        summary: 'Inclusion proof of a leaf by its hash (RFC 6962 get-proof-by-hash)',
        querystring: ProofByHashQuery,
        response: { 200: InclusionProof, ...problems(400, 404) },
      },
    },
    async (request) => {
      const p = unwrap(await log.proofByHash(parseHash(request.query.hash), request.query.tree_size))
      return { leaf_index: p.leafIndex, audit_path: p.auditPath.map(b64) }
    },
  )

  app.get(
    '/log/get-entries',
    {
      config: pub,
      schema: {
        tags,
        summary: 'Entries start..end inclusive (RFC 6962 get-entries), at most 1000',
        description:
          'An entry comes as `leaf_input` (base64 of its canonical JSON) when the reader may see it, else as its `leaf_hash` only. ' +
          'Object entries follow read rights on their collection; other entries are shown to administrators.',
        querystring: EntriesQuery,
        response: { 200: LogEntries, ...problems(400, 401) },
      },
    },
    async (request) => {
      const entries = unwrap(await log.entries(request.viewer, request.query.start, request.query.end))
      return {
        entries: entries.map((e) =>
          'leafInput' in e ? { index: e.index, leaf_input: Buffer.from(e.leafInput, 'utf8').toString('base64') } : { index: e.index, leaf_hash: b64(e.leafHash), redacted: true as const },
        ),
      }
    },
  )

  app.post(
    '/log/provenance',
    {
      schema: {
        tags,
        summary: 'Signed provenance of object versions (docs/provenance.md)',
        description: 'One signed checkpoint for the batch and, per object, the entry that accepted it with its inclusion proof.',
        body: ProvenanceBody,
        response: { 200: ProvenanceBundle, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const objects = request.body.objects.map((o) => (o.version === undefined ? { id: o.id } : { id: o.id, version: o.version }))
      const p = unwrap(await log.provenance(viewerOf(request), { collection: request.body.collection, objects, batch: request.body.proof === 'batch' }))
      // Built here with exactly the schema's properties and serialised with JSON.stringify: for a page of
      // 1,000 items with ~20 hashes each, the schema serialiser took several times longer (peer sync
      // asks for this with every page it pulls).
      const body: Static<typeof ProvenanceBundle> = {
        checkpoint: p.checkpoint.note,
        items: p.items.map((i) => ({
          id: i.id,
          version: i.version,
          leaf_index: i.leafIndex,
          leaf_input: Buffer.from(i.leafInput, 'utf8').toString('base64'),
          inclusion_path: i.inclusionPath.map(b64),
        })),
        missing: p.missing,
        ...(p.batchProof !== undefined ? { batch_proof: p.batchProof.map(b64) } : {}),
      }
      // The type provider types send() by the schema; the text is that schema's JSON.
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(body) as unknown as typeof body)
    },
  )
}
