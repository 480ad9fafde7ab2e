/**
 * Connections of the simulated network, as libp2p over TCP keeps them: a pair of sites
 * is connected when both are online, no direction of their link is cut and each admits
 * the other (roster, back-off bans). A connection comes up after a dial delay; when its
 * link breaks it goes down only after the failure-detection delay (surviving a heal
 * before then), while a hang-up is known at once by the side that hung up and one
 * latency later by the other. Each change is reported to the sites' handlers.
 */
import type { Clock } from '../../src/ports/clock.ts'
import type { Logger } from '../../src/ports/logger.ts'
import type { NetworkHandlers, PeerId } from '../../src/ports/network.ts'
import type { Rng } from '../../src/ports/rng.ts'
import type { DirLink, Pair, SimNetworkStats, SiteState } from './fabric-types.ts'
import { sampleLatency } from './latency.ts'

/** What the connection model uses of the fabric. */
export interface ConnectionFabric {
  clock: Clock
  rng: Rng
  logger: Logger
  stats: SimNetworkStats
  sites: ReadonlyMap<PeerId, SiteState>
  /** Directed links cut (`dirKey(from, to)`). */
  blocks: ReadonlySet<string>
  failureDetectionMs: number
  connectDelayMs: number
  now (): number
  site (peer: PeerId): SiteState
  pairOf (x: PeerId, y: PeerId): Pair
  link (from: PeerId, to: PeerId): DirLink
  dirKey (from: PeerId, to: PeerId): string
  /** Joined sites, sorted. */
  order (): readonly PeerId[]
  guard (s: SiteState, what: string, fn: (h: NetworkHandlers) => void): void
}

export interface Connections {
  banned (s: SiteState, peer: PeerId): boolean
  admitted (p: Pair): boolean
  /** Re-judges a pair; `hangUpBy` hangs it up at once from that side. */
  reconcile (p: Pair, hangUpBy?: PeerId): void
  /** The side whose roster check or ban refuses the other. */
  refuser (p: Pair): PeerId
  /** Re-judges every pair (of `peer`, if given). */
  reconcileAll (peer?: PeerId): void
  /** The connection is gone; `initiator` (if any) hung up. */
  goDown (p: Pair, initiator?: PeerId): void
}

export function createConnections (fabric: ConnectionFabric): Connections {
  const { clock, rng, logger, stats, sites, blocks, failureDetectionMs, connectDelayMs, now, site, pairOf, link, dirKey, guard } = fabric


  const banned = (s: SiteState, peer: PeerId): boolean => {
    const until = s.bans.get(peer)
    if (until === undefined) return false
    if (now() < until) return true
    s.bans.delete(peer)
    return false
  }

  const reachable = (p: Pair): boolean => {
    const sa = sites.get(p.a)
    const sb = sites.get(p.b)
    return sa !== undefined && sb !== undefined && sa.online && sb.online &&
      !blocks.has(dirKey(p.a, p.b)) && !blocks.has(dirKey(p.b, p.a))
  }

  const admitted = (p: Pair): boolean => {
    const sa = site(p.a)
    const sb = site(p.b)
    return sa.isMember(p.b) && sb.isMember(p.a) && !banned(sa, p.b) && !banned(sb, p.a)
  }

  const setSees = (s: SiteState, peer: PeerId, value: boolean): void => {
    if (!s.online || s.sees.has(peer) === value) return
    s.seesSorted = undefined
    if (value) {
      s.sees.add(peer)
      guard(s, 'onPeerUp', (h) => { h.onPeerUp(peer) })
    } else {
      s.sees.delete(peer)
      guard(s, 'onPeerDown', (h) => { h.onPeerDown(peer) })
    }
  }

  const goUp = (p: Pair): void => {
    p.state = 'up'
    p.epoch++
    setSees(site(p.a), p.b, true)
    setSees(site(p.b), p.a, true)
  }

  /** The connection is gone; `initiator` (if any) hung up and knows at once, the other side one latency later. */
  const goDown = (p: Pair, initiator?: PeerId): void => {
    p.timer?.cancel()
    p.timer = undefined
    p.state = 'down'
    p.epoch++
    const epoch = p.epoch
    if (initiator === undefined) {
      setSees(site(p.a), p.b, false)
      setSees(site(p.b), p.a, false)
      return
    }
    const other = initiator === p.a ? p.b : p.a
    setSees(site(initiator), other, false)
    const delay = sampleLatency(link(initiator, other).model.latency, rng)
    clock.setTimer(delay, () => {
      if (p.epoch === epoch && p.state !== 'up') setSees(site(other), initiator, false)
    })
  }

  /**
   * Re-judges a pair after anything that could change it. A connection that is no longer
   * admitted (roster, ban) is hung up at once by the refusing side; one whose link broke
   * keeps its state until the failure-detection delay has passed, and survives if the
   * link heals before then, as a TCP connection rides out a short outage.
   */
  const reconcile = (p: Pair, hangUpBy?: PeerId): void => {
    const physical = reachable(p)
    const wanted = physical && admitted(p)
    switch (p.state) {
      case 'up':
      case 'failing':
        if (wanted) {
          if (p.state === 'failing') { p.timer?.cancel(); p.timer = undefined; p.state = 'up' }
          return
        }
        if (hangUpBy !== undefined || physical) { goDown(p, hangUpBy ?? refuser(p)); return }
        if (p.state === 'failing') return
        p.state = 'failing'
        p.timer = clock.setTimer(failureDetectionMs, () => {
          p.timer = undefined
          if (p.state !== 'failing') return
          if (reachable(p) && admitted(p)) p.state = 'up'
          else goDown(p)
        })
        return
      case 'connecting':
        if (!wanted) {
          p.timer?.cancel()
          p.timer = undefined
          p.state = 'down'
          if (hangUpBy === undefined) countRefusal(p, physical)
        }
        return
      case 'down':
        if (!wanted) {
          if (hangUpBy === undefined) countRefusal(p, physical)
          return
        }
        p.state = 'connecting'
        p.timer = clock.setTimer(connectDelayMs + 3 * sampleLatency(link(p.a, p.b).model.latency, rng), () => {
          p.timer = undefined
          if (p.state !== 'connecting') return
          if (reachable(p) && admitted(p)) goUp(p)
          else { p.state = 'down'; countRefusal(p, reachable(p)) }
        })
    }
  }

  /** The side whose roster check or ban refuses the other, for who learns of a hang-up first. */
  const refuser = (p: Pair): PeerId => {
    const sa = site(p.a)
    return !sa.isMember(p.b) || banned(sa, p.b) ? p.a : p.b
  }

  const countRefusal = (p: Pair, physical: boolean): void => {
    if (!physical) return
    const sa = site(p.a)
    const sb = site(p.b)
    for (const [me, other] of [[sa, sb], [sb, sa]] as const) {
      if (!me.isMember(other.peer)) {
        stats.refusedConnections++
        me.refused++
        logger.warn({ peer: me.peer, refused: other.peer, reason: 'not-a-member' }, 'connection refused')
      } else if (banned(me, other.peer)) {
        stats.refusedConnections++
        me.refused++
        logger.debug({ peer: me.peer, refused: other.peer, reason: 'backoff' }, 'connection refused')
      }
    }
  }

  const reconcileAll = (peer?: PeerId): void => {
    for (const x of fabric.order()) {
      for (const y of fabric.order()) {
        if (x >= y) continue
        if (peer !== undefined && x !== peer && y !== peer) continue
        reconcile(pairOf(x, y))
      }
    }
  }

  return { banned, admitted, reconcile, refuser, reconcileAll, goDown }
}
