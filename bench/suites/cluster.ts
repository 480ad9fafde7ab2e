/**
 * Member-cluster drivers against the cluster emulator (sim/kube) over HTTP on 127.0.0.1.
 * - apply_1000_s: the push driver brings 1,000 Deployments (1 replica each) to Ready on
 *   one emulated cluster (10 nodes, ready delay 0): from setDesired to the driver's
 *   observation showing all 1,000 Ready. Baseline, same run: the same objects applied
 *   with plain sequential client-node server-side applies, then a list poll until all are
 *   Ready (no ownership checks, no watches).
 * - status_latency_p99_ms: from a pod turning Ready in the emulator (its commit in the
 *   cluster model) to the push driver's observation reporting the Deployment's ready
 *   replica (the onChange notification). The site writes the share status into its
 *   document at its next controller tick, so the end-to-end figure adds up to one tick.
 * - status_latency_pull_p99_ms: the same through pull mode (agent + signed HTTP report +
 *   the site's pull driver), with the agent's default 100 ms report debounce.
 * `--quick` uses 200 Deployments.
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
import { createAgent } from '../../src/kube/agent.ts'
import { createAgentEndpoint } from '../../src/kube/agent-endpoint.ts'
import { keyPairFromSeed, toHex } from '../../src/identity/keys.ts'
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

/** Milliseconds from each pod's Ready commit in the model to the driver reporting its Deployment Ready. */
async function statusLatencies (emu: KubeEmulator, driver: ClusterDriver, set: DesiredObject[]): Promise<number[]> {
  const podReadyAt = new Map<string, number>()
  const off = emu.model.onChange((e: StoreEvent) => {
    if (e.resource !== PODS || e.type !== 'MODIFIED') return
    const ready = (o: KubeObject | undefined): boolean => ((o?.status?.['conditions'] ?? []) as Array<{ type: string, status: string }>).some((c) => c.type === 'Ready' && c.status === 'True')
    if (ready(e.object) && !ready(e.previous)) {
      const app = e.object.metadata.labels?.['app']
      if (app !== undefined && !podReadyAt.has(app)) podReadyAt.set(app, performance.now())
    }
  })
  const seen = new Map<string, number>()
  const offDriver = driver.onChange(() => {
    const now = performance.now()
    for (const o of driver.observe().objects.values()) {
      if (o.ready >= 1 && !seen.has(o.key)) seen.set(o.key, now)
    }
  })
  try {
    driver.setDesired(set)
    await allReady(driver, set.length, 120_000)
  } finally {
    off()
    offDriver()
  }
  const out: number[] = []
  for (const d of set) {
    const t = podReadyAt.get(d.object.metadata.name)
    const s = seen.get(d.key)
    if (t !== undefined && s !== undefined) out.push(s - t)
  }
  if (out.length < set.length * 0.9) throw new Error(`measured only ${out.length} of ${set.length} latencies`)
  return out
}

async function pushStatusP99 (n: number): Promise<{ p99: number, p50: number }> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 300)
  const driver = createPushDriver({ name: 'bench', kubeconfig: { yaml: emu.kubeconfig }, clock, logger: silentLogger })
  try {
    await driver.start()
    const samples = await statusLatencies(emu, driver, desiredSet(n, 'lat'))
    return { p99: percentile(samples, 0.99), p50: percentile(samples, 0.5) }
  } finally {
    await driver.stop()
    await emu.close()
  }
}

async function pullStatusP99 (n: number): Promise<{ p99: number, p50: number }> {
  const emu = await emulator(Math.ceil(n / 10) + 20, 300)
  const keys = keyPairFromSeed(new Uint8Array(32).fill(9))
  const site = createPullDriver({ name: 'edge', clock, logger: silentLogger })
  const endpoint = createAgentEndpoint({ clusters: [{ name: 'edge', agentKey: toHex(keys.publicKey), driver: site }], clock, logger: silentLogger })
  const server = createServer((req, res) => { if (!endpoint(req, res)) { res.writeHead(404); res.end() } })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const local = createPushDriver({ name: 'edge', kubeconfig: { yaml: emu.kubeconfig }, clock, logger: silentLogger })
  const agent = createAgent({ cluster: 'edge', siteUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, keys, driver: local, clock, logger: silentLogger })
  try {
    await site.start()
    await agent.start()
    const samples = await statusLatencies(emu, site, desiredSet(n, 'lat'))
    return { p99: percentile(samples, 0.99), p50: percentile(samples, 0.5) }
  } finally {
    await agent.stop()
    await site.stop()
    endpoint.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await emu.close()
  }
}

const suite: BenchSuite = {
  name: 'cluster',
  description: 'member-cluster drivers against the emulator over HTTP: applying 1,000 Deployments, status latency (push and pull)',
  async run (args) {
    const quick = args.includes('--quick')
    const n = quick ? 200 : 1000
    const latencyN = quick ? 100 : 200
    const push = await pushApplySeconds(n)
    const baseline = await sequentialClientNodeSeconds(n)
    const pushLatency = await pushStatusP99(latencyN)
    const pullLatency = await pullStatusP99(latencyN)
    const metrics: BenchMetric[] = [
      {
        name: quick ? 'apply_200_s' : 'apply_1000_s', value: push.seconds, unit: 's',
        baseline: { name: 'sequential_client_node_s', value: baseline },
        ...(quick ? {} : { target: { op: '<=' as const, value: 20 } }),
        note: `${n} Deployments to Ready on 10 emulated nodes, ready delay 0; ${push.applies} applies, 16 in flight`
      },
      {
        name: 'status_latency_p99_ms', value: pushLatency.p99, unit: 'ms', target: { op: '<=', value: 500 },
        note: `push: pod Ready in the emulator -> driver observation (p50 ${pushLatency.p50.toFixed(1)} ms, ${latencyN} Deployments); the site writes it at its next tick (+ up to tickMs)`
      },
      {
        name: 'status_latency_pull_p99_ms', value: pullLatency.p99, unit: 'ms', target: { op: '<=', value: 500 },
        note: `pull: pod Ready -> agent report -> site pull driver (p50 ${pullLatency.p50.toFixed(1)} ms; includes the 100 ms report debounce)`
      }
    ]
    return metrics
  }
}

export default suite
