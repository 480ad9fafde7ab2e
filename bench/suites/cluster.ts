/**
 * Member-cluster drivers against the cluster emulator (sim/kube) over HTTP on 127.0.0.1.
 * - apply_1000_s: the push driver brings 1,000 Deployments (1 replica each) to Ready on
 *   one emulated cluster (10 nodes, ready delay 0): from setDesired to the driver's
 *   observation showing all 1,000 Ready. Baseline, same run: the same objects applied
 *   with plain sequential client-node server-side applies, then a list poll until all are
 *   Ready (no ownership checks, no watches).
 * - status_latency_p99_ms: the figure, end to end through the real code: a
 *   one-site federation (the site core, `createSite`, on the system clock, in-memory
 *   storage, no peers; bench/lib/cluster-site.ts) whose cluster is the push driver
 *   against the emulator (ready delay 300 ms). The Deployments are applied through the
 *   site, which places them with a PropagationPolicy and hands them to the driver. Per
 *   Deployment: from its pod's Ready commit in the emulator's model to the store's change
 *   notification after which the site's own document shows the share status with that
 *   ready replica. The site ticks ~50 ms after a driver change (`scheduleSoon`), or
 *   after the tick in progress, whose cost grows with the number of workloads.
 *   Baseline, same run: status_observe_p99_ms, pod Ready to the push driver's change
 *   notification reporting it (the part before the site's tick), so the ratio is what the
 *   site adds on the way to its document.
 * - status_latency_pull_p99_ms: the same end-to-end figure through pull mode: the agent
 *   (with its own push driver, in a worker thread as it would be its own process) reports
 *   over signed HTTP to the site's agent endpoint and pull driver; the agent's default
 *   100 ms report debounce applies. Baseline, same run: status_observe_pull_p99_ms, pod
 *   Ready to the site's pull driver reporting it.
 * The emulator, the site and its drivers share one event loop, so a long site tick also
 * delays the emulator and the push driver (and the endpoint taking the agent's reports). `--quick` uses 200 Deployments
 * for the apply figure and 100 for the latencies (200 otherwise).
 */
import { performance } from 'node:perf_hooks'
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { workloadKey } from '../../src/model/kube.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import type { ClusterDriver, DesiredObject } from '../../src/ports/cluster-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createPushDriver } from '../../src/kube/push-driver.ts'
import { createPullDriver } from '../../src/kube/pull-driver.ts'
import { createAgentEndpoint } from '../../src/kube/agent-endpoint.ts'
import { keyPairFromSeed, toHex } from '../../src/identity/keys.ts'
import { startAgentWorker } from '../lib/cluster-agent-worker.ts'
import { BENCH_CLUSTER, deploymentPolicy, startBenchSite, untilClusterReady, watchShareReady } from '../lib/cluster-site.ts'
import { mustResource, startKubeEmulator, uniformNodes, type KubeEmulator, type StoreEvent } from '../../sim/kube/index.ts'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const PODS = mustResource('v1', 'Pod')
const clock = createSystemClock()

function deployment (name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'nginx:1.27', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } }
    }
  }
}

function desiredSet (n: number, prefix: string): DesiredObject[] {
  return Array.from({ length: n }, (_, i) => {
    const object = deployment(`${prefix}-${i}`)
    return { key: workloadKey(object), object, generation: 1 }
  })
}

function emulator (pods: number, readyDelayMs: number): Promise<KubeEmulator> {
  return startKubeEmulator({ adminPort: false, readyDelayMs, nodes: uniformNodes({ count: 10, pods, cpu: 64, memory: '256Gi' }), bookmarkIntervalMs: 5_000 })
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms) })
}

function percentile (samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number
}

/** Resolves when `driver` reports every object of `set` Ready; polls its observation. */
async function allReady (driver: ClusterDriver, n: number, budgetMs: number): Promise<void> {
  const deadline = performance.now() + budgetMs
  for (;;) {
    let ready = 0
    for (const o of driver.observe().objects.values()) if (o.ready >= 1 && o.error === undefined) ready++
    if (ready >= n) return
    if (performance.now() > deadline) throw new Error(`only ${ready} of ${n} Deployments Ready after ${budgetMs} ms`)
    await sleep(10)
  }
}

async function pushApplySeconds (n: number): Promise<{ seconds: number, applies: number }> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 0)
  const driver = createPushDriver({ name: 'bench', kubeconfig: { yaml: emu.kubeconfig }, clock, logger: silentLogger })
  try {
    const set = desiredSet(n, 'app')
    const t0 = performance.now()
    await driver.start()
    driver.setDesired(set)
    await allReady(driver, n, 120_000)
    const seconds = (performance.now() - t0) / 1000
    const s = driver.stats()
    return { seconds, applies: s.applies }
  } finally {
    await driver.stop()
    await emu.close()
  }
}

