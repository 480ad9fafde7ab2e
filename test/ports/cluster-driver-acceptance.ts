/**
 * The acceptance suite of the `ClusterDriver` port: what the site core may rely on from
 * any driver. Push mode (client-node over HTTP to the emulator), pull mode (the agent and
 * the site's pull driver over the real agent endpoint) and the simulator's in-memory
 * driver all run it against an emulated cluster whose model the suite reads and writes
 * directly, so expectations come from the cluster itself, not from the driver under test.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src/model/kube.ts'
import { workloadKey } from '../../src/model/kube.ts'
import type { Clock } from '../../src/ports/clock.ts'
import {
  MANAGED_BY_LABEL, MANAGED_BY_VALUE, WORKLOAD_KEY_ANNOTATION, type ClusterDriver, type ClusterObservation, type DesiredObject, type ObjectState
} from '../../src/ports/cluster-driver.ts'
import { mustResource, uniformNodes, type ClusterModel, type NodeSpec, type StoreEvent } from '../../sim/kube/index.ts'

export interface ClusterDriverUnderTest {
  driver: ClusterDriver
  /** The emulated cluster the driver acts on, read and written directly by the suite. */
  model: ClusterModel
  /** The clock `lastContactMs` is read on. */
  clock: Clock
  /** Lets `ms` pass: virtual time for in-memory drivers, real time otherwise. */
  advance (ms: number): Promise<void>
  /** Makes the cluster's API unreachable, or reachable again. */
  setReachable (reachable: boolean): Promise<void>
  /**
   * The site restarts: `driver` is stopped and a new, not yet started driver for the same
   * cluster is returned (in pull mode the agent keeps running, as it would).
   */
  restart (): Promise<ClusterDriver>
  dispose (): Promise<void>
}

export interface ClusterDriverSetup {
  nodes: NodeSpec[]
}

export interface ClusterDriverTiming {
  /** Time step between checks. */
  stepMs: number
  /** Longest wait for one expectation. */
  budgetMs: number
}

export const DEPLOYMENTS = mustResource('apps/v1', 'Deployment')
export const PODS = mustResource('v1', 'Pod')

export interface DeploymentShape {
  replicas?: number
  image?: string | null
  requests?: Record<string, string | number>
  namespace?: string
  labels?: Record<string, string>
}

export function deploymentManifest (name: string, s: DeploymentShape = {}): KubeObject {
  const requests = s.requests
  const limits: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(requests ?? {})) if (k.startsWith('nvidia.com/')) limits[k] = v
  const container: Record<string, unknown> = { name: 'main' }
  if (s.image !== null) container['image'] = s.image ?? 'nginx:1.27'
  if (requests !== undefined) container['resources'] = { requests, ...(Object.keys(limits).length > 0 ? { limits } : {}) }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: s.namespace ?? 'default', labels: { app: name, ...s.labels } },
    spec: {
      replicas: s.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } }
    }
  }
}

export function desired (object: KubeObject, generation = 1): DesiredObject {
  return { key: workloadKey(object), object, generation }
}

/** Nodes every run gets: two plain, one with 2 GPUs (200 vGPU cores, 32768 MiB vGPU memory). */
export const SUITE_NODES = (): NodeSpec[] => uniformNodes({ count: 3, gpuNodes: 1, gpusPerNode: 2, cpu: 4, memory: '16Gi' })

