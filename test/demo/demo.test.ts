/**
 * `npm start` end to end, through `startDemo` — the function the `demo` command runs —
 * into a temporary directory on free ports, with short failover timings: three site
 * processes with their emulated clusters come up and the sample is Ready in all its
 * placements at every site; the output names the dashboards, working kubectl commands
 * and how to kill a site; the local-only record stays at its site (the auditor's scan of
 * every replicated document finds no strong mark of it); every dashboard serves the
 * federation; a SIGKILLed site is reported and its failover shows on another site's
 * dashboard (in Chromium too, with a screenshot under artifacts/); a stop leaves no
 * process behind, and a restart resumes with the same identities and without
 * re-creating the sample.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type RunningDemo } from '../../src/demo/run-demo.ts'
import { hasKubectl, KUBECTL } from '../support/kubectl-path.ts'
import { judgeStatus } from '../../src/demo/readiness.ts'
import type { FlotillaStatus } from '../../src/api/render.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import type { EventsJson, SitesJson, SummaryJson, WorkloadsJson } from '../../src/ui/dashboard-types.ts'
import { chromiumAvailable, launchChromium, saveScreenshot } from '../ui/support/browser.ts'
import { eventually } from '../support/processes.ts'
import { freeBasePort } from './free-base-port.ts'
import { fetchCompliance } from '../../src/cli/client/flotilla-api.ts'
import { loadSiteConnection } from '../../src/cli/client/kubeconfig.ts'
import { createSiteClient } from '../../src/cli/client/site-client.ts'

// Short enough for a quick failover, long enough that sites starting seconds apart on a
// busy machine do not judge each other failed at start-up; a short stabilisation window
// so a fail-back after such a start does not hold the restart for the default 30 s.
const FAILOVER = { heartbeatMs: 1000, suspectMs: 4000, failMs: 8000, stabilizationMs: 5000 }
const WEB = '/apis/apps/v1/namespaces/shop/deployments/web'

let root: string
let dir: string
let basePort: number
let demo: RunningDemo | undefined
let output = ''
const exits: string[] = []

async function json<T> (url: string): Promise<T> {
  const r = await fetch(url)
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`)
  return await r.json() as T
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

async function start (): Promise<RunningDemo> {
  output = ''
  return await startDemo({
    dir, basePort, failover: FAILOVER, readyDelayMs: 200, cwd: root,
    out: (t) => { output += t },
    onSiteExit: (site) => { exits.push(site.id) },
    timeouts: { sitesMs: 90_000, sampleMs: 90_000 }
  })
}

async function webAt (d: RunningDemo, site: string): Promise<KubeObject> {
  return await (await d.clients.get(site)).get<KubeObject>(WEB)
}

beforeAll(async () => {
  // As a user's checkout: the demo directory is .flotilla under the working directory.
  root = await mkdtemp(join(tmpdir(), 'flotilla-demo-'))
  dir = join(root, '.flotilla')
  basePort = await freeBasePort()
  demo = await start()
}, 150_000)

afterAll(async () => {
  await demo?.stop()
  await rm(root, { recursive: true, force: true })
}, 30_000)

describe('npm start (flotilla demo)', () => {
  it('runs three sites whose sample application is Ready in all its placements at every site', () => {
    const d = demo!
    expect(d.resumed).toBe(false)
    expect(d.sites.map((s) => s.id)).toEqual(['eu-west', 'ap-southeast', 'us-east'])
    expect(d.deploy.applied).toHaveLength(8)
    expect(d.readiness.ready).toBe(true)
    const rows = (label: string): Array<{ site: string, clusters: string[] }> => d.readiness.objects
      .filter((o) => o.label === label)
      .map((o) => ({ site: o.site, clusters: o.placement.filter((p) => p.replicas > 0).map((p) => `${p.cluster}=${p.ready}/${p.replicas}`) }))
    // Spread over the three regions, as every site sees it.
    for (const r of rows('deployment.apps/web')) expect(r.clusters).toEqual(['ap-southeast.main=2/2', 'eu-west.main=2/2', 'us-east.main=2/2'])
    // Region-restricted to eu-west, on its GPU cluster.
    for (const r of rows('deployment.apps/inference')) expect(r.clusters).toEqual(['eu-west.gpu=2/2'])
    // Local-only: placed at its origin only; the other sites do not have it.
    const records = d.readiness.objects.filter((o) => o.label === 'configmap/customer-records')
    expect(records.find((o) => o.site === 'eu-west')!.placement.map((p) => p.cluster)).toEqual(['eu-west.main'])
    expect(records.filter((o) => o.site !== 'eu-west').map((o) => o.detail)).toEqual(['absent (local-only elsewhere)', 'absent (local-only elsewhere)'])
    // Each site process has its own LevelDB directory.
    for (const s of d.layout.sites) expect(existsSync(join(s.dir, 'store'))).toBe(true)
  })

  it('prints progress, every dashboard URL, kubectl commands with the generated kubeconfigs, and how to kill a site', () => {
    const d = demo!
    for (const step of ['sites up', 'peers connected', 'clusters Ready', 'sample deployed', 'sample Ready']) expect(output).toMatch(new RegExp(`✓ ${step}`))
    for (const s of d.sites) {
      expect(output).toContain(s.dashboardUrl)
      expect(output).toContain(`pid ${s.pid}`)
    }
    // Paths print relative to the working directory and paste as they are.
    expect(output).toContain('kubectl --kubeconfig .flotilla/eu-west/pki/kubeconfigs/admin.yaml get deploy,svc,ing,cm -n shop')
    expect(output).toContain('npx flotilla get workloads --site ap-southeast')
    const usEast = d.sites.find((s) => s.id === 'us-east')!
    expect(output).toContain(`kill -9 ${usEast.pid}`)
    expect(output).toContain('npx flotilla site -c .flotilla/us-east/site.yaml')
  })

  it('keeps the local-only record at its site: the auditor\'s scan finds no strong mark of it in any replicated document', async () => {
    const d = demo!
    const auditor = createSiteClient(await loadSiteConnection(join(dir, 'eu-west', 'pki', 'kubeconfigs', 'auditor.yaml')), { timeoutMs: 10_000 })
    try {
      const report = await fetchCompliance(auditor)
      expect(report.localOnly.map((r) => `${r.namespace}/${r.name}`)).toEqual(['shop/customer-records'])
      expect(report.scan.available && report.scan.documents.map((x) => x.id)).toEqual(['site:ap-southeast', 'site:eu-west', 'site:us-east'])
      expect(report.scan.available && report.scan.strongFindings).toBe(0)
      expect(report.verdict).not.toBe('leak')
    } finally {
      auditor.close()
    }
    for (const s of d.sites.filter((x) => x.id !== 'eu-west')) {
      const text = JSON.stringify(await json<WorkloadsJson>(new URL('/ui/api/workloads?limit=500', s.dashboardUrl).href))
      expect(text).not.toContain('customer-records')
    }
  })

  it.skipIf(!hasKubectl)('prints kubectl commands that work as printed', () => {
    const line = output.split('\n').find((l) => l.trim().startsWith('kubectl --kubeconfig .flotilla/eu-west/pki/kubeconfigs/admin.yaml get deploy,svc'))!
    const args = line.trim().split(/\s+/).slice(1)
    const text = execFileSync(KUBECTL, args, { cwd: root, encoding: 'utf8', timeout: 20_000 })
    expect(text).toMatch(/deployment\.apps\/web\s+eu-west\s+ap-southeast\.main=2,eu-west\.main=2,us-east\.main=2\s+6\/6/)
    expect(text).toContain('configmap/customer-records')
  })

  it('serves every site\'s dashboard with the three sites, the clusters, the sample and metrics', async () => {
    for (const s of demo!.sites) {
      const page = await fetch(s.dashboardUrl)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<html')
      const summary = await json<SummaryJson>(new URL('/ui/api/summary', s.dashboardUrl).href)
      expect(summary.site.id).toBe(s.id)
      expect(summary.counts.sites).toBe(3)
      expect(summary.counts.clusters).toBe(6)
      const web = await json<WorkloadsJson>(new URL('/ui/api/workloads?q=web', s.dashboardUrl).href)
      const row = web.items.find((w) => w.key === 'apps/Deployment/shop/web')!
      expect(row.phase).toBe('Ready')
      expect(row.placement.map((p) => `${p.cluster} ${p.ready}/${p.planned}`)).toEqual(['ap-southeast.main 2/2', 'eu-west.main 2/2', 'us-east.main 2/2'])
      const metrics = await (await fetch(new URL('/metrics', s.dashboardUrl))).text()
      expect(metrics).toMatch(/^flotilla_/m)
    }
  })

  it('reports a SIGKILLed site, keeps the others running, and shows the failover on another site\'s dashboard', async () => {
    const d = demo!
    const victim = d.sites.find((s) => s.id === 'us-east')!
    const watcher = d.sites.find((s) => s.id === 'eu-west')!
    process.kill(victim.pid, 'SIGKILL')
    expect(await eventually(async () => exits.includes('us-east'), 10_000, 50)).toBe(true)
    expect(output).toContain(`! site us-east (pid ${victim.pid}) exited unexpectedly (killed by SIGKILL). The other 2 sites keep running.`)
    // The emulated clusters of the dead site stay up, as in a real site outage.
    expect(d.clusters.clusters.filter((c) => c.site === 'us-east').map((c) => c.emulator.model.nodes().length)).toEqual([3, 2])

    const base = watcher.dashboardUrl
    expect(await eventually(async () => {
      const sites = await json<SitesJson>(new URL('/ui/api/sites', base).href)
      return sites.items.find((s) => s.id === 'us-east')?.health === 'failed'
    }, 30_000)).toBe(true)
    expect(await eventually(async () => {
      const events = await json<EventsJson>(new URL('/ui/api/events?kind=migration', base).href)
      return events.items.some((e) => e.moved?.some((m) => m.workload === 'apps/Deployment/shop/web' && m.from.includes('us-east.main')))
    }, 30_000)).toBe(true)
    const failed = await json<EventsJson>(new URL('/ui/api/events?kind=site-failed', base).href)
    expect(failed.items.some((e) => e.subject === 'us-east')).toBe(true)
    // web keeps its six replicas, now on the two surviving regions, Ready.
    expect(await eventually(async () => {
      const f = (await webAt(d, 'eu-west')).status?.['flotilla'] as FlotillaStatus | undefined
      return judgeStatus(f).ready && f!.placement.filter((p) => p.replicas > 0).every((p) => !p.cluster.startsWith('us-east.'))
    }, 30_000)).toBe(true)
    // The region-restricted workload did not move.
    const inference = await (await d.clients.get('eu-west')).get<KubeObject>('/apis/apps/v1/namespaces/shop/deployments/inference')
    expect((inference.status?.['flotilla'] as FlotillaStatus).placement.map((p) => p.cluster)).toEqual(['eu-west.gpu'])
  }, 90_000)

  it.skipIf(!chromiumAvailable())('shows the failover in the dashboard in Chromium (screenshot saved)', async () => {
    const browser = await launchChromium({ width: 1440, height: 1000 })
    try {
      const { page } = browser
      page.setDefaultTimeout(20_000)
      await page.goto(demo!.sites.find((s) => s.id === 'eu-west')!.dashboardUrl)
      await page.locator('.site-card[data-site="us-east"][data-health="failed"]').waitFor()
      await page.locator('#timeline-list li[data-kind="migration"]').first().waitFor()
      await page.locator('#workloads-table tbody tr[data-key="apps/Deployment/shop/web"]').waitFor()
      const path = await saveScreenshot(page, 'demo-failover')
      expect(existsSync(path)).toBe(true)
    } finally {
      await browser.close()
    }
  }, 60_000)

  it('stops every process cleanly and resumes from disk with the same identities, re-creating nothing', async () => {
    const d = demo!
    const before = await webAt(d, 'eu-west')
    const pids = d.sites.map((s) => s.pid)
    const report = await d.stop()
    demo = undefined
    expect(report.clean).toEqual(['ap-southeast', 'eu-west'])
    expect(report.killed).toEqual([])
    for (const pid of pids) expect(alive(pid)).toBe(false)

    demo = await start()
    expect(demo.resumed).toBe(true)
    expect(demo.sites.map((s) => s.peerId)).toEqual(d.sites.map((s) => s.peerId))
    expect(demo.deploy).toEqual({ applied: [], present: d.deploy.applied })
    expect(output).toContain('already there (8 objects at eu-west), nothing applied')
    const after = await webAt(demo, 'eu-west')
    expect(after.metadata.uid).toBe(before.metadata.uid)
    expect(after.metadata.generation).toBe(before.metadata.generation)
    expect(after.metadata.creationTimestamp).toBe(before.metadata.creationTimestamp)
  }, 150_000)
})
