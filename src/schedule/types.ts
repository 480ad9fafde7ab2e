/**
 * The placement decision and its explanation: plain, JSON-safe data. The decision is
 * what the propagation controller writes as a Binding; the explanation is what
 * `flotilla explain` prints — for every cluster of the view, whether it was chosen or
 * why not, its score, and the replica arithmetic.
 */
import type { ClusterAssignment, ClusterHealth, ClusterId, SiteId } from '../model/federation.ts'
import type { WorkloadKey } from '../model/kube.ts'
import type { Resources } from '../model/resources.ts'
import type { AvailabilityRule } from './cluster-view.ts'
import type { PolicyCandidate } from './policies.ts'
import type { EffectiveResidency } from './residency.ts'

export type DegradedCode =
  /** Nothing feasible is left inside the residency, though clusters outside it could have run the workload. */
  | 'residency'
  /** No cluster passes the filters (availability, affinity, taints, fit). */
  | 'no-feasible-cluster'
  /** Fewer groups than a spread constraint's minGroups remain; placed over what remains. */
  | 'spread-unsatisfiable'
  /** The selected clusters cannot fit every replica; placed what fits. */
  | 'insufficient-capacity'
  /** The manifest cannot be read for placement (e.g. a malformed resource quantity). */
  | 'invalid-workload'

export interface DegradedReason {
  code: DegradedCode
  message: string
  /** Clusters outside the residency that would otherwise have been candidates. */
  blockedByResidency?: number
}

export type ClusterRule =
  | AvailabilityRule | 'no-policy' | 'invalid-workload' | 'residency' | 'affinity' | 'taint' | 'fit'
  | 'spread' | 'weight' | 'aggregated' | 'no-share'

/** How a cluster's share of a Divided workload came about. */
export interface ShareArithmetic {
  weight: number
  /** replicas * weight / total weight, before caps and rounding. */
  ideal: number
  /** The most this cluster can take (its available replicas). */
  cap: number
  floor: number
  /** replicas - floor: seats won on the remainder (negative only when capped below the ideal). */
  remainder: number
  capped: boolean
}

export interface ClusterScore {
  /** Rendezvous score in [0, 1) for this workload; higher ranks first. */
  rendezvous: number
  /** Untolerated PreferNoSchedule taints; fewer ranks first, before the rendezvous score. */
  penalty: number
  /** 1-based position among the candidates of the affinity term used. */
  rank?: number
}

export interface ClusterExplanation {
  cluster: ClusterId
  site: SiteId
  region: string
  zone: string
  provider: string
  health: ClusterHealth
  verdict: 'chosen' | 'filtered' | 'not-selected'
  rule?: ClusterRule
  reason?: string
  /** Replicas of this workload that fit (undefined for kinds that run no pods). */
  availableReplicas?: number
  score?: ClusterScore
  replicas: number
  share?: ShareArithmetic
}

export interface TermExplanation {
  index: number
  /** `affinityName` of a clusterAffinities term; undefined for the single clusterAffinity. */
  name?: string
  outcome: 'used' | 'best-effort' | 'infeasible' | 'not-tried'
  candidates: number
  filtered: Partial<Record<ClusterRule, number>>
  problems: string[]
}

export type SpreadBy = 'provider' | 'region' | 'site' | 'zone' | 'label' | 'cluster'

export interface SpreadGroupExplanation {
  value: string
  clusters: ClusterId[]
  /** Sum of available replicas of the group's candidates. */
  capacity: number
  selected: boolean
}

export interface SpreadExplanation {
  by: SpreadBy
  label?: string
  minGroups: number
  maxGroups?: number
  /** Groups (clusters for `cluster`) that had candidates. */
  available: number
  selected: number
  satisfied: boolean
  /**
   * How the selection was made when maxGroups had to cut: by rank; `fit`, the first
   * groups in rank order that hold the replicas, because the best-ranked ones could not;
   * or by capacity, a best effort when no choice holds them all (and at the cluster level
   * whenever the ranked choice cannot fit).
   */
  selection: 'all' | 'rank' | 'fit' | 'capacity'
  groups?: SpreadGroupExplanation[]
}

export interface StrategyExplanation {
  type: 'Duplicated' | 'Divided'
  division?: 'Weighted' | 'Aggregated'
  weights?: 'equal' | 'static' | 'dynamic'
  note?: string
}

export interface ArithmeticExplanation {
  /** `largest-first`: Aggregated, each cluster filled to its room in room order. */
  method: 'duplicated' | 'sainte-lague' | 'largest-first' | 'none'
  replicas: number
  placed: number
  totalWeight?: number
  /** Sum of the available replicas of the clusters sharing the replicas. */
  capacity?: number
}

export interface PlacementExplanation {
  workload: WorkloadKey
  kind: string
  origin: SiteId
  generation: number
  desiredReplicas: number
  placedReplicas: number
  perReplica?: Resources
  residency?: EffectiveResidency & { description: string }
  policy: { selected?: string, matchedBy?: string, candidates: PolicyCandidate[] }
  strategy?: StrategyExplanation
  terms: TermExplanation[]
  spread: SpreadExplanation[]
  arithmetic?: ArithmeticExplanation
  /** Every cluster of the view, sorted by id. */
  clusters: ClusterExplanation[]
  /** One line for Binding.reason. */
  summary: string
}

export interface PlacementDecision {
  workload: WorkloadKey
  /** Sorted by cluster id; Divided workloads list only clusters with replicas. */
  assignments: ClusterAssignment[]
  /** Key of the governing policy record; undefined when no policy selects the workload. */
  policy?: string
  degraded?: DegradedReason
  explanation: PlacementExplanation
}
