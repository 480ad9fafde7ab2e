/**
 * The shape of objects as the emulated apiserver handles them: request bodies checked to
 * be objects, what `generation` tracks, apiserver key order for output, list order and
 * continue tokens.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { badRequest, type StatusSubject } from '../../../src/k8s/api-errors.ts'
import { isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import type { ResourceType } from './resource-types.ts'

export function subject (r: ResourceType): StatusSubject {
  return { kind: r.plural, group: r.group }
}

export function asObject (body: unknown, what: string): JsonObject {
  if (!isPlainObject(body)) throw badRequest(`${what} must be a JSON object`)
  return body
}

export function metaOf (o: JsonObject): JsonObject {
  return isPlainObject(o['metadata']) ? o['metadata'] : {}
}

/** Everything but metadata and status: what `generation` tracks. */
export function specPart (o: JsonObject | KubeObject): JsonObject {
  const { metadata: _m, status: _s, ...rest } = o as JsonObject
  return rest
}

export function withoutVolatile (o: JsonObject | KubeObject): JsonObject {
  const m = { ...(o.metadata as JsonObject) }
  delete m['resourceVersion']
  return { ...(o as JsonObject), metadata: m }
}

const TOP_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'status']
const META_ORDER = ['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']

function ordered (o: JsonObject, order: readonly string[]): JsonObject {
  const out: JsonObject = {}
  for (const k of order) if (Object.hasOwn(o, k)) out[k] = o[k] as Json
  for (const k of Object.keys(o)) if (!Object.hasOwn(out, k)) out[k] = o[k] as Json
  return out
}

/** Key order as the apiserver serialises objects (Go struct order), so `-o yaml` reads naturally. */
export function canonicalOrder (o: JsonObject): JsonObject {
  const out = ordered(o, TOP_ORDER)
  out['metadata'] = ordered(metaOf(o), META_ORDER)
  return out
}

export function encodeContinue (key: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url')
}

export function decodeContinue (token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: number, k?: unknown }
    if (parsed.v === 1 && typeof parsed.k === 'string') return parsed.k
  } catch { /* reported below */ }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
}

export function sortKey (o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`
}

/** Lists and initial watch events come in key order (namespace, then name), as from etcd. */
export function bySortKey (a: KubeObject, b: KubeObject): number {
  const ka = sortKey(a)
  const kb = sortKey(b)
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
