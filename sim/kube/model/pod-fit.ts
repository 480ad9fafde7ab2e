/**
 * What a pod needs from a node and whether a node offers it: resource requests (as the
 * scheduler sums them: containers added, init containers as a maximum, a request
 * defaulting to its limit, one pod slot), taints and tolerations, node selectors and
 * required node affinity. Pure functions over plain objects, shared by the scheduler and
 * the node lifecycle controller.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { addResources, RESOURCE_KEYS, resourcesFromKube, zeroResources, type Resources } from '../../../src/model/resources.ts'
import { isPlainObject, type JsonObject } from '../../../src/k8s/json.ts'
import { matchesLabels, fromStructured } from '../../../src/k8s/label-selector.ts'

export interface Taint { key: string, value?: string, effect: string }
export interface Toleration { key?: string, operator?: string, value?: string, effect?: string, tolerationSeconds?: number }

function containerRequests (c: JsonObject): Resources {
  const res = isPlainObject(c['resources']) ? c['resources'] : {}
  const limits = isPlainObject(res['limits']) ? res['limits'] as Record<string, string | number> : {}
  const requests = isPlainObject(res['requests']) ? res['requests'] as Record<string, string | number> : {}
  // A resource with only a limit is requested at its limit, as the apiserver defaults it.
  return resourcesFromKube({ ...limits, ...requests })
}

/** The resources one pod asks for, including one `pods` slot. */
export function podRequests (pod: KubeObject): Resources {
  const spec = (pod.spec ?? {}) as JsonObject
  let sum = zeroResources()
  for (const c of Array.isArray(spec['containers']) ? spec['containers'] : []) if (isPlainObject(c)) sum = addResources(sum, containerRequests(c))
  for (const c of Array.isArray(spec['initContainers']) ? spec['initContainers'] : []) {
    if (!isPlainObject(c)) continue
    const init = containerRequests(c)
    for (const k of RESOURCE_KEYS) sum[k] = Math.max(sum[k], init[k])
  }
  sum.pods = 1
  return sum
}

export function tolerates (tolerations: readonly Toleration[], taint: Taint): Toleration | undefined {
  return tolerations.find((t) => {
    if (t.effect !== undefined && t.effect !== '' && t.effect !== taint.effect) return false
    if ((t.operator ?? 'Equal') === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '')
  })
}

export function tolerationsOf (pod: KubeObject): Toleration[] {
  const t = (pod.spec as JsonObject | undefined)?.['tolerations']
  return Array.isArray(t) ? t as unknown as Toleration[] : []
}

export function taintsOf (node: KubeObject): Taint[] {
  const t = (node.spec as JsonObject | undefined)?.['taints']
  return Array.isArray(t) ? t as unknown as Taint[] : []
}

interface NodeSelectorRequirement { key: string, operator: string, values?: string[] }
interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[], matchFields?: NodeSelectorRequirement[] }

function termMatches (term: NodeSelectorTerm, node: KubeObject): boolean {
  if (!matchesLabels(fromStructured({ matchExpressions: term.matchExpressions ?? [] }), node.metadata.labels)) return false
  return matchesLabels(fromStructured({ matchExpressions: term.matchFields ?? [] }), { 'metadata.name': node.metadata.name })
}

/** `spec.nodeSelector` and required node affinity (terms ORed, requirements ANDed). */
export function matchesNodeSelection (pod: KubeObject, node: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as JsonObject
  const selector = spec['nodeSelector']
  if (isPlainObject(selector) && !matchesLabels(fromStructured({ matchLabels: selector as Record<string, string> }), node.metadata.labels)) return false
  const affinity = isPlainObject(spec['affinity']) ? spec['affinity'] : undefined
  const nodeAffinity = isPlainObject(affinity?.['nodeAffinity']) ? affinity['nodeAffinity'] as JsonObject : undefined
  const required = isPlainObject(nodeAffinity?.['requiredDuringSchedulingIgnoredDuringExecution'])
    ? nodeAffinity['requiredDuringSchedulingIgnoredDuringExecution'] as JsonObject
    : undefined
  const terms = Array.isArray(required?.['nodeSelectorTerms']) ? required['nodeSelectorTerms'] as unknown as NodeSelectorTerm[] : undefined
  if (terms !== undefined && terms.length > 0 && !terms.some((t) => termMatches(t, node))) return false
  return true
}

export function isNodeReady (node: KubeObject): boolean {
  const conditions = (node.status as JsonObject | undefined)?.['conditions']
  if (!Array.isArray(conditions)) return false
  return conditions.some((c) => isPlainObject(c) && c['type'] === 'Ready' && c['status'] === 'True')
}

export const RESOURCE_NAMES: Record<keyof Resources, string> = {
  cpuMilli: 'cpu',
  memoryBytes: 'memory',
  pods: 'pods',
  gpu: 'nvidia.com/gpu',
  vgpuCores: 'nvidia.com/gpucores',
  vgpuMemoryMiB: 'nvidia.com/gpumem'
}

/** Why `node` cannot take `pod` (scheduler wording), or an empty list when it fits. */
export function unfitReasons (pod: KubeObject, requests: Resources, node: KubeObject, free: Resources): string[] {
  const reasons: string[] = []
  const spec = (node.spec ?? {}) as JsonObject
  if (spec['unschedulable'] === true) reasons.push('node(s) were unschedulable')
  const tolerations = tolerationsOf(pod)
  for (const taint of taintsOf(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue
    if (tolerates(tolerations, taint) === undefined) {
      reasons.push(`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`)
      break
    }
  }
  if (!matchesNodeSelection(pod, node)) reasons.push("node(s) didn't match Pod's node affinity/selector")
  for (const k of RESOURCE_KEYS) {
    if (requests[k] > 0 && requests[k] > free[k]) reasons.push(k === 'pods' ? 'Too many pods' : `Insufficient ${RESOURCE_NAMES[k]}`)
  }
  return reasons
}
