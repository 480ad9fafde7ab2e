/**
 * An emulated Kubernetes cluster in memory: the object store and API verbs, simulated
 * nodes, and the controllers that make objects behave (deployments, statefulsets,
 * daemonsets, scheduler, kubelet, node lifecycle, events), wired to one reconcile loop.
 * It depends only on the Clock port, so the emulator process runs it on real time and
 * the simulator on virtual time. Besides the API it offers what a driver test or the
 * simulator needs directly: a snapshot of nodes (allocatable and allocated) and
 * workloads, change notifications, node and fault knobs, and `settle()` to run all
 * pending control-plane work synchronously.
 */
import type { Condition, KubeObject } from '../../../src/model/kube.ts'
import { subtractResources, type Resources } from '../../../src/model/resources.ts'
import type { Clock } from '../../../src/ports/clock.ts'
import { badRequest, notFound } from '../../../src/k8s/api-errors.ts'
import { conditionOf } from './conditions.ts'
import type { ControllerContext } from './controller-context.ts'
import { createDaemonSetController, DAEMONSETS } from './daemonset-controller.ts'
import { createDeploymentController, DEPLOYMENTS } from './deployment-controller.ts'
import { createEventRecorder } from './event-recorder.ts'
import { isPlainObject, type Json, type JsonObject } from '../../../src/k8s/json.ts'
import { createKubeApi } from './kube-api.ts'
import type { KubeApi } from './kube-api-types.ts'
import { createKubelet } from './kubelet.ts'
import { createNaming } from './naming.ts'
import { createNodeLifecycle } from './node-lifecycle.ts'
import { capacityOf, nodeObject, uniformNodes, type NodeSpec } from './nodes.ts'
import { createObjectStore, type ObjectStore, type StoreEvent } from './object-store.ts'
import { controllerUid, createOwnerIndex, ownerRefsOf } from './owner-index.ts'
import { isNodeReady, taintsOf, type Taint } from './pod-fit.ts'
import { createReconcileLoop } from './reconcile-loop.ts'
import { mustResource, type ResourceType } from './resource-types.ts'
import { createScheduler, NODES, PODS, podKey } from './scheduler.ts'
import { createStatefulSetController, STATEFULSETS } from './statefulset-controller.ts'

const NAMESPACES = mustResource('v1', 'Namespace')
const SERVICES = mustResource('v1', 'Service')
const CONFIGMAPS = mustResource('v1', 'ConfigMap')

export interface ClusterModelOptions {
  clock: Clock
  /** Cluster name. Default "emulated". */
  name?: string
  /** Seeds uids and generated names, so two clusters never share uids. Default: the name. */
  uidSeed?: string
  /** Nodes to start with. Default: 3 plain nodes (8 cpu, 32Gi, 110 pods). */
  nodes?: readonly NodeSpec[]
  /** Milliseconds from a pod's binding to Running/Ready. Default 0. */
  readyDelayMs?: number
  /** Milliseconds a node stays NotReady before its pods are evicted. Default 300,000 (Kubernetes' 300 s). */
  evictionDelayMs?: number
  /** Changes retained for watch resumption; older resourceVersions get 410 Expired. Default 20,000. */
  watchHistorySize?: number
  /** Whether controllers write core/v1 Events. Default true. */
  recordEvents?: boolean
  /** Events kept cluster-wide. Default 1,000. */
  maxEvents?: number
  /** Reported by /version and node info. Default "v1.32.0". */
  kubernetesVersion?: string
  /** Called when a controller throws (a bug); default rethrows asynchronously never: logs to stderr. */
  onError?: (error: unknown, where: string) => void
}

export type UnreachableMode = 'refuse' | 'reset'

export interface FaultState {
  /** `refuse`: connections are refused; `reset`: requests are cut off; false: reachable. */
  unreachable: false | UnreachableMode
  /** Added to every API request. */
  latencyMs: number
  /** Names of nodes that are NotReady. */
  notReadyNodes: readonly string[]
}

export interface NodeSnapshot {
  name: string
  ready: boolean
  unschedulable: boolean
  labels: Record<string, string>
  taints: Taint[]
  capacity: Resources
  allocatable: Resources
  /** Requests of the pods bound to the node. */
  allocated: Resources
  free: Resources
  pods: number
}

export interface WorkloadSnapshot {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'
  namespace: string
  name: string
  uid: string
  generation: number
  observedGeneration: number
  desired: number
  ready: number
  available: number
  updated: number
  conditions: Condition[]
}

export interface ClusterSnapshot {
  name: string
  resourceVersion: string
  nodes: NodeSnapshot[]
  workloads: WorkloadSnapshot[]
  pods: { total: number, pending: number, running: number, ready: number, unschedulable: number }
}

