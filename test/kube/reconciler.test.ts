/**
 * The shared reconciler's own rules, on the emulator's model and a virtual clock (so
 * timing is exact): bounded concurrency, per-object retries with exponential backoff,
 * namespaces created for desired objects (and never pruned), drift repaired (deleted,
 * resynced), objects taken over by someone else left alone, and bodies that cannot be
 * sent reported as invalid.
 */
import { describe, expect, it } from 'vitest'
import { createVirtualClock, type VirtualClock } from '../../sim/engine/virtual-clock.ts'
import { createModelClient } from '../../sim/cluster/model-client.ts'
import { createClusterModel, mustResource, uniformNodes, type ClusterModel } from '../../sim/kube/index.ts'
import { KubeCallError, type KubeClient } from '../../src/kube/kube-client.ts'
import { createReconciler, type ReconcilerOptions, type ReconcilingDriver } from '../../src/kube/reconciler.ts'
import { CREATED_NAMESPACE_ANNOTATION } from '../../src/kube/render.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { MANAGED_BY_LABEL } from '../../src/ports/cluster-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { DEPLOYMENTS, deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'

const NAMESPACES = mustResource('v1', 'Namespace')

interface World { clock: VirtualClock, model: ClusterModel, driver: ReconcilingDriver }

async function world (wrap: (c: KubeClient, clock: VirtualClock) => KubeClient = (c) => c, options: Partial<ReconcilerOptions> = {}): Promise<World> {
  const clock = createVirtualClock()
  const model = createClusterModel({ clock, name: 'unit', nodes: uniformNodes({ count: 3, pods: 500 }) })
  const driver = createReconciler({ name: 'unit', clock, logger: silentLogger, client: wrap(createModelClient(model), clock), retryBaseMs: 100, retryMaxMs: 10_000, probeMs: 1_000, ...options })
  await driver.start()
  return { clock, model, driver }
}

async function until (w: World, what: string, check: () => boolean, budgetMs = 30_000): Promise<void> {
  for (let t = 0; !check(); t += 50) {
    if (t > budgetMs) throw new Error(`not ${what} within ${budgetMs} virtual ms`)
    await w.clock.runFor(50)
  }
}

const live = (w: World, name: string, ns = 'default'): KubeObject | undefined => w.model.store.get(DEPLOYMENTS, ns, name)

describe('cluster reconciler', () => {
  it('applies with at most `concurrency` calls in flight', async () => {
    let inFlight = 0
    let peak = 0
    const w = await world((c) => ({
      ...c,
      async apply (o, opts) {
        inFlight++
        peak = Math.max(peak, inFlight)
        try { return await c.apply(o, opts) } finally { inFlight-- }
      }
    }), { concurrency: 4 })
    w.model.setFault({ latencyMs: 20 })
    const set = Array.from({ length: 40 }, (_, i) => desired(deploymentManifest(`app-${i}`)))
    w.driver.setDesired(set)
    await until(w, 'all Ready', () => [...w.driver.observe().objects.values()].every((o) => o.ready === 1))
    expect(peak).toBe(4)
    expect(w.driver.stats().applies).toBe(40)
  })

  it('retries a refused object with exponential backoff, reporting the error meanwhile, while others apply', async () => {
    const attempts: number[] = []
    const w = await world((c, clock) => ({
      ...c,
      async apply (o, opts) {
        if (o.metadata.name === 'flaky') {
          attempts.push(clock.nowMs())
          if (attempts.length <= 3) throw new KubeCallError('apply Deployment flaky: admission webhook denied the request', { transport: false, status: 409, reason: 'Conflict' })
        }
        return await c.apply(o, opts)
      }
    }))
    const flaky = desired(deploymentManifest('flaky'))
    const steady = desired(deploymentManifest('steady'))
    w.driver.setDesired([flaky, steady])
    await until(w, 'steady Ready and flaky refused', () => w.driver.observe().objects.get(steady.key)?.ready === 1 && w.driver.observe().objects.get(flaky.key)?.error !== undefined)
    expect(w.driver.observe().objects.get(flaky.key)?.error).toEqual({ code: 'conflict', message: 'apply Deployment flaky: admission webhook denied the request' })
    expect(w.driver.observe().reachable).toBe(true)
    await until(w, 'flaky Ready', () => w.driver.observe().objects.get(flaky.key)?.ready === 1)
    expect(w.driver.observe().objects.get(flaky.key)?.error).toBeUndefined()
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] as number))
    expect(gaps).toHaveLength(3)
    expect(gaps[0]).toBeGreaterThanOrEqual(100)
    expect(gaps[1]).toBeGreaterThanOrEqual(200)
    expect(gaps[2]).toBeGreaterThanOrEqual(400)
    expect(gaps[2]).toBeLessThan(500)
  })

  it('creates a missing namespace for a desired object and never prunes it', async () => {
    const w = await world()
    const app = desired(deploymentManifest('app', { namespace: 'team-a' }))
    w.driver.setDesired([app])
    await until(w, 'Ready', () => w.driver.observe().objects.get(app.key)?.ready === 1)
    const ns = w.model.store.get(NAMESPACES, undefined, 'team-a') as KubeObject
    expect(ns.metadata.annotations?.[CREATED_NAMESPACE_ANNOTATION]).toBe(app.key)
    expect(ns.metadata.labels?.[MANAGED_BY_LABEL]).toBeUndefined()
    expect(w.driver.stats().namespacesCreated).toBe(1)
    w.driver.setDesired([])
    await until(w, 'pruned', () => live(w, 'app', 'team-a') === undefined)
    await w.clock.runFor(1_000)
    expect(w.model.store.get(NAMESPACES, undefined, 'team-a')).toBeDefined()
  })

  it('applies a desired Namespace before the objects in it', async () => {
    const order: string[] = []
    const w = await world((c) => ({ ...c, apply: async (o, opts) => { order.push(o.kind); return await c.apply(o, opts) } }))
    const namespace = desired({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } })
    const app = desired(deploymentManifest('app', { namespace: 'team-b' }))
    w.driver.setDesired([app, namespace])
    await until(w, 'Ready', () => w.driver.observe().objects.get(app.key)?.ready === 1 && w.driver.observe().objects.get(namespace.key)?.ready === 1)
    expect(order[0]).toBe('Namespace')
    expect(w.driver.stats().namespacesCreated).toBe(0)
  })

  it('puts back an owned object deleted behind its back, and repairs edited fields at the resync', async () => {
    const w = await world((c) => c, { resyncMs: 5_000 })
    const web = desired(deploymentManifest('web', { replicas: 2 }))
    w.driver.setDesired([web])
    await until(w, 'Ready', () => w.driver.observe().objects.get(web.key)?.ready === 2)
    const firstUid = live(w, 'web')?.metadata.uid
    w.model.api.delete({ resource: DEPLOYMENTS, namespace: 'default' }, 'web')
    await until(w, 'recreated', () => live(w, 'web') !== undefined && live(w, 'web')?.metadata.uid !== firstUid)
    w.model.api.patch({ resource: DEPLOYMENTS, namespace: 'default' }, 'web', 'merge', { spec: { replicas: 5 } }, { fieldManager: 'kubectl-scale' })
    expect(live(w, 'web')?.spec?.['replicas']).toBe(5)
    await until(w, 'repaired', () => live(w, 'web')?.spec?.['replicas'] === 2, 10_000)
  })

  it('leaves alone an object someone took over by removing the ownership label', async () => {
    const w = await world()
    const web = desired(deploymentManifest('web'))
    w.driver.setDesired([web])
    await until(w, 'Ready', () => w.driver.observe().objects.get(web.key)?.ready === 1)
    const obj = live(w, 'web') as KubeObject
    const labels = { ...obj.metadata.labels }
    delete labels[MANAGED_BY_LABEL]
    w.model.api.update({ resource: DEPLOYMENTS, namespace: 'default' }, 'web', { ...obj, metadata: { ...obj.metadata, labels } }, { fieldManager: 'kubectl-edit' })
    await until(w, 'conflict', () => w.driver.observe().objects.get(web.key)?.error?.code === 'conflict')
    const applies = w.driver.stats().applies
    w.driver.setDesired([])
    await w.clock.runFor(2_000)
    expect(live(w, 'web')?.metadata.uid).toBe(obj.metadata.uid)
    expect(w.driver.stats()).toMatchObject({ applies, deletes: 0 })
  })

  it('reports objects it cannot send (key not naming the object, unknown kind) as invalid', async () => {
    const w = await world()
    const mismatched = { key: 'apps/Deployment/default/other', object: deploymentManifest('web'), generation: 1 }
    const unknown = { key: 'batch/Job/default/once', object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'default' } }, generation: 1 }
    w.driver.setDesired([mismatched, unknown])
    await until(w, 'both invalid', () => [...w.driver.observe().objects.values()].every((o) => o.error?.code === 'invalid'))
    expect(w.driver.observe().objects.get(mismatched.key)?.error?.message).toMatch(/does not name this object/)
    expect(w.driver.observe().objects.get(unknown.key)?.error?.message).toMatch(/not a kind Flotilla places/)
    expect(w.driver.stats().applies).toBe(0)
  })

  it('marks the cluster unreachable on a failed call and retries waiting objects as soon as it answers again', async () => {
    const w = await world((c) => c, { retryMaxMs: 60_000 })
    w.model.setFault({ unreachable: 'refuse' })
    const web = desired(deploymentManifest('web'))
    w.driver.setDesired([web])
    await until(w, 'unreachable', () => !w.driver.observe().reachable && w.driver.observe().lastError !== undefined)
    // Long enough for the object's own backoff to have grown past 25 s.
    await w.clock.runFor(40_000)
    w.model.setFault({ unreachable: false })
    await until(w, 'Ready', () => w.driver.observe().objects.get(web.key)?.ready === 1, 3_000)
  })

  it('stays reachable when the cluster refuses to list one kind, and reports it on that kind\'s objects', async () => {
    const w = await world((c) => ({
      ...c,
      async list (kind, opts) {
        if (kind.kind === 'Ingress') throw new KubeCallError('list ingresses: the server could not find the requested resource', { transport: false, status: 404, reason: 'NotFound' })
        if (kind.kind === 'Pod') throw new KubeCallError('list pods: pods is forbidden: User "flotilla" cannot list resource "pods"', { transport: false, status: 403, reason: 'Forbidden' })
        return await c.list(kind, opts)
      }
    }))
    const ingress = desired({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' }, spec: { rules: [] } })
    const web = desired(deploymentManifest('web'))
    w.driver.setDesired([web, ingress])
    await until(w, 'web Ready', () => w.driver.observe().objects.get(web.key)?.ready === 1)
    await w.clock.runFor(3_000)
    const obs = w.driver.observe()
    expect(obs.reachable).toBe(true)
    expect(obs.objects.get(ingress.key)?.error).toEqual({ code: 'not-found', message: 'cannot list Ingress objects: list ingresses: the server could not find the requested resource' })
    expect(obs.nodes.every((n) => n.allocated.pods === 0)).toBe(true)
  })
})
