import { describe, expect, it } from 'vitest'
import { createSimNetwork, type SimNetworkFabric, type SimNetworkOptions } from '../../../sim/network/sim-network.ts'
import { regionalLinks } from '../../../sim/network/link-model.ts'
import { asPeerId, type Network, type NetworkHandlers, type PeerId } from '../../../src/ports/network.ts'
import { createManualClock, type ManualClock } from './manual-clock.ts'
import { createSeededRng } from './seeded-rng.ts'

interface Log {
  events: string[]
  messages: Array<{ from: PeerId, payload: Uint8Array, at: number }>
  broadcasts: Array<{ origin: PeerId, via: PeerId, text: string, at: number }>
}

interface Rig {
  clock: ManualClock
  fabric: SimNetworkFabric
  net: Record<string, Network>
  log: Record<string, Log>
  /** Joins a site and records everything it sees. */
  join (name: string, opts?: { region?: string, isMember?: (p: PeerId) => boolean, validate?: NetworkHandlers['validateBroadcast'] }): Network
}

const id = (name: string): PeerId => asPeerId(name)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)

function rig (seed = 1, opts: Partial<SimNetworkOptions> = {}): Rig {
  const clock = createManualClock()
  const fabric = createSimNetwork({ clock, rng: createSeededRng(seed), link: { latency: { kind: 'fixed', ms: 10 } }, ...opts })
  const r: Rig = {
    clock,
    fabric,
    net: {},
    log: {},
    join (name, o = {}) {
      const log: Log = { events: [], messages: [], broadcasts: [] }
      const at = (): number => clock.monotonicMs()
      const n = fabric.join(id(name), { region: o.region, isMember: o.isMember })
      n.handle({
        onMessage: (from, payload) => { log.messages.push({ from, payload, at: at() }); log.events.push(`${at()} msg ${from} ${payload.length}`) },
        onBroadcast: (origin, via, payload) => { log.broadcasts.push({ origin, via, text: str(payload), at: at() }); log.events.push(`${at()} bc ${origin} via ${via}`) },
        onPeerUp: (p) => { log.events.push(`${at()} up ${p}`) },
        onPeerDown: (p) => { log.events.push(`${at()} down ${p}`) },
        validateBroadcast: o.validate
      })
      r.net[name] = n
      r.log[name] = log
      return n
    }
  }
  return r
}

const ups = (l: Log | undefined): string[] => (l?.events ?? []).filter((e) => / up /.test(e))
const downs = (l: Log | undefined): string[] => (l?.events ?? []).filter((e) => / down /.test(e))

