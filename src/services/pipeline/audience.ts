/**
 * The audience key of each version ingest stores (docs/markings.md "Defaults" and "For storage"):
 * the object's own TLP, else the receiving collection's default (never CLEAR by accident), raised by
 * granular markings on structural properties; its named recipients; the producing organisation; and,
 * for versions received from a peer, the path and retention. The object's bytes are not changed: the
 * default is recorded with the stored version.
 *
 * Objects without markings or recipients are not parsed again (the common case costs a substring test).
 * Marking references other than the built-in TLP and PAP definitions are looked up among the
 * marking definitions of the same batch, then those stored on the node (cached); a reference that
 * cannot be resolved counts as RED.
 */
import type { AgreementView } from '../../core/agreement/view.js'
import { KNOWN_PAP_IDS } from '../../core/marking/pap.js'
import { RECIPIENTS_EXTENSION_ID } from '../../core/marking/recipients.js'
import { KNOWN_TLP_IDS, tlpLevel, type TlpRank } from '../../core/marking/tlp.js'
import { audienceKey, type Hop, type Origin } from '../../core/policy/audience.js'
import type { Issue } from '../../core/shared/errors.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import type { NewObjectVersion, StoredAudience, Tx } from '../../store/port.js'

/** Where a batch comes from, for its audience keys. */
export interface BatchOrigin {
  /** The receiving collection's default TLP rank. */
  readonly defaultTlp: TlpRank
  readonly origin: Origin
  readonly receivedAt: string
  readonly agreements: ReadonlyMap<string, AgreementView>
}

/** Most stored marking definitions kept in the lookup cache. */
const CACHE_LIMIT = 10_000

const REFS_KEY = '"object_marking_refs":['
/** The canonical `object_marking_refs` list of plain string ids (no escapes), at the start of the text. */
const REFS = /^"object_marking_refs":\[((?:"[^"\\]*"(?:,"[^"\\]*")*)?)\]/

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function refsOf(o: Record<string, unknown>): string[] {
  const out: string[] = []
  const refs = o['object_marking_refs']
  if (Array.isArray(refs)) for (const r of refs.slice(0, 1000)) if (typeof r === 'string') out.push(r)
  const g = o['granular_markings']
  if (Array.isArray(g)) for (const m of g.slice(0, 1000)) if (isObj(m) && typeof m['marking_ref'] === 'string') out.push(m['marking_ref'])
  return out
}

/** A resolver of marking definitions stored on this node, cached across batches. */
export function makeMarkingDefinitions() {
  const cache = new Map<string, unknown>()
  return {
    async load(tx: Tx, ids: Iterable<string>): Promise<void> {
      for (const id of ids) {
        if (cache.has(id)) continue
        if (!id.startsWith('marking-definition--') || id.length > 300) {
          cache.set(id, null)
          continue
        }
        const versions = await tx.objects.versionsOf(id)
        const last = versions[versions.length - 1]
        let def: unknown = null
        if (last) {
          try {
            def = JSON.parse(last.json)
          } catch {
            def = null
          }
        }
        if (cache.size >= CACHE_LIMIT) cache.clear()
        // Only a found definition is cached: one stored later in the same process must be found then.
        if (def !== null) cache.set(id, def)
      }
    },
    get: (id: string): unknown => cache.get(id) ?? undefined,
  }
}

export type MarkingDefinitions = ReturnType<typeof makeMarkingDefinitions>

/**
 * The audience of each version (in order), or the problems with its markings (the version is then
 * refused with `stix_invalid`).
 */
export async function audiencesOf(
  tx: Tx,
  versions: readonly NewObjectVersion[],
  from: BatchOrigin,
  defs: MarkingDefinitions,
): Promise<({ ok: true; value: StoredAudience } | { ok: false; issues: Issue[] })[]> {
  const parsed: (Record<string, unknown> | null)[] = versions.map((v) => {
    const j = v.json
    if (v.type === 'marking-definition' || j.includes('"granular_markings"') || j.includes(RECIPIENTS_EXTENSION_ID)) return JSON.parse(j) as Record<string, unknown>
    const at = j.indexOf(REFS_KEY)
    if (at < 0) return null
    // The common case, object markings only: read the list from the canonical text without parsing
    // the whole object (ids are plain strings). Anything unusual is parsed.
    const m = at === j.lastIndexOf(REFS_KEY) ? REFS.exec(j.slice(at, at + 64 * 1024)) : null
    if (m === null) return JSON.parse(j) as Record<string, unknown>
    const list = m[1] === '' ? [] : (m[1] as string).slice(1, -1).split('","')
    return { type: v.type, object_marking_refs: list }
  })
  const inBatch = new Map<string, unknown>()
  const unknown = new Set<string>()
  parsed.forEach((o, i) => {
    if (o === null) return
    if ((versions[i] as NewObjectVersion).type === 'marking-definition') inBatch.set(String(o['id']), o)
    for (const r of refsOf(o)) if (!KNOWN_TLP_IDS.has(r) && !KNOWN_PAP_IDS.has(r)) unknown.add(r)
  })
  for (const id of inBatch.keys()) unknown.delete(id)
  if (unknown.size > 0) await defs.load(tx, unknown)
  const lookup = (id: string): unknown => inBatch.get(id) ?? defs.get(id)
  const path: readonly Hop[] | null = from.origin.kind === 'peer' ? from.origin.path : null
  return versions.map((v, i) => {
    const o = parsed[i] ?? { type: v.type }
    const k = audienceKey(o, { collectionId: '', defaultTlp: tlpLevel(from.defaultTlp), origin: from.origin, receivedAt: from.receivedAt }, { agreements: from.agreements, lookup })
    if (!k.ok) return { ok: false, issues: k.error }
    return {
      ok: true,
      value: {
        tlp: k.value.tlp,
        producer: k.value.producer,
        recipients: k.value.recipients,
        expiresAt: k.value.expiresAt === null ? null : storedTimestampFromMs(k.value.expiresAt),
        path: path === null ? null : path.map((h) => ({ from: h.from, to: h.to, agreementId: h.agreementId })),
      },
    }
  })
}
