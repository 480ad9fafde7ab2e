/**
 * The dashboard's overview answers: the summary in the header and the overview cards,
 * the federation's sites with their health as this site sees them (its own heartbeat
 * observations, never another site's word), and the clusters with their capacity.
 * Sites come from the view, the roster and this site's peers together, so a roster
 * member whose document has not arrived yet still shows, as unknown.
 */
import type { ClusterHealth, SiteId } from '../../model/federation.ts'
import type { GlobalView } from '../../model/view.ts'
import { compareStrings } from '../../schedule/order.ts'
import type { PeerStatus, SiteStatus } from '../../site/site-handle.ts'
import type { ClustersJson, RowPhase, SiteHealth, SiteJson, SitesJson, SummaryJson } from '../dashboard-types.ts'
import type { WorkloadIndex } from './workload-index.ts'

const HEALTHS: readonly SiteHealth[] = ['self', 'alive', 'suspect', 'failed', 'recovering', 'unknown']

function healthOf (liveness: string): SiteHealth {
  return (HEALTHS as readonly string[]).includes(liveness) && liveness !== 'self' ? liveness as SiteHealth : 'unknown'
}

/** Each site's health from this site's point of view. */
export function siteHealthMap (status: SiteStatus): Map<SiteId, { health: SiteHealth, peer?: PeerStatus }> {
  const out = new Map<SiteId, { health: SiteHealth, peer?: PeerStatus }>()
  for (const p of status.peers) out.set(p.siteId, { health: healthOf(p.liveness), peer: p })
  out.set(status.siteId, { health: 'self' })
  return out
}

export function listSites (view: GlobalView, status: SiteStatus, index: WorkloadIndex, at: number): SitesJson {
  const health = siteHealthMap(status)
  const regionOf = new Map(view.federation.members.map((m) => [m.siteId, m.region]))
  const views = new Map(view.sites.map((s) => [s.id, s]))
  const ids = new Set<SiteId>([...views.keys(), ...regionOf.keys(), ...health.keys()])
  const clusters = new Map<SiteId, { total: number, ready: number }>()
  for (const c of view.clusters) {
    const n = clusters.get(c.site) ?? { total: 0, ready: 0 }
    n.total++
    if (c.health === 'Ready') n.ready++
    clusters.set(c.site, n)
  }
  const origins = index.counts.byOrigin
  const items: SiteJson[] = [...ids].sort(compareStrings).map((id) => {
    const v = views.get(id)
    const h = health.get(id)
    const peer = h?.peer
    const self = id === status.siteId
    const region = v?.info?.region ?? regionOf.get(id) ?? (self ? status.region : 'unknown')
    const zone = v?.info?.zone ?? (self ? status.zone : '')
    const peerId = v?.info?.peerId ?? peer?.peerId ?? (self ? status.peerId : undefined)
    const endpoints = v?.info?.endpoints
    return {
      id, region, zone, ...(peerId === undefined ? {} : { peerId }), self,
      // The roster this site enforces is its config's (its peers and itself); the federation
      // document's member list is empty until roster changes are replicated.
      member: v?.member === true || regionOf.has(id) || health.has(id),
      health: h?.health ?? 'unknown',
      connected: self || peer?.connected === true,
      ...(peer?.lastHeartbeatAgoMs === undefined ? {} : { lastHeartbeatAgoMs: peer.lastHeartbeatAgoMs }),
      behind: peer?.behind ?? 0, bytesIn: peer?.bytesIn ?? 0, bytesOut: peer?.bytesOut ?? 0,
      clusters: clusters.get(id) ?? { total: 0, ready: 0 },
      workloads: origins.get(id) ?? 0,
      endpoints: {
        ...(endpoints?.api === undefined ? {} : { api: endpoints.api }),
        ...(endpoints?.dashboard === undefined ? {} : { dashboard: endpoints.dashboard })
      }
    }
  })
  return { at, items }
}

export function listClusters (view: GlobalView, status: SiteStatus): ClustersJson {
  const health = siteHealthMap(status)
  return {
    items: view.clusters.map((c) => ({
      id: c.id, site: c.site, name: c.name, region: c.region, zone: c.zone, provider: c.provider, mode: c.mode,
      health: c.health, healthSince: c.healthSince, siteHealth: health.get(c.site)?.health ?? 'unknown',
      nodes: c.nodes, allocatable: c.allocatable, allocated: c.allocated, capacity: c.capacity, taints: c.taints.length
    }))
  }
}

export interface SummaryInput {
  view: GlobalView
  version: number
  status: SiteStatus
  index: WorkloadIndex
  sites: SitesJson
  events: number
  evidence: number
  build: SummaryJson['build']
  at: number
}

export function summarize (input: SummaryInput): SummaryJson {
  const { view, status, index } = input
  const sitesByHealth: Record<SiteHealth, number> = { self: 0, alive: 0, suspect: 0, failed: 0, recovering: 0, unknown: 0 }
  for (const s of input.sites.items) sitesByHealth[s.health]++
  const clustersByHealth: Record<ClusterHealth, number> = { Ready: 0, NotReady: 0, Unknown: 0 }
  for (const c of view.clusters) clustersByHealth[c.health]++
  const workloadsByPhase: Record<RowPhase, number> = { ...index.counts.byPhase }
  const attention = index.counts.attention
  return {
    site: { id: status.siteId, region: status.region, zone: status.zone, peerId: status.peerId, startedAt: status.startedAt },
    version: input.version,
    build: input.build,
    at: input.at,
    peers: status.peers,
    alarms: status.alarms,
    bootstrap: status.bootstrap,
    counts: {
      sites: input.sites.items.length, sitesByHealth,
      clusters: view.clusters.length, clustersByHealth,
      workloads: index.rows.length, workloadsByPhase, attention,
      policies: view.policies.length, stubs: view.stubs.length,
      evidence: input.evidence, events: input.events,
      conflicts: view.conflicts.length, anomalies: view.anomalies.length
    }
  }
}
