/** Federation: peers and feeds, invitations, and the origins of received versions (PeerStore). */
import { sql, type Selectable } from 'kysely'
import { err, ok, type Result } from '../../../core/shared/result.js'
import { PEER_STATUSES, type ObjectOrigin, type Peer, type PeerAuth, type PeerInvitation, type PeerOrganisation, type PeerStatus, type PeerStore } from '../../port.js'
import { CodecError, decodeBool, decodeBytes, decodeInt, decodeTlpRank, encodeBool, encodeBytes, sameBytes } from '../codecs.js'
import type { PeersTable } from '../schema.js'
import { affected, type RepoContext } from './context.js'

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

function decodeAuth(text: string): PeerAuth {
  const v: unknown = JSON.parse(text)
  if (isRecord(v)) {
    if (v['kind'] === 'none') return { kind: 'none' }
    if (v['kind'] === 'bearer' && typeof v['token'] === 'string') return { kind: 'bearer', token: v['token'] }
    if (v['kind'] === 'basic' && typeof v['username'] === 'string' && typeof v['password'] === 'string')
      return { kind: 'basic', username: v['username'], password: v['password'] }
  }
  throw new CodecError('peers.auth is not a PeerAuth')
}

function decodeOrganisations(text: string): PeerOrganisation[] {
  const v: unknown = JSON.parse(text)
  if (!Array.isArray(v)) throw new CodecError('peers.organisations is not an array')
  return v.map((o) => {
    if (!isRecord(o) || typeof o['name'] !== 'string' || typeof o['identityId'] !== 'string') throw new CodecError('peers.organisations has a bad item')
    return { name: o['name'], identityId: o['identityId'] }
  })
}

function decodeStatus(v: string): PeerStatus {
  if ((PEER_STATUSES as readonly string[]).includes(v)) return v as PeerStatus
  throw new CodecError(`peers.status ${JSON.stringify(v)} is not a peer status`)
}

function decodeKind(v: string): Peer['kind'] {
  if (v === 'node' || v === 'feed') return v
  throw new CodecError(`peers.kind ${JSON.stringify(v)} is not node or feed`)
}

/** A membership's stored path (JSON list of hops), checked item by item. */
function decodePath(text: string | null): { from: string; to: string; agreementId: string }[] | null {
  if (text === null) return null
  const v: unknown = JSON.parse(text)
  if (!Array.isArray(v)) throw new CodecError('collection_objects.path is not a list')
  return v.map((h) => {
    if (!isRecord(h) || typeof h['from'] !== 'string' || typeof h['to'] !== 'string' || typeof h['agreementId'] !== 'string') throw new CodecError('collection_objects.path has a bad hop')
    return { from: h['from'], to: h['to'], agreementId: h['agreementId'] }
  })
}

const nullableBytes = (v: unknown, what: string): Uint8Array | null => (v === null || v === undefined ? null : decodeBytes(v, what))

export const decodePeer = (r: Selectable<PeersTable>): Peer => ({
  id: r.id,
  kind: decodeKind(r.kind),
  name: r.name,
  url: r.url,
  apiRoot: r.api_root,
  remoteCollection: r.remote_collection,
  auth: decodeAuth(r.auth),
  origin: r.origin,
  publicKey: nullableBytes(r.public_key, 'public_key'),
  presentedKey: nullableBytes(r.presented_key, 'presented_key'),
  status: decodeStatus(r.status),
  organisations: decodeOrganisations(r.organisations),
  localOrgId: r.local_org_id,
  localUserId: r.local_user_id,
  outboundCollectionId: r.outbound_collection_id,
  inboundCollectionId: r.inbound_collection_id,
  defaultMarking: r.default_marking,
  createdAt: r.created_at,
  approvedAt: r.approved_at,
  cursor: { addedAfter: r.cursor_added_after, next: r.cursor_next },
  publishSeq: decodeInt(r.publish_seq, 'publish_seq'),
  stats: {
    lastAttemptAt: r.last_attempt_at,
    lastSuccessAt: r.last_success_at,
    lastError: r.last_error,
    failures: decodeInt(r.failures, 'failures'),
    nextAttemptAt: r.next_attempt_at,
    received: decodeInt(r.received, 'received'),
    duplicates: decodeInt(r.duplicates, 'duplicates'),
    rejected: decodeInt(r.rejected, 'rejected'),
    published: decodeInt(r.published, 'published'),
    remoteLastAdded: r.remote_last_added,
  },
})

const decodeInvitation = (r: { id: string; name: string | null; created_at: string; expires_at: string; used_at: string | null; peer_id: string | null }): PeerInvitation => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  peerId: r.peer_id,
})

