import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeLengthPrefix } from '../../src/net/frame-codec.ts'
import { createLibp2pNetwork, SYNC_PROTOCOL, type Libp2pNetwork, type Libp2pNetworkOptions } from '../../src/net/libp2p-network.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { Logger } from '../../src/ports/logger.ts'
import type { NetworkHandlers, PeerId, TransportViolation } from '../../src/ports/network.ts'
import { FAST, waitUntil } from './libp2p-world.ts'
import { testSite, type TestSite } from './test-keys.ts'

interface LogLine { level: string, msg: string, obj: Record<string, unknown> }

function recordingLogger (lines: LogLine[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: Record<string, unknown>, msg: string): void => { lines.push({ level, msg, obj: { ...bindings, ...obj } }) }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => recordingLogger(lines, { ...bindings, ...b }) }
}

interface Events { ups: PeerId[], downs: PeerId[], messages: string[], violations: TransportViolation[] }

function listen (net: Libp2pNetwork): Events {
  const e: Events = { ups: [], downs: [], messages: [], violations: [] }
  const h: NetworkHandlers = {
    onMessage: (_from, p) => { e.messages.push(new TextDecoder().decode(p)) },
    onBroadcast: () => {},
    onPeerUp: (p) => { e.ups.push(p) },
    onPeerDown: (p) => { e.downs.push(p) },
    onViolation: (_p, v) => { e.violations.push(v) }
  }
  net.handle(h)
  return e
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('libp2p network adapter', () => {
  const running: Libp2pNetwork[] = []
  const start = async (site: TestSite, o: Partial<Libp2pNetworkOptions> & Pick<Libp2pNetworkOptions, 'isMember'>): Promise<Libp2pNetwork> => {
    const net = createLibp2pNetwork({ keys: site.keys, listen: ['/ip4/127.0.0.1/tcp/0'], ...FAST, ...o })
    running.push(net)
    await net.start()
    return net
  }
  afterEach(async () => {
    await Promise.all(running.splice(0).map(async (n) => { await n.stop() }))
  })

  const a = testSite(21)
  const b = testSite(22)
  const outsider = testSite(23)
  const roster = new Set([a.peer, b.peer])
  const isMember = (p: PeerId): boolean => roster.has(p)

  it('runs with the site key as its libp2p peer id', async () => {
    const net = await start(a, { isMember })
    expect(net.libp2p.peerId.toString()).toBe(a.peer)
    expect(net.localPeer).toBe(a.peer)
    expect(net.listenAddresses()[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peer}$`))
  })

  it('refuses a node whose key is not in the roster at the handshake, with or without its peer id in the address', async () => {
    const lines: LogLine[] = []
    const member = await start(a, { isMember, logger: recordingLogger(lines) })
    const events = listen(member)
    const intruder = await start(outsider, { isMember: () => true })
    const intruderEvents = listen(intruder)
    const [withId] = member.listenAddresses()
    const bare = (withId as string).replace(/\/p2p\/.*$/, '')
    for (const addr of [withId as string, bare]) {
      // the dial may fail outright or yield a connection the member closes at once
      await intruder.libp2p.dial(multiaddr(addr)).catch(() => undefined)
    }
    await waitUntil(() => member.stats().refused['not-a-member'] >= 2, 'both attempts refused')
    const refusals = lines.filter((l) => l.msg === 'connection refused')
    expect(refusals.map((l) => [l.obj.peer, l.obj.reason, l.obj.stage])).toEqual([
      [outsider.peer, 'not-a-member', 'inbound-handshake'],
      [outsider.peer, 'not-a-member', 'inbound-handshake']
    ])
    await sleep(200)
    expect(events.ups).toEqual([])
    expect(intruderEvents.ups).toEqual([])
    expect(member.connectedPeers()).toEqual([])
  })

  it('never dials a non-member, and drops a dialled address that turns out to be one', async () => {
    const lines: LogLine[] = []
    const intruder = await start(outsider, { isMember: () => true })
    const [withId] = intruder.listenAddresses()
    const bare = (withId as string).replace(/\/p2p\/.*$/, '')
    const member = await start(a, { isMember, logger: recordingLogger(lines), bootstrap: [withId as string, bare] })
    await waitUntil(() => member.stats().refused['not-a-member'] >= 1, 'the anonymous address refused after the handshake')
    expect(lines.filter((l) => l.msg === 'connection refused').map((l) => [l.obj.peer, l.obj.stage])).toContainEqual([outsider.peer, 'outbound-handshake'])
    expect(lines.some((l) => l.msg.startsWith('bootstrap address names a site outside the roster') && l.obj.peer === outsider.peer)).toBe(true)
    await expect(member.libp2p.dial(peerIdFromString(outsider.peer))).rejects.toThrow(/gater/i)
    expect(lines.filter((l) => l.msg === 'connection refused').map((l) => l.obj.stage)).toContain('dial')
    expect(member.connectedPeers()).toEqual([])
    expect(intruder.connectedPeers()).toEqual([])
  })

  it('re-dials a lost member with growing backoff until it is back', async () => {
    const delays: number[] = []
    const base = createSystemClock()
    const clock: Clock = { ...base, setTimer: (ms, fn) => { delays.push(ms); return base.setTimer(ms, fn) } }
    const first = await start(a, { isMember })
    const [addr] = first.listenAddresses()
    const port = /\/tcp\/(\d+)\//.exec(addr as string)?.[1] as string
    const dialer = await start(b, { isMember, bootstrap: [addr as string], clock, redial: { baseMs: 100, maxMs: 800, factor: 2, jitter: 0 } })
    const events = listen(dialer)
    await waitUntil(() => dialer.connectedPeers().includes(a.peer), 'first connection')
    delays.length = 0

    await first.stop()
    await waitUntil(() => events.downs.length === 1, 'the loss noticed')
    await waitUntil(() => (dialer.pendingRedials()[0]?.attempts ?? 0) >= 4, 'several re-dials', 10_000)
    // (the other timers are dial time-outs)
    expect(delays.filter((d) => d !== FAST.dialTimeoutMs).slice(0, 4)).toEqual([100, 200, 400, 800])

    const second = await start(a, { isMember, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    await waitUntil(() => dialer.connectedPeers().includes(a.peer) && second.connectedPeers().includes(b.peer), 'reconnected', 10_000)
    expect(events.ups).toEqual([a.peer, a.peer])
    expect(events.downs).toEqual([a.peer])
    expect(dialer.pendingRedials()).toEqual([])
  })

  it('re-dials after a connection is cut, reporting one down and one up at each end', async () => {
    const x = await start(a, { isMember })
    const y = await start(b, { isMember, bootstrap: x.listenAddresses() })
    const ex = listen(x)
    const ey = listen(y)
    await waitUntil(() => x.connectedPeers().length === 1 && y.connectedPeers().length === 1, 'connected')
    for (const conn of x.libp2p.getConnections()) conn.abort(new Error('cable cut'))
    await waitUntil(() => ex.ups.length === 2 && ey.ups.length === 2, 'reconnected at both ends', 10_000)
    expect(ex.downs).toEqual([b.peer])
    expect(ey.downs).toEqual([a.peer])
    y.send(a.peer, new TextEncoder().encode('after the cut'))
    await waitUntil(() => ex.messages.includes('after the cut'), 'a frame over the new connection')
  })

  it('hangs up on a member removed from the roster and refuses it from then on', async () => {
    const members = new Set([a.peer, b.peer])
    const x = await start(a, { isMember: (p) => members.has(p) })
    const y = await start(b, { isMember, bootstrap: x.listenAddresses() })
    await waitUntil(() => x.connectedPeers().length === 1, 'connected')
    members.delete(b.peer)
    x.recheckMembership()
    await waitUntil(() => y.connectedPeers().length === 0, 'hung up')
    await waitUntil(() => x.stats().refused['not-a-member'] >= 1, 'its re-dial refused', 10_000)
    expect(x.connectedPeers()).toEqual([])
  })

  describe('inbound limits', () => {
    it('resets streams that announce frames above the limit, reports them, and keeps serving the peer', async () => {
      const victim = await start(a, { isMember, maxFrameBytes: 64 * 1024 })
      const attacker = await start(b, { isMember, bootstrap: victim.listenAddresses() })
      const seen = listen(victim)
      await waitUntil(() => victim.connectedPeers().includes(b.peer), 'connected')
      const junk = new Uint8Array(256 * 1024)
      const streams: Stream[] = []
      for (let i = 0; i < 5; i++) {
        const s = await attacker.libp2p.dialProtocol(peerIdFromString(a.peer), SYNC_PROTOCOL)
        streams.push(s)
        // announces 1 GiB, then keeps writing while the victim should already have hung up
        s.send(encodeLengthPrefix(2 ** 30))
        for (let k = 0; k < 4 && s.writeStatus === 'writable'; k++) {
          try { s.send(junk) } catch { break }
          await sleep(5)
        }
      }
      await waitUntil(() => seen.violations.length === 5 && streams.every((s) => s.status !== 'open'), 'every stream reset')
      expect(new Set(seen.violations)).toEqual(new Set(['frame-too-large']))
      expect(seen.messages).toEqual([])
      expect(victim.stats().violations).toBe(5)
      expect(victim.traffic().find((t) => t.peer === b.peer)?.dropped).toBe(5)
      attacker.send(a.peer, new TextEncoder().encode('legit'))
      await waitUntil(() => seen.messages.includes('legit'), 'a normal frame still delivered')
      expect(victim.connectedPeers()).toEqual([b.peer])
    })

    it('resets an inbound stream beyond the per-peer limit', async () => {
      const victim = await start(a, { isMember, maxInboundStreams: 2 })
      const attacker = await start(b, { isMember, bootstrap: victim.listenAddresses() })
      const seen = listen(victim)
      await waitUntil(() => victim.connectedPeers().includes(b.peer), 'connected')
      const streams: Stream[] = []
      for (let i = 0; i < 3; i++) streams.push(await attacker.libp2p.dialProtocol(peerIdFromString(a.peer), SYNC_PROTOCOL))
      await waitUntil(() => seen.violations.length === 1, 'the third stream refused')
      expect(seen.violations).toEqual(['too-many-streams'])
      await waitUntil(() => streams[2]?.status !== 'open', 'the third stream reset')
      expect(streams.slice(0, 2).map((s) => s.status)).toEqual(['open', 'open'])
    })
  })

  it('drops frames beyond the per-peer send queue instead of holding them, without blocking the caller', async () => {
    const x = await start(a, { isMember })
    const y = await start(b, { isMember, bootstrap: x.listenAddresses(), maxQueueFrames: 8 })
    const ex = listen(x)
    await waitUntil(() => y.connectedPeers().includes(a.peer), 'connected')
    const frame = new Uint8Array(1024)
    for (let i = 0; i < 1_000; i++) y.send(a.peer, frame)
    const dropped = y.traffic().find((t) => t.peer === a.peer)?.dropped ?? 0
    expect(dropped).toBeGreaterThanOrEqual(1_000 - 8)
    await waitUntil(() => ex.messages.length === 1_000 - dropped, 'the queued frames delivered')
    await sleep(100)
    expect(ex.messages).toHaveLength(1_000 - dropped)
  })

  it('does not publish a broadcast above its size limit', async () => {
    const x = await start(a, { isMember, maxBroadcastBytes: 100 })
    x.broadcast(new Uint8Array(101))
    x.broadcast(new Uint8Array(100))
    await sleep(50)
    expect(x.stats().broadcastsDropped).toBe(1)
  })

  it('floods a broadcast to every subscribed peer unless the caller also sends it on every direct link', async () => {
    const x = await start(a, { isMember })
    const pubsub = x.libp2p.services.pubsub as unknown as { publish: (t: string, d: Uint8Array, o?: { floodPublish?: boolean }) => Promise<unknown> }
    const calls: Array<boolean | undefined> = []
    const publish = pubsub.publish.bind(pubsub)
    pubsub.publish = async (t, d, o) => { calls.push(o?.floodPublish); return await publish(t, d, o) }
    x.broadcast(Uint8Array.of(1))
    x.broadcast(Uint8Array.of(2), { alsoSentDirect: true })
    expect(calls).toEqual([true, false])
  })

  it('relays a broadcast along a line of sites with relays deferred, and delivers it once at each', async () => {
    const c = testSite(24)
    const line = new Set([a.peer, b.peer, c.peer])
    const inLine = (p: PeerId): boolean => line.has(p)
    const x = await start(a, { isMember: inLine, relayDelayMs: 100 })
    const y = await start(b, { isMember: inLine, relayDelayMs: 100, bootstrap: x.listenAddresses() })
    const z = await start(c, { isMember: inLine, relayDelayMs: 100, bootstrap: y.listenAddresses() })
    const got: string[] = []
    for (const [name, n] of [['y', y], ['z', z]] as const) {
      n.handle({ onMessage: () => {}, onPeerUp: () => {}, onPeerDown: () => {}, onBroadcast: (origin, via) => { got.push(`${name}:${origin === a.peer ? 'a' : origin}/${via === a.peer ? 'a' : via === b.peer ? 'b' : via}`) } })
    }
    await waitUntil(() => x.meshPeers().includes(b.peer) && z.meshPeers().includes(b.peer) && y.meshPeers().length === 2, 'the line mesh')
    x.broadcast(Uint8Array.of(9))
    await waitUntil(() => got.length === 2, 'the broadcast at both sites')
    await sleep(300)
    expect(got.sort()).toEqual(['y:a/a', 'z:a/b'])
  })

  it('refuses a negative relay delay', () => {
    expect(() => createLibp2pNetwork({ keys: a.keys, listen: [], isMember, relayDelayMs: -1 })).toThrow(/relayDelayMs/)
  })
})
