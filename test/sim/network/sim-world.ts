/**
 * The acceptance world of the simulated network: three members on a fabric driven by a
 * manual clock and a seeded Rng, with mildly hostile links (jitter that reorders frames)
 * so the suite checks the port's promises, not a lucky schedule.
 */
import type { Network, PeerId } from '../../../src/ports/network.ts'
import { createSimNetwork, type SimNetworkFabric, type SimNetworkOptions } from '../../../sim/network/sim-network.ts'
import type { NetworkWorld, Topology } from '../../ports/network-acceptance.ts'
import { testSite } from '../../net/test-keys.ts'
import { createManualClock, type ManualClock } from './manual-clock.ts'
import { createSeededRng } from './seeded-rng.ts'

export interface SimWorld extends NetworkWorld {
  readonly fabric: SimNetworkFabric
  readonly clock: ManualClock
}

export async function createSimWorld (topology: Topology, seed = 7, extra: Partial<SimNetworkOptions> = {}): Promise<SimWorld> {
  const clock = createManualClock()
  const rng = createSeededRng(seed)
  const maxFrameBytes = 256 * 1024
  const fabric = createSimNetwork({
    clock,
    rng,
    maxFrameBytes,
    link: { latency: { kind: 'uniform', minMs: 5, maxMs: 40 }, reorder: 1, bandwidthBytesPerSec: 50 * 1024 * 1024 },
    ...extra
  })
  const sites = [1, 2, 3].map(testSite)
  const roster = new Set<PeerId>(sites.map((s) => s.peer))
  const isMember = (p: PeerId): boolean => roster.has(p)
  if (topology === 'line') fabric.block(sites[0]!.peer, sites[2]!.peer)
  const members: Network[] = sites.map((s) => fabric.join(s.peer, { isMember }))

  const waitFor = async (cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> => {
    const end = clock.monotonicMs() + timeoutMs
    while (!cond()) {
      if (clock.monotonicMs() >= end) throw new Error(`timed out after ${timeoutMs} virtual ms waiting for: ${what}`)
      clock.advance(5)
    }
  }

  return {
    fabric,
    clock,
    members,
    maxFrameBytes,
    backoffMs: 5_000,
    settleMs: 2_000,
    async ready () {
      const want = topology === 'mesh' ? 2 : 1
      await waitFor(() => members.every((m, i) => m.connectedPeers().length === (i === 1 ? 2 : want)), 'the topology connected')
    },
    now: () => clock.monotonicMs(),
    waitFor,
    async pass (ms) { clock.advance(ms) },
    async stop (i) { fabric.leave(sites[i]!.peer) },
    async restart (i) {
      const net = fabric.join(sites[i]!.peer, { isMember })
      members[i] = net
      return net
    },
    async startOutsider () {
      return fabric.join(testSite(99).peer)
    },
    async stopOutsider () { fabric.leave(testSite(99).peer) },
    refusals: (i) => fabric.refusals(sites[i]!.peer),
    async sendOversizeFrame (from, to) {
      const ok = fabric.inject({ kind: 'direct', from: sites[from]!.peer, to: sites[to]!.peer, payload: new Uint8Array(maxFrameBytes + 1) })
      if (!ok) throw new Error('inject refused: the members are not connected')
    },
    gossipScore: (observer, peer) => fabric.gossipScore(sites[observer]!.peer, sites[peer]!.peer),
    async close () {}
  }
}
