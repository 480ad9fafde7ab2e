/**
 * The Deployment controller. Pods are owned by the Deployment directly (no ReplicaSet
 * objects, to stay fast) but carry the `pod-template-hash` label of the template they
 * came from, so a template change rolls out as on a real cluster: RollingUpdate within
 * maxSurge/maxUnavailable, or Recreate. Status is filled as the real controller fills it
 * (replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas with
 * zeros omitted, observedGeneration, Available and Progressing conditions, including
 * ProgressDeadlineExceeded), and written only when it changes.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { conditionOf, setCondition } from './conditions.ts'
import { omitZero, splitObjectKey, type ControllerContext } from './controller-context.ts'
import { deepEqual, isPlainObject, templateHash, type JsonObject } from '../../../src/k8s/json.ts'
import { podFromTemplate } from './pod-template.ts'
import { intOrPercent, isPodActive, isPodReady, podAvailability, scaleDownOrder } from './pod-state.ts'
import { mustResource } from './resource-types.ts'

export const DEPLOYMENTS = mustResource('apps/v1', 'Deployment')
const PODS = mustResource('v1', 'Pod')
const COMPONENT = 'deployment-controller'
const TIMES = ['lastUpdateTime', 'lastTransitionTime'] as const

export interface DeploymentController {
  reconcile (key: string): void
}

interface Rollout { replicas: number, maxSurge: number, maxUnavailable: number, recreate: boolean }

function rolloutOf (spec: JsonObject): Rollout {
  const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1
  const strategy = isPlainObject(spec['strategy']) ? spec['strategy'] : {}
  if (strategy['type'] === 'Recreate') return { replicas, maxSurge: 0, maxUnavailable: replicas, recreate: true }
  const ru = isPlainObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {}
  const maxSurge = intOrPercent(ru['maxSurge'], replicas, true, Math.ceil(replicas / 4))
  let maxUnavailable = intOrPercent(ru['maxUnavailable'], replicas, false, Math.floor(replicas / 4))
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  return { replicas, maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas), recreate: false }
}

export function createDeploymentController (ctx: ControllerContext): DeploymentController {
  const { store, naming, clock, owners, events, loop } = ctx
  /** Monotonic ms of each deployment's last progress, for progressDeadlineSeconds. */
  const progressAt = new Map<string, number>()

  function createPods (d: KubeObject, hash: string, count: number): void {
    for (let i = 0; i < count; i++) {
      let name: string
      do name = `${d.metadata.name}-${hash}-${naming.suffix()}`
      while (store.get(PODS, d.metadata.namespace, name) !== undefined)
      store.put(PODS, podFromTemplate({ owner: d, name, extraLabels: { 'pod-template-hash': hash }, naming }))
    }
  }

  function remove (pods: readonly KubeObject[]): void {
    for (const p of pods) store.remove(PODS, p)
  }

  function scaleEvent (d: KubeObject, rs: string, before: number, after: number): void {
    if (before === after) return
    events.record(d, 'Normal', 'ScalingReplicaSet',
      after > before ? `Scaled up replica set ${rs} from ${before} to ${after}` : `Scaled down replica set ${rs} from ${before} to ${after}`, COMPONENT)
  }

  function act (d: KubeObject, hash: string, rs: string, r: Rollout, minReadySeconds: number, pods: KubeObject[]): void {
    const now = clock.wallMs()
    const available = (p: KubeObject): boolean => podAvailability(p, minReadySeconds, now).available
    const fresh = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash)
    const old = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] !== hash)
    if (old.length === 0 || r.recreate) {
      if (r.recreate && old.length > 0) {
        remove(old)
        events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${d.metadata.name}-${old[0]?.metadata.labels?.['pod-template-hash'] ?? ''} from ${old.length} to 0`, COMPONENT)
      }
      if (fresh.length < r.replicas) createPods(d, hash, r.replicas - fresh.length)
      else if (fresh.length > r.replicas) remove(scaleDownOrder(fresh).slice(0, fresh.length - r.replicas))
      scaleEvent(d, rs, fresh.length, r.replicas)
      return
    }
    // Rolling update: surge new pods, then retire old ones while availability allows.
    const canCreate = Math.max(0, Math.min(r.replicas - fresh.length, r.replicas + r.maxSurge - (fresh.length + old.length)))
    if (canCreate > 0) {
      createPods(d, hash, canCreate)
      scaleEvent(d, rs, fresh.length, fresh.length + canCreate)
    }
    const newCount = fresh.length + canCreate
    const newUnavailable = newCount - fresh.filter(available).length
    const minAvailable = r.replicas - r.maxUnavailable
    let budget = newCount + old.length - minAvailable - newUnavailable
    if (budget <= 0) return
    const unhealthy = old.filter((p) => !available(p))
    const healthy = old.filter(available)
    const drop: KubeObject[] = scaleDownOrder(unhealthy).slice(0, budget)
    budget -= drop.length
    const availableTotal = fresh.filter(available).length + healthy.length
    const healthyDrop = Math.max(0, Math.min(budget, availableTotal - minAvailable, healthy.length))
    drop.push(...scaleDownOrder(healthy).slice(0, healthyDrop))
    if (drop.length > 0) {
      remove(drop)
      events.record(d, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${d.metadata.name}-${drop[0]?.metadata.labels?.['pod-template-hash'] ?? ''} from ${old.length} to ${old.length - drop.length}`, COMPONENT)
    }
  }

  return {
    reconcile (key) {
      const [ns, name] = splitObjectKey(key)
      const d = store.get(DEPLOYMENTS, ns, name)
      if (d === undefined || d.metadata.deletionTimestamp !== undefined) {
        progressAt.delete(key)
        return
      }
      const spec = (d.spec ?? {}) as JsonObject
      const hash = templateHash(spec['template'])
      const rs = `${name}-${hash}`
      const r = rolloutOf(spec)
      const minReadySeconds = typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0
      const paused = spec['paused'] === true
      const uid = d.metadata.uid as string
      const activePods = (): KubeObject[] => owners.dependentsOf(uid, PODS).filter(isPodActive)
      if (!paused) act(d, hash, rs, r, minReadySeconds, activePods())

      const pods = activePods()
      const nowWall = clock.wallMs()
      let updated = 0
      let ready = 0
      let available = 0
      let nextAvailableAt: number | undefined
      for (const p of pods) {
        if (p.metadata.labels?.['pod-template-hash'] === hash) updated++
        if (isPodReady(p)) ready++
        const a = podAvailability(p, minReadySeconds, nowWall)
        if (a.available) available++
        else if (a.availableAt !== undefined) nextAvailableAt = Math.min(nextAvailableAt ?? Infinity, a.availableAt)
      }
      if (nextAvailableAt !== undefined) loop.enqueueAfter('deployment', key, nextAvailableAt - nowWall)

      const oldStatus = (d.status ?? {}) as JsonObject
      const now = naming.now()
      const minAvailable = r.recreate ? r.replicas : r.replicas - r.maxUnavailable
      let conditions = setCondition(oldStatus['conditions'], available >= minAvailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, now, TIMES)

      const complete = updated === r.replicas && available === r.replicas && pods.length === r.replicas
      const counts = { replicas: pods.length, updatedReplicas: updated, readyReplicas: ready, availableReplicas: available }
      const progressed = (['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const)
        .some((f) => (typeof oldStatus[f] === 'number' ? oldStatus[f] : 0) !== counts[f]) || oldStatus['observedGeneration'] !== d.metadata.generation
      const mono = clock.monotonicMs()
      if (progressed || !progressAt.has(key)) progressAt.set(key, mono)
      const deadlineMs = (typeof spec['progressDeadlineSeconds'] === 'number' ? spec['progressDeadlineSeconds'] : 600) * 1000
      const progressing = conditionOf(oldStatus, 'Progressing')
      if (paused) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, TIMES)
      } else if (complete) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.` }, now, TIMES)
      } else if (progressing === undefined) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rs}"` }, now, TIMES)
      } else if (progressed) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` }, now, TIMES)
      } else if (mono - (progressAt.get(key) as number) >= deadlineMs) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs}" has timed out progressing.` }, now, TIMES)
      }
      const untilDeadline = (progressAt.get(key) as number) + deadlineMs - mono
      if (!complete && !paused && untilDeadline > 0) loop.enqueueAfter('deployment', key, untilDeadline)

      const status = omitZero({
        observedGeneration: d.metadata.generation,
        replicas: pods.length,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: available,
        unavailableReplicas: Math.max(0, r.replicas - available),
        conditions
      }, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'])
      if (!deepEqual(status, oldStatus)) store.put(DEPLOYMENTS, { ...d, status })
    }
  }
}
