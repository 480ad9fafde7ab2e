/**
 * The scheduler and node accounting. Every pod bound to a node and not finished holds its
 * requests there (kept incrementally from store commits, so nothing is re-summed); an
 * unbound pod goes to the node with room that is least allocated (ties by name, so runs
 * replay). A pod that fits nowhere stays Pending with `PodScheduled=False/Unschedulable`
 * and a FailedScheduling event worded like the real scheduler's; it is retried when
 * capacity frees up or nodes change.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { addResources, resourcesFromKube, subtractResources, zeroResources, type Resources } from '../../../src/model/resources.ts'
import { setCondition } from './conditions.ts'
import type { EventRecorder } from './event-recorder.ts'
import { isPlainObject, type JsonObject } from '../../../src/k8s/json.ts'
import type { Naming } from './naming.ts'
import type { ObjectStore } from './object-store.ts'
import { podRequests, unfitReasons } from './pod-fit.ts'
import { mustResource } from './resource-types.ts'

export const PODS = mustResource('v1', 'Pod')
export const NODES = mustResource('v1', 'Node')

export interface Scheduler {
  /** Reconcile stage: tries to bind the pod `namespace/name`. */
  schedule (key: string): void
  /** Requeues every pod that did not fit (after capacity freed up). */
  retryUnschedulable (): string[]
  allocated (node: string): Resources
  allocatable (node: KubeObject): Resources
  /** Keys (`namespace/name`) of pods bound to `node`. */
  podsOn (node: string): string[]
  requestsOf (pod: KubeObject): Resources
}

export interface SchedulerDeps {
  store: ObjectStore
  naming: Naming
  events: EventRecorder
  /** Called when freed capacity or a node change may let waiting pods fit. */
  onCapacityChange: () => void
}

