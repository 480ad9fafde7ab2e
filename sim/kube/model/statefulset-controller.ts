/**
 * The StatefulSet controller: pods `<name>-<ordinal>` with stable hostnames, created in
 * order and one at a time for `OrderedReady` (each waits for its predecessors to be
 * Running and Ready) or all at once for `Parallel`; scale-down removes the highest
 * ordinals first; a template change rolls out from the highest ordinal down to the
 * partition, one pod at a time. Revisions are `<name>-<template hash>`. Volume claim
 * templates are accepted but no volumes are emulated.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { omitZero, splitObjectKey, type ControllerContext } from './controller-context.ts'
import { deepEqual, isPlainObject, templateHash, type JsonObject } from '../../../src/k8s/json.ts'
import { podFromTemplate } from './pod-template.ts'
import { isPodActive, isPodReady, podAvailability } from './pod-state.ts'
import { mustResource } from './resource-types.ts'

export const STATEFULSETS = mustResource('apps/v1', 'StatefulSet')
const PODS = mustResource('v1', 'Pod')
const COMPONENT = 'statefulset-controller'
const REVISION_LABEL = 'controller-revision-hash'

export interface StatefulSetController {
  reconcile (key: string): void
}

function ordinalOf (setName: string, pod: KubeObject): number | undefined {
  const name = pod.metadata.name
  if (!name.startsWith(`${setName}-`)) return undefined
  const rest = name.slice(setName.length + 1)
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined
}

function runningAndReady (p: KubeObject): boolean {
  return (p.status as JsonObject | undefined)?.['phase'] === 'Running' && isPodReady(p)
}

export function createStatefulSetController (ctx: ControllerContext): StatefulSetController {
  const { store, naming, clock, owners, events, loop } = ctx

  function createPod (s: KubeObject, ordinal: number, revision: string): void {
    const name = `${s.metadata.name}-${ordinal}`
    const spec = (s.spec ?? {}) as JsonObject
    const overrides: JsonObject = { hostname: name }
    if (typeof spec['serviceName'] === 'string' && spec['serviceName'] !== '') overrides['subdomain'] = spec['serviceName']
    store.put(PODS, podFromTemplate({
      owner: s,
      name,
      extraLabels: { [REVISION_LABEL]: revision, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(ordinal) },
      specOverrides: overrides,
      naming
    }))
    events.record(s, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${s.metadata.name} successful`, COMPONENT)
  }

  function deletePod (s: KubeObject, p: KubeObject): void {
    store.remove(PODS, p)
    events.record(s, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${s.metadata.name} successful`, COMPONENT)
  }

  function act (s: KubeObject, spec: JsonObject, replicas: number, revision: string): void {
    const setName = s.metadata.name
    const ordered = spec['podManagementPolicy'] !== 'Parallel'
    const byOrdinal = new Map<number, KubeObject>()
    for (const p of owners.dependentsOf(s.metadata.uid as string, PODS)) {
      const o = ordinalOf(setName, p)
      if (o !== undefined && isPodActive(p)) byOrdinal.set(o, p)
    }
    for (let i = 0; i < replicas; i++) {
      const p = byOrdinal.get(i)
      if (p === undefined) {
        createPod(s, i, revision)
        if (ordered) return
        continue
      }
      if (ordered && !runningAndReady(p)) return
    }
    const extra = [...byOrdinal.keys()].filter((o) => o >= replicas).sort((a, b) => b - a)
    for (const o of extra) {
      deletePod(s, byOrdinal.get(o) as KubeObject)
      if (ordered) return
    }
    const strategy = isPlainObject(spec['updateStrategy']) ? spec['updateStrategy'] : {}
    if (strategy['type'] === 'OnDelete') return
    const ru = isPlainObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {}
    const partition = typeof ru['partition'] === 'number' ? ru['partition'] : 0
    for (let i = 0; i < replicas; i++) {
      const p = byOrdinal.get(i)
      if (p === undefined || !runningAndReady(p)) return
    }
    for (let i = replicas - 1; i >= partition; i--) {
      const p = byOrdinal.get(i) as KubeObject
      if (p.metadata.labels?.[REVISION_LABEL] !== revision) {
        deletePod(s, p)
        return
      }
    }
  }

  return {
    reconcile (key) {
      const [ns, name] = splitObjectKey(key)
      const s = store.get(STATEFULSETS, ns, name)
      if (s === undefined || s.metadata.deletionTimestamp !== undefined) return
      const spec = (s.spec ?? {}) as JsonObject
      const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1
      const revision = `${name}-${templateHash(spec['template'])}`
      act(s, spec, replicas, revision)

      const minReadySeconds = typeof spec['minReadySeconds'] === 'number' ? spec['minReadySeconds'] : 0
      const oldStatus = (s.status ?? {}) as JsonObject
      const currentRevision = typeof oldStatus['currentRevision'] === 'string' ? oldStatus['currentRevision'] : revision
      const pods = owners.dependentsOf(s.metadata.uid as string, PODS).filter((p) => isPodActive(p) && ordinalOf(name, p) !== undefined)
      const nowWall = clock.wallMs()
      let ready = 0
      let available = 0
      let current = 0
      let updated = 0
      let nextAvailableAt: number | undefined
      for (const p of pods) {
        if (isPodReady(p)) ready++
        const a = podAvailability(p, minReadySeconds, nowWall)
        if (a.available) available++
        else if (a.availableAt !== undefined) nextAvailableAt = Math.min(nextAvailableAt ?? Infinity, a.availableAt)
        const rev = p.metadata.labels?.[REVISION_LABEL]
        if (rev === currentRevision) current++
        if (rev === revision) updated++
      }
      if (nextAvailableAt !== undefined) loop.enqueueAfter('statefulset', key, nextAvailableAt - nowWall)
      const rolledOut = updated === replicas && ready === replicas && pods.length === replicas
      const status = omitZero({
        observedGeneration: s.metadata.generation,
        replicas: pods.length,
        readyReplicas: ready,
        currentReplicas: rolledOut ? updated : current,
        updatedReplicas: updated,
        availableReplicas: available,
        currentRevision: rolledOut ? revision : currentRevision,
        updateRevision: revision,
        collisionCount: 0
      }, ['readyReplicas', 'currentReplicas', 'updatedReplicas'])
      if (!deepEqual(status, oldStatus)) store.put(STATEFULSETS, { ...s, status })
    }
  }
}
