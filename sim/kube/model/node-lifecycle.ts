/**
 * The node lifecycle controller: a node can be made NotReady (the "node NotReady" fault)
 * — its conditions turn Unknown, it gets the `node.kubernetes.io/unreachable` taints, its
 * pods lose readiness — and after the eviction delay its pods are deleted so their
 * controllers replace them on other nodes. Pods that tolerate the unreachable taint stay
 * (forever, or for their tolerationSeconds); daemon pods always tolerate it. Pods left on
 * a node that was removed are deleted (the pod garbage collector's job).
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { notFound } from '../../../src/k8s/api-errors.ts'
import type { ControllerContext } from './controller-context.ts'
import type { JsonObject } from '../../../src/k8s/json.ts'
import { isNodeReady, taintsOf, tolerates, tolerationsOf, type Taint } from './pod-fit.ts'
import { NODES, PODS, splitKey } from './scheduler.ts'

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable'

export interface NodeLifecycle {
  setNodeReady (name: string, ready: boolean): void
  /** Reconcile stage: evicts pods from a node that has been NotReady long enough. */
  sync (name: string): void
}

export interface NodeLifecycleOptions {
  evictionDelayMs: number
  /** Keys of pods bound to a node. */
  podsOn: (node: string) => string[]
  /** Requeues a pod with the kubelet. */
  resyncPod: (key: string) => void
}

export function createNodeLifecycle (ctx: ControllerContext, options: NodeLifecycleOptions): NodeLifecycle {
  const { store, naming, clock, events, loop } = ctx
  const notReadySince = new Map<string, number>()

  store.onCommit((e) => {
    if (e.resource !== NODES) return
    if (e.type === 'DELETED') {
      notReadySince.delete(e.object.metadata.name)
      loop.enqueue('nodes', e.object.metadata.name)
    }
  })

  function conditions (node: KubeObject, ready: boolean, now: string): JsonObject[] {
    const old = ((node.status as JsonObject | undefined)?.['conditions'] ?? []) as JsonObject[]
    return old.map((c) => {
      const type = String(c['type'])
      if (!ready) {
        return { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now }
      }
      const fresh: Record<string, [string, string, string]> = {
        MemoryPressure: ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        DiskPressure: ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        PIDPressure: ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        Ready: ['True', 'KubeletReady', 'kubelet is posting ready status']
      }
      const [status, reason, message] = fresh[type] ?? ['False', 'Unknown', '']
      return { ...c, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now }
    })
  }

  return {
    setNodeReady (name, ready) {
      const node = store.get(NODES, undefined, name)
      if (node === undefined) throw notFound({ kind: 'nodes', group: '' }, name)
      if (isNodeReady(node) === ready) return
      const now = naming.now()
      const spec = (node.spec ?? {}) as JsonObject
      const others = taintsOf(node).filter((t) => t.key !== UNREACHABLE_TAINT)
      const taints: Taint[] = ready ? others : [...others, { key: UNREACHABLE_TAINT, effect: 'NoSchedule' }, { key: UNREACHABLE_TAINT, effect: 'NoExecute' }]
      const nextSpec: JsonObject = { ...spec }
      if (taints.length > 0) nextSpec['taints'] = taints as unknown as JsonObject[]
      else delete nextSpec['taints']
      const updated = store.put(NODES, { ...node, spec: nextSpec, status: { ...(node.status ?? {}), conditions: conditions(node, ready, now) } })
      events.record(updated, 'Normal', ready ? 'NodeReady' : 'NodeNotReady', `Node ${name} status is now: ${ready ? 'NodeReady' : 'NodeNotReady'}`, 'node-controller')
      for (const key of options.podsOn(name)) options.resyncPod(key)
      if (ready) {
        notReadySince.delete(name)
      } else {
        notReadySince.set(name, clock.monotonicMs())
        loop.enqueueAfter('nodes', name, options.evictionDelayMs)
      }
    },

    sync (name) {
      const node = store.get(NODES, undefined, name)
      if (node === undefined) {
        for (const key of options.podsOn(name)) {
          const [ns, pod] = splitKey(key)
          const p = store.get(PODS, ns, pod)
          if (p !== undefined) store.remove(PODS, p)
        }
        return
      }
      if (isNodeReady(node)) return
      const since = notReadySince.get(name) ?? clock.monotonicMs()
      const elapsed = clock.monotonicMs() - since
      let nextCheck: number | undefined
      for (const key of options.podsOn(name)) {
        const [ns, podName] = splitKey(key)
        const pod = store.get(PODS, ns, podName)
        if (pod === undefined) continue
        const toleration = tolerates(tolerationsOf(pod), { key: UNREACHABLE_TAINT, effect: 'NoExecute' })
        let delay = options.evictionDelayMs
        if (toleration !== undefined) {
          if (typeof toleration.tolerationSeconds !== 'number') continue
          delay = toleration.tolerationSeconds * 1000
        }
        if (elapsed < delay) {
          nextCheck = Math.min(nextCheck ?? Infinity, delay - elapsed)
          continue
        }
        events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${podName}`, 'taint-eviction-controller')
        store.remove(PODS, pod)
      }
      if (nextCheck !== undefined) loop.enqueueAfter('nodes', name, nextCheck)
    }
  }
}
