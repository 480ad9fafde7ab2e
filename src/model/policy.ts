/**
 * Karmada-compatible policy shapes (policy.flotilla.io/v1alpha1): PropagationPolicy,
 * ClusterPropagationPolicy and OverridePolicy. Field names follow Karmada's
 * policy.karmada.io/v1alpha1 so existing manifests port by changing the group. Only the
 * semantics Flotilla implements are typed; unknown fields are refused by validation.
 */
import type { KubeObject } from './kube.ts'

export interface LabelSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values?: string[]
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelSelectorRequirement[]
}

export interface ResourceSelector {
  apiVersion: string
  kind: string
  namespace?: string
  name?: string
  labelSelector?: LabelSelector
}

export interface FieldSelectorRequirement {
  /**
   * `provider`, `region` or `zone` (Karmada's cluster field selector keys); Flotilla adds
   * `site`, the id of the site that owns the cluster.
   */
  key: 'provider' | 'region' | 'zone' | 'site'
  operator: 'In' | 'NotIn'
  values: string[]
}

export interface ClusterAffinity {
  clusterNames?: string[]
  exclude?: string[]
  labelSelector?: LabelSelector
  fieldSelector?: { matchExpressions: FieldSelectorRequirement[] }
}

export interface ClusterAffinityTerm extends ClusterAffinity {
  affinityName: string
}

export interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
}

export interface Taint {
  key: string
  value?: string
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
}

export type SpreadByField = 'cluster' | 'region' | 'zone' | 'provider' | 'site'

export interface SpreadConstraint {
  spreadByField?: SpreadByField
  spreadByLabel?: string
  minGroups?: number
  maxGroups?: number
}

export interface StaticClusterWeight {
  targetCluster: ClusterAffinity
  weight: number
}

export interface ReplicaSchedulingStrategy {
  replicaSchedulingType?: 'Duplicated' | 'Divided'
  replicaDivisionPreference?: 'Aggregated' | 'Weighted'
  weightPreference?: {
    staticWeightList?: StaticClusterWeight[]
    dynamicWeight?: 'AvailableReplicas'
  }
}

export interface Placement {
  clusterAffinity?: ClusterAffinity
  clusterAffinities?: ClusterAffinityTerm[]
  clusterTolerations?: Toleration[]
  spreadConstraints?: SpreadConstraint[]
  replicaScheduling?: ReplicaSchedulingStrategy
}

export interface FailoverBehavior {
  /** Flotilla extension: when a failed site returns, move work back `never` or after a window. */
  failback?: { policy: 'Never' | 'AfterStabilization', stabilizationSeconds?: number }
}

export interface PropagationSpec {
  resourceSelectors: ResourceSelector[]
  placement: Placement
  priority?: number
  /** Flotilla extension: residency of the selected workloads unless they set their own. */
  residency?: { regions?: string[], localOnly?: boolean }
  failover?: FailoverBehavior
}

export interface ImageOverrider {
  component: 'Registry' | 'Repository' | 'Tag'
  operator: 'add' | 'remove' | 'replace'
  value?: string
  predicate?: { path: string }
}

export interface CommandArgsOverrider {
  containerName: string
  operator: 'add' | 'remove'
  value: string[]
}

export interface LabelAnnotationOverrider {
  operator: 'add' | 'remove' | 'replace'
  value: Record<string, string>
}

export interface PlaintextOverrider {
  path: string
  operator: 'add' | 'remove' | 'replace'
  value?: unknown
}

export interface Overriders {
  imageOverrider?: ImageOverrider[]
  commandOverrider?: CommandArgsOverrider[]
  argsOverrider?: CommandArgsOverrider[]
  labelsOverrider?: LabelAnnotationOverrider[]
  annotationsOverrider?: LabelAnnotationOverrider[]
  plaintext?: PlaintextOverrider[]
}

export interface OverrideRule {
  targetCluster?: ClusterAffinity
  overriders: Overriders
}

export interface OverrideSpec {
  resourceSelectors?: ResourceSelector[]
  overrideRules: OverrideRule[]
}

export type PolicyKind = 'PropagationPolicy' | 'ClusterPropagationPolicy' | 'OverridePolicy'

export const POLICY_API_VERSION = 'policy.flotilla.io/v1alpha1'

export interface PolicyObject extends KubeObject {
  kind: PolicyKind
  spec: Record<string, unknown>
}
