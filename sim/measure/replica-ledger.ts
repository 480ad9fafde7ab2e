/**
 * What every simulated cluster runs of each federated Deployment, read from the cluster
 * models as they commit (never from the sites' reports): per workload key and cluster,
 * the replicas the cluster is asked to run (`spec.replicas`) and those Ready
 * (`status.readyReplicas`). Listeners hear every change at the virtual instant it
 * happens, so a measurement can time a replacement to the event, not to a sample.
 */
import type { KubeObject } from '../../src/model/kube.ts'
import { WORKLOAD_KEY_ANNOTATION } from '../../src/ports/cluster-driver.ts'
import type { SimCluster } from '../runner/clusters.ts'

export interface ShareState {
  /** `spec.replicas` of the cluster's Deployment (0 once deleted). */
  desired: number
  /** `status.readyReplicas` (0 once deleted). */
  ready: number
}

export interface ShareChange {
  key: string
  cluster: string
  before: ShareState
  after: ShareState
}

export interface ReplicaLedger {
  /** Per cluster id, the key's share (clusters that never held one are absent). */
  sharesOf (key: string): ReadonlyMap<string, ShareState>
  /** Ready replicas of `key` summed over the clusters `include` accepts (all by default). */
  ready (key: string, include?: (cluster: string) => boolean): number
  /** Keys some cluster holds or held a Deployment of. */
  keys (): IterableIterator<string>
  onChange (listener: (c: ShareChange) => void): void
  /** Stops listening to the models. */
  close (): void
}

const NONE: ShareState = { desired: 0, ready: 0 }

function numberAt (o: Record<string, unknown> | undefined, field: string): number {
  const v = o?.[field]
  return typeof v === 'number' ? v : 0
}

function stateOf (o: KubeObject): ShareState {
  return { desired: numberAt(o.spec, 'replicas'), ready: numberAt(o.status, 'readyReplicas') }
}

export function createReplicaLedger (clusters: readonly SimCluster[]): ReplicaLedger {
  const byKey = new Map<string, Map<string, ShareState>>()
  const listeners: Array<(c: ShareChange) => void> = []
  const unsubscribe = clusters.map((c) => c.model.onChange((e) => {
    if (e.object.kind !== 'Deployment') return
    const key = e.object.metadata.annotations?.[WORKLOAD_KEY_ANNOTATION]
    if (key === undefined) return
    let m = byKey.get(key)
    if (m === undefined) byKey.set(key, m = new Map())
    const before = m.get(c.id) ?? NONE
    const after = e.type === 'DELETED' ? NONE : stateOf(e.object)
    if (before.desired === after.desired && before.ready === after.ready) return
    m.set(c.id, after)
    for (const l of listeners) l({ key, cluster: c.id, before, after })
  }))
  return {
    sharesOf: (key) => byKey.get(key) ?? new Map(),
    ready (key, include) {
      let n = 0
      for (const [cluster, s] of byKey.get(key) ?? []) if (include === undefined || include(cluster)) n += s.ready
      return n
    },
    keys: () => byKey.keys(),
    onChange (l) { listeners.push(l) },
    close () { for (const u of unsubscribe) u() }
  }
}
