import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../../../src/model/kube.ts'
import { isKubeApiError } from '../../../src/k8s/api-errors.ts'
import { uniformNodes } from '../../../sim/kube/model/nodes.ts'
import { NEVER_READY_ANNOTATION, READY_DELAY_ANNOTATION } from '../../../sim/kube/model/pod-template.ts'
import {
  condition, CONFIGMAPS, DAEMONSETS, daemonSet, deployment, DEPLOYMENTS, EVENTS, NAMESPACES, nodeOf, NODES, PODS, SERVICES,
  statefulSet, STATEFULSETS, virtualCluster
} from './support.ts'

function statusOf (o: KubeObject): Record<string, unknown> {
  return (o.status ?? {}) as Record<string, unknown>
}

function reasonOf (fn: () => unknown): string | undefined {
  try { fn() } catch (e) { if (isKubeApiError(e)) return e.status.reason; throw e }
  return undefined
}

describe('emulated cluster: deployments', () => {
  it('brings a Deployment to Ready with its pods bound to nodes that account for their requests', async () => {
    const c = virtualCluster()
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 3, requests: { cpu: '500m', memory: '256Mi' } }))
    await c.advance()
    const d = c.get(DEPLOYMENTS, 'web')
    expect(statusOf(d)).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 })
    expect(statusOf(d)['unavailableReplicas']).toBeUndefined()
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' })
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })
    const pods = c.pods('web')
    expect(pods).toHaveLength(3)
    for (const p of pods) {
      expect(nodeOf(p)).toMatch(/^node-\d$/)
      expect(statusOf(p)['phase']).toBe('Running')
      expect(condition(p, 'Ready')?.['status']).toBe('True')
      expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', controller: true })])
      expect(p.metadata.labels?.['pod-template-hash']).toMatch(/^[a-z0-9]{10}$/)
    }
    // Least-allocated scheduling spreads three pods over three nodes.
    expect(new Set(pods.map(nodeOf)).size).toBe(3)
    const allocated = c.model.nodes().reduce((sum, n) => sum + n.allocated.cpuMilli, 0)
    expect(allocated).toBe(1500)
  })

  it('keeps pods Pending with FailedScheduling when nothing fits, and schedules them once a node has room', async () => {
    const c = virtualCluster({ nodes: uniformNodes({ count: 2, cpu: 2 }) })
    const manifest = deployment('big', { replicas: 2, requests: { cpu: '3' } })
    ;(manifest.spec as Record<string, unknown>)['progressDeadlineSeconds'] = 5
    c.apply(DEPLOYMENTS, manifest)
    await c.advance()
    const pods = c.pods('big')
    expect(pods).toHaveLength(2)
    for (const p of pods) {
      expect(nodeOf(p)).toBeUndefined()
      expect(statusOf(p)['phase']).toBe('Pending')
      expect(condition(p, 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' })
      expect(condition(p, 'PodScheduled')?.['message']).toMatch(/^0\/2 nodes are available: 2 Insufficient cpu\./)
    }
    const events = c.model.api.list({ resource: EVENTS, namespace: 'default' }, { fieldSelector: 'reason=FailedScheduling' }).items
    expect(events.length).toBe(2)
    expect(events[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod' } })
    let d = c.get(DEPLOYMENTS, 'big')
    expect(statusOf(d)['readyReplicas']).toBeUndefined()
    expect(statusOf(d)['unavailableReplicas']).toBe(2)
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' })
    await c.advance(6_000)
    d = c.get(DEPLOYMENTS, 'big')
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' })

    c.model.addNode({ name: 'roomy', cpu: 8 })
    await c.advance()
    expect(c.pods('big').map(nodeOf)).toEqual(['roomy', 'roomy'])
    d = c.get(DEPLOYMENTS, 'big')
    expect(statusOf(d)['readyReplicas']).toBe(2)
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })
  })

  it('honours whole-GPU and vGPU requests against GPU nodes only', async () => {
    const c = virtualCluster({ nodes: uniformNodes({ count: 3, gpuNodes: 1, gpusPerNode: 4 }) })
    c.apply(DEPLOYMENTS, deployment('train', { replicas: 5, requests: { cpu: '1', 'nvidia.com/gpu': 1 } }))
    await c.advance()
    const pods = c.pods('train')
    const bound = pods.filter((p) => nodeOf(p) !== undefined)
    expect(bound.map(nodeOf)).toEqual(['node-2', 'node-2', 'node-2', 'node-2'])
    const pending = pods.filter((p) => nodeOf(p) === undefined)
    expect(pending).toHaveLength(1)
    expect(condition(pending[0] as KubeObject, 'PodScheduled')?.['message']).toMatch(/3 Insufficient nvidia\.com\/gpu/)
    c.model.api.delete({ resource: DEPLOYMENTS, namespace: 'default' }, 'train')
    await c.advance()

    // A GPU node has 400 vGPU cores and 65536 MiB: eight pods of 50 cores / 8192 MiB fit, the ninth does not.
    c.apply(DEPLOYMENTS, deployment('infer', { replicas: 9, requests: { 'nvidia.com/gpucores': 50, 'nvidia.com/gpumem': 8192 } }))
    await c.advance()
    const infer = c.pods('infer')
    expect(infer.filter((p) => nodeOf(p) === 'node-2')).toHaveLength(8)
    const left = infer.filter((p) => nodeOf(p) === undefined)
    expect(left).toHaveLength(1)
    expect(condition(left[0] as KubeObject, 'PodScheduled')?.['message']).toMatch(/Insufficient nvidia\.com\/gpucores/)
    const gpuNode = c.model.nodes().find((n) => n.name === 'node-2')
    expect(gpuNode?.allocated).toMatchObject({ vgpuCores: 400, vgpuMemoryMiB: 65536, gpu: 0 })
    expect(gpuNode?.free).toMatchObject({ vgpuCores: 0, vgpuMemoryMiB: 0, gpu: 4 })
  })

  it('makes pods Ready only after the ready delay, per cluster or per pod annotation', async () => {
    const c = virtualCluster({ readyDelayMs: 1_000 })
    c.apply(DEPLOYMENTS, deployment('slow', { replicas: 1 }))
    c.apply(DEPLOYMENTS, deployment('fast', { replicas: 1, annotations: { [READY_DELAY_ANNOTATION]: '0' } }))
    c.apply(DEPLOYMENTS, deployment('never', { replicas: 1, annotations: { [NEVER_READY_ANNOTATION]: 'true' } }))
    await c.advance()
    const slow = c.pods('slow')[0] as KubeObject
    expect(statusOf(slow)['phase']).toBe('Pending')
    expect((statusOf(slow)['containerStatuses'] as Array<Record<string, unknown>>)[0]?.['state']).toEqual({ waiting: { reason: 'ContainerCreating' } })
    expect(statusOf(c.get(DEPLOYMENTS, 'fast'))['readyReplicas']).toBe(1)
    await c.advance(999)
    expect(statusOf(c.get(DEPLOYMENTS, 'slow'))['readyReplicas']).toBeUndefined()
    await c.advance(1)
    expect(statusOf(c.get(DEPLOYMENTS, 'slow'))['readyReplicas']).toBe(1)
    const never = c.pods('never')[0] as KubeObject
    expect(statusOf(never)['phase']).toBe('Running')
    expect(condition(never, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' })
    expect(condition(c.get(DEPLOYMENTS, 'never'), 'Available')?.['status']).toBe('False')
  })

  it('rolls out a template change within maxSurge and maxUnavailable', async () => {
    const c = virtualCluster({ readyDelayMs: 100 })
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 4 }))
    await c.advance(200)
    const oldHash = c.pods('web')[0]?.metadata.labels?.['pod-template-hash']
    let maxPods = 0
    let minReady = Infinity
    const stop = c.model.onChange((e) => {
      if (e.resource !== PODS) return
      const pods = c.model.store.list(PODS, 'default')
      maxPods = Math.max(maxPods, pods.length)
      minReady = Math.min(minReady, pods.filter((p) => condition(p, 'Ready')?.['status'] === 'True').length)
    })
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 4, image: 'nginx:1.28' }))
    await c.advance(2_000)
    stop()
    const pods = c.pods('web')
    expect(pods).toHaveLength(4)
    expect(new Set(pods.map((p) => p.metadata.labels?.['pod-template-hash'])).size).toBe(1)
    expect(pods[0]?.metadata.labels?.['pod-template-hash']).not.toBe(oldHash)
    // 25% of 4: one extra pod at most, and at least three Ready throughout.
    expect(maxPods).toBeLessThanOrEqual(5)
    expect(minReady).toBeGreaterThanOrEqual(3)
    const d = c.get(DEPLOYMENTS, 'web')
    expect(d.metadata.generation).toBe(2)
    expect(statusOf(d)).toMatchObject({ observedGeneration: 2, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, replicas: 4 })
  })

  it('scales through the scale subresource and deletes pods in cascade, or orphans them', async () => {
    const c = virtualCluster()
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 2 }))
    await c.advance()
    const scope = { resource: DEPLOYMENTS, namespace: 'default' }
    expect(c.model.api.getScale(scope, 'web')).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=web' } })
    c.model.api.patch(scope, 'web', 'merge', { spec: { replicas: 4 } }, { subresource: 'scale' })
    await c.advance()
    expect(c.pods('web')).toHaveLength(4)
    c.model.api.delete(scope, 'web')
    await c.advance()
    expect(c.pods('web')).toHaveLength(0)

    c.apply(DEPLOYMENTS, deployment('keep', { replicas: 2 }))
    await c.advance()
    c.model.api.delete(scope, 'keep', { propagationPolicy: 'Orphan' })
    await c.advance()
    const orphans = c.pods('keep')
    expect(orphans).toHaveLength(2)
    for (const p of orphans) expect(p.metadata.ownerReferences).toBeUndefined()
  })
})

