/**
 * The member clusters of the simulated sites: one in-memory cluster model each (nodes
 * with cpu, memory, pods, whole GPUs and vGPU), running on the engine's true clock —
 * a cluster is a physical thing that goes on when its site's control process crashes.
 * Each cluster's pod ready delay is drawn from the seed. A site process binds a fresh
 * driver to its clusters at every start, as a restarted process would.
 */
import { clusterId, type ClusterId } from '../../src/model/federation.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { Logger } from '../../src/ports/logger.ts'
import type { ClusterSettings } from '../../src/controllers/cluster-status.ts'
import { randomInt } from '../../src/ports/rng.ts'
import type { SeededRng } from '../engine/seeded-rng.ts'
import { createClusterModel, type ClusterModel, type NodeSpec } from '../kube/index.ts'
import { createMemoryClusterDriver, type MemoryClusterDriver } from '../cluster/index.ts'
import type { ClusterOptions } from './options.ts'

export interface SimCluster {
  id: ClusterId
  name: string
  siteId: string
  region: string
  zone: string
  model: ClusterModel
  readyDelayMs: number
  /** Whether the cluster has a GPU node. */
  gpu: boolean
  settings: ClusterSettings
}

export interface SiteClusterSpec {
  siteId: string
  siteIndex: number
  region: string
  zone: string
  options: ClusterOptions
  clock: Clock
  rng: SeededRng
}

/** Builds the clusters of one site. */
export function createSiteClusters (spec: SiteClusterSpec): SimCluster[] {
  const { options: o } = spec
  const out: SimCluster[] = []
  for (let c = 0; c < o.perSite; c++) {
    const name = `c${c + 1}`
    const rng = spec.rng.fork(`cluster-${name}`)
    const gpu = o.gpuEvery > 0 && spec.siteIndex % o.gpuEvery === 0 && c === 0
    const nodes: NodeSpec[] = []
    for (let n = 0; n < o.nodes; n++) {
      const gpuNode = gpu && n === o.nodes - 1
      nodes.push({
        name: `node-${n}`,
        cpu: o.nodeCpu,
        memory: `${o.nodeMemoryGiB}Gi`,
        pods: o.nodePods,
        ...(gpuNode ? { gpu: o.gpusPerNode } : {}),
        labels: { 'topology.kubernetes.io/region': spec.region, 'topology.kubernetes.io/zone': spec.zone }
      })
    }
    const readyDelayMs = randomInt(rng, o.readyDelayMs[0], o.readyDelayMs[1])
    const model = createClusterModel({
      clock: spec.clock,
      name: `${spec.siteId}-${name}`,
      nodes,
      readyDelayMs,
      recordEvents: false,
      onError: (e, where) => { throw new Error(`cluster model ${spec.siteId}.${name}: ${where}: ${(e as Error).message}`) }
    })
    out.push({
      id: clusterId(spec.siteId, name),
      name,
      siteId: spec.siteId,
      region: spec.region,
      zone: spec.zone,
      model,
      readyDelayMs,
      gpu,
      settings: {
        name, mode: 'push', provider: 'sim', region: spec.region, zone: spec.zone,
        labels: { tier: gpu ? 'gpu' : 'general' }, taints: [], failureThresholdMs: 10_000
      }
    })
  }
  return out
}

/**
 * A driver for one start of the site's process, on the site's own clock (a crash halts
 * it): the production reconciler over the cluster's model, through sim/cluster.
 */
export function clusterDriverFor (cluster: SimCluster, clock: Clock, logger: Logger): MemoryClusterDriver {
  return createMemoryClusterDriver({ name: cluster.name, clock, model: cluster.model, logger })
}

/** Makes every node of the cluster NotReady (or Ready again): the cluster goes dark or comes back. */
export function setClusterDown (cluster: SimCluster, down: boolean): void {
  cluster.model.setFault({ notReadyNodes: down ? cluster.model.nodes().map((n) => n.name) : [] })
}
