import { generateKeyPairSync, sign as nodeSign, verify as nodeVerify, createPublicKey, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { validateStixObject } from '../stix/validate.js'
import {
  AGREEMENT_EXTENSION_DEFINITION,
  AGREEMENT_EXTENSION_ID,
  agreementStatus,
  agreementView,
  appendEvent,
  keyFingerprint,
  signEvent,
  termsDigest,
  validateAgreement,
  type Agreement,
  type Ed25519Verify,
} from './index.js'

interface NodeKey {
  id: string
  priv: KeyObject
  raw: Uint8Array
}
function nodeKey(id: string): NodeKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12))
  return { id, priv: privateKey, raw }
}
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const signer = (k: NodeKey) => (m: Uint8Array) => new Uint8Array(nodeSign(null, m, k.priv))
const verify: Ed25519Verify = (pub, msg, sig) =>
  nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' }), sig)

const FR = 'identity--0f3a2c47-6a0e-4a8b-9a43-1c6f6b2d8e01'
const EE = 'identity--7c1e9d2a-3b4f-4e5a-8c6d-2f1a0b9c8d02'
const at = (s: string): number => Date.parse(s)

function draft(a: NodeKey, b: NodeKey, over: Partial<Agreement> = {}): Agreement {
  return {
    type: 'x-entente-agreement',
    spec_version: '2.1',
    id: 'x-entente-agreement--2b1f0c3e-8d7a-4f6b-9e5c-4a3b2c1d0e9f',
    created: '2026-03-01T09:00:00.000Z',
    modified: '2026-03-01T09:00:00.000Z',
    name: 'FR–EE election security exchange',
    purpose: 'Indicators and reports about interference with the 2026 elections.',
    parties: [
      { node_id: a.id, node_key: b64(a.raw), node_key_fingerprint: keyFingerprint(a.raw), organization_refs: [FR] },
      { node_id: b.id, node_key: b64(b.raw), node_key_fingerprint: keyFingerprint(b.raw), organization_refs: [EE] },
    ],
    iep: {
      encrypt_in_transit: 'must',
      permitted_actions: 'internally-visible-actions',
      affected_party_notifications: 'may',
      attribution: 'must-not',
      unmodified_resale: 'must-not',
      start_date: '2026-03-02T00:00:00Z',
      end_date: '2026-12-31T00:00:00Z',
    },
    max_tlp: 'amber',
    object_types: { exclude: ['x-entente-case'] },
    onward_sharing: { allowed: true, to_node_ids: ['coordinator.example'], max_tlp: 'green', max_hops: 1 },
    retention_days: 365,
    events: [],
    extensions: { [AGREEMENT_EXTENSION_ID]: { extension_type: 'new-sdo' } },
    ...over,
  }
}

const FR_NODE = nodeKey('fr.example')
const EE_NODE = nodeKey('ee.example')

function signedBoth(): Agreement {
  const d = draft(FR_NODE, EE_NODE)
  const p = appendEvent(d, signEvent(d, { action: 'propose', node_id: FR_NODE.id, at: '2026-03-01T10:00:00Z' }, signer(FR_NODE)))
  return appendEvent(p, signEvent(p, { action: 'accept', node_id: EE_NODE.id, at: '2026-03-01T12:00:00Z' }, signer(EE_NODE)))
}

