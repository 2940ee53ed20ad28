import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { canonicalize } from '../stix/canonical.js'
import { decodeEntry, encodeEntry, entryText, ENTRY_VERSION, type LogEntry } from './entry.js'

const text = fc.string({ unit: 'binary', maxLength: 40 })
const actor = fc.oneof(
  fc.record({ org: text, user: text }),
  fc.record({ org: text }),
  fc.record({ system: text }),
)
const objectEntry = fc.record({
  v: fc.constant(ENTRY_VERSION),
  kind: fc.constantFrom('object.added' as const, 'object.removed' as const),
  at: text,
  by: actor,
  collection: text,
  object: fc.record({ id: text, type: text, version: text, sha256: text, revoked: fc.constant(true as const) }, { requiredKeys: ['id', 'type', 'version', 'sha256'] }),
})

describe('log entries', () => {
  test.prop([objectEntry])('object entries are written exactly as RFC 8785 canonicalises them', (e) => {
    expect(entryText(e as LogEntry)).toBe(canonicalize(e))
  })

  test.prop([objectEntry])('decode(encode(e)) gives e back, and only the canonical bytes decode', (e) => {
    const bytes = encodeEntry(e as LogEntry)
    const back = decodeEntry(bytes)
    expect(back.ok && back.value).toEqual(e)
    const spaced = new TextEncoder().encode(JSON.stringify(e, null, 1))
    expect(decodeEntry(spaced).ok).toBe(false)
  })

  it('rejects unknown kinds, versions and properties', () => {
    const base = { v: 1, kind: 'org.created', at: '2026-01-01T00:00:00.000000Z', by: { system: 'init' }, org: { id: 'o', identity: 'identity--x' } }
    const enc = (x: unknown) => new TextEncoder().encode(canonicalize(x))
    expect(decodeEntry(enc(base)).ok).toBe(true)
    expect(decodeEntry(enc({ ...base, v: 2 }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...base, kind: 'org.deleted' }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...base, extra: 1 }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...base, org: { id: 'o' } }))).toMatchObject({ ok: false })
    expect(decodeEntry(Uint8Array.of(0xff, 0xfe))).toMatchObject({ ok: false })
  })

  it('decodes the administrative decision kinds, with TLP levels checked', () => {
    const at = '2026-01-01T00:00:00.000000Z'
    const by = { org: 'o1', user: 'u1' }
    const enc = (x: unknown) => new TextEncoder().encode(canonicalize(x))
    const good: LogEntry[] = [
      { v: 1, kind: 'collection.default_tlp_set', at, by, collection: { id: 'c1', tlp: 'amber+strict' } },
      { v: 1, kind: 'org.default_tlp_set', at, by, org: { id: 'o2', tlp: 'red' } },
      { v: 1, kind: 'org.default_tlp_set', at, by, org: { id: 'o2', tlp: null } },
      { v: 1, kind: 'org.client_added', at, by, client: { org: 'o3', of: 'o2' } },
      { v: 1, kind: 'org.client_removed', at, by, client: { org: 'o3', of: 'o2' } },
      { v: 1, kind: 'peer.approved', at, by, peer: { id: 'p1', origin: 'node-b.example/log', ed25519: 'AAAA' } },
      { v: 1, kind: 'peer.removed', at, by, peer: { id: 'p1' } },
    ]
    for (const e of good) {
      const back = decodeEntry(encodeEntry(e))
      expect(back.ok && back.value).toEqual(e)
    }
    // A level that is not TLP 2.0 (TLP 1.0 'white', upper case), a missing default, a null where a level is required.
    expect(decodeEntry(enc({ ...good[0], collection: { id: 'c1', tlp: 'white' } }))).toMatchObject({ ok: false, error: expect.stringContaining('/collection/tlp') })
    expect(decodeEntry(enc({ ...good[0], collection: { id: 'c1', tlp: null } }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...good[1], org: { id: 'o2', tlp: 'RED' } }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...good[1], org: { id: 'o2' } }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...good[3], client: { org: 'o3' } }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...good[5], peer: { id: 'p1', origin: 'x' } }))).toMatchObject({ ok: false })
    expect(decodeEntry(enc({ ...good[6], peer: { id: 'p1', key: 'k' } }))).toMatchObject({ ok: false })
  })
})
