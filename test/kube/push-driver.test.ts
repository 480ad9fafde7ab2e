/**
 * Push mode specifics against the emulator over HTTP: what the acceptance suite cannot
 * see from outside — the writes the driver makes (none for what the cluster already
 * holds, after a restart or an outage), server-owned metadata stripped before applying,
 * and the cluster record going NotReady after the failure threshold and Ready again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { clusterRecordFrom, shareStatusesFrom, type ClusterSettings, type HealthMemory } from '../../src/controllers/cluster-status.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { createPushDriver } from '../../src/kube/push-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { uniformNodes } from '../../sim/kube/index.ts'
import { DEPLOYMENTS, deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'
import { FAST, pause, pushedCluster, systemClock, waitFor, type PushedCluster } from './support.ts'

const allReady = (driver: { observe (): { objects: ReadonlyMap<string, { ready: number, desired: number, error?: unknown }> } }, n: number): boolean => {
  const objects = [...driver.observe().objects.values()]
  return objects.length === n && objects.every((o) => o.ready === o.desired && o.error === undefined)
}

describe('push driver', () => {
  let env: PushedCluster | undefined
  afterEach(async () => {
    await env?.close()
    env = undefined
  })

  it('re-applies nothing after a restart when the cluster already holds the desired objects, and prunes leftovers', async () => {
    env = await pushedCluster({ nodes: uniformNodes({ count: 2 }) })
    const set = ['a', 'b', 'c', 'd'].map((n) => desired(deploymentManifest(n)))
    await env.driver.start()
    env.driver.setDesired(set)
    await waitFor('all Ready', () => allReady(env!.driver, 4))
    expect(env.driver.stats()).toMatchObject({ applies: 4, deletes: 0 })
    await env.driver.stop()

    // A new process: same desired set minus one.
    const again = createPushDriver({ name: 'member-1', kubeconfig: { yaml: env.emulator.kubeconfig }, clock: systemClock, logger: silentLogger, ...FAST })
    await again.start()
    again.setDesired(set.slice(0, 3))
    await waitFor('d pruned and the rest Ready', () => allReady(again, 3) && env!.emulator.model.store.get(DEPLOYMENTS, 'default', 'd') === undefined)
    await pause(200)
    expect(again.stats()).toMatchObject({ applies: 0, deletes: 1 })
    expect(again.stats().unchanged).toBeGreaterThanOrEqual(3)
    await again.stop()
  })

  it('makes no write while the API is down or after it is back, when nothing changed', async () => {
    env = await pushedCluster()
    await env.driver.start()
    env.driver.setDesired([desired(deploymentManifest('web', { replicas: 2 })), desired(deploymentManifest('api'))])
    await waitFor('Ready', () => allReady(env!.driver, 2))
    const before = env.driver.stats()
    await env.emulator.setFault({ unreachable: 'refuse' })
    await waitFor('unreachable', () => !env!.driver.observe().reachable)
    await pause(400)
    await env.emulator.setFault({ unreachable: false })
    await waitFor('reachable', () => env!.driver.observe().reachable && allReady(env!.driver, 2))
    await pause(300)
    const after = env.driver.stats()
    expect(after.applies).toBe(before.applies)
    expect(after.deletes).toBe(0)
  })

  it('applies objects carrying the site\'s server-owned metadata (managedFields, uid, resourceVersion...) and status', async () => {
    env = await pushedCluster()
    await env.driver.start()
    const manifest: KubeObject = deploymentManifest('stored')
    manifest.metadata = {
      ...manifest.metadata,
      uid: '0b7c2f9e-0000-4000-8000-000000000001', resourceVersion: '987654', generation: 7, creationTimestamp: '2024-01-01T00:00:00Z',
      managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }],
      ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: 'elsewhere', uid: 'x' }],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'blue' }
    }
    manifest.status = { replicas: 9, readyReplicas: 9 }
    env.driver.setDesired([desired(manifest)])
    await waitFor('Ready', () => allReady(env!.driver, 1))
    const live = env.emulator.model.store.get(DEPLOYMENTS, 'default', 'stored') as KubeObject
    expect(live.metadata.uid).not.toBe('0b7c2f9e-0000-4000-8000-000000000001')
    expect(live.metadata.generation).toBe(1)
    expect(live.metadata.ownerReferences).toBeUndefined()
    expect(live.metadata.annotations?.['team']).toBe('blue')
    expect(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined()
    expect((live.metadata.managedFields ?? []).map((m) => (m as { manager: string }).manager)).toEqual(['flotilla'])
    expect(env.driver.observe().objects.get('apps/Deployment/default/stored')?.ready).toBe(1)
  })

  it('turns the cluster record NotReady after the failure threshold and Ready again on recovery', async () => {
    env = await pushedCluster()
    await env.driver.start()
    const settings: ClusterSettings = { name: 'member-1', mode: 'push', provider: 'emulated', region: 'eu-west', zone: 'eu-west-a', labels: {}, taints: [], failureThresholdMs: 600 }
    let memory: HealthMemory | undefined
    const started = systemClock.monotonicMs()
    const record = () => {
      const r = clusterRecordFrom('eu-west', settings, env!.driver.observe(), memory, systemClock.monotonicMs(), systemClock.wallMs(), started)
      memory = { health: r.health, sinceWall: r.healthSince }
      return r
    }
    const web = desired(deploymentManifest('web', { replicas: 2 }))
    env.driver.setDesired([web])
    await waitFor('Ready', () => record().health === 'Ready' && allReady(env!.driver, 1))
    expect(shareStatusesFrom('eu-west', 'member-1', env.driver.observe())).toEqual([
      expect.objectContaining({ workload: web.key, cluster: 'eu-west.member-1', desired: 2, ready: 2, available: 2, observedGeneration: 1 })
    ])
    await env.emulator.setFault({ unreachable: 'refuse' })
    const down = await waitFor('unreachable', () => (env!.driver.observe().reachable ? undefined : env!.driver.observe()))
    const lastContact = down.lastContactMs as number
    if (systemClock.monotonicMs() - lastContact < 600) expect(record().health).toBe('Ready') // within the threshold a blip moves nothing
    const notReady = await waitFor('NotReady', () => { const r = record(); return r.health === 'NotReady' ? r : undefined }, 5_000)
    expect(systemClock.monotonicMs() - lastContact).toBeGreaterThanOrEqual(600)
    expect(env.driver.observe().lastContactMs).toBe(lastContact)
    expect(notReady.conditions[0]?.reason).toBe('ClusterUnreachable')
    await env.emulator.setFault({ unreachable: false })
    await waitFor('Ready again', () => record().health === 'Ready', 5_000)
  })
})
