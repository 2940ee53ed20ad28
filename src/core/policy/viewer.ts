/** Roles a user can hold on a node. Order matters: each role can do everything the ones after it can. */
export const ROLES = ['admin', 'analyst', 'read_only'] as const
export type Role = (typeof ROLES)[number]

/**
 * Who is asking. Every read and every write takes one. A `system` viewer is a named, audited actor
 * for jobs run by the node itself (CLI import run by the operator, migrations); it is never anonymous.
 */
export type Viewer =
  | {
      readonly kind: 'user'
      readonly userId: string
      readonly username: string
      readonly orgId: string
      readonly role: Role
    }
  | { readonly kind: 'system'; readonly name: string; readonly orgId: string }

/** True when the viewer may change node administration (organisations, users, tokens, collections). */
export function isAdmin(v: Viewer): boolean {
  return v.kind === 'system' || v.role === 'admin'
}

/** True when the viewer's role allows writing intelligence (objects) at all; collection rights are checked separately. */
export function mayWriteObjects(v: Viewer): boolean {
  return v.kind === 'system' || v.role === 'admin' || v.role === 'analyst'
}
