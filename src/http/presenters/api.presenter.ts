/**
 * Domain → REST wire (camelCase), as allowlists: only the listed fields leave the node (a user's
 * password hash, for one, never does). Response schemas are a second allowlist behind these.
 */
import type { Viewer } from '../../core/policy/viewer.js'
import type { Me } from '../../contract/api/me.js'
import type { Organisation } from '../../contract/api/organisations.js'
import type { Token } from '../../contract/api/tokens.js'
import type { User } from '../../contract/api/users.js'
import type { Collection } from '../../contract/api/collections.js'
import { tlpLevel } from '../../core/marking/tlp.js'
import type { CollectionView } from '../../services/share/objects.js'
import type { OrganisationView } from '../../services/admin/admin.js'
import type * as port from '../../store/port.js'

export function presentMe(v: Viewer): Me {
  if (v.kind === 'system') return { kind: 'system', name: v.name, orgId: v.orgId }
  return { kind: 'user', userId: v.userId, username: v.username, orgId: v.orgId, role: v.role }
}

export function presentOrganisation(o: OrganisationView): Organisation {
  return {
    id: o.id,
    name: o.name,
    identityId: o.identityId,
    createdAt: o.createdAt,
    defaultTlp: o.defaultTlp === undefined ? null : tlpLevel(o.defaultTlp),
    clientOf: [...o.clientOf],
    clients: [...o.clients],
  }
}

export function presentUser(u: port.User): User {
  return { id: u.id, orgId: u.orgId, username: u.username, role: u.role, createdAt: u.createdAt, disabledAt: u.disabledAt }
}

export function presentToken(t: port.ApiToken): Token {
  return {
    id: t.id,
    userId: t.userId,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    lastUsedAt: t.lastUsedAt,
  }
}

export function presentCollection(c: CollectionView): Collection {
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    alias: c.alias,
    mediaTypes: [...c.mediaTypes],
    createdAt: c.createdAt,
    canRead: c.canRead,
    canWrite: c.canWrite,
    defaultTlp: tlpLevel(c.defaultTlp ?? 2),
  }
}

export function presentPermission(p: port.CollectionPermission) {
  return { collectionId: p.collectionId, orgId: p.orgId, canRead: p.canRead, canWrite: p.canWrite }
}

export function presentImportJob(j: port.ImportJob) {
  return {
    id: j.id,
    collectionId: j.collectionId,
    source: j.source,
    state: j.state,
    processed: j.processed,
    added: j.added,
    duplicates: j.duplicates,
    failed: j.failed,
    failures: j.failures.map((f) => ({ index: f.index, id: f.id, code: f.code, message: f.message, ...(f.pointer !== undefined ? { pointer: f.pointer } : {}) })),
    error: j.error,
    createdBy: j.createdBy,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
  }
}
