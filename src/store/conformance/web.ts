/** Web sign-in sessions (SessionStore) and the explorer's search (SearchStore). */
import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { SearchHit, Store, WebSession } from '../port.js'
import { at, attackSample, make, sha256, type StixObject } from './fixtures.js'
import { newCollection, put, unwrap, type GetStore } from './helpers.js'

const T = (h: number) => `2026-03-01T${String(h).padStart(2, '0')}:00:00.000000Z`

function session(userId: string, over: Partial<WebSession> = {}): WebSession {
  return { userId, createdAt: T(0), lastSeenAt: T(0), idleExpiresAt: T(2), expiresAt: T(12), revokedAt: null, ...over }
}

async function newUser(store: Store) {
  const org = unwrap(await store.orgs.create(make.org()))
  const user = unwrap(await store.users.create(make.user(org.id)))
  return { org, user }
}

/** Every hit of a search, following `next` (checks that the pages never overlap). */
async function searchAll(store: Store, q: Omit<Parameters<Store['search']['objects']>[0], 'before'>): Promise<{ hits: SearchHit[]; calls: number }> {
  const hits: SearchHit[] = []
  let before: { dateAdded: string; seq: number } | undefined
  let calls = 0
  for (;;) {
    calls++
    const p = await store.search.objects({ ...q, ...(before ? { before } : {}) })
    hits.push(...p.items)
    if (!p.next) return { hits, calls }
    before = p.next
  }
}

const idOf = (h: SearchHit) => (JSON.parse(h.json) as { id: string }).id

