/**
 * The JSON the dashboard's `/ui/api/*` endpoints answer with. The browser app reads
 * these shapes; tests and other tools may too. Everything is plain data derived from
 * the global view and the site's status, in a stable order.
 */
import type { WorkloadStatus, WorkloadPhase } from '../controllers/decisions/index.ts'
import type {
  Binding, ClusterHealth, ClusterRecord, EvidenceRecord, FederationEvent, ShareStatus
} from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { Resources } from '../model/resources.ts'
import type { EffectivePlacement, PeerStatus, SiteStatus } from '../site/site-handle.ts'

/** A site's health as this site sees it: itself, or a peer's liveness from its heartbeats. */
export type SiteHealth = 'self' | 'alive' | 'suspect' | 'failed' | 'recovering' | 'unknown'

/** `LocalOnly`: this site's local-only workload, whose readiness the global view does not carry. */
export type RowPhase = WorkloadPhase | 'LocalOnly'

export interface SummaryJson {
  site: { id: string, region: string, zone: string, peerId: string, startedAt: number }
  version: number
  build: { version: string, node: string }
  /** Wall ms the answer was made, so the client can age heartbeat figures. */
  at: number
  peers: PeerStatus[]
  alarms: string[]
  bootstrap: SiteStatus['bootstrap']
  counts: {
    sites: number
    sitesByHealth: Record<SiteHealth, number>
    clusters: number
    clustersByHealth: Record<ClusterHealth, number>
    workloads: number
    workloadsByPhase: Record<RowPhase, number>
    /** Workloads that need attention (see `WorkloadRow.attention`). */
    attention: number
    policies: number
    /** Other sites' local-only workloads, known only as redacted stubs. */
    stubs: number
    evidence: number
    events: number
    conflicts: number
    anomalies: number
  }
}

export interface SiteJson {
  id: string
  region: string
  zone: string
  peerId?: string
  self: boolean
  /** Listed in the federation roster. */
  member: boolean
  health: SiteHealth
  connected: boolean
  lastHeartbeatAgoMs?: number
  /** Changes the peer holds that this site lacks (approximate). */
  behind: number
  bytesIn: number
  bytesOut: number
  clusters: { total: number, ready: number }
  /** Workloads that originated at this site. */
  workloads: number
  endpoints: { api?: string, dashboard?: string }
}

export interface SitesJson { at: number, items: SiteJson[] }

export interface ClusterJson {
  id: string
  site: string
  name: string
  region: string
  zone: string
  provider: string
  mode: ClusterRecord['mode']
  health: ClusterHealth
  healthSince: number
  /** The owning site's health as this site sees it. */
  siteHealth: SiteHealth
  nodes: { total: number, ready: number }
  allocatable: Resources
  allocated: Resources
  capacity: Resources
  taints: number
}

export interface ClustersJson { items: ClusterJson[] }

export interface PlacementCell {
  cluster: string
  planned: number
  ready: number
  /** Running outside the plan: draining, or a failover copy. */
  extra: boolean
}

export interface WorkloadRow {
  key: string
  kind: string
  namespace?: string
  name: string
  origin: string
  /** `global`, `regions: a, b` or `local-only`. */
  residency: string
  stateless: boolean
  desired: number
  /** Null where the view carries no readiness (this site's local-only workloads). */
  ready: number | null
  phase: RowPhase
  summary: string
  placement: PlacementCell[]
  degraded: string[]
  /** Degraded, unplaced, or placed with fewer ready replicas than desired. */
  attention: boolean
}

export interface WorkloadsJson {
  /** Workloads in the view (and this site's local-only ones). */
  total: number
  /** Workloads that pass the search and filters. */
  matched: number
  offset: number
  limit: number
  items: WorkloadRow[]
  facets: { origins: string[], kinds: string[], phases: RowPhase[] }
}

export interface WorkloadDetailJson {
  row: WorkloadRow
  generation: number
  updatedAt: number
  status?: WorkloadStatus
  bindings: Binding[]
  shares: ShareStatus[]
  /** Where this site believes the workload runs now, and why. */
  effective?: EffectivePlacement
  explain?: string
  manifest?: KubeObject
  /** Why the manifest is not shown, when it is not. */
  manifestWithheld?: string
}

export interface TimelineEvent extends FederationEvent {
  /** Seen only in this site's own event log so far (not yet in the view). */
  localOnly?: boolean
  /**
   * Not in any site's log: a `partition` derived from the writing site's `site-failed`
   * events (src/liveness/partition-spans.ts), with the peers it lost together and when
   * the last came back (absent while one is not back).
   */
  derived?: { peers: string[], until?: number }
}

export interface EventsJson { total: number, offset: number, limit: number, items: TimelineEvent[] }

export interface EvidenceJson {
  total: number
  offset: number
  limit: number
  /** Proof bytes are left out (they can be large); `proofs` says how many there are. */
  items: Array<Omit<EvidenceRecord, 'proof'> & { proofs: number }>
}
