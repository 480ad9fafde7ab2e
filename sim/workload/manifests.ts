/**
 * The objects the simulated users apply: Deployments with resource requests (cpu,
 * memory, whole GPUs or vGPU shares) and a residency annotation, Services and ConfigMaps,
 * and per-site PropagationPolicies that select them by a `tier` label — spread across
 * the federation, pinned to a region by cluster affinity (a placement preference), kept
 * in a region by residency (a compliance line), GPU work, and Duplicated plain objects.
 */
import type { KubeObject, WorkloadKey } from '../../src/model/kube.ts'
import { workloadKey } from '../../src/model/kube.ts'
import { POLICY_API_VERSION } from '../../src/model/policy.ts'
import { zeroResources, type Resources } from '../../src/model/resources.ts'
import { RESIDENCY_ANNOTATION } from '../../src/site/site-handle.ts'

export type Tier = 'spread' | 'regional' | 'resident' | 'gpu'

export interface DeploymentShape {
  name: string
  namespace: string
  tier: Tier
  replicas: number
  image: string
  cpuMilli: number
  memoryMiB: number
  /** Whole GPUs per replica. */
  gpu: number
  /** vGPU share per replica (cores in percent of a card, memory in MiB). */
  vgpu?: { cores: number, memoryMiB: number }
  /** The `flotilla.io/residency` annotation: `local-only` or `regions=a,b`; absent means global. */
  residency?: string
}

export function deploymentManifest (d: DeploymentShape): KubeObject {
  const requests: Record<string, string> = { cpu: `${d.cpuMilli}m`, memory: `${d.memoryMiB}Mi` }
  const limits: Record<string, string> = {}
  if (d.gpu > 0) { requests['nvidia.com/gpu'] = String(d.gpu); limits['nvidia.com/gpu'] = String(d.gpu) }
  if (d.vgpu !== undefined) {
    for (const [k, v] of [['nvidia.com/gpucores', d.vgpu.cores], ['nvidia.com/gpumem', d.vgpu.memoryMiB]] as const) {
      requests[k] = String(v)
      limits[k] = String(v)
    }
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: d.name,
      namespace: d.namespace,
      labels: { app: d.name, tier: d.tier },
      ...(d.residency === undefined ? {} : { annotations: { [RESIDENCY_ANNOTATION]: d.residency } })
    },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: { app: d.name } },
      template: {
        metadata: { labels: { app: d.name, tier: d.tier } },
        spec: { containers: [{ name: 'app', image: d.image, resources: { requests, ...(Object.keys(limits).length > 0 ? { limits } : {}) } }] }
      }
    }
  }
}

export function perReplicaOf (d: DeploymentShape): Resources {
  return {
    ...zeroResources(),
    cpuMilli: d.cpuMilli,
    memoryBytes: d.memoryMiB * 2 ** 20,
    pods: 1,
    gpu: d.gpu,
    vgpuCores: d.vgpu?.cores ?? 0,
    vgpuMemoryMiB: d.vgpu?.memoryMiB ?? 0
  }
}

export function serviceManifest (name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name, tier: 'dup' } },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }
  }
}

export function configMapManifest (name: string, namespace: string, value: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { tier: 'dup' } }, data: { setting: value } }
}

const divided = { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' } as const

function policy (name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: POLICY_API_VERSION, kind: 'PropagationPolicy', metadata: { name, namespace }, spec }
}

function tierSelector (tier: string): Array<Record<string, unknown>> {
  return [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { tier } } }]
}

/** Spread across every cluster, replicas divided by weight. */
export function spreadPolicy (namespace: string): KubeObject {
  return policy('spread', namespace, { resourceSelectors: tierSelector('spread'), placement: { replicaScheduling: divided } })
}

/** Placed in `regions` by cluster affinity: a preference the site may change, not a compliance line. */
export function regionalPolicy (namespace: string, regions: readonly string[]): KubeObject {
  return policy('regional', namespace, {
    resourceSelectors: tierSelector('regional'),
    placement: { clusterAffinity: { fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: [...regions] }] } }, replicaScheduling: divided }
  })
}

/** Kept inside `regions` by residency: a compliance line no failover may cross. */
export function residentPolicy (namespace: string, regions: readonly string[]): KubeObject {
  return policy('resident', namespace, {
    resourceSelectors: tierSelector('resident'),
    residency: { regions: [...regions] },
    placement: { replicaScheduling: divided }
  })
}

/** GPU work: divided over the clusters with room for it. */
export function gpuPolicy (namespace: string): KubeObject {
  return policy('gpu', namespace, { resourceSelectors: tierSelector('gpu'), placement: { replicaScheduling: divided } })
}

/** Services and ConfigMaps everywhere. */
export function duplicatedPolicy (namespace: string): KubeObject {
  return policy('everywhere', namespace, {
    resourceSelectors: [{ apiVersion: 'v1', kind: 'Service' }, { apiVersion: 'v1', kind: 'ConfigMap' }],
    placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } }
  })
}

export function keyOf (obj: KubeObject): WorkloadKey {
  return workloadKey(obj)
}
