/**
 * Wire schemas of the transparency log API (/api/v1/log). Shaped like RFC 6962 §4 (snake_case names,
 * base64 hashes) so existing CT tooling maps onto it; checkpoints are C2SP signed notes.
 */
import Type from 'typebox'
import { Id, Timestamp } from './common.js'

const B64 = Type.String({ description: 'base64 (RFC 4648 §4)', maxLength: 8192 })
const Hash = Type.String({ description: 'a SHA-256 hash, base64', minLength: 44, maxLength: 44 })
const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const SignedTreeHead = Type.Object(
  {
    tree_size: Size,
    timestamp: Type.Integer({ description: 'when the checkpoint was signed, milliseconds since the epoch (RFC 6962)' }),
    sha256_root_hash: Hash,
    tree_head_signature: Type.String({ description: "the Ed25519 signature line of the checkpoint note (base64 of key ID and signature); it signs the note body, not RFC 6962's TLS structure" }),
    checkpoint: Type.String({ description: 'the C2SP signed-note checkpoint text' }),
  },
  { additionalProperties: false },
)

export const ConsistencyQuery = Type.Object({ first: Size, second: Size }, { additionalProperties: false })
export const ConsistencyProof = Type.Object({ consistency: Type.Array(Hash) }, { additionalProperties: false })

export const ProofByHashQuery = Type.Object(
  {
    hash: Type.String({ minLength: 1, maxLength: 100, description: 'leaf hash, base64 (or 64 hex digits)' }),
    tree_size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  },
  { additionalProperties: false },
)
export const InclusionProof = Type.Object({ leaf_index: Size, audit_path: Type.Array(Hash) }, { additionalProperties: false })

export const EntriesQuery = Type.Object({ start: Size, end: Size }, { additionalProperties: false })
export const LogEntries = Type.Object(
  {
    entries: Type.Array(
      Type.Union([
        Type.Object({ index: Size, leaf_input: B64 }, { additionalProperties: false }),
        Type.Object(
          { index: Size, leaf_hash: Hash, redacted: Type.Literal(true, { description: 'the reader may not see this entry; its leaf hash keeps the tree verifiable' }) },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
)

export const CheckpointListQuery = Type.Object(
  { after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
)
export const CheckpointItem = Type.Object(
  { seq: Size, tree_size: Size, sha256_root_hash: Hash, signed_at: Timestamp, checkpoint: Type.String() },
  { additionalProperties: false },
)
export const CheckpointList = Type.Object({ items: Type.Array(CheckpointItem), next: Type.Union([Size, Type.Null()]) }, { additionalProperties: false })

export const LogKey = Type.Object(
  {
    origin: Type.String({ description: "the log's name: the first line of its checkpoints" }),
    verifier_key: Type.String({ description: 'C2SP verifier key (name+keyid+base64 key): what partners pin' }),
    public_key: Hash,
    tree_size: Size,
  },
  { additionalProperties: false },
)

export const ProvenanceBody = Type.Object(
  {
    collection: Id,
    objects: Type.Array(
      Type.Object({ id: Id, version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
      { minItems: 1, maxItems: 1000 },
    ),
    proof: Type.Optional(
      Type.Literal('batch', {
        description: 'batch: one batch inclusion proof for all the items (`batch_proof`, every `inclusion_path` empty) instead of one proof per item',
      }),
    ),
  },
  { additionalProperties: false },
)
export const ProvenanceBundle = Type.Object(
  {
    checkpoint: Type.String({ description: 'the origin node’s signed checkpoint (C2SP signed note)' }),
    items: Type.Array(
      Type.Object(
        { id: Id, version: Type.String(), leaf_index: Size, leaf_input: B64, inclusion_path: Type.Array(Hash) },
        { additionalProperties: false },
      ),
    ),
    missing: Type.Array(Type.Object({ id: Id, version: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false })),
    batch_proof: Type.Optional(Type.Array(Hash, { description: 'with proof=batch: the batch inclusion proof of every item’s leaf in the checkpoint (docs/provenance.md)' })),
  },
  { additionalProperties: false },
)
