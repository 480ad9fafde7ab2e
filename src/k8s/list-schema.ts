/**
 * The slice of the Kubernetes OpenAPI schema that merging needs: which lists are
 * associative (merged item by item on key fields, such as containers by `name`), which
 * are sets of primitives, and which lists and maps are atomic (replaced whole). Strategic
 * merge patch and server-side apply both read this table, so they agree on structure.
 * Paths are field names from the object root, list positions left out
 * (`spec.template.spec.containers.ports`).
 */
import type { Json } from './json.ts'

export type ListType =
  | { type: 'map', keys: readonly string[], defaults: Readonly<Record<string, Json>>, mergeKey: string }
  | { type: 'set' }
  | { type: 'atomic' }

const ATOMIC: ListType = { type: 'atomic' }
const SET: ListType = { type: 'set' }

function map (keys: string[], defaults: Record<string, Json> = {}): ListType {
  return { type: 'map', keys, defaults, mergeKey: keys[0] as string }
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers'])

const BY_NAME: Record<string, ListType> = {
  containers: map(['name']),
  initContainers: map(['name']),
  ephemeralContainers: map(['name']),
  env: map(['name']),
  volumes: map(['name']),
  volumeMounts: map(['mountPath']),
  volumeDevices: map(['devicePath']),
  imagePullSecrets: map(['name']),
  hostAliases: map(['ip']),
  resourceClaims: map(['name']),
  conditions: map(['type']),
  topologySpreadConstraints: map(['topologyKey', 'whenUnsatisfiable'])
}

export function listTypeAt (kind: string, path: readonly string[]): ListType {
  const last = path[path.length - 1] ?? ''
  const parent = path[path.length - 2] ?? ''
  if (path.length === 2 && parent === 'metadata') {
    if (last === 'finalizers') return SET
    if (last === 'ownerReferences') return map(['uid'])
  }
  if (last === 'ports') {
    if (CONTAINER_LISTS.has(parent)) return map(['containerPort', 'protocol'], { protocol: 'TCP' })
    if (kind === 'Service' && path.length === 2) return map(['port', 'protocol'], { protocol: 'TCP' })
    return ATOMIC
  }
  return BY_NAME[last] ?? ATOMIC
}

/** Maps that are owned and replaced as one value (label selectors, node selectors). */
export function isAtomicMap (_kind: string, path: readonly string[]): boolean {
  const last = path[path.length - 1] ?? ''
  if (last === 'selector') return path[path.length - 2] === 'spec'
  return last === 'nodeSelector' || last === 'labelSelector' || last === 'namespaceSelector'
}

/** Fields that are server-owned metadata: never part of a field set, never merged from a patch body. */
export const SERVER_METADATA = new Set([
  'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink',
  'deletionTimestamp', 'deletionGracePeriodSeconds'
])
