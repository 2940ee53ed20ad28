/**
 * Granular markings (STIX 2.1 §7.2.3) and redaction.
 *
 * A granular marking applies a marking to parts of an object named by selectors: property names
 * separated by dots, with list items as `[n]` segments (`description`,
 * `external_references.[1].url`, `extensions.extension-definition--….rank`). A marking on a
 * property covers everything under it. A property's TLP is the most restrictive of the object's TLP
 * and the TLP of every granular marking that selects it or one of its ancestors.
 *
 * Redaction gives a reader who may not see some properties a *new* object without them: list items
 * are removed and later indices shift; a list or dictionary left empty is removed too (STIX forbids
 * empty ones); the remaining granular markings are rewritten to point at the same parts of the new
 * object. If a structural property would have to go (type, id, spec_version, created, modified,
 * object_marking_refs, granular_markings), the reader cannot see the object at all.
 */
import type { Issue } from '../shared/errors.js'
import { err, ok, type Result } from '../shared/result.js'
import { MAX_MARKING_REFS, markingMeaning, type MarkingLookup } from './effective.js'
import { TLP_MAX_RANK, tlpRank, type TlpRank } from './tlp.js'

/** One selector segment: a property name or a list index. */
export type Segment = string | number

/** One selector of a granular marking, parsed and checked against the object. */
export interface GranularRule {
  readonly selector: string
  readonly path: readonly Segment[]
  /** The TLP rank the marking imposes, or null when it is not an access marking (statement, PAP, lang). */
  readonly rank: TlpRank | null
}

/** Limits on granular markings read from one object. */
export const GRANULAR_LIMITS = {
  /** Most granular_markings entries. */
  maxMarkings: MAX_MARKING_REFS,
  /** Most selectors over all entries. */
  maxSelectors: 10_000,
  /** Longest selector (characters). */
  maxSelectorLength: 1024,
  /** Most segments in one selector. */
  maxSegments: 64,
} as const

/** Properties without which an object is not an object: removing one hides the whole object. */
export const STRUCTURAL_PROPERTIES: ReadonlySet<string> = new Set(['type', 'id', 'spec_version', 'created', 'modified', 'object_marking_refs', 'granular_markings'])

const INDEX = /^\[(0|[1-9]\d{0,8})\]$/
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parses a selector into segments; an error message when it is not well formed. */
export function parseSelector(s: string): Result<Segment[], string> {
  if (s.length === 0) return err('a selector must not be empty')
  if (s.length > GRANULAR_LIMITS.maxSelectorLength) return err(`a selector is at most ${GRANULAR_LIMITS.maxSelectorLength} characters long`)
  const parts = s.split('.')
  if (parts.length > GRANULAR_LIMITS.maxSegments) return err(`a selector has at most ${GRANULAR_LIMITS.maxSegments} segments`)
  const out: Segment[] = []
  for (const p of parts) {
    if (p === '') return err(`selector '${s}' has an empty segment`)
    const m = INDEX.exec(p)
    if (m !== null) out.push(Number(m[1]))
    else if (p.startsWith('[')) return err(`selector '${s}': '${p}' is not a list index like [0]`)
    else out.push(p)
  }
  if (typeof out[0] === 'number') return err(`selector '${s}' must start with a property name`)
  return ok(out)
}

/** Whether a parsed selector points at a property or list item of the object. */
export function resolves(object: unknown, path: readonly Segment[]): boolean {
  let cur: unknown = object
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return false
      cur = cur[seg]
    } else {
      if (!isObj(cur) || !Object.hasOwn(cur, seg)) return false
      cur = cur[seg]
    }
  }
  return true
}

/**
 * Reads and checks the object's granular markings: shape (§7.2.3: `selectors` and exactly one of
 * `marking_ref` / `lang`), limits, and that every selector resolves in the object. Errors carry JSON
 * pointers into the object. An object without granular markings gives an empty list.
 */
