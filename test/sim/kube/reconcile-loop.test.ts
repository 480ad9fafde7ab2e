/**
 * The emulated control plane's work queue on a virtual clock: delayed work waits whole
 * milliseconds, so a remainder of a few ulps (two clock readings subtracted) cannot keep
 * re-arming timers that move time by nothing.
 */
import { describe, expect, it } from 'vitest'
import { createReconcileLoop } from '../../../sim/kube/model/reconcile-loop.ts'
import { createVirtualClock } from '../../../sim/engine/virtual-clock.ts'

describe('reconcile loop', () => {
  it('runs work delayed by a few ulps one whole millisecond later', async () => {
    const engine = createVirtualClock()
    const clock = engine.view({ driftPpm: 37 })
    const ran: number[] = []
    const loop = createReconcileLoop(clock, [{ name: 'kubelet', process: () => { ran.push(clock.monotonicMs()) } }], (e) => { throw e })
    await engine.runFor(48_925)
    const start = clock.monotonicMs()
    loop.enqueueAfter('kubelet', 'ns/pod', 1e-9)
    await engine.runFor(10)
    expect(ran).toHaveLength(1)
    expect(ran[0]! - start).toBeGreaterThanOrEqual(1)
    loop.stop()
  })

  it('keeps the earliest of two delays for one key and runs it once', async () => {
    const engine = createVirtualClock()
    const clock = engine.view({})
    const ran: number[] = []
    const loop = createReconcileLoop(clock, [{ name: 'nodes', process: () => { ran.push(engine.nowMs()) } }], (e) => { throw e })
    loop.enqueueAfter('nodes', 'node-1', 500)
    loop.enqueueAfter('nodes', 'node-1', 200.2)
    loop.enqueueAfter('nodes', 'node-1', 900)
    await engine.runFor(1000)
    expect(ran).toEqual([201])
    loop.stop()
  })
})
