/**
 * The acceptance world of the libp2p adapter: three members on loopback TCP with
 * ephemeral ports, real Noise and Yamux, and short timings (re-dials, gossip heartbeat, relay delay)
 * so the suite runs in seconds. Everything it starts, `close` stops.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeLengthPrefix } from '../../src/net/frame-codec.ts'
import { createLibp2pNetwork, SYNC_PROTOCOL, type Libp2pNetwork, type Libp2pNetworkOptions } from '../../src/net/libp2p-network.ts'
import type { Network, PeerId } from '../../src/ports/network.ts'
import type { NetworkWorld, Topology } from '../ports/network-acceptance.ts'
import { testSite, type TestSite } from './test-keys.ts'

export const FAST: Partial<Libp2pNetworkOptions> = {
  redial: { baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0.3 },
  mesh: { heartbeatIntervalMs: 200 },
  // relays wait a fifth of a gossip heartbeat at most, as in production (200 ms against 1 s)
  relayDelayMs: 40,
  dialTimeoutMs: 3_000,
  inboundConnectionsPerSecond: 100
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function waitUntil (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await sleep(20)
  }
}

export interface Libp2pWorld extends NetworkWorld {
  readonly nodes: readonly Libp2pNetwork[]
}

export async function createLibp2pWorld (topology: Topology, extra: Partial<Libp2pNetworkOptions> = {}): Promise<Libp2pWorld> {
  const maxFrameBytes = 1024 * 1024
  const sites = [11, 12, 13].map(testSite)
  const roster = new Set<PeerId>(sites.map((s) => s.peer))
  const started: Libp2pNetwork[] = []
  const nodes: Libp2pNetwork[] = []

  const start = async (site: TestSite, bootstrap: string[], isMember: (p: PeerId) => boolean = (p) => roster.has(p)): Promise<Libp2pNetwork> => {
    const net = createLibp2pNetwork({ keys: site.keys, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, isMember, maxFrameBytes, ...FAST, ...extra })
    started.push(net)
    await net.start()
    return net
  }

  try {
    nodes.push(await start(sites[0]!, []))
    nodes.push(await start(sites[1]!, nodes[0]!.listenAddresses()))
    nodes.push(await start(sites[2]!, topology === 'mesh' ? [...nodes[0]!.listenAddresses(), ...nodes[1]!.listenAddresses()] : nodes[1]!.listenAddresses()))
  } catch (e) {
    await Promise.all(started.map(async (n) => { await n.stop() }))
    throw e
  }

  let outsider: Libp2pNetwork | undefined
  const neighbours = (i: number): number[] => topology === 'mesh' ? [0, 1, 2].filter((j) => j !== i) : i === 1 ? [0, 2] : [1]

  return {
    nodes,
    get members (): Network[] { return nodes },
    maxFrameBytes,
    backoffMs: 1_500,
    settleMs: 300,
    async ready () {
      await waitUntil(() => nodes.every((n, i) => {
        const want = neighbours(i).map((j) => sites[j]!.peer).sort()
        const has = (list: PeerId[]): boolean => want.every((p) => list.includes(p))
        return has(n.connectedPeers()) && has(n.meshPeers())
      }), 'connections and gossip mesh along the topology')
    },
    now: () => performance.now(),
    waitFor: waitUntil,
    pass: sleep,
    async stop (i) { await nodes[i]!.stop() },
    async restart (i) {
      const others = [0, 1, 2].filter((j) => j !== i).flatMap((j) => nodes[j]!.listenAddresses())
      nodes[i] = await start(sites[i]!, others)
      return nodes[i]
    },
    async startOutsider () {
      outsider = await start(testSite(99), nodes[0]!.listenAddresses(), () => true)
      return outsider
    },
    async stopOutsider () { await outsider?.stop() },
    refusals: (i) => nodes[i]!.stats().refused['not-a-member'],
    async sendOversizeFrame (from, to) {
      // a raw stream on the sync protocol, written without the adapter's own size check
      const stream = await nodes[from]!.libp2p.dialProtocol(peerIdFromString(sites[to]!.peer), SYNC_PROTOCOL)
      stream.send(encodeLengthPrefix(maxFrameBytes + 1))
      stream.send(new Uint8Array(64 * 1024))
    },
    gossipScore: (observer, peer) => nodes[observer]!.gossipScore(sites[peer]!.peer),
    async close () {
      await Promise.all(started.map(async (n) => { await n.stop() }))
    }
  }
}
