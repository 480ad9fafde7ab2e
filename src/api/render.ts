/**
 * Turns what a site knows into the Kubernetes objects its API serves: a workload's stored
 * manifest plus a `status` computed from the view by `aggregateStatus`, the calculation
 * the dashboard shows too (the replicas each cluster holds and its ready ones, under
 * `status.flotilla`, and the usual `readyReplicas`...), policy objects as stored, and
 * read-only Cluster and Site objects built from the view's records. Pure: the caller
 * supplies a local-only workload's placement and first-seen times.
 */
import { aggregateStatus, originBindingOf, type WorkloadStatus } from '../controllers/decisions/index.ts'
import type { Binding, ClusterRecord, PolicyRecord, Residency, ShareStatus, WorkloadRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import { resourcesToKube } from '../model/resources.ts'
import type { GlobalView, SiteView } from '../model/view.ts'
import { ORIGIN_ANNOTATION, type EffectivePlacement, type LocalWorkloadRecord } from '../site/site-handle.ts'
import { FLOTILLA_CLUSTER_GROUP } from './resources.ts'

export interface PlacementRow {
  cluster: string
  replicas: number
  ready: number
}

/** What `status.flotilla` says about a workload. */
export interface FlotillaStatus {
  origin: string
  residency: string
  stateless: boolean
  generation: number
  placement: PlacementRow[]
  desired: number
  ready: number
  degraded?: string
  reason?: string
  decidedBy?: string
  /** Other sites that claimed the same object (the view keeps the lowest site id). */
  conflictingOrigins?: string[]
}

export function residencyText (r: Residency): string {
  return r.kind === 'regions' ? `regions=${r.regions.join(',')}` : r.kind
}

export interface WorkloadInput {
  record: WorkloadRecord | LocalWorkloadRecord
  bindings: readonly Binding[]
  shares: readonly ShareStatus[]
  /** `SiteHandle.placement(key)`: for a local-only workload, the placement this site keeps for it (its plan). */
  effective: EffectivePlacement | undefined
  conflictingOrigins?: readonly string[]
}

function originOf (record: WorkloadRecord | LocalWorkloadRecord): string {
  return 'origin' in record ? record.origin : record.manifest.metadata.annotations?.[ORIGIN_ANNOTATION] ?? ''
}

/**
 * The workload and bindings `aggregateStatus` reads. A local-only workload's binding never
 * reaches the view: this site keeps it, and its effective placement is that plan.
 */
function statusInputs (input: WorkloadInput): { workload: WorkloadRecord, bindings: readonly Binding[] } {
  const { record } = input
  if ('origin' in record) return { workload: record, bindings: input.bindings }
  const origin = originOf(record)
  const workload: WorkloadRecord = { key: record.key, origin, residency: { kind: 'local-only' }, stateless: record.manifest.kind === 'Deployment', manifest: record.manifest, generation: record.generation, updatedAt: record.updatedAt }
  const e = input.effective
  const plan: Binding[] = e === undefined ? [] : [{
    workload: record.key, placement: e.assignments, decidedBy: origin, generation: record.generation, inputHeads: '', reason: e.reason, decidedAt: 0,
    ...(e.degraded !== undefined ? { degraded: e.degraded } : {})
  }]
  return { workload, bindings: plan }
}

/**
 * `status.flotilla`: the workload's aggregated status (`aggregateStatus`, the one the
 * dashboard shows), in the API's shape. Per cluster, the replicas its owner says it runs
 * (its acting binding) or else those the origin binding plans there (0 where a share
 * drains), and the ready ones reported; ready replicas count wherever they run.
 */
export function flotillaStatus (input: WorkloadInput): FlotillaStatus {
  return statusOf(input).flotilla
}

function statusOf (input: WorkloadInput): { flotilla: FlotillaStatus, aggregated: WorkloadStatus } {
  const { record } = input
  const { workload, bindings } = statusInputs(input)
  const agg = aggregateStatus(workload, bindings, input.shares)
  const origin = originOf(record)
  const binding = 'origin' in record ? originBindingOf(record, input.bindings) : undefined
  const status: FlotillaStatus = {
    origin,
    residency: 'residency' in record ? residencyText(record.residency) : 'local-only',
    stateless: 'stateless' in record ? record.stateless : record.manifest.kind === 'Deployment',
    generation: record.generation,
    // Before any placement for this generation, what the owners run is the placement.
    placement: agg.clusters.map((c) => ({ cluster: c.cluster, replicas: c.acting ?? (agg.placement.length > 0 ? c.planned : c.desired), ready: c.ready })),
    desired: agg.desired,
    ready: agg.ready
  }
  if (agg.degraded.length > 0) status.degraded = agg.degraded.join('; ')
  // A replicated workload's status is the view's alone, the same at every site; only a
  // local-only one's plan is this site's placement.
  const reason = 'origin' in record ? binding?.reason : input.effective?.reason
  if (reason !== undefined) status.reason = reason
  if (binding !== undefined) status.decidedBy = binding.decidedBy
  if (input.conflictingOrigins !== undefined && input.conflictingOrigins.length > 0) status.conflictingOrigins = [...input.conflictingOrigins]
  return { flotilla: status, aggregated: agg }
}

function kindStatus (kind: string, f: FlotillaStatus, agg: WorkloadStatus, shares: readonly ShareStatus[], generation: number): Record<string, unknown> {
  const available = agg.available
  const current = shares.filter((s) => s.observedGeneration >= generation)
  const updated = current.reduce((n, s) => n + s.ready, 0)
  switch (kind) {
    case 'Deployment':
      return { observedGeneration: generation, replicas: f.desired, readyReplicas: f.ready, availableReplicas: available, updatedReplicas: updated, unavailableReplicas: Math.max(0, f.desired - available) }
    case 'StatefulSet':
      return { observedGeneration: generation, replicas: f.desired, readyReplicas: f.ready, availableReplicas: available, currentReplicas: f.ready, updatedReplicas: updated }
    case 'DaemonSet': {
      const desired = shares.reduce((n, s) => n + s.desired, 0)
      return { observedGeneration: generation, desiredNumberScheduled: desired, currentNumberScheduled: desired, numberReady: f.ready, numberAvailable: available, updatedNumberScheduled: updated, numberMisscheduled: 0 }
    }
    case 'Namespace':
      return { phase: 'Active' }
    default:
      return {}
  }
}

const TOP = ['apiVersion', 'kind', 'metadata', 'spec']

/** Key order as the apiserver writes objects (apiVersion, kind, metadata, spec, ..., status). */
function ordered (o: Record<string, unknown>): KubeObject {
  const out: Record<string, unknown> = {}
  for (const k of TOP) if (Object.hasOwn(o, k)) out[k] = o[k]
  for (const k of Object.keys(o)) if (!Object.hasOwn(out, k) && k !== 'status') out[k] = o[k]
  if (Object.hasOwn(o, 'status')) out['status'] = o['status']
  return out as KubeObject
}

/** The workload as the API serves it (resourceVersion is set by the caller). */
export function renderWorkload (input: WorkloadInput): KubeObject {
  const { manifest } = input.record
  const { flotilla: f, aggregated } = statusOf(input)
  const { status: _ignored, ...rest } = manifest
  return ordered({ ...rest, metadata: { ...manifest.metadata }, status: { ...kindStatus(manifest.kind, f, aggregated, input.shares, input.record.generation), flotilla: f } })
}

export function renderPolicy (record: PolicyRecord): KubeObject {
  return ordered({ ...record.object, metadata: { ...record.object.metadata } })
}

function isoTime (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** A member cluster as a read-only `cluster.flotilla.io/v1alpha1` Cluster. */
export function renderCluster (c: ClusterRecord, firstSeenMs: number): KubeObject {
  return {
    apiVersion: `${FLOTILLA_CLUSTER_GROUP}/v1alpha1`,
    kind: 'Cluster',
    metadata: { name: c.id, labels: { ...c.labels }, annotations: { [ORIGIN_ANNOTATION]: c.site }, creationTimestamp: isoTime(firstSeenMs) },
    spec: { site: c.site, name: c.name, mode: c.mode, provider: c.provider, region: c.region, zone: c.zone, taints: c.taints.map((t) => ({ ...t })) },
    status: {
      health: c.health,
      healthSince: isoTime(c.healthSince),
      conditions: c.conditions.map((x) => ({ ...x })),
      nodes: { ...c.nodes },
      capacity: resourcesToKube(c.capacity),
      allocatable: resourcesToKube(c.allocatable),
      allocated: resourcesToKube(c.allocated)
    }
  }
}

/**
 * A site as a read-only `cluster.flotilla.io/v1alpha1` Site. Its document heads are left
 * out: they move on every change of that site, and would make the Site a constant stream
 * of watch events.
 */
export function renderSite (s: SiteView, view: GlobalView, firstSeenMs: number): KubeObject {
  const info = s.info
  return {
    apiVersion: `${FLOTILLA_CLUSTER_GROUP}/v1alpha1`,
    kind: 'Site',
    metadata: { name: s.id, creationTimestamp: isoTime(firstSeenMs) },
    spec: {
      region: info?.region ?? '',
      zone: info?.zone ?? '',
      publicKey: info?.publicKey ?? '',
      peerId: info?.peerId ?? '',
      endpoints: { p2p: [...(info?.endpoints.p2p ?? [])], ...(info?.endpoints.api === undefined ? {} : { api: info.endpoints.api }), ...(info?.endpoints.dashboard === undefined ? {} : { dashboard: info.endpoints.dashboard }) }
    },
    status: {
      member: s.member,
      clusters: [...s.clusters],
      /** Local-only workloads of this site, seen only as redacted stubs. */
      localOnlyStubs: view.stubs.filter((x) => x.origin === s.id).length
    }
  }
}
