/**
 * Dashboard benchmark, in Debian's headless Chromium (playwright-core) against the
 * dashboard server over HTTP on 127.0.0.1, serving the in-memory site the UI tests use
 * (test/ui/support/dashboard-site.ts) with a view of 50 sites, 100 clusters and 10,000
 * workloads with bindings and shares.
 * - dashboard_load_ms_10k: first render — from navigation start until the workloads
 *   table shows rows (the page's own `workloads-rendered` mark) — median of several
 *   loads with the browser cache disabled. Baseline, same run: the same page with
 *   100 workloads and three sites.
 * - dashboard_update_ms_10k: from a workload applied at the site until its row shows in
 *   the open page (live notice, refetch of the visible sections, render), median of
 *   changes spaced wider than the notice interval (a burst is coalesced into one notice).
 * - workloads_search_ms_10k: one search over the 10,000 (`/ui/api/workloads?q=…`),
 *   server side, median. Baseline: the unfiltered first page.
 */
import { performance } from 'node:perf_hooks'
import type { Page } from 'playwright-core'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createDashboardServer, type DashboardServer } from '../../src/ui/index.ts'
import { deployment } from '../../test/api/support/manifests.ts'
import { chromiumAvailable, CHROMIUM, launchChromium, saveScreenshot, type Browser } from '../../test/ui/support/browser.ts'
import { createDashboardSite, type DashboardSite } from '../../test/ui/support/dashboard-site.ts'

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

interface Loads { marks: number[], walls: number[] }

/** Loads the page `runs` times with the cache disabled; ms from navigation start to the first rows. */
async function loadTimes (page: Page, url: string, runs: number): Promise<Loads> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
  const marks: number[] = []
  const walls: number[] = []
  for (let i = 0; i < runs; i++) {
    await page.goto('about:blank')
    const t0 = performance.now()
    await page.goto(url, { waitUntil: 'commit' })
    await page.locator('#workloads-table tbody tr[data-key]').first().waitFor({ timeout: 30_000 })
    walls.push(performance.now() - t0)
    const mark = await page.evaluate(() => performance.getEntriesByName('workloads-rendered')[0]?.startTime)
    if (typeof mark !== 'number') throw new Error('the page rendered rows without its workloads-rendered mark')
    marks.push(mark)
  }
  await cdp.detach()
  return { marks, walls }
}

async function serve (site: DashboardSite): Promise<DashboardServer> {
  const server = createDashboardServer({ site, listen: '127.0.0.1:0', logger: silentLogger })
  await server.start()
  // Let the server finish indexing the view before the browser arrives, as on a running site.
  await new Promise((resolve) => setTimeout(resolve, 50))
  return server
}

/** The suite's metrics; `start` may call this too. */
export async function dashboardMetrics (args: readonly string[]): Promise<BenchMetric[]> {
  if (!chromiumAvailable()) throw new Error(`the dashboard benchmark needs Chromium at ${CHROMIUM} (apt-get install chromium)`)
  const quick = args.includes('--quick')
  const runs = quick ? 3 : 7
  const big = createDashboardSite()
  const tBulk = performance.now()
  big.bulk(10_000 - 5, 47)
  const bulkMs = performance.now() - tBulk
  const small = createDashboardSite()
  small.bulk(100 - 5)
  const bigServer = await serve(big)
  const smallServer = await serve(small)
  let browser: Browser | undefined
  try {
    browser = await launchChromium({ width: 1440, height: 1000 })
    const { page } = browser
    // The first navigation of a new browser pays for its own start-up; measure it apart.
    const firstBig = await loadTimes(page, bigServer.url, 1)
    const bigLoads = await loadTimes(page, bigServer.url, runs)
    const smallLoads = await loadTimes(page, smallServer.url, runs)
    if (args.includes('--screenshot')) await saveScreenshot(page, 'bench-dashboard-100')

    // Live update: a new workload that sorts onto the first page, applied at the site.
    await page.goto(bigServer.url)
    await page.locator('#workloads-table tbody tr[data-key]').first().waitFor({ timeout: 30_000 })
    await page.locator('#workloads').scrollIntoViewIfNeeded()
    const updates: number[] = []
    for (let i = 0; i < runs; i++) {
      // Apart by more than the notice interval (250 ms), so each change is measured alone, not coalesced.
      await new Promise((resolve) => setTimeout(resolve, 400))
      const t0 = performance.now()
      await big.putObject(deployment(`aaa-live-${i}`, { namespace: 'aaa', replicas: 1 }))
      await page.locator(`#workloads-table tbody tr[data-key="apps/Deployment/aaa/aaa-live-${i}"]`).waitFor({ timeout: 30_000 })
      updates.push(performance.now() - t0)
    }
    if (args.includes('--screenshot')) await saveScreenshot(page, 'bench-dashboard-10k')

    // Server-side search over the 10,000 rows, against the unfiltered first page.
    const timeFetch = async (path: string): Promise<number[]> => {
      const out: number[] = []
      for (let i = 0; i < runs + 1; i++) {
        const t0 = performance.now()
        const r = await fetch(new URL(path, bigServer.url))
        await r.json()
        if (i > 0) out.push(performance.now() - t0)
      }
      return out
    }
    const search = await timeFetch('/ui/api/workloads?q=team-7%20app-0&attention=1')
    const plain = await timeFetch('/ui/api/workloads')

    return [
      {
        name: 'dashboard_load_ms_10k', value: median(bigLoads.marks), unit: 'ms',
        baseline: { name: 'dashboard_load_ms_100', value: median(smallLoads.marks) },
        target: { op: '<=', value: 1500 },
        note: `navigation start to the first workload rows, cache disabled, median of ${runs} (max ${Math.max(...bigLoads.marks).toFixed(0)} ms; ` +
          `wall incl. CDP ${median(bigLoads.walls).toFixed(0)} ms); 50 sites, 100 clusters, 10,000 workloads; ` +
          `first navigation of a fresh browser ${(firstBig.marks[0] as number).toFixed(0)} ms; view built in ${bulkMs.toFixed(0)} ms`
      },
      {
        name: 'dashboard_update_ms_10k', value: median(updates), unit: 'ms',
        note: `workload applied at the site until its row shows in the open page (SSE notice, refetch, render), median of ${runs}, max ${Math.max(...updates).toFixed(0)} ms`
      },
      {
        name: 'workloads_search_ms_10k', value: median(search), unit: 'ms',
        baseline: { name: 'workloads_page_ms_10k', value: median(plain) },
        note: 'server-side search (two terms, degraded only) over 10,000 rows, one page of JSON, median'
      }
    ]
  } finally {
    await browser?.close()
    await bigServer.stop()
    await smallServer.stop()
  }
}

const suite: BenchSuite = {
  name: 'dashboard',
  description: 'Dashboard first render with 10,000 workloads in headless Chromium, live update latency, server-side search',
  run: dashboardMetrics
}

export default suite
