/**
 * The emulated cluster's storage, standing in for etcd plus the apiserver's watch cache:
 * objects by resource type, namespace and name; one monotonic resourceVersion across all
 * kinds; a bounded history of changes from which watches resume (older versions answer
 * `Expired`); and synchronous commit hooks for indices and controllers.
 *
 * Stored objects are never mutated after a commit: every write stores a fresh object, so
 * history entries, watch events and read results can share references safely. Callers
 * must treat what they read as read-only.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import type { ResourceType } from './resource-types.ts'

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: ChangeType
  /** The resourceVersion this change was committed at. */
  rv: number
  resource: ResourceType
  /** The object after the change (for DELETED: the last state, stamped with the deletion's version). */
  object: KubeObject
  /** The object before the change (undefined for ADDED). */
  previous: KubeObject | undefined
}

export type StoreListener = (event: StoreEvent) => void

export interface HistoryWindow {
  /** Events of `resource` committed after `rv`, or `undefined` when some of them were compacted away. */
  since (rv: number, resource: ResourceType): StoreEvent[] | undefined
  /** Versions up to and including this one are no longer retained. */
  compactedRv (): number
}

export interface ObjectStore {
  /** The version of the latest commit. */
  resourceVersion (): number
  get (resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined
  /** Objects of a type, in one namespace or (undefined) all of them; insertion order. */
  list (resource: ResourceType, namespace?: string): KubeObject[]
  count (resource: ResourceType, namespace?: string): number
  /** Stores a new or changed object; stamps and returns the stored copy. */
  put (resource: ResourceType, object: KubeObject): KubeObject
  remove (resource: ResourceType, object: KubeObject): KubeObject
  /** Called synchronously after every commit, in registration order. Listeners must not write. */
  onCommit (listener: StoreListener): () => void
  history: HistoryWindow
}

export interface ObjectStoreOptions {
  /** Changes retained for watch resumption. Default 20,000. */
  historySize?: number
}

const DEFAULT_HISTORY = 20_000

export function createObjectStore (options: ObjectStoreOptions = {}): ObjectStore {
  const historySize = options.historySize ?? DEFAULT_HISTORY
  if (!Number.isInteger(historySize) || historySize < 1) {
    throw new Error(`'historySize' must be a positive integer: received ${historySize}`)
  }
  const data = new Map<ResourceType, Map<string, Map<string, KubeObject>>>()
  const listeners: StoreListener[] = []
  let rv = 0
  // History as a growable array with a moving start, compacted in bulk (amortised O(1)).
  let events: StoreEvent[] = []
  let start = 0
  let compacted = 0

  function bucket (resource: ResourceType, namespace: string, create: boolean): Map<string, KubeObject> | undefined {
    let byNs = data.get(resource)
    if (byNs === undefined) {
      if (!create) return undefined
      byNs = new Map()
      data.set(resource, byNs)
    }
    let byName = byNs.get(namespace)
    if (byName === undefined && create) {
      byName = new Map()
      byNs.set(namespace, byName)
    }
    return byName
  }

  function nsOf (resource: ResourceType, object: KubeObject): string {
    return resource.namespaced ? (object.metadata.namespace ?? '') : ''
  }

  function record (event: StoreEvent): void {
    events.push(event)
    if (events.length - start > historySize) {
      const drop = events.length - start - historySize
      start += drop
      compacted = events[start - 1]?.rv ?? compacted
      if (start > historySize) { events = events.slice(start); start = 0 }
    }
    for (const l of listeners) l(event)
  }

  function stamp (object: KubeObject, version: number): KubeObject {
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(version) } }
  }

  /** Index of the first retained event with rv > `after` (binary search; rvs strictly increase). */
  function firstAfter (after: number): number {
    let lo = start
    let hi = events.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((events[mid] as StoreEvent).rv <= after) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  return {
    resourceVersion: () => rv,
    get (resource, namespace, name) {
      return bucket(resource, resource.namespaced ? (namespace ?? '') : '', false)?.get(name)
    },
    list (resource, namespace) {
      const byNs = data.get(resource)
      if (byNs === undefined) return []
      if (namespace !== undefined && resource.namespaced) return [...(byNs.get(namespace)?.values() ?? [])]
      const out: KubeObject[] = []
      for (const byName of byNs.values()) for (const o of byName.values()) out.push(o)
      return out
    },
    count (resource, namespace) {
      const byNs = data.get(resource)
      if (byNs === undefined) return 0
      if (namespace !== undefined && resource.namespaced) return byNs.get(namespace)?.size ?? 0
      let n = 0
      for (const byName of byNs.values()) n += byName.size
      return n
    },
    put (resource, object) {
      const ns = nsOf(resource, object)
      const byName = bucket(resource, ns, true) as Map<string, KubeObject>
      const previous = byName.get(object.metadata.name)
      const stored = stamp(object, ++rv)
      byName.set(object.metadata.name, stored)
      record({ type: previous === undefined ? 'ADDED' : 'MODIFIED', rv, resource, object: stored, previous })
      return stored
    },
    remove (resource, object) {
      const ns = nsOf(resource, object)
      const byName = bucket(resource, ns, false)
      const previous = byName?.get(object.metadata.name)
      if (byName === undefined || previous === undefined) return object
      byName.delete(object.metadata.name)
      if (byName.size === 0) data.get(resource)?.delete(ns)
      const last = stamp(previous, ++rv)
      record({ type: 'DELETED', rv, resource, object: last, previous })
      return last
    },
    onCommit (listener) {
      listeners.push(listener)
      return () => {
        const i = listeners.indexOf(listener)
        if (i >= 0) listeners.splice(i, 1)
      }
    },
    history: {
      since (after, resource) {
        if (after < compacted) return undefined
        const out: StoreEvent[] = []
        for (let i = firstAfter(after); i < events.length; i++) {
          const e = events[i] as StoreEvent
          if (e.resource === resource) out.push(e)
        }
        return out
      },
      compactedRv: () => compacted
    }
  }
}
