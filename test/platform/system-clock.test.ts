import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { sleep } from '../../src/ports/clock.ts'
import { createSystemClock, MONOTONIC_ORIGIN_MS } from '../../src/platform/system-clock.ts'
import { runClockAcceptance } from '../ports/clock-acceptance.ts'

const run = promisify(execFile)

runClockAcceptance('system clock', () => {
  const clock = createSystemClock()
  return { clock, advance: (ms) => sleep(clock, ms) }
})

describe('system clock', () => {
  it('reads monotonic time from its fixed origin and wall time from the system', () => {
    const clock = createSystemClock()
    expect(clock.monotonicMs()).toBeGreaterThanOrEqual(MONOTONIC_ORIGIN_MS)
    const wall = clock.wallMs()
    expect(Math.abs(wall - Date.now())).toBeLessThan(1000)
  })

  it('keeps timers with equal delays in the order they were set, round after round, among others', async () => {
    // Node may wake up to a millisecond early against performance.now(); a clock whose
    // timers each re-armed for the rest then let a later one overtake an earlier one.
    const clock = createSystemClock()
    const outOfOrder: number[] = []
    for (let round = 0; round < 150; round++) {
      const fired: Array<{ delay: number, i: number }> = []
      for (let i = 0; i < 24; i++) {
        const delay = [1, 2, 3][i % 3]!
        clock.setTimer(delay, () => { fired.push({ delay, i }) })
      }
      await sleep(clock, 5)
      expect(fired).toHaveLength(24)
      for (const delay of [1, 2, 3]) {
        const order = fired.filter((f) => f.delay === delay).map((f) => f.i)
        if (order.some((x, k) => k > 0 && x < order[k - 1]!)) outOfOrder.push(round)
      }
    }
    expect(outOfOrder).toEqual([])
  })

  it('does not fire a delay beyond setTimeout\'s 2^31-1 ms limit early', async () => {
    const clock = createSystemClock()
    let fired = false
    const timer = clock.setTimer(2 ** 31 + 5_000, () => { fired = true })
    await sleep(clock, 30)
    expect(fired).toBe(false)
    timer.cancel()
  })

  // One child process per case: whether pending timers hold a process open is only visible from outside it.
  const script = (keepAlive: boolean): string => `
    import { createSystemClock } from ${JSON.stringify(join(import.meta.dirname, '../../src/platform/system-clock.ts'))}
    const clock = createSystemClock({ keepAlive: ${keepAlive} })
    clock.setTimer(${keepAlive ? 200 : 60_000}, () => { console.log('fired') })
    console.log('armed')
  `

  it('lets the process exit while timers are pending (timers are unref\'d by default)', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(false)], { timeout: 20_000 })
    expect(stdout.trim()).toBe('armed')
  })

  it('keeps firing later timers after a callback throws', async () => {
    const script = `
      import { createSystemClock } from ${JSON.stringify(join(import.meta.dirname, '../../src/platform/system-clock.ts'))}
      process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message) })
      const clock = createSystemClock({ keepAlive: true })
      clock.setTimer(1, () => { throw new Error('a failing callback') })
      clock.setTimer(5, () => { console.log('later') })
    `
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 })
    expect(stdout.trim().split('\n')).toEqual(['uncaught: a failing callback', 'later'])
  })

  it('keeps the process alive for its timers with keepAlive', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script(true)], { timeout: 20_000 })
    expect(stdout.trim().split('\n')).toEqual(['armed', 'fired'])
  })
})