async function sequentialClientNodeSeconds (n: number): Promise<number> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 0)
  try {
    const kc = new KubeConfig()
    kc.loadFromString(emu.kubeconfig)
    const api = KubernetesObjectApi.makeApiClient(kc)
    const t0 = performance.now()
    for (const d of desiredSet(n, 'app')) {
      await api.patch(d.object as KubernetesObject, undefined, undefined, 'bench', true, PatchStrategy.ServerSideApply)
    }
    for (;;) {
      const list = await api.list('apps/v1', 'Deployment', 'default')
      const ready = list.items.filter((d) => ((d as { status?: { readyReplicas?: number } }).status?.readyReplicas ?? 0) >= 1).length
      if (ready >= n) break
      await sleep(100)
    }
    return (performance.now() - t0) / 1000
  } finally {
    await emu.close()
  }
}

interface StatusSamples {
  /** Pod Ready in the emulator -> the share status with ready replicas in the site document. */
  doc: number[]
  /** Pod Ready in the emulator -> the site's cluster driver reporting the ready replica. */
  observe: number[]
  /** Controller ticks the site ran while the workloads came up. */
  ticks: number
}

interface SiteRunHooks {
  /** After the site (and so its driver) started: the pull-mode agent starts here. */
  afterStart?: () => Promise<void>
  /** Before the site stops: the agent stops first, so it never reports to a stopped driver. */
  beforeStop?: () => Promise<void>
}

/**
 * Runs a one-site federation whose cluster is `driver`, applies `n` Deployments through
 * the site (as its API would) and times, per Deployment, its pod's Ready commit in the
 * emulator's model against the driver's observation and against the site document.
 */
async function siteStatusLatencies (emu: KubeEmulator, driver: ClusterDriver, mode: 'push' | 'pull', n: number, hooks: SiteRunHooks = {}): Promise<StatusSamples> {
  const objects = Array.from({ length: n }, (_, i) => deployment(`lat-${i}`))
  const keys = objects.map((o) => workloadKey(o))
  const podReadyAt = new Map<string, number>()
  const off = emu.model.onChange((e: StoreEvent) => {
    if (e.resource !== PODS || e.type !== 'MODIFIED') return
    const ready = (o: KubeObject | undefined): boolean => ((o?.status?.['conditions'] ?? []) as Array<{ type: string, status: string }>).some((c) => c.type === 'Ready' && c.status === 'True')
    if (ready(e.object) && !ready(e.previous)) {
      const app = e.object.metadata.labels?.['app']
      if (app !== undefined && !podReadyAt.has(app)) podReadyAt.set(app, performance.now())
    }
  })
  const observedAt = new Map<string, number>()
  const offDriver = driver.onChange(() => {
    const now = performance.now()
    for (const o of driver.observe().objects.values()) {
      if (o.ready >= 1 && !observedAt.has(o.key)) observedAt.set(o.key, now)
    }
  })
  const inDocAt = new Map<string, number>()
  const site = await startBenchSite({ driver, mode, clock })
  const offDoc = watchShareReady(site, driver, keys, (key, at) => { inDocAt.set(key, at) })
  try {
    await hooks.afterStart?.()
    await untilClusterReady(site, driver.name, 30_000)
    await site.putObject(deploymentPolicy('default'))
    for (const o of objects) await site.putObject(o)
    const deadline = performance.now() + 90_000
    while (inDocAt.size < n) {
      if (performance.now() > deadline) throw new Error(`only ${inDocAt.size} of ${n} share statuses Ready in the site document after 90 s (${podReadyAt.size} pods Ready in the emulator)`)
      await sleep(20)
    }
    const ticks = site.metrics?.().controllers.ticks ?? 0
    const out: StatusSamples = { doc: [], observe: [], ticks }
    objects.forEach((o, i) => {
      const t = podReadyAt.get(o.metadata.name)
      const d = inDocAt.get(keys[i]!)
      const s = observedAt.get(keys[i]!)
      if (t === undefined) return
      if (d !== undefined) out.doc.push(d - t)
      if (s !== undefined) out.observe.push(s - t)
    })
    if (out.doc.length < n * 0.9 || out.observe.length < n * 0.9) throw new Error(`measured only ${out.doc.length} (document) and ${out.observe.length} (driver) of ${n} latencies`)
    return out
  } finally {
    off()
    offDriver()
    offDoc()
    try { await hooks.beforeStop?.() } finally { await site.stop() }
  }
}

