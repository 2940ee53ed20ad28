/**
 * The web app in real Chromium (Debian's, through playwright-core) against a real node: sign-in and
 * sign-out; importing a bundle and finding it in the explorer; object detail with the relationship
 * graph and the inclusion proof checked in the browser; a live update reaching a second browser
 * context without a reload; a user of another organisation seeing nothing of a collection or a case
 * they may not read, in any page, API response or event stream; the joint case flow; requests for
 * assistance (ask, offer live, accept).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../data.js'
import { CONTENT_SECURITY_POLICY } from '../../src/http/web.js'
import { context, launch, shot, signIn, startNode, type E2eNode } from './harness.js'

const APT1_PATH = join(SHARED_DATA, 'stix-samples', 'oasis-cti-documentation', 'apt1.json')
const APT1 = JSON.parse(readFileSync(APT1_PATH, 'utf8')) as { id: string; objects: { id: string; type: string; name?: string }[] }
const URL_INDICATOR = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-cti-documentation', 'indicator-for-malicious-url.json'), 'utf8')) as { id: string; objects: { id: string; type: string; name?: string }[] }
const POISONIVY = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-cti-documentation', 'poisonivy.json'), 'utf8')) as { id: string; objects: { id: string; type: string; name?: string }[] }

/**
 * The browser globals the in-page callbacks below use (they run in Chromium; the node project's
 * type check has no DOM library).
 */
interface InPage {
  DataTransfer: new () => { items: { add(file: unknown): void } }
  File: new (parts: string[], name: string, options: { type: string }) => unknown
  EventSource: new (url: string) => { readyState: number; close(): void; addEventListener(kind: string, fn: (m: { data: string }) => void): void }
  __events: string[]
  __es: { readyState: number; close(): void; addEventListener(kind: string, fn: (m: { data: string }) => void): void }
  innerWidth: number
  document: { documentElement: { scrollWidth: number } }
}

/** Drops a file on the import page's drop zone, as a user dragging it from their desktop would. */
async function dropFile(page: Page, name: string, content: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ name, content }) => {
      const g = globalThis as unknown as InPage
      const dt = new g.DataTransfer()
      dt.items.add(new g.File([content], name, { type: 'application/json' }))
      return dt
    },
    { name, content },
  )
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer })
}

/** Events the page's own EventSource receives during `ms` (what the node streams to this user). */
async function collectEvents(page: Page, ms: number, during: () => Promise<void>): Promise<string[]> {
  await page.evaluate(() => {
    const w = globalThis as unknown as InPage
    w.__events = []
    w.__es = new w.EventSource('/api/v1/events')
    for (const k of ['object', 'alert', 'case']) w.__es.addEventListener(k, (m) => w.__events.push(`${k} ${m.data}`))
  })
  await page.waitForFunction(() => (globalThis as unknown as InPage).__es.readyState === 1)
  await during()
  await page.waitForTimeout(ms)
  return page.evaluate(() => {
    const w = globalThis as unknown as InPage
    w.__es.close()
    return w.__events
  })
}

