/**
 * Carries out a fault plan on the world at its virtual times: partitions and one-way
 * blocks on the fabric, crashes and restarts through the world, site losses (the site and
 * its clusters), slow disks, clock steps and NotReady clusters, each undone when its time
 * is up. A fault that would make no sense when it comes due (the site is already down,
 * another partition is in force, too many sites would be down at once) is skipped and
 * counted, never silently changed into another fault.
 */
import type { PeerId } from '../../src/ports/network.ts'
import { setClusterDown } from '../runner/clusters.ts'
import { REGION_NAMES } from '../runner/options.ts'
import { diskLatency, mustSite, type SimSite, type World } from '../runner/world.ts'
import type { ScheduledFault } from './plan.ts'

export interface FaultStats {
  planned: number
  applied: number
  skipped: number
  byKind: Record<string, number>
}

export interface FaultInjector {
  readonly stats: FaultStats
  start (): void
}

export function createFaultInjector (world: World, plan: readonly ScheduledFault[]): FaultInjector {
  const { engine, fabric, timeline } = world
  const stats: FaultStats = { planned: plan.length, applied: 0, skipped: 0, byKind: {} }
  const maxDown = Math.max(1, Math.floor((world.sites.length - 1) / 3))
  let networkFaultUntil = -Infinity
  const notReady = new Set<string>()
  const at = (ms: number, fn: () => void): void => { engine.setTimer(Math.max(0, ms - engine.nowMs()), fn) }
  const peer = (id: string): PeerId => mustSite(world, id).peer
  const downCount = (): number => world.sites.filter((s) => s.state !== 'up').length

  const skip = (f: ScheduledFault, why: string): void => {
    stats.skipped++
    world.trace.record(engine.nowMs(), 'fault-skipped', { kind: f.kind, why })
  }

  const applied = (f: ScheduledFault): void => {
    stats.applied++
    stats.byKind[f.kind] = (stats.byKind[f.kind] ?? 0) + 1
  }

  function restartLater (s: SimSite, downMs: number, lost: boolean): void {
    const incarnation = s.incarnation
    engine.setTimer(downMs, () => {
      if (s.state !== 'down' || s.incarnation !== incarnation) return
      if (lost) {
        world.restoreClusters(s)
        timeline.add(engine.nowMs(), 'site-return', `${s.id} and its clusters are back`, s.id)
      } else {
        timeline.add(engine.nowMs(), 'restart', `${s.id} restarts`, s.id)
      }
      void world.boot(s)
    })
  }

  function run (f: ScheduledFault): void {
    const now = engine.nowMs()
    switch (f.kind) {
      case 'partition':
      case 'one-way': {
        if (now < networkFaultUntil) { skip(f, 'another partition is in force'); return }
        networkFaultUntil = now + f.durationMs
        if (f.kind === 'partition') {
          const groups = f.groups === 'by-region'
            ? REGION_NAMES.slice(0, world.options.regions).map((r) => world.sites.filter((s) => s.region === r).map((s) => s.id))
            : f.groups.map((g) => g.map((id) => mustSite(world, id).id))
          fabric.partition(groups.map((g) => g.map(peer)))
          const groupOf = new Map<string, number>()
          groups.forEach((g, i) => { for (const id of g) groupOf.set(id, i) })
          for (const a of world.sites) {
            for (const b of world.sites) {
              if (a.index < b.index && (groupOf.get(a.id) ?? -1) !== (groupOf.get(b.id) ?? -1)) world.setBlocked(a, b, true)
            }
          }
          timeline.add(now, 'partition', `partition ${groups.map((g) => `[${g.join(' ')}]`).join(' | ')}${f.groups === 'by-region' ? ' (by region)' : ' | rest'} for ${Math.round(f.durationMs / 1000)} s`)
          at(now + f.durationMs, () => { fabric.heal(); world.clearBlocked(); timeline.add(engine.nowMs(), 'heal', 'partition healed') })
        } else {
          for (const [a, b] of f.pairs) {
            fabric.block(peer(a), peer(b), { oneWay: true })
            world.setBlocked(mustSite(world, a), mustSite(world, b), true)
          }
          timeline.add(now, 'block', `one-way ${f.pairs.map(([a, b]) => `${a}→${b}`).join(', ')} for ${Math.round(f.durationMs / 1000)} s`)
          at(now + f.durationMs, () => {
            for (const [a, b] of f.pairs) {
              fabric.unblock(peer(a), peer(b), { oneWay: true })
              world.setBlocked(mustSite(world, a), mustSite(world, b), false)
            }
            timeline.add(engine.nowMs(), 'unblock', `one-way ${f.pairs.map(([a, b]) => `${a}→${b}`).join(', ')} lifted`)
          })
        }
        applied(f)
        return
      }
      case 'crash':
      case 'site-loss': {
        const s = mustSite(world, f.site)
        if (s.state !== 'up') { skip(f, `${s.id} is not up`); return }
        if (downCount() + 1 > maxDown) { skip(f, `at most ${maxDown} sites may be down at once`); return }
        if (f.kind === 'site-loss' && s.clusters.some((c) => notReady.has(c.id))) { skip(f, `a cluster of ${s.id} is already NotReady`); return }
        timeline.add(now, f.kind, `${s.id} ${f.kind === 'crash' ? 'crashes (process only)' : 'is lost with its clusters'} for ${Math.round(f.downMs / 1000)} s`, s.id)
        world.crash(s, f.kind === 'site-loss')
        restartLater(s, f.downMs, f.kind === 'site-loss')
        applied(f)
        return
      }
      case 'slow-disk': {
        const s = mustSite(world, f.site)
        s.disk.setLatency(f.latencyMs)
        timeline.add(now, 'slow-disk', `${s.id} disk writes take ${f.latencyMs} ms for ${Math.round(f.durationMs / 1000)} s`, s.id)
        at(now + f.durationMs, () => {
          s.disk.setLatency(diskLatency(s.rng.fork(`disk-after-${now}`), 1, 8))
          timeline.add(engine.nowMs(), 'disk-recovered', `${s.id} disk is fast again`, s.id)
        })
        applied(f)
        return
      }
      case 'skew': {
        const s = mustSite(world, f.site)
        s.skewMs = f.skewMs
        s.clock?.setWallSkewMs(f.skewMs)
        timeline.add(now, 'skew', `${s.id} wall clock stepped to ${f.skewMs >= 0 ? '+' : ''}${Math.round(f.skewMs / 1000)} s`, s.id)
        applied(f)
        return
      }
      case 'not-ready': {
        const s = mustSite(world, f.site)
        const c = s.clusters.find((x) => x.name === f.cluster)
        if (c === undefined) { skip(f, `${s.id} has no cluster ${f.cluster}`); return }
        if (s.lost || notReady.has(c.id)) { skip(f, `${c.id} is already down`); return }
        notReady.add(c.id)
        setClusterDown(c, true)
        timeline.add(now, 'not-ready', `${c.id} NotReady for ${Math.round(f.durationMs / 1000)} s`, s.id)
        at(now + f.durationMs, () => {
          notReady.delete(c.id)
          if (!s.lost) setClusterDown(c, false)
          timeline.add(engine.nowMs(), 'cluster-ready', `${c.id} Ready again`, s.id)
        })
        applied(f)
      }
    }
  }

  return {
    stats,
    start () {
      for (const f of plan) at(f.atMs, () => { run(f) })
    }
  }
}
