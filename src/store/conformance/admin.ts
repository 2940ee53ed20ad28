/** Organisations, users, tokens, collections and permissions. */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { at, indicator, make, sha256, toVersion } from './fixtures.js'
import { unwrap, type GetStore } from './helpers.js'

export function adminTests(s: GetStore): void {
  describe('organisations', () => {
    it('creates, reads, lists; a taken id or name is a conflict Result', async () => {
      const store = s()
      const org = make.org()
      expect(unwrap(await store.orgs.create(org))).toEqual(org)
      expect(await store.orgs.get(org.id)).toEqual(org)
      expect(await store.orgs.getByName(org.name)).toEqual(org)
      expect(await store.orgs.get(randomUUID())).toBeNull()
      expect(await store.orgs.list()).toContainEqual(org)
      const names = (await store.orgs.list()).map((o) => o.name)
      expect(names).toEqual([...names].sort())
      const sameName = await store.orgs.create(make.org({ name: org.name }))
      expect(sameName).toMatchObject({ ok: false, error: { code: 'conflict' } })
      const sameId = await store.orgs.create(make.org({ id: org.id }))
      expect(sameId).toMatchObject({ ok: false, error: { code: 'conflict' } })
    })
  })

  describe('organisation defaults and clients', () => {
    it('keeps an organisation default TLP (none unless set), sets and clears it', async () => {
      const store = s()
      const plain = unwrap(await store.orgs.create(make.org()))
      // No default: the property is absent when read back.
      expect(await store.orgs.get(plain.id)).toEqual(plain)
      expect((await store.orgs.get(plain.id))?.defaultTlp).toBeUndefined()
      const strict = unwrap(await store.orgs.create(make.org({ defaultTlp: 3 })))
      expect(await store.orgs.get(strict.id)).toEqual({ ...strict, defaultTlp: 3 })
      expect((await store.orgs.list()).find((o) => o.id === strict.id)?.defaultTlp).toBe(3)
      expect(await store.orgs.setDefaultTlp(plain.id, 4)).toEqual({ ...plain, defaultTlp: 4 })
      expect((await store.orgs.getByName(plain.name))?.defaultTlp).toBe(4)
      expect(await store.orgs.setDefaultTlp(plain.id, null)).toEqual(plain)
      expect(await store.orgs.setDefaultTlp(randomUUID(), 2)).toBeNull()
    })

    it('records client relations once each, lists them both ways, and ends them', async () => {
      const store = s()
      const [national, regional, local, other] = [
        unwrap(await store.orgs.create(make.org())),
        unwrap(await store.orgs.create(make.org())),
        unwrap(await store.orgs.create(make.org())),
        unwrap(await store.orgs.create(make.org())),
      ] as const
      const at = '2026-06-01T00:00:00.000000Z'
      expect(unwrap(await store.orgs.addClient({ clientOrgId: regional.id, parentOrgId: national.id, createdAt: at }))).toBe(true)
      expect(unwrap(await store.orgs.addClient({ clientOrgId: regional.id, parentOrgId: national.id, createdAt: at }))).toBe(false)
      expect(unwrap(await store.orgs.addClient({ clientOrgId: regional.id, parentOrgId: other.id, createdAt: at }))).toBe(true)
      expect(unwrap(await store.orgs.addClient({ clientOrgId: local.id, parentOrgId: regional.id, createdAt: at }))).toBe(true)
      expect(await store.orgs.addClient({ clientOrgId: randomUUID(), parentOrgId: national.id, createdAt: at })).toMatchObject({ ok: false, error: { code: 'not_found' } })
      expect(await store.orgs.addClient({ clientOrgId: national.id, parentOrgId: randomUUID(), createdAt: at })).toMatchObject({ ok: false, error: { code: 'not_found' } })
      expect(await store.orgs.addClient({ clientOrgId: national.id, parentOrgId: national.id, createdAt: at })).toMatchObject({ ok: false, error: { code: 'conflict' } })

      // Parents, by id; not transitive (local is a client of regional only).
      expect((await store.orgs.parentsOf(regional.id)).map((o) => o.id)).toEqual([national.id, other.id].sort())
      expect((await store.orgs.parentsOf(local.id)).map((o) => o.identityId)).toEqual([regional.identityId])
      expect(await store.orgs.parentsOf(national.id)).toEqual([])
      // Relations of one organisation, as client or as parent.
      const ofRegional = await store.orgs.clients(regional.id)
      expect(ofRegional.map((r) => [r.clientOrgId, r.parentOrgId])).toEqual(
        [[regional.id, national.id], [regional.id, other.id], [local.id, regional.id]].sort((a, b) => (a[0]! + a[1]!).localeCompare(b[0]! + b[1]!)),
      )
      expect(ofRegional[0]?.createdAt).toBe(at)
      expect((await store.orgs.clients()).length).toBeGreaterThanOrEqual(3)

      expect(await store.orgs.removeClient(regional.id, other.id)).toBe(true)
      expect(await store.orgs.removeClient(regional.id, other.id)).toBe(false)
      expect((await store.orgs.parentsOf(regional.id)).map((o) => o.id)).toEqual([national.id])
    })

    it('finds the unmarked-default candidates an organisation wrote here, below a TLP, in every collection', async () => {
      const store = s()
      const a = make.org()
      const c1 = unwrap(await store.collections.create(make.collection()))
      const c2 = unwrap(await store.collections.create(make.collection()))
      const local = (tlp: 0 | 1 | 2 | 3 | 4, producer = a.identityId) => ({ tlp, producer, recipients: null, expiresAt: null, path: null })
      const mine = [indicator(1), indicator(2), indicator(3)]
      const others = indicator(4)
      const received = indicator(5)
      await store.objects.putVersions(c1.id, [{ ...toVersion(mine[0]!), audience: local(2) }, { ...toVersion(mine[1]!), audience: local(4) }, { ...toVersion(others), audience: local(1, `identity--${randomUUID()}`) }], at(0))
      await store.objects.putVersions(c2.id, [{ ...toVersion(mine[2]!), audience: local(1) }, { ...toVersion(mine[0]!), audience: local(3) }], at(1))
      await store.objects.putVersions(c2.id, [{ ...toVersion(received), audience: { ...local(1), path: [{ from: 'n1', to: 'n2', agreementId: 'x-entente-agreement--1' }] } }], at(2))
      const below3 = await store.collections.producedBelow(a.identityId, 3, 0, 100)
      expect(below3.map((m) => [m.collectionId, JSON.parse(m.json).id])).toEqual([[c1.id, mine[0]!.id], [c2.id, mine[2]!.id]])
      // Keyset: after the first, one is left; a page of one gives one.
      expect((await store.collections.producedBelow(a.identityId, 3, below3[0]!.seq, 100)).map((m) => m.objectSeq)).toEqual([below3[1]!.objectSeq])
      expect(await store.collections.producedBelow(a.identityId, 3, 0, 1)).toHaveLength(1)
      expect(await store.collections.producedBelow(a.identityId, 1, 0, 100)).toEqual([])
    })
  })

  describe('users', () => {
    it('creates, reads, lists by organisation, changes roles; conflicts and unknown ids are Results', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const other = unwrap(await store.orgs.create(make.org()))
      const u = make.user(org.id, { role: 'admin', passwordHash: '$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA' })
      expect(unwrap(await store.users.create(u))).toEqual(u)
      const u2 = unwrap(await store.users.create(make.user(org.id, { role: 'read_only' })))
      const elsewhere = unwrap(await store.users.create(make.user(other.id)))
      expect(await store.users.get(u.id)).toEqual(u)
      expect(await store.users.getByUsername(u.username)).toEqual(u)
      expect(await store.users.getByUsername('nobody')).toBeNull()
      const inOrg = await store.users.list(org.id)
      expect(inOrg.map((x) => x.id).sort()).toEqual([u.id, u2.id].sort())
      expect((await store.users.list()).map((x) => x.id)).toEqual(expect.arrayContaining([u.id, u2.id, elsewhere.id]))

      expect(await store.users.create(make.user(org.id, { username: u.username }))).toMatchObject({
        ok: false,
        error: { code: 'conflict' },
      })
      expect(await store.users.create(make.user(randomUUID()))).toMatchObject({ ok: false, error: { code: 'not_found' } })

      expect(unwrap(await store.users.setRole(u2.id, 'analyst'))).toEqual({ ...u2, role: 'analyst' })
      expect((await store.users.get(u2.id))?.role).toBe('analyst')
      expect(await store.users.setRole(randomUUID(), 'admin')).toMatchObject({ ok: false, error: { code: 'not_found' } })

      const at = '2026-06-01T00:00:00.000000Z'
      expect(unwrap(await store.users.setDisabled(u2.id, at))).toEqual({ ...u2, role: 'analyst', disabledAt: at })
      expect((await store.users.get(u2.id))?.disabledAt).toBe(at)
      expect(unwrap(await store.users.setDisabled(u2.id, null)).disabledAt).toBeNull()
      expect(await store.users.setDisabled(randomUUID(), at)).toMatchObject({ ok: false, error: { code: 'not_found' } })
    })
  })

  describe('tokens', () => {
    it('finds only live tokens of enabled users, with user and organisation', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const user = unwrap(await store.users.create(make.user(org.id)))
      const disabled = unwrap(await store.users.create(make.user(org.id, { disabledAt: '2026-02-01T00:00:00.000000Z' })))
      const now = '2026-06-01T12:00:00.000000Z'
      const secrets = Array.from({ length: 5 }, () => sha256(randomUUID()))
      const [live, expiring, expired, revoked, ofDisabled] = [
        make.token(user.id),
        make.token(user.id, { expiresAt: '2026-06-01T12:00:00.000001Z' }),
        make.token(user.id, { expiresAt: now }),
        make.token(user.id),
        make.token(disabled.id),
      ]
      for (const [i, t] of [live, expiring, expired, revoked, ofDisabled].entries()) unwrap(await store.tokens.create(t!, secrets[i]!))
      unwrap(await store.tokens.revoke(revoked!.id, '2026-05-01T00:00:00.000000Z'))

      expect(await store.tokens.findActiveByHash(secrets[0]!, now)).toEqual({ token: live, user, org })
      expect((await store.tokens.findActiveByHash(secrets[1]!, now))?.token.id).toBe(expiring!.id)
      expect(await store.tokens.findActiveByHash(secrets[2]!, now)).toBeNull()
      expect(await store.tokens.findActiveByHash(secrets[3]!, now)).toBeNull()
      expect(await store.tokens.findActiveByHash(secrets[4]!, now)).toBeNull()
      expect(await store.tokens.findActiveByHash(sha256('never issued'), now)).toBeNull()
      // The hash is compared as bytes: a copy in another buffer finds the same token.
      expect((await store.tokens.findActiveByHash(Uint8Array.from(secrets[0]!), now))?.token.id).toBe(live!.id)
    })

    it('lists, revokes (keeping the first time), touches; a reused secret or id is a conflict', async () => {
      const store = s()
      const org = unwrap(await store.orgs.create(make.org()))
      const user = unwrap(await store.users.create(make.user(org.id)))
      const secret = sha256(randomUUID())
      const t = unwrap(await store.tokens.create(make.token(user.id, { createdAt: '2026-01-01T00:00:00.000001Z' }), secret))
      const t2 = unwrap(await store.tokens.create(make.token(user.id, { createdAt: '2026-01-01T00:00:00.000002Z' }), sha256(randomUUID())))
      expect(await store.tokens.list(user.id)).toEqual([t, t2])
      expect((await store.tokens.list()).map((x) => x.id)).toEqual(expect.arrayContaining([t.id, t2.id]))
      expect(await store.tokens.create(make.token(user.id), secret)).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect(await store.tokens.create(make.token(user.id, { id: t.id }), sha256(randomUUID()))).toMatchObject({
        ok: false,
        error: { code: 'conflict' },
      })
      expect(await store.tokens.create(make.token(randomUUID()), sha256(randomUUID()))).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      })

      await store.tokens.touch(t.id, '2026-03-01T00:00:00.000000Z')
      await store.tokens.touch(t.id, '2026-02-01T00:00:00.000000Z') // older: ignored
      expect((await store.tokens.list(user.id))[0]?.lastUsedAt).toBe('2026-03-01T00:00:00.000000Z')

      const r1 = unwrap(await store.tokens.revoke(t.id, '2026-04-01T00:00:00.000000Z'))
      const r2 = unwrap(await store.tokens.revoke(t.id, '2026-05-01T00:00:00.000000Z'))
      expect(r1.revokedAt).toBe('2026-04-01T00:00:00.000000Z')
      expect(r2).toEqual(r1)
      expect(await store.tokens.revoke(randomUUID(), '2026-05-01T00:00:00.000000Z')).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      })
    })
  })

  describe('collections and permissions', () => {
    it('creates, finds by id or alias, lists; a taken alias is a conflict Result', async () => {
      const store = s()
      const alias = `elections-${randomUUID().slice(0, 8)}`
      const c = make.collection({ alias, description: 'Shared with the regional partners', mediaTypes: ['application/stix+json;version=2.1', 'application/stix+json;version=2.0'] })
      expect(unwrap(await store.collections.create(c))).toEqual(c)
      const noAlias1 = unwrap(await store.collections.create(make.collection()))
      const noAlias2 = unwrap(await store.collections.create(make.collection()))
      // Read back with the default TLP a collection gets when none is given (AMBER, migration 0007).
      expect(await store.collections.get(c.id)).toEqual({ ...c, defaultTlp: 2 })
      expect(await store.collections.find(c.id)).toEqual({ ...c, defaultTlp: 2 })
      expect(await store.collections.find(alias)).toEqual({ ...c, defaultTlp: 2 })
      const red = unwrap(await store.collections.create(make.collection({ defaultTlp: 4 })))
      expect((await store.collections.get(red.id))?.defaultTlp).toBe(4)
      expect(await store.collections.find('no-such-alias')).toBeNull()
      expect(await store.collections.get(randomUUID())).toBeNull()
      expect((await store.collections.list()).map((x) => x.id)).toEqual(expect.arrayContaining([c.id, noAlias1.id, noAlias2.id]))
      expect(await store.collections.create(make.collection({ alias }))).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect(await store.collections.create(make.collection({ id: c.id }))).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect(await store.collections.countObjects(c.id)).toBe(0)
      // An id wins over another collection's alias that looks the same.
      const tricky = unwrap(await store.collections.create(make.collection({ alias: noAlias1.id })))
      expect((await store.collections.find(noAlias1.id))?.id).toBe(noAlias1.id)
      expect((await store.collections.find(tricky.id))?.id).toBe(tricky.id)
    })

    it('sets, replaces and reads permissions', async () => {
      const store = s()
      const c = unwrap(await store.collections.create(make.collection()))
      const a = unwrap(await store.orgs.create(make.org()))
      const b = unwrap(await store.orgs.create(make.org()))
      const pa = { collectionId: c.id, orgId: a.id, canRead: true, canWrite: false }
      expect(unwrap(await store.collections.setPermission(pa))).toEqual(pa)
      expect(await store.collections.permissionOf(c.id, a.id)).toEqual(pa)
      expect(await store.collections.permissionOf(c.id, b.id)).toBeNull()
      const pa2 = { ...pa, canWrite: true }
      unwrap(await store.collections.setPermission(pa2))
      const pb = { collectionId: c.id, orgId: b.id, canRead: false, canWrite: true }
      unwrap(await store.collections.setPermission(pb))
      expect(await store.collections.permissionOf(c.id, a.id)).toEqual(pa2)
      const all = await store.collections.permissions(c.id)
      expect([...all].sort((x, y) => x.orgId.localeCompare(y.orgId))).toEqual([pa2, pb].sort((x, y) => x.orgId.localeCompare(y.orgId)))
      expect(await store.collections.setPermission({ ...pa, collectionId: randomUUID() })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      })
      expect(await store.collections.setPermission({ ...pa, orgId: randomUUID() })).toMatchObject({
        ok: false,
        error: { code: 'not_found' },
      })
    })
  })
}
