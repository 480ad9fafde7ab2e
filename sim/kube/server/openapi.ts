/**
 * Just enough OpenAPI for kubectl: the v3 index and one document per group version whose
 * operations carry `x-kubernetes-group-version-kind` and the `fieldValidation` query
 * parameter, which is how kubectl learns that the server validates fields itself (so it
 * skips client-side schema validation), plus a v2 document with the same paths. Kind
 * schemas are open objects: the emulator does not publish full field schemas.
 */
import { fnv1a, type JsonObject } from '../../../src/k8s/json.ts'
import { groupVersions, type ResourceType } from '../model/resource-types.ts'

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty']

function definitionName (r: ResourceType): string {
  const group = r.group === '' ? 'core' : r.group.split('.')[0] as string
  return `io.k8s.api.${group}.${r.version}.${r.kind}`
}

function gvk (r: ResourceType): JsonObject {
  return { group: r.group, kind: r.kind, version: r.version }
}

function prefix (group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`
}

function operationId (verb: string, r: ResourceType, namespaced: boolean): string {
  const g = r.group === '' ? 'Core' : (r.group.split('.')[0] as string).replace(/^./, (c) => c.toUpperCase())
  return `${verb}${g}${r.version.toUpperCase()}${namespaced ? 'Namespaced' : ''}${r.kind}`
}

type ParamStyle = 'v2' | 'v3'

function params (names: readonly string[], style: ParamStyle): JsonObject[] {
  return names.map((name): JsonObject => (style === 'v3'
    ? { name, in: 'query', schema: { type: 'string', uniqueItems: true } }
    : { name, in: 'query', type: 'string', uniqueItems: true }))
}

function operation (verb: string, action: string, r: ResourceType, style: ParamStyle, extraParams: readonly string[]): JsonObject {
  const ref = `#/components/schemas/${definitionName(r)}`
  const response: JsonObject = style === 'v3'
    ? { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } }
    // No v2 schemas are published (an open v2 schema would make kubectl's client-side validation reject fields).
    : { description: 'OK' }
  return {
    operationId: operationId(verb, r, r.namespaced),
    parameters: params(extraParams, style),
    responses: { 200: response },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(r)
  }
}

function pathsFor (resources: readonly ResourceType[], group: string, version: string, style: ParamStyle): JsonObject {
  const paths: JsonObject = {}
  for (const r of resources) {
    const base = `${prefix(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`
    paths[base] = {
      get: operation('list', 'list', r, style, ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion', 'timeoutSeconds']),
      post: operation('create', 'post', r, style, QUERY_PARAMS.filter((p) => p !== 'force'))
    }
    paths[`${base}/{name}`] = {
      get: operation('read', 'get', r, style, ['pretty']),
      put: operation('replace', 'put', r, style, QUERY_PARAMS.filter((p) => p !== 'force')),
      patch: operation('patch', 'patch', r, style, QUERY_PARAMS),
      delete: operation('delete', 'delete', r, style, ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'])
    }
  }
  return paths
}

function kindSchema (r: ResourceType): JsonObject {
  return {
    type: 'object',
    description: `${r.kind} (served by the Flotilla kube emulator; fields are not enumerated).`,
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': [gvk(r)]
  }
}

function gvPath (group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

const docs = new Map<string, string>()

export function openApiV3GroupVersion (group: string, version: string, kubernetesVersion: string): string | undefined {
  const key = `${group}/${version}`
  const cached = docs.get(key)
  if (cached !== undefined) return cached
  const gv = groupVersions().find((g) => g.group === group && g.version === version)
  if (gv === undefined) return undefined
  const schemas: JsonObject = {}
  for (const r of gv.resources) schemas[definitionName(r)] = kindSchema(r)
  const doc = JSON.stringify({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: kubernetesVersion },
    paths: pathsFor(gv.resources, group, version, 'v3'),
    components: { schemas }
  })
  docs.set(key, doc)
  return doc
}

export function openApiV3Index (): JsonObject {
  const paths: JsonObject = {}
  for (const g of groupVersions()) {
    const path = gvPath(g.group, g.version)
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${fnv1a(path).toString(16).toUpperCase().padStart(8, '0')}` }
  }
  return { paths }
}

let v2: string | undefined

export function openApiV2 (kubernetesVersion: string): string {
  if (v2 !== undefined) return v2
  let paths: JsonObject = {}
  for (const g of groupVersions()) paths = { ...paths, ...pathsFor(g.resources, g.group, g.version, 'v2') }
  v2 = JSON.stringify({ swagger: '2.0', info: { title: 'Kubernetes', version: kubernetesVersion }, paths, definitions: {} })
  return v2
}
