import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../test/db.js'
import { createTestNode, fakeClock, type TestNode } from '../../../test/node.js'
import type { Viewer } from '../../core/policy/viewer.js'

for (const dialect of DIALECTS) {
  describe(`admin service [${dialect}]`, () => {
    let node: TestNode
    const clock = fakeClock()
    const system = (): Viewer => ({ kind: 'system', name: 'test', orgId: node.hostOrgId })
    beforeEach(async () => {
      node = await createTestNode(dialect, { clock })
    })
    afterEach(async () => {
      await node.close()
    })

    it('refuses to initialise a node twice', async () => {
      const again = await node.services.admin.initNode({ orgName: 'Other', adminUsername: 'root', nodeName: 'x' })
      expect(again).toEqual({ ok: false, error: { code: 'conflict', detail: 'this node is already initialised' } })
      expect((await node.store.orgs.list()).map((o) => o.name)).toEqual(['Test Election Authority'])
    })

    it('authenticates live tokens only, and records their use at most once a minute', async () => {
      const admin = await node.store.users.getByUsername('admin')
      const t = await node.services.admin.createToken(system(), { userId: admin!.id, name: 'sync' })
      if (!t.ok) throw new Error('token')
      expect(await node.services.admin.authenticateToken(t.value.secret)).toMatchObject({ kind: 'user', username: 'admin', role: 'admin' })
      expect(await node.services.admin.authenticateToken(`${t.value.secret}x`)).toBeNull()
      const used = async () => (await node.store.tokens.list(admin!.id)).find((x) => x.id === t.value.token.id)?.lastUsedAt
      await new Promise((r) => setTimeout(r, 50))
      const first = await used()
      expect(first).not.toBeNull()
      clock.advance(30_000)
      await node.services.admin.authenticateToken(t.value.secret)
      await new Promise((r) => setTimeout(r, 50))
      expect(await used()).toBe(first)
      clock.advance(31_000)
      await node.services.admin.authenticateToken(t.value.secret)
      await new Promise((r) => setTimeout(r, 50))
      expect((await used())! > first!).toBe(true)
      const revoked = await node.services.admin.revokeToken(system(), t.value.token.id)
      expect(revoked.ok).toBe(true)
      expect(await node.services.admin.authenticateToken(t.value.secret)).toBeNull()
    })

    it('disables a user: their tokens stop working at once, and work again once enabled', async () => {
      const user = await node.services.admin.createUser(system(), { orgId: node.hostOrgId, username: 'leaver', role: 'analyst' })
      if (!user.ok) throw new Error('user')
      const t = await node.services.admin.createToken(system(), { userId: user.value.id, name: 'laptop' })
      if (!t.ok) throw new Error('token')
      expect(await node.services.admin.authenticateToken(t.value.secret)).not.toBeNull()
      const off = await node.services.admin.setUserDisabled(system(), { userId: user.value.id, disabled: true })
      expect(off.ok && off.value.disabledAt).toBeTruthy()
      expect(await node.services.admin.authenticateToken(t.value.secret)).toBeNull()
      await node.services.admin.setUserDisabled(system(), { userId: user.value.id, disabled: false })
      expect(await node.services.admin.authenticateToken(t.value.secret)).not.toBeNull()
      const admin = await node.store.users.getByUsername('admin')
      const self: Viewer = { kind: 'user', userId: admin!.id, username: 'admin', orgId: node.hostOrgId, role: 'admin' }
      expect(await node.services.admin.setUserDisabled(self, { userId: admin!.id, disabled: true })).toMatchObject({ ok: false, error: { code: 'conflict' } })
      expect(await node.services.admin.setUserDisabled(system(), { userId: 'no-such-user', disabled: true })).toMatchObject({ ok: false, error: { code: 'not_found' } })
    })

    it('expires tokens at their expiry time', async () => {
      const admin = await node.store.users.getByUsername('admin')
      const expiresAt = new Date(clock.nowMs() + 3600_000).toISOString()
      const t = await node.services.admin.createToken(system(), { userId: admin!.id, name: 'short', expiresAt })
      if (!t.ok) throw new Error('token')
      expect(await node.services.admin.authenticateToken(t.value.secret)).not.toBeNull()
      clock.advance(3600_001)
      expect(await node.services.admin.authenticateToken(t.value.secret)).toBeNull()
      const past = await node.services.admin.createToken(system(), { userId: admin!.id, name: 'past', expiresAt: '2020-01-01T00:00:00Z' })
      expect(past).toMatchObject({ ok: false, error: { code: 'validation_failed', issues: [{ pointer: '/expiresAt' }] } })
    })

    it('lets only administrators administer, and users manage their own tokens', async () => {
      const org = await node.services.admin.createOrganisation(system(), { name: 'CERT-EU' })
      if (!org.ok) throw new Error('org')
      const user = await node.services.admin.createUser(system(), { orgId: org.value.id, username: 'analyst1', role: 'analyst' })
      if (!user.ok) throw new Error('user')
      const analyst: Viewer = { kind: 'user', userId: user.value.id, username: 'analyst1', orgId: org.value.id, role: 'analyst' }
      expect(await node.services.admin.createOrganisation(analyst, { name: 'Rogue' })).toEqual({ ok: false, error: { code: 'forbidden', reason: 'role' } })
      expect(await node.services.admin.createCollection(analyst, { title: 'Mine' })).toEqual({ ok: false, error: { code: 'forbidden', reason: 'role' } })
      const own = await node.services.admin.createToken(analyst, { name: 'mine' })
      expect(own.ok).toBe(true)
      const admin = await node.store.users.getByUsername('admin')
      expect(await node.services.admin.createToken(analyst, { userId: admin!.id, name: 'steal' })).toEqual({ ok: false, error: { code: 'forbidden', reason: 'role' } })
      const adminTokens = await node.services.admin.listTokens(system(), admin!.id)
      const adminToken = adminTokens.ok ? adminTokens.value[0] : undefined
      expect(await node.services.admin.revokeToken(analyst, adminToken!.id)).toMatchObject({ ok: false, error: { code: 'not_found' } })
    })

    it('rejects bad names, roles and duplicates with pointers, writing nothing', async () => {
      const bad = await node.services.admin.createUser(system(), { orgId: node.hostOrgId, username: 'A B', role: 'root' as never, password: 'short' })
      expect(bad.ok === false && bad.error.code === 'validation_failed' && bad.error.issues.map((i) => i.pointer)).toEqual(['/username', '/role', '/password'])
      const dup = await node.services.admin.createUser(system(), { orgId: node.hostOrgId, username: 'admin', role: 'analyst' })
      expect(dup.ok === false && dup.error.code).toBe('conflict')
      const badAlias = await node.services.admin.createCollection(system(), { title: 'X', alias: 'Has Spaces' })
      expect(badAlias.ok === false && badAlias.error.code).toBe('validation_failed')
      expect((await node.store.users.list()).map((u) => u.username)).toEqual(['admin'])
      expect((await node.store.collections.list()).length).toBe(1)
    })
  })
}