export function webTests(s: GetStore): void {
  describe('web sessions', () => {
    it('finds a live session by its hash with its user and organisation, and not by another hash', async () => {
      const store = s()
      const { org, user } = await newUser(store)
      const h = sha256(randomUUID())
      unwrap(await store.sessions.create(h, session(user.id)))
      const p = await store.sessions.findActive(h, T(1))
      expect(p?.user.id).toBe(user.id)
      expect(p?.org.id).toBe(org.id)
      expect(p?.session).toEqual(session(user.id))
      expect(await store.sessions.findActive(sha256(randomUUID()), T(1))).toBeNull()
      // The same hash twice is a conflict; an unknown user is not_found.
      expect((await store.sessions.create(h, session(user.id))).ok).toBe(false)
      const missing = await store.sessions.create(sha256('x'), session(randomUUID()))
      expect(!missing.ok && missing.error.code).toBe('not_found')
    })

    it('ends a session at its idle expiry unless touched, and at its absolute expiry whatever the use', async () => {
      const store = s()
      const { user } = await newUser(store)
      const h = new Uint8Array(randomBytes(32))
      unwrap(await store.sessions.create(h, session(user.id)))
      expect(await store.sessions.findActive(h, T(2))).toBeNull() // idle expiry reached
      await store.sessions.touch(h, T(1), T(3))
      expect((await store.sessions.findActive(h, T(2)))?.session.idleExpiresAt).toBe(T(3))
      // Touching never pushes the idle expiry past the absolute one.
      await store.sessions.touch(h, T(11), T(13))
      const p = await store.sessions.findActive(h, T(11))
      expect(p?.session.idleExpiresAt).toBe(T(12))
      expect(p?.session.lastSeenAt).toBe(T(11))
      expect(await store.sessions.findActive(h, T(12))).toBeNull()
    })

    it('revokes one session, every session of a user, and hides sessions of disabled users', async () => {
      const store = s()
      const { user } = await newUser(store)
      const [a, b, c] = [sha256(randomUUID()), sha256(randomUUID()), sha256(randomUUID())]
      for (const h of [a, b, c]) unwrap(await store.sessions.create(h, session(user.id)))
      expect(await store.sessions.revoke(a, T(1))).toBe(true)
      expect(await store.sessions.revoke(a, T(1))).toBe(false)
      expect(await store.sessions.findActive(a, T(1))).toBeNull()
      expect(await store.sessions.findActive(b, T(1))).not.toBeNull()
      unwrap(await store.users.setDisabled(user.id, T(1)))
      expect(await store.sessions.findActive(b, T(1))).toBeNull()
      unwrap(await store.users.setDisabled(user.id, null))
      expect(await store.sessions.findActive(b, T(1))).not.toBeNull()
      expect(await store.sessions.revokeUser(user.id, T(1))).toBe(2)
      expect(await store.sessions.findActive(c, T(1))).toBeNull()
      // Purge removes what ended before the cut-off, and only that.
      const live = sha256(randomUUID())
      unwrap(await store.sessions.create(live, session(user.id, { idleExpiresAt: T(20), expiresAt: T(22) })))
      expect(await store.sessions.purge(T(13))).toBeGreaterThanOrEqual(3)
      expect(await store.sessions.findActive(live, T(13))).not.toBeNull()
    })

    it('sets and clears a password hash', async () => {
      const store = s()
      const { user } = await newUser(store)
      expect(unwrap(await store.sessions.setPasswordHash(user.id, '$scrypt$ln=15,r=8,p=1$c2FsdA$a2V5')).passwordHash).toBe('$scrypt$ln=15,r=8,p=1$c2FsdA$a2V5')
      expect((await store.users.get(user.id))?.passwordHash).toBe('$scrypt$ln=15,r=8,p=1$c2FsdA$a2V5')
      expect(unwrap(await store.sessions.setPasswordHash(user.id, null)).passwordHash).toBeNull()
      const r = await store.sessions.setPasswordHash(randomUUID(), 'x')
      expect(!r.ok && r.error.code).toBe('not_found')
    })
  })

  describe('search', () => {
    async function seeded(store: Store) {
      const collection = await newCollection(store)
      const sample = attackSample(60)
      // Three batches, oldest first; the last batch also brings a newer version of the first object.
      const first = sample[0] as StixObject
      const newer: StixObject = { ...first, modified: '2030-01-01T00:00:00.000Z', description: 'A newer version (Zebra-marker)' }
      await put(store, collection, sample.slice(0, 20), at(1000))
      await put(store, collection, sample.slice(20, 40), at(2000))
      await put(store, collection, [...sample.slice(40), newer], at(3000))
      return { collection, sample, first, newer }
    }

    it('pages newest first over the latest versions, in any page and scan size, without overlap', async () => {
      const store = s()
      const { collection, sample, first } = await seeded(store)
      const all = await searchAll(store, { collectionId: collection, limit: 1000, scanLimit: 10_000 })
      expect(all.calls).toBe(1)
      expect(all.hits).toHaveLength(sample.length)
      // The newer version stands for the object (its old version is not listed), at its own position.
      expect(all.hits.filter((h) => idOf(h) === first.id).map((h) => (JSON.parse(h.json) as { modified: string }).modified)).toEqual(['2030-01-01T00:00:00.000Z'])
      const order = all.hits.map((h) => [h.dateAdded, h.seq] as const)
      expect(order).toEqual([...order].sort((a, b) => (a[0] === b[0] ? b[1] - a[1] : a[0] < b[0] ? 1 : -1)))
      for (const [limit, scanLimit] of [[7, 10_000], [7, 5], [1, 3], [50, 13]] as const) {
        const paged = await searchAll(store, { collectionId: collection, limit, scanLimit })
        expect(paged.hits.map((h) => h.seq)).toEqual(all.hits.map((h) => h.seq))
        expect(paged.calls).toBeGreaterThan(1)
      }
    })

    it('filters by type, date range, source, marking and text, also across small scan windows', async () => {
      const store = s()
      const { collection, sample } = await seeded(store)
      const types = [...new Set(sample.map((o) => o.type))]
      const type = types[1] as string
      const byType = await searchAll(store, { collectionId: collection, types: [type], limit: 1000, scanLimit: 4 })
      expect(byType.hits.map(idOf).sort()).toEqual(sample.filter((o) => o.type === type).map((o) => o.id).sort())

      const middle = await searchAll(store, { collectionId: collection, addedFrom: at(2000), addedBefore: at(3000), limit: 1000, scanLimit: 1000 })
      expect(middle.hits.map(idOf).sort()).toEqual(sample.slice(20, 40).map((o) => o.id).sort())

      const sourced = sample.filter((o) => typeof o.created_by_ref === 'string')
      const source = sourced[0]?.created_by_ref as string
      const bySource = await searchAll(store, { collectionId: collection, source, limit: 1000, scanLimit: 7 })
      expect(bySource.hits.length).toBe(sample.filter((o) => o.created_by_ref === source).length)
      expect(bySource.hits.length).toBeGreaterThan(0)
      expect((await searchAll(store, { collectionId: collection, source: `identity--${randomUUID()}`, limit: 10, scanLimit: 9 })).hits).toEqual([])

      const marked = sample.filter((o) => Array.isArray(o.object_marking_refs))
      const marking = (marked[0]?.object_marking_refs as string[])[0] as string
      const byMarking = await searchAll(store, { collectionId: collection, marking, limit: 1000, scanLimit: 11 })
      expect(byMarking.hits.length).toBe(sample.filter((o) => Array.isArray(o.object_marking_refs) && (o.object_marking_refs as string[]).includes(marking)).length)

      // Case-insensitive, and LIKE wildcards in the text are literal.
      const byText = await searchAll(store, { collectionId: collection, text: 'zebra-MARKER', limit: 1000, scanLimit: 1000 })
      expect(byText.hits.map(idOf)).toEqual([sample[0]?.id])
      expect((await searchAll(store, { collectionId: collection, text: '%_%', limit: 1000, scanLimit: 1000 })).hits).toEqual([])
    })

    it('examines at most scanLimit memberships per call: a page can be empty with a next position', async () => {
      const store = s()
      const { collection } = await seeded(store)
      const p = await store.search.objects({ collectionId: collection, text: 'zebra-marker', limit: 10, scanLimit: 5 })
      // The newest five memberships include the newer version (the last batch) → found at once.
      expect(p.items).toHaveLength(1)
      const none = await store.search.objects({ collectionId: collection, text: 'no such text anywhere', limit: 10, scanLimit: 5 })
      expect(none.items).toEqual([])
      expect(none.next).not.toBeNull()
      expect(await store.search.objects({ collectionId: await newCollection(store), limit: 10, scanLimit: 5 })).toEqual({ items: [], next: null })
    })
  })
}
