import { describe, expect, it } from 'vitest'
import { asPeerId, type PeerId } from '../../src/ports/network.ts'
import { createOutboundPacer } from '../../src/replication/outbound-pacer.ts'
import { steppedClock } from '../support/stepped-clock.ts'

const A = asPeerId('peer-a')
const B = asPeerId('peer-b')

/** A transport whose backlog per peer the test drains by hand. */
function fakeTransport (): { send: (peer: PeerId, payload: Uint8Array) => void, backlog: (peer: PeerId) => number, sent: Array<[PeerId, number]>, drain: (peer: PeerId) => void } {
  const waiting = new Map<PeerId, number>()
  const sent: Array<[PeerId, number]> = []
  return {
    sent,
    send (peer, payload) { sent.push([peer, payload[0]!]); waiting.set(peer, (waiting.get(peer) ?? 0) + payload.byteLength) },
    backlog: (peer) => waiting.get(peer) ?? 0,
    drain (peer) { waiting.set(peer, 0) }
  }
}

const frame = (tag: number, bytes = 100) => () => { const b = new Uint8Array(bytes); b[0] = tag; return b }

describe('outbound pacer', () => {
  it('hands frames over at once while the transport holds less than the budget', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 250, maxPendingFrames: 10 })
    pacer.send(A, frame(1))
    pacer.send(A, frame(2))
    expect(net.sent).toEqual([[A, 1], [A, 2]])
    expect(pacer.pending(A)).toBe(0)
  })

  it('holds frames past the budget, in order, until the transport has drained', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 150, maxPendingFrames: 10, retryMs: 10 })
    for (let i = 1; i <= 5; i++) pacer.send(A, frame(i))
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2])
    expect(pacer.pending(A)).toBe(3)
    clock.now = 10
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2]) // still full: nothing more goes
    net.drain(A)
    clock.now = 20
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2, 3, 4])
    net.drain(A)
    clock.now = 30
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2, 3, 4, 5])
    expect(pacer.pending(A)).toBe(0)
  })

  it('keeps a new frame behind those already waiting even when the transport has room', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 150, maxPendingFrames: 10, retryMs: 10 })
    for (let i = 1; i <= 3; i++) pacer.send(A, frame(i))
    net.drain(A)
    pacer.send(A, frame(4))
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2])
    clock.now = 10
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 2, 3, 4])
  })

  it('paces each peer on its own backlog', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 150, maxPendingFrames: 10 })
    for (let i = 1; i <= 3; i++) pacer.send(A, frame(i))
    pacer.send(B, frame(9))
    expect(net.sent).toEqual([[A, 1], [A, 2], [B, 9]])
  })

  it('encodes a frame only when it is handed over', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 50, maxPendingFrames: 10, retryMs: 10 })
    let encoded = 0
    const counting = () => { encoded++; return new Uint8Array(100) }
    pacer.send(A, counting)
    pacer.send(A, counting)
    expect(encoded).toBe(1)
    net.drain(A)
    clock.now = 10
    clock.fire()
    expect(encoded).toBe(2)
  })

  it('refuses frames beyond the pending bound and reports each one', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const dropped: PeerId[] = []
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 50, maxPendingFrames: 2, onDropped: (p) => dropped.push(p) })
    for (let i = 1; i <= 5; i++) pacer.send(A, frame(i))
    expect(net.sent.map(([, t]) => t)).toEqual([1])
    expect(pacer.pending(A)).toBe(2)
    expect(dropped).toEqual([A, A])
  })

  it('discards what waits for a peer that went away, and everything on stop', () => {
    const clock = steppedClock()
    const net = fakeTransport()
    const pacer = createOutboundPacer({ clock, network: net, budgetBytes: 50, maxPendingFrames: 10, retryMs: 10 })
    for (let i = 1; i <= 3; i++) { pacer.send(A, frame(i)); pacer.send(B, frame(10 + i)) }
    pacer.forget(A)
    net.drain(A)
    net.drain(B)
    clock.now = 10
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 11, 12])
    pacer.stop()
    net.drain(B)
    clock.now = 20
    clock.fire()
    expect(net.sent.map(([, t]) => t)).toEqual([1, 11, 12])
    expect(pacer.pending(B)).toBe(0)
  })

  it('treats a transport without a backlog as always ready', () => {
    const clock = steppedClock()
    const sent: number[] = []
    const pacer = createOutboundPacer({ clock, network: { send: (_p, b) => { sent.push(b[0]!) } }, budgetBytes: 1, maxPendingFrames: 1 })
    for (let i = 1; i <= 4; i++) pacer.send(A, frame(i))
    expect(sent).toEqual([1, 2, 3, 4])
  })
})