describe('simulated network', () => {
  describe('determinism', () => {
    const scenario = (seed: number): string[] => {
      const t = rig(seed, { link: { latency: { kind: 'lognormal', medianMs: 40, sigma: 0.8, minMs: 5, maxMs: 400 }, loss: 0.1, duplicate: 0.1 } })
      for (const n of ['a', 'b', 'c', 'd']) t.join(n)
      t.clock.advance(2_000)
      for (let i = 0; i < 30; i++) {
        t.net.a?.send(id('b'), text(`f${i}`))
        t.net.c?.broadcast(text(`b${i}`))
        if (i === 10) t.fabric.partition([[id('a'), id('b')], [id('c'), id('d')]])
        if (i === 20) t.fabric.heal()
        t.clock.advance(700)
      }
      t.clock.advance(30_000)
      return ['a', 'b', 'c', 'd'].flatMap((n) => t.log[n]?.events.map((e) => `${n}: ${e}`) ?? [])
    }

    it('replays the same trace from the same seed, and a different one from another seed', () => {
      const first = scenario(42)
      expect(first.length).toBeGreaterThan(50)
      expect(scenario(42)).toEqual(first)
      expect(scenario(43)).not.toEqual(first)
    })
  })

  describe('links', () => {
    it('delays frames within the latency model, region by region', () => {
      const t = rig(3, { linkBetween: regionalLinks() })
      t.join('eu-1', { region: 'eu' })
      t.join('eu-2', { region: 'eu' })
      t.join('ap-1', { region: 'ap' })
      t.clock.advance(2_000)
      for (let i = 0; i < 50; i++) {
        const sentAt = t.clock.monotonicMs()
        t.net['eu-1']?.send(id('eu-2'), text(String(sentAt)))
        t.net['eu-1']?.send(id('ap-1'), text(String(sentAt)))
        t.clock.advance(13)
      }
      t.clock.advance(1_000)
      const delays = (name: string): number[] => (t.log[name]?.messages ?? []).map((m) => m.at - Number(str(m.payload)))
      expect(delays('eu-2')).toHaveLength(50)
      expect(delays('ap-1')).toHaveLength(50)
      for (const d of delays('eu-2')) { expect(d).toBeGreaterThanOrEqual(1); expect(d).toBeLessThanOrEqual(5) }
      for (const d of delays('ap-1')) { expect(d).toBeGreaterThanOrEqual(50); expect(d).toBeLessThanOrEqual(150) }
    })

    describe('frame order on a link', () => {
      const sorted = [...Array(100).keys()]
      const order = (link: SimNetworkOptions['link']): Array<{ n: number, at: number }> => {
        const t = rig(5, { link })
        t.join('a'); t.join('b')
        t.clock.advance(2_000)
        const sentAt = t.clock.monotonicMs()
        for (let i = 0; i < 100; i++) t.net.a?.send(id('b'), text(String(i)))
        t.clock.advance(5_000)
        return (t.log.b?.messages ?? []).map((m) => ({ n: Number(str(m.payload)), at: m.at - sentAt }))
      }
      const jitter = { kind: 'uniform', minMs: 5, maxMs: 100 } as const

      it('keeps the order frames were sent in under jitter, as one TCP connection does, within the latency bounds', () => {
        const got = order({ latency: jitter })
        expect(got.map((m) => m.n)).toEqual(sorted)
        for (const m of got) { expect(m.at).toBeGreaterThanOrEqual(5); expect(m.at).toBeLessThanOrEqual(100) }
        // Held behind the slowest before it, not delayed at random: each arrives after the one before.
        for (let i = 1; i < got.length; i++) expect(got[i]!.at).toBeGreaterThan(got[i - 1]!.at)
      })

      it('lets frames overtake each other when the link reorders, and loses none', () => {
        const jittery = order({ latency: jitter, reorder: 1 }).map((m) => m.n)
        expect([...jittery].sort((x, y) => x - y)).toEqual(sorted)
        expect(jittery).not.toEqual(sorted)
        expect(order({ latency: { kind: 'fixed', ms: 20 }, reorder: 1 }).map((m) => m.n)).toEqual(sorted)
      })

      it('refuses a reorder probability outside 0..1', () => {
        expect(() => rig(5, { link: { reorder: 1.5 } })).toThrow(/'reorder' must be a probability between 0 and 1/)
      })
    })

    it('loses and duplicates frames at the configured rates, and counts them', () => {
      const t = rig(9, { link: { latency: { kind: 'fixed', ms: 10 }, loss: 0.3, duplicate: 0.2 } })
      t.join('a'); t.join('b')
      t.clock.advance(2_000)
      for (let i = 0; i < 1_000; i++) t.net.a?.send(id('b'), text(String(i)))
      t.clock.advance(1_000)
      const s = t.fabric.stats()
      expect(s.dropped.lost).toBeGreaterThan(230)
      expect(s.dropped.lost).toBeLessThan(370)
      expect(s.duplicated).toBeGreaterThan(100)
      expect(s.duplicated).toBeLessThan(300)
      const got = t.log.b?.messages.length ?? 0
      expect(got).toBe(1_000 - s.dropped.lost + s.duplicated)
    })

    it('serialises frames at the link bandwidth and drops what overflows its queue', () => {
      const t = rig(11, { link: { latency: { kind: 'fixed', ms: 10 }, bandwidthBytesPerSec: 100_000, queueBytes: 50_000 }, frameOverheadBytes: 0 })
      t.join('a'); t.join('b')
      t.clock.advance(2_000)
      const start = t.clock.monotonicMs()
      for (let i = 0; i < 10; i++) t.net.a?.send(id('b'), new Uint8Array(10_000))
      t.clock.advance(5_000)
      const arrivals = (t.log.b?.messages ?? []).map((m) => m.at - start)
      // 5 frames fit the 50 kB queue; each takes 100 ms on the wire
      expect(arrivals).toEqual([110, 210, 310, 410, 510])
      expect(t.fabric.stats().dropped.queueFull).toBe(5)
      expect(t.net.a?.traffic().find((x) => x.peer === id('b'))?.dropped).toBe(5)
    })
  })

  describe('connections and partitions', () => {
    it('reports a cut link down only after the detection delay, and up again after it heals', () => {
      const t = rig(1, { failureDetectionMs: 3_000, connectDelayMs: 100 })
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const cutAt = t.clock.monotonicMs()
      t.fabric.partition([[id('a'), id('b')], [id('c')]])
      t.clock.advance(2_999)
      expect(downs(t.log.a)).toEqual([])
      t.net.a?.send(id('c'), text('into the void'))
      t.clock.advance(1)
      expect(downs(t.log.a)).toEqual([`${cutAt + 3_000} down c`])
      expect(downs(t.log.c)).toEqual([`${cutAt + 3_000} down a`, `${cutAt + 3_000} down b`])
      t.fabric.heal()
      t.clock.advance(1_000)
      expect(t.log.c?.messages).toEqual([])
      expect(t.fabric.stats().dropped.inFlight).toBe(1)
      expect(t.net.c?.connectedPeers()).toEqual([id('a'), id('b')])
      expect(ups(t.log.a)).toHaveLength(3)
    })

    it('rides out a cut shorter than the detection delay without any event', () => {
      const t = rig(1, { failureDetectionMs: 3_000 })
      t.join('a'); t.join('b')
      t.clock.advance(1_000)
      t.fabric.block(id('a'), id('b'))
      t.clock.advance(2_000)
      t.fabric.unblock(id('a'), id('b'))
      t.clock.advance(10_000)
      expect(downs(t.log.a)).toEqual([])
      t.net.a?.send(id('b'), text('still here'))
      t.clock.advance(100)
      expect(t.log.b?.messages.map((m) => str(m.payload))).toEqual(['still here'])
    })

    it('lets frames through the open direction of a one-way cut until the connection times out', () => {
      const t = rig(1, { failureDetectionMs: 3_000 })
      t.join('a'); t.join('b')
      t.clock.advance(1_000)
      t.fabric.block(id('a'), id('b'), { oneWay: true })
      t.net.a?.send(id('b'), text('a->b'))
      t.net.b?.send(id('a'), text('b->a'))
      t.clock.advance(100)
      expect(t.log.b?.messages).toEqual([])
      expect(t.log.a?.messages.map((m) => str(m.payload))).toEqual(['b->a'])
      t.clock.advance(3_000)
      expect(t.net.a?.connectedPeers()).toEqual([])
      expect(t.net.b?.connectedPeers()).toEqual([])
    })

    it('tells peers of a crash after the detection delay and of a shutdown after one latency', () => {
      const t = rig(1, { failureDetectionMs: 5_000 })
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const at = t.clock.monotonicMs()
      t.fabric.leave(id('b'))
      t.fabric.leave(id('c'), { graceful: true })
      t.clock.advance(6_000)
      expect(downs(t.log.a)).toEqual([`${at + 10} down c`, `${at + 5_000} down b`])
    })

    it('brings a restarted site up with its peers even before they noticed it was gone', () => {
      const t = rig(1, { failureDetectionMs: 10_000 })
      t.join('a'); t.join('b')
      t.clock.advance(1_000)
      t.fabric.leave(id('b'))
      t.clock.advance(500)
      t.join('b')
      t.clock.advance(20_000)
      expect(ups(t.log.b)).toHaveLength(1)
      expect(t.net.b?.connectedPeers()).toEqual([id('a')])
      // a never saw a transition: one connection replaced another, as libp2p reports per peer
      expect(downs(t.log.a)).toEqual([])
      t.net.a?.send(id('b'), text('hello again'))
      t.clock.advance(100)
      expect(t.log.b?.messages.map((m) => str(m.payload))).toEqual(['hello again'])
    })

    it('hangs up on peers removed from the roster when membership is rechecked', () => {
      const roster = new Set(['a', 'b', 'c'].map(id))
      const t = rig(1)
      for (const n of ['a', 'b', 'c']) t.join(n, { isMember: (p) => roster.has(p) })
      t.clock.advance(1_000)
      roster.delete(id('c'))
      t.fabric.recheckMembership()
      t.clock.advance(100)
      expect(t.net.a?.connectedPeers()).toEqual([id('b')])
      expect(t.net.c?.connectedPeers()).toEqual([])
      expect(t.fabric.refusals(id('a'))).toBe(0)
      t.fabric.heal()
      expect(t.fabric.refusals(id('a'))).toBe(1)
    })
  })

  describe('broadcast', () => {
    it('crosses a partition through an honest path, each site receiving once, with its neighbour as via', () => {
      const t = rig(2, { link: { latency: { kind: 'uniform', minMs: 5, maxMs: 50 }, duplicate: 0.5 } })
      for (const n of ['a', 'b', 'c', 'd', 'e']) t.join(n)
      // a and e are cut from each other and from c; only b and d bridge
      t.fabric.block(id('a'), id('e'))
      t.fabric.block(id('a'), id('c'))
      t.fabric.block(id('e'), id('c'))
      t.clock.advance(1_000)
      t.net.a?.broadcast(text('news'))
      t.clock.advance(2_000)
      for (const n of ['b', 'c', 'd', 'e']) expect(t.log[n]?.broadcasts.map((b) => b.text)).toEqual(['news'])
      expect(t.log.a?.broadcasts).toEqual([])
      expect([id('b'), id('d')]).toContain(t.log.e?.broadcasts[0]?.via)
      // Each site's via is a neighbour it is connected to that held the message by then
      // (the origin itself, or a site that received it earlier).
      const blocked = new Set(['a|e', 'a|c', 'c|e'])
      for (const n of ['b', 'c', 'd', 'e']) {
        const got = t.log[n]!.broadcasts[0]!
        const via = ['a', 'b', 'c', 'd', 'e'].find((x) => id(x) === got.via)!
        expect(blocked.has([n, via].sort().join('|'))).toBe(false)
        if (via !== 'a') expect(t.log[via]!.broadcasts[0]!.at).toBeLessThanOrEqual(got.at)
      }
      expect(t.fabric.stats().broadcasts.duplicates).toBeGreaterThan(0)
    })

    it('pushes to at most relayFanout neighbours per hop', () => {
      const t = rig(4, { relayFanout: 2, lazyFanout: 0 })
      const names = [...'abcdefghij']
      for (const n of names) t.join(n)
      t.clock.advance(1_000)
      t.net.a?.broadcast(text('x'))
      t.clock.advance(5_000)
      // the publisher floods 9 peers; each of at most 9 relays forwards to 2
      expect(t.fabric.stats().framesSent).toBeLessThanOrEqual(9 + 9 * 2)
      expect(names.slice(1).filter((n) => (t.log[n]?.broadcasts.length ?? 0) === 1)).toHaveLength(9)
    })

    it('publishes to its mesh only when the payload also goes on every direct link, and still reaches every site', () => {
      const t = rig(5, { relayFanout: 3, lazyFanout: 3 })
      const names = [...'abcdefghij']
      for (const n of names) t.join(n)
      t.clock.advance(1_000)
      const sent = t.fabric.stats().framesSent
      const first: string[] = []
      t.fabric.observeOutbound(id('a'), (f) => { if (f.kind === 'broadcast' && t.clock.monotonicMs() === 1_000) first.push(f.to) })
      ;(t.net.a as Network & { broadcast: (p: Uint8Array, o?: { alsoSentDirect?: boolean }) => void }).broadcast(text('mesh'), { alsoSentDirect: true })
      expect(first).toHaveLength(3)
      t.clock.advance(5_000)
      expect(names.slice(1).filter((n) => t.log[n]?.broadcasts.map((b) => b.text).join() === 'mesh')).toHaveLength(9)
      // fewer copies than flooding the publisher's 9 neighbours and relaying on from each
      expect(t.fabric.stats().framesSent - sent).toBeLessThan(9 + 9 * 3)
    })

    it('reaches a neighbour that the eager push skipped through lazy gossip a heartbeat later', () => {
      let gossiped = 0
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const t = rig(seed, { relayFanout: 1, lazyFanout: 6, heartbeatMs: 1_000 })
        const names = ['a', 'b', 'x1', 'x2', 'x3', 'x4', 'y']
        for (const n of names) t.join(n)
        // b is the only bridge: a and y reach nobody else
        for (const n of names) {
          if (n !== 'a' && n !== 'b') t.fabric.block(id('a'), id(n))
          if (n !== 'y' && n !== 'b') t.fabric.block(id('y'), id(n))
        }
        t.clock.advance(1_000)
        t.net.a?.broadcast(text('across'))
        t.clock.advance(5_000)
        expect(t.log.y?.broadcasts.map((x) => `${x.text} via ${x.via}`)).toEqual(['across via b'])
        for (const n of ['x1', 'x2', 'x3', 'x4']) expect(t.log[n]?.broadcasts).toHaveLength(1)
        gossiped += t.fabric.stats().broadcasts.gossiped
      }
      expect(gossiped).toBeGreaterThan(0)
    })

    it('delivers a replay again once the seen cache forgot it, as gossipsub would', () => {
      const t = rig(1, { seenTtlMs: 10_000 })
      t.join('a'); t.join('b'); t.join('m')
      t.clock.advance(1_000)
      let captured: { origin: PeerId, seq: number, payload: Uint8Array } | undefined
      t.fabric.interceptOutbound(id('a'), (f) => {
        if (f.kind === 'broadcast' && f.to === id('m')) captured = { origin: f.origin, seq: f.seq, payload: f.payload }
        return [f]
      })
      t.net.a?.broadcast(text('old news'))
      t.clock.advance(1_000)
      expect(captured).toBeDefined()
      const replay = { kind: 'broadcast' as const, from: id('m'), to: id('b'), origin: id('a'), seq: captured?.seq ?? 0, payload: captured?.payload ?? new Uint8Array() }
      expect(t.fabric.inject(replay)).toBe(true)
      t.clock.advance(1_000)
      expect(t.log.b?.broadcasts.map((b) => b.text)).toEqual(['old news'])
      t.clock.advance(10_000)
      t.fabric.inject(replay)
      t.clock.advance(1_000)
      expect(t.log.b?.broadcasts.map((b) => `${b.text} via ${b.via}`)).toEqual(['old news via a', 'old news via m'])
      expect(t.fabric.gossipScore(id('b'), id('m'))).toBe(0)
    })
  })

  describe('observers and payload ownership', () => {
    it('shows an observer every frame a site\'s core sends, relays included, without changing what is delivered', () => {
      const t = rig(1)
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const seen: string[] = []
      const stop = t.fabric.observeOutbound(id('b'), (f) => { seen.push(`${f.kind} ${f.to} ${str(f.payload)}`) })
      t.net.b?.send(id('a'), text('hello'))
      t.net.a?.broadcast(text('news'))
      t.clock.advance(1_000)
      expect(seen).toEqual(['direct a hello', 'broadcast c news'])
      expect(t.log.a?.messages.map((m) => str(m.payload))).toEqual(['hello'])
      expect(t.log.c?.broadcasts.map((m) => m.text)).toEqual(['news'])
      stop()
      t.net.b?.send(id('a'), text('unseen'))
      t.clock.advance(100)
      expect(seen).toHaveLength(2)
    })

    it('gives every receiver a buffer of its own, duplicates and broadcasts included', () => {
      const t = rig(3, { link: { latency: { kind: 'fixed', ms: 10 }, duplicate: 1 } })
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const sent = text('mine')
      t.net.a?.send(id('b'), sent)
      sent[0] = 0
      t.net.a?.broadcast(text('all'))
      t.clock.advance(100)
      const got = t.log.b?.messages ?? []
      expect(got.map((m) => str(m.payload))).toEqual(['mine', 'mine'])
      // what one receiver does to its buffer reaches no other copy
      got[0]!.payload[0] = 0
      expect(str(got[1]!.payload)).toBe('mine')
      const bcB = t.log.b?.broadcasts ?? []
      const bcC = t.log.c?.broadcasts ?? []
      expect(bcB.length).toBeGreaterThan(0)
      expect(bcC.length).toBeGreaterThan(0)
    })

    it('copies an injected buffer for each receiver, however often it is sent', () => {
      const t = rig(1)
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const burst = text('burst')
      for (const to of ['b', 'b', 'c']) expect(t.fabric.inject({ kind: 'direct', from: id('a'), to: id(to), payload: burst })).toBe(true)
      t.clock.advance(100)
      const got = [...t.log.b?.messages ?? [], ...t.log.c?.messages ?? []]
      expect(got.map((m) => str(m.payload))).toEqual(['burst', 'burst', 'burst'])
      got[0]!.payload[0] = 0
      expect(got.slice(1).map((m) => str(m.payload))).toEqual(['burst', 'burst'])
      expect(str(burst)).toBe('burst')
    })
  })

  describe('Byzantine hooks', () => {
    it('lets a site drop or rewrite its own direct frames, but never change who sent them', () => {
      const t = rig(1)
      t.join('a'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      const remove = t.fabric.interceptOutbound(id('a'), (f) => f.kind === 'direct' && f.to === id('c') ? [] : [{ ...f, payload: text('tampered') }])
      t.net.a?.send(id('b'), text('original'))
      t.net.a?.send(id('c'), text('withheld'))
      t.clock.advance(100)
      expect(t.log.b?.messages.map((m) => `${m.from}:${str(m.payload)}`)).toEqual(['a:tampered'])
      expect(t.log.c?.messages).toEqual([])
      remove()
      t.fabric.interceptOutbound(id('a'), (f) => [{ ...f, from: id('b') }])
      expect(() => t.net.a?.send(id('c'), text('spoof'))).toThrow(/interceptor of a produced a frame from b/)
    })

    it('makes a relayed broadcast with rewritten bytes fail its signature check and cost the relay its standing', () => {
      const t = rig(1)
      t.join('a'); t.join('m'); t.join('c')
      // c hears a only through m
      t.fabric.block(id('a'), id('c'))
      t.clock.advance(1_000)
      t.fabric.interceptOutbound(id('m'), (f) => f.kind === 'broadcast' && f.origin !== id('m') ? [{ ...f, payload: text('forged') }] : [f])
      for (let i = 0; i < 3; i++) { t.net.a?.broadcast(text(`genuine-${i}`)); t.clock.advance(500) }
      expect(t.log.m?.broadcasts).toHaveLength(3)
      expect(t.log.c?.broadcasts).toEqual([])
      expect(t.fabric.stats().broadcasts.forged).toBe(3)
      expect(t.fabric.gossipScore(id('c'), id('m'))).toBeLessThan(-80)
      // graylisted: even m's own, validly signed messages are now ignored by c
      t.net.m?.broadcast(text('from m'))
      t.clock.advance(500)
      expect(t.log.c?.broadcasts).toEqual([])
      expect(t.fabric.stats().broadcasts.graylisted).toBe(1)
    })

    it('treats two different messages under one id from their own origin as both authentic: first one wins', () => {
      const t = rig(1)
      t.join('m'); t.join('b'); t.join('c')
      t.clock.advance(1_000)
      // m equivocates: b and c get different bytes under the same message id
      t.fabric.interceptOutbound(id('m'), (f) => f.kind === 'broadcast' && f.to === id('c') ? [{ ...f, payload: text('version-c') }] : [f])
      t.net.m?.broadcast(text('version-b'))
      t.clock.advance(1_000)
      expect(t.log.b?.broadcasts.map((x) => x.text)).toEqual(['version-b'])
      expect(t.log.c?.broadcasts.map((x) => x.text)).toEqual(['version-c'])
      expect(t.fabric.stats().broadcasts.forged).toBe(0)
      expect(t.fabric.stats().broadcasts.duplicates).toBe(2)
    })

    it('injects only what the sender could really send', () => {
      const t = rig(1)
      t.join('a'); t.join('b'); t.join('c')
      t.fabric.block(id('a'), id('c'))
      t.clock.advance(1_000)
      expect(t.fabric.inject({ kind: 'direct', from: id('a'), to: id('c'), payload: text('x') })).toBe(false)
      expect(t.fabric.inject({ kind: 'direct', from: id('a'), to: id('b'), payload: text('flood') })).toBe(true)
      // a broadcast in b's name that b never published: fails the signature check at c
      expect(t.fabric.inject({ kind: 'broadcast', from: id('a'), to: id('b'), origin: id('c'), seq: 1, payload: text('c says hi') })).toBe(true)
      t.clock.advance(100)
      expect(t.log.b?.messages.map((m) => str(m.payload))).toEqual(['flood'])
      expect(t.log.b?.broadcasts).toEqual([])
      expect(t.fabric.stats().broadcasts.forged).toBe(1)
    })

    it('refuses an oversized injected frame at the receiver and reports the sender', () => {
      const t = rig(1, { maxFrameBytes: 1_000 })
      t.join('a')
      const seen: string[] = []
      const b = t.fabric.join(id('b'))
      b.handle({ onMessage: () => { seen.push('msg') }, onBroadcast: () => {}, onPeerUp: () => {}, onPeerDown: () => {}, onViolation: (p, v) => { seen.push(`${p}:${v}`) } })
      t.clock.advance(1_000)
      t.fabric.inject({ kind: 'direct', from: id('a'), to: id('b'), payload: new Uint8Array(1_001) })
      t.clock.advance(100)
      expect(seen).toEqual(['a:frame-too-large'])
      expect(b.traffic().find((x) => x.peer === id('a'))?.dropped).toBe(1)
    })
  })

  it('rethrows a site handler\'s exception by default so the simulator sees the bug', () => {
    const t = rig(1)
    t.join('a')
    const b = t.fabric.join(id('b'))
    b.handle({ onMessage: () => { throw new Error('core bug') }, onBroadcast: () => {}, onPeerUp: () => {}, onPeerDown: () => {} })
    t.clock.advance(1_000)
    t.net.a?.send(id('b'), text('boom'))
    expect(() => { t.clock.advance(100) }).toThrow('core bug')
  })
})
