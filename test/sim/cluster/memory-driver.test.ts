/**
 * The simulator's in-memory cluster driver: the ClusterDriver acceptance suite on a
 * virtual clock, plus what only it offers (lies, determinism).
 */
import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../../sim/engine/virtual-clock.ts'
import { claimAllReady, createMemoryClusterDriver, overstateCapacity } from '../../../sim/cluster/index.ts'
import { uniformNodes } from '../../../sim/kube/index.ts'
import { deploymentManifest, desired, runClusterDriverAcceptance } from '../../ports/cluster-driver-acceptance.ts'

runClusterDriverAcceptance('in-memory driver (virtual clock)', async ({ nodes }) => {
  const clock = createVirtualClock()
  const tuning = { retryMaxMs: 2_000, watchBackoffMaxMs: 1_000, probeMs: 1_000 }
  const driver = createMemoryClusterDriver({ name: 'sim-1', clock, modelOptions: { nodes }, ...tuning })
  let current = driver
  return {
    driver,
    restart: async () => {
      await current.stop()
      current = createMemoryClusterDriver({ name: 'sim-1', clock, model: driver.model, ...tuning })
      return current
    },
    model: driver.model,
    clock,
    advance: async (ms) => { await clock.runFor(ms) },
    setReachable: async (reachable) => { driver.setUnreachable(!reachable) },
    dispose: async () => {}
  }
}, { stepMs: 100, budgetMs: 30_000 })

describe('in-memory driver extras', () => {
  async function scenario (seedNodes = 3): Promise<string[]> {
    const clock = createVirtualClock()
    const driver = createMemoryClusterDriver({ name: 'replay', clock, modelOptions: { nodes: uniformNodes({ count: seedNodes }), readyDelayMs: 700 } })
    const trace: string[] = []
    driver.onChange(() => {
      const o = driver.observe()
      trace.push(`${clock.nowMs()} ${o.reachable} ${o.lastContactMs} ${JSON.stringify([...o.objects.values()])} ${JSON.stringify(o.nodes)}`)
    })
    await driver.start()
    driver.setDesired([desired(deploymentManifest('web', { replicas: 4 })), desired(deploymentManifest('api', { replicas: 2 }))])
    await clock.runFor(2_000)
    driver.setUnreachable(true)
    await clock.runFor(3_000)
    driver.setUnreachable(false)
    driver.setNodeReady('node-1', false)
    await clock.runFor(3_000)
    trace.push(`writes ${JSON.stringify(driver.stats())} rv ${driver.model.snapshot().resourceVersion}`)
    await driver.stop()
    return trace
  }

  it('replays a run exactly on the virtual clock', async () => {
    const a = await scenario()
    const b = await scenario()
    expect(a.length).toBeGreaterThan(5)
    expect(b).toEqual(a)
  })

  it('reports through a lie while truth() keeps the real observation', async () => {
    const clock = createVirtualClock()
    const driver = createMemoryClusterDriver({ name: 'liar', clock, modelOptions: { nodes: uniformNodes({ count: 2, cpu: 4 }) } })
    await driver.start()
    const web = desired(deploymentManifest('web', { replicas: 50, requests: { cpu: '1' } }))
    driver.setDesired([web])
    await clock.runFor(1_000)
    expect(driver.observe().objects.get(web.key)?.ready).toBe(8)
    let told = 0
    driver.onChange(() => { told++ })

    driver.setLie(overstateCapacity(10))
    await clock.runFor(0)
    expect(told).toBe(1)
    expect(driver.observe().nodes.map((n) => n.allocatable.cpuMilli)).toEqual([40_000, 40_000])
    expect(driver.truth().nodes.map((n) => n.allocatable.cpuMilli)).toEqual([4_000, 4_000])

    driver.setLie(claimAllReady())
    expect(driver.observe().objects.get(web.key)).toMatchObject({ ready: 50, available: 50 })
    driver.setUnreachable(true)
    await clock.runFor(2_000)
    expect(driver.truth().reachable).toBe(false)
    expect(driver.observe().reachable).toBe(true)

    driver.setLie(undefined)
    expect(driver.observe().reachable).toBe(false)
    await driver.stop()
  })
})