describe('web app in Chromium', () => {
  let node: E2eNode
  let browser: Browser

  beforeAll(async () => {
    node = await startNode()
    await node.user(null, 'host-analyst', 'analyst')
    await node.user(null, 'host-colleague', 'analyst')
    await node.user('Partner CERT', 'partner-analyst', 'analyst')
    await node.user('Observer Mission', 'outsider', 'analyst')
    browser = await launch()
  })
  afterAll(async () => {
    await browser?.close()
    await node?.close()
  })

  it('signs in and out; a wrong password is refused; the page is served with a strict CSP', async () => {
    const { ctx, page, problems } = await context(browser)
    const res = await page.goto(node.url)
    expect(res?.headers()['content-security-policy']).toBe(CONTENT_SECURITY_POLICY)
    await page.getByRole('heading', { name: 'Sign in to Entente' }).waitFor()
    await shot(page, '01-sign-in', 'sign-in.png')
    await page.getByLabel('Username').fill('host-analyst')
    await page.getByLabel('Password').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor()
    await signIn(page, node.url, 'host-analyst')
    const cookies = await ctx.cookies()
    expect(cookies.find((c) => c.name === 'entente_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    await shot(page, '02-dashboard-empty')
    // A deep link is served by the single-page fallback; the API keeps its own 404.
    await page.goto(`${node.url}/transparency`)
    await page.getByRole('heading', { level: 1, name: 'Transparency log' }).waitFor()
    expect((await page.request.get(`${node.url}/api/v1/no-such-route`, { headers: { accept: 'text/html' } })).headers()['content-type']).toMatch(/problem\+json/)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to Entente' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in to Entente' }).waitFor()
    expect((await ctx.cookies()).find((c) => c.name === 'entente_session')).toBeUndefined()
    expect(problems).toEqual([])
    await ctx.close()
  })

  it('imports a bundle by drag and drop with a per-object report, then finds it in the explorer and checks its log inclusion in the browser', async () => {
    const { ctx, page, problems } = await context(browser)
    await signIn(page, node.url, 'host-analyst')
    await page.getByRole('link', { name: 'Import' }).click()
    await dropFile(page, 'apt1.json', readFileSync(APT1_PATH, 'utf8'))
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 30_000 })
    expect(Number(await page.getByTestId('count-added').textContent())).toBe(APT1.objects.length)
    expect(await page.getByTestId('import-report').locator('tbody tr').count()).toBe(APT1.objects.length)
    expect(await page.getByTestId('import-progress').evaluate((p) => (p as unknown as { value: number }).value)).toBe(1)
    await page.getByRole('heading', { name: 'Import finished' }).scrollIntoViewIfNeeded()
    await shot(page, '03-import', 'import.png', { fullPage: false })

    await page.getByRole('link', { name: 'Intelligence' }).click()
    await page.getByLabel('Text').fill('apt1')
    await page.getByLabel('Type', { exact: true }).selectOption('intrusion-set')
    await page.getByRole('button', { name: 'Search' }).click()
    const apt1 = APT1.objects.find((o) => o.type === 'intrusion-set') as { id: string; name: string }
    await page.getByTestId('results').getByRole('link', { name: apt1.name }).waitFor()
    expect(await page.getByTestId('results').locator('tbody tr').count()).toBe(APT1.objects.filter((o) => o.type === 'intrusion-set').length)
    await shot(page, '04-explorer', 'explorer.png')

    await page.getByTestId('results').getByRole('link', { name: apt1.name }).click()
    await page.getByRole('heading', { level: 1, name: apt1.name }).waitFor()
    await page.getByTestId('relationship-graph').locator('canvas').first().waitFor()
    await page.getByRole('button', { name: 'Check inclusion in the browser' }).click()
    await page.getByTestId('inclusion-ok').waitFor()
    expect(await page.getByTestId('inclusion-ok').textContent()).toContain('Checkpoint signature valid')
    await shot(page, '05-object', 'object.png')

    await page.getByRole('link', { name: 'Transparency' }).click()
    await page.getByTestId('checkpoint-ok').waitFor()
    await page.getByLabel('STIX id').fill(apt1.id)
    await page.getByRole('button', { name: 'Check', exact: true }).click()
    await page.getByTestId('inclusion-result').filter({ hasText: 'Verified in this browser' }).waitFor()
    await shot(page, '06-transparency', 'transparency.png')
    expect(problems).toEqual([])
    await ctx.close()
  })

  it('shows a live update in a second browser context without a reload', async () => {
    const a = await context(browser)
    const b = await context(browser)
    await signIn(a.page, node.url, 'host-analyst')
    await signIn(b.page, node.url, 'host-colleague')
    await b.page.getByTestId('live-indicator').and(b.page.locator('[data-connected="true"]')).waitFor()
    let navigations = 0
    b.page.on('framenavigated', () => navigations++)
    await a.page.getByRole('link', { name: 'Import' }).click()
    await dropFile(a.page, 'indicator-for-malicious-url.json', JSON.stringify(URL_INDICATOR))
    await a.page.getByRole('button', { name: 'Import', exact: true }).click()
    await a.page.getByRole('heading', { name: 'Import finished' }).waitFor()
    const indicator = URL_INDICATOR.objects.find((o) => o.type === 'indicator') as { name: string }
    await b.page.getByTestId('recent-list').getByText(indicator.name).waitFor({ timeout: 10_000 })
    await b.page.getByTestId('live-toasts').getByText(indicator.name, { exact: false }).first().waitFor()
    expect(navigations).toBe(0)
    await shot(b.page, '07-live-update', 'live-update.png', { toasts: true })
    await shot(b.page, '02-dashboard', 'dashboard.png')
    expect([...a.problems, ...b.problems]).toEqual([])
    await a.ctx.close()
    await b.ctx.close()
  })

  it('keeps a collection another organisation may not read out of its pages, API answers and event stream', async () => {
    const host = await context(browser)
    const partner = await context(browser)
    await signIn(host.page, node.url, 'host-analyst')
    await signIn(partner.page, node.url, 'partner-analyst')
    const apt1 = APT1.objects.find((o) => o.type === 'intrusion-set') as { id: string; name: string }
    // Pages: the dashboard and the explorer show nothing of the default collection.
    expect(await partner.page.locator('main').textContent()).not.toContain(apt1.name)
    await partner.page.getByRole('link', { name: 'Intelligence' }).click()
    await partner.page.getByRole('heading', { level: 1, name: 'Intelligence explorer' }).waitFor()
    expect(await partner.page.locator('#f-collection option').count()).toBe(0)
    await partner.page.goto(`${node.url}/objects/default/${apt1.id}`)
    await partner.page.getByText('Not found, or you may not see it.').waitFor()
    expect(await partner.page.locator('main').textContent()).not.toContain(apt1.name)
    // API answers, with the partner's own session.
    const api = await partner.page.evaluate(async (id) => {
      const out: Record<string, number | string> = {}
      for (const p of ['/api/v1/collections/default/search', `/api/v1/collections/default/objects/${id}`, '/api/v1/collections/default/objects', '/api/v1/collections']) {
        const r = await fetch(p)
        out[p] = `${r.status} ${await r.text()}`
      }
      return out
    }, apt1.id)
    for (const [path, answer] of Object.entries(api)) {
      expect(String(answer), path).not.toContain(apt1.name)
      if (path !== '/api/v1/collections') expect(String(answer).slice(0, 3), path).toBe('404')
    }
    // Event stream: the host adds a new object; the host's stream has it, the partner's does not.
    const newer = POISONIVY.objects.find((o) => o.type === 'malware') as { id: string }
    let hostEvents: string[] = []
    const partnerEvents = await collectEvents(partner.page, 1500, async () => {
      hostEvents = await collectEvents(host.page, 1500, async () => {
        const r = await host.page.evaluate(async (bundle) => {
          const s = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string }
          const res = await fetch('/api/v1/collections/default/objects', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: JSON.stringify(bundle) })
          return res.status
        }, POISONIVY)
        expect(r).toBe(200)
      })
    })
    expect(hostEvents.some((e) => e.includes(newer.id))).toBe(true)
    expect(partnerEvents.filter((e) => e.startsWith('object'))).toEqual([])
    await shot(partner.page, '08-other-organisation')
    await host.ctx.close()
    await partner.ctx.close()
  })

  it('runs a joint case: open from a playbook, assign a task to another organisation’s user who sees it live, add a note, close; an outsider sees none of it', async () => {
    const lead = await context(browser)
    const partner = await context(browser)
    const outsider = await context(browser)
    await signIn(lead.page, node.url, 'host-analyst')
    await signIn(partner.page, node.url, 'partner-analyst')
    await signIn(outsider.page, node.url, 'outsider')

    await lead.page.getByRole('link', { name: 'Cases' }).click()
    await lead.page.getByLabel('Playbook', { exact: true }).selectOption('ddos-results-site')
    await lead.page.getByLabel('Title', { exact: true }).fill('DDoS on the national results site')
    await lead.page.getByLabel('Partner CERT').check()
    await lead.page.getByRole('button', { name: 'Open case' }).click()
    await lead.page.getByRole('heading', { level: 1, name: 'DDoS on the national results site' }).waitFor()
    const caseUrl = lead.page.url()
    const caseId = decodeURIComponent(caseUrl.split('/cases/')[1] as string)
    expect(await lead.page.getByTestId('task-row').count()).toBeGreaterThan(1)

    // The partner opens the case; the outsider cannot.
    await partner.page.goto(caseUrl)
    await partner.page.getByRole('heading', { level: 1, name: 'DDoS on the national results site' }).waitFor()
    let partnerNavigations = 0
    partner.page.on('framenavigated', () => partnerNavigations++)
    let outsiderEvents: string[] = []
    const firstTask = lead.page.getByTestId('task-row').first()
    outsiderEvents = await collectEvents(outsider.page, 1000, async () => {
      await firstTask.getByRole('combobox').selectOption({ label: 'partner-analyst (Partner CERT)' })
      await partner.page.getByTestId('task-assignee').filter({ hasText: 'partner-analyst' }).first().waitFor({ timeout: 10_000 })
    })
    expect(partnerNavigations).toBe(0)
    expect(outsiderEvents).toEqual([])

    // The partner adds a note; the lead sees it live.
    await partner.page.getByLabel('Note', { exact: true }).fill('Traffic from the botnet is also hitting our resolvers; we share the sources.')
    await partner.page.getByRole('button', { name: 'Post' }).click()
    await lead.page.getByTestId('notes').getByText('Traffic from the botnet').waitFor({ timeout: 10_000 })
    await shot(partner.page, '09-case-partner', 'case-partner.png')

    // The lead moves the case through its workflow to closed.
    for (const status of ['triage', 'active', 'contained', 'resolved', 'closed']) {
      await lead.page.getByLabel('Status', { exact: true }).selectOption(status)
      if (status === 'closed') await lead.page.getByLabel('Reason', { exact: true }).fill('Service restored; attack over.')
      await lead.page.getByRole('button', { name: 'Apply' }).click()
      await lead.page.getByTestId('case-status').filter({ hasText: status }).waitFor()
    }
    await lead.page.getByTestId('timeline').getByText('status changed').first().waitFor()
    await shot(lead.page, '10-case-closed', 'case.png')
    await lead.page.getByRole('link', { name: 'Cases' }).click()
    await lead.page.getByTestId('case-list').waitFor()
    await shot(lead.page, '11-cases', 'cases.png')

    // The outsider: no case in the list, 404 from the API, and the case page shows nothing of it.
    await outsider.page.getByRole('link', { name: 'Cases' }).click()
    await outsider.page.getByRole('heading', { level: 1, name: 'Cases' }).waitFor()
    expect(await outsider.page.locator('main').textContent()).not.toContain('DDoS on the national results site')
    const status = await outsider.page.evaluate(async (id) => (await fetch(`/api/v1/cases/${encodeURIComponent(id)}`)).status, caseId)
    expect(status).toBe(404)
    await outsider.page.goto(caseUrl)
    await outsider.page.getByText('Not found, or you may not see it.').waitFor()
    expect([...lead.problems, ...partner.problems, ...outsider.problems]).toEqual([])
    await lead.ctx.close()
    await partner.ctx.close()
    await outsider.ctx.close()
  })

  it('asks partners for help on a case: the partner sees the request live and offers, the lead accepts, the timeline records it; an outsider sees none of it', async () => {
    const lead = await context(browser)
    const partner = await context(browser)
    const outsider = await context(browser)
    await signIn(lead.page, node.url, 'host-analyst')
    await signIn(partner.page, node.url, 'partner-analyst')
    await signIn(outsider.page, node.url, 'outsider')

    await lead.page.getByRole('link', { name: 'Cases' }).click()
    await lead.page.getByLabel('Playbook', { exact: true }).selectOption('hack-and-leak')
    await lead.page.getByLabel('Title', { exact: true }).fill('Leaked mailbox of the electoral commission')
    await lead.page.getByLabel('Partner CERT').check()
    await lead.page.getByRole('button', { name: 'Open case' }).click()
    await lead.page.getByRole('heading', { level: 1, name: 'Leaked mailbox of the electoral commission' }).waitFor()
    const caseUrl = lead.page.url()
    await lead.page.getByText('No requests for assistance yet.').waitFor()

    // The partner has the case open; only the lead may ask, only participants may offer.
    await partner.page.goto(caseUrl)
    await partner.page.getByRole('heading', { level: 1, name: 'Leaked mailbox of the electoral commission' }).waitFor()
    expect(await partner.page.getByLabel('Kind of help').count()).toBe(0)
    expect(await lead.page.getByRole('button', { name: 'Offer help' }).count()).toBe(0)
    let partnerNavigations = 0
    partner.page.on('framenavigated', () => partnerNavigations++)

    // The lead asks, with the keyboard: the partner sees the request appear without a reload.
    const outsiderEvents = await collectEvents(outsider.page, 1000, async () => {
      await lead.page.getByLabel('Kind of help').selectOption('forensics')
      await lead.page.getByLabel('What you need').fill('Forensic analysis of the leaked mailbox archive: timeline of access and the exfiltration path.')
      await lead.page.getByLabel('What you need').press('Tab')
      await lead.page.keyboard.press('Enter')
      await partner.page.getByTestId('request').filter({ hasText: 'Forensic analysis of the leaked mailbox' }).waitFor({ timeout: 10_000 })
    })
    expect(outsiderEvents).toEqual([])
    expect(partnerNavigations).toBe(0)

    // The partner offers; the lead sees the offer live and accepts it.
    await partner.page.getByLabel('What your organisation offers (Forensics)').fill('Two analysts from our incident response team, available from tomorrow morning.')
    await partner.page.getByRole('button', { name: 'Offer help' }).click()
    await partner.page.getByTestId('offer-status').filter({ hasText: 'pending' }).waitFor()
    const offer = lead.page.getByTestId('offer').filter({ hasText: 'Two analysts' })
    await offer.waitFor({ timeout: 10_000 })
    await shot(lead.page, '13-case-request-offer')
    await lead.page.getByLabel('Reason for the decision on the offer of Partner CERT (optional)').fill('Thank you: the mailbox images are ready.')
    await lead.page.getByRole('button', { name: 'Accept the offer of Partner CERT' }).click()
    await lead.page.getByTestId('offer-status').filter({ hasText: 'accepted' }).waitFor()
    // The request is accepted on both sides; no more offers can be made.
    await partner.page.getByTestId('request').locator('.status-accepted').first().waitFor({ timeout: 10_000 })
    await partner.page.getByTestId('offer').getByText('Reason: Thank you: the mailbox images are ready.').waitFor()
    expect(await partner.page.getByRole('button', { name: 'Offer help' }).count()).toBe(0)
    expect(partnerNavigations).toBe(0)
    for (const entry of ['help requested', 'help offered', 'offer accepted']) await lead.page.getByTestId('timeline').getByText(entry).first().waitFor({ timeout: 10_000 })
    // The timeline names the organisation and the request rather than showing their ids.
    const offered = await lead.page.getByTestId('timeline').locator('li').filter({ hasText: 'help offered' }).textContent()
    expect(offered).toContain('Partner CERT')
    expect(offered).toContain('Forensics')
    expect(offered).not.toContain('x-entente-assistance-request--')
    await lead.page.locator('#requests').scrollIntoViewIfNeeded()
    await shot(partner.page, '14-case-request', 'case-request.png')

    // The outsider: no request, offer or case through the API.
    const answers = await outsider.page.evaluate(async (id) => {
      const r = await fetch(`/api/v1/cases/${encodeURIComponent(id)}/requests`)
      return `${r.status} ${await r.text()}`
    }, decodeURIComponent(caseUrl.split('/cases/')[1] as string))
    expect(answers.slice(0, 3)).toBe('404')
    expect(answers).not.toContain('Forensic analysis')
    expect([...lead.problems, ...partner.problems, ...outsider.problems]).toEqual([])
    await lead.ctx.close()
    await partner.ctx.close()
    await outsider.ctx.close()
  })

  it('is usable on a phone: the menu opens from a button and pages fit the screen', async () => {
    const { ctx, page } = await context(browser, { mobile: true })
    await signIn(page, node.url, 'host-analyst')
    await page.getByRole('button', { name: 'Menu' }).click()
    await page.getByRole('link', { name: 'Intelligence' }).click()
    await page.getByRole('heading', { level: 1, name: 'Intelligence explorer' }).waitFor()
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as InPage
      return g.document.documentElement.scrollWidth - g.innerWidth
    })
    expect(overflow).toBeLessThanOrEqual(1)
    await shot(page, '12-phone', 'phone.png', { fullPage: false })
    await ctx.close()
  })
})
