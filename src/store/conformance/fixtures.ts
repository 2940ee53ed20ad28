/**
 * Test data for the storage conformance suite: real STIX from ../shared/data (MITRE ATT&CK Enterprise
 * 18.1), generated versions of one object, and factories for the administrative records.
 * The canonical JSON and hash here are `JSON.stringify` + SHA-256: the store treats both as opaque.
 */
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type { ApiToken, Collection, ImportJob, NewObjectVersion, Organisation, StatusRecord, User } from '../port.js'

export type StixObject = Record<string, unknown> & { readonly id: string; readonly type: string }

const ATTACK_BUNDLE = fileURLToPath(new URL('../../../../shared/data/attack/enterprise-attack-18.1.json.gz', import.meta.url))

let attack: StixObject[] | undefined

function isStixObject(v: unknown): v is StixObject {
  return typeof v === 'object' && v !== null && typeof Reflect.get(v, 'id') === 'string' && typeof Reflect.get(v, 'type') === 'string'
}

/** Every object of the ATT&CK bundle (read once per test file). */
export function attackObjects(): readonly StixObject[] {
  if (!attack) {
    const bundle: unknown = JSON.parse(gunzipSync(readFileSync(ATTACK_BUNDLE)).toString('utf8'))
    const objects = typeof bundle === 'object' && bundle !== null ? Reflect.get(bundle, 'objects') : undefined
    if (!Array.isArray(objects)) throw new Error(`${ATTACK_BUNDLE}: not a STIX bundle`)
    attack = objects.filter(isStixObject)
  }
  return attack
}

/** A mix of real ATT&CK objects: `n` of them, several types, in bundle order. */
export function attackSample(n: number): StixObject[] {
  const byType = new Map<string, StixObject[]>()
  for (const o of attackObjects()) {
    const list = byType.get(o.type) ?? []
    if (list.length < n) list.push(o)
    byType.set(o.type, list)
  }
  // Round-robin over types so small samples still hold several.
  const lists = [...byType.values()]
  const out: StixObject[] = []
  for (let i = 0; out.length < n && lists.some((l) => i < l.length); i++)
    for (const l of lists) {
      const o = l[i]
      if (o && out.length < n) out.push(o)
    }
  return out
}

/** STIX timestamp (any precision) → stored form, fixed width with microseconds. */
export function toStored(stix: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(stix)
  if (!m) throw new Error(`not a STIX timestamp: ${stix}`)
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`
}

/** A stored timestamp `ms` milliseconds after 2026-01-01, with optional extra microseconds. */
export function at(ms: number, micros = 0): string {
  const iso = new Date(Date.UTC(2026, 0, 1) + ms).toISOString()
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`
}

export const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest())
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const str = (o: StixObject, k: string): string | null => {
  const v = o[k]
  return typeof v === 'string' ? v : null
}

/** What the ingest pipeline would hand the store for this object. */
export function toVersion(o: StixObject): NewObjectVersion {
  const json = JSON.stringify(o)
  const contentHash = sha256(json)
  const created = str(o, 'created')
  const modified = str(o, 'modified')
  const createdStored = created === null ? null : toStored(created)
  const modifiedStored = modified === null ? null : toStored(modified)
  return {
    stixId: o.id,
    type: o.type,
    specVersion: str(o, 'spec_version') ?? '2.0',
    created: createdStored,
    modified: modifiedStored,
    versionKey: modifiedStored ?? createdStored ?? `h:${hex(contentHash)}`,
    revoked: o.revoked === true,
    createdByRef: str(o, 'created_by_ref'),
    contentHash,
    json,
  }
}

/** `count` versions of one real object, each with a later `modified` (and a changed description). */
export function versionsOfOne(base: StixObject, count: number, id = base.id): StixObject[] {
  return Array.from({ length: count }, (_, i) => ({
    ...base,
    id,
    modified: at(Date.UTC(2026, 5, 1) - Date.UTC(2026, 0, 1) + i * 86_400_000, i),
    description: `${String(base.description ?? '')} (revision ${i + 1})`,
  }))
}

/** A small generated indicator with a fresh id. */
export function indicator(n: number, overrides: Partial<StixObject> = {}): StixObject {
  const ts = '2026-03-01T10:00:00.000Z'
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--${randomUUID()}`,
    created: ts,
    modified: ts,
    name: `Suspicious address ${n}`,
    indicator_types: ['malicious-activity'],
    pattern: `[ipv4-addr:value = '198.51.${(n >> 8) & 255}.${n & 255}']`,
    pattern_type: 'stix',
    valid_from: ts,
    ...overrides,
  }
}

/** A cyber observable without timestamps: versioned by content hash. */
export function observable(value: string): StixObject {
  return { type: 'ipv4-addr', spec_version: '2.1', id: `ipv4-addr--${randomUUID()}`, value }
}

const T0 = '2026-01-01T00:00:00.000000Z'

export const make = {
  org: (o: Partial<Organisation> = {}): Organisation => ({
    id: randomUUID(),
    name: `Election Authority ${randomUUID().slice(0, 8)}`,
    identityId: `identity--${randomUUID()}`,
    createdAt: T0,
    ...o,
  }),
  user: (orgId: string, u: Partial<User> = {}): User => ({
    id: randomUUID(),
    orgId,
    username: `analyst-${randomUUID().slice(0, 8)}`,
    role: 'analyst',
    passwordHash: null,
    createdAt: T0,
    disabledAt: null,
    ...u,
  }),
  token: (userId: string, t: Partial<ApiToken> = {}): ApiToken => ({
    id: randomUUID(),
    userId,
    name: 'ci',
    prefix: 'ent_ab12',
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...t,
  }),
  collection: (c: Partial<Collection> = {}): Collection => ({
    id: randomUUID(),
    title: 'Election infrastructure indicators',
    description: null,
    alias: null,
    mediaTypes: ['application/stix+json;version=2.1'],
    createdAt: T0,
    ...c,
  }),
  status: (collectionId: string, orgId: string, s: Partial<StatusRecord> = {}): StatusRecord => ({
    id: randomUUID(),
    collectionId,
    status: 'complete',
    requestTimestamp: T0,
    totalCount: 2,
    successCount: 1,
    failureCount: 1,
    pendingCount: 0,
    successes: [{ id: 'indicator--0b2b4b2a-6d8e-4c53-9a0e-6c0d3f3c9a11', version: '2026-01-01T00:00:00.000Z' }],
    failures: [{ id: 'indicator--1c3c5c3b-7e9f-4d64-8b1f-7d1e4a4d0b22', version: '2026-01-01T00:00:00.000Z', message: 'conflict' }],
    pendings: [],
    orgId,
    ...s,
  }),
  job: (collectionId: string, j: Partial<ImportJob> = {}): ImportJob => ({
    id: randomUUID(),
    collectionId,
    source: 'enterprise-attack-18.1.json.gz',
    fingerprint: hex(sha256(randomUUID())),
    state: 'running',
    processed: 0,
    added: 0,
    duplicates: 0,
    failed: 0,
    failures: [],
    error: null,
    createdBy: 'system:cli',
    createdAt: T0,
    updatedAt: T0,
    ...j,
  }),
}
