/**
 * Scheduler benchmark.
 * - place_p99_ms: p99 of one placement against a view of 500 clusters, 10,000 workloads
 *   placed in a loop over a mix of policies, with the view and policies prepared once
 *   (`placeInView`). Baseline, same run: `placeWorkload`, which re-prepares the view
 *   and policies on every call (no index), on a sample of the same workloads.
 * - churn_ratio: replicas moved anywhere, over every workload, when one of 100 clusters
 *   is removed, divided by the replicas that were on it, summed over many workloads and
 *   removals, for the mix of strategies (Divided equal / static / dynamic, Duplicated
 *   with a cluster limit, region spread, fallback affinities). Baseline, same run:
 *   modulo assignment of replicas, counted the same way.
 * Everything is generated from a fixed seed, so runs differ only by machine noise.
 */
import { performance } from 'node:perf_hooks'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import type { ClusterAssignment, ClusterRecord, PolicyRecord, Residency, WorkloadRecord } from '../../src/model/federation.ts'
import { workloadKey, type KubeObject } from '../../src/model/kube.ts'
import { POLICY_API_VERSION, type PolicyKind } from '../../src/model/policy.ts'
import { zeroResources, type Resources } from '../../src/model/resources.ts'
import { hashString } from '../../src/schedule/hash.ts'
import { movedReplicas } from '../../src/schedule/movement.ts'
import { placeInView, placeWorkload } from '../../src/schedule/place.ts'
import { prepareClusterView } from '../../src/schedule/cluster-view.ts'
import { preparePolicies } from '../../src/schedule/policies.ts'

function prng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const GI = 2 ** 30
const REGIONS = ['eu-west', 'eu-north', 'us-east', 'ap-south', 'sa-east']

function makeClusters (count: number, rand: () => number): ClusterRecord[] {
  const out: ClusterRecord[] = []
  for (let i = 0; i < count; i++) {
    const region = REGIONS[i % REGIONS.length]!
    const site = `${region}-s${Math.floor(i / REGIONS.length) % 10}`
    const gpu = i % 4 === 0
    const nodeFree: Resources[] = Array.from({ length: 8 }, () => ({
      ...zeroResources(),
      cpuMilli: Math.floor(4 + rand() * 60) * 1000,
      memoryBytes: Math.floor(16 + rand() * 240) * GI,
      pods: 110,
      gpu: gpu ? Math.floor(rand() * 5) : 0,
      vgpuCores: gpu ? 400 : 0,
      vgpuMemoryMiB: gpu ? 4 * 24576 : 0
    }))
    const free = nodeFree.reduce((a, n) => {
      const s = { ...a }
      for (const k of Object.keys(n) as Array<keyof Resources>) s[k] += n[k]
      return s
    }, zeroResources())
    const roll = rand()
    out.push({
      id: `${site}.c${i}`, site, name: `c${i}`, mode: 'push', provider: i % 3 === 0 ? 'gcp' : 'aws', region, zone: `${region}-${'abc'[i % 3]!}`,
      labels: { tier: i % 2 === 0 ? 'gold' : 'silver', ...(gpu ? { gpu: 'true' } : {}) },
      taints: roll < 0.03 ? [{ key: 'maint', effect: 'NoSchedule' }] : roll < 0.13 ? [{ key: 'busy', effect: 'PreferNoSchedule' }] : [],
      health: rand() < 0.02 ? 'NotReady' : 'Ready', conditions: [], healthSince: 0,
      capacity: free, allocatable: free, allocated: zeroResources(), nodeFree, nodes: { total: 8, ready: 8 }
    })
  }
  return out
}

function policyRecord (kind: PolicyKind, name: string, spec: Record<string, unknown>, namespace?: string): PolicyRecord {
  return {
    key: `${kind}/${namespace ?? '_'}/${name}`, kind, origin: 'eu-west-s0',
    object: { apiVersion: POLICY_API_VERSION, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) }, spec }, generation: 1, updatedAt: 0
  }
}

const divided = { replicaSchedulingType: 'Divided' }
const regionIn = (...values: string[]) => ({ fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values }] } })

