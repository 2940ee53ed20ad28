import type { AuditStore } from '../../port.js'
import { decodeBytes, decodeInt } from '../codecs.js'
import { chunksFor, type RepoContext } from './context.js'
import { decodeLogEntry } from './log.js'

export function makeAuditRepo({ db, dialect }: RepoContext): AuditStore {
  return {
    async objectsBySeq(seqs) {
      const out = []
      for (const chunk of chunksFor([...new Set(seqs)], 1, dialect.capabilities.maxParameters)) {
        const rows = await db.selectFrom('stix_objects').select(['seq', 'stix_id', 'version_key', 'content_hash', 'json']).where('seq', 'in', chunk).execute()
        for (const r of rows)
          out.push({ seq: decodeInt(r.seq, 'seq'), stixId: r.stix_id, versionKey: r.version_key, contentHash: decodeBytes(r.content_hash, 'content_hash'), json: r.json })
      }
      return out
    },
    async objectSeqs(afterSeq, limit) {
      const rows = await db.selectFrom('stix_objects').select('seq').where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute()
      return rows.map((r) => decodeInt(r.seq, 'seq'))
    },
    async memberships(afterSeq, limit) {
      const rows = await db
        .selectFrom('collection_objects')
        .select(['seq', 'collection_id', 'object_seq'])
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute()
      return rows.map((r) => ({ seq: decodeInt(r.seq, 'seq'), collectionId: r.collection_id, objectSeq: decodeInt(r.object_seq, 'object_seq') }))
    },
    async logNodes(level, from, to) {
      const rows = await db
        .selectFrom('log_nodes')
        .select(['idx', 'hash'])
        .where('level', '=', level)
        .where('idx', '>=', from)
        .where('idx', '<', to)
        .orderBy('idx')
        .execute()
      return rows.map((r) => ({ index: decodeInt(r.idx, 'idx'), hash: decodeBytes(r.hash, 'hash') }))
    },
    async logRows(from, limit) {
      const rows = await db.selectFrom('log_entries').selectAll().where('idx', '>=', from).orderBy('idx').limit(limit).execute()
      return rows.map(decodeLogEntry)
    },
  }
}
