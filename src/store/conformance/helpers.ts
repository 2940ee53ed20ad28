import { expect } from 'vitest'
import type { Result } from '../../core/shared/result.js'
import type { CollectionEntry, PutOutcome, Store } from '../port.js'
import { make, toVersion, type StixObject } from './fixtures.js'

/** How each part of the suite reaches the store opened for it. */
export type GetStore = () => Store

/** A fresh collection, so each test sees only its own memberships. */
export async function newCollection(store: Store): Promise<string> {
  const c = make.collection()
  expect((await store.collections.create(c)).ok).toBe(true)
  return c.id
}

export const put = (store: Store, collectionId: string, objs: readonly StixObject[], dateAdded: string) =>
  store.objects.putVersions(collectionId, objs.map(toVersion), dateAdded)

export const kinds = (outcomes: readonly PutOutcome[]) => outcomes.map((o) => o.kind)

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`)
  return r.value
}

/** Every member of a collection matching the filters, paging with a small limit. */
export async function listAll(
  store: Store,
  q: Omit<Parameters<Store['objects']['query']>[0], 'limit' | 'after'>,
  limit = 1000,
): Promise<CollectionEntry[]> {
  const out: CollectionEntry[] = []
  let after: { dateAdded: string; seq: number } | undefined
  for (;;) {
    const page = await store.objects.query({ ...q, limit, ...(after ? { after } : {}) })
    out.push(...page.items)
    const last = page.items[page.items.length - 1]
    if (!page.more || !last) return out
    after = { dateAdded: last.dateAdded, seq: last.seq }
  }
}

export const ids = (entries: readonly { stixId: string }[]) => entries.map((e) => e.stixId)