/** Placements by app name; `stable` ones are those the churn figure covers. */
const PLACEMENTS: Array<{ app: string, stable: boolean, placement: Record<string, unknown> }> = [
  { app: 'web', stable: true, placement: { replicaScheduling: divided } },
  { app: 'api', stable: true, placement: { replicaScheduling: { ...divided, weightPreference: { dynamicWeight: 'AvailableReplicas' } } } },
  { app: 'shop', stable: true, placement: { clusterAffinity: { labelSelector: { matchLabels: { tier: 'gold' } } }, replicaScheduling: { ...divided, weightPreference: { staticWeightList: [{ targetCluster: {}, weight: 1 }, { targetCluster: regionIn('eu-west'), weight: 3 }] } } } },
  { app: 'edge', stable: true, placement: { spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 3 }] } },
  { app: 'geo', stable: true, placement: { spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 2 }], replicaScheduling: divided } },
  { app: 'batch', stable: false, placement: { replicaScheduling: { ...divided, replicaDivisionPreference: 'Aggregated' } } },
  { app: 'gpu', stable: true, placement: { clusterAffinity: { labelSelector: { matchLabels: { gpu: 'true' } } }, clusterTolerations: [{ key: 'busy', operator: 'Exists' }], replicaScheduling: { ...divided, weightPreference: { dynamicWeight: 'AvailableReplicas' } } } },
  { app: 'fallback', stable: true, placement: { clusterAffinities: [{ affinityName: 'home', ...regionIn('sa-east'), clusterNames: ['none.x'] }, { affinityName: 'near', ...regionIn('us-east', 'eu-west') }], replicaScheduling: divided } }
]

function makePolicies (): PolicyRecord[] {
  const out: PolicyRecord[] = []
  for (let ns = 0; ns < 4; ns++) {
    for (const p of PLACEMENTS) {
      out.push(policyRecord('PropagationPolicy', `${p.app}`, {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: p.app } } }],
        placement: p.placement
      }, `ns${ns}`))
    }
  }
  out.push(policyRecord('ClusterPropagationPolicy', 'catch-all', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 2 }] } }))
  out.push(policyRecord('ClusterPropagationPolicy', 'named', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'w7' }], priority: 1, placement: { clusterAffinity: regionIn('eu-west') } }))
  return out
}

function makeWorkloads (count: number, rand: () => number, apps: readonly string[], clusters: readonly ClusterRecord[]): WorkloadRecord[] {
  const sites = [...new Set(clusters.map((c) => c.site))].sort()
  const out: WorkloadRecord[] = []
  for (let i = 0; i < count; i++) {
    const app = apps[i % apps.length]!
    const gpu = app === 'gpu'
    const manifest: KubeObject = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: `w${i}`, namespace: `ns${i % 4}`, labels: { app } },
      spec: {
        replicas: 1 + Math.floor(rand() * 40),
        template: { spec: { containers: [{ name: 'main', image: 'nginx', resources: { requests: { cpu: `${100 + Math.floor(rand() * 1900)}m`, memory: `${128 + Math.floor(rand() * 2048)}Mi`, ...(gpu ? { 'nvidia.com/gpucores': 25, 'nvidia.com/gpumem': 2048 } : {}) } } }] } }
      }
    }
    const roll = rand()
    const residency: Residency = roll < 0.7 ? { kind: 'global' } : roll < 0.9 ? { kind: 'regions', regions: [REGIONS[i % 2]!, REGIONS[2 + (i % 3)]!] } : { kind: 'local-only' }
    out.push({ key: workloadKey(manifest), origin: sites[i % sites.length]!, residency, stateless: true, manifest, generation: 1, updatedAt: 0 })
  }
  return out
}

function p99 (samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!
}

