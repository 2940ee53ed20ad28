import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { SCO_ID_NAMESPACE, deterministicScoId, isStixId, isUuid, uuidv5 } from './id.js'
import { sha1Hex, utf8Bytes } from './sha1.js'

describe('sha1', () => {
  // FIPS 180 test vectors, plus a multi-byte UTF-8 string (checked with Python's hashlib).
  it.each([
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    ['€😀', '136f4741a0b5d65a6ea8c19d7582efb7753902b2'],
  ])('sha1(%j)', (input, expected) => {
    expect(sha1Hex(input)).toBe(expected)
  })

  it('hashes a million a', () => {
    expect(sha1Hex('a'.repeat(1_000_000))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f')
  })

  test.prop([fc.string({ unit: 'binary' })])('encodes UTF-8 like TextEncoder', (s) => {
    expect([...utf8Bytes(s)]).toEqual([...new TextEncoder().encode(s)])
  })
})

describe('uuidv5', () => {
  it('matches RFC 4122 / Python uuid.uuid5', () => {
    expect(uuidv5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2')
    expect(uuidv5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'https://www.w3.org/')).toBe('c106a26a-21bb-5538-8bf2-57095d1976c1')
    expect(uuidv5(SCO_ID_NAMESPACE, '')).toBe('541cb4a8-fbf0-5832-816e-d17fd10b36c4')
  })

  it('accepts an upper-case namespace and rejects a non-UUID one', () => {
    expect(uuidv5(SCO_ID_NAMESPACE.toUpperCase(), '')).toBe('541cb4a8-fbf0-5832-816e-d17fd10b36c4')
    expect(() => uuidv5('not-a-uuid', 'x')).toThrow(TypeError)
  })

  test.prop([fc.string()])('always yields a version-5, RFC 4122-variant UUID', (name) => {
    const u = uuidv5(SCO_ID_NAMESPACE, name)
    expect(isUuid(u)).toBe(true)
    expect(u[14]).toBe('5')
    expect('89ab').toContain(u[19])
  })
})

describe('isStixId', () => {
  it.each([
    ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', undefined, true],
    ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'indicator', true],
    ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'malware', false],
    ['relationship--81f12913-1372-4c96-85ec-E9034ac98aba', undefined, true], // mixed case, as in an OASIS example
    ['identity--1621d4d4-b67d-11e3-9670-f01faf20d111', undefined, true], // UUIDv1
    ['x-mitre-tactic--daa4cbb1-b4f4-4723-a824-7f1efd6e0592', undefined, true],
    ['indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f', undefined, false], // variant 110x
    ['indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f', undefined, false], // version 0
    ['indicator--00000000-0000-0000-0000-000000000000', undefined, false], // nil UUID
    ['indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f', undefined, false],
    ['indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', undefined, false],
    ['Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', undefined, false],
    ['ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', undefined, false],
    ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f ', undefined, false],
    ['', undefined, false],
  ])('isStixId(%j, %j) is %j', (s, type, expected) => {
    expect(isStixId(s, type)).toBe(expected)
  })

  it('is false for non-strings', () => {
    expect(isStixId(42 as unknown as string)).toBe(false)
    expect(isStixId(null as unknown as string)).toBe(false)
  })
})

