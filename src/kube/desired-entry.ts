/**
 * A desired object as the reconciler works with it: rendered once (body and its hash,
 * see render.ts) with what applying it needs, or marked invalid with the reason when it
 * can never be sent. Rendering is cached per object and generation, so a desired set
 * declared again every tick costs one lookup per unchanged object.
 */
import type { DesiredObject } from '../ports/cluster-driver.ts'
import { desiredReplicas, workloadKey, type KubeObject, type WorkloadKey } from '../model/kube.ts'
import { kindRefOf, type KindRef } from './kube-client.ts'
import { renderDesired, type RenderedObject } from './render.ts'

export interface DesiredEntry {
  rendered: RenderedObject
  kind: KindRef
  namespace: string | undefined
  name: string
  replicas: number
  /** Set when the object cannot be sent at all (unknown kind, key not matching the object). */
  invalid?: string
}

export function createDesiredEntries (): (o: DesiredObject) => DesiredEntry {
  const cache = new WeakMap<KubeObject, { key: WorkloadKey, generation: number, entry: DesiredEntry }>()
  return (o) => {
    const cached = cache.get(o.object)
    if (cached !== undefined && cached.key === o.key && cached.generation === o.generation) return cached.entry
    const kind = kindRefOf(o.object.apiVersion, o.object.kind)
    const entry: DesiredEntry = {
      rendered: renderDesired(o),
      kind: kind ?? { apiVersion: o.object.apiVersion, kind: o.object.kind, plural: '', namespaced: true },
      namespace: o.object.metadata.namespace,
      name: o.object.metadata.name,
      replicas: desiredReplicas(o.object)
    }
    if (kind === undefined) entry.invalid = `${o.object.apiVersion} ${o.object.kind} is not a kind Flotilla places on clusters`
    else if (kind.namespaced && entry.namespace === undefined) entry.invalid = `${o.object.kind} ${entry.name} has no metadata.namespace`
    else if (workloadKey(o.object) !== o.key) entry.invalid = `the workload key ${o.key} does not name this object (${workloadKey(o.object)})`
    cache.set(o.object, { key: o.key, generation: o.generation, entry })
    return entry
  }
}
