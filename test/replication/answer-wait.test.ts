import { describe, expect, it } from 'vitest'
import { createAnswerWait } from '../../src/replication/answer-wait.ts'
import { asPeerId } from '../../src/ports/network.ts'

const p = asPeerId('p')
const fast = asPeerId('fast')
const slow = asPeerId('slow')

describe('answer wait', () => {
  const options = { initialMs: 2500, minMs: 1000, maxMs: 10_000 }

  it('waits the initial time for a peer whose answers were never timed', () => {
    expect(createAnswerWait(options).waitMs(p)).toBe(2500)
  })

  it.each([
    ['a fast peer down to the floor', [100, 120, 90, 110], 1000],
    ['a peer that always takes 2 s about that long plus its spread', [2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000], 2000],
    ['a very slow peer no longer than the session time-out', [9000, 12_000, 15_000], 10_000]
  ])('learns %s', (_, samples, expected) => {
    const wait = createAnswerWait(options)
    for (const ms of samples) wait.sample(p, ms)
    expect(wait.waitMs(p)).toBeGreaterThanOrEqual(expected)
    expect(wait.waitMs(p)).toBeLessThan(expected * 1.25)
  })

  it('grows with the spread of a peer\'s answers, not only their mean', () => {
    const steady = createAnswerWait(options)
    const jumpy = createAnswerWait(options)
    for (let i = 0; i < 20; i++) {
      steady.sample(p, 1500)
      jumpy.sample(p, i % 2 === 0 ? 500 : 2500)
    }
    expect(jumpy.waitMs(p)).toBeGreaterThan(steady.waitMs(p) + 1000)
  })

  it('keeps peers apart and forgets a peer that went away', () => {
    const wait = createAnswerWait(options)
    for (let i = 0; i < 5; i++) wait.sample(slow, 4000)
    expect(wait.waitMs(fast)).toBe(2500)
    expect(wait.waitMs(slow)).toBeGreaterThan(4000)
    wait.forget(slow)
    expect(wait.waitMs(slow)).toBe(2500)
  })
})
