/**
 * The slice of the Kubernetes object model Flotilla stores and propagates: a plain JSON
 * object with apiVersion, kind and metadata, and helpers to name it. Workload keys are
 * `group/kind/namespace/name` (core group written as `core`, cluster-scoped objects
 * with namespace `_`), stable across sites and safe as document map keys.
 */

export interface ObjectMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  managedFields?: unknown[]
  [extra: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  data?: Record<string, string>
  [extra: string]: unknown
}

/** The kinds a site accepts as workloads, with their API group/version and scope. */
export const WORKLOAD_KINDS = {
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  StatefulSet: { apiVersion: 'apps/v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  Service: { apiVersion: 'v1', plural: 'services', namespaced: true },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps', namespaced: true },
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  Ingress: { apiVersion: 'networking.k8s.io/v1', plural: 'ingresses', namespaced: true }
} as const

export type WorkloadKind = keyof typeof WORKLOAD_KINDS

export function isWorkloadKind (kind: string): kind is WorkloadKind {
  return Object.hasOwn(WORKLOAD_KINDS, kind)
}

export type WorkloadKey = string

export function groupOf (apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? 'core' : apiVersion.slice(0, slash)
}

export function workloadKey (obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): WorkloadKey {
  const ns = obj.metadata.namespace ?? '_'
  return `${groupOf(obj.apiVersion)}/${obj.kind}/${ns}/${obj.metadata.name}`
}

export interface ParsedWorkloadKey { group: string, kind: string, namespace: string | undefined, name: string }

export function parseWorkloadKey (key: WorkloadKey): ParsedWorkloadKey {
  const [group = '', kind = '', ns = '_', ...rest] = key.split('/')
  return { group, kind, namespace: ns === '_' ? undefined : ns, name: rest.join('/') }
}

/** Replica count a workload asks for (1 for kinds without replicas). */
export function desiredReplicas (obj: KubeObject): number {
  const r = obj.spec?.['replicas']
  if (obj.kind === 'Deployment' || obj.kind === 'StatefulSet') return typeof r === 'number' ? r : 1
  return 1
}

/** Kinds that run pods and so have replicas, readiness and per-replica resource needs. */
export function runsPods (kind: string): boolean {
  return kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet'
}

/** A Deployment is stateless unless its pods mount persistent volume claims. */
export function isStatelessObject (obj: KubeObject): boolean {
  if (obj.kind === 'StatefulSet' || obj.kind === 'DaemonSet') return false
  if (obj.kind !== 'Deployment') return true
  const template = obj.spec?.['template'] as { spec?: { volumes?: Array<Record<string, unknown>> } } | undefined
  const volumes = template?.spec?.volumes ?? []
  return !volumes.some((v) => v['persistentVolumeClaim'] !== undefined)
}

export interface Condition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
}
