/**
 * The sample application `npm start` deploys, as plain manifests: a web shop front
 * (Deployment + Service + Ingress) that a PropagationPolicy spreads over the regions,
 * a GPU inference Deployment restricted to one region (`flotilla.io/residency:
 * regions=...`), and a local-only record (a ConfigMap of customer data,
 * `flotilla.io/residency: local-only`) that never leaves the site it was written at.
 * Also where each object lives in a site's API and which sites can see it.
 */
import type { KubeObject } from '../model/kube.ts'
import { POLICY_API_VERSION } from '../model/policy.ts'
import { RESIDENCY_ANNOTATION } from '../site/site-handle.ts'
import { apiVersionOf, resourceByKind } from '../api/resources.ts'
import { POOL_LABEL } from './layout.ts'

export const SAMPLE_NAMESPACE = 'shop'
/** Label on every sample object, so `kubectl get deploy -l app.kubernetes.io/part-of=flotilla-demo` finds them. */
export const SAMPLE_LABEL = { 'app.kubernetes.io/part-of': 'flotilla-demo' } as const
/** Label the policy of local-only data selects on (a policy naming the record would carry its name to every site). */
export const DATA_CLASS_LABEL = 'flotilla.io/data-class'

export interface SampleObject {
  manifest: KubeObject
  /** `deployment.apps/web`, as kubectl names it. */
  label: string
  /** Path of the object in a site's API. */
  path: string
  /** Workloads are placed and become Ready; policies only steer them. */
  workload: boolean
  /** Only the origin site holds it (local-only); the others must not. */
  localOnly: boolean
}

export interface SampleOptions {
  /** The region the inference workload is restricted to (the origin's). */
  region: string
  namespace?: string
}

function meta (name: string, namespace: string, extra: { labels?: Record<string, string>, annotations?: Record<string, string> } = {}): KubeObject['metadata'] {
  return {
    name,
    namespace,
    labels: { ...SAMPLE_LABEL, ...extra.labels },
    ...(extra.annotations === undefined ? {} : { annotations: extra.annotations })
  }
}

function pool (name: 'general' | 'gpu'): Record<string, unknown> {
  return { labelSelector: { matchLabels: { [POOL_LABEL]: name } } }
}

function policy (name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: POLICY_API_VERSION, kind: 'PropagationPolicy', metadata: meta(name, namespace), spec }
}

function container (name: string, image: string, requests: Record<string, string | number>, limits?: Record<string, string | number>): Record<string, unknown> {
  return { name, image, ports: [{ containerPort: 8080 }], resources: { requests, ...(limits === undefined ? {} : { limits }) } }
}

function deployment (name: string, namespace: string, replicas: number, c: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  const labels = { app: name }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, namespace, { labels, ...(annotations === undefined ? {} : { annotations }) }),
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels: { ...SAMPLE_LABEL, ...labels } }, spec: { containers: [c] } }
    }
  }
}

/** The sample's manifests, policies first (so the workloads are placed as soon as they arrive). */
export function sampleManifests (options: SampleOptions): KubeObject[] {
  const ns = options.namespace ?? SAMPLE_NAMESPACE
  const byName = (kind: string, apiVersion: string, name: string): Record<string, unknown> => ({ apiVersion, kind, name })
  return [
    policy('web', ns, {
      resourceSelectors: [byName('Deployment', 'apps/v1', 'web'), byName('Service', 'v1', 'web'), byName('Ingress', 'networking.k8s.io/v1', 'web')],
      placement: {
        clusterAffinity: pool('general'),
        // Every region while three are up; two are enough to keep serving when one fails.
        spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 3 }],
        replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' }
      }
    }),
    policy('inference', ns, {
      resourceSelectors: [byName('Deployment', 'apps/v1', 'inference')],
      placement: {
        clusterAffinity: pool('gpu'),
        replicaScheduling: { replicaSchedulingType: 'Divided' }
      }
    }),
    // Policies replicate to every site, so this one must not name the local-only record
    // (the compliance scan would rightly find its name outside its site): it selects by a
    // data-class label instead. Residency keeps the record on the origin's clusters.
    policy('restricted-data', ns, {
      resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', labelSelector: { matchLabels: { [DATA_CLASS_LABEL]: 'restricted' } } }],
      placement: { clusterAffinity: pool('general'), spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 1 }] }
    }),
    deployment('web', ns, 6, container('web', 'nginx:1.27', { cpu: '100m', memory: '64Mi' })),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('web', ns, { labels: { app: 'web' } }),
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web', ns, { labels: { app: 'web' } }),
      spec: {
        rules: [{
          host: 'shop.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] }
        }]
      }
    },
    deployment('inference', ns, 2,
      container('inference', 'ghcr.io/example/inference:1.0', { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': 1 }, { 'nvidia.com/gpu': 1 }),
      { [RESIDENCY_ANNOTATION]: `regions=${options.region}` }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('customer-records', ns, { labels: { [DATA_CLASS_LABEL]: 'restricted' }, annotations: { [RESIDENCY_ANNOTATION]: 'local-only' } }),
      data: {
        'customers.csv': 'id,name,country\n1001,Ada Lovelace,GB\n1002,Grace Hopper,US\n1003,Tu Youyou,CN\n'
      }
    }
  ]
}

/** Where `manifest` lives in a site's API, e.g. `/apis/apps/v1/namespaces/shop/deployments/web`. */
export function objectApiPath (manifest: KubeObject): string {
  const r = resourceByKind(manifest.apiVersion, manifest.kind)
  if (r === undefined) throw new Error(`the site API serves no ${manifest.kind} in ${manifest.apiVersion}`)
  const prefix = r.group === '' ? '/api/v1' : `/apis/${apiVersionOf(r)}`
  const ns = r.namespaced ? `/namespaces/${encodeURIComponent(manifest.metadata.namespace ?? 'default')}` : ''
  return `${prefix}${ns}/${r.plural}/${encodeURIComponent(manifest.metadata.name)}`
}

export function sampleObjects (options: SampleOptions): SampleObject[] {
  return sampleManifests(options).map((manifest) => {
    const r = resourceByKind(manifest.apiVersion, manifest.kind)
    const group = r === undefined || r.group === '' ? '' : `.${r.group}`
    return {
      manifest,
      label: `${manifest.kind.toLowerCase()}${group}/${manifest.metadata.name}`,
      path: objectApiPath(manifest),
      workload: r?.source === 'workload',
      localOnly: manifest.metadata.annotations?.[RESIDENCY_ANNOTATION] === 'local-only'
    }
  })
}