describe('emulated cluster: node faults', () => {
  it('takes readiness away from pods on a NotReady node and replaces them elsewhere after the eviction delay', async () => {
    const c = virtualCluster({ evictionDelayMs: 10_000 })
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 3 }))
    await c.advance()
    const victims = c.pods('web').filter((p) => nodeOf(p) === 'node-1').map((p) => p.metadata.name)
    expect(victims).toHaveLength(1)
    c.model.setFault({ notReadyNodes: ['node-1'] })
    await c.advance()
    const node = c.get(NODES, 'node-1')
    expect(condition(node, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown' })
    expect(node.spec?.['taints']).toEqual(expect.arrayContaining([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]))
    expect(c.model.faults().notReadyNodes).toEqual(['node-1'])
    let d = c.get(DEPLOYMENTS, 'web')
    expect(statusOf(d)['readyReplicas']).toBe(2)
    await c.advance(9_000)
    expect(c.pods('web').map((p) => p.metadata.name)).toEqual(expect.arrayContaining(victims))
    await c.advance(1_000)
    const after = c.pods('web')
    expect(after.map((p) => p.metadata.name)).not.toEqual(expect.arrayContaining(victims))
    expect(after.filter((p) => nodeOf(p) === 'node-1')).toHaveLength(0)
    d = c.get(DEPLOYMENTS, 'web')
    expect(statusOf(d)['readyReplicas']).toBe(3)

    c.model.setFault({ notReadyNodes: [] })
    await c.advance()
    expect(condition(c.get(NODES, 'node-1'), 'Ready')?.['status']).toBe('True')
    expect(c.get(NODES, 'node-1').spec?.['taints']).toBeUndefined()
  })

  it('gives pods back their readiness when the node returns before the eviction delay', async () => {
    const c = virtualCluster({ nodes: uniformNodes({ count: 1 }) })
    c.apply(DEPLOYMENTS, deployment('web', { replicas: 2 }))
    await c.advance()
    const names = c.pods('web').map((p) => p.metadata.name).sort()
    c.model.setNodeReady('node-0', false)
    await c.advance(1_000)
    expect(statusOf(c.get(DEPLOYMENTS, 'web'))['readyReplicas']).toBeUndefined()
    expect(condition(c.get(DEPLOYMENTS, 'web'), 'Available')?.['status']).toBe('False')
    c.model.setNodeReady('node-0', true)
    await c.advance()
    expect(statusOf(c.get(DEPLOYMENTS, 'web'))['readyReplicas']).toBe(2)
    expect(c.pods('web').map((p) => p.metadata.name).sort()).toEqual(names)
  })
})

