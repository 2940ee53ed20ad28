/**
 * The marking of a sighting correlation derives from an indicator and an observation: never wider
 * than either (docs/correlation.md, docs/markings.md).
 *
 * - TLP: the more restrictive of the two stored versions' effective TLPs (their audience keys, so a
 *   collection default or a structural granular marking counts). A side that cannot be read back
 *   counts as RED.
 * - CLEAR and GREEN: that TLP, nobody named (the community may see both sides).
 * - AMBER, AMBER+STRICT and RED: that TLP, and as named recipients (`recipient_refs`) exactly the
 *   organisations of this node that `decide()` lets see **both** sides, with their real collection
 *   rights (share/visibility.ts). Naming them keeps the sighting's audience inside both objects'
 *   audiences, wherever the sighting is stored. When nobody may see both, the sighting is RED and
 *   names nobody: only system readers and administrators see it.
 *
 * The sighting is stored with no producing organisation (correlation writes as the node), so no
 * organisation sees it by being its producer, and it is never shared with a peer unless it is CLEAR.
 */
import { RECIPIENTS_EXTENSION_ID } from '../../core/marking/recipients.js'
import { TLP2_IDS, tlpLevel, type TlpRank } from '../../core/marking/tlp.js'
import type { Viewer } from '../../core/policy/viewer.js'
import type { Store } from '../../store/port.js'
import type { ReadPolicyDeps } from '../share/audience.js'
import type { ObjectVisibility } from '../share/visibility.js'

export interface SightingSides {
  readonly indicator: { readonly collectionId: string; readonly id: string }
  readonly observation: { readonly collectionId: string; readonly id: string }
}

/** The marking properties to put on the sighting (`object_marking_refs`, and the recipients extension when it names anyone). */
export async function sightingMarking(deps: Pick<ReadPolicyDeps, 'store'> & { readonly store: Store }, vis: ObjectVisibility, sides: SightingSides): Promise<Record<string, unknown>> {
  const [ei, eo] = await Promise.all([vis.entry(sides.indicator.collectionId, sides.indicator.id), vis.entry(sides.observation.collectionId, sides.observation.id)])
  const ti: TlpRank = ei?.audience?.tlp ?? 4
  const to: TlpRank = eo?.audience?.tlp ?? 4
  const tlp = (ti > to ? ti : to) as TlpRank
  if (tlp <= 1) return { object_marking_refs: [TLP2_IDS[tlpLevel(tlp)]] }
  const recipients: string[] = []
  for (const org of await deps.store.orgs.list()) {
    if (!org.identityId) continue
    const member: Viewer = { kind: 'user', userId: '', username: '', orgId: org.id, role: 'read_only' }
    const [si, so] = await Promise.all([vis.sight(member, sides.indicator.collectionId, sides.indicator.id), vis.sight(member, sides.observation.collectionId, sides.observation.id)])
    if (si.see && so.see) recipients.push(org.identityId)
  }
  if (recipients.length === 0) return { object_marking_refs: [TLP2_IDS.red] }
  return {
    object_marking_refs: [TLP2_IDS[tlpLevel(tlp)]],
    extensions: { [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', recipient_refs: [...new Set(recipients)].sort() } },
  }
}