export function podKey (pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`
}

export function splitKey (key: string): [string, string] {
  const slash = key.indexOf('/')
  return [key.slice(0, slash), key.slice(slash + 1)]
}

function holdsResources (pod: KubeObject): string | undefined {
  const node = (pod.spec as JsonObject | undefined)?.['nodeName']
  const phase = (pod.status as JsonObject | undefined)?.['phase']
  if (typeof node !== 'string' || node === '' || phase === 'Succeeded' || phase === 'Failed') return undefined
  return node
}

export function createScheduler (deps: SchedulerDeps): Scheduler {
  const { store, naming, events } = deps
  const allocated = new Map<string, Resources>()
  const podsByNode = new Map<string, Set<string>>()
  const requests = new Map<string, Resources>()
  const unschedulable = new Set<string>()
  const allocatableCache = new WeakMap<KubeObject, Resources>()
  let sortedNodes: KubeObject[] | undefined

  function requestsOf (pod: KubeObject): Resources {
    const uid = pod.metadata.uid ?? podKey(pod)
    let r = requests.get(uid)
    if (r === undefined) {
      try { r = podRequests(pod) } catch { r = { ...zeroResources(), pods: 1 } }
      requests.set(uid, r)
    }
    return r
  }

  function account (node: string, key: string, r: Resources, sign: 1 | -1): void {
    const cur = allocated.get(node) ?? zeroResources()
    allocated.set(node, sign === 1 ? addResources(cur, r) : subtractResources(cur, r))
    let set = podsByNode.get(node)
    if (set === undefined) { set = new Set(); podsByNode.set(node, set) }
    if (sign === 1) set.add(key)
    else set.delete(key)
  }

  store.onCommit((e) => {
    if (e.resource === NODES) {
      sortedNodes = undefined
      deps.onCapacityChange()
      return
    }
    if (e.resource !== PODS) return
    const key = podKey(e.object)
    const before = e.previous === undefined ? undefined : holdsResources(e.previous)
    const after = e.type === 'DELETED' ? undefined : holdsResources(e.object)
    if (before !== after) {
      if (before !== undefined) account(before, key, requestsOf(e.previous as KubeObject), -1)
      if (after !== undefined) account(after, key, requestsOf(e.object), 1)
      if (before !== undefined) deps.onCapacityChange()
    }
    if (e.type === 'DELETED') {
      requests.delete(e.object.metadata.uid ?? key)
      unschedulable.delete(key)
    }
  })

  function nodes (): KubeObject[] {
    if (sortedNodes === undefined) {
      sortedNodes = store.list(NODES).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
    }
    return sortedNodes
  }

  function allocatable (node: KubeObject): Resources {
    let r = allocatableCache.get(node)
    if (r === undefined) {
      const raw = (node.status as JsonObject | undefined)?.['allocatable']
      try { r = resourcesFromKube(isPlainObject(raw) ? raw as Record<string, string> : undefined) } catch { r = zeroResources() }
      allocatableCache.set(node, r)
    }
    return r
  }

  /** LeastAllocated: the mean free share of cpu and memory, higher is better. */
  function score (free: Resources, total: Resources): number {
    const cpu = total.cpuMilli > 0 ? free.cpuMilli / total.cpuMilli : 0
    const mem = total.memoryBytes > 0 ? free.memoryBytes / total.memoryBytes : 0
    return (cpu + mem) / 2
  }

  function failureMessage (total: number, reasons: Map<string, number>): string {
    if (total === 0) return 'no nodes available to schedule pods'
    const parts = [...reasons.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([r, n]) => `${n} ${r}`)
    return `0/${total} nodes are available: ${parts.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`
  }

  return {
    schedule (key) {
      const [ns, name] = splitKey(key)
      const pod = store.get(PODS, ns, name)
      const spec = (pod?.spec ?? {}) as JsonObject
      if (pod === undefined || typeof spec['nodeName'] === 'string' || pod.metadata.deletionTimestamp !== undefined) {
        unschedulable.delete(key)
        return
      }
      if (spec['schedulerName'] !== undefined && spec['schedulerName'] !== 'default-scheduler') return
      const req = requestsOf(pod)
      const all = nodes()
      const reasons = new Map<string, number>()
      let best: { node: KubeObject, score: number, pods: number } | undefined
      for (const node of all) {
        const total = allocatable(node)
        const free = subtractResources(total, allocated.get(node.metadata.name) ?? zeroResources())
        const why = unfitReasons(pod, req, node, free)
        if (why.length > 0) {
          for (const w of why) reasons.set(w, (reasons.get(w) ?? 0) + 1)
          continue
        }
        const s = score(subtractResources(free, req), total)
        const pods = podsByNode.get(node.metadata.name)?.size ?? 0
        // Ties (pods without requests score alike) go to the node with fewer pods, then by name.
        if (best === undefined || s > best.score + 1e-9 || (Math.abs(s - best.score) <= 1e-9 && pods < best.pods)) best = { node, score: s, pods }
      }
      const now = naming.now()
      const status = (pod.status ?? {}) as JsonObject
      if (best !== undefined) {
        unschedulable.delete(key)
        const nodeName = best.node.metadata.name
        const conditions = setCondition(status['conditions'], { type: 'PodScheduled', status: 'True' }, now, ['lastProbeTime', 'lastTransitionTime'])
        const bound = store.put(PODS, { ...pod, spec: { ...spec, nodeName }, status: { ...status, conditions } })
        events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`, 'default-scheduler')
        return
      }
      unschedulable.add(key)
      const message = failureMessage(all.length, reasons)
      const conditions = setCondition(status['conditions'], { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }, now, ['lastProbeTime', 'lastTransitionTime'])
      const stored = conditions === status['conditions'] ? pod : store.put(PODS, { ...pod, status: { ...status, conditions } })
      if (stored !== pod) events.record(stored, 'Warning', 'FailedScheduling', message, 'default-scheduler')
    },
    retryUnschedulable () {
      return [...unschedulable]
    },
    allocated: (node) => allocated.get(node) ?? zeroResources(),
    allocatable,
    podsOn: (node) => [...(podsByNode.get(node) ?? [])],
    requestsOf
  }
}
