/**
 * What a site reports about its own clusters, as pure functions of the driver's
 * observation: the cluster record (health with a failure threshold, capacity,
 * allocatable, allocated, and the free resources of its Ready nodes as counted shapes,
 * `node-free.ts`) and the share status of every workload on it. A cluster whose API stops
 * answering stays Ready until the threshold passes (Karmada's default is 30 s), so a blip
 * does not move work; one never reached since this process started is Unknown until the
 * threshold and NotReady after it, like any cluster nobody can reach.
 */
import type { Condition } from '../model/kube.ts'
import type { ClusterHealth, ClusterRecord, ShareStatus, SiteId } from '../model/federation.ts'
import { clusterId } from '../model/federation.ts'
import { addResources, subtractResources, zeroResources, type Resources } from '../model/resources.ts'
import type { Taint } from '../model/policy.ts'
import type { ClusterObservation } from '../ports/cluster-driver.ts'
import { nodeFreeShapes } from './node-free.ts'

export { NODE_FREE_LIMIT } from './node-free.ts'

export interface ClusterSettings {
  name: string
  mode: 'push' | 'pull'
  provider: string
  region: string
  zone: string
  labels: Record<string, string>
  taints: Taint[]
  failureThresholdMs: number
}

export interface HealthMemory {
  health: ClusterHealth
  /** Wall ms the health last changed. */
  sinceWall: number
}

export interface HealthJudgement {
  health: ClusterHealth
  /** The Ready condition's reason (CamelCase). */
  reason: string
  /** The human message; it must not tick with time, or every tick would rewrite the record. */
  message: string
  sinceWall: number
}

/**
 * Health from an observation: Ready while the API answers and a node is Ready. `startedMono`
 * is when this process began watching the cluster (its monotonic clock), from which a
 * cluster never reached runs its failure threshold.
 */
export function judgeHealth (obs: ClusterObservation, previous: HealthMemory | undefined, thresholdMs: number, nowMono: number, nowWall: number, startedMono: number): HealthJudgement {
  let health: ClusterHealth
  let message: string
  let neverReached = false
  const why = obs.lastError === undefined ? '' : `: ${obs.lastError}`
  const after = `NotReady after ${Math.round(thresholdMs / 1000)} s`
  if (obs.reachable) {
    const ready = obs.nodes.filter((n) => n.ready).length
    health = ready > 0 ? 'Ready' : 'NotReady'
    message = ready > 0 ? `${ready} of ${obs.nodes.length} nodes Ready` : 'no node is Ready'
  } else if (obs.lastContactMs === undefined) {
    // No contact to run the threshold from: it runs from when this process began watching.
    neverReached = nowMono - startedMono >= thresholdMs
    health = neverReached ? 'NotReady' : previous?.health === 'Ready' ? 'Ready' : 'Unknown'
    message = neverReached
      ? `the cluster API was never reached since start (${after})${why}`
      : `the cluster API has not answered yet (${after})${why}`
  } else {
    const silentMs = nowMono - obs.lastContactMs
    health = silentMs >= thresholdMs ? 'NotReady' : (previous?.health ?? 'Unknown')
    message = `the cluster API is not answering (${after})${why}`
  }
  const reason = health === 'Ready' ? 'ClusterReady' : obs.reachable ? 'NoReadyNodes' : neverReached ? 'ClusterNeverReached' : 'ClusterUnreachable'
  const sinceWall = previous !== undefined && previous.health === health ? previous.sinceWall : nowWall
  return { health, reason, message, sinceWall }
}

/**
 * The record of one of this site's clusters from its driver's observation: capacity sums
 * the nodes' `status.capacity`, allocatable their `status.allocatable`, allocated the
 * requests of their pods; `nodeFree` covers the Ready nodes only.
 */
export function clusterRecordFrom (site: SiteId, settings: ClusterSettings, obs: ClusterObservation, previous: HealthMemory | undefined, nowMono: number, nowWall: number, startedMono: number): ClusterRecord {
  const judged = judgeHealth(obs, previous, settings.failureThresholdMs, nowMono, nowWall, startedMono)
  let capacity = zeroResources()
  let allocatable = zeroResources()
  let allocated = zeroResources()
  const free: Resources[] = []
  let readyNodes = 0
  for (const n of obs.nodes) {
    capacity = addResources(capacity, n.capacity ?? n.allocatable)
    allocatable = addResources(allocatable, n.allocatable)
    allocated = addResources(allocated, n.allocated)
    if (n.ready) {
      readyNodes++
      free.push(subtractResources(n.allocatable, n.allocated))
    }
  }
  const condition: Condition = {
    type: 'Ready',
    status: judged.health === 'Ready' ? 'True' : judged.health === 'NotReady' ? 'False' : 'Unknown',
    reason: judged.reason,
    message: judged.message,
    lastTransitionTime: new Date(judged.sinceWall).toISOString()
  }
  return {
    id: clusterId(site, settings.name),
    site,
    name: settings.name,
    mode: settings.mode,
    provider: settings.provider,
    region: settings.region,
    zone: settings.zone,
    labels: { ...settings.labels },
    taints: settings.taints.map((t) => ({ ...t })),
    health: judged.health,
    conditions: [condition],
    healthSince: judged.sinceWall,
    capacity,
    allocatable,
    allocated,
    nodeFree: nodeFreeShapes(free),
    nodes: { total: obs.nodes.length, ready: readyNodes }
  }
}

/** Share status of every object the driver reports, for the owner's cluster. */
export function shareStatusesFrom (site: SiteId, clusterName: string, obs: ClusterObservation): ShareStatus[] {
  const cluster = clusterId(site, clusterName)
  return [...obs.objects.values()].sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0).map((o) => {
    const s: ShareStatus = {
      workload: o.key, cluster, desired: o.desired, ready: o.ready, available: o.available,
      conditions: o.conditions.map((c) => ({ ...c })), observedGeneration: o.observedGeneration
    }
    if (o.error !== undefined) s.error = { ...o.error }
    return s
  })
}
