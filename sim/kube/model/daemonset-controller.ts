/**
 * The DaemonSet controller: one pod per eligible node (node selector, required affinity
 * and NoSchedule/NoExecute taints checked against the template plus the tolerations
 * DaemonSets always get). Like the real controller it pins each pod to its node with
 * required node affinity on `metadata.name` and lets the scheduler bind it, so a node
 * without room leaves the pod Pending. Template changes roll out within maxUnavailable.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { omitZero, splitObjectKey, type ControllerContext } from './controller-context.ts'
import { deepEqual, isPlainObject, templateHash, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import { matchesNodeSelection, taintsOf, tolerates, type Toleration } from './pod-fit.ts'
import { podFromTemplate } from './pod-template.ts'
import { intOrPercent, isPodActive, isPodReady, podAvailability } from './pod-state.ts'
import { mustResource } from './resource-types.ts'

export const DAEMONSETS = mustResource('apps/v1', 'DaemonSet')
const PODS = mustResource('v1', 'Pod')
const NODES = mustResource('v1', 'Node')
const COMPONENT = 'daemonset-controller'
const HASH_LABEL = 'controller-revision-hash'

/** Tolerations the DaemonSet controller adds to every daemon pod. */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }
]

export interface DaemonSetController {
  reconcile (key: string): void
}

/** The node a daemon pod is pinned to (bound node, or its affinity target while Pending). */
function targetNode (pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as JsonObject
  if (typeof spec['nodeName'] === 'string') return spec['nodeName']
  const terms = ((((spec['affinity'] as JsonObject | undefined)?.['nodeAffinity'] as JsonObject | undefined)
    ?.['requiredDuringSchedulingIgnoredDuringExecution'] as JsonObject | undefined)?.['nodeSelectorTerms'])
  if (!Array.isArray(terms)) return undefined
  for (const t of terms) {
    const fields = isPlainObject(t) ? t['matchFields'] : undefined
    if (!Array.isArray(fields)) continue
    for (const f of fields) {
      if (isPlainObject(f) && f['key'] === 'metadata.name' && Array.isArray(f['values'])) return String(f['values'][0])
    }
  }
  return undefined
}

