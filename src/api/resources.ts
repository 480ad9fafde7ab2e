/**
 * The kinds a site's API serves, in one table: group, version, names, scope, where the
 * objects come from (workload and policy records, or the view's clusters and sites), and
 * so which verbs they allow. Routing, discovery, OpenAPI, authorization and rendering
 * all read this table, so adding a kind here makes it routable and discoverable.
 */
import { POLICY_API_VERSION } from '../model/policy.ts'

/** Where objects of a kind come from: stored records (writable) or the view (read-only). */
export type ResourceSource = 'workload' | 'policy' | 'cluster' | 'site'

export interface ApiResource {
  /** API group; '' for the core group. */
  group: string
  version: string
  kind: string
  listKind: string
  plural: string
  singular: string
  shortNames: readonly string[]
  namespaced: boolean
  source: ResourceSource
  categories: readonly string[]
  /** Serves the autoscaling/v1 `scale` subresource (`kubectl scale`). */
  scale: boolean
}

export const FLOTILLA_CLUSTER_GROUP = 'cluster.flotilla.io'
const POLICY_GROUP = POLICY_API_VERSION.split('/')[0] as string

function res (r: Omit<ApiResource, 'listKind' | 'singular' | 'scale'> & { singular?: string, scale?: boolean }): ApiResource {
  return { ...r, singular: r.singular ?? r.kind.toLowerCase(), listKind: `${r.kind}List`, scale: r.scale ?? false }
}

export const API_RESOURCES: readonly ApiResource[] = [
  res({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, source: 'workload', categories: [] }),
  res({ group: '', version: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'], namespaced: true, source: 'workload', categories: ['all'] }),
  res({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'], namespaced: true, source: 'workload', categories: [] }),
  res({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], namespaced: true, source: 'workload', categories: ['all'], scale: true }),
  res({ group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], namespaced: true, source: 'workload', categories: ['all'], scale: true }),
  res({ group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], namespaced: true, source: 'workload', categories: ['all'] }),
  res({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], namespaced: true, source: 'workload', categories: [] }),
  res({ group: POLICY_GROUP, version: 'v1alpha1', kind: 'PropagationPolicy', plural: 'propagationpolicies', shortNames: ['pp'], namespaced: true, source: 'policy', categories: ['flotilla'] }),
  res({ group: POLICY_GROUP, version: 'v1alpha1', kind: 'ClusterPropagationPolicy', plural: 'clusterpropagationpolicies', shortNames: ['cpp'], namespaced: false, source: 'policy', categories: ['flotilla'] }),
  res({ group: POLICY_GROUP, version: 'v1alpha1', kind: 'OverridePolicy', plural: 'overridepolicies', shortNames: ['op'], namespaced: true, source: 'policy', categories: ['flotilla'] }),
  res({ group: FLOTILLA_CLUSTER_GROUP, version: 'v1alpha1', kind: 'Cluster', plural: 'clusters', shortNames: [], namespaced: false, source: 'cluster', categories: ['flotilla'] }),
  res({ group: FLOTILLA_CLUSTER_GROUP, version: 'v1alpha1', kind: 'Site', plural: 'sites', shortNames: [], namespaced: false, source: 'site', categories: ['flotilla'] })
]

export const READ_VERBS = ['get', 'list', 'watch'] as const
export const WRITE_VERBS = ['create', 'update', 'patch', 'delete'] as const
export type Verb = typeof READ_VERBS[number] | typeof WRITE_VERBS[number]

export function isWritable (r: ApiResource): boolean {
  return r.source === 'workload' || r.source === 'policy'
}

export function verbsOf (r: ApiResource): Verb[] {
  return isWritable(r) ? ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] : [...READ_VERBS]
}

export function apiVersionOf (r: ApiResource): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`
}

const byPlural = new Map(API_RESOURCES.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]))
const byKind = new Map(API_RESOURCES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]))

export function resourceByPlural (group: string, version: string, plural: string): ApiResource | undefined {
  return byPlural.get(`${group}/${version}/${plural}`)
}

export function resourceByKind (apiVersion: string, kind: string): ApiResource | undefined {
  return byKind.get(`${apiVersion}/${kind}`)
}

/** Group versions in discovery order (the core group first). */
export function groupVersions (): Array<{ group: string, version: string, resources: ApiResource[] }> {
  const out: Array<{ group: string, version: string, resources: ApiResource[] }> = []
  for (const r of API_RESOURCES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version)
    if (gv === undefined) { gv = { group: r.group, version: r.version, resources: [] }; out.push(gv) }
    gv.resources.push(r)
  }
  return out
}