describe('emulated cluster: statefulsets and daemonsets', () => {
  it('creates StatefulSet pods in ordinal order, each after its predecessor is Ready', async () => {
    const c = virtualCluster({ readyDelayMs: 500 })
    c.apply(STATEFULSETS, statefulSet('db', { replicas: 3 }))
    await c.advance()
    expect(c.pods('db').map((p) => p.metadata.name)).toEqual(['db-0'])
    await c.advance(500)
    expect(c.pods('db').map((p) => p.metadata.name)).toEqual(['db-0', 'db-1'])
    await c.advance(1_000)
    const pods = c.pods('db')
    expect(pods.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1', 'db-2'])
    expect(pods[2]?.spec).toMatchObject({ hostname: 'db-2', subdomain: 'db' })
    expect(pods[2]?.metadata.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'db-2', 'apps.kubernetes.io/pod-index': '2' })
    const s = statusOf(c.get(STATEFULSETS, 'db'))
    expect(s).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, observedGeneration: 1 })
    expect(s['currentRevision']).toBe(s['updateRevision'])
    c.model.api.patch({ resource: STATEFULSETS, namespace: 'default' }, 'db', 'merge', { spec: { replicas: 1 } })
    await c.advance()
    await c.advance()
    expect(c.pods('db').map((p) => p.metadata.name)).toEqual(['db-0'])
  })

  it('runs one DaemonSet pod per matching node and follows nodes as they come and go', async () => {
    const c = virtualCluster({ nodes: uniformNodes({ count: 3, gpuNodes: 1 }) })
    c.apply(DAEMONSETS, daemonSet('agent'))
    c.apply(DAEMONSETS, daemonSet('gpu-agent', { nodeSelector: { 'nvidia.com/gpu.present': 'true' } }))
    await c.advance()
    expect(c.pods('agent').map(nodeOf).sort()).toEqual(['node-0', 'node-1', 'node-2'])
    expect(c.pods('gpu-agent').map(nodeOf)).toEqual(['node-2'])
    expect(statusOf(c.get(DAEMONSETS, 'agent'))).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3, numberMisscheduled: 0 })
    c.model.addNode({ name: 'node-3' })
    await c.advance()
    expect(c.pods('agent').map(nodeOf).sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3'])
    c.model.removeNode('node-0')
    await c.advance()
    expect(c.pods('agent').map(nodeOf).sort()).toEqual(['node-1', 'node-2', 'node-3'])
    expect(statusOf(c.get(DAEMONSETS, 'agent'))['desiredNumberScheduled']).toBe(3)
    // Daemon pods tolerate the unreachable taint: a NotReady node keeps its daemon pod.
    c.model.setNodeReady('node-1', false)
    await c.advance(400_000)
    expect(c.pods('agent').map(nodeOf)).toContain('node-1')
  })
})

