/**
 * Reading a member cluster's objects into what the driver reports: the compact record
 * kept per owned object (its ownership marks and readiness, as a Deployment,
 * StatefulSet, DaemonSet or a plain object reports it), a node's readiness, capacity
 * and allocatable resources, and what a bound pod takes from its node (requests, a request
 * defaulting to its limit, init containers counted at their peak, one pod slot). Objects
 * may come as raw JSON (watch) or deserialized by client-node (Dates), so times are
 * normalised to strings.
 */
import type { Condition, KubeObject, WorkloadKey } from '../model/kube.ts'
import { RESOURCE_KEYS, resourcesFromKube, zeroResources, type Resources } from '../model/resources.ts'
import { GENERATION_ANNOTATION } from '../ports/cluster-driver.ts'
import { APPLIED_HASH_ANNOTATION, ownerKeyOf } from './render.ts'

/** What the driver keeps of an object in the cluster. */
export interface LiveObject {
  /** The workload key when the object is Flotilla's (both marks, matching the object). */
  owner: WorkloadKey | undefined
  uid: string
  hash: string | undefined
  /** Flotilla generation annotation, when it is a number. */
  flotillaGeneration: number | undefined
  /** Whether the cluster's controller has seen the current spec (status.observedGeneration >= metadata.generation). */
  observed: boolean
  /** Replicas the object asks for, per its kind (undefined for kinds without replicas). */
  replicas: number | undefined
  ready: number
  available: number
  conditions: Condition[]
}

export interface NodeInfo {
  name: string
  ready: boolean
  /** `status.capacity`: the node's whole resources. */
  capacity: Resources
  /** `status.allocatable`: capacity less what the kubelet reserves for the system; what pods may use. */
  allocatable: Resources
}

export interface PodAllocation {
  node: string
  requests: Resources
}

type Json = Record<string, unknown>

const asRecord = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Json : {})
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

function isoTime (v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString()
  return typeof v === 'string' ? v : undefined
}

export function conditionsOf (status: Json): Condition[] {
  const list = Array.isArray(status['conditions']) ? status['conditions'] : []
  const out: Condition[] = []
  for (const raw of list) {
    const c = asRecord(raw)
    if (typeof c['type'] !== 'string') continue
    const s = c['status']
    const cond: Condition = { type: c['type'], status: s === 'True' || s === 'False' ? s : 'Unknown' }
    if (typeof c['reason'] === 'string') cond.reason = c['reason']
    if (typeof c['message'] === 'string') cond.message = c['message']
    const t = isoTime(c['lastTransitionTime'])
    if (t !== undefined) cond.lastTransitionTime = t
    out.push(cond)
  }
  return out
}

export function liveObjectOf (obj: KubeObject): LiveObject {
  const spec = asRecord(obj.spec)
  const status = asRecord(obj.status)
  const annotations = obj.metadata.annotations ?? {}
  const gen = Number(annotations[GENERATION_ANNOTATION])
  const kubeGeneration = num(obj.metadata.generation)
  const live: LiveObject = {
    owner: ownerKeyOf(obj),
    uid: obj.metadata.uid ?? '',
    hash: annotations[APPLIED_HASH_ANNOTATION],
    flotillaGeneration: Number.isSafeInteger(gen) && gen >= 0 ? gen : undefined,
    observed: true,
    replicas: undefined,
    ready: 1,
    available: 1,
    conditions: conditionsOf(status)
  }
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet': {
      live.observed = num(status['observedGeneration']) >= kubeGeneration
      live.replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1
      live.ready = num(status['readyReplicas'])
      live.available = obj.kind === 'Deployment' ? num(status['availableReplicas']) : num(status['availableReplicas'] ?? status['readyReplicas'])
      break
    }
    case 'DaemonSet': {
      live.observed = num(status['observedGeneration']) >= kubeGeneration
      live.replicas = num(status['desiredNumberScheduled'])
      live.ready = num(status['numberReady'])
      live.available = num(status['numberAvailable'])
      break
    }
    default:
      break
  }
  return live
}

/** A node status resource list; a quantity this parser does not know makes the list zero rather than hiding the node. */
function nodeResources (list: unknown, field: string): Resources | undefined {
  if (list === undefined || list === null) return undefined
  try {
    return resourcesFromKube(asRecord(list) as Record<string, string | number>, field)
  } catch {
    return zeroResources()
  }
}

export function nodeInfoOf (node: KubeObject): NodeInfo {
  const status = asRecord(node.status)
  const ready = conditionsOf(status).find((c) => c.type === 'Ready')?.status === 'True'
  const name = node.metadata.name
  const capacity = nodeResources(status['capacity'], `nodes.${name}.capacity`)
  const allocatable = nodeResources(status['allocatable'], `nodes.${name}.allocatable`)
  // Either list stands in for the other when a node reports only one of them.
  return { name, ready, capacity: capacity ?? allocatable ?? zeroResources(), allocatable: allocatable ?? capacity ?? zeroResources() }
}

function containerRequests (c: Json): Resources {
  const res = asRecord(c['resources'])
  const merged: Record<string, string | number> = { ...asRecord(res['limits']) as Record<string, string | number>, ...asRecord(res['requests']) as Record<string, string | number> }
  try { return resourcesFromKube(merged) } catch { return zeroResources() }
}

/** What a pod takes from its node, or undefined when it is not bound or has finished. */
export function podAllocationOf (pod: KubeObject): PodAllocation | undefined {
  const spec = asRecord(pod.spec)
  const node = spec['nodeName']
  const phase = asRecord(pod.status)['phase']
  if (typeof node !== 'string' || node === '' || phase === 'Succeeded' || phase === 'Failed') return undefined
  const total = zeroResources()
  for (const c of Array.isArray(spec['containers']) ? spec['containers'] : []) {
    const r = containerRequests(asRecord(c))
    for (const k of RESOURCE_KEYS) total[k] += r[k]
  }
  for (const c of Array.isArray(spec['initContainers']) ? spec['initContainers'] : []) {
    const r = containerRequests(asRecord(c))
    for (const k of RESOURCE_KEYS) total[k] = Math.max(total[k], r[k])
  }
  total.pods = 1
  return { node, requests: total }
}

export function sameResources (a: Resources, b: Resources): boolean {
  for (const k of RESOURCE_KEYS) if (a[k] !== b[k]) return false
  return true
}
