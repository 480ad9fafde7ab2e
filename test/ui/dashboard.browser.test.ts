/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core) against the
 * in-memory three-site federation: it loads and shows the sites, clusters and sample
 * workloads; it updates live when a workload is applied, without reloading; it shows a
 * failover (the failed site and the migration in the timeline); search and the detail
 * dialog work; nothing logs an error or breaks the Content-Security-Policy. Screenshots
 * are saved under artifacts/. One browser serves every case, to stay light on 2 cores.
 */
import { statSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/ports/logger.ts'
import { createDashboardServer, type DashboardServer } from '../../src/ui/index.ts'
import { deployment } from '../api/support/manifests.ts'
import { launchChromium, saveScreenshot, type Browser } from './support/browser.ts'
import { createDashboardSite, type DashboardSite } from './support/dashboard-site.ts'

const WAIT = { timeout: 10_000 }

describe('the dashboard in a browser', () => {
  let site: DashboardSite
  let server: DashboardServer
  let browser: Browser
  const problems: string[] = []

  beforeAll(async () => {
    site = createDashboardSite()
    site.addEvidence({ id: 'ev-1', kind: 'equivocation', offender: 'mallory', observedBy: 'eu-west', at: Date.now() - 90_000, detail: 'two different changes with seq 4', count: 2, proof: ['AAAA', 'BBBB'] })
    site.addPeerEvent('us-east', { kind: 'site-suspected', at: Date.now() - 600_000, subject: 'ap-southeast', cause: 'no heartbeat for 10 s' })
    site.addPeerEvent('us-east', { kind: 'site-recovered', at: Date.now() - 560_000, subject: 'ap-southeast', cause: 'heartbeats resumed' })
    server = createDashboardServer({ site, listen: '127.0.0.1:0', logger: silentLogger, live: { minIntervalMs: 50, statusIntervalMs: 200 } })
    await server.start()
    browser = await launchChromium()
    browser.page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`) })
    browser.page.on('pageerror', (e) => { problems.push(`page error: ${e.message}`) })
    browser.page.setDefaultTimeout(10_000)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('loads and shows this site, three sites, the clusters and the sample workloads', async () => {
    const { page } = browser
    await page.goto(server.url)
    await page.locator('#conn[data-state="live"]').waitFor(WAIT)
    await expect.poll(() => page.locator('.site-card').count(), WAIT).toBe(3)
    expect(await page.locator('.site-card[data-site="eu-west"]').getAttribute('data-health')).toBe('self')
    expect(await page.locator('.site-card[data-site="us-east"]').getAttribute('data-health')).toBe('alive')
    expect(await page.locator('#identity').textContent()).toContain('eu-west')
    await page.locator('#workloads-table tbody tr[data-key="apps/Deployment/shop/web"]').waitFor(WAIT)
    const web = page.locator('#workloads-table tbody tr[data-key="apps/Deployment/shop/web"]')
    expect(await web.textContent()).toContain('6 / 6')
    expect(await web.locator('.chip').allTextContents()).toEqual(['ap-southeast.main 2/2', 'eu-west.main 2/2', 'us-east.main 2/2'])
    expect(await page.locator('#workloads-table tbody tr').count()).toBe(5)
    expect(await page.locator('#clusters-table tbody tr').count()).toBe(6)
    expect(await page.locator('#clusters-table tr[data-cluster="eu-west.gpu"] [role="meter"]').count()).toBe(6)
    expect(await page.locator('#evidence-table tbody tr[data-kind="equivocation"]').textContent()).toContain('mallory')
    await saveScreenshot(page, 'dashboard-loaded')
  })

  it('shows a workload applied at the site without reloading the page', async () => {
    const { page } = browser
    await page.evaluate(() => { (window as unknown as { stayed: boolean }).stayed = true })
    await page.locator('#workloads').scrollIntoViewIfNeeded()
    await site.putObject(deployment('checkout', { namespace: 'shop', replicas: 2 }))
    await page.locator('#workloads-table tbody tr[data-key="apps/Deployment/shop/checkout"]').waitFor(WAIT)
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true)
    await expect.poll(async () => await page.locator('#overview-cards').textContent(), WAIT).toContain('6')
  })

  it('searches workloads on the server and opens one with its explanation', async () => {
    const { page } = browser
    await page.fill('#wl-q', 'ledger')
    await expect.poll(() => page.locator('#workloads-table tbody tr').count(), WAIT).toBe(1)
    expect(page.url()).toContain('q=ledger')
    await page.click('#workloads-table tbody tr[data-key="apps/Deployment/finance/ledger"] button')
    await page.locator('#detail[open] pre[data-part="explain"]').waitFor(WAIT)
    expect(await page.locator('#detail').textContent()).toContain('regions: eu-west')
    await page.keyboard.press('Escape')
    await page.locator('#detail:not([open])').waitFor({ state: 'attached', ...WAIT })
    await page.fill('#wl-q', '')
    await expect.poll(() => page.locator('#workloads-table tbody tr').count(), WAIT).toBe(6)
  })

  it('shows a failover: the failed site, and the failure and migration in the timeline', async () => {
    const { page } = browser
    await page.evaluate(() => window.scrollTo(0, 0))
    site.failSite('us-east')
    await page.locator('.site-card[data-site="us-east"][data-health="failed"]').waitFor(WAIT)
    await page.locator('#timeline').scrollIntoViewIfNeeded()
    await page.locator('#timeline-list li[data-kind="migration"]').waitFor(WAIT)
    const kinds = await page.locator('#timeline-list > li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['kind']))
    expect(kinds.slice(0, 2)).toEqual(['migration', 'site-failed'])
    expect(await page.locator('#timeline-list li[data-kind="migration"]').textContent()).toContain('moved 3 workloads')
    await page.evaluate(() => window.scrollTo(0, 0))
    const path = await saveScreenshot(page, 'dashboard-failover')
    expect(statSync(path).size).toBeGreaterThan(20_000)
    expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true)
  })

  it('logged no errors and broke no Content-Security-Policy rule', () => {
    expect(problems).toEqual([])
  })
})