export function runClusterDriverAcceptance (name: string, setup: (s: ClusterDriverSetup) => Promise<ClusterDriverUnderTest>, timing: ClusterDriverTiming): void {
  describe(`ClusterDriver acceptance: ${name}`, () => {
    let current: ClusterDriverUnderTest | undefined

    afterEach(async () => {
      const sut = current
      current = undefined
      if (sut !== undefined) {
        await sut.driver.stop()
        await sut.dispose()
      }
    })

    async function started (): Promise<ClusterDriverUnderTest> {
      const sut = await setup({ nodes: SUITE_NODES() })
      current = sut
      await sut.driver.start()
      return sut
    }

    /** Advances time until `check` returns a value, or fails after the budget. */
    async function eventually<T> (sut: ClusterDriverUnderTest, what: string, check: (o: ClusterObservation) => T | undefined | false): Promise<T> {
      for (let waited = 0; ; waited += timing.stepMs) {
        const v = check(sut.driver.observe())
        if (v !== undefined && v !== false) return v
        if (waited >= timing.budgetMs) {
          const o = sut.driver.observe()
          throw new Error(`${name}: not ${what} within ${timing.budgetMs} ms; observed ${JSON.stringify({ reachable: o.reachable, lastError: o.lastError, objects: [...o.objects.values()] })}`)
        }
        await sut.advance(timing.stepMs)
      }
    }

    const readyState = (key: string, replicas: number, generation = 1) => (o: ClusterObservation): ObjectState | undefined => {
      const s = o.objects.get(key)
      return s !== undefined && s.ready === replicas && s.available === replicas && s.observedGeneration >= generation && s.error === undefined ? s : undefined
    }

    const live = (sut: ClusterDriverUnderTest, name: string, namespace = 'default'): KubeObject | undefined =>
      sut.model.api.list({ resource: DEPLOYMENTS, namespace }, { fieldSelector: `metadata.name=${name}` }).items[0]

    const podsOf = (sut: ClusterDriverUnderTest, app: string): KubeObject[] =>
      sut.model.api.list({ resource: PODS, namespace: 'default' }, { labelSelector: `app=${app}` }).items

    it('brings a Deployment to Ready and reports its ready replicas', async () => {
      const sut = await started()
      let changes = 0
      sut.driver.onChange(() => { changes++ })
      const web = desired(deploymentManifest('web', { replicas: 2 }))
      sut.driver.setDesired([web])
      const state = await eventually(sut, 'Ready', readyState(web.key, 2))
      expect(state).toMatchObject({ key: web.key, desired: 2, ready: 2, available: 2, observedGeneration: 1 })
      expect(state.conditions.find((c) => c.type === 'Available')?.status).toBe('True')
      const obs = sut.driver.observe()
      expect(obs.reachable).toBe(true)
      expect(obs.lastContactMs).toBeTypeOf('number')
      expect(changes).toBeGreaterThan(0)
      const obj = live(sut, 'web') as KubeObject
      expect(obj.metadata.labels?.[MANAGED_BY_LABEL]).toBe(MANAGED_BY_VALUE)
      expect(obj.metadata.annotations?.[WORKLOAD_KEY_ANNOTATION]).toBe(web.key)
      expect(obj.metadata.managedFields?.map((m) => (m as { manager: string }).manager)).toContain('flotilla')
    })

    it('converges an update of image and replicas', async () => {
      const sut = await started()
      const v1 = desired(deploymentManifest('web', { replicas: 2, image: 'nginx:1.26' }), 1)
      sut.driver.setDesired([v1])
      await eventually(sut, 'Ready at generation 1', readyState(v1.key, 2, 1))
      const v2 = desired(deploymentManifest('web', { replicas: 3, image: 'nginx:1.27' }), 2)
      sut.driver.setDesired([v2])
      const state = await eventually(sut, 'Ready at generation 2', (o) => {
        const s = readyState(v2.key, 3, 2)(o)
        return s !== undefined && podsOf(sut, 'web').every((p) => (p.spec?.['containers'] as Array<{ image: string }>)[0]?.image === 'nginx:1.27') ? s : undefined
      })
      expect(state.desired).toBe(3)
      expect(state.observedGeneration).toBe(2)
      const obj = live(sut, 'web') as KubeObject
      expect(obj.spec?.['replicas']).toBe(3)
      expect(podsOf(sut, 'web')).toHaveLength(3)
    })

    it('prunes an object removed from the desired set, and only that one', async () => {
      const sut = await started()
      const web = desired(deploymentManifest('web'))
      const api = desired(deploymentManifest('api'))
      sut.driver.setDesired([web, api])
      await eventually(sut, 'both Ready', (o) => readyState(web.key, 1)(o) !== undefined && readyState(api.key, 1)(o))
      const apiUid = live(sut, 'api')?.metadata.uid
      sut.driver.setDesired([api])
      await eventually(sut, 'pruned', (o) => live(sut, 'web') === undefined && !o.objects.has(web.key))
      expect(live(sut, 'api')?.metadata.uid).toBe(apiUid)
      expect(sut.driver.observe().objects.get(api.key)?.ready).toBe(1)
    })

    it('never touches an object it does not own, even one with a desired name', async () => {
      const sut = await started()
      // Someone else's Deployment named like a desired one, and one that wears the label without the annotation.
      const theirs = deploymentManifest('web', { image: 'theirs:1' })
      sut.model.api.patch({ resource: DEPLOYMENTS, namespace: 'default' }, 'web', 'apply', theirs, { fieldManager: 'kubectl' })
      const pretender = deploymentManifest('pretender', { labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } })
      sut.model.api.patch({ resource: DEPLOYMENTS, namespace: 'default' }, 'pretender', 'apply', pretender, { fieldManager: 'kubectl' })
      sut.model.settle()
      const before = { web: live(sut, 'web') as KubeObject, pretender: live(sut, 'pretender') as KubeObject }

      const web = desired(deploymentManifest('web', { replicas: 2, image: 'ours:2' }))
      const api = desired(deploymentManifest('api'))
      sut.driver.setDesired([web, api])
      const conflict = await eventually(sut, 'a conflict on web and api Ready', (o) =>
        o.objects.get(web.key)?.error?.code === 'conflict' && readyState(api.key, 1)(o) !== undefined ? o.objects.get(web.key) : undefined)
      expect(conflict?.error?.message).toMatch(/not managed by Flotilla/)
      expect(conflict?.ready).toBe(0)

      sut.driver.setDesired([])
      await eventually(sut, 'api pruned', () => live(sut, 'api') === undefined)
      await sut.advance(timing.stepMs * 4)
      for (const n of ['web', 'pretender'] as const) {
        const after = live(sut, n) as KubeObject
        expect(after, `${n} still exists`).toBeDefined()
        expect(after.metadata.uid).toBe(before[n].metadata.uid)
        expect(after.metadata.generation).toBe(before[n].metadata.generation)
        expect(after.spec).toEqual(before[n].spec)
        expect(after.metadata.labels).toEqual(before[n].metadata.labels)
        expect(after.metadata.annotations ?? {}).toEqual(before[n].metadata.annotations ?? {})
        expect(after.metadata.managedFields?.map((m) => (m as { manager: string }).manager)).not.toContain('flotilla')
      }
    })

    it('reports a per-object error for an invalid object while the others apply', async () => {
      const sut = await started()
      const bad = desired(deploymentManifest('bad', { image: null }))
      const good = desired(deploymentManifest('good', { replicas: 2 }))
      sut.driver.setDesired([bad, good])
      await eventually(sut, 'good Ready and bad refused', (o) =>
        readyState(good.key, 2)(o) !== undefined && o.objects.get(bad.key)?.error?.code === 'invalid')
      const err = sut.driver.observe().objects.get(bad.key)?.error
      expect(err?.message).toMatch(/image/)
      expect(live(sut, 'bad')).toBeUndefined()
      // Fixed in a new generation, it applies and the error clears.
      const fixed = desired(deploymentManifest('bad', { image: 'nginx:1.27' }), 2)
      sut.driver.setDesired([fixed, good])
      await eventually(sut, 'the fixed object Ready', readyState(fixed.key, 1, 2))
    })

    it('reports the API unreachable with lastContactMs frozen, and recovers without re-creating anything', async () => {
      const sut = await started()
      const web = desired(deploymentManifest('web', { replicas: 2 }))
      sut.driver.setDesired([web])
      await eventually(sut, 'Ready', readyState(web.key, 2))
      const uid = live(sut, 'web')?.metadata.uid
      const generation = live(sut, 'web')?.metadata.generation
      const churn: StoreEvent[] = []
      const off = sut.model.onChange((e) => { if (e.resource === DEPLOYMENTS && e.type !== 'MODIFIED') churn.push(e) })

      await sut.setReachable(false)
      const down = await eventually(sut, 'unreachable', (o) => (!o.reachable ? o : undefined))
      expect(down.lastError).toBeTypeOf('string')
      expect(down.lastError).not.toBe('')
      const frozen = down.lastContactMs
      expect(frozen).toBeTypeOf('number')
      await sut.advance(timing.stepMs * 6)
      const later = sut.driver.observe()
      expect(later.reachable).toBe(false)
      expect(later.lastContactMs).toBe(frozen)

      await sut.setReachable(true)
      await eventually(sut, 'reachable and Ready again', (o) => o.reachable && readyState(web.key, 2)(o) !== undefined)
      expect((sut.driver.observe().lastContactMs ?? 0)).toBeGreaterThan(frozen as number)
      await sut.advance(timing.stepMs * 4)
      off()
      expect(churn.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([])
      expect(live(sut, 'web')?.metadata.uid).toBe(uid)
      expect(live(sut, 'web')?.metadata.generation).toBe(generation)
    })

    it('after a restart, reports the owned objects it finds and prunes none of them before a desired set is declared', async () => {
      const sut = await started()
      const web = desired(deploymentManifest('web', { replicas: 2 }))
      const api = desired(deploymentManifest('api'))
      sut.driver.setDesired([web, api])
      await eventually(sut, 'both Ready', (o) => readyState(web.key, 2)(o) !== undefined && readyState(api.key, 1)(o))
      expect(sut.driver.observe().listed).toBe(true)
      const uids = { web: live(sut, 'web')?.metadata.uid, api: live(sut, 'api')?.metadata.uid }

      sut.driver = await sut.restart()
      expect(sut.driver.observe().listed).toBe(false)
      expect(sut.driver.observe().objects.size).toBe(0)
      await sut.driver.start()
      const found = await eventually(sut, 'listed with what runs', (o) => o.listed && o.objects.has(web.key) && o.objects.has(api.key) ? o : undefined)
      expect(found.objects.get(web.key)).toMatchObject({ key: web.key, desired: 2, ready: 2 })
      expect(found.objects.get(api.key)).toMatchObject({ key: api.key, desired: 1, ready: 1 })
      await sut.advance(timing.stepMs * 6)
      expect(live(sut, 'web')?.metadata.uid).toBe(uids.web)
      expect(live(sut, 'api')?.metadata.uid).toBe(uids.api)

      // The first declaration is a desired set like any other: what it leaves out goes.
      sut.driver.setDesired([api])
      await eventually(sut, 'web pruned', (o) => live(sut, 'web') === undefined && !o.objects.has(web.key) && readyState(api.key, 1)(o) !== undefined)
      expect(live(sut, 'api')?.metadata.uid).toBe(uids.api)
    })

    it('reports nodes with capacity, allocatable and allocated resources, GPU and vGPU included', async () => {
      const sut = await started()
      const gpu = desired(deploymentManifest('trainer', { requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': 1 } }))
      const vgpu = desired(deploymentManifest('infer', { replicas: 2, requests: { cpu: '250m', 'nvidia.com/gpucores': 30, 'nvidia.com/gpumem': 4096 } }))
      sut.driver.setDesired([gpu, vgpu])
      await eventually(sut, 'GPU workloads Ready', (o) => readyState(gpu.key, 1)(o) !== undefined && readyState(vgpu.key, 2)(o))
      const truth = sut.model.nodes()
      const obs = await eventually(sut, 'allocation reported', (o) => {
        const same = o.nodes.length === truth.length && truth.every((t) => {
          const n = o.nodes.find((x) => x.name === t.name)
          return n !== undefined && JSON.stringify(n.allocated) === JSON.stringify(t.allocated)
        })
        return same ? o : undefined
      })
      expect(obs.nodes.map((n) => n.name)).toEqual(truth.map((t) => t.name))
      for (const t of truth) {
        const n = obs.nodes.find((x) => x.name === t.name)
        expect(n?.capacity).toEqual(t.capacity)
        expect(n?.allocatable).toEqual(t.allocatable)
        expect(n?.ready).toBe(true)
      }
      const gpuNode = obs.nodes.find((n) => n.allocatable.gpu > 0)
      expect(gpuNode?.allocatable).toMatchObject({ gpu: 2, vgpuCores: 200, vgpuMemoryMiB: 32768, cpuMilli: 4000 })
      const total = (k: 'gpu' | 'vgpuCores' | 'vgpuMemoryMiB' | 'cpuMilli'): number => obs.nodes.reduce((a, n) => a + n.allocated[k], 0)
      expect(total('gpu')).toBe(1)
      expect(total('vgpuCores')).toBe(60)
      expect(total('vgpuMemoryMiB')).toBe(8192)
      expect(total('cpuMilli')).toBe(1000)

      sut.model.setNodeReady('node-0', false)
      await eventually(sut, 'node-0 NotReady', (o) => o.nodes.find((n) => n.name === 'node-0')?.ready === false)
    })
  })
}
