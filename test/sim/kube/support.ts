/**
 * Builders shared by the kube emulator tests: manifests with resource requests, and a
 * model on the simulator's virtual clock.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { createVirtualClock, type VirtualClock } from '../../../sim/engine/virtual-clock.ts'
import { createClusterModel, type ClusterModel, type ClusterModelOptions } from '../../../sim/kube/model/cluster-model.ts'
import { mustResource, type ResourceType } from '../../../sim/kube/model/resource-types.ts'

export const DEPLOYMENTS = mustResource('apps/v1', 'Deployment')
export const STATEFULSETS = mustResource('apps/v1', 'StatefulSet')
export const DAEMONSETS = mustResource('apps/v1', 'DaemonSet')
export const PODS = mustResource('v1', 'Pod')
export const NODES = mustResource('v1', 'Node')
export const EVENTS = mustResource('v1', 'Event')
export const NAMESPACES = mustResource('v1', 'Namespace')
export const CONFIGMAPS = mustResource('v1', 'ConfigMap')
export const SERVICES = mustResource('v1', 'Service')

export interface WorkloadShape {
  replicas?: number
  requests?: Record<string, string | number>
  image?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  nodeSelector?: Record<string, string>
  namespace?: string
}

export function podTemplate (name: string, s: WorkloadShape): Record<string, unknown> {
  return {
    metadata: { labels: { app: name }, ...(s.annotations === undefined ? {} : { annotations: s.annotations }) },
    spec: {
      ...(s.nodeSelector === undefined ? {} : { nodeSelector: s.nodeSelector }),
      containers: [{ name: 'main', image: s.image ?? 'nginx:1.27', ...(s.requests === undefined ? {} : { resources: { requests: s.requests, limits: gpuLimits(s.requests) } }) }]
    }
  }
}

function gpuLimits (requests: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(requests)) if (k.startsWith('nvidia.com/')) out[k] = v
  return out
}

export function deployment (name: string, s: WorkloadShape = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(s.namespace === undefined ? {} : { namespace: s.namespace }), labels: { app: name, ...s.labels } },
    spec: { replicas: s.replicas ?? 1, selector: { matchLabels: { app: name } }, template: podTemplate(name, s) }
  }
}

export function statefulSet (name: string, s: WorkloadShape = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: { replicas: s.replicas ?? 1, serviceName: name, selector: { matchLabels: { app: name } }, template: podTemplate(name, s) }
  }
}

export function daemonSet (name: string, s: WorkloadShape = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: { selector: { matchLabels: { app: name } }, template: podTemplate(name, s) }
  }
}

export interface VirtualCluster {
  clock: VirtualClock
  model: ClusterModel
  /** Applies with server-side apply as `manager` (default "test"). */
  apply (resource: ResourceType, object: KubeObject, manager?: string): KubeObject
  /** Lets `ms` of virtual time pass (0 runs what is due now). */
  advance (ms?: number): Promise<void>
  get (resource: ResourceType, name: string, namespace?: string): KubeObject
  pods (app?: string): KubeObject[]
}

export function virtualCluster (options: Omit<ClusterModelOptions, 'clock'> = {}): VirtualCluster {
  const clock = createVirtualClock()
  const model = createClusterModel({ ...options, clock })
  return {
    clock,
    model,
    apply (resource, object, manager = 'test') {
      const namespace = resource.namespaced ? (object.metadata.namespace ?? 'default') : undefined
      return model.api.patch({ resource, namespace }, object.metadata.name, 'apply', object, { fieldManager: manager }).object
    },
    async advance (ms = 0) { await clock.runFor(ms) },
    get (resource, name, namespace = 'default') {
      return model.api.get({ resource, namespace: resource.namespaced ? namespace : undefined }, name)
    },
    pods (app) {
      return model.api.list({ resource: PODS, namespace: 'default' }, app === undefined ? {} : { labelSelector: `app=${app}` }).items
    }
  }
}

export function condition (o: KubeObject, type: string): Record<string, unknown> | undefined {
  const list = (o.status?.['conditions'] ?? []) as Array<Record<string, unknown>>
  return list.find((c) => c['type'] === type)
}

export function nodeOf (pod: KubeObject): string | undefined {
  return pod.spec?.['nodeName'] as string | undefined
}
