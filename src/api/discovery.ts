/**
 * Discovery documents, built from the resource table: `/version`, `/api` (APIVersions),
 * `/apis` (APIGroupList), `/apis/<group>` (APIGroup), each group version's
 * APIResourceList with verbs, short names, scope and categories, and the aggregated
 * form (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) that kubectl asks for first and
 * that spares it one request per group version.
 */
import type { JsonObject } from '../k8s/index.ts'
import { groupVersions, verbsOf, apiVersionOf, type ApiResource } from './resources.ts'
import * as groups from '../k8s/discovery.ts'

/** The Kubernetes version the API reports; kubectl 1.31-1.33 are within its supported skew. */
export const KUBERNETES_VERSION = 'v1.32.0'

export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

export function versionInfo (): JsonObject {
  return {
    major: '1',
    minor: '32',
    gitVersion: KUBERNETES_VERSION,
    gitCommit: 'flotilla',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64'
  }
}

/** Whether the Accept header asks for aggregated discovery (v2). */
export function wantsAggregated (accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept.split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim())
    return params.includes('g=apidiscovery.k8s.io') && params.includes('v=v2') && params.includes('as=APIGroupDiscoveryList')
  })
}

export const apiVersions = groups.apiVersions

export function apiGroupList (): JsonObject {
  return groups.apiGroupList(groupVersions())
}

export function apiGroup (group: string): JsonObject | undefined {
  return groups.apiGroup(groupVersions(), group)
}

const SCALE_VERBS = ['get', 'patch', 'update']

function resourceEntries (r: ApiResource): JsonObject[] {
  const e: JsonObject = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r) }
  if (r.shortNames.length > 0) e['shortNames'] = [...r.shortNames]
  if (r.categories.length > 0) e['categories'] = [...r.categories]
  if (!r.scale) return [e]
  return [e, { name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SCALE_VERBS }]
}

export function apiResourceList (group: string, version: string): JsonObject | undefined {
  const gv = groupVersions().find((g) => g.group === group && g.version === version)
  if (gv === undefined) return undefined
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(gv.resources[0] as ApiResource), resources: gv.resources.flatMap(resourceEntries) }
}

function aggregatedResource (r: ApiResource): JsonObject {
  const e: JsonObject = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: verbsOf(r)
  }
  if (r.shortNames.length > 0) e['shortNames'] = [...r.shortNames]
  if (r.categories.length > 0) e['categories'] = [...r.categories]
  if (r.scale) e['subresources'] = [{ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: SCALE_VERBS }]
  return e
}

/** `/api` (core) or `/apis` (named groups) in the aggregated form. */
export function aggregatedDiscovery (core: boolean): JsonObject {
  const groups = new Map<string, JsonObject[]>()
  for (const gv of groupVersions()) {
    if ((gv.group === '') !== core) continue
    const versions = groups.get(gv.group) ?? []
    versions.push({ version: gv.version, resources: gv.resources.map(aggregatedResource), freshness: 'Current' })
    groups.set(gv.group, versions)
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [...groups].map(([name, versions]): JsonObject => ({ metadata: name === '' ? {} : { name }, versions }))
  }
}