interface LatencyFigures { p99: number, p50: number, max: number, observeP99: number, observeP50: number, samples: number, ticks: number }

function figures (s: StatusSamples): LatencyFigures {
  return {
    p99: percentile(s.doc, 0.99), p50: percentile(s.doc, 0.5), max: Math.max(...s.doc),
    observeP99: percentile(s.observe, 0.99), observeP50: percentile(s.observe, 0.5), samples: s.doc.length, ticks: s.ticks
  }
}

async function pushStatus (n: number): Promise<LatencyFigures> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 300)
  const driver = createPushDriver({ name: BENCH_CLUSTER, kubeconfig: { yaml: emu.kubeconfig }, clock, logger: silentLogger })
  try {
    return figures(await siteStatusLatencies(emu, driver, 'push', n))
  } finally {
    await emu.close()
  }
}

async function pullStatus (n: number): Promise<LatencyFigures> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 300)
  const seed = new Uint8Array(32).fill(9)
  const siteDriver = createPullDriver({ name: BENCH_CLUSTER, clock, logger: silentLogger })
  const endpoint = createAgentEndpoint({ clusters: [{ name: BENCH_CLUSTER, agentKey: toHex(keyPairFromSeed(seed).publicKey), driver: siteDriver }], clock, logger: silentLogger })
  const server = createServer((req, res) => { if (!endpoint(req, res)) { res.writeHead(404); res.end() } })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let agent: { stop: () => Promise<void> } | undefined
  try {
    return figures(await siteStatusLatencies(emu, siteDriver, 'pull', n, {
      afterStart: async () => { agent = await startAgentWorker({ cluster: BENCH_CLUSTER, siteUrl, seed, kubeconfig: emu.kubeconfig }) },
      beforeStop: async () => { await agent?.stop() }
    }))
  } finally {
    endpoint.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await emu.close()
  }
}

const suite: BenchSuite = {
  name: 'cluster',
  description: 'member-cluster drivers against the emulator over HTTP: applying 1,000 Deployments; status latency from pod Ready to the site document (push and pull)',
  async run (args) {
    const quick = args.includes('--quick')
    const n = quick ? 200 : 1000
    const latencyN = quick ? 100 : 200
    const push = await pushApplySeconds(n)
    const baseline = await sequentialClientNodeSeconds(n)
    const pushLatency = await pushStatus(latencyN)
    const pullLatency = await pullStatus(latencyN)
    const metrics: BenchMetric[] = [
      {
        name: quick ? 'apply_200_s' : 'apply_1000_s', value: push.seconds, unit: 's',
        baseline: { name: 'sequential_client_node_s', value: baseline },
        ...(quick ? {} : { target: { op: '<=' as const, value: 20 } }),
        note: `${n} Deployments to Ready on 10 emulated nodes, ready delay 0; ${push.applies} applies, 16 in flight`
      },
      {
        name: 'status_latency_p99_ms', value: pushLatency.p99, unit: 'ms',
        baseline: { name: 'status_observe_p99_ms', value: pushLatency.observeP99 },
        target: { op: '<=', value: 500 },
        note: `push: pod Ready in the emulator -> share status with the ready replica in the site's own document (store change notification), through the real site core and push driver, all in one process; ${pushLatency.samples} Deployments applied through the site, ready delay 300 ms; p50 ${pushLatency.p50.toFixed(1)} ms, max ${pushLatency.max.toFixed(1)} ms; the site ticks ~50 ms after a driver change (or after the tick in progress), tickMs 1,000 otherwise: ${pushLatency.ticks} ticks in the run. Baseline: pod Ready -> the push driver's observation (its change notification), before the site's tick (p50 ${pushLatency.observeP50.toFixed(1)} ms)`
      },
      {
        name: 'status_latency_pull_p99_ms', value: pullLatency.p99, unit: 'ms',
        baseline: { name: 'status_observe_pull_p99_ms', value: pullLatency.observeP99 },
        target: { op: '<=', value: 500 },
        note: `pull: pod Ready -> agent (worker thread) signed report -> site pull driver -> share status in the site document; ${pullLatency.samples} Deployments; p50 ${pullLatency.p50.toFixed(1)} ms, max ${pullLatency.max.toFixed(1)} ms; includes the agent's 100 ms report debounce and the site's ~50 ms tick delay; ${pullLatency.ticks} ticks in the run. Baseline: pod Ready -> the site's pull driver reporting it, before the site's tick (p50 ${pullLatency.observeP50.toFixed(1)} ms)`
      }
    ]
    return metrics
  }
}

export default suite
