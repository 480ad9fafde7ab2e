/**
 * core/v1 Events written by the emulated control plane (Scheduled, FailedScheduling,
 * ScalingReplicaSet, NodeNotReady...). Repeats of the same reason and message for the
 * same object bump `count` and `lastTimestamp` instead of adding objects, and the total
 * is bounded (oldest removed first), standing in for the apiserver's event TTL.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import type { Naming } from './naming.ts'
import type { ObjectStore } from './object-store.ts'
import { apiVersionOf, mustResource, type ResourceType } from './resource-types.ts'

export interface EventRecorder {
  record (involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void
}

export interface EventRecorderOptions {
  enabled: boolean
  /** Events kept in the whole cluster. */
  max: number
}

const EVENTS = mustResource('v1', 'Event')

export function createEventRecorder (store: ObjectStore, naming: Naming, options: EventRecorderOptions): EventRecorder {
  const byKey = new Map<string, { namespace: string, name: string }>()
  const order: string[] = []
  let counter = 0

  function evictOldest (): void {
    while (order.length > options.max) {
      const key = order.shift() as string
      const ref = byKey.get(key)
      byKey.delete(key)
      if (ref === undefined) continue
      const ev = store.get(EVENTS, ref.namespace, ref.name)
      if (ev !== undefined) store.remove(EVENTS, ev)
    }
  }

  return {
    record (involved, type, reason, message, component) {
      if (!options.enabled) return
      const namespace = involved.metadata.namespace ?? 'default'
      const key = `${involved.metadata.uid ?? involved.metadata.name}\u0000${reason}\u0000${message}`
      const now = naming.now()
      const known = byKey.get(key)
      const existing = known === undefined ? undefined : store.get(EVENTS, known.namespace, known.name)
      if (existing !== undefined) {
        store.put(EVENTS, { ...existing, count: (existing['count'] as number) + 1, lastTimestamp: now })
        return
      }
      if (known !== undefined) {
        // The event was deleted (by a user or with its namespace): start a new one.
        byKey.delete(key)
        const i = order.indexOf(key)
        if (i >= 0) order.splice(i, 1)
      }
      counter++
      const name = `${involved.metadata.name}.${(0x17a00000 + counter).toString(16).padStart(16, '0')}`
      const resource: ResourceType | undefined = involved.apiVersion === undefined ? undefined : mustResource(involved.apiVersion, involved.kind)
      store.put(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace, uid: naming.uid(), creationTimestamp: now },
        involvedObject: {
          apiVersion: resource === undefined ? involved.apiVersion : apiVersionOf(resource),
          kind: involved.kind,
          name: involved.metadata.name,
          ...(involved.metadata.namespace === undefined ? {} : { namespace: involved.metadata.namespace }),
          uid: involved.metadata.uid,
          resourceVersion: involved.metadata.resourceVersion
        },
        reason,
        message,
        source: { component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: ''
      })
      byKey.set(key, { namespace, name })
      order.push(key)
      evictOldest()
    }
  }
}
