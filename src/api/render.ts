/**
 * Turns what a site knows into the Kubernetes objects its API serves: a workload's stored
 * manifest plus a `status` computed from the view (the placement each cluster holds and
 * its ready replicas, under `status.flotilla`, and the usual `readyReplicas`...), policy
 * objects as stored, and read-only Cluster and Site objects built from the view's
 * records. Pure: the caller supplies the effective placement and first-seen times.
 */
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

/** The binding that speaks for the current generation: the latest decision for it, else the latest at all. */
function currentBinding (bindings: readonly Binding[], generation: number): Binding | undefined {
  let best: Binding | undefined
  for (const b of bindings) {
    if (best === undefined) { best = b; continue }
    const cur = best.generation === generation
    const cand = b.generation === generation
    if (cand && !cur) best = b
    else if (cand === cur && (b.decidedAt > best.decidedAt || (b.decidedAt === best.decidedAt && b.decidedBy < best.decidedBy))) best = b
  }
  return best
}

export interface WorkloadInput {
  record: WorkloadRecord | LocalWorkloadRecord
  bindings: readonly Binding[]
  shares: readonly ShareStatus[]
  /** `SiteHandle.placement(key)`: where this site believes the workload runs now. */
  effective: EffectivePlacement | undefined
  conflictingOrigins?: readonly string[]
}

function originOf (record: WorkloadRecord | LocalWorkloadRecord): string {
  return 'origin' in record ? record.origin : record.manifest.metadata.annotations?.[ORIGIN_ANNOTATION] ?? ''
}

export function flotillaStatus (input: WorkloadInput): FlotillaStatus {
  const { record, shares } = input
  const binding = input.effective === undefined ? currentBinding(input.bindings, record.generation) : undefined
  const assignments = input.effective?.assignments ?? binding?.placement ?? []
  const readyOn = new Map(shares.map((s) => [s.cluster, s.ready]))
  // Without a decision in view (yet), the shares the clusters report are the placement.
  const rows: PlacementRow[] = assignments.length === 0
    ? shares.map((s) => ({ cluster: s.cluster, replicas: s.desired, ready: s.ready }))
    : assignments.map((a) => ({ cluster: a.cluster, replicas: a.replicas, ready: readyOn.get(a.cluster) ?? 0 }))
  const assigned = new Set(assignments.map((a) => a.cluster))
  // Replicas still running where the placement no longer wants them (draining after a move).
  if (assignments.length > 0) for (const s of shares) if (!assigned.has(s.cluster) && s.ready > 0) rows.push({ cluster: s.cluster, replicas: 0, ready: s.ready })
  rows.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0))
  const manifestReplicas = typeof record.manifest.spec?.['replicas'] === 'number' ? record.manifest.spec['replicas'] as number : 1
  const fromShares = shares.reduce((n, s) => n + s.desired, 0)
  const desired = assignments.length > 0 ? assignments.reduce((n, a) => n + a.replicas, 0) : shares.length > 0 ? fromShares : manifestReplicas
  const ready = assignments.length > 0 ? rows.filter((r) => assigned.has(r.cluster)).reduce((n, r) => n + r.ready, 0) : shares.reduce((n, s) => n + s.ready, 0)
  const status: FlotillaStatus = {
    origin: originOf(record),
    residency: 'residency' in record ? residencyText(record.residency) : 'local-only',
    stateless: 'stateless' in record ? record.stateless : record.manifest.kind === 'Deployment',
    generation: record.generation,
    placement: rows,
    desired,
    ready
  }
  const degraded = input.effective?.degraded ?? binding?.degraded
  if (degraded !== undefined) status.degraded = degraded
  const reason = input.effective?.reason ?? binding?.reason
  if (reason !== undefined) status.reason = reason
  if (binding !== undefined) status.decidedBy = binding.decidedBy
  if (input.conflictingOrigins !== undefined && input.conflictingOrigins.length > 0) status.conflictingOrigins = [...input.conflictingOrigins]
  return status
}

function kindStatus (kind: string, f: FlotillaStatus, shares: readonly ShareStatus[], generation: number): Record<string, unknown> {
  const available = shares.reduce((n, s) => n + s.available, 0)
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
  const f = flotillaStatus(input)
  const { status: _ignored, ...rest } = manifest
  return ordered({ ...rest, metadata: { ...manifest.metadata }, status: { ...kindStatus(manifest.kind, f, input.shares, input.record.generation), flotilla: f } })
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
