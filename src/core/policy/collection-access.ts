import type { Viewer } from './viewer.js'

/** What a viewer may do with one collection. */
export interface CollectionAccess {
  /** The viewer may know the collection exists (it can read or write it). Otherwise it answers like a missing one. */
  readonly visible: boolean
  readonly canRead: boolean
  readonly canWrite: boolean
}

/**
 * Collection rights: node administrators and system jobs may read and write every collection;
 * other users get their organisation's `can_read`/`can_write`, and writing also needs a role that
 * may write intelligence (read-only users never write).
 */
export function collectionAccess(
  viewer: Viewer,
  permission: { readonly canRead: boolean; readonly canWrite: boolean } | null,
): CollectionAccess {
  if (viewer.kind === 'system' || viewer.role === 'admin') return { visible: true, canRead: true, canWrite: true }
  const canRead = permission?.canRead === true
  const canWrite = permission?.canWrite === true && viewer.role === 'analyst'
  return { visible: canRead || permission?.canWrite === true, canRead, canWrite }
}
