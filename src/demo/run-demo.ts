/**
 * `startDemo`: the whole of `npm start` up to "Ready everywhere", used unchanged by the
 * `demo` command, its test and the start benchmark. In order: the layout (ports from
 * one base port, remembered between runs), a check that every port is free, the sites
 * on disk (created once, then resumed), the emulated member clusters in this process,
 * one site process per site, then the milestones — sites up, peers connected, clusters
 * Ready, sample deployed (idempotently), sample Ready in all placements at every site —
 * and the banner. Whatever fails on the way stops what was started. Signals are the
 * caller's business: `stop()` ends everything cleanly.
 */
import { access } from 'node:fs/promises'
import { resolve } from 'node:path'
import { FlotillaError } from '../model/errors.ts'
import { renderBanner, renderSiteExit } from './banner.ts'
import { deploySample, type DeployReport } from './deploy-sample.ts'
import { startDemoClusters, type DemoClusters } from './emulators.ts'
import { clustersReady, peersConnected } from './federation-checks.ts'
import { adminKubeconfig, DEFAULT_BASE_PORT, demoLayout, lastPort, type DemoLayout, type DemoLayoutOptions } from './layout.ts'
import { pollUntil } from './poll.ts'
import { assertPortsFree } from './port-check.ts'
import { createProgress } from './progress.ts'
import { waitForSampleReady, type SampleReadiness } from './readiness.ts'
import { sampleObjects } from './sample.ts'
import { createDemoClients, type DemoClients } from './site-clients.ts'
import { recordedBasePort, prepareDemoSites } from './site-configs.ts'
import { createSupervisor, describeExit, type ExitInfo, type StopReport, type SupervisedSite, type Supervisor } from './supervisor.ts'

export interface DemoTimeouts {
  sitesMs: number
  peersMs: number
  clustersMs: number
  sampleMs: number
}

export const DEFAULT_TIMEOUTS: DemoTimeouts = { sitesMs: 60_000, peersMs: 60_000, clustersMs: 60_000, sampleMs: 120_000 }

export interface DemoOptions {
  /** The demo directory (default `.flotilla` under `cwd`). */
  dir?: string
  /** Default: the one recorded by the previous run in `dir`, else 7400. */
  basePort?: number
  readyDelayMs?: number
  /** Failover timings for every site; unset keeps the documented defaults. */
  failover?: DemoLayoutOptions['failover']
  /** Where progress, the banner and notices go. */
  out: (text: string) => void
  /** Redraw progress lines in place (a terminal). */
  live?: boolean
  cwd?: string
  timeouts?: Partial<DemoTimeouts>
  /** Aborting stops the start-up (Ctrl-C while starting). */
  signal?: AbortSignal
  /** Called (after the notice is printed) when a site process ends on its own once the demo is up. */
  onSiteExit?: (site: SupervisedSite, info: ExitInfo) => void
}

export interface DemoSiteInfo {
  id: string
  pid: number
  peerId: string
  dashboardUrl: string
  apiUrl: string
  kubeconfig: string
  configPath: string
  logPath: string
}

export interface RunningDemo {
  layout: DemoLayout
  /** Whether the sites already existed on disk (a resumed run). */
  resumed: boolean
  sites: DemoSiteInfo[]
  deploy: DeployReport
  readiness: SampleReadiness
  /** Milliseconds from the call to the sample Ready everywhere. */
  readyMs: number
  clients: DemoClients
  clusters: DemoClusters
  supervisor: Supervisor
  /** Stops every site process (SIGTERM, then SIGKILL after the grace), the clusters and the clients. */
  stop (): Promise<StopReport>
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function abortable<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new Error('aborted')) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}

