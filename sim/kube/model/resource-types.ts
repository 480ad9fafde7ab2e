/**
 * The resource kinds the emulated cluster serves, with what discovery, routing, status
 * subresources and generation tracking need to know about each. One table: adding a kind
 * here makes it routable, discoverable and storable (controllers are separate).
 */

export interface ResourceType {
  /** API group; '' for the core group. */
  group: string
  version: string
  kind: string
  listKind: string
  plural: string
  singular: string
  shortNames: readonly string[]
  namespaced: boolean
  /** Whether `status` is a subresource (ignored on main-resource writes). */
  statusSubresource: boolean
  scaleSubresource: boolean
  /** Whether `metadata.generation` is tracked (bumped on spec change). */
  generation: boolean
  categories: readonly string[]
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const

function rt (r: Omit<ResourceType, 'listKind'>): ResourceType {
  return { ...r, listKind: `${r.kind}List` }
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  rt({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', shortNames: ['ns'], namespaced: false, statusSubresource: true, scaleSubresource: false, generation: false, categories: [] }),
  rt({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', shortNames: ['no'], namespaced: false, statusSubresource: true, scaleSubresource: false, generation: false, categories: [] }),
  rt({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true, statusSubresource: true, scaleSubresource: false, generation: false, categories: ['all'] }),
  rt({ group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', shortNames: ['svc'], namespaced: true, statusSubresource: true, scaleSubresource: false, generation: false, categories: ['all'] }),
  rt({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', shortNames: ['cm'], namespaced: true, statusSubresource: false, scaleSubresource: false, generation: false, categories: [] }),
  rt({ group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', shortNames: ['ev'], namespaced: true, statusSubresource: false, scaleSubresource: false, generation: false, categories: [] }),
  rt({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', shortNames: ['deploy'], namespaced: true, statusSubresource: true, scaleSubresource: true, generation: true, categories: ['all'] }),
  rt({ group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', shortNames: ['sts'], namespaced: true, statusSubresource: true, scaleSubresource: true, generation: true, categories: ['all'] }),
  rt({ group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', shortNames: ['ds'], namespaced: true, statusSubresource: true, scaleSubresource: false, generation: true, categories: ['all'] }),
  rt({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', singular: 'ingress', shortNames: ['ing'], namespaced: true, statusSubresource: true, scaleSubresource: false, generation: true, categories: [] })
]

export function apiVersionOf (r: ResourceType): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`
}

export function verbsOf (r: ResourceType): readonly string[] {
  // As on a real cluster, namespaces cannot be deleted as a collection.
  return r.kind === 'Namespace' ? ALL_VERBS.filter((v) => v !== 'deletecollection') : ALL_VERBS
}

const byKind = new Map(RESOURCE_TYPES.map((r) => [`${apiVersionOf(r)}/${r.kind}`, r]))
const byPlural = new Map(RESOURCE_TYPES.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]))

export function resourceByKind (apiVersion: string, kind: string): ResourceType | undefined {
  return byKind.get(`${apiVersion}/${kind}`)
}

export function resourceByPlural (group: string, version: string, plural: string): ResourceType | undefined {
  return byPlural.get(`${group}/${version}/${plural}`)
}

/** `resourceByKind` for callers that know the kind is served (a programming error otherwise). */
export function mustResource (apiVersion: string, kind: string): ResourceType {
  const r = resourceByKind(apiVersion, kind)
  if (r === undefined) throw new Error(`kube emulator: ${apiVersion} ${kind} is not a served kind`)
  return r
}

/** Group versions in discovery order (the core group first, as the apiserver lists it). */
export function groupVersions (): Array<{ group: string, version: string, resources: ResourceType[] }> {
  const out: Array<{ group: string, version: string, resources: ResourceType[] }> = []
  for (const r of RESOURCE_TYPES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version)
    if (gv === undefined) { gv = { group: r.group, version: r.version, resources: [] }; out.push(gv) }
    gv.resources.push(r)
  }
  return out
}
