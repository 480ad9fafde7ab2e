/**
 * What a site reports about its own clusters, as pure functions of the driver's
 * observation: the cluster record (health with a failure threshold, capacity,
 * allocatable, allocated, the free resources of its largest nodes) and the share status
 * of every workload on it. A cluster whose API stops answering stays Ready until the
 * threshold passes (Karmada's default is 30 s), so a blip does not move work.
 */
import type { Condition } from '../model/kube.ts'
import type { ClusterHealth, ClusterRecord, ShareStatus, SiteId } from '../model/federation.ts'
import { clusterId } from '../model/federation.ts'
import { addResources, RESOURCE_KEYS, subtractResources, zeroResources, type Resources } from '../model/resources.ts'
import type { Taint } from '../model/policy.ts'
import type { ClusterObservation } from '../ports/cluster-driver.ts'

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

export const NODE_FREE_LIMIT = 32

export interface HealthMemory {
  health: ClusterHealth
  /** Wall ms the health last changed. */
  sinceWall: number
}

function compareFree (a: Resources, b: Resources): number {
  for (const k of RESOURCE_KEYS) if (a[k] !== b[k]) return b[k] - a[k]
  return 0
}

/** Health from an observation: Ready while the API answers and a node is Ready. */
export function judgeHealth (obs: ClusterObservation, previous: HealthMemory | undefined, thresholdMs: number, nowMono: number, nowWall: number): { health: ClusterHealth, reason: string, sinceWall: number } {
  let health: ClusterHealth
  let reason: string
  if (obs.reachable) {
    const ready = obs.nodes.filter((n) => n.ready).length
    health = ready > 0 ? 'Ready' : 'NotReady'
    reason = ready > 0 ? `${ready} of ${obs.nodes.length} nodes Ready` : 'no node is Ready'
  } else if (obs.lastContactMs === undefined) {
    health = previous?.health === 'Ready' ? 'Ready' : 'Unknown'
    reason = `the cluster API has not answered yet${obs.lastError === undefined ? '' : `: ${obs.lastError}`}`
  } else {
    // The message must not tick with time, or every tick would rewrite the record.
    const silentMs = nowMono - obs.lastContactMs
    health = silentMs >= thresholdMs ? 'NotReady' : (previous?.health ?? 'Unknown')
    reason = `the cluster API is not answering (NotReady after ${Math.round(thresholdMs / 1000)} s)${obs.lastError === undefined ? '' : `: ${obs.lastError}`}`
  }
  const sinceWall = previous !== undefined && previous.health === health ? previous.sinceWall : nowWall
  return { health, reason, sinceWall }
}

export function clusterRecordFrom (site: SiteId, settings: ClusterSettings, obs: ClusterObservation, previous: HealthMemory | undefined, nowMono: number, nowWall: number): ClusterRecord {
  const judged = judgeHealth(obs, previous, settings.failureThresholdMs, nowMono, nowWall)
  let allocatable = zeroResources()
  let allocated = zeroResources()
  const free: Resources[] = []
  let readyNodes = 0
  for (const n of obs.nodes) {
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
    reason: judged.health === 'Ready' ? 'ClusterReady' : obs.reachable ? 'NoReadyNodes' : 'ClusterUnreachable',
    message: judged.reason,
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
    capacity: allocatable,
    allocatable,
    allocated,
    nodeFree: free.sort(compareFree).slice(0, NODE_FREE_LIMIT),
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
