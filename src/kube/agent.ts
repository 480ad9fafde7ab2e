/**
 * Pull mode, cluster side: the agent that runs next to (or inside) a member cluster.
 * It long-polls its site for its own cluster's assignments, hands them to a local
 * `ClusterDriver` (in production the push driver against the local cluster, so apply,
 * prune and watch are the same machinery as push mode), and reports that driver's
 * observation back: soon after each change (debounced) and at least every `reportMs`
 * as a heartbeat. Every request is signed with the agent's own key; a site that refuses
 * the key (401/403) is logged loudly and retried slowly.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { ClusterDriver } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { createSigner, type KeyPair } from '../identity/keys.ts'
import { createAgentClient, type AgentClient } from './agent-client.ts'
import { assignmentsPath, assignmentsSchema, statusPath, type AgentReport } from './agent-protocol.ts'

export interface AgentOptions {
  /** The cluster's name at its site. */
  cluster: string
  /** The site's base URL (where its agent endpoint is mounted). */
  siteUrl: string
  keys: KeyPair
  /** The local cluster. */
  driver: ClusterDriver
  clock: Clock
  logger: Logger
  /** PEM of the CA of the site's certificate, for https. */
  ca?: string | Buffer
  /** How long the site may hold a poll. Default 20,000 ms. */
  pollWaitMs?: number
  /** Heartbeat report period. Default 5,000 ms. */
  reportMs?: number
  /** Delay gathering changes into one report. Default 100 ms. */
  reportDebounceMs?: number
  /** Ceiling of the retry backoff. Default 10,000 ms. */
  retryMaxMs?: number
  /** Nonce source (tests); default random. */
  nonce?: () => string
}

export interface AgentStatus {
  /** Revision of the assignments applied locally. */
  revision: string | undefined
  lastPullOk: boolean
  lastReportOk: boolean
  lastError: string | undefined
  pulls: number
  reports: number
}

export interface Agent {
  start (): Promise<void>
  stop (): Promise<void>
  status (): AgentStatus
}

/** The report of an observation; times become ages, since the site's clock is another. */
export function reportOf (driver: ClusterDriver, revision: string | undefined, nowMs: number): AgentReport {
  const obs = driver.observe()
  const report: AgentReport = { reachable: obs.reachable, nodes: obs.nodes, objects: [...obs.objects.values()], listed: obs.listed }
  if (revision !== undefined) report.revision = revision
  if (obs.lastError !== undefined) report.lastError = obs.lastError
  if (obs.lastContactMs !== undefined) report.contact = { id: obs.lastContactMs, ageMs: Math.max(0, nowMs - obs.lastContactMs) }
  return report
}

