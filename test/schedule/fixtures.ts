/**
 * Builders for scheduler tests: clusters with capacity expressed in "replicas of the
 * standard workload" (1 cpu, 1Gi), deployments, and policy records.
 */
import type { ClusterRecord, PolicyRecord, Residency, WorkloadRecord } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { workloadKey } from '../../src/model/kube.ts'
import { POLICY_API_VERSION, type PolicyKind, type Taint } from '../../src/model/policy.ts'
import { zeroResources, type Resources } from '../../src/model/resources.ts'

const GI = 2 ** 30

export function res (r: Partial<Resources>): Resources {
  return { ...zeroResources(), ...r }
}

export interface ClusterOpts {
  region?: string
  zone?: string
  provider?: string
  labels?: Record<string, string>
  taints?: Taint[]
  health?: ClusterRecord['health']
  /** Free cpu cores = how many standard (1 cpu, 1Gi) replicas fit, spread over `nodes` nodes. */
  fits?: number
  nodes?: number
  /** Explicit free resources per node (overrides `fits`). */
  nodeFree?: Resources[]
}

export function cluster (id: string, o: ClusterOpts = {}): ClusterRecord {
  const [site = 'x', name = 'c'] = id.split('.')
  const fits = o.fits ?? 100
  const nodes = o.nodes ?? 1
  const nodeFree = o.nodeFree ?? Array.from({ length: nodes }, (_, i) => {
    const share = Math.floor(fits / nodes) + (i < fits % nodes ? 1 : 0)
    return res({ cpuMilli: share * 1000, memoryBytes: share * GI * 4, pods: 110 })
  })
  const free = nodeFree.reduce((a, n) => {
    const out = { ...a }
    for (const k of Object.keys(n) as Array<keyof Resources>) out[k] += n[k]
    return out
  }, zeroResources())
  return {
    id, site, name, mode: 'push', provider: o.provider ?? 'aws', region: o.region ?? 'eu', zone: o.zone ?? `${o.region ?? 'eu'}-a`,
    labels: o.labels ?? {}, taints: o.taints ?? [], health: o.health ?? 'Ready', conditions: [], healthSince: 0,
    capacity: free, allocatable: free, allocated: zeroResources(), nodeFree, nodes: { total: nodeFree.length, ready: nodeFree.length }
  }
}

export interface DeploymentOpts {
  namespace?: string
  replicas?: number
  labels?: Record<string, string>
  requests?: Record<string, string | number>
  limits?: Record<string, string | number>
  kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet'
  origin?: string
  residency?: Residency
  image?: string
}

export function deployment (name: string, o: DeploymentOpts = {}): WorkloadRecord {
  const manifest: KubeObject = {
    apiVersion: 'apps/v1',
    kind: o.kind ?? 'Deployment',
    metadata: { name, namespace: o.namespace ?? 'default', labels: o.labels ?? { app: name } },
    spec: {
      replicas: o.replicas ?? 3,
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{
            name: 'main',
            image: o.image ?? 'nginx:1.27',
            resources: {
              ...(o.requests !== undefined || o.limits === undefined ? { requests: o.requests ?? { cpu: '1', memory: '1Gi' } } : {}),
              ...(o.limits !== undefined ? { limits: o.limits } : {})
            }
          }]
        }
      }
    }
  }
  return workloadOf(manifest, o)
}

export function workloadOf (manifest: KubeObject, o: { origin?: string, residency?: Residency } = {}): WorkloadRecord {
  return {
    key: workloadKey(manifest), origin: o.origin ?? 'eu1', residency: o.residency ?? { kind: 'global' }, stateless: true,
    manifest, generation: 1, updatedAt: 0
  }
}

export function service (name: string, namespace = 'default'): WorkloadRecord {
  return workloadOf({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ port: 80 }] } })
}

export function policy (name: string, spec: Record<string, unknown>, o: { kind?: PolicyKind, namespace?: string } = {}): PolicyRecord {
  const kind = o.kind ?? 'PropagationPolicy'
  const namespace = kind === 'ClusterPropagationPolicy' ? undefined : (o.namespace ?? 'default')
  return {
    key: `${kind}/${namespace ?? '_'}/${name}`,
    kind,
    origin: 'eu1',
    object: { apiVersion: POLICY_API_VERSION, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) }, spec },
    generation: 1,
    updatedAt: 0
  }
}

export const selectDeployments = [{ apiVersion: 'apps/v1', kind: 'Deployment' }]

export function pp (placement: Record<string, unknown>, extra: Record<string, unknown> = {}): PolicyRecord {
  return policy('pp', { resourceSelectors: selectDeployments, placement, ...extra })
}

/** `{clusterId: replicas}` of a decision, for compact expectations. */
export function binding (d: { assignments: Array<{ cluster: string, replicas: number }> }): Record<string, number> {
  return Object.fromEntries(d.assignments.map((a) => [a.cluster, a.replicas]))
}
