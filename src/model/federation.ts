/**
 * The federation's data model as stored in the replicated documents and returned by the
 * view: sites, clusters, workloads, bindings, share status, inspections, evidence and
 * events. Plain data only; documents and the view build and read these shapes.
 */
import type { Condition, KubeObject, WorkloadKey } from './kube.ts'
import type { PolicyKind, Taint } from './policy.ts'
import type { Resources } from './resources.ts'

export type SiteId = string
/** Global cluster name: `<siteId>.<clusterName>`, both DNS-1123 labels. */
export type ClusterId = string

export function clusterId (site: SiteId, name: string): ClusterId {
  return `${site}.${name}`
}

export interface SiteInfo {
  id: SiteId
  region: string
  zone: string
  /** ed25519 public key, hex. */
  publicKey: string
  /** libp2p peer id derived from the public key. */
  peerId: string
  endpoints: { p2p: string[], api?: string, dashboard?: string }
}

export type ClusterHealth = 'Ready' | 'NotReady' | 'Unknown'

export interface ClusterRecord {
  id: ClusterId
  site: SiteId
  name: string
  mode: 'push' | 'pull'
  provider: string
  region: string
  zone: string
  labels: Record<string, string>
  taints: Taint[]
  health: ClusterHealth
  conditions: Condition[]
  /** Wall time (ms) the health last changed, as reported by the owner. */
  healthSince: number
  capacity: Resources
  allocatable: Resources
  allocated: Resources
  /** Free resources of the Ready nodes as at most 32 shapes with counts, for replica estimates (`NodeFree`). */
  nodeFree: NodeFree[]
  nodes: { total: number, ready: number }
}

/**
 * `count` Ready nodes each with at least this much free (allocatable - allocated). Nodes
 * with the same free resources share one entry; beyond the record's limit of entries
 * similar shapes are merged into their component-wise minimum, so a replica estimate
 * from the entries never exceeds what the nodes hold. Records written before counts
 * existed carry no `count`: each entry is then one node.
 */
export interface NodeFree extends Resources {
  count?: number
}

export type Residency =
  | { kind: 'global' }
  | { kind: 'regions', regions: string[] }
  | { kind: 'local-only' }

export interface WorkloadRecord {
  key: WorkloadKey
  origin: SiteId
  residency: Residency
  stateless: boolean
  /** The object as the user wrote it (status stripped). */
  manifest: KubeObject
  /** Bumped by the origin on every spec change. */
  generation: number
  /** Wall ms at the origin; reported, never trusted for ordering. */
  updatedAt: number
}

/**
 * What other sites see of a local-only workload: an opaque id and the resources it
 * holds, so capacity figures stay right without revealing the record.
 */
export interface RedactedStub {
  id: string
  kind: string
  origin: SiteId
  replicas: number
  perReplica: Resources
  cluster?: ClusterId
}

export interface PolicyRecord {
  key: string
  kind: PolicyKind
  origin: SiteId
  object: KubeObject
  generation: number
  updatedAt: number
}

export interface ClusterAssignment {
  cluster: ClusterId
  replicas: number
}

export interface Binding {
  workload: WorkloadKey
  /** The whole placement the deciding site computed. */
  placement: ClusterAssignment[]
  /** The site that wrote this binding (it owns the clusters it acts on). */
  decidedBy: SiteId
  /** The workload generation this placement is for. */
  generation: number
  /** Heads of the documents the decision was computed from, for audit. */
  inputHeads: string
  /** Why: chosen policy and a short human summary; `explain` gives the full story. */
  policy?: string
  reason: string
  degraded?: string
  /**
   * Clusters a failover binding moved off (written by the origin only). The origin fails
   * back when they have been available for its stabilisation window on its own clock,
   * which needs no memory of the failure: a restarted origin still fails back.
   */
  avoided?: ClusterId[]
  decidedAt: number
}

export interface ShareStatus {
  workload: WorkloadKey
  cluster: ClusterId
  desired: number
  ready: number
  available: number
  conditions: Condition[]
  error?: { code: string, message: string }
  observedGeneration: number
  /**
   * The plan its owner runs these replicas under: a digest of the origin binding its
   * effective placement rests on (absent when there is none). Another site releases its
   * own replicas in favour of these only under the same plan (own-shares.ts).
   */
  basis?: string
}

export type InspectionKind = 'dns' | 'certificate' | 'image-pull' | 'deploy-chain' | 'api'

export interface InspectionResult {
  kind: InspectionKind
  target: string
  verdict: 'pass' | 'warn' | 'fail'
  latencyMs: number
  at: number
  message?: string
}

export type EvidenceKind =
  | 'bad-signature' | 'unauthorized-writer' | 'actor-mismatch' | 'malformed' | 'oversized'
  | 'equivocation' | 'flood' | 'replay' | 'quarantine-full' | 'false-claim'

export interface EvidenceRecord {
  id: string
  kind: EvidenceKind
  /** Peer (site id when known, else peer id) whose traffic was refused. */
  offender: string
  observedBy: SiteId
  at: number
  detail: string
  /** Self-proving bytes where they exist (e.g. two conflicting signed envelopes), base64. */
  proof?: string[]
  count: number
}

export type EventKind =
  | 'site-suspected' | 'site-failed' | 'site-recovered' | 'cluster-not-ready' | 'cluster-ready'
  | 'migration' | 'failback' | 'degraded' | 'partition' | 'evidence' | 'info'

export interface FederationEvent {
  id: string
  kind: EventKind
  at: number
  site: SiteId
  /** Position in the writing site's event log (set by the site document; orders same-time events). */
  seq?: number
  subject: string
  cause: string
  moved?: Array<{ workload: WorkloadKey, from: ClusterId[], to: ClusterId[] }>
}

export interface RosterMember {
  siteId: SiteId
  publicKey: string
  region: string
}