export function createAgent (options: AgentOptions): Agent {
  const { cluster, driver, clock } = options
  const logger = options.logger.child({ component: 'agent', cluster })
  const pollWaitMs = options.pollWaitMs ?? 20_000
  const reportMs = options.reportMs ?? 5_000
  const debounceMs = options.reportDebounceMs ?? 100
  const retryMaxMs = options.retryMaxMs ?? 10_000
  const client: AgentClient = createAgentClient({
    siteUrl: options.siteUrl, signer: createSigner(options.keys), clock,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce })
  })
  const status: AgentStatus = { revision: undefined, lastPullOk: false, lastReportOk: false, lastError: undefined, pulls: 0, reports: 0 }
  let running = false
  let pollFailures = 0
  let reportTimer: Timer | undefined
  let heartbeat: Timer | undefined
  let reporting = false
  let reportAgain = false
  let wakePoll: (() => void) | undefined
  let offChange: (() => void) | undefined
  let inflight = new AbortController()

  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = clock.setTimer(ms, () => { wakePoll = undefined; resolve() })
    wakePoll = () => { t.cancel(); wakePoll = undefined; resolve() }
  })

  function failed (what: string, message: string, refused: boolean): void {
    status.lastError = `${what}: ${message}`
    if (refused) logger.error({ what, err: message }, 'the site refused this agent; check clusters[].agentKey at the site and the key file here')
    else logger.warn({ what, err: message }, 'agent request failed; retrying')
  }

  async function pollLoop (): Promise<void> {
    while (running) {
      const after = status.revision === undefined ? '' : `?after=${encodeURIComponent(status.revision)}&waitMs=${pollWaitMs}`
      try {
        const res = await client.send('GET', `${assignmentsPath(cluster)}${after}`, undefined, pollWaitMs + 15_000, inflight.signal)
        if (!running) return
        if (res.status !== 200) {
          const body = res.body as { code?: string, message?: string } | undefined
          throw Object.assign(new Error(`HTTP ${res.status}${body?.message === undefined ? '' : `: ${body.message}`}`), {
            refused: res.status === 401 || res.status === 403,
            pending: res.status === 503 && body?.code === 'assignments-pending'
          })
        }
        const parsed = assignmentsSchema.safeParse(res.body)
        if (!parsed.success || parsed.data.cluster !== cluster) throw new Error('the site answered assignments that are malformed or for another cluster')
        status.pulls++
        status.lastPullOk = true
        pollFailures = 0
        if (parsed.data.revision !== status.revision) {
          driver.setDesired(parsed.data.objects as Parameters<ClusterDriver['setDesired']>[0])
          status.revision = parsed.data.revision
          logger.info({ revision: status.revision, objects: parsed.data.objects.length }, 'new assignments')
          scheduleReport(0)
        }
      } catch (e) {
        if (!running) return
        status.lastPullOk = false
        const refused = (e as { refused?: boolean }).refused === true
        if ((e as { pending?: boolean }).pending === true) {
          // The site is starting: what the cluster runs stays as it is until it decides.
          status.lastError = `pull assignments: ${(e as Error).message}`
          logger.info({ cluster }, 'the site has not decided this cluster\'s assignments yet; keeping what runs')
          await pause(Math.min(retryMaxMs, 1_000))
          continue
        }
        failed('pull assignments', (e as Error).message, refused)
        const ms = Math.min(retryMaxMs, 250 * 2 ** Math.min(pollFailures++, 16)) * (refused ? 4 : 1)
        await pause(Math.min(ms, retryMaxMs * 4))
      }
    }
  }

  function scheduleReport (delayMs: number): void {
    if (!running || reportTimer !== undefined) return
    reportTimer = clock.setTimer(delayMs, () => {
      reportTimer = undefined
      void sendReport()
    })
  }

  async function sendReport (): Promise<void> {
    if (!running) return
    if (reporting) { reportAgain = true; return }
    reporting = true
    try {
      const res = await client.send('POST', statusPath(cluster), reportOf(driver, status.revision, clock.monotonicMs()), 30_000, inflight.signal)
      if (res.status !== 200) {
        const body = res.body as { message?: string } | undefined
        failed('report status', `HTTP ${res.status}${body?.message === undefined ? '' : `: ${body.message}`}`, res.status === 401 || res.status === 403)
        status.lastReportOk = false
      } else {
        status.reports++
        status.lastReportOk = true
        const revision = (res.body as { revision?: unknown } | undefined)?.revision
        // The site has newer assignments than the poll has brought: make the poll look now.
        if (typeof revision === 'string' && revision !== status.revision && pollFailures > 0) wakePoll?.()
      }
    } catch (e) {
      status.lastReportOk = false
      failed('report status', (e as Error).message, false)
    } finally {
      reporting = false
      if (reportAgain && running) { reportAgain = false; scheduleReport(debounceMs) }
    }
  }

  function scheduleHeartbeat (): void {
    heartbeat = clock.setTimer(reportMs, () => {
      if (!running) return
      void sendReport()
      scheduleHeartbeat()
    })
  }

  return {
    async start () {
      if (running) return
      running = true
      inflight = new AbortController()
      await driver.start()
      offChange = driver.onChange(() => scheduleReport(debounceMs))
      scheduleHeartbeat()
      void pollLoop()
      scheduleReport(0)
    },
    async stop () {
      if (!running) return
      running = false
      offChange?.()
      heartbeat?.cancel()
      reportTimer?.cancel()
      reportTimer = undefined
      wakePoll?.()
      inflight.abort()
      await driver.stop()
    },
    status: () => ({ ...status })
  }
}
