/**
 * The emulated kubelets (one logical kubelet for all nodes): a pod bound to a Ready node
 * shows ContainerCreating, then after the ready delay (cluster-wide, or the pod's
 * `kube-emulator.flotilla.io/ready-delay-ms` annotation) turns Running and Ready with
 * container statuses, pod and host IPs. A pod on a node that stops being Ready loses its
 * Ready condition; it regains it when the node returns. Pods annotated
 * `kube-emulator.flotilla.io/never-ready: "true"` run but never become Ready.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import { conditionTrue, setCondition } from './conditions.ts'
import type { ControllerContext } from './controller-context.ts'
import { fnv1a, isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import { isNodeReady } from './pod-fit.ts'
import { NEVER_READY_ANNOTATION, qosClass, READY_DELAY_ANNOTATION } from './pod-template.ts'
import { splitKey, PODS, NODES } from './scheduler.ts'

export interface Kubelet {
  /** Reconcile stage: brings the pod `namespace/name` to the state its node allows. */
  sync (key: string): void
}

export interface KubeletOptions {
  readyDelayMs: number
}

const POD_TIMES = ['lastProbeTime', 'lastTransitionTime'] as const

function hex64 (seed: string): string {
  let out = ''
  for (let i = 0; i < 8; i++) out += fnv1a(`${seed}/${i}`).toString(16).padStart(8, '0')
  return out
}

