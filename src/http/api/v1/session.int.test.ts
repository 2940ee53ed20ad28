/**
 * Web sign-in over HTTP (both engines): passwords, the session cookie and its attributes, CSRF on
 * unsafe methods, sign-out, rate limiting, disabled users, expiry; the live event stream's read
 * filtering; the explorer's search and object detail.
 */
import { readFileSync } from 'node:fs'
import { request as httpRequest, type ClientRequest } from 'node:http'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS } from '../../../../test/db.js'
import { SHARED_DATA } from '../../../../test/data.js'
import { api, createHttpTestNode, json, type HttpTestNode } from '../../../../test/http.js'
import { fakeClock } from '../../../../test/node.js'

const APT1 = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-cti-documentation', 'apt1.json'), 'utf8')) as { type: 'bundle'; id: string; objects: { id: string; type: string; name?: string; source_ref?: string; target_ref?: string }[] }
const PASSWORD = 'correct horse battery staple'

function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(json(res)).toMatchObject({ status, code })
}

interface Session {
  cookie: string
  csrf: string
  setCookie: string
}

async function signIn(n: HttpTestNode, username: string, password = PASSWORD, address = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return n.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress: address, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username, password }) })
}

async function session(n: HttpTestNode, username: string): Promise<Session> {
  const r = await signIn(n, username)
  expect(r.statusCode, r.body).toBe(200)
  const setCookie = String(r.headers['set-cookie'])
  return { cookie: setCookie.split(';')[0] as string, csrf: json<{ csrfToken: string }>(r).csrfToken, setCookie }
}

const withCookie = (s: Session, csrf = true) => ({ cookie: s.cookie, ...(csrf ? { 'x-csrf-token': s.csrf } : {}) })