export async function startDemo (options: DemoOptions): Promise<RunningDemo> {
  const t0 = performance.now()
  const cwd = options.cwd ?? process.cwd()
  const dir = resolve(cwd, options.dir ?? '.flotilla')
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts }
  const layoutOptions: DemoLayoutOptions = { dir, basePort: options.basePort ?? await recordedBasePort(resolve(dir, 'demo.json')) ?? DEFAULT_BASE_PORT }
  if (options.readyDelayMs !== undefined) layoutOptions.readyDelayMs = options.readyDelayMs
  if (options.failover !== undefined) layoutOptions.failover = options.failover
  const layout = demoLayout(layoutOptions)
  const resumed = await access(layout.sites[0]!.configPath).then(() => true, () => false)
  const progress = createProgress({ write: options.out, live: options.live === true, elapsedMs: () => performance.now() - t0 })
  progress.line(`${resumed ? 'Resuming' : 'Starting'} the Flotilla demo in ${dir}: ${layout.sites.length} sites on ${layout.host}, ports ${layout.basePort}–${lastPort(layout.basePort)}`)

  await assertPortsFree(layout)
  await progress.step('sites on disk', async () => {
    await prepareDemoSites(layout)
    return { value: undefined, detail: resumed ? `${layout.sites.length} sites resumed from ${dir}` : `${layout.sites.length} sites created: keys, configs, certificates and kubeconfigs` }
  })

  // A site that dies while the demo starts ends the start-up: waiting on would only time out.
  const startup = new AbortController()
  const abortStartup = (): void => { startup.abort() }
  options.signal?.addEventListener('abort', abortStartup, { once: true })
  // A Ctrl-C while the sites were written to disk came before this listener.
  if (options.signal?.aborted === true) startup.abort()
  let up = false
  let died: { site: SupervisedSite, info: ExitInfo } | undefined
  const supervisor = createSupervisor({
    onUnexpectedExit: (site, info) => {
      if (!up) { died = { site, info }; startup.abort(); return }
      progress.line(renderSiteExit(layout, site, describeExit(info), cwd))
      options.onSiteExit?.(site, info)
    }
  })
  const clients = createDemoClients(layout)
  let clusters: DemoClusters | undefined
  const stopAll = async (): Promise<StopReport> => {
    const report = await supervisor.stop()
    await clusters?.close()
    clients.close()
    return report
  }
  const checkAborted = (): void => {
    if (died !== undefined) {
      throw new FlotillaError('internal', `site ${died.site.id} (pid ${died.site.pid}) exited while the demo was starting (${describeExit(died.info)})`,
        `See its log: ${died.site.logPath}`)
    }
    if (options.signal?.aborted === true) throw new FlotillaError('timed-out', 'the demo was stopped while it was starting', 'Run `npm start` again; it resumes from disk.')
  }
  const wait = { signal: startup.signal }

  try {
    checkAborted()
    clusters = await startDemoClusters(layout)
    const started = layout.sites.map((s) => supervisor.start({ id: s.id, configPath: s.configPath, logPath: s.logPath }))
    const ready = await progress.step('sites up', async (update) => {
      const serving = new Set<string>()
      for (const s of started) void s.ready.then(() => { serving.add(s.id); update(`${serving.size} of ${started.length} site processes serving`) }, () => undefined)
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          const waiting = started.filter((s) => !serving.has(s.id))
          reject(new FlotillaError('timed-out', `gave up waiting for ${waiting.map((s) => s.id).join(', ')} to start after ${Math.round(timeouts.sitesMs / 1000)} s`,
            `See ${waiting.map((s) => s.logPath).join(', ')}.`))
        }, timeouts.sitesMs)
      })
      try {
        const all = await abortable(Promise.race([Promise.all(started.map((s) => s.ready)), late]), startup.signal)
        checkAborted()
        return { value: all, detail: started.map((s) => `${s.id} (pid ${s.pid})`).join(', ') }
      } finally {
        clearTimeout(timer)
      }
    })
    await progress.step('peers connected', async (update) => {
      const seen = await pollUntil(() => peersConnected(layout, clients), { what: 'the sites to connect to each other', timeoutMs: timeouts.peersMs, onDetail: update, ...wait })
      return { value: undefined, detail: seen.detail }
    })
    checkAborted()
    await progress.step('clusters Ready', async (update) => {
      const seen = await pollUntil(() => clustersReady(layout, clients), { what: 'the member clusters to be Ready', timeoutMs: timeouts.clustersMs, onDetail: update, ...wait })
      return { value: undefined, detail: seen.detail }
    })
    checkAborted()
    const origin = layout.sites.find((s) => s.id === layout.originSite)!
    const objects = sampleObjects({ region: origin.region })
    const deploy = await progress.step('sample deployed', async () => {
      const report = await deploySample(await clients.get(origin.id), objects)
      const detail = report.applied.length === 0
        ? `already there (${report.present.length} objects at ${origin.id}), nothing applied`
        : `${report.applied.length} objects applied at ${origin.id}${report.present.length > 0 ? `, ${report.present.length} already there` : ''}`
      return { value: report, detail }
    })
    checkAborted()
    const readiness = await progress.step('sample Ready', async (update) => {
      const r = await waitForSampleReady({ layout, clients, objects, timeoutMs: timeouts.sampleMs, onProgress: update, ...wait })
      return { value: r, detail: `${r.summary} (web: ${r.objects.find((o) => o.label === 'deployment.apps/web' && o.site === origin.id)?.detail ?? '?'})` }
    })
    checkAborted()
    up = true
    const readyMs = performance.now() - t0
    const sites: DemoSiteInfo[] = layout.sites.map((s, i) => ({
      id: s.id,
      pid: started[i]!.pid,
      peerId: ready[i]!.peerId,
      dashboardUrl: ready[i]!.dashboardUrl ?? `http://${layout.host}:${s.ports.dashboard}/`,
      apiUrl: ready[i]!.apiUrl ?? `https://${layout.host}:${s.ports.api}`,
      kubeconfig: adminKubeconfig(s),
      configPath: s.configPath,
      logPath: s.logPath
    }))
    progress.line(renderBanner({ layout, sites, readyMs, cwd }))
    return { layout, resumed, sites, deploy, readiness, readyMs, clients, clusters, supervisor, stop: stopAll }
  } catch (e) {
    await stopAll()
    checkAborted()
    throw e
  } finally {
    options.signal?.removeEventListener('abort', abortStartup)
  }
}
