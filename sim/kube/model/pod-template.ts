/**
 * Pods from a workload's pod template, as the workload controllers create them: template
 * labels plus the controller's own (pod-template-hash, controller-revision-hash...), an
 * ownerReference to the controller, status Pending. Also the annotations that tune one
 * emulated pod's behaviour.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { defaultPodSpec } from './defaults.ts'
import { isPlainObject, type JsonObject } from '../../../src/k8s/json.ts'
import type { Naming } from './naming.ts'

/** Pod (or pod template) annotation: milliseconds from binding to Ready, overriding the cluster's ready delay. */
export const READY_DELAY_ANNOTATION = 'kube-emulator.flotilla.io/ready-delay-ms'
/** Pod (or pod template) annotation: "true" keeps the pod Running but never Ready (a failing readiness probe). */
export const NEVER_READY_ANNOTATION = 'kube-emulator.flotilla.io/never-ready'

export interface PodFromTemplate {
  owner: KubeObject
  name: string
  extraLabels: Record<string, string>
  /** Pod spec fields set by the controller (hostname, affinity for daemon pods...). */
  specOverrides?: JsonObject
  naming: Naming
}

export function podFromTemplate (p: PodFromTemplate): KubeObject {
  const template = ((p.owner.spec ?? {}) as JsonObject)['template']
  const t = isPlainObject(template) ? template : {}
  const tmeta = isPlainObject(t['metadata']) ? t['metadata'] : {}
  const spec = structuredClone(isPlainObject(t['spec']) ? t['spec'] : {}) as JsonObject
  defaultPodSpec(spec)
  if (!Object.hasOwn(spec, 'enableServiceLinks')) spec['enableServiceLinks'] = true
  if (!Object.hasOwn(spec, 'serviceAccountName')) spec['serviceAccountName'] = 'default'
  if (!Object.hasOwn(spec, 'priority')) spec['priority'] = 0
  Object.assign(spec, p.specOverrides ?? {})
  const labels = { ...(isPlainObject(tmeta['labels']) ? tmeta['labels'] as Record<string, string> : {}), ...p.extraLabels }
  const annotations = isPlainObject(tmeta['annotations']) ? { ...tmeta['annotations'] as Record<string, string> } : undefined
  const now = p.naming.now()
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.owner.metadata.namespace,
      uid: p.naming.uid(),
      creationTimestamp: now,
      labels,
      ...(annotations === undefined ? {} : { annotations }),
      ownerReferences: [{
        apiVersion: p.owner.apiVersion,
        kind: p.owner.kind,
        name: p.owner.metadata.name,
        uid: p.owner.metadata.uid as string,
        controller: true,
        blockOwnerDeletion: true
      }]
    },
    spec,
    status: { phase: 'Pending', qosClass: qosClass(spec) }
  }
}

/** Guaranteed when every container's requests equal its limits for cpu and memory; BestEffort when none set anything. */
export function qosClass (spec: JsonObject): string {
  const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isPlainObject) : []
  let any = false
  let guaranteed = containers.length > 0
  for (const c of containers) {
    const r = isPlainObject(c['resources']) ? c['resources'] : {}
    const req = isPlainObject(r['requests']) ? r['requests'] : {}
    const lim = isPlainObject(r['limits']) ? r['limits'] : {}
    if (Object.keys(req).length > 0 || Object.keys(lim).length > 0) any = true
    for (const k of ['cpu', 'memory']) {
      if (lim[k] === undefined || (req[k] !== undefined && String(req[k]) !== String(lim[k]))) guaranteed = false
    }
  }
  if (!any) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}
