import { describe, expect, it } from 'vitest'
import { backoffPolicy } from '../../src/net/backoff.ts'
import { createRedialer } from '../../src/net/redialer.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createManualClock } from '../sim/network/manual-clock.ts'
import { createSeededRng } from '../sim/network/seeded-rng.ts'

const flush = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

function setup (outcomes: boolean[]) {
  const clock = createManualClock()
  const attempts: number[] = []
  const redialer = createRedialer({
    clock,
    rng: createSeededRng(1),
    policy: backoffPolicy({ baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0 }),
    logger: silentLogger,
    dial: async () => {
      attempts.push(clock.monotonicMs())
      const ok = outcomes.shift()
      if (ok === undefined) throw new Error('unreachable')
      return ok
    }
  })
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 10) { clock.advance(10); await flush() }
  }
  return { clock, attempts, redialer, run }
}

describe('redialer', () => {
  it('retries a lost peer with growing, capped delays until it answers, then forgets it', async () => {
    const { attempts, redialer, run } = setup([false, false, false, false, false, true])
    redialer.schedule('peer-a')
    await run(5_000)
    const gaps = attempts.map((t, i) => t - (i === 0 ? 0 : attempts[i - 1] as number))
    expect(gaps).toEqual([100, 200, 400, 800, 1_000, 1_000])
    expect(redialer.pending()).toEqual([])
  })

  it('treats a thrown dial as a failure and keeps trying', async () => {
    const { attempts, redialer, run } = setup([])
    redialer.dialNow('peer-b')
    await flush()
    await run(750)
    expect(attempts).toEqual([0, 100, 300, 700])
    expect(redialer.pending()).toEqual([{ target: 'peer-b', attempts: 4 }])
    redialer.stop()
    await run(5_000)
    expect(attempts).toHaveLength(4)
  })

  it('keeps one pending attempt per target and drops it on reset', async () => {
    const { attempts, redialer, run } = setup([false, false])
    redialer.schedule('peer-c')
    redialer.schedule('peer-c')
    redialer.dialNow('peer-c')
    await run(150)
    expect(attempts).toEqual([100])
    redialer.reset('peer-c')
    await run(2_000)
    expect(attempts).toEqual([100])
    expect(redialer.pending()).toEqual([])
  })
})