export function granularRules(object: Readonly<Record<string, unknown>>, lookup?: MarkingLookup): Result<GranularRule[], Issue[]> {
  const gms = object['granular_markings']
  if (gms === undefined) return ok([])
  const issues: Issue[] = []
  if (!Array.isArray(gms)) return err([{ pointer: '/granular_markings', message: 'must be a list of granular markings' }])
  if (gms.length === 0) return err([{ pointer: '/granular_markings', message: 'must not be an empty list (omit the property instead)' }])
  if (gms.length > GRANULAR_LIMITS.maxMarkings) return err([{ pointer: '/granular_markings', message: `has ${gms.length} entries; at most ${GRANULAR_LIMITS.maxMarkings} are accepted` }])
  const rules: GranularRule[] = []
  let count = 0
  for (let i = 0; i < gms.length; i++) {
    const gm: unknown = gms[i]
    const at = `/granular_markings/${i}`
    if (!isObj(gm)) {
      issues.push({ pointer: at, message: 'must be an object with selectors and marking_ref or lang' })
      continue
    }
    const hasRef = Object.hasOwn(gm, 'marking_ref')
    const hasLang = Object.hasOwn(gm, 'lang')
    if (hasRef === hasLang) issues.push({ pointer: at, message: 'must have exactly one of marking_ref and lang' })
    let rank: TlpRank | null = null
    if (hasRef) {
      const m = markingMeaning(gm['marking_ref'], lookup)
      if (typeof gm['marking_ref'] !== 'string') issues.push({ pointer: `${at}/marking_ref`, message: 'must be a marking-definition id' })
      rank = m.kind === 'tlp' ? tlpRank(m.level) : m.kind === 'unknown' ? TLP_MAX_RANK : null
    }
    const sels = gm['selectors']
    if (!Array.isArray(sels) || sels.length === 0) {
      issues.push({ pointer: `${at}/selectors`, message: 'must be a non-empty list of selectors' })
      continue
    }
    for (let j = 0; j < sels.length; j++) {
      const s: unknown = sels[j]
      const sp = `${at}/selectors/${j}`
      if (++count > GRANULAR_LIMITS.maxSelectors) return err([...issues, { pointer: sp, message: `more than ${GRANULAR_LIMITS.maxSelectors} selectors` }])
      if (typeof s !== 'string') {
        issues.push({ pointer: sp, message: 'must be a string' })
        continue
      }
      const p = parseSelector(s)
      if (!p.ok) issues.push({ pointer: sp, message: p.error })
      else if (!resolves(object, p.value)) issues.push({ pointer: sp, message: `selector '${s.slice(0, 200)}' does not point at a property or list item of this object` })
      else rules.push({ selector: s, path: p.value, rank })
    }
  }
  return issues.length > 0 ? err(issues) : ok(rules)
}

/** The selectors a reader must not see: those of access markings the reader is not entitled to. */
export function selectorsToRedact(rules: readonly GranularRule[], entitled: (rank: TlpRank) => boolean): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const r of rules) {
    if (r.rank === null || entitled(r.rank) || seen.has(r.selector)) continue
    seen.add(r.selector)
    out.push(r.selector)
  }
  return out
}

/** True when removing this selector would remove a structural property (the object cannot be shown). */
export function hitsStructure(path: readonly Segment[]): boolean {
  return path.length >= 1 && STRUCTURAL_PROPERTIES.has(path[0] as string)
}

/** The rank needed to see the object at all: the most restrictive granular marking on a structural property. */
export function structuralRank(rules: readonly GranularRule[]): TlpRank | null {
  let r: TlpRank | null = null
  for (const x of rules) if (x.rank !== null && hitsStructure(x.path) && (r === null || x.rank > r)) r = x.rank
  return r
}

interface Trie {
  removed: boolean
  children: Map<Segment, Trie>
}

