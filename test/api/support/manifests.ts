/**
 * Manifests the API tests apply: a Deployment, Service, Ingress and PropagationPolicy
 * (as YAML for kubectl and as objects for client-node), cluster records, and shares.
 */
import type { ClusterRecord, ShareStatus } from '../../../src/model/federation.ts'
import type { KubeObject } from '../../../src/model/kube.ts'
import { zeroResources, type Resources } from '../../../src/model/resources.ts'

export function deployment (name: string, opts: { namespace?: string, replicas?: number, image?: string, labels?: Record<string, string>, annotations?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name, namespace: opts.namespace ?? 'default', labels: { app: name, ...opts.labels },
      ...(opts.annotations === undefined ? {} : { annotations: opts.annotations })
    },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: opts.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] }] }
      }
    }
  }
}

export const WEB_STACK_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 80}}
---
apiVersion: policy.flotilla.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: web-spread
spec:
  priority: 5
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [eu-west, ap-east]}
    replicaScheduling:
      replicaSchedulingType: Divided
`

/** A Deployment with several bad fields at once, and a policy that contradicts itself. */
export const BAD_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  annotations:
    flotilla.io/residency: "somewhere"
spec:
  replicas: -2
  selector:
    matchLabels: {app: broken}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers:
      - name: web
`

export const BAD_POLICY_YAML = `apiVersion: policy.flotilla.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: impossible
spec:
  resourceSelectors:
  - apiVersion: apps/v1
    kind: Deployment
  placement:
    spreadConstraints:
    - {spreadByField: region, minGroups: 3, maxGroups: 1}
    replicaScheduling:
      replicaSchedulingType: Sideways
`

function resources (cpuMilli: number, memoryGi: number, gpu = 0): Resources {
  return { ...zeroResources(), cpuMilli, memoryBytes: memoryGi * 2 ** 30, pods: 110, gpu }
}

export function clusterRecord (site: string, name: string, region: string, opts: { gpu?: number, health?: ClusterRecord['health'] } = {}): ClusterRecord {
  return {
    id: `${site}.${name}`, site, name, mode: 'push', provider: 'on-prem', region, zone: `${region}-a`,
    labels: { env: 'prod' }, taints: [], health: opts.health ?? 'Ready', conditions: [{ type: 'Ready', status: 'True' }], healthSince: 1_700_000_000_000,
    capacity: resources(16000, 64, opts.gpu ?? 0), allocatable: resources(15000, 60, opts.gpu ?? 0), allocated: resources(2000, 8, Math.min(1, opts.gpu ?? 0)),
    nodeFree: [resources(4000, 16)], nodes: { total: 4, ready: 4 }
  }
}

export function share (workload: string, cluster: string, ready: number, desired = ready): ShareStatus {
  return { workload, cluster, desired, ready, available: ready, conditions: [{ type: 'Available', status: 'True' }], observedGeneration: 1 }
}
