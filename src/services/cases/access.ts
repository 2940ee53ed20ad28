/**
 * Who may see and change a case. Cases live in the node's `cases` collection, which no organisation
 * is granted over TAXII: they are read through the cases service only, and a case is visible to the
 * users of its lead and participating organisations and to node administrators. Every read of a case
 * or of anything in it (tasks, notes, requests, offers, timeline) goes through `caseRole`.
 */
import { isAdmin, mayWriteObjects, type Viewer } from '../../core/policy/viewer.js'
import type { CaseRecord } from '../../core/case/stix.js'

export type CaseRole = 'admin' | 'lead' | 'participant'

/** The viewer's role in a case, or null when the case must stay invisible to it. */
export function caseRole(viewer: Viewer, viewerOrgRef: string | null, c: Pick<CaseRecord, 'leadRef' | 'participantRefs'>): CaseRole | null {
  if (viewerOrgRef !== null && c.leadRef === viewerOrgRef) return 'lead'
  if (isAdmin(viewer)) return 'admin'
  if (viewerOrgRef !== null && c.participantRefs.includes(viewerOrgRef)) return 'participant'
  return null
}

/** Lead organisation analysts and node administrators run the case. */
export function mayRunCase(viewer: Viewer, role: CaseRole | null): boolean {
  return (role === 'lead' || role === 'admin') && mayWriteObjects(viewer)
}

/** Any organisation in the case may contribute (notes, offers, its own tasks) with a writing role. */
export function mayContribute(viewer: Viewer, role: CaseRole | null): boolean {
  return role !== null && mayWriteObjects(viewer)
}
