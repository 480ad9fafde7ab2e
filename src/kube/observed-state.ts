/**
 * What the reconciler reports through `observe()`: per desired object its replicas,
 * readiness and error, per node its readiness, capacity and allocation. Writers store
 * only what differs, so listeners (the site's tick) are woken once per burst of real
 * changes, in a microtask, and `observe()` builds its sorted snapshot at most once per
 * change.
 */
import type { NodeState, ObjectState } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import type { WorkloadKey } from '../model/kube.ts'
import type { Resources } from '../model/resources.ts'
import { sameResources, type NodeInfo } from './object-status.ts'
import { messageOf, sameState } from './object-keys.ts'

export interface ObservedState {
  /** Stores an object's state if it differs from the one held. */
  setObject (key: WorkloadKey, next: ObjectState): void
  deleteObject (key: WorkloadKey): void
  /** Stores a node's state (or forgets the node) if it differs from the one held. */
  setNode (name: string, info: NodeInfo | undefined, allocated: Resources): void
  /** Something else observable changed (reachability): wake the listeners. */
  changed (): void
  snapshot (): { nodes: NodeState[], objects: ReadonlyMap<WorkloadKey, ObjectState> }
  onChange (listener: () => void): () => void
}

export function createObservedState (options: { logger: Logger, running: () => boolean }): ObservedState {
  const objects = new Map<WorkloadKey, ObjectState>()
  const nodes = new Map<string, NodeState>()
  const listeners = new Set<() => void>()
  let cached: { nodes: NodeState[], objects: ReadonlyMap<WorkloadKey, ObjectState> } | undefined
  let notifyQueued = false

  function changed (): void {
    cached = undefined
    if (notifyQueued || !options.running()) return
    notifyQueued = true
    queueMicrotask(() => {
      notifyQueued = false
      for (const l of [...listeners]) {
        try { l() } catch (e) { options.logger.error({ err: messageOf(e) }, 'cluster driver change listener failed') }
      }
    })
  }

  return {
    setObject (key, next) {
      if (sameState(objects.get(key), next)) return
      objects.set(key, next)
      changed()
    },
    deleteObject (key) {
      if (objects.delete(key)) changed()
    },
    setNode (name, info, allocated) {
      if (info === undefined) {
        if (nodes.delete(name)) changed()
        return
      }
      const prev = nodes.get(name)
      if (prev !== undefined && prev.ready === info.ready && prev.capacity !== undefined && sameResources(prev.capacity, info.capacity) &&
        sameResources(prev.allocatable, info.allocatable) && sameResources(prev.allocated, allocated)) return
      nodes.set(name, { name, ready: info.ready, capacity: { ...info.capacity }, allocatable: { ...info.allocatable }, allocated: { ...allocated } })
      changed()
    },
    changed,
    snapshot () {
      cached ??= {
        nodes: [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
        objects: new Map(objects)
      }
      return cached
    },
    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
