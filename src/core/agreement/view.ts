/**
 * The part of an agreement the policy engine reads, normalised: sets instead of lists, TLP ranks
 * instead of names, defaults filled in. Built from a validated agreement and its status
 * (./sign.ts `agreementStatus`) with {@link agreementView}; property tests build them directly.
 */
import { tlpRank, type TlpRank } from '../marking/tlp.js'
import type { Agreement } from './model.js'

export interface AgreementSide {
  readonly nodeId: string
  /** Organisation identity ids this node acts for under the agreement. */
  readonly orgs: ReadonlySet<string>
}

export interface AgreementView {
  readonly id: string
  /** True only while both signatures verify, the dates hold and it is neither suspended nor terminated. */
  readonly active: boolean
  readonly sides: readonly [AgreementSide, AgreementSide]
  /** The highest TLP shared under it. */
  readonly maxTlp: TlpRank
  /** Types in scope (null = all). */
  readonly include: ReadonlySet<string> | null
  readonly exclude: ReadonlySet<string>
  readonly onward: {
    readonly allowed: boolean
    /** Nodes the recipient may relay to (null = any node it has an active agreement with). */
    readonly to: ReadonlySet<string> | null
    /** Most restrictive TLP that may be relayed (never RED, never above maxTlp). */
    readonly maxTlp: TlpRank
    /** Further hops after the recipient. 0 when relay is not allowed. */
    readonly maxHops: number
  }
  /** Days received objects are kept (null = no limit). */
  readonly retentionDays: number | null
}

/** The policy view of a validated agreement; `active` comes from its status at the time of the decision. */
export function agreementView(a: Agreement, active: boolean): AgreementView {
  const max = tlpRank(a.max_tlp)
  const o = a.onward_sharing
  const onwardMax = Math.min(o.max_tlp !== undefined ? tlpRank(o.max_tlp) : max, max, 3) as TlpRank
  return {
    id: a.id,
    active,
    sides: [
      { nodeId: a.parties[0].node_id, orgs: new Set(a.parties[0].organization_refs) },
      { nodeId: a.parties[1].node_id, orgs: new Set(a.parties[1].organization_refs) },
    ],
    maxTlp: max,
    include: a.object_types?.include !== undefined ? new Set(a.object_types.include) : null,
    exclude: new Set(a.object_types?.exclude ?? []),
    onward: o.allowed
      ? { allowed: true, to: o.to_node_ids !== undefined ? new Set(o.to_node_ids) : null, maxTlp: onwardMax, maxHops: o.max_hops ?? 1 }
      : { allowed: false, to: new Set(), maxTlp: 0, maxHops: 0 },
    retentionDays: a.retention_days ?? null,
  }
}

/** The side of `nodeId` in the agreement, or undefined when that node is not a party. */
export function sideOf(a: AgreementView, nodeId: string): AgreementSide | undefined {
  return a.sides[0].nodeId === nodeId ? a.sides[0] : a.sides[1].nodeId === nodeId ? a.sides[1] : undefined
}

/** The other side from `nodeId`'s, or undefined when that node is not a party. */
export function otherSide(a: AgreementView, nodeId: string): AgreementSide | undefined {
  return a.sides[0].nodeId === nodeId ? a.sides[1] : a.sides[1].nodeId === nodeId ? a.sides[0] : undefined
}

/** Whether the agreement covers objects of this type. */
export function coversType(a: AgreementView, type: string): boolean {
  return (a.include === null || a.include.has(type)) && !a.exclude.has(type)
}