export interface ClusterModel {
  readonly name: string
  readonly clock: Clock
  readonly kubernetesVersion: string
  /** The Kubernetes API verbs, as the HTTP server serves them. */
  readonly api: KubeApi
  /** Read access to stored objects (never mutate what it returns). */
  readonly store: ObjectStore
  snapshot (): ClusterSnapshot
  nodes (): NodeSnapshot[]
  addNode (spec: NodeSpec): void
  removeNode (name: string): void
  setNodeReady (name: string, ready: boolean): void
  faults (): FaultState
  /** Changes some fault knobs; `notReadyNodes` lists exactly the nodes to make NotReady. */
  setFault (patch: Partial<FaultState>): FaultState
  onFault (listener: (faults: FaultState) => void): () => void
  /** Every committed change, synchronously after the commit. Listeners must not write. */
  onChange (listener: (event: StoreEvent) => void): () => void
  /** Runs all queued control-plane work now (not work scheduled for later). */
  settle (): void
  close (): void
}

const OWNER_STAGE: Record<string, string> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset' }

function objectKey (o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`
}

export function createClusterModel (options: ClusterModelOptions): ClusterModel {
  const { clock } = options
  const name = options.name ?? 'emulated'
  const kubernetesVersion = options.kubernetesVersion ?? 'v1.32.0'
  const readyDelayMs = options.readyDelayMs ?? 0
  const evictionDelayMs = options.evictionDelayMs ?? 300_000
  for (const [field, v] of [['readyDelayMs', readyDelayMs], ['evictionDelayMs', evictionDelayMs]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`'${field}' must be a finite non-negative number: received ${v}`)
  }
  const onError = options.onError ?? ((e: unknown, where: string) => { process.stderr.write(`kube emulator: ${where} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`) })

  const store = createObjectStore(options.watchHistorySize === undefined ? {} : { historySize: options.watchHistorySize })
  const naming = createNaming(options.uidSeed ?? name, clock)
  const owners = createOwnerIndex(store)
  const events = createEventRecorder(store, naming, { enabled: options.recordEvents ?? true, max: options.maxEvents ?? 1000 })
  let faults: Omit<FaultState, 'notReadyNodes'> = { unreachable: false, latencyMs: 0 }
  const faultListeners = new Set<(f: FaultState) => void>()

  // Controllers are created after the loop that runs them; stages resolve them late.
  const controllers: {
    deployment?: ReturnType<typeof createDeploymentController>
    statefulset?: ReturnType<typeof createStatefulSetController>
    daemonset?: ReturnType<typeof createDaemonSetController>
    scheduler?: ReturnType<typeof createScheduler>
    kubelet?: ReturnType<typeof createKubelet>
    nodes?: ReturnType<typeof createNodeLifecycle>
  } = {}
  const loop = createReconcileLoop(clock, [
    { name: 'deployment', process: (k) => controllers.deployment?.reconcile(k) },
    { name: 'statefulset', process: (k) => controllers.statefulset?.reconcile(k) },
    { name: 'daemonset', process: (k) => controllers.daemonset?.reconcile(k) },
    { name: 'namespaces', process: (k) => ensureRootCa(k) },
    { name: 'scheduler-retry', process: () => { for (const k of controllers.scheduler?.retryUnschedulable() ?? []) loop.enqueue('scheduler', k) } },
    { name: 'scheduler', process: (k) => controllers.scheduler?.schedule(k) },
    { name: 'kubelet', process: (k) => controllers.kubelet?.sync(k) },
    { name: 'nodes', process: (k) => controllers.nodes?.sync(k) }
  ], (e, stage, key) => onError(e, `${stage} ${key}`))

  const ips = createServiceIpAllocator()
  const api = createKubeApi({
    store, naming, owners,
    hooks: { admit: (r, candidate, old) => { if (r === SERVICES) ips.admit(candidate, old) } }
  })
  const ctx: ControllerContext = { store, naming, clock, owners, events, loop }
  controllers.deployment = createDeploymentController(ctx)
  controllers.statefulset = createStatefulSetController(ctx)
  controllers.daemonset = createDaemonSetController(ctx)
  const scheduler = createScheduler({ store, naming, events, onCapacityChange: () => loop.enqueue('scheduler-retry', '*') })
  controllers.scheduler = scheduler
  controllers.kubelet = createKubelet(ctx, { readyDelayMs })
  const lifecycle = createNodeLifecycle(ctx, { evictionDelayMs, podsOn: scheduler.podsOn, resyncPod: (k) => loop.enqueue('kubelet', k) })
  controllers.nodes = lifecycle

  store.onCommit((e) => {
    const r = e.resource
    if (r === DEPLOYMENTS || r === STATEFULSETS || r === DAEMONSETS) {
      if (e.type !== 'DELETED') loop.enqueue(OWNER_STAGE[r.kind] as string, objectKey(e.object))
      return
    }
    if (r === PODS) {
      const pod = e.object
      for (const ref of ownerRefsOf(pod)) {
        const stage = OWNER_STAGE[ref.kind]
        if (stage !== undefined && ref.uid === controllerUid(pod)) loop.enqueue(stage, `${pod.metadata.namespace ?? ''}/${ref.name}`)
      }
      if (e.type === 'DELETED') return
      const nodeName = (pod.spec as JsonObject | undefined)?.['nodeName']
      loop.enqueue(typeof nodeName === 'string' ? 'kubelet' : 'scheduler', podKey(pod))
      return
    }
    if (r === NODES) {
      for (const ds of store.list(DAEMONSETS)) loop.enqueue('daemonset', objectKey(ds))
      return
    }
    if (r === NAMESPACES && e.type === 'ADDED') loop.enqueue('namespaces', e.object.metadata.name)
  })

  function ensureRootCa (namespace: string): void {
    const ns = store.get(NAMESPACES, undefined, namespace)
    if (ns === undefined || ns.metadata.deletionTimestamp !== undefined) return
    if (store.get(CONFIGMAPS, namespace, 'kube-root-ca.crt') !== undefined) return
    api.create({ resource: CONFIGMAPS, namespace }, {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
      data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nZW11bGF0ZWQgY2x1c3RlciBDQSAobm90IGEgcmVhbCBjZXJ0aWZpY2F0ZSk=\n-----END CERTIFICATE-----\n' }
    }, { fieldManager: 'kube-controller-manager' })
  }

  let nodeIndex = 0
  function addNode (spec: NodeSpec): void {
    if (store.get(NODES, undefined, spec.name) !== undefined) throw badRequest(`node "${spec.name}" already exists`)
    capacityOf(spec)
    store.put(NODES, nodeObject(spec, nodeIndex++, kubernetesVersion, naming.uid(), naming.now()))
  }

  // Bootstrap: the namespaces and the `kubernetes` service every cluster has, then the nodes.
  for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) {
    api.create({ resource: NAMESPACES }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager: 'kube-apiserver' })
  }
  api.create({ resource: SERVICES, namespace: 'default' }, {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] }
  }, { fieldManager: 'kube-apiserver' })
  for (const spec of options.nodes ?? uniformNodes({ count: 3 })) addNode(spec)
  loop.drain()

  function nodeSnapshot (node: KubeObject): NodeSnapshot {
    const allocatable = scheduler.allocatable(node)
    const allocated = scheduler.allocated(node.metadata.name)
    const status = (node.status ?? {}) as JsonObject
    const capacity = isPlainObject(status['capacity']) ? scheduler.allocatable({ ...node, status: { allocatable: status['capacity'] } }) : allocatable
    return {
      name: node.metadata.name,
      ready: isNodeReady(node),
      unschedulable: (node.spec as JsonObject | undefined)?.['unschedulable'] === true,
      labels: { ...(node.metadata.labels ?? {}) },
      taints: taintsOf(node).map((t) => ({ ...t })),
      capacity,
      allocatable,
      allocated,
      free: subtractResources(allocatable, allocated),
      pods: scheduler.podsOn(node.metadata.name).length
    }
  }

  function nodes (): NodeSnapshot[] {
    return store.list(NODES).map(nodeSnapshot).sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  function num (v: Json | undefined): number {
    return typeof v === 'number' ? v : 0
  }

  function workloadSnapshot (r: ResourceType, o: KubeObject): WorkloadSnapshot {
    const spec = (o.spec ?? {}) as JsonObject
    const status = (o.status ?? {}) as JsonObject
    const ds = r === DAEMONSETS
    return {
      kind: r.kind as WorkloadSnapshot['kind'],
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name,
      uid: o.metadata.uid ?? '',
      generation: o.metadata.generation ?? 0,
      observedGeneration: num(status['observedGeneration']),
      desired: ds ? num(status['desiredNumberScheduled']) : (typeof spec['replicas'] === 'number' ? spec['replicas'] : 1),
      ready: num(ds ? status['numberReady'] : status['readyReplicas']),
      available: num(ds ? status['numberAvailable'] : status['availableReplicas']),
      updated: num(ds ? status['updatedNumberScheduled'] : status['updatedReplicas']),
      conditions: (Array.isArray(status['conditions']) ? status['conditions'] : []) as unknown as Condition[]
    }
  }

  function faultState (): FaultState {
    return { ...faults, notReadyNodes: store.list(NODES).filter((n) => !isNodeReady(n)).map((n) => n.metadata.name).sort() }
  }

  return {
    name,
    clock,
    kubernetesVersion,
    api,
    store,
    snapshot () {
      let pending = 0
      let running = 0
      let ready = 0
      let unschedulable = 0
      const pods = store.list(PODS)
      for (const p of pods) {
        const phase = (p.status as JsonObject | undefined)?.['phase']
        if (phase === 'Pending') pending++
        if (phase === 'Running') running++
        if (conditionOf(p.status, 'Ready')?.['status'] === 'True') ready++
        if (conditionOf(p.status, 'PodScheduled')?.['reason'] === 'Unschedulable') unschedulable++
      }
      const workloads: WorkloadSnapshot[] = []
      for (const r of [DEPLOYMENTS, STATEFULSETS, DAEMONSETS]) for (const o of store.list(r)) workloads.push(workloadSnapshot(r, o))
      return {
        name,
        resourceVersion: String(store.resourceVersion()),
        nodes: nodes(),
        workloads,
        pods: { total: pods.length, pending, running, ready, unschedulable }
      }
    },
    nodes,
    addNode,
    removeNode (nodeName) {
      const node = store.get(NODES, undefined, nodeName)
      if (node === undefined) throw notFound({ kind: 'nodes', group: '' }, nodeName)
      store.remove(NODES, node)
    },
    setNodeReady: (nodeName, ready) => lifecycle.setNodeReady(nodeName, ready),
    faults: faultState,
    setFault (patch) {
      if (patch.latencyMs !== undefined && (!Number.isFinite(patch.latencyMs) || patch.latencyMs < 0)) {
        throw badRequest(`'latencyMs' must be a finite non-negative number: received ${patch.latencyMs}`)
      }
      if (patch.unreachable !== undefined && patch.unreachable !== false && patch.unreachable !== 'refuse' && patch.unreachable !== 'reset') {
        throw badRequest(`'unreachable' must be false, "refuse" or "reset": received ${JSON.stringify(patch.unreachable)}`)
      }
      if (patch.notReadyNodes !== undefined) {
        const wanted = new Set(patch.notReadyNodes)
        for (const n of wanted) if (store.get(NODES, undefined, n) === undefined) throw notFound({ kind: 'nodes', group: '' }, n)
        for (const n of store.list(NODES)) lifecycle.setNodeReady(n.metadata.name, !wanted.has(n.metadata.name))
      }
      faults = {
        unreachable: patch.unreachable ?? faults.unreachable,
        latencyMs: patch.latencyMs ?? faults.latencyMs
      }
      const state = faultState()
      for (const l of faultListeners) l(state)
      return state
    },
    onFault (listener) {
      faultListeners.add(listener)
      return () => { faultListeners.delete(listener) }
    },
    onChange: (listener) => store.onCommit(listener),
    settle: () => loop.drain(),
    close () {
      loop.stop()
      faultListeners.clear()
    }
  }
}

/** Cluster IPs from 10.96.0.0/12 and node ports from 30000-32767, as the apiserver allocates them. */
function createServiceIpAllocator (): { admit (candidate: JsonObject, old: KubeObject | undefined): void } {
  const usedIps = new Set<string>(['10.96.0.1'])
  const usedPorts = new Set<number>()
  let nextIp = 10
  let nextPort = 30000
  function allocateIp (): string {
    for (;;) {
      const n = nextIp++
      const ip = `10.96.${Math.floor(n / 256) % 256}.${n % 256}`
      if (n % 256 !== 0 && n % 256 !== 255 && !usedIps.has(ip)) { usedIps.add(ip); return ip }
    }
  }
  function allocatePort (): number {
    while (usedPorts.has(nextPort)) nextPort = nextPort >= 32767 ? 30000 : nextPort + 1
    usedPorts.add(nextPort)
    return nextPort
  }
  return {
    admit (candidate, old) {
      const spec = isPlainObject(candidate['spec']) ? candidate['spec'] : {}
      candidate['spec'] = spec
      const oldSpec = (old?.spec ?? {}) as JsonObject
      if (spec['type'] === 'ExternalName') return
      if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
        spec['clusterIP'] = typeof oldSpec['clusterIP'] === 'string' ? oldSpec['clusterIP'] : allocateIp()
      } else if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== 'None') {
        usedIps.add(spec['clusterIP'])
      }
      spec['clusterIPs'] = [spec['clusterIP'] as string]
      if (spec['type'] === 'NodePort' || spec['type'] === 'LoadBalancer') {
        const oldPorts = Array.isArray(oldSpec['ports']) ? oldSpec['ports'].filter(isPlainObject) : []
        for (const p of Array.isArray(spec['ports']) ? spec['ports'].filter(isPlainObject) : []) {
          if (typeof p['nodePort'] === 'number') { usedPorts.add(p['nodePort']); continue }
          const same = oldPorts.find((o) => o['port'] === p['port'] && (o['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'))
          p['nodePort'] = typeof same?.['nodePort'] === 'number' ? same['nodePort'] : allocatePort()
        }
      }
    }
  }
}
