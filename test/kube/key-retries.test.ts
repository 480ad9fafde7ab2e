/**
 * The reconciler's per-key memory: back-off that doubles up to its cap, retries blocked
 * on an unreachable cluster released at once on recovery, a new body starting afresh,
 * and objects parked behind a namespace let go when it applies or fails.
 */
import { describe, expect, it } from 'vitest'
import { createKeyRetries, type KeyRetries } from '../../src/kube/key-retries.ts'
import { manualClock, type ManualClock } from '../support/manual-network.ts'

interface Harness { keys: KeyRetries, clock: ManualClock, queued: string[], errorChanges: string[], setRunning (r: boolean): void }

function harness (retryBaseMs = 100, retryMaxMs = 1000): Harness {
  const clock = manualClock()
  const queued: string[] = []
  const errorChanges: string[] = []
  let running = true
  const keys = createKeyRetries({
    clock, retryBaseMs, retryMaxMs, running: () => running,
    enqueue: (k) => { queued.push(k) },
    onErrorChanged: (k) => { errorChanges.push(k) }
  })
  return { keys, clock, queued, errorChanges, setRunning: (r) => { running = r } }
}

/** Virtual ms until the key's pending retry fires (queues it), within `limit`. */
async function msUntilQueued (h: Harness, key: string, limit = 5000): Promise<number> {
  const before = h.queued.filter((k) => k === key).length
  for (let t = 0; t <= limit; t += 10) {
    if (h.queued.filter((k) => k === key).length > before) return t
    await h.clock.advance(10)
  }
  return Infinity
}

describe('key retries', () => {
  it('doubles the back-off with each attempt up to its cap, and a success resets it', async () => {
    const h = harness(100, 1000)
    const gaps: number[] = []
    for (let i = 0; i < 6; i++) {
      h.keys.scheduleRetry('k', false)
      gaps.push(await msUntilQueued(h, 'k'))
    }
    expect(gaps).toEqual([100, 200, 400, 800, 1000, 1000])
    h.keys.succeeded('k')
    h.keys.scheduleRetry('k', false)
    expect(await msUntilQueued(h, 'k')).toBe(100)
  })

  it('sends retries blocked on an unreachable cluster back at once on recovery, and leaves the others to their back-off', async () => {
    const h = harness(1000, 60_000)
    h.keys.scheduleRetry('blocked', true)
    h.keys.scheduleRetry('failed', false)
    h.keys.retryBlockedNow()
    expect(h.queued).toEqual(['blocked'])
    expect(h.keys.get('blocked')?.retry).toBeUndefined()
    await h.clock.advance(1000)
    // The blocked key's old timer was cancelled: only the other one fires.
    expect(h.queued).toEqual(['blocked', 'failed'])
  })

  it('starts a new body afresh: attempts reset and its pending retry cancelled', async () => {
    const h = harness(100, 10_000)
    for (let i = 0; i < 4; i++) h.keys.scheduleRetry('k', false)
    expect(h.keys.get('k')?.attempts).toBe(4)
    h.keys.restart('k')
    expect(h.keys.get('k')?.attempts).toBe(0)
    await h.clock.advance(20_000)
    expect(h.queued).toEqual([])
  })

  it('fires no retry while the driver is stopped, and cancelAll drops every pending one', async () => {
    const h = harness(100, 1000)
    h.keys.scheduleRetry('a', false)
    h.setRunning(false)
    await h.clock.advance(200)
    expect(h.queued).toEqual([])
    h.setRunning(true)
    h.keys.scheduleRetry('b', false)
    h.keys.cancelAll()
    await h.clock.advance(5000)
    expect(h.queued).toEqual([])
  })

  it('lets objects parked behind a namespace go when it applies, and again when it fails', () => {
    const h = harness()
    const ns = 'core/Namespace/_/team'
    h.keys.park(ns, 'apps/Deployment/team/web')
    h.keys.park(ns, 'core/Service/team/web')
    h.keys.park(ns, 'apps/Deployment/team/web')
    expect(h.queued).toEqual([])
    h.keys.succeeded(ns)
    expect(h.queued.sort()).toEqual(['apps/Deployment/team/web', 'core/Service/team/web'])
    expect(h.keys.get(ns)?.applied).toBe(true)

    h.queued.length = 0
    h.keys.park(ns, 'core/ConfigMap/team/cfg')
    h.keys.setError(ns, { code: 'forbidden', message: 'namespaces is forbidden' })
    expect(h.queued).toEqual(['core/ConfigMap/team/cfg'])
  })

  it('reports an error change once, and not an unchanged error again', () => {
    const h = harness()
    const error = { code: 'invalid', message: 'spec.replicas: must be >= 0' }
    h.keys.setError('k', error)
    h.keys.setError('k', { ...error })
    expect(h.errorChanges).toEqual(['k'])
    expect(h.keys.get('k')?.error).toEqual(error)
    h.keys.succeeded('k')
    expect(h.errorChanges).toEqual(['k', 'k'])
    expect(h.keys.get('k')?.error).toBeUndefined()
  })

  it('forgets a key no longer desired: its retry cancelled, its state gone, its parked keys released', async () => {
    const h = harness(100, 1000)
    const ns = 'core/Namespace/_/old'
    h.keys.scheduleRetry(ns, false)
    h.keys.park(ns, 'core/Service/old/s')
    h.keys.forget(ns)
    expect(h.keys.get(ns)).toBeUndefined()
    expect(h.queued).toEqual(['core/Service/old/s'])
    await h.clock.advance(2000)
    expect(h.queued).toEqual(['core/Service/old/s'])
  })
})