export function makePeerRepo({ db, dialect, inTransaction }: RepoContext): PeerStore {
  async function get(id: string): Promise<Peer | null> {
    const r = await db.selectFrom('peers').selectAll().where('id', '=', id).executeTakeFirst()
    return r ? decodePeer(r) : null
  }
  return {
    async create(p): Promise<Result<Peer>> {
      const r = await db
        .insertInto('peers')
        .values({
          id: p.id,
          kind: p.kind,
          name: p.name,
          url: p.url,
          api_root: p.apiRoot,
          remote_collection: p.remoteCollection,
          auth: JSON.stringify(p.auth),
          origin: p.origin,
          public_key: p.publicKey ? encodeBytes(p.publicKey) : null,
          presented_key: p.presentedKey ? encodeBytes(p.presentedKey) : null,
          status: p.status,
          organisations: JSON.stringify(p.organisations),
          local_org_id: p.localOrgId,
          local_user_id: p.localUserId,
          outbound_collection_id: p.outboundCollectionId,
          inbound_collection_id: p.inboundCollectionId,
          default_marking: p.defaultMarking,
          created_at: p.createdAt,
          approved_at: p.approvedAt,
          cursor_added_after: p.cursor.addedAfter,
          cursor_next: p.cursor.next,
          publish_seq: p.publishSeq,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!r) return err({ code: 'conflict', detail: `a peer or feed named ${p.name} (or with id ${p.id}) already exists` })
      const stored = await get(p.id)
      if (!stored) throw new Error('store: peer vanished after insert')
      return ok(stored)
    },

    get,

    async find(idOrName) {
      const r = await db.selectFrom('peers').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).orderBy('created_at').executeTakeFirst()
      return r ? decodePeer(r) : null
    },

    async findByUser(userId) {
      const r = await db.selectFrom('peers').selectAll().where('local_user_id', '=', userId).where('status', '!=', 'removed').executeTakeFirst()
      return r ? decodePeer(r) : null
    },

    async list() {
      const rows = await db.selectFrom('peers').selectAll().orderBy('kind').orderBy('name').execute()
      return rows.map(decodePeer)
    },

    async update(id, patch) {
      const set: Partial<Record<keyof PeersTable, unknown>> = {}
      if (patch.name !== undefined) set.name = patch.name
      if (patch.url !== undefined) set.url = patch.url
      if (patch.apiRoot !== undefined) set.api_root = patch.apiRoot
      if (patch.remoteCollection !== undefined) set.remote_collection = patch.remoteCollection
      if (patch.auth !== undefined) set.auth = JSON.stringify(patch.auth)
      if (patch.origin !== undefined) set.origin = patch.origin
      if (patch.publicKey !== undefined) set.public_key = patch.publicKey === null ? null : encodeBytes(patch.publicKey)
      if (patch.presentedKey !== undefined) set.presented_key = patch.presentedKey === null ? null : encodeBytes(patch.presentedKey)
      if (patch.status !== undefined) set.status = patch.status
      if (patch.organisations !== undefined) set.organisations = JSON.stringify(patch.organisations)
      if (patch.approvedAt !== undefined) set.approved_at = patch.approvedAt
      if (patch.localOrgId !== undefined) set.local_org_id = patch.localOrgId
      if (patch.localUserId !== undefined) set.local_user_id = patch.localUserId
      if (patch.outboundCollectionId !== undefined) set.outbound_collection_id = patch.outboundCollectionId
      if (Object.keys(set).length > 0) await db.updateTable('peers').set(set as never).where('id', '=', id).execute()
      return get(id)
    },

    async recordAttempt(id, a) {
      await db
        .updateTable('peers')
        .set({ last_attempt_at: a.at, last_error: a.error, failures: a.failures, next_attempt_at: a.nextAttemptAt })
        .$if(a.success, (q) => q.set({ last_success_at: a.at }))
        .where('id', '=', id)
        .execute()
    },

    async advanceCursor(id, from, to, counts, remoteLastAdded) {
      const r = await db
        .updateTable('peers')
        .set((eb) => ({
          cursor_added_after: to.addedAfter,
          cursor_next: to.next,
          received: eb('received', '+', counts.received),
          duplicates: eb('duplicates', '+', counts.duplicates),
          rejected: eb('rejected', '+', counts.rejected),
        }))
        .$if(remoteLastAdded !== null, (q) => q.set({ remote_last_added: remoteLastAdded }))
        .where('id', '=', id)
        .where((eb) => (from.addedAfter === null ? eb('cursor_added_after', 'is', null) : eb('cursor_added_after', '=', from.addedAfter)))
        .where((eb) => (from.next === null ? eb('cursor_next', 'is', null) : eb('cursor_next', '=', from.next)))
        .executeTakeFirst()
      return affected(r.numUpdatedRows) === 1
    },

    async resetCursor(id) {
      await db.updateTable('peers').set({ cursor_added_after: null, cursor_next: null }).where('id', '=', id).execute()
    },

    async lockPublish(id) {
      const r = await db
        .selectFrom('peers')
        .select('publish_seq')
        .where('id', '=', id)
        .$if(dialect.capabilities.rowLocks, (q) => q.forUpdate())
        .executeTakeFirst()
      if (!r) throw new Error(`store: no peer ${id}`)
      return decodeInt(r.publish_seq, 'publish_seq')
    },

    async setPublished(id, seq, added) {
      await db
        .updateTable('peers')
        .set((eb) => ({ publish_seq: seq, published: eb('published', '+', added) }))
        .where('id', '=', id)
        .execute()
    },

    async pending(q) {
      let query = db
        .selectFrom('collection_objects as co')
        .innerJoin('stix_objects as so', 'so.seq', 'co.object_seq')
        .select([
          'co.seq as seq',
          'co.collection_id as collection_id',
          'so.stix_id as stix_id',
          'so.type as type',
          'so.spec_version as spec_version',
          'so.created as created',
          'so.modified as modified',
          'so.version_key as version_key',
          'so.revoked as revoked',
          'so.created_by_ref as created_by_ref',
          'so.content_hash as content_hash',
          'so.json as json',
          'co.date_added as date_added',
          'co.tlp as tlp',
          'co.producer as producer',
          'co.expires_at as expires_at',
          'co.path as path',
        ])
        .select((eb) =>
          eb
            .exists(eb.selectFrom('federation_origins as fo').select(sql`1`.as('one')).whereRef('fo.stix_id', '=', 'so.stix_id').whereRef('fo.version_key', '=', 'so.version_key'))
            .as('relayed'),
        )
        .select((eb) =>
          eb
            .exists(
              eb
                .selectFrom('federation_origins as fp')
                .select(sql`1`.as('one'))
                .whereRef('fp.stix_id', '=', 'so.stix_id')
                .whereRef('fp.version_key', '=', 'so.version_key')
                .where('fp.peer_id', '=', q.peerId),
            )
            .as('from_peer'),
        )
        .where('co.seq', '>', q.afterSeq)
      if (q.excludeCollections.length > 0) query = query.where('co.collection_id', 'not in', [...q.excludeCollections])
      const rows = await query.orderBy('co.seq').limit(q.limit).execute()
      return rows.map((r) => ({
        seq: decodeInt(r.seq, 'seq'),
        collectionId: r.collection_id,
        relayed: decodeBool(r.relayed, 'relayed'),
        fromPeer: decodeBool(r.from_peer, 'from_peer'),
        dateAdded: r.date_added,
        audience: { tlp: decodeTlpRank(r.tlp), producer: r.producer, expiresAt: r.expires_at, path: decodePath(r.path) },
        version: {
          stixId: r.stix_id,
          type: r.type,
          specVersion: r.spec_version,
          created: r.created,
          modified: r.modified,
          versionKey: r.version_key,
          revoked: decodeBool(r.revoked, 'revoked'),
          createdByRef: r.created_by_ref,
          contentHash: decodeBytes(r.content_hash, 'content_hash'),
          json: r.json,
        },
      }))
    },

    async maxMemberSeq() {
      const r = await db.selectFrom('collection_objects').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst()
      return r?.m === null || r?.m === undefined ? 0 : decodeInt(r.m, 'max seq')
    },

    async recordOrigins(rows) {
      if (rows.length === 0) return
      if (dialect.insertPrepared && inTransaction) {
        dialect.insertPrepared(
          'insert into federation_origins (stix_id, version_key, peer_id, verified, received_at) values (?, ?, ?, ?, ?) on conflict (stix_id, version_key, peer_id) do nothing',
          rows.map((o) => [o.stixId, o.versionKey, o.peerId, encodeBool(o.verified), o.receivedAt]),
        )
        return
      }
      for (let i = 0; i < rows.length; i += 500) {
        await db
          .insertInto('federation_origins')
          .values(
            rows.slice(i, i + 500).map((o) => ({ stix_id: o.stixId, version_key: o.versionKey, peer_id: o.peerId, verified: encodeBool(o.verified), received_at: o.receivedAt })),
          )
          .onConflict((oc) => oc.columns(['stix_id', 'version_key', 'peer_id']).doNothing())
          .execute()
      }
    },

    async originsOf(stixId, versionKey): Promise<ObjectOrigin[]> {
      const rows = await db.selectFrom('federation_origins').selectAll().where('stix_id', '=', stixId).where('version_key', '=', versionKey).orderBy('received_at').orderBy('peer_id').execute()
      return rows.map((r) => ({ stixId: r.stix_id, versionKey: r.version_key, peerId: r.peer_id, verified: decodeBool(r.verified, 'verified'), receivedAt: r.received_at }))
    },

    async addInvitation(inv, secretHash) {
      await db
        .insertInto('peer_invitations')
        .values({ id: inv.id, secret_hash: encodeBytes(secretHash), name: inv.name, created_at: inv.createdAt, expires_at: inv.expiresAt, used_at: inv.usedAt, peer_id: inv.peerId })
        .execute()
    },

    async findInvitation(id, secretHash) {
      const r = await db.selectFrom('peer_invitations').selectAll().where('id', '=', id).executeTakeFirst()
      if (!r || !sameBytes(decodeBytes(r.secret_hash, 'secret_hash'), secretHash)) return null
      return decodeInvitation(r)
    },

    async useInvitation(id, at, peerId) {
      const r = await db
        .updateTable('peer_invitations')
        .set({ used_at: at, peer_id: peerId })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst()
      return affected(r.numUpdatedRows) === 1
    },
  }
}
