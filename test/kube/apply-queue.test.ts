import { describe, expect, it } from 'vitest'
import { createApplyQueue } from '../../src/kube/apply-queue.ts'
import { silentLogger } from '../../src/ports/logger.ts'

function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

const flush = (): Promise<void> => new Promise((r) => { setImmediate(r) })

describe('apply queue', () => {
  it('takes keys in rank order, at most `concurrency` at once', async () => {
    const started: string[] = []
    const gates = new Map<string, ReturnType<typeof deferred>>()
    const q = createApplyQueue({
      ranks: 3, concurrency: 2, logger: silentLogger, running: () => true,
      rankOf: (k) => Number(k.split(':')[0]),
      run: async (k) => { started.push(k); const g = deferred(); gates.set(k, g); await g.promise }
    })
    q.batch(() => { for (const k of ['2:c', '1:b', '0:a', '2:d']) q.enqueue(k) })
    expect(started).toEqual(['0:a', '1:b'])
    gates.get('0:a')!.resolve()
    await flush()
    expect(started).toEqual(['0:a', '1:b', '2:c'])
  })

  it('runs a key queued while in flight once more after it finishes, never twice at once', async () => {
    let running = 0
    let maxRunning = 0
    let runs = 0
    const gate = deferred()
    const q = createApplyQueue({
      ranks: 1, concurrency: 4, logger: silentLogger, running: () => true, rankOf: () => 0,
      run: async () => { runs++; running++; maxRunning = Math.max(maxRunning, running); if (runs === 1) await gate.promise; running-- }
    })
    q.enqueue('k')
    q.enqueue('k')
    q.enqueue('k')
    expect(q.inFlight('k')).toBe(true)
    gate.resolve()
    await flush()
    expect(runs).toBe(2)
    expect(maxRunning).toBe(1)
  })

  it('starts nothing while stopped, and what was queued on the next pump', async () => {
    let on = false
    const ran: string[] = []
    const q = createApplyQueue({ ranks: 1, concurrency: 1, logger: silentLogger, running: () => on, rankOf: () => 0, run: async (k) => { ran.push(k) } })
    q.enqueue('a')
    await flush()
    expect(ran).toEqual([])
    on = true
    q.pump()
    await flush()
    expect(ran).toEqual(['a'])
  })

  it('keeps working after a key fails unexpectedly', async () => {
    const ran: string[] = []
    const q = createApplyQueue({
      ranks: 1, concurrency: 1, logger: silentLogger, running: () => true, rankOf: () => 0,
      run: async (k) => { ran.push(k); if (k === 'bad') throw new Error('boom') }
    })
    q.enqueue('bad')
    q.enqueue('good')
    await flush()
    await flush()
    expect(ran).toEqual(['bad', 'good'])
  })
})