for (const dialect of DIALECTS) {
  describe(`web sign-in, events and search [${dialect}]`, () => {
    let n: HttpTestNode
    const clock = fakeClock(Date.now())
    let partnerOrg: string
    const users: Record<string, string> = {}

    async function newUser(orgId: string, username: string, role: string, password = PASSWORD) {
      const u = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/users', { token: n.adminToken, body: { orgId, username, role } }))
      const r = await api(n.app, 'PUT', `/api/v1/users/${u.id}/password`, { token: n.adminToken, body: { password } })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.body).not.toMatch(/scrypt|password/i)
      users[username] = u.id
      return u.id
    }

    beforeAll(async () => {
      n = await createHttpTestNode(dialect, { clock, options: { sseHeartbeatMs: 200 } })
      partnerOrg = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/organisations', { token: n.adminToken, body: { name: 'Partner CERT' } })).id
      await newUser(n.hostOrgId, 'host-analyst', 'analyst')
      await newUser(partnerOrg, 'partner-analyst', 'analyst')
    })
    afterAll(async () => {
      await n?.close()
    })

    it('signs in with a password: an HttpOnly SameSite=Strict cookie, a CSRF token, and the same API as a token', async () => {
      const s = await session(n, 'host-analyst')
      expect(s.setCookie).toMatch(/^entente_session=ses_[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/)
      const me = await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s, false) })
      expect(json(me)).toMatchObject({ username: 'host-analyst', orgId: n.hostOrgId, role: 'analyst' })
      const again = json<{ csrfToken: string; user: { username: string } }>(await api(n.app, 'GET', '/api/v1/session', { headers: withCookie(s, false) }))
      expect(again).toMatchObject({ csrfToken: s.csrf, user: { username: 'host-analyst' } })
      // The stored session is the hash of the cookie value: the value itself is nowhere in the database.
      const id = s.cookie.split('=')[1] as string
      expect(await n.store.sessions.findActive(new Uint8Array(Buffer.from(id)), '2000-01-01T00:00:00.000000Z')).toBeNull()
    })

    it('sets Secure with the __Host- prefix when configured so', async () => {
      const secure = await createHttpTestNode(dialect, { options: { secureCookies: true } })
      try {
        const u = json<{ id: string }>(await api(secure.app, 'POST', '/api/v1/users', { token: secure.adminToken, body: { orgId: secure.hostOrgId, username: 'secure-user', role: 'read_only', password: PASSWORD } }))
        expect(u.id).toBeTruthy()
        const r = await signIn(secure, 'secure-user')
        expect(String(r.headers['set-cookie'])).toMatch(/^__Host-entente_session=ses_.*; HttpOnly; SameSite=Strict; Secure$/)
        const cookie = String(r.headers['set-cookie']).split(';')[0] as string
        expect((await api(secure.app, 'GET', '/api/v1/me', { headers: { cookie } })).statusCode).toBe(200)
      } finally {
        await secure.close()
      }
    })

    it('refuses unsafe requests made with the cookie but without the CSRF token; bearer requests are not checked', async () => {
      const s = await session(n, 'host-analyst')
      const bundle = { type: 'bundle', id: APT1.id, objects: APT1.objects.slice(0, 3) }
      expectProblem(await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: withCookie(s, false), body: bundle }), 403, 'csrf_failed')
      expectProblem(await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: { cookie: s.cookie, 'x-csrf-token': `${s.csrf.slice(0, -2)}AA` }, body: bundle }), 403, 'csrf_failed')
      // Another session's token does not fit this session.
      const other = await session(n, 'host-analyst')
      expectProblem(await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: { cookie: s.cookie, 'x-csrf-token': other.csrf }, body: bundle }), 403, 'csrf_failed')
      // Nothing was written by the refused requests.
      expect(json<{ items: unknown[] }>(await api(n.app, 'GET', '/api/v1/collections/default/objects', { token: n.adminToken })).items).toHaveLength(0)
      const ok = await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: withCookie(s), body: bundle })
      expect(ok.statusCode, ok.body).toBe(200)
      expect(json(ok)).toMatchObject({ added: 3 })
      // A bearer token with a stale cookie beside it: the token decides, no CSRF needed.
      const viaToken = await api(n.app, 'POST', '/api/v1/organisations', { token: n.adminToken, headers: { cookie: 'entente_session=garbage' }, body: { name: 'Observer Mission' } })
      expect(viaToken.statusCode).toBe(201)
    })

    it('signs out: the session ends and the cookie is cleared; sign-out itself needs the CSRF token', async () => {
      const s = await session(n, 'host-analyst')
      expectProblem(await api(n.app, 'DELETE', '/api/v1/session', { headers: withCookie(s, false) }), 403, 'csrf_failed')
      const out = await api(n.app, 'DELETE', '/api/v1/session', { headers: withCookie(s) })
      expect(out.statusCode).toBe(204)
      expect(String(out.headers['set-cookie'])).toMatch(/^entente_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/)
      expectProblem(await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) }), 401, 'unauthenticated')
    })

    it('refuses wrong passwords alike for unknown users, and limits failures per username and per address', async () => {
      await newUser(n.hostOrgId, 'limited-user', 'read_only')
      expectProblem(await signIn(n, 'limited-user', 'wrong password!!'), 401, 'unauthenticated')
      expectProblem(await signIn(n, 'nobody-at-all', PASSWORD), 401, 'unauthenticated')
      for (let i = 0; i < 4; i++) expectProblem(await signIn(n, 'limited-user', `wrong password ${i}`), 401, 'unauthenticated')
      // Five failures: now even the right password waits.
      const blocked = await signIn(n, 'limited-user', PASSWORD)
      expectProblem(blocked, 429, 'rate_limited')
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
      // Another user from another address is not affected; the window passes with time.
      expect((await signIn(n, 'host-analyst', PASSWORD, '10.0.0.9')).statusCode).toBe(200)
      clock.advance(16 * 60_000)
      expect((await signIn(n, 'limited-user', PASSWORD)).statusCode).toBe(200)
      // Per address: many usernames from one address.
      for (let i = 0; i < 30; i++) await signIn(n, `guess-${i}`, 'x', '192.0.2.7')
      expectProblem(await signIn(n, 'host-analyst', PASSWORD, '192.0.2.7'), 429, 'rate_limited')
      clock.advance(16 * 60_000)
    })

    it('ends sessions of disabled users for good, and on a password change', async () => {
      const id = await newUser(n.hostOrgId, 'to-disable', 'analyst')
      const s = await session(n, 'to-disable')
      expect((await api(n.app, 'PUT', `/api/v1/users/${id}/disabled`, { token: n.adminToken, body: { disabled: true } })).statusCode).toBe(200)
      expectProblem(await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) }), 401, 'unauthenticated')
      expectProblem(await signIn(n, 'to-disable'), 401, 'unauthenticated')
      expect((await api(n.app, 'PUT', `/api/v1/users/${id}/disabled`, { token: n.adminToken, body: { disabled: false } })).statusCode).toBe(200)
      expectProblem(await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) }), 401, 'unauthenticated')
      const s2 = await session(n, 'to-disable')
      expect((await api(n.app, 'PUT', `/api/v1/users/${id}/password`, { token: n.adminToken, body: { password: 'another long password' } })).statusCode).toBe(200)
      expectProblem(await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s2) }), 401, 'unauthenticated')
      expect((await signIn(n, 'to-disable', 'another long password')).statusCode).toBe(200)
      // Only administrators set passwords, and short ones are refused.
      const mine = await session(n, 'host-analyst')
      expectProblem(await api(n.app, 'PUT', `/api/v1/users/${id}/password`, { headers: withCookie(mine), body: { password: 'a long enough password' } }), 403, 'forbidden')
      expectProblem(await api(n.app, 'PUT', `/api/v1/users/${id}/password`, { token: n.adminToken, body: { password: 'short' } }), 400, 'validation_failed')
    })

    it('ends a session after 30 idle minutes, and after 12 hours however used', async () => {
      const s = await session(n, 'host-analyst')
      clock.advance(29 * 60_000)
      expect((await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) })).statusCode).toBe(200)
      clock.advance(29 * 60_000) // 58 minutes after sign-in, 29 after the last use
      expect((await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) })).statusCode).toBe(200)
      clock.advance(31 * 60_000)
      expectProblem(await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(s) }), 401, 'unauthenticated')
      const busy = await session(n, 'host-analyst')
      for (let h = 0; h < 12 * 4; h++) {
        clock.advance(15 * 60_000)
        const r = await api(n.app, 'GET', '/api/v1/me', { headers: withCookie(busy) })
        if (h < 12 * 4 - 1) expect(r.statusCode).toBe(200)
        else expectProblem(r, 401, 'unauthenticated')
      }
    })

    it('searches with filters and pages with a cursor; a collection the user cannot read answers 404', async () => {
      const s = await session(n, 'host-analyst')
      const r = await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: withCookie(s), body: APT1 })
      expect(r.statusCode, r.body).toBe(200)
      const seen: string[] = []
      let cursor: string | undefined
      for (let i = 0; i < 20; i++) {
        const page = json<{ items: { id: string; type: string }[]; nextCursor?: string }>(
          await api(n.app, 'GET', '/api/v1/collections/default/search', { headers: withCookie(s), query: { type: 'relationship', limit: '7', ...(cursor ? { cursor } : {}) } }),
        )
        seen.push(...page.items.map((o) => o.id))
        expect(page.items.every((o) => o.type === 'relationship')).toBe(true)
        cursor = page.nextCursor
        if (!cursor) break
      }
      expect(seen.sort()).toEqual(APT1.objects.filter((o) => o.type === 'relationship').map((o) => o.id).sort())
      const text = json<{ items: { name: string }[] }>(await api(n.app, 'GET', '/api/v1/collections/default/search', { headers: withCookie(s), query: { text: 'comment crew' } }))
      expect(text.items.length).toBeGreaterThan(0)
      expect(text.items.every((o) => JSON.stringify(o).toLowerCase().includes('comment crew'))).toBe(true)
      expectProblem(await api(n.app, 'GET', '/api/v1/collections/default/search', { headers: withCookie(s), query: { cursor: 'forged' } }), 400, 'validation_failed')
      expectProblem(await api(n.app, 'GET', '/api/v1/collections/default/search', { headers: withCookie(s), query: { from: 'yesterday' } }), 400, 'validation_failed')
      const partner = await session(n, 'partner-analyst')
      expectProblem(await api(n.app, 'GET', '/api/v1/collections/default/search', { headers: withCookie(partner) }), 404, 'not_found')
      const ia = APT1.objects.find((o) => o.type === 'intrusion-set') as { id: string }
      expectProblem(await api(n.app, 'GET', `/api/v1/collections/default/objects/${ia.id}`, { headers: withCookie(partner) }), 404, 'not_found')
      const detail = json<{ versions: { id: string }[]; edges: { source: string; target: string }[]; nodes: { id: string; name: string | null }[] }>(
        await api(n.app, 'GET', `/api/v1/collections/default/objects/${ia.id}`, { headers: withCookie(s) }),
      )
      expect(detail.versions.map((v) => v.id)).toEqual([ia.id])
      const expected = APT1.objects.filter((o) => o.type === 'relationship' && (o.source_ref === ia.id || o.target_ref === ia.id))
      expect(detail.edges.length).toBe(expected.length)
      expect(detail.edges.length).toBeGreaterThan(0)
      expect(detail.nodes.filter((x) => x.name !== null).length).toBeGreaterThan(0)
    })

    it('streams events only to users who may read them', async () => {
      const url = await n.app.listen({ host: '127.0.0.1', port: 0 })
      const host = await session(n, 'host-analyst')
      const partner = await session(n, 'partner-analyst')
      // A collection the partner may read, beside the default one it may not.
      const shared = json<{ id: string }>(await api(n.app, 'POST', '/api/v1/collections', { token: n.adminToken, body: { title: 'Shared with partners', alias: 'shared' } }))
      await api(n.app, 'PUT', `/api/v1/collections/${shared.id}/permissions/${partnerOrg}`, { token: n.adminToken, body: { canRead: true, canWrite: false } })
      await api(n.app, 'PUT', `/api/v1/collections/${shared.id}/permissions/${n.hostOrgId}`, { token: n.adminToken, body: { canRead: true, canWrite: true } })

      const listen = (s: Session) => {
        const received: { event: string; data: Record<string, unknown>; id?: string }[] = []
        let text = ''
        let heartbeats = 0
        const req = httpRequest(`${url}/api/v1/events`, { headers: { cookie: s.cookie, accept: 'text/event-stream' } }, (res) => {
          expect(res.headers['content-type']).toMatch(/^text\/event-stream/)
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
            let i: number
            while ((i = text.indexOf('\n\n')) >= 0) {
              const block = text.slice(0, i)
              text = text.slice(i + 2)
              if (block.startsWith(': heartbeat')) heartbeats++
              const ev = /^event: (.*)$/m.exec(block)?.[1]
              const data = /^data: (.*)$/m.exec(block)?.[1]
              const id = /^id: (.*)$/m.exec(block)?.[1]
              if (ev && data) received.push({ event: ev, data: JSON.parse(data) as Record<string, unknown>, ...(id ? { id } : {}) })
            }
          })
        })
        req.end()
        return { received, heartbeats: () => heartbeats, close: () => req.destroy() }
      }
      const h = listen(host)
      const p = listen(partner)
      await new Promise((r) => setTimeout(r, 300))
      const secret = APT1.objects.find((o) => o.type === 'threat-actor') as { id: string }
      const sharedObj = APT1.objects.find((o) => o.type === 'malware') as { id: string }
      const tool = APT1.objects.find((o) => o.type === 'tool') as { id: string }
      // The default collection already holds APT1 (a duplicate adds nothing): add a new version there.
      const newer = { ...(secret as Record<string, unknown>), modified: '2027-01-01T00:00:00.000Z', description: 'updated assessment' }
      expect(json(await api(n.app, 'POST', '/api/v1/collections/default/objects', { headers: withCookie(host), body: { type: 'bundle', id: APT1.id, objects: [newer] } }))).toMatchObject({ added: 1 })
      expect(json(await api(n.app, 'POST', `/api/v1/collections/${shared.id}/objects`, { headers: withCookie(host), body: { type: 'bundle', id: APT1.id, objects: [sharedObj, tool] } }))).toMatchObject({ added: 2 })
      // A TLP:RED version in the shared collection: readers of the collection who are not recipients see nothing of it.
      const red = { ...(tool as Record<string, unknown>), modified: '2027-02-01T00:00:00.000Z', name: 'red-only tool', object_marking_refs: ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'] }
      expect(json(await api(n.app, 'POST', `/api/v1/collections/${shared.id}/objects`, { token: n.adminToken, body: { type: 'bundle', id: APT1.id, objects: [red] } }))).toMatchObject({ added: 1 })
      const deadline = Date.now() + 5000
      while (Date.now() < deadline && (h.received.length < 3 || p.received.length < 2 || p.heartbeats() < 1)) await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 300))
      h.close()
      p.close()
      const ids = (r: typeof h.received) => r.filter((e) => e.event === 'object').map((e) => e.data.id)
      expect(ids(h.received)).toEqual([secret.id, sharedObj.id, tool.id])
      expect(ids(p.received)).toEqual([sharedObj.id, tool.id])
      expect(JSON.stringify(p.received)).not.toContain(secret.id)
      expect(JSON.stringify(p.received)).not.toContain('red-only tool')
      // Nor in the explorer: the search leaves the object out (its latest version is RED), the detail shows the earlier versions only.
      const found = json<{ items: { id: string; name?: string }[] }>(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/search`, { headers: withCookie(partner, false) }))
      expect(JSON.stringify(found)).not.toContain('red-only tool')
      const detail = json<{ versions: { name?: string }[] }>(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/objects/${tool.id}`, { headers: withCookie(partner, false) }))
      expect(detail.versions.map((v) => v.name)).not.toContain('red-only tool')
      expect(detail.versions.length).toBeGreaterThan(0)
      expect(p.heartbeats()).toBeGreaterThan(0)
      // The producing organisation sees its own RED object in the explorer (the stored producer says
      // whose it is, not the JSON); the other organisation still sees nothing of it.
      const ours = { ...(tool as Record<string, unknown>), id: 'tool--3f1d0c9e-5b7a-4c2e-9a61-2d4b8f0e7a15', modified: '2027-03-01T00:00:00.000Z', name: 'our red tool', object_marking_refs: ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'] }
      expect(json(await api(n.app, 'POST', `/api/v1/collections/${shared.id}/objects`, { headers: withCookie(host), body: { type: 'bundle', id: APT1.id, objects: [ours] } }))).toMatchObject({ added: 1 })
      const hostView = JSON.stringify(json(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/search`, { headers: withCookie(host, false) })))
      expect(hostView).toContain('our red tool')
      expect(json<{ versions: unknown[] }>(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/objects/${ours.id}`, { headers: withCookie(host, false) })).versions).toHaveLength(1)
      expect(JSON.stringify(json(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/search`, { headers: withCookie(partner, false) })))).not.toContain('our red tool')
      expectProblem(await api(n.app, 'GET', `/api/v1/collections/${shared.id}/objects/${ours.id}`, { headers: withCookie(partner, false) }), 404, 'not_found')

      // Resume: with the id of the first event, the host gets what came after it.
      const first = h.received[0]?.id as string
      const resumed = await new Promise<string>((resolve) => {
        let text = ''
        const req = httpRequest(`${url}/api/v1/events`, { headers: { cookie: host.cookie, 'last-event-id': first } }, (res) => {
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            text += c
            if ((text.match(/^event: object$/gm) ?? []).length >= 2) {
              req.destroy()
              resolve(text)
            }
          })
        })
        req.end()
      })
      expect(resumed).toContain(sharedObj.id)
      expect(resumed).not.toContain(`"id":"${secret.id}"`)
      // Without credentials: 401 problem, no stream.
      expectProblem(await api(n.app, 'GET', '/api/v1/events'), 401, 'unauthenticated')

      // At most 16 streams per user at once; closing one frees its place.
      const streams = await Promise.all(
        Array.from({ length: 16 }, () => new Promise<ClientRequest>((resolve) => {
          const req = httpRequest(`${url}/api/v1/events`, { headers: { cookie: partner.cookie } }, () => resolve(req))
          req.end()
        })),
      )
      const refused = await api(n.app, 'GET', '/api/v1/events', { headers: withCookie(partner, false) })
      expectProblem(refused, 429, 'rate_limited')
      streams[0]?.destroy()
      await new Promise((r) => setTimeout(r, 200))
      const again = await new Promise<number>((resolve) => {
        const req = httpRequest(`${url}/api/v1/events`, { headers: { cookie: partner.cookie } }, (res) => {
          resolve(res.statusCode ?? 0)
          req.destroy()
        })
        req.end()
      })
      expect(again).toBe(200)
      for (const s of streams) s.destroy()
    })
  })
}