function measurePlacement (): BenchMetric {
  const rand = prng(42)
  const clusters = makeClusters(500, rand)
  const policies = makePolicies()
  const workloads = makeWorkloads(10_000, rand, PLACEMENTS.map((p) => p.app), clusters)
  const unavailable = new Set(clusters.filter((_, i) => i % 50 === 7).map((c) => c.id))
  const view = prepareClusterView(clusters, { unavailable })
  const set = preparePolicies(policies)
  for (const w of workloads.slice(0, 500)) placeInView(view, set, w) // warm up the JIT
  const samples: number[] = []
  let placedReplicas = 0
  for (const w of workloads) {
    const t0 = performance.now()
    const d = placeInView(view, set, w)
    samples.push(performance.now() - t0)
    placedReplicas += d.explanation.placedReplicas
  }
  const baseline: number[] = []
  for (const w of workloads.slice(0, 1000)) {
    const t0 = performance.now()
    placeWorkload({ workload: w, policies, clusters, unavailable })
    baseline.push(performance.now() - t0)
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  return {
    name: 'place_p99_ms', value: p99(samples), unit: 'ms',
    baseline: { name: 'place_unindexed_p99_ms', value: p99(baseline) },
    target: { op: '<=', value: 5 },
    note: `500 clusters, ${workloads.length} workloads, ${policies.length} policies; mean ${mean.toFixed(3)} ms; ${placedReplicas} replicas placed. Baseline re-prepares the view and policies per call (placeWorkload), 1,000 of the same workloads.`
  }
}

function moduloPlacement (key: string, replicas: number, clusterIds: readonly string[]): ClusterAssignment[] {
  const counts = new Map<string, number>()
  const h = hashString(key).lo
  for (let j = 0; j < replicas; j++) {
    const id = clusterIds[(h + j) % clusterIds.length]!
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return [...counts].map(([cluster, n]) => ({ cluster, replicas: n }))
}

function measureChurn (): BenchMetric[] {
  const rand = prng(7)
  const clusters = makeClusters(100, rand).map((c) => ({ ...c, health: 'Ready' as const, taints: [] }))
  const policies = makePolicies()
  const stableApps = PLACEMENTS.filter((p) => p.stable).map((p) => p.app)
  const workloads = makeWorkloads(1000, rand, stableApps, clusters).map((w) => ({ ...w, residency: { kind: 'global' as const } }))
  const set = preparePolicies(policies)
  const full = prepareClusterView(clusters)
  const before = workloads.map((w) => placeInView(full, set, w).assignments)
  const ids = clusters.map((c) => c.id).sort()
  const removed = ids.filter((_, i) => i % 10 === 3)
  let moved = 0
  let displaced = 0
  let baseMoved = 0
  let baseDisplaced = 0
  let aggMoved = 0
  let aggDisplaced = 0
  const aggWorkloads = makeWorkloads(200, prng(9), ['batch'], clusters).map((w) => ({ ...w, residency: { kind: 'global' as const } }))
  const aggBefore = aggWorkloads.map((w) => placeInView(full, set, w).assignments)
  for (const gone of removed) {
    const view = prepareClusterView(clusters, { unavailable: new Set([gone]) })
    // Every workload is placed again, not only those the removed cluster ran: a replica
    // that moves anywhere counts, over the replicas the removed cluster held.
    workloads.forEach((w, i) => {
      const old = before[i]!
      moved += movedReplicas(old, placeInView(view, set, w).assignments)
      displaced += old.find((a) => a.cluster === gone)?.replicas ?? 0
    })
    const rest = ids.filter((id) => id !== gone)
    for (const w of workloads) {
      const replicas = w.manifest.spec!['replicas'] as number
      const old = moduloPlacement(w.key, replicas, ids)
      baseMoved += movedReplicas(old, moduloPlacement(w.key, replicas, rest))
      baseDisplaced += old.find((a) => a.cluster === gone)?.replicas ?? 0
    }
  }
  // Aggregated sits on the largest clusters, which the removals above rarely hit: remove one it uses.
  aggWorkloads.forEach((w, i) => {
    const old = aggBefore[i]!
    const gone = old[i % Math.max(1, old.length)]
    if (gone === undefined) return
    const view = prepareClusterView(clusters, { unavailable: new Set([gone.cluster]) })
    aggMoved += movedReplicas(old, placeInView(view, set, w).assignments)
    aggDisplaced += gone.replicas
  })
  return [{
    name: 'churn_ratio', value: moved / displaced, unit: 'x',
    baseline: { name: 'modulo_churn_ratio', value: baseMoved / baseDisplaced },
    target: { op: '<=', value: 1.05 },
    note: `${workloads.length} workloads (Divided equal/static/dynamic, Duplicated top-3, region spread, fallback affinities) x ${removed.length} single-cluster removals of 100: ${moved} replicas moved anywhere (every workload placed again) / ${displaced} on the removed clusters`
  }, {
    name: 'churn_ratio_aggregated', value: aggDisplaced === 0 ? 0 : aggMoved / aggDisplaced, unit: 'x',
    note: `Aggregated (fewest clusters that fit, filled largest first): ${aggMoved} moved / ${aggDisplaced} displaced over ${aggWorkloads.length} workloads, each losing one cluster it uses; informational`
  }]
}

const suite: BenchSuite = {
  name: 'schedule',
  description: 'placement latency with 500 clusters and movement when one of 100 clusters is removed',
  run (): Promise<BenchMetric[]> {
    return Promise.resolve([measurePlacement(), ...measureChurn()])
  }
}

export default suite
