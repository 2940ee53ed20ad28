/**
 * The e2e harness: a real node (test/node.ts services on SQLite, the HTTP app with the built web app)
 * listening on 127.0.0.1, organisations and users with passwords, and Debian's Chromium driven by
 * playwright-core (never a downloaded browser). Screenshots go to test-results/e2e/screenshots; with
 * ENTENTE_UPDATE_SCREENSHOTS=1 the ones the user guide shows are copied to docs/images.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { buildApp } from '../../src/http/app.js'
import { DEFAULT_HTTP_OPTIONS, testImportFiles } from '../http.js'
import { createTestNode, silentLogger, type TestNode } from '../node.js'
import { WEB_DIST } from '../../scripts/build-web.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const SCREENSHOTS = join(ROOT, 'test-results', 'e2e', 'screenshots')
const DOC_IMAGES = join(ROOT, 'docs', 'images')
export const PASSWORD = 'correct horse battery staple'

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface E2eNode extends TestNode {
  readonly app: FastifyInstance
  readonly url: string
  /** Creates an organisation (or returns the host's for null) and a user with PASSWORD. */
  user(org: string | null, username: string, role: 'admin' | 'analyst' | 'read_only'): Promise<{ userId: string; orgId: string }>
  org(name: string): Promise<string>
}

export async function startNode(): Promise<E2eNode> {
  const node = await createTestNode('sqlite')
  const system = { kind: 'system' as const, name: 'e2e', orgId: node.hostOrgId }
  const app = await buildApp({ services: node.services, logger: silentLogger, options: { ...DEFAULT_HTTP_OPTIONS, imports: testImportFiles(), webRoot: WEB_DIST, sseHeartbeatMs: 2000 } })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const orgs = new Map<string, string>()
  async function org(name: string): Promise<string> {
    const known = orgs.get(name)
    if (known) return known
    const o = await node.services.admin.createOrganisation(system, { name })
    if (!o.ok) throw new Error(JSON.stringify(o.error))
    orgs.set(name, o.value.id)
    return o.value.id
  }
  return {
    ...node,
    app,
    url: address,
    org,
    async user(orgName, username, role) {
      const orgId = orgName === null ? node.hostOrgId : await org(orgName)
      const u = await node.services.admin.createUser(system, { orgId, username, role, password: PASSWORD })
      if (!u.ok) throw new Error(JSON.stringify(u.error))
      return { userId: u.value.id, orgId }
    },
    async close() {
      await app.close()
      await node.close()
    },
  }
}

export async function launch(): Promise<Browser> {
  // launch() gives every run a new, empty temporary profile (user-data-dir) and removes it at close.
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** A browser context with its console errors (CSP violations included) collected. */
export async function context(browser: Browser, opts: { mobile?: boolean } = {}): Promise<{ ctx: BrowserContext; page: Page; problems: string[] }> {
  const ctx = await browser.newContext(opts.mobile ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1366, height: 900 } })
  const page = await ctx.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|404)/.test(m.text())) problems.push(m.text())
  })
  page.on('pageerror', (e) => problems.push(e.message))
  return { ctx, page, problems }
}

export async function signIn(page: Page, url: string, username: string, password = PASSWORD): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor()
}

/** Saves a screenshot under the test output; `guide` names the copy in docs/images (when updating). */
export async function shot(page: Page, name: string, guide?: string, opts: { toasts?: boolean; fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  // Live notices would cover the page in most pictures; they stay where the picture is about them.
  await page.evaluate((show) => {
    const el = (globalThis as unknown as { document: { querySelector(s: string): { style: { display: string } } | null } }).document.querySelector('[data-testid="live-toasts"]')
    if (el) el.style.display = show ? '' : 'none'
  }, opts.toasts === true)
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: opts.fullPage !== false })
  if (guide && process.env.ENTENTE_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_IMAGES, { recursive: true })
    copyFileSync(path, join(DOC_IMAGES, guide))
  }
}
