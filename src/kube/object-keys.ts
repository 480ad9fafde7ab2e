/**
 * How the reconciler names what it handles: workload keys from a kind and a watched
 * `namespace/name`, back again, and the per-object error codes of failed calls.
 */
import { groupOf, type WorkloadKey } from '../model/kube.ts'
import type { ObjectState } from '../ports/cluster-driver.ts'
import { isKubeCallError, WORKLOAD_KIND_REFS, type KindRef } from './kube-client.ts'

/** The key of an object of `kind` watched as `namespace/name` (empty namespace: cluster-scoped). */
export function keyOf (kind: KindRef, name: string): WorkloadKey {
  const slash = name.indexOf('/')
  const ns = name.slice(0, slash)
  return `${groupOf(kind.apiVersion)}/${kind.kind}/${ns === '' ? '_' : ns}/${name.slice(slash + 1)}`
}

/** The reflector's name of an object: `namespace/name`. */
export function nameOf (namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

export function parseKey (key: WorkloadKey): { kind: KindRef, namespace: string | undefined, name: string } | undefined {
  const [group = '', kind = '', ns = '_', ...rest] = key.split('/')
  const ref = WORKLOAD_KIND_REFS.find((k) => k.kind === kind && groupOf(k.apiVersion) === group)
  if (ref === undefined) return undefined
  return { kind: ref, namespace: ns === '_' ? undefined : ns, name: rest.join('/') }
}

export function errorCodeOf (e: unknown): string {
  if (!isKubeCallError(e)) return 'apply-failed'
  switch (e.status) {
    case 400: case 422: return 'invalid'
    case 403: return 'forbidden'
    case 404: return 'not-found'
    case 409: return 'conflict'
    default: return 'apply-failed'
  }
}

export function messageOf (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

export function sameState (a: ObjectState | undefined, b: ObjectState): boolean {
  if (a === undefined) return false
  return a.desired === b.desired && a.ready === b.ready && a.available === b.available && a.observedGeneration === b.observedGeneration &&
    a.error?.code === b.error?.code && a.error?.message === b.error?.message && JSON.stringify(a.conditions) === JSON.stringify(b.conditions)
}
