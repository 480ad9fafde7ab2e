/**
 * Turns the run's Byzantine sites (the last `faults.byzantine` by index) into attackers
 * with the configured behaviours: taps their inbound frames (for replays), filters and
 * records what they send (withholding, selective forwarding, dropped relays), makes
 * their cluster drivers lie, and starts the active attacks at every start of their
 * process. All of it acts only within the fault window, so the quiet tail is quiet.
 */
import type { Network, PeerId } from '../../src/ports/network.ts'
import { randomInt } from '../../src/ports/rng.ts'
import { decodeDirect } from '../../src/replication/messages.ts'
import type { SimSite, World } from '../runner/world.ts'
import { startAttacks, type Captured } from './attacks.ts'
import type { ByzantineBehaviour } from './behaviour.ts'
import { lieAboutClusters } from './lies.ts'

export interface ByzantineStats {
  sites: string[]
  actions: Record<string, number>
  /** Frames the outbound filters dropped. */
  withheld: number
}

export interface ByzantineInstall {
  /** Sites whose clusters lie. */
  liars: ReadonlySet<string>
  stats: ByzantineStats
  behavioursOf (siteId: string): ByzantineBehaviour[]
}

const CAPTURE_LIMIT = 200
const FRAME_CHANGES = 3
const FRAME_HEARTBEAT = 7
const GOSSIP_HEARTBEAT = 2

function keep<T> (list: T[], item: T): void {
  if (list.length >= CAPTURE_LIMIT) list.shift()
  list.push(item)
}

export function installByzantine (world: World): ByzantineInstall {
  const o = world.options
  const behaviours = o.faults.behaviours
  const has = (b: ByzantineBehaviour): boolean => behaviours.includes(b)
  const byzantine = world.sites.filter((s) => !s.honest)
  const stats: ByzantineStats = { sites: byzantine.map((s) => s.id), actions: {}, withheld: 0 }
  const liars = new Set(has('lie-clusters') ? byzantine.map((s) => s.id) : [])
  const window = { fromMs: o.faults.warmupMs, untilMs: o.durationMs - o.faults.quietTailMs }
  const inWindow = (): boolean => world.now() >= window.fromMs && world.now() < window.untilMs
  const captured = new Map<string, Captured>()
  const lyingDown = new Map<string, boolean>()

  for (const s of byzantine) {
    const cap: Captured = { directFrames: [], heartbeats: [], gossip: [] }
    captured.set(s.id, cap)
    const rng = s.rng.fork('byzantine-plan')
    const peers = world.sites.filter((x) => x.id !== s.id)
    // Selective forwarding: the half of the peers this site starves.
    const starved = new Set<PeerId>(peers.filter(() => rng.nextFloat() < 0.5).map((x) => x.peer))
    world.fabric.interceptOutbound(s.peer, (frame) => {
      if (frame.kind === 'broadcast' && frame.origin !== s.peer) keep(cap.gossip, { origin: frame.origin, seq: frame.seq, payload: frame.payload })
      if (!inWindow()) return [frame]
      if (frame.kind === 'broadcast' && frame.origin !== s.peer) {
        if (has('withhold') || (has('false-death') && frame.payload[1] === GOSSIP_HEARTBEAT)) { stats.withheld++; return [] }
      }
      if (has('withhold') && frame.kind === 'direct' && starved.has(frame.to) && frame.payload[1] !== FRAME_HEARTBEAT) { stats.withheld++; return [] }
      return [frame]
    })
  }

  world.addHooks({
    wrapNetwork (s, net) {
      const cap = captured.get(s.id)
      if (cap === undefined) return net
      const wrapped: Network = {
        ...net,
        localPeer: net.localPeer,
        handle (h) {
          return net.handle({
            ...h,
            onMessage (from, payload) {
              if (payload[1] === FRAME_HEARTBEAT) {
                try {
                  const f = decodeDirect(payload)
                  if (f.type === 'heartbeat') keep(cap.heartbeats, f.payload)
                } catch { /* not a frame after all */ }
              } else if (payload[1] === FRAME_CHANGES) keep(cap.directFrames, payload.slice())
              h.onMessage(from, payload)
            }
          })
        }
      }
      return wrapped
    },
    wrapDriver (s, _c, driver) {
      if (liars.has(s.id)) driver.setLie(lieAboutClusters(() => inWindow(), () => lyingDown.get(s.id) === true))
    },
    up (s: SimSite, site) {
      const cap = captured.get(s.id)
      if (cap === undefined || s.clock === undefined) return
      const clock = s.clock
      const rng = s.rng.fork(`byzantine-${s.incarnation}`)
      let seq = 1_000_000_000 + s.incarnation * 1_000_000
      startAttacks({
        world, self: s, site, clock, rng, captured: cap, window,
        count (what, n = 1) { stats.actions[what] = (stats.actions[what] ?? 0) + n },
        nextGossipSeq: () => ++seq
      }, behaviours)
      if (liars.has(s.id)) {
        const flip = (): void => {
          const down = lyingDown.get(s.id) === true
          lyingDown.set(s.id, !down)
          if (!down) stats.actions['false NotReady reports'] = (stats.actions['false NotReady reports'] ?? 0) + 1
          clock.setTimer(down ? randomInt(rng, 20_000, 40_000) : randomInt(rng, 10_000, 20_000), flip)
        }
        lyingDown.set(s.id, false)
        clock.setTimer(randomInt(rng, 20_000, 40_000), flip)
      }
    }
  })

  return {
    liars,
    stats,
    behavioursOf: (id) => byzantine.some((s) => s.id === id) ? [...behaviours] : []
  }
}
