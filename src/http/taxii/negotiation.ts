/**
 * TAXII 2.1 media type negotiation. TAXII 2.1 registers `application/taxii+json` with an optional
 * `version` parameter; without it, the latest version the server supports (2.1) is meant.
 * Wildcards (`*\/*`, `application/*`) are not accepted: a TAXII client must ask for TAXII, which
 * also keeps TAXII 2.0 clients (which ask for STIX bundles) from misreading our answers.
 */

export const TAXII_TYPE = 'application/taxii+json'
export const TAXII_VERSION = '2.1'

interface MediaRange {
  readonly type: string
  readonly params: ReadonlyMap<string, string>
}

/** Parses one media type or media range (`type/subtype; k=v; k="v"`). Returns null when malformed. */
export function parseMediaType(text: string): MediaRange | null {
  const parts = text.split(';')
  const type = (parts[0] ?? '').trim().toLowerCase()
  if (!/^[a-z0-9!#$&^_.+*-]+\/[a-z0-9!#$&^_.+*-]+$/.test(type)) return null
  const params = new Map<string, string>()
  for (const raw of parts.slice(1)) {
    const p = raw.trim()
    if (p.length === 0) continue
    const eq = p.indexOf('=')
    if (eq <= 0) return null
    let v = p.slice(eq + 1).trim()
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
    params.set(p.slice(0, eq).trim().toLowerCase(), v)
  }
  return { type, params }
}

function isTaxii21(m: MediaRange): boolean {
  if (m.type !== TAXII_TYPE) return false
  const v = m.params.get('version')
  return v === undefined || v === TAXII_VERSION
}

/** True when an Accept header asks for TAXII 2.1 (with a non-zero quality). Never throws. */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.length === 0 || accept.length > 4096) return false
  for (const item of accept.split(',')) {
    const m = parseMediaType(item)
    if (m === null || !isTaxii21(m)) continue
    const q = m.params.get('q')
    if (q !== undefined && !(Number(q) > 0)) continue
    return true
  }
  return false
}

/** True when a request Content-Type is TAXII 2.1 JSON. */
export function isTaxiiContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const m = parseMediaType(contentType)
  return m !== null && isTaxii21(m)
}