export function createKubelet (ctx: ControllerContext, options: KubeletOptions): Kubelet {
  const { store, naming, clock, loop } = ctx
  /** Monotonic ms at which each pod (by uid) was first seen bound. */
  const boundAt = new Map<string, number>()
  const nextIp = new Map<string, number>()

  store.onCommit((e) => {
    if (e.resource === PODS && e.type === 'DELETED' && e.object.metadata.uid !== undefined) boundAt.delete(e.object.metadata.uid)
  })

  function ips (node: KubeObject, pod: KubeObject): { hostIP: string, podIP: string } {
    const addresses = (node.status as JsonObject | undefined)?.['addresses']
    const internal = Array.isArray(addresses) ? addresses.find((a) => isPlainObject(a) && a['type'] === 'InternalIP') as JsonObject | undefined : undefined
    const hostIP = typeof internal?.['address'] === 'string' ? internal['address'] : '10.0.0.2'
    const existing = (pod.status as JsonObject | undefined)?.['podIP']
    if (typeof existing === 'string') return { hostIP, podIP: existing }
    const cidr = (node.spec as JsonObject | undefined)?.['podCIDR']
    const prefix = typeof cidr === 'string' ? cidr.split('.').slice(0, 3).join('.') : '10.244.0'
    const n = nextIp.get(node.metadata.name) ?? 0
    nextIp.set(node.metadata.name, n + 1)
    return { hostIP, podIP: `${prefix}.${(n % 253) + 2}` }
  }

  function containerStatuses (pod: KubeObject, state: 'waiting' | 'running', ready: boolean, startedAt: string): JsonObject[] {
    const containers = ((pod.spec as JsonObject | undefined)?.['containers'] ?? []) as Json[]
    return containers.filter(isPlainObject).map((c) => {
      const image = String(c['image'] ?? '')
      const s: JsonObject = {
        name: String(c['name'] ?? ''),
        image,
        imageID: '',
        ready,
        restartCount: 0,
        started: state === 'running',
        state: state === 'running' ? { running: { startedAt } } : { waiting: { reason: 'ContainerCreating' } },
        lastState: {}
      }
      if (state === 'running') {
        s['imageID'] = `${image.split(':')[0] ?? image}@sha256:${hex64(image)}`
        s['containerID'] = `containerd://${hex64(`${pod.metadata.uid ?? ''}/${String(c['name'])}`)}`
      }
      return s
    })
  }

  function write (pod: KubeObject, status: JsonObject): void {
    store.put(PODS, { ...pod, status })
  }

  function readyConditions (pod: KubeObject, ready: boolean, reason: string | undefined, now: string): JsonObject[] {
    const status = (pod.status ?? {}) as JsonObject
    const names = (((pod.spec as JsonObject | undefined)?.['containers'] ?? []) as Json[]).filter(isPlainObject).map((c) => String(c['name']))
    const notReady = { status: 'False' as const, reason: reason ?? 'ContainersNotReady', message: reason === undefined ? `containers with unready status: [${names.join(' ')}]` : undefined }
    let c = setCondition(status['conditions'], { type: 'PodReadyToStartContainers', status: 'True' }, now, POD_TIMES)
    c = setCondition(c, { type: 'Initialized', status: 'True' }, now, POD_TIMES)
    c = setCondition(c, ready ? { type: 'Ready', status: 'True' } : { type: 'Ready', ...notReady }, now, POD_TIMES)
    c = setCondition(c, ready ? { type: 'ContainersReady', status: 'True' } : { type: 'ContainersReady', ...notReady, reason: reason === undefined ? 'ContainersNotReady' : reason }, now, POD_TIMES)
    c = setCondition(c, { type: 'PodScheduled', status: 'True' }, now, POD_TIMES)
    // Keep the order a real kubelet reports.
    const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']
    return [...c].sort((a, b) => order.indexOf(String(a['type'])) - order.indexOf(String(b['type'])))
  }

  return {
    sync (key) {
      const [ns, name] = splitKey(key)
      const pod = store.get(PODS, ns, name)
      if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) return
      const spec = (pod.spec ?? {}) as JsonObject
      const nodeName = spec['nodeName']
      if (typeof nodeName !== 'string') return
      const node = store.get(NODES, undefined, nodeName)
      const status = (pod.status ?? {}) as JsonObject
      const now = naming.now()
      if (node === undefined || !isNodeReady(node)) {
        // The node stopped reporting: its pods are no longer Ready (the node lifecycle controller's job on a real cluster).
        if (conditionTrue(status, 'Ready')) {
          const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'].filter(isPlainObject).map((s) => ({ ...s, ready: false })) : []
          write(pod, { ...status, conditions: readyConditions(pod, false, 'NodeNotReady', now), containerStatuses: statuses })
        }
        return
      }
      const uid = pod.metadata.uid ?? key
      const annotations = pod.metadata.annotations ?? {}
      const neverReady = annotations[NEVER_READY_ANNOTATION] === 'true'
      if (status['phase'] === 'Running') {
        if (!neverReady && !conditionTrue(status, 'Ready')) {
          const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'].filter(isPlainObject).map((s) => ({ ...s, ready: true })) : []
          write(pod, { ...status, conditions: readyConditions(pod, true, undefined, now), containerStatuses: statuses })
        }
        return
      }
      if (status['phase'] !== 'Pending' && status['phase'] !== undefined) return
      const mono = clock.monotonicMs()
      let since = boundAt.get(uid)
      if (since === undefined) { since = mono; boundAt.set(uid, since) }
      const override = Number(annotations[READY_DELAY_ANNOTATION])
      const delay = annotations[READY_DELAY_ANNOTATION] !== undefined && Number.isFinite(override) && override >= 0 ? override : options.readyDelayMs
      const { hostIP, podIP } = ips(node, pod)
      const base: JsonObject = {
        ...status,
        hostIP,
        hostIPs: [{ ip: hostIP }],
        startTime: typeof status['startTime'] === 'string' ? status['startTime'] : now,
        qosClass: qosClass(spec)
      }
      // One reading decides both whether to wait and for how long (two float expressions
      // of the same comparison can disagree by an ulp).
      const remaining = since + delay - mono
      if (remaining > 0) {
        if (!Array.isArray(status['containerStatuses'])) {
          write(pod, { ...base, phase: 'Pending', conditions: readyConditions(pod, false, undefined, now), containerStatuses: containerStatuses(pod, 'waiting', false, now) })
        }
        loop.enqueueAfter('kubelet', key, remaining)
        return
      }
      boundAt.delete(uid)
      write(pod, {
        ...base,
        phase: 'Running',
        podIP,
        podIPs: [{ ip: podIP }],
        conditions: readyConditions(pod, !neverReady, undefined, now),
        containerStatuses: containerStatuses(pod, 'running', !neverReady, now)
      })
    }
  }
}