describe('emulated cluster: API semantics', () => {
  it('commits nothing for an apply that changes nothing', async () => {
    const c = virtualCluster()
    c.apply(DEPLOYMENTS, deployment('web'))
    await c.advance()
    const rv = c.model.store.resourceVersion()
    const before = c.get(DEPLOYMENTS, 'web')
    const again = c.apply(DEPLOYMENTS, deployment('web'))
    expect(c.model.store.resourceVersion()).toBe(rv)
    expect(again).toBe(before)
  })

  it('refuses a stale update with 409 Conflict and an invalid manifest with 422 naming the fields', async () => {
    const c = virtualCluster()
    const scope = { resource: DEPLOYMENTS, namespace: 'default' }
    const first = c.apply(DEPLOYMENTS, deployment('web'))
    await c.advance()
    const stale = structuredClone(first)
    ;(stale.spec as Record<string, unknown>)['replicas'] = 3
    expect(reasonOf(() => c.model.api.update(scope, 'web', stale))).toBe('Conflict')
    const bad = deployment('bad')
    ;((bad.spec as Record<string, unknown>)['template'] as { metadata: { labels: Record<string, string> } }).metadata.labels = { app: 'other' }
    ;(((bad.spec as Record<string, unknown>)['template'] as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers[0] as Record<string, unknown>)['image'] = ''
    try {
      c.model.api.create(scope, bad)
      expect.unreachable()
    } catch (e) {
      if (!isKubeApiError(e)) throw e
      expect(e.status.code).toBe(422)
      expect(e.status.details?.causes?.map((x) => x.field).sort()).toEqual(['spec.template.metadata.labels', 'spec.template.spec.containers[0].image'])
      expect(e.status.message).toMatch(/^Deployment\.apps "bad" is invalid: \[/)
    }
  })

  it('refuses objects in a missing namespace and deletes a namespace with everything in it', async () => {
    const c = virtualCluster()
    expect(reasonOf(() => c.apply(DEPLOYMENTS, deployment('web', { namespace: 'team-a' })))).toBe('NotFound')
    c.model.api.create({ resource: NAMESPACES }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } })
    c.apply(DEPLOYMENTS, deployment('web', { namespace: 'team-a', replicas: 2 }))
    await c.advance()
    expect(c.model.store.count(PODS, 'team-a')).toBe(2)
    expect(c.model.store.get(CONFIGMAPS, 'team-a', 'kube-root-ca.crt')).toBeDefined()
    c.model.api.delete({ resource: NAMESPACES }, 'team-a')
    await c.advance()
    expect(c.model.store.count(PODS, 'team-a')).toBe(0)
    expect(c.model.store.count(DEPLOYMENTS, 'team-a')).toBe(0)
    expect(reasonOf(() => c.get(NAMESPACES, 'team-a'))).toBe('NotFound')
  })

  it('keeps an object with finalizers until they are removed, honours delete preconditions and generateName', () => {
    const c = virtualCluster()
    const scope = { resource: CONFIGMAPS, namespace: 'default' }
    const cm = c.model.api.create(scope, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'held-', finalizers: ['example.com/hold'] }, data: { a: '1' } })
    expect(cm.metadata.name).toMatch(/^held-[a-z0-9]{5}$/)
    expect(reasonOf(() => c.model.api.delete(scope, cm.metadata.name, { preconditions: { uid: 'someone-else' } }))).toBe('Conflict')
    const pending = c.model.api.delete(scope, cm.metadata.name)
    expect(pending.pending).toBe(true)
    expect(c.get(CONFIGMAPS, cm.metadata.name).metadata.deletionTimestamp).toEqual(expect.any(String))
    c.model.api.patch(scope, cm.metadata.name, 'merge', { metadata: { finalizers: null } })
    expect(reasonOf(() => c.get(CONFIGMAPS, cm.metadata.name))).toBe('NotFound')
  })

  it('allocates cluster IPs and node ports, and keeps them across updates', () => {
    const c = virtualCluster()
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } }
    const created = c.apply(SERVICES, svc)
    expect(created.spec).toMatchObject({ clusterIP: expect.stringMatching(/^10\.96\./), ports: [{ port: 80, targetPort: 80, protocol: 'TCP', nodePort: expect.any(Number) }] })
    const updated = c.apply(SERVICES, { ...svc, metadata: { name: 'web', labels: { x: 'y' } } })
    expect(updated.spec?.['clusterIP']).toBe(created.spec?.['clusterIP'])
    expect((updated.spec?.['ports'] as Array<Record<string, unknown>>)[0]?.['nodePort']).toBe((created.spec?.['ports'] as Array<Record<string, unknown>>)[0]?.['nodePort'])
  })

  it('replays exactly: the same operations on the same virtual clock give the same objects', async () => {
    async function run (): Promise<string> {
      const c = virtualCluster({ readyDelayMs: 250, nodes: uniformNodes({ count: 2, cpu: 1 }) })
      c.apply(DEPLOYMENTS, deployment('a', { replicas: 3, requests: { cpu: '400m' } }))
      c.apply(STATEFULSETS, statefulSet('b', { replicas: 2 }))
      await c.advance(1_000)
      c.model.setNodeReady('node-1', false)
      await c.advance(1_000)
      return JSON.stringify([c.model.snapshot(), c.model.store.list(PODS), c.model.store.list(EVENTS)])
    }
    expect(await run()).toBe(await run())
  })
})