describe('deterministicScoId', () => {
  it('reproduces python-stix2 test_deterministic_ids.py', () => {
    // test_id_gen_recursive_dict_conversion_1
    const file = {
      type: 'file',
      name: 'example.exe',
      size: 68 * 1000,
      magic_number_hex: '50000000',
      hashes: { 'SHA-256': '841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649' },
      extensions: {
        'windows-pebinary-ext': {
          pe_type: 'exe',
          machine_hex: '014c',
          sections: [
            {
              name: '.data',
              size: 4096,
              entropy: 7.980693,
              hashes: { 'SHA-256': '6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0' },
            },
          ],
        },
      },
    }
    expect(deterministicScoId(file)).toBe('file--ced31cd4-bdcb-537d-aefa-92d291bfc11d')
    // test_id_gen_recursive_dict_conversion_2
    const key = {
      type: 'windows-registry-key',
      values: [
        { name: 'Foo', data: 'qwerty' },
        { name: 'Bar', data: '42' },
      ],
    }
    expect(deterministicScoId(key)).toBe('windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588')
  })

  it('reproduces the OASIS sighting-of-observed-data example file id (MD5 chosen over SHA-1; size does not contribute)', () => {
    const file = {
      type: 'file',
      id: 'file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d',
      spec_version: '2.1',
      hashes: { MD5: '1717b7fff97d37a1e1a0029d83492de1', 'SHA-1': 'c79a326f8411e9488bdc3779753e1e3489aaedea' },
      size: 83968,
      name: 'resume.pdf',
    }
    expect(deterministicScoId(file)).toBe(file.id)
    // Same hash dictionary in another order: MD5 is still the one chosen.
    expect(deterministicScoId({ ...file, hashes: { 'SHA-1': file.hashes['SHA-1'], MD5: file.hashes.MD5 } })).toBe(file.id)
  })

  // Expected values computed with Python: uuid.uuid5(ns, json.dumps(props, sort_keys=True, separators=(',', ':'), ensure_ascii=False)).
  it.each([
    [{ type: 'ipv4-addr', value: '198.51.100.3' }, 'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'],
    [{ type: 'domain-name', value: 'example.com', resolves_to_refs: ['ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4'] }, 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7'],
    [{ type: 'email-addr', value: 'john@example.com', display_name: 'John Doe' }, 'email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934'],
    [{ type: 'url', value: 'https://example.com/bücher?q=€' }, 'url--7b521242-a34b-53c0-942d-d577bcd60ef5'],
    [
      {
        type: 'network-traffic',
        src_ref: 'ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53',
        dst_ref: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd',
        dst_port: 443,
        protocols: ['ipv4', 'tcp'],
        src_byte_count: 147,
      },
      'network-traffic--b9f6689e-23a8-5a81-904e-1387d4c317f3',
    ],
    [
      { type: 'software', name: 'Word', cpe: 'cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*', vendor: 'Microsoft', version: '2002', languages: ['eng'] },
      'software--710b0b41-d4d0-5d6c-a400-fc9254554ffc',
    ],
    [{ type: 'artifact', payload_bin: 'VBORw0KGgoAAAANSUhEUgAAADI==', mime_type: 'image/png' }, 'artifact--30db9816-3444-5ab6-8e93-f9262c146d34'],
    [
      { type: 'email-message', is_multipart: false, from_ref: 'email-addr--9b7e29b3-fd8d-562e-b3f0-8fc8134f5dda', subject: 'Saying Hello' },
      'email-message--42451260-19e5-55fb-b146-ac82e85bd03f',
    ],
    [{ type: 'user-account', account_type: 'unix', user_id: '1001', account_login: 'jdoe', display_name: 'J Doe' }, 'user-account--f94d689e-707d-58c3-b803-c720bb6ed096'],
  ])('%j → %s', (obj, expected) => {
    expect(deterministicScoId(obj)).toBe(expected)
  })

  it('is null when it cannot be computed', () => {
    expect(deterministicScoId({ type: 'indicator', pattern: '[x:y = 1]' })).toBeNull() // not an SCO
    expect(deterministicScoId({ type: 'x-custom-sco', value: 'a' })).toBeNull() // unknown type
    expect(deterministicScoId({ type: 'process', pid: 1 })).toBeNull() // no contributing properties
    expect(deterministicScoId({ type: 'email-message', is_multipart: false })).toBeNull() // none present: UUIDv4
    expect(deterministicScoId({ type: 'file', hashes: {} })).toBeNull()
    expect(deterministicScoId({ value: 'x' })).toBeNull()
  })
})