const node = (): Trie => ({ removed: false, children: new Map() })

/** Maps a path of the original object to the same part of the redacted one, or null when it was removed. */
type PathMap = (path: readonly Segment[]) => Segment[] | null

function prune(value: unknown, t: Trie | undefined, mapOut: Map<Trie, Map<number, number>>): { keep: boolean; value: unknown } {
  if (t === undefined) return { keep: true, value }
  if (t.removed) return { keep: false, value: undefined }
  if (Array.isArray(value)) {
    const out: unknown[] = []
    const idx = new Map<number, number>()
    for (let i = 0; i < value.length; i++) {
      const r = prune(value[i], t.children.get(i), mapOut)
      if (r.keep) {
        idx.set(i, out.length)
        out.push(r.value)
      }
    }
    mapOut.set(t, idx)
    return out.length === 0 && value.length > 0 ? { keep: false, value: undefined } : { keep: true, value: out }
  }
  if (isObj(value)) {
    const out: Record<string, unknown> = {}
    let n = 0
    for (const k of Object.keys(value)) {
      const r = prune(value[k], t.children.get(k), mapOut)
      if (r.keep) {
        out[k] = r.value
        n++
      }
    }
    return n === 0 && Object.keys(value).length > 0 ? { keep: false, value: undefined } : { keep: true, value: out }
  }
  return { keep: true, value }
}

/**
 * The object without the parts `selectors` name, as a new object (the input is not changed), or
 * `null` when the reader cannot see the object at all (a structural property would go, or the
 * markings cannot be read). Selectors must come from {@link granularRules} of the same object.
 */
export function redactObject(object: Readonly<Record<string, unknown>>, selectors: readonly string[]): Record<string, unknown> | null {
  if (selectors.length === 0) return { ...object }
  const root = node()
  for (const s of selectors) {
    const p = parseSelector(s)
    if (!p.ok || hitsStructure(p.value) || !resolves(object, p.value)) return null
    let t = root
    for (const seg of p.value) {
      let c = t.children.get(seg)
      if (c === undefined) {
        c = node()
        t.children.set(seg, c)
      }
      t = c
    }
    t.removed = true
  }
  const indexMaps = new Map<Trie, Map<number, number>>()
  const gms = object['granular_markings']
  const body: Record<string, unknown> = { ...object }
  delete body['granular_markings']
  const pruned = prune(body, root, indexMaps)
  if (!pruned.keep || !isObj(pruned.value)) return null
  const out = pruned.value
  for (const k of STRUCTURAL_PROPERTIES) if (k !== 'granular_markings' && Object.hasOwn(object, k) && !Object.hasOwn(out, k)) return null

  const mapPath: PathMap = (path) => {
    const res: Segment[] = []
    let t: Trie | undefined = root
    for (const seg of path) {
      if (t !== undefined && t.removed) return null
      if (typeof seg === 'number' && t !== undefined) {
        const m = indexMaps.get(t)
        const ni = m === undefined ? seg : m.get(seg)
        if (ni === undefined) return null
        res.push(ni)
      } else res.push(seg)
      t = t?.children.get(seg)
    }
    if (t !== undefined && t.removed) return null
    return resolves(out, res) ? res : null
  }
  if (Array.isArray(gms)) {
    const kept: unknown[] = []
    for (const gm of gms) {
      if (!isObj(gm) || !Array.isArray(gm['selectors'])) return null
      const sels: string[] = []
      for (const s of gm['selectors'] as unknown[]) {
        if (typeof s !== 'string') return null
        const p = parseSelector(s)
        if (!p.ok) return null
        const m = mapPath(p.value)
        if (m !== null) sels.push(m.map((x) => (typeof x === 'number' ? `[${x}]` : x)).join('.'))
      }
      if (sels.length > 0) kept.push({ ...gm, selectors: sels })
    }
    if (kept.length > 0) out['granular_markings'] = kept
  }
  return out
}
