/**
 * Resource fit. A replica's needs come from its pod template (per container: requests,
 * falling back to limits; init containers count by their maximum, as in Kubernetes),
 * including whole GPUs and vGPU cores and memory, plus one pod slot. A cluster's
 * available replicas are bounded both by its free total (allocatable - allocated) and
 * by the sum over its reported node shapes of what fits on one node of the shape times
 * the nodes of that shape, because a replica cannot straddle nodes.
 */
import type { NodeFree } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import { runsPods } from '../model/kube.ts'
import { RESOURCE_KEYS, resourcesFromKube, zeroResources, type Resources } from '../model/resources.ts'

/** Cap on any availability figure, so weights stay exact integers in the arithmetic. */
export const MAX_AVAILABLE_REPLICAS = 2 ** 31 - 1

interface ContainerLike { name?: unknown, resources?: { requests?: Record<string, string | number>, limits?: Record<string, string | number> } }

function containerNeeds (c: ContainerLike, field: string): Resources {
  // Kubernetes defaults a missing request to the limit, resource by resource.
  const merged = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) }
  return resourcesFromKube(merged, `${field}.resources`)
}

/** The pod template's spec for the workload kinds that run pods. */
export function podSpecOf (obj: KubeObject): Record<string, unknown> | undefined {
  if (obj.kind === 'Pod') return obj.spec
  const template = obj.spec?.['template'] as { spec?: Record<string, unknown> } | undefined
  return template?.spec
}

/**
 * What one replica needs. Throws FlotillaError('input-invalid') on a malformed
 * quantity; undefined for kinds that run no pods.
 */
export function perReplicaResources (obj: KubeObject): Resources | undefined {
  if (!runsPods(obj.kind)) return undefined
  const spec = podSpecOf(obj) ?? {}
  const containers = Array.isArray(spec['containers']) ? spec['containers'] as ContainerLike[] : []
  const inits = Array.isArray(spec['initContainers']) ? spec['initContainers'] as ContainerLike[] : []
  const sum = zeroResources()
  containers.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) return
    const n = containerNeeds(c, `spec.template.spec.containers[${i}]`)
    for (const k of RESOURCE_KEYS) sum[k] += n[k]
  })
  inits.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) return
    const n = containerNeeds(c, `spec.template.spec.initContainers[${i}]`)
    for (const k of RESOURCE_KEYS) sum[k] = Math.max(sum[k], n[k])
  })
  sum.pods = 1
  return sum
}

/** A cluster's free capacity laid out for fast repeated fit checks. */
export interface CapacityIndex {
  /** allocatable - allocated, per RESOURCE_KEYS index. */
  free: Float64Array
  /** Free per reported node shape, shape-major, RESOURCE_KEYS.length entries per shape. */
  nodes: Float64Array
  /** Nodes of each shape. */
  counts: Float64Array
  /** Shapes reported. */
  nodeCount: number
}

/** `nodeFree` entries without a count (records written before counts existed) are one node each. */
export function capacityIndex (free: Resources, nodeFree: readonly NodeFree[]): CapacityIndex {
  const width = RESOURCE_KEYS.length
  const f = new Float64Array(width)
  RESOURCE_KEYS.forEach((k, i) => { f[i] = Math.max(0, free[k]) })
  const nodes = new Float64Array(width * nodeFree.length)
  const counts = new Float64Array(nodeFree.length)
  nodeFree.forEach((n, j) => {
    RESOURCE_KEYS.forEach((k, i) => { nodes[j * width + i] = Math.max(0, n[k]) })
    counts[j] = Math.max(0, n.count ?? 1)
  })
  return { free: f, nodes, counts, nodeCount: nodeFree.length }
}

/** Per-replica needs as the list of (resource index, amount) that are non-zero. */
export interface NeedVector { idx: Int32Array, amount: Float64Array }

export function needVector (perReplica: Resources): NeedVector {
  const idx: number[] = []
  const amount: number[] = []
  RESOURCE_KEYS.forEach((k, i) => { if (perReplica[k] > 0) { idx.push(i); amount.push(perReplica[k]) } })
  return { idx: Int32Array.from(idx), amount: Float64Array.from(amount) }
}

/**
 * Replicas of `need` that fit in the cluster: the smaller of the whole-cluster bound and
 * the sum of per-node bounds over the node shapes (when the owner reported nodes). Capped
 * at MAX_AVAILABLE_REPLICAS.
 */
export function availableReplicas (cap: CapacityIndex, need: NeedVector): number {
  const idx = need.idx
  const amount = need.amount
  const n = idx.length
  const free = cap.free
  let total = MAX_AVAILABLE_REPLICAS
  for (let j = 0; j < n; j++) {
    const f = Math.floor(free[idx[j]!]! / amount[j]!)
    if (f < total) total = f
  }
  const count = cap.nodeCount
  if (count === 0 || total === 0) return total
  const nodes = cap.nodes
  const counts = cap.counts
  const width = RESOURCE_KEYS.length
  let perNodes = 0
  for (let node = 0, base = 0; node < count; node++, base += width) {
    let fit = MAX_AVAILABLE_REPLICAS
    for (let j = 0; j < n; j++) {
      const f = Math.floor(nodes[base + idx[j]!]! / amount[j]!)
      if (f < fit) { fit = f; if (f === 0) break }
    }
    perNodes += fit * counts[node]!
    if (perNodes >= total) return total
  }
  return perNodes
}
