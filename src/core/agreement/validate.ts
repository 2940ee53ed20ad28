/**
 * Strict validation of agreement objects: every problem reported with a JSON pointer, nothing
 * unknown accepted (an agreement is a contract: a misspelt `onward_sharing.max_tpl` must not be
 * ignored). Implements AGREEMENT_JSON_SCHEMA plus the rules a schema cannot express.
 */
import type { Issue } from '../shared/errors.js'
import { err, ok, type Result } from '../shared/result.js'
import { isStixId } from '../stix/id.js'
import { parseStixTimestamp } from '../stix/time.js'
import { base64Decode } from '../translog/note.js'
import { isTlpLevel, tlpRank } from '../marking/tlp.js'
import {
  AGREEMENT_ACTIONS,
  AGREEMENT_EXTENSION_ID,
  AGREEMENT_LIMITS,
  AGREEMENT_TYPE,
  IEP_AFFECTED_PARTY_NOTIFICATIONS,
  IEP_ATTRIBUTION,
  IEP_ENCRYPT_IN_TRANSIT,
  IEP_PERMITTED_ACTIONS,
  IEP_UNMODIFIED_RESALE,
  type Agreement,
} from './model.js'
import { keyFingerprint } from './fingerprint.js'

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const NODE_ID = /^[A-Za-z0-9._:-]+$/
const TYPE_NAME = /^[a-z0-9-]{3,250}$/
const esc = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1')
const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}…` : s)

class V {
  readonly issues: Issue[] = []
  add(pointer: string, message: string): void {
    if (this.issues.length < 100) this.issues.push({ pointer, message })
  }
  keys(o: Record<string, unknown>, at: string, allowed: readonly string[], required: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.add(`${at}/${esc(k)}`, `'${clip(k)}' is not a property of ${at === '' ? 'an agreement' : at.slice(1)}`)
    for (const k of required) if (!Object.hasOwn(o, k)) this.add(`${at}/${k}`, `required property '${k}' is missing`)
  }
  str(v: unknown, at: string, max: number, min = 1): v is string {
    if (typeof v !== 'string') return this.add(at, 'must be a string'), false
    if (v.length < min) return this.add(at, min === 1 ? 'must not be empty' : `must be at least ${min} characters`), false
    if (v.length > max) return this.add(at, `must be at most ${max} characters (got ${v.length})`), false
    return true
  }
  en(v: unknown, at: string, values: readonly string[]): void {
    if (typeof v !== 'string' || !values.includes(v)) this.add(at, `must be one of ${values.join(', ')}`)
  }
  ts(v: unknown, at: string, ms = false): number | null {
    if (typeof v !== 'string') return this.add(at, 'must be a timestamp like 2026-01-01T00:00:00Z'), null
    const p = parseStixTimestamp(v)
    if (!p.ok) return this.add(at, p.error), null
    if (ms && p.value.fraction.length < 3) return this.add(at, "must have at least millisecond precision, e.g. '2026-03-01T12:00:00.000Z'"), null
    return p.value.epochMs
  }
  list(v: unknown, at: string, max: number, item: (x: unknown, p: string) => void): void {
    if (!Array.isArray(v)) return this.add(at, 'must be a list')
    if (v.length === 0) return this.add(at, 'must not be empty (omit it instead)')
    if (v.length > max) return this.add(at, `has ${v.length} items; at most ${max} are accepted`)
    const seen = new Set<unknown>()
    v.forEach((x: unknown, i) => {
      if (seen.has(x)) this.add(`${at}/${i}`, 'is listed twice')
      seen.add(x)
      item(x, `${at}/${i}`)
    })
  }
  nodeId(v: unknown, at: string): void {
    if (this.str(v, at, AGREEMENT_LIMITS.maxNodeIdLength) && !NODE_ID.test(v)) this.add(at, 'a node id may contain only letters, digits, . _ : and -')
  }
}

const TOP = ['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'name', 'purpose', 'parties', 'iep', 'max_tlp', 'object_types', 'onward_sharing', 'retention_days', 'object_marking_refs', 'events', 'extensions'] as const
const TOP_REQUIRED = ['type', 'spec_version', 'id', 'created', 'modified', 'name', 'purpose', 'parties', 'iep', 'max_tlp', 'onward_sharing', 'events', 'extensions'] as const

/**
 * Validates an agreement object. Returns it typed, or every problem found (at most 100) with JSON
 * pointers. Signatures are checked for shape only; {@link agreementStatus} verifies them.
 */
export function validateAgreement(value: unknown): Result<Agreement, Issue[]> {
  const v = new V()
  if (!isObj(value)) return err([{ pointer: '', message: 'an agreement must be a JSON object' }])
  const o = value
  v.keys(o, '', TOP, TOP_REQUIRED)
  if (Object.hasOwn(o, 'type') && o['type'] !== AGREEMENT_TYPE) v.add('/type', `must be '${AGREEMENT_TYPE}'`)
  if (Object.hasOwn(o, 'spec_version') && o['spec_version'] !== '2.1') v.add('/spec_version', "must be '2.1'")
  if (Object.hasOwn(o, 'id') && (typeof o['id'] !== 'string' || !isStixId(o['id'], AGREEMENT_TYPE))) v.add('/id', `must be an identifier like ${AGREEMENT_TYPE}--<uuid>`)
  const created = Object.hasOwn(o, 'created') ? v.ts(o['created'], '/created', true) : null
  const modified = Object.hasOwn(o, 'modified') ? v.ts(o['modified'], '/modified', true) : null
  if (created !== null && modified !== null && modified < created) v.add('/modified', 'must not be earlier than created')
  if (Object.hasOwn(o, 'created_by_ref') && (typeof o['created_by_ref'] !== 'string' || !isStixId(o['created_by_ref'], 'identity'))) v.add('/created_by_ref', 'must be an identity id')
  if (Object.hasOwn(o, 'name')) v.str(o['name'], '/name', AGREEMENT_LIMITS.maxNameLength)
  if (Object.hasOwn(o, 'purpose')) v.str(o['purpose'], '/purpose', AGREEMENT_LIMITS.maxPurposeLength)

  // parties
  const parties = o['parties']
  if (Object.hasOwn(o, 'parties')) {
    if (!Array.isArray(parties) || parties.length !== 2) v.add('/parties', 'must list exactly two parties (the proposer first)')
    else {
      parties.forEach((p: unknown, i) => {
        const at = `/parties/${i}`
        if (!isObj(p)) return v.add(at, 'must be an object with node_id, node_key, node_key_fingerprint and organization_refs')
        v.keys(p, at, ['node_id', 'node_key', 'node_key_fingerprint', 'organization_refs'], ['node_id', 'node_key', 'node_key_fingerprint', 'organization_refs'])
        if (Object.hasOwn(p, 'node_id')) v.nodeId(p['node_id'], `${at}/node_id`)
        const key = p['node_key']
        const raw = typeof key === 'string' ? base64Decode(key) : undefined
        if (Object.hasOwn(p, 'node_key') && (raw === undefined || raw.length !== 32)) v.add(`${at}/node_key`, 'must be a 32-byte Ed25519 public key in standard base64')
        const fp = p['node_key_fingerprint']
        if (Object.hasOwn(p, 'node_key_fingerprint')) {
          if (typeof fp !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(fp)) v.add(`${at}/node_key_fingerprint`, "must be 'sha256:' followed by 64 lower-case hex digits")
          else if (raw !== undefined && raw.length === 32 && keyFingerprint(raw) !== fp) v.add(`${at}/node_key_fingerprint`, 'does not match node_key')
        }
        if (Object.hasOwn(p, 'organization_refs')) {
          v.list(p['organization_refs'], `${at}/organization_refs`, AGREEMENT_LIMITS.maxOrganizationsPerParty, (x, xp) => {
            if (typeof x !== 'string' || !isStixId(x, 'identity')) v.add(xp, 'must be an identity id')
          })
        }
      })
      const [a, b] = parties as unknown[]
      if (isObj(a) && isObj(b)) {
        if (typeof a['node_id'] === 'string' && a['node_id'] === b['node_id']) v.add('/parties/1/node_id', 'the two parties must be different nodes')
        if (typeof a['node_key'] === 'string' && a['node_key'] === b['node_key']) v.add('/parties/1/node_key', 'the two parties must have different keys')
      }
    }
  }

  // iep
  const iep = o['iep']
  let start: number | null = null
  if (Object.hasOwn(o, 'iep')) {
    if (!isObj(iep)) v.add('/iep', 'must be an object with the IEP 2.0 policy statements')
    else {
      const req = ['encrypt_in_transit', 'permitted_actions', 'affected_party_notifications', 'attribution', 'unmodified_resale', 'start_date']
      v.keys(iep, '/iep', [...req, 'end_date'], req)
      if (Object.hasOwn(iep, 'encrypt_in_transit')) v.en(iep['encrypt_in_transit'], '/iep/encrypt_in_transit', IEP_ENCRYPT_IN_TRANSIT)
      if (Object.hasOwn(iep, 'permitted_actions')) v.en(iep['permitted_actions'], '/iep/permitted_actions', IEP_PERMITTED_ACTIONS)
      if (Object.hasOwn(iep, 'affected_party_notifications')) v.en(iep['affected_party_notifications'], '/iep/affected_party_notifications', IEP_AFFECTED_PARTY_NOTIFICATIONS)
      if (Object.hasOwn(iep, 'attribution')) v.en(iep['attribution'], '/iep/attribution', IEP_ATTRIBUTION)
      if (Object.hasOwn(iep, 'unmodified_resale')) v.en(iep['unmodified_resale'], '/iep/unmodified_resale', IEP_UNMODIFIED_RESALE)
      if (Object.hasOwn(iep, 'start_date')) start = v.ts(iep['start_date'], '/iep/start_date')
      if (Object.hasOwn(iep, 'end_date')) {
        const end = v.ts(iep['end_date'], '/iep/end_date')
        if (start !== null && end !== null && end <= start) v.add('/iep/end_date', 'must be later than start_date')
      }
    }
  }

  // scope
  const maxTlp = o['max_tlp']
  if (Object.hasOwn(o, 'max_tlp') && !isTlpLevel(maxTlp)) v.add('/max_tlp', 'must be one of clear, green, amber, amber+strict, red')
  const ot = o['object_types']
  if (Object.hasOwn(o, 'object_types')) {
    if (!isObj(ot) || Object.keys(ot).length === 0) v.add('/object_types', 'must be an object with include and/or exclude')
    else {
      v.keys(ot, '/object_types', ['include', 'exclude'], [])
      for (const k of ['include', 'exclude'] as const) {
        if (Object.hasOwn(ot, k)) {
          v.list(ot[k], `/object_types/${k}`, AGREEMENT_LIMITS.maxTypes, (x, xp) => {
            if (typeof x !== 'string' || !TYPE_NAME.test(x)) v.add(xp, 'must be a STIX type name (3-250 characters a-z, 0-9, -)')
          })
        }
      }
      if (Array.isArray(ot['include']) && Array.isArray(ot['exclude'])) {
        const inc = new Set(ot['include'])
        ;(ot['exclude'] as unknown[]).forEach((x, i) => {
          if (inc.has(x)) v.add(`/object_types/exclude/${i}`, `'${String(x)}' is both included and excluded`)
        })
      }
    }
  }

  // onward sharing
  const os = o['onward_sharing']
  if (Object.hasOwn(o, 'onward_sharing')) {
    if (!isObj(os)) v.add('/onward_sharing', 'must be an object like {"allowed": false}')
    else {
      v.keys(os, '/onward_sharing', ['allowed', 'to_node_ids', 'max_tlp', 'max_hops'], ['allowed'])
      if (Object.hasOwn(os, 'allowed') && typeof os['allowed'] !== 'boolean') v.add('/onward_sharing/allowed', 'must be true or false')
      if (os['allowed'] === false) {
        for (const k of ['to_node_ids', 'max_tlp', 'max_hops']) if (Object.hasOwn(os, k)) v.add(`/onward_sharing/${k}`, 'only applies when allowed is true')
      }
      if (Object.hasOwn(os, 'to_node_ids')) v.list(os['to_node_ids'], '/onward_sharing/to_node_ids', AGREEMENT_LIMITS.maxOnwardNodes, (x, xp) => v.nodeId(x, xp))
      if (Object.hasOwn(os, 'max_tlp')) {
        const m = os['max_tlp']
        if (m === 'red') v.add('/onward_sharing/max_tlp', 'TLP:RED is never relayed; the highest is amber+strict')
        else if (!isTlpLevel(m)) v.add('/onward_sharing/max_tlp', 'must be one of clear, green, amber, amber+strict')
        else if (isTlpLevel(maxTlp) && tlpRank(m) > tlpRank(maxTlp)) v.add('/onward_sharing/max_tlp', `must not be above the agreement's max_tlp (${maxTlp})`)
      }
      if (Object.hasOwn(os, 'max_hops')) {
        const h = os['max_hops']
        if (typeof h !== 'number' || !Number.isInteger(h) || h < 1 || h > AGREEMENT_LIMITS.maxHops) v.add('/onward_sharing/max_hops', `must be an integer from 1 to ${AGREEMENT_LIMITS.maxHops}`)
      }
    }
  }
  if (Object.hasOwn(o, 'retention_days')) {
    const r = o['retention_days']
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > AGREEMENT_LIMITS.maxRetentionDays) v.add('/retention_days', `must be an integer from 1 to ${AGREEMENT_LIMITS.maxRetentionDays}`)
  }
  if (Object.hasOwn(o, 'object_marking_refs')) {
    v.list(o['object_marking_refs'], '/object_marking_refs', 100, (x, xp) => {
      if (typeof x !== 'string' || !isStixId(x, 'marking-definition')) v.add(xp, 'must be a marking-definition id')
    })
  }

  // events
  const ev = o['events']
  if (Object.hasOwn(o, 'events')) {
    if (!Array.isArray(ev)) v.add('/events', 'must be a list (empty for a draft)')
    else if (ev.length > AGREEMENT_LIMITS.maxEvents) v.add('/events', `has ${ev.length} events; at most ${AGREEMENT_LIMITS.maxEvents} are accepted`)
    else {
      ev.forEach((e: unknown, i) => {
        const at = `/events/${i}`
        if (!isObj(e)) return v.add(at, 'must be an object with action, node_id, at and signature')
        v.keys(e, at, ['action', 'node_id', 'at', 'reason', 'signature'], ['action', 'node_id', 'at', 'signature'])
        if (Object.hasOwn(e, 'action')) v.en(e['action'], `${at}/action`, AGREEMENT_ACTIONS)
        if (Object.hasOwn(e, 'node_id')) {
          v.nodeId(e['node_id'], `${at}/node_id`)
          if (Array.isArray(parties) && !parties.some((p: unknown) => isObj(p) && p['node_id'] === e['node_id'])) v.add(`${at}/node_id`, 'is not one of the parties')
        }
        if (Object.hasOwn(e, 'at')) v.ts(e['at'], `${at}/at`)
        if (Object.hasOwn(e, 'reason')) v.str(e['reason'], `${at}/reason`, AGREEMENT_LIMITS.maxReasonLength, 0)
        if (Object.hasOwn(e, 'signature')) {
          const s = e['signature']
          const raw = typeof s === 'string' ? base64Decode(s) : undefined
          if (raw === undefined || raw.length !== 64) v.add(`${at}/signature`, 'must be a 64-byte Ed25519 signature in standard base64')
        }
      })
    }
  }

  // extensions: exactly ours, declaring the new SDO
  const ext = o['extensions']
  if (Object.hasOwn(o, 'extensions')) {
    if (!isObj(ext)) v.add('/extensions', `must be {"${AGREEMENT_EXTENSION_ID}": {"extension_type": "new-sdo"}}`)
    else {
      const mine = ext[AGREEMENT_EXTENSION_ID]
      if (!isObj(mine) || mine['extension_type'] !== 'new-sdo' || Object.keys(mine).length !== 1) v.add(`/extensions/${AGREEMENT_EXTENSION_ID}`, 'must be {"extension_type": "new-sdo"}')
      for (const k of Object.keys(ext)) if (k !== AGREEMENT_EXTENSION_ID) v.add(`/extensions/${esc(k)}`, 'agreements take no other extensions')
    }
  }
  return v.issues.length > 0 ? err(v.issues) : ok(o as unknown as Agreement)
}
