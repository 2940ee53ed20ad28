/**
 * Named recipients: the organisations an object is shared with, listed on the object itself in a
 * property extension of Entente's (STIX 2.1 §7.3):
 *
 *     "extensions": { "extension-definition--f50dec98-058e-4376-84c5-82d4bfdff0fe": {
 *         "extension_type": "property-extension",
 *         "recipient_refs": ["identity--…", "identity--…"] } }
 *
 * TLP:RED objects are seen only by these identities (and the producing organisation).
 * AMBER and AMBER+STRICT objects use them as "the recipient organisations" when present; otherwise
 * the recipients are implied by where the object is (docs/markings.md).
 */
import type { Issue } from '../shared/errors.js'
import { err, ok, type Result } from '../shared/result.js'
import { isStixId } from '../stix/id.js'

/** Entente's recipients extension definition id (fixed forever). */
export const RECIPIENTS_EXTENSION_ID = 'extension-definition--f50dec98-058e-4376-84c5-82d4bfdff0fe'

/** Most recipients named on one object. */
export const MAX_RECIPIENTS = 1000

/** The extension-definition object for named recipients. */
export const RECIPIENTS_EXTENSION_DEFINITION = Object.freeze({
  type: 'extension-definition',
  spec_version: '2.1',
  id: RECIPIENTS_EXTENSION_ID,
  created: '2026-01-01T00:00:00.000Z',
  modified: '2026-01-01T00:00:00.000Z',
  created_by_ref: 'identity--fc0a869d-d42a-4763-81f5-e7d648a46040',
  name: 'Entente named recipients',
  description: 'The organisations (identity ids) an object is shared with. TLP:RED objects are visible only to them and to the producer.',
  schema: 'https://github.com/entente/entente/blob/main/docs/markings.md',
  version: '1.0.0',
  extension_types: Object.freeze(['property-extension']),
})

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The named recipients of an object, or null when it names none. Errors point into the object. */
export function recipientsOf(object: Readonly<Record<string, unknown>>): Result<readonly string[] | null, Issue[]> {
  const ext = object['extensions']
  if (!isObj(ext) || !Object.hasOwn(ext, RECIPIENTS_EXTENSION_ID)) return ok(null)
  const at = `/extensions/${RECIPIENTS_EXTENSION_ID}`
  const e = ext[RECIPIENTS_EXTENSION_ID]
  if (!isObj(e)) return err([{ pointer: at, message: 'must be an object with extension_type and recipient_refs' }])
  if (e['extension_type'] !== 'property-extension') return err([{ pointer: `${at}/extension_type`, message: "must be 'property-extension'" }])
  const refs = e['recipient_refs']
  if (!Array.isArray(refs) || refs.length === 0) return err([{ pointer: `${at}/recipient_refs`, message: 'must be a non-empty list of identity ids' }])
  if (refs.length > MAX_RECIPIENTS) return err([{ pointer: `${at}/recipient_refs`, message: `names ${refs.length} recipients; at most ${MAX_RECIPIENTS} are accepted` }])
  const issues: Issue[] = []
  refs.forEach((r: unknown, i) => {
    if (typeof r !== 'string' || !isStixId(r, 'identity')) issues.push({ pointer: `${at}/recipient_refs/${i}`, message: 'must be an identity id (identity--<uuid>)' })
  })
  for (const k of Object.keys(e)) {
    if (k !== 'extension_type' && k !== 'recipient_refs') issues.push({ pointer: `${at}/${k}`, message: `'${k.slice(0, 100)}' is not a property of the recipients extension` })
  }
  return issues.length > 0 ? err(issues) : ok(refs as string[])
}

/** A copy of the object naming `recipients` (replacing any earlier list). */
export function withRecipients<T extends Readonly<Record<string, unknown>>>(object: T, recipients: readonly string[]): T {
  const ext = isObj(object['extensions']) ? object['extensions'] : {}
  return { ...object, extensions: { ...ext, [RECIPIENTS_EXTENSION_ID]: { extension_type: 'property-extension', recipient_refs: [...recipients] } } }
}
