/**
 * What the member clusters really run, read from the cluster models as they change —
 * never from the sites' own reports: ready replicas of each workload on each cluster,
 * which workloads each cluster holds objects of (for residency), and whether a cluster
 * is dark (nodes NotReady). The invariants judge availability and placement from this.
 */
import { WORKLOAD_KEY_ANNOTATION } from '../../src/ports/cluster-driver.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import type { SimCluster } from '../runner/clusters.ts'
import type { World } from '../runner/world.ts'

export interface PlacementEvent {
  cluster: SimCluster
  key: string
  kind: string
}

export interface GroundTruth {
  /** Ready replicas of `key` summed over every cluster. */
  ready (key: string): number
  /** Ready replicas of `key` per cluster id (only clusters with some). */
  readyOn (key: string): ReadonlyMap<string, number>
  /** Whether some node of the cluster is NotReady. */
  dark (cluster: SimCluster): boolean
  /** Called for every object a cluster model adds or changes that carries a workload key. */
  onPlaced (fn: (e: PlacementEvent) => void): void
  /** Workload keys with at least one ready replica somewhere. */
  keys (): IterableIterator<string>
}

function workloadKeyOf (o: KubeObject): string | undefined {
  return o.metadata.annotations?.[WORKLOAD_KEY_ANNOTATION]
}

function readyOf (o: KubeObject): number {
  const st = (o.status ?? {}) as Record<string, unknown>
  const v = o.kind === 'DaemonSet' ? st['numberReady'] : st['readyReplicas']
  return typeof v === 'number' ? v : 0
}

export function createGroundTruth (world: World): GroundTruth {
  const perKey = new Map<string, Map<string, number>>()
  const listeners: Array<(e: PlacementEvent) => void> = []
  const clusters = world.sites.flatMap((s) => s.clusters)
  for (const c of clusters) {
    c.model.onChange((e) => {
      const key = workloadKeyOf(e.object)
      if (key === undefined) return
      if (e.type !== 'DELETED') for (const l of listeners) l({ cluster: c, key, kind: e.object.kind })
      const kind = e.object.kind
      if (kind !== 'Deployment' && kind !== 'StatefulSet' && kind !== 'DaemonSet') return
      const n = e.type === 'DELETED' ? 0 : readyOf(e.object)
      let m = perKey.get(key)
      if (m === undefined) perKey.set(key, m = new Map())
      if (n > 0) m.set(c.id, n)
      else m.delete(c.id)
    })
  }
  return {
    ready (key) {
      let total = 0
      for (const n of perKey.get(key)?.values() ?? []) total += n
      return total
    },
    readyOn: (key) => perKey.get(key) ?? new Map(),
    dark: (c) => c.model.faults().notReadyNodes.length > 0,
    onPlaced (fn) { listeners.push(fn) },
    keys: () => perKey.keys()
  }
}
