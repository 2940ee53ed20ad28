/**
 * What may leave this node for a peer: one function, `mayShare`, so that the policy engine of
 * `src/core/policy` (agreements, audiences, onward sharing) can replace it in one place. Until then:
 *
 * - TLP:CLEAR and TLP:GREEN go to every approved peer;
 * - TLP:AMBER, TLP:AMBER+STRICT and TLP:RED go to a peer only when one of the peer's organisations
 *   (the STIX identities it announced at peering) is a named recipient of the object
 *   (`x_entente_recipients`, a list of identity ids);
 * - an object without a TLP marking, or with a marking this node does not know, is never shared;
 * - an object this node received from another peer or feed is relayed only at CLEAR or GREEN: AMBER
 *   and RED stay with their recipients (agreements will say who may relay what; see docs/federation.md).
 * Several TLP markings on one object: the most restrictive applies.
 */

/** The STIX 2.1 TLP 2.0 marking definitions (OASIS cti-stix-common-objects). */
export const TLP2 = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  amberStrict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
} as const

export type TlpLevel = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red'

const LEVEL_OF = new Map<string, TlpLevel>([
  [TLP2.clear, 'clear'],
  [TLP2.green, 'green'],
  [TLP2.amber, 'amber'],
  [TLP2.amberStrict, 'amber+strict'],
  [TLP2.red, 'red'],
])
const ORDER: readonly TlpLevel[] = ['clear', 'green', 'amber', 'amber+strict', 'red']

/** The marking id of a TLP level name (`clear`, `green`, `amber`, `amber+strict`, `red`), or null. */
export function tlpMarkingId(level: string): string | null {
  switch (level.toLowerCase().replace(/^tlp:/, '')) {
    case 'clear':
    case 'white':
      return TLP2.clear
    case 'green':
      return TLP2.green
    case 'amber':
      return TLP2.amber
    case 'amber+strict':
      return TLP2.amberStrict
    case 'red':
      return TLP2.red
    default:
      return null
  }
}

/** The property naming the organisations (STIX identity ids) an AMBER or RED object is for. */
export const RECIPIENTS_PROPERTY = 'x_entente_recipients'

/**
 * The TLP level of an object from its `object_marking_refs`: the most restrictive TLP 2.0 marking,
 * `unknown` when a marking ref is not a TLP 2.0 definition this node knows, `none` without markings.
 */
export function tlpOf(object: Readonly<Record<string, unknown>>): TlpLevel | 'none' | 'unknown' {
  const refs = object['object_marking_refs']
  if (refs === undefined) return 'none'
  if (!Array.isArray(refs)) return 'unknown'
  let level: TlpLevel | 'none' = 'none'
  for (const r of refs) {
    const l = typeof r === 'string' ? LEVEL_OF.get(r) : undefined
    if (l === undefined) return 'unknown'
    if (level === 'none' || ORDER.indexOf(l) > ORDER.indexOf(level)) level = l
  }
  return level
}

/** The identity ids an object names as its recipients. */
export function recipientsOf(object: Readonly<Record<string, unknown>>): string[] {
  const r = object[RECIPIENTS_PROPERTY]
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : []
}

export interface SharePeer {
  /** The peer's organisations, by STIX identity id. */
  readonly organisations: readonly { readonly identityId: string }[]
}

/** May this object version be offered to this peer? (See the module comment for the rules.) */
export function mayShare(peer: SharePeer, object: Readonly<Record<string, unknown>>, opts: { readonly relayed?: boolean } = {}): boolean {
  const level = tlpOf(object)
  if (level === 'none' || level === 'unknown') return false
  if (level === 'clear' || level === 'green') return true
  if (opts.relayed === true) return false
  const recipients = new Set(recipientsOf(object))
  return peer.organisations.some((o) => recipients.has(o.identityId))
}