export function createDaemonSetController (ctx: ControllerContext): DaemonSetController {
  const { store, naming, clock, owners, events, loop } = ctx

  function templateTolerations (spec: JsonObject): Toleration[] {
    const tpl = isPlainObject(spec['template']) && isPlainObject(spec['template']['spec']) ? spec['template']['spec'] : {}
    const own = Array.isArray(tpl['tolerations']) ? tpl['tolerations'] as unknown as Toleration[] : []
    return [...own, ...DAEMON_TOLERATIONS.filter((d) => !own.some((o) => o.key === d.key && o.effect === d.effect))]
  }

  function eligible (probe: KubeObject, tolerations: Toleration[], node: KubeObject): boolean {
    if (!matchesNodeSelection(probe, node)) return false
    for (const taint of taintsOf(node)) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue
      // Node-condition taints come and go with node health; they do not change where daemons belong.
      if (taint.key.startsWith('node.kubernetes.io/')) continue
      if (tolerates(tolerations, taint) === undefined) return false
    }
    return true
  }

  function createPod (ds: KubeObject, node: string, hash: string, tolerations: Toleration[]): void {
    let name: string
    do name = `${ds.metadata.name}-${naming.suffix()}`
    while (store.get(PODS, ds.metadata.namespace, name) !== undefined)
    const spec = (ds.spec ?? {}) as JsonObject
    const tpl = isPlainObject(spec['template']) && isPlainObject(spec['template']['spec']) ? spec['template']['spec'] : {}
    const affinity: JsonObject = {
      ...(isPlainObject(tpl['affinity']) ? tpl['affinity'] : {}),
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }]
        }
      }
    }
    store.put(PODS, podFromTemplate({
      owner: ds,
      name,
      extraLabels: { [HASH_LABEL]: hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
      specOverrides: { affinity, tolerations: tolerations as unknown as Json },
      naming
    }))
    events.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, COMPONENT)
  }

  function deletePod (ds: KubeObject, p: KubeObject): void {
    store.remove(PODS, p)
    events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT)
  }

  return {
    reconcile (key) {
      const [ns, name] = splitObjectKey(key)
      const ds = store.get(DAEMONSETS, ns, name)
      if (ds === undefined || ds.metadata.deletionTimestamp !== undefined) return
      const spec = (ds.spec ?? {}) as JsonObject
      const hash = templateHash(spec['template'])
      const tolerations = templateTolerations(spec)
      const tpl = isPlainObject(spec['template']) ? spec['template'] : {}
      const probe: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: '' }, spec: isPlainObject(tpl['spec']) ? tpl['spec'] : {} }
      const nodes = store.list(NODES).filter((n) => eligible(probe, tolerations, n)).map((n) => n.metadata.name).sort()
      const wanted = new Set(nodes)
      const minReadySeconds = typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0
      const nowWall = clock.wallMs()

      const byNode = new Map<string, KubeObject[]>()
      for (const p of owners.dependentsOf(ds.metadata.uid as string, PODS)) {
        if (!isPodActive(p)) continue
        const node = targetNode(p)
        if (node === undefined || !wanted.has(node)) { deletePod(ds, p); continue }
        const list = byNode.get(node) ?? []
        list.push(p)
        byNode.set(node, list)
      }
      for (const [node, list] of byNode) {
        // Keep one pod per node: the current revision if any, then the oldest.
        list.sort((a, b) => Number(b.metadata.labels?.[HASH_LABEL] === hash) - Number(a.metadata.labels?.[HASH_LABEL] === hash))
        for (const extra of list.slice(1)) deletePod(ds, extra)
        byNode.set(node, list.slice(0, 1))
      }
      for (const node of nodes) if (!byNode.has(node)) { createPod(ds, node, hash, tolerations); byNode.set(node, []) }

      const strategy = isPlainObject(spec['updateStrategy']) ? spec['updateStrategy'] : {}
      if (strategy['type'] !== 'OnDelete') {
        const ru = isPlainObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {}
        const maxUnavailable = Math.max(1, intOrPercent(ru['maxUnavailable'], nodes.length, false, 1))
        const current = [...byNode.values()].flat()
        const unavailable = nodes.length - current.filter((p) => podAvailability(p, minReadySeconds, nowWall).available).length
        const old = current.filter((p) => p.metadata.labels?.[HASH_LABEL] !== hash)
        const oldUnavailable = old.filter((p) => !podAvailability(p, minReadySeconds, nowWall).available)
        const oldAvailable = old.filter((p) => podAvailability(p, minReadySeconds, nowWall).available)
        for (const p of oldUnavailable) deletePod(ds, p)
        for (const p of oldAvailable.slice(0, Math.max(0, maxUnavailable - unavailable))) deletePod(ds, p)
      }

      const pods = owners.dependentsOf(ds.metadata.uid as string, PODS).filter(isPodActive)
      let scheduled = 0
      let ready = 0
      let available = 0
      let updated = 0
      let nextAvailableAt: number | undefined
      for (const p of pods) {
        const bound = typeof (p.spec as JsonObject | undefined)?.['nodeName'] === 'string'
        if (bound) scheduled++
        if (isPodReady(p)) ready++
        const a = podAvailability(p, minReadySeconds, nowWall)
        if (a.available) available++
        else if (a.availableAt !== undefined) nextAvailableAt = Math.min(nextAvailableAt ?? Infinity, a.availableAt)
        if (bound && p.metadata.labels?.[HASH_LABEL] === hash) updated++
      }
      if (nextAvailableAt !== undefined) loop.enqueueAfter('daemonset', key, nextAvailableAt - nowWall)
      const oldStatus = (ds.status ?? {}) as JsonObject
      const status = omitZero({
        currentNumberScheduled: scheduled,
        numberMisscheduled: 0,
        desiredNumberScheduled: nodes.length,
        numberReady: ready,
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled: updated,
        numberAvailable: available,
        numberUnavailable: Math.max(0, nodes.length - available)
      }, ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'])
      if (!deepEqual(status, oldStatus)) store.put(DAEMONSETS, { ...ds, status })
    }
  }
}
