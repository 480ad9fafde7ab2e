import { describe, expect, it } from 'vitest'
import { createDeferredRelay } from '../../src/net/deferred-relay.ts'
import type { Rng } from '../../src/ports/rng.ts'
import { manualClock } from '../support/manual-network.ts'

/** An Rng whose floats come from `floats`, in turn. */
function scriptedRng (...floats: number[]): Rng {
  let i = 0
  return {
    nextUint32: () => 0,
    nextFloat: () => floats[i++ % floats.length]!,
    bytes: (n) => new Uint8Array(n)
  }
}

function setup (o: { maxDelayMs?: number, maxPending?: number, floats?: number[] } = {}) {
  const clock = manualClock()
  const released: string[] = []
  const relay = createDeferredRelay({
    clock,
    rng: scriptedRng(...(o.floats ?? [0.5])),
    maxDelayMs: o.maxDelayMs ?? 200,
    maxPending: o.maxPending ?? 100,
    release: (msgId, source) => { released.push(`${msgId}<-${source}`) }
  })
  return { clock, relay, released }
}

describe('deferred relay', () => {
  it('relays an accepted message only once its random delay has passed', async () => {
    const { clock, relay, released } = setup({ floats: [0.25, 0.75] })
    relay.defer('m1', 'p1')
    expect(released).toEqual([])
    expect(relay.pending).toBe(1)
    await clock.advance(49)
    expect(released).toEqual([])
    await clock.advance(1)
    expect(released).toEqual(['m1<-p1'])
    expect(relay.pending).toBe(0)
    // the next message draws a delay of its own
    relay.defer('m2', 'p2')
    await clock.advance(149)
    expect(released).toEqual(['m1<-p1'])
    await clock.advance(1)
    expect(released).toEqual(['m1<-p1', 'm2<-p2'])
  })

  it('lets messages that arrive while a delay runs leave with it, on one timer', async () => {
    const { clock, relay, released } = setup({ floats: [0.5] })
    relay.defer('m1', 'p1')
    await clock.advance(60)
    relay.defer('m2', 'p2')
    relay.defer('m3', 'p1')
    expect(relay.pending).toBe(3)
    await clock.advance(40)
    expect(released).toEqual(['m1<-p1', 'm2<-p2', 'm3<-p1'])
  })

  it('never waits longer than the largest delay', async () => {
    const { clock, relay, released } = setup({ floats: [0.999999] })
    relay.defer('m', 'p')
    await clock.advance(200)
    expect(released).toEqual(['m<-p'])
  })

  it('relays a message once however often it is handed over', async () => {
    const { clock, relay, released } = setup()
    relay.defer('m', 'p1')
    relay.defer('m', 'p2')
    await clock.advance(500)
    expect(released).toEqual(['m<-p1'])
  })

  it('relays at once with a delay of 0, as gossipsub itself would', () => {
    const { relay, released } = setup({ maxDelayMs: 0 })
    relay.defer('m', 'p')
    expect(released).toEqual(['m<-p'])
    expect(relay.pending).toBe(0)
  })

  it('relays at once rather than hold more than its bound of messages', async () => {
    const { clock, relay, released } = setup({ maxPending: 2 })
    relay.defer('a', 'p'); relay.defer('b', 'p'); relay.defer('c', 'p')
    expect(released).toEqual(['c<-p'])
    expect(relay.pending).toBe(2)
    await clock.advance(200)
    expect(released.sort()).toEqual(['a<-p', 'b<-p', 'c<-p'])
  })

  it('drops the messages still waiting when stopped, and relays nothing afterwards', async () => {
    const { clock, relay, released } = setup()
    relay.defer('m', 'p')
    relay.stop()
    relay.defer('n', 'p')
    await clock.advance(1_000)
    expect(released).toEqual([])
    expect(relay.pending).toBe(0)
  })
})
