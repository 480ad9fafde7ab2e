/**
 * What a frame costs on the wire. A counting TCP relay on loopback sits between two
 * members, so the bytes are those TCP carries (Noise records, Yamux headers, our prefix);
 * IP and TCP headers come on top (about 52 bytes per segment). The figures explain the
 * replication benchmark's bytes per change; the bounds only catch a regression in framing.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLibp2pNetwork, type Libp2pNetwork } from '../../src/net/libp2p-network.ts'
import type { PeerId } from '../../src/ports/network.ts'
import { FAST, waitUntil } from './libp2p-world.ts'
import { testSite } from './test-keys.ts'

interface Relay { server: Server, port: number, toTarget: () => number, sockets: Socket[] }

async function countingRelay (targetPort: number): Promise<Relay> {
  let toTarget = 0
  const sockets: Socket[] = []
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.push(client, upstream)
    client.on('data', (d: Buffer) => { toTarget += d.length; upstream.write(d) })
    upstream.on('data', (d: Buffer) => { client.write(d) })
    const end = (): void => { client.destroy(); upstream.destroy() }
    client.on('close', end); upstream.on('close', end); client.on('error', end); upstream.on('error', end)
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { server, port, toTarget: () => toTarget, sockets }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

describe('wire overhead over libp2p (TCP + Noise + Yamux)', () => {
  const a = testSite(31)
  const b = testSite(32)
  const roster = new Set<PeerId>([a.peer, b.peer])
  let receiver: Libp2pNetwork
  let sender: Libp2pNetwork
  let relay: Relay
  let got = 0
  let broadcasts = 0

  beforeAll(async () => {
    receiver = createLibp2pNetwork({ keys: a.keys, listen: ['/ip4/127.0.0.1/tcp/0'], isMember: (p) => roster.has(p), ...FAST, mesh: { heartbeatIntervalMs: 1_000 } })
    await receiver.start()
    receiver.handle({ onMessage: () => { got++ }, onBroadcast: () => { broadcasts++ }, onPeerUp: () => {}, onPeerDown: () => {} })
    const port = Number(/\/tcp\/(\d+)\//.exec(receiver.listenAddresses()[0] as string)?.[1])
    relay = await countingRelay(port)
    sender = createLibp2pNetwork({
      keys: b.keys,
      // only the relay's address: the sender must not learn a direct path
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [`/ip4/127.0.0.1/tcp/${relay.port}/p2p/${a.peer}`],
      isMember: (p) => roster.has(p),
      ...FAST,
      mesh: { heartbeatIntervalMs: 1_000 }
    })
    await sender.start()
    await waitUntil(() => sender.topicPeers().includes(a.peer) && receiver.topicPeers().includes(b.peer), 'connected through the relay with gossip subscriptions')
    await sleep(300)
  })

  afterAll(async () => {
    await sender?.stop()
    await receiver?.stop()
    for (const s of relay?.sockets ?? []) s.destroy()
    await new Promise<void>((resolve) => { relay?.server.close(() => { resolve() }) })
  })

  const measure = async (n: number, payloadBytes: number, sendOne: () => void, delivered: () => number): Promise<number> => {
    const before = relay.toTarget()
    const start = delivered()
    for (let i = 0; i < n; i++) {
      sendOne()
      // one frame per write, as a change announced on its own would travel
      await sleep(2)
    }
    await waitUntil(() => delivered() - start === n, 'all delivered')
    return (relay.toTarget() - before) / n - payloadBytes
  }

  it('adds about 32 bytes to a small direct frame: 1–3 prefix + 12 Yamux + 18 Noise', async () => {
    const payload = new Uint8Array(200)
    const overhead = await measure(100, 200, () => { sender.send(a.peer, payload) }, () => got)
    console.info(`direct frame of 200 bytes: ${overhead.toFixed(1)} bytes of framing per frame above TCP`)
    expect(overhead).toBeGreaterThanOrEqual(30)
    expect(overhead).toBeLessThan(45)
  })

  it('adds a few hundred bytes to a small broadcast: signed gossipsub envelope plus framing', async () => {
    const seq = { n: 0 }
    const overhead = await measure(50, 200, () => { sender.broadcast(Uint8Array.from({ length: 200 }, () => seq.n++ & 0xff)) }, () => broadcasts)
    console.info(`broadcast of 200 bytes: ${overhead.toFixed(1)} bytes of envelope and framing per message above TCP`)
    expect(overhead).toBeGreaterThan(100)
    expect(overhead).toBeLessThan(400)
  })
})
