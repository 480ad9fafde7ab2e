/**
 * Index of dependents by owner uid (from `metadata.ownerReferences`), kept up to date by
 * store commits, so cascading deletion and the workload controllers find an owner's pods
 * in O(dependents) instead of scanning every object.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import type { ObjectStore } from './object-store.ts'
import type { ResourceType } from './resource-types.ts'

export interface OwnerRef {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface Dependent { resource: ResourceType, object: KubeObject }

export interface OwnerIndex {
  /** Current dependents of `uid`, optionally only of one resource type. */
  dependentsOf (uid: string, resource?: ResourceType): KubeObject[]
  dependentEntries (uid: string): Dependent[]
}

export function ownerRefsOf (o: KubeObject | undefined): OwnerRef[] {
  const refs = o?.metadata.ownerReferences
  return Array.isArray(refs) ? refs as OwnerRef[] : []
}

/** The controlling owner's uid, if any. */
export function controllerUid (o: KubeObject): string | undefined {
  return ownerRefsOf(o).find((r) => r.controller === true)?.uid
}

function keyOf (resource: ResourceType, o: KubeObject): string {
  return `${resource.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name}`
}

export function createOwnerIndex (store: ObjectStore): OwnerIndex {
  const byOwner = new Map<string, Map<string, Dependent>>()
  store.onCommit((e) => {
    const key = keyOf(e.resource, e.object)
    const before = e.type === 'ADDED' ? [] : ownerRefsOf(e.previous)
    const after = e.type === 'DELETED' ? [] : ownerRefsOf(e.object)
    for (const r of before) {
      if (after.some((a) => a.uid === r.uid)) continue
      const deps = byOwner.get(r.uid)
      deps?.delete(key)
      if (deps?.size === 0) byOwner.delete(r.uid)
    }
    for (const r of after) {
      let deps = byOwner.get(r.uid)
      if (deps === undefined) { deps = new Map(); byOwner.set(r.uid, deps) }
      deps.set(key, { resource: e.resource, object: e.object })
    }
  })
  return {
    dependentsOf (uid, resource) {
      const deps = byOwner.get(uid)
      if (deps === undefined) return []
      const out: KubeObject[] = []
      for (const d of deps.values()) if (resource === undefined || d.resource === resource) out.push(d.object)
      return out
    },
    dependentEntries (uid) {
      return [...(byOwner.get(uid)?.values() ?? [])]
    }
  }
}