describe('agreement objects', () => {
  it('pass strict validation and the STIX 2.1 validator (custom SDO with our extension definition)', () => {
    const a = signedBoth()
    expect(validateAgreement(a).ok).toBe(true)
    const stix = validateStixObject(a)
    expect(stix.ok ? [] : stix.errors).toEqual([])
    expect(validateStixObject(AGREEMENT_EXTENSION_DEFINITION).ok).toBe(true)
  })
  it('report every problem with a JSON pointer', () => {
    const d = draft(FR_NODE, EE_NODE) as unknown as Record<string, unknown>
    const bad = {
      ...d,
      max_tlp: 'purple',
      onward_sharing: { allowed: true, max_tlp: 'red', max_tpl: 'green' },
      iep: { ...(d['iep'] as object), end_date: '2026-01-01T00:00:00Z', permitted_actions: 'anything' },
      parties: [(d['parties'] as unknown[])[0], { ...((d['parties'] as unknown[])[1] as object), node_key_fingerprint: keyFingerprint(FR_NODE.raw) }],
      retention_days: 0,
      x_extra: 1,
    }
    const r = validateAgreement(bad)
    expect(r.ok).toBe(false)
    if (r.ok) return
    const pointers = r.error.map((i) => i.pointer).sort()
    expect(pointers).toEqual(
      [
        '/x_extra',
        '/parties/1/node_key_fingerprint',
        '/iep/permitted_actions',
        '/iep/end_date',
        '/max_tlp',
        '/onward_sharing/max_tpl',
        '/onward_sharing/max_tlp',
        '/retention_days',
      ].sort(),
    )
    expect(r.error.find((i) => i.pointer === '/onward_sharing/max_tlp')?.message).toMatch(/RED is never relayed/)
  })
  it('rejects onward rules that contradict each other and events from non-parties', () => {
    const r1 = validateAgreement(draft(FR_NODE, EE_NODE, { onward_sharing: { allowed: false, max_hops: 2 } }))
    expect(r1.ok ? [] : r1.error.map((i) => i.pointer)).toEqual(['/onward_sharing/max_hops'])
    const r2 = validateAgreement(draft(FR_NODE, EE_NODE, { max_tlp: 'green', onward_sharing: { allowed: true, max_tlp: 'amber' } }))
    expect(r2.ok ? '' : r2.error[0]?.message).toMatch(/not be above the agreement's max_tlp/)
    const d = draft(FR_NODE, EE_NODE)
    const r3 = validateAgreement({ ...d, events: [{ action: 'accept', node_id: 'evil.example', at: '2026-03-01T10:00:00Z', signature: b64(new Uint8Array(64)) }] })
    expect(r3.ok ? [] : r3.error.map((i) => i.pointer)).toEqual(['/events/0/node_id'])
    expect(validateAgreement('x')).toEqual({ ok: false, error: [{ pointer: '', message: 'an agreement must be a JSON object' }] })
  })
})

describe('agreement lifecycle with real Ed25519 signatures', () => {
  it('draft → proposed → active (within the dates) → expired', () => {
    const d = draft(FR_NODE, EE_NODE)
    expect(agreementStatus(d, at('2026-04-01T00:00:00Z'), verify).status).toBe('draft')
    const p = appendEvent(d, signEvent(d, { action: 'propose', node_id: FR_NODE.id, at: '2026-03-01T10:00:00Z' }, signer(FR_NODE)))
    expect(agreementStatus(p, at('2026-04-01T00:00:00Z'), verify).status).toBe('proposed')
    const a = signedBoth()
    expect(a.modified).toBe('2026-03-01T12:00:00.000Z')
    expect(agreementStatus(a, at('2026-03-01T23:00:00Z'), verify).status).toBe('pending')
    const s = agreementStatus(a, at('2026-04-01T00:00:00Z'), verify)
    expect(s).toMatchObject({ status: 'active', active: true })
    expect(agreementStatus(a, at('2026-12-31T00:00:00Z'), verify).status).toBe('expired')
  })
  it('a signature made over other terms, or by the wrong key, does not verify', () => {
    const a = signedBoth()
    const changed: Agreement = { ...a, max_tlp: 'red' }
    expect(termsDigest(changed)).not.toBe(termsDigest(a))
    expect(agreementStatus(changed, at('2026-04-01T00:00:00Z'), verify)).toMatchObject({ status: 'invalid', active: false })
    const d = draft(FR_NODE, EE_NODE)
    const forged = appendEvent(d, signEvent(d, { action: 'propose', node_id: FR_NODE.id, at: '2026-03-01T10:00:00Z' }, signer(EE_NODE)))
    expect(agreementStatus(forged, at('2026-04-01T00:00:00Z'), verify).reason).toMatch(/does not verify/)
    // modified and events are outside the terms: appending does not break earlier signatures
    expect(termsDigest({ ...a, modified: '2026-05-01T00:00:00Z' })).toBe(termsDigest(a))
  })
  it('checks keys against the pinned fingerprint', () => {
    const a = signedBoth()
    const other = nodeKey('ee.example')
    const s = agreementStatus(a, at('2026-04-01T00:00:00Z'), verify, { pinned: (id) => (id === 'ee.example' ? keyFingerprint(other.raw) : undefined) })
    expect(s.status).toBe('invalid')
    expect(s.reason).toMatch(/not the one pinned/)
  })
  it('either party suspends; the suspending party resumes; termination is final', () => {
    const a = signedBoth()
    const s1 = appendEvent(a, signEvent(a, { action: 'suspend', node_id: EE_NODE.id, at: '2026-05-01T00:00:00Z', reason: 'incident review' }, signer(EE_NODE)))
    expect(agreementStatus(s1, at('2026-04-30T00:00:00Z'), verify).status).toBe('active') // not yet in force
    expect(agreementStatus(s1, at('2026-05-02T00:00:00Z'), verify)).toMatchObject({ status: 'suspended', suspendedBy: ['ee.example'] })
    const r1 = appendEvent(s1, signEvent(s1, { action: 'resume', node_id: FR_NODE.id, at: '2026-05-03T00:00:00Z' }, signer(FR_NODE)))
    expect(agreementStatus(r1, at('2026-05-04T00:00:00Z'), verify).status).toBe('suspended')
    const r2 = appendEvent(r1, signEvent(r1, { action: 'resume', node_id: EE_NODE.id, at: '2026-05-05T00:00:00Z' }, signer(EE_NODE)))
    expect(agreementStatus(r2, at('2026-05-06T00:00:00Z'), verify).status).toBe('active')
    const t = appendEvent(r2, signEvent(r2, { action: 'terminate', node_id: FR_NODE.id, at: '2026-06-01T00:00:00Z', reason: 'mandate ended' }, signer(FR_NODE)))
    expect(agreementStatus(t, at('2026-06-02T00:00:00Z'), verify)).toMatchObject({ status: 'terminated', active: false })
    // anything after termination (a resumption, a second acceptance) never makes it active again
    const again = appendEvent(t, signEvent(t, { action: 'resume', node_id: FR_NODE.id, at: '2026-06-03T00:00:00Z' }, signer(FR_NODE)))
    expect(agreementStatus(again, at('2026-06-04T00:00:00Z'), verify).active).toBe(false)
    expect(validateAgreement(t).ok).toBe(true)
  })
  it('rejects events out of order and acceptance by the proposer', () => {
    const d = draft(FR_NODE, EE_NODE)
    const p = appendEvent(d, signEvent(d, { action: 'propose', node_id: FR_NODE.id, at: '2026-03-01T10:00:00Z' }, signer(FR_NODE)))
    const self = appendEvent(p, signEvent(p, { action: 'accept', node_id: FR_NODE.id, at: '2026-03-01T11:00:00Z' }, signer(FR_NODE)))
    expect(agreementStatus(self, at('2026-04-01T00:00:00Z'), verify).reason).toMatch(/only the second party accepts/)
    const early = appendEvent(p, signEvent(p, { action: 'accept', node_id: EE_NODE.id, at: '2026-03-01T09:00:00Z' }, signer(EE_NODE)))
    expect(agreementStatus(early, at('2026-04-01T00:00:00Z'), verify).status).toBe('invalid')
  })
  it('gives the policy a normalised view', () => {
    const v = agreementView(signedBoth(), true)
    expect(v.maxTlp).toBe(2)
    expect(v.onward).toEqual({ allowed: true, to: new Set(['coordinator.example']), maxTlp: 1, maxHops: 1 })
    expect(v.exclude.has('x-entente-case')).toBe(true)
    expect(v.retentionDays).toBe(365)
  })
})
