/**
 * Just enough OpenAPI for kubectl: the v3 index and one document per group version
 * whose operations carry `x-kubernetes-group-version-kind` and the `fieldValidation`
 * parameter (so kubectl leaves validation to the server), and a v2 document with the
 * same paths and no schemas (an open v2 schema would make kubectl's client-side
 * validation refuse fields). Kind schemas are open objects; the server validates.
 */
import { createHash } from 'node:crypto'
import { KUBERNETES_VERSION } from './discovery.ts'
import type { JsonObject } from '../k8s/index.ts'
import { groupVersions, isWritable, type ApiResource } from './resources.ts'

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty']

function definitionName (r: ApiResource): string {
  const group = r.group === '' ? 'core' : r.group.split('.').reverse().join('.')
  return `io.k8s.api.${group}.${r.version}.${r.kind}`
}

function gvk (r: ApiResource): JsonObject {
  return { group: r.group, kind: r.kind, version: r.version }
}

function prefix (group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`
}

function operationId (verb: string, r: ApiResource): string {
  const g = r.group === '' ? 'Core' : (r.group.split('.')[0] as string).replace(/^./, (c) => c.toUpperCase())
  return `${verb}${g}${r.version.replace(/^./, (c) => c.toUpperCase())}${r.namespaced ? 'Namespaced' : ''}${r.kind}`
}

type Style = 'v2' | 'v3'

function params (names: readonly string[], style: Style): JsonObject[] {
  return names.map((name): JsonObject => (style === 'v3'
    ? { name, in: 'query', schema: { type: 'string', uniqueItems: true } }
    : { name, in: 'query', type: 'string', uniqueItems: true }))
}

function operation (verb: string, action: string, r: ApiResource, style: Style, names: readonly string[]): JsonObject {
  const response: JsonObject = style === 'v3'
    ? { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${definitionName(r)}` } } } }
    : { description: 'OK' }
  return {
    operationId: operationId(verb, r),
    parameters: params(names, style),
    responses: { 200: response },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(r)
  }
}

function pathsFor (resources: readonly ApiResource[], group: string, version: string, style: Style): JsonObject {
  const paths: JsonObject = {}
  for (const r of resources) {
    const base = `${prefix(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`
    const collection: JsonObject = { get: operation('list', 'list', r, style, ['labelSelector', 'fieldSelector', 'limit', 'continue', 'watch', 'resourceVersion', 'timeoutSeconds']) }
    const item: JsonObject = { get: operation('read', 'get', r, style, ['pretty']) }
    if (isWritable(r)) {
      collection['post'] = operation('create', 'post', r, style, WRITE_PARAMS)
      item['put'] = operation('replace', 'put', r, style, WRITE_PARAMS)
      item['patch'] = operation('patch', 'patch', r, style, [...WRITE_PARAMS, 'force'])
      item['delete'] = operation('delete', 'delete', r, style, ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'])
    }
    paths[base] = collection
    paths[`${base}/{name}`] = item
  }
  return paths
}

function kindSchema (r: ApiResource): JsonObject {
  return {
    type: 'object',
    description: `${r.kind} served by a Flotilla site (fields are validated by the server, not enumerated here).`,
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': [gvk(r)]
  }
}

function gvPath (group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

const cache = new Map<string, string>()

function cached (key: string, build: () => string): string {
  let doc = cache.get(key)
  if (doc === undefined) { doc = build(); cache.set(key, doc) }
  return doc
}

export function openApiV3GroupVersion (group: string, version: string): string | undefined {
  const gv = groupVersions().find((g) => g.group === group && g.version === version)
  if (gv === undefined) return undefined
  return cached(`v3/${group}/${version}`, () => {
    const schemas: JsonObject = {}
    for (const r of gv.resources) schemas[definitionName(r)] = kindSchema(r)
    return JSON.stringify({ openapi: '3.0.0', info: { title: 'Flotilla', version: KUBERNETES_VERSION }, paths: pathsFor(gv.resources, group, version, 'v3'), components: { schemas } })
  })
}

export function openApiV3Index (): string {
  return cached('v3', () => {
    const paths: JsonObject = {}
    for (const g of groupVersions()) {
      const path = gvPath(g.group, g.version)
      const hash = createHash('sha256').update(openApiV3GroupVersion(g.group, g.version) ?? '').digest('hex').slice(0, 16).toUpperCase()
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` }
    }
    return JSON.stringify({ paths })
  })
}

export function openApiV2 (): string {
  return cached('v2', () => {
    let paths: JsonObject = {}
    for (const g of groupVersions()) paths = { ...paths, ...pathsFor(g.resources, g.group, g.version, 'v2') }
    return JSON.stringify({ swagger: '2.0', info: { title: 'Flotilla', version: KUBERNETES_VERSION }, paths, definitions: {} })
  })
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf'

function protoString (field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8')
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes])
}

/**
 * The v2 document in the only form kubectl asks for it (gnostic protobuf): just
 * `swagger` and `info`, no definitions. kubectl falls back to v2 only for kinds the v3
 * documents lack, and an empty v2 lets it report those as unknown kinds instead of
 * failing to parse a JSON answer.
 */
export function openApiV2Protobuf (): Uint8Array {
  const info = Buffer.concat([protoString(1, 'Flotilla'), protoString(2, KUBERNETES_VERSION)])
  return Buffer.concat([protoString(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info])
}
