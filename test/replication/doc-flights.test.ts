import { describe, expect, it } from 'vitest'
import { createDocFlights } from '../../src/replication/doc-flights.ts'
import { asPeerId } from '../../src/ports/network.ts'

const [a, b, c] = ['a', 'b', 'c'].map(asPeerId) as [ReturnType<typeof asPeerId>, ReturnType<typeof asPeerId>, ReturnType<typeof asPeerId>]

describe('document flights', () => {
  it('lets one session per document fly and queues the other peers in arrival order', () => {
    const f = createDocFlights()
    expect(f.claim('d', a, false)).toBe(true)
    expect(f.claim('d', b, false)).toBe(false)
    expect(f.claim('d', c, true)).toBe(false)
    expect(f.claim('e', b, false)).toBe(true)
    expect(f.waiting()).toBe(2)
    expect(f.release('d')).toEqual({ peer: b, forced: false })
    expect(f.release('d')).toEqual({ peer: c, forced: true })
    expect(f.release('d')).toBeUndefined()
    expect(f.holds('e', b)).toBe(true)
  })

  it('queues a peer once, keeping the stronger reason', () => {
    const f = createDocFlights()
    f.claim('d', a, false)
    f.claim('d', b, false)
    f.claim('d', b, true)
    f.claim('d', b, false)
    expect(f.waiting()).toBe(1)
    expect(f.release('d')).toEqual({ peer: b, forced: true })
  })

  it('puts a holder that wants another session behind everyone already waiting', () => {
    const f = createDocFlights()
    f.claim('d', a, false)
    f.claim('d', b, false)
    expect(f.release('d', a)).toEqual({ peer: b, forced: false })
    expect(f.release('d')).toEqual({ peer: a, forced: true })
  })

  it('forgets a departed peer everywhere and reports what it held', () => {
    const f = createDocFlights()
    f.claim('d', a, false)
    f.claim('e', b, false)
    f.claim('e', a, false)
    expect(f.forget(a)).toEqual(['d'])
    expect(f.waiting()).toBe(0)
    expect(f.release('e')).toBeUndefined()
  })
})
