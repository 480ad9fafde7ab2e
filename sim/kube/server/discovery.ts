/**
 * Discovery documents: `/version`, `/api` (APIVersions), `/apis` (APIGroupList),
 * `/apis/<group>` (APIGroup) and the APIResourceList of each group version, with the
 * verbs, short names, categories and subresources kubectl resolves kinds and plurals
 * from. Served in the legacy (unaggregated) format, which clients fall back to.
 */
import { fnv1a, type JsonObject } from '../../../src/k8s/json.ts'
import { apiVersionOf, groupVersions, verbsOf, type ResourceType } from '../model/resource-types.ts'
import * as groups from '../../../src/k8s/discovery.ts'

export function versionInfo (gitVersion: string): JsonObject {
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion)
  return {
    major: m?.[1] ?? '1',
    minor: m?.[2] ?? '32',
    gitVersion,
    gitCommit: 'flotilla-kube-emulator',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64'
  }
}

export const apiVersions = groups.apiVersions

export function apiGroupList (): JsonObject {
  return groups.apiGroupList(groupVersions())
}

export function apiGroup (group: string): JsonObject | undefined {
  return groups.apiGroup(groupVersions(), group)
}

function resourceEntries (r: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...verbsOf(r)],
    storageVersionHash: Buffer.from(fnv1a(`${apiVersionOf(r)}/${r.kind}`).toString(16)).toString('base64').slice(0, 11)
  }
  if (r.shortNames.length > 0) main['shortNames'] = [...r.shortNames]
  if (r.categories.length > 0) main['categories'] = [...r.categories]
  const out = [main]
  if (r.statusSubresource) out.push({ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] })
  if (r.scaleSubresource) {
    out.push({ name: `${r.plural}/scale`, singularName: '', namespaced: r.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] })
  }
  return out
}

export function apiResourceList (group: string, version: string): JsonObject | undefined {
  const gv = groupVersions().find((g) => g.group === group && g.version === version)
  if (gv === undefined) return undefined
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: gv.resources.flatMap(resourceEntries)
  }
}
