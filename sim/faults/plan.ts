/**
 * The fault plan of a run: a list of faults with their start times and durations, made
 * up front from the seed's `faults` stream (random faults of the enabled kinds, at
 * exponentially distributed gaps) plus any a named scenario schedules at fixed times.
 * Partitions take any shape: split by region, a random bipartition, one site isolated,
 * or one-way blocks between random pairs. Every fault ends before the quiet tail, so
 * the run finishes with a stretch in which the federation must settle.
 */
import { randomInt } from '../../src/ports/rng.ts'
import type { SeededRng } from '../engine/seeded-rng.ts'
import type { FaultKind, ScenarioOptions } from '../runner/options.ts'

export type ScheduledFault =
  /** `groups` of site ids; unlisted sites form one more group. `by-region` splits by region. */
  | { atMs: number, kind: 'partition', groups: string[][] | 'by-region', durationMs: number }
  /** Frames from `from` to `to` are dropped; the connection dies after the detection delay (an asymmetric window). */
  | { atMs: number, kind: 'one-way', pairs: Array<[string, string]>, durationMs: number }
  | { atMs: number, kind: 'crash', site: string, downMs: number }
  /** The site's process and its clusters go down together (a data centre lost). */
  | { atMs: number, kind: 'site-loss', site: string, downMs: number }
  | { atMs: number, kind: 'slow-disk', site: string, latencyMs: number, durationMs: number }
  /** Steps the site's wall clock to `skewMs` from true time. */
  | { atMs: number, kind: 'skew', site: string, skewMs: number }
  /** Every node of the cluster NotReady for the duration. */
  | { atMs: number, kind: 'not-ready', site: string, cluster: string, durationMs: number }

/** Largest wall clock step a random skew fault makes, so two sites never differ by more than the detector's 5-minute bound. */
export const MAX_RANDOM_SKEW_MS = 120_000

export function planFaults (options: ScenarioOptions, siteIds: readonly string[], rng: SeededRng): ScheduledFault[] {
  const kinds = options.faults.kinds
  const plan: ScheduledFault[] = options.faults.scheduled.map((f) => ({ ...f }))
  if (kinds.length === 0) return sortPlan(plan)
  const start = options.faults.warmupMs
  const end = options.durationMs - options.faults.quietTailMs
  const room = (at: number, wanted: number): number => Math.max(1_000, Math.min(wanted, end - at))
  const pickSite = (): string => siteIds[randomInt(rng, 0, siteIds.length - 1)] as string
  let t = start
  for (;;) {
    t += -Math.log(1 - rng.nextFloat()) * options.faults.meanIntervalMs
    if (t >= end - 1_000) break
    const at = Math.round(t)
    const kind = kinds[randomInt(rng, 0, kinds.length - 1)] as FaultKind
    switch (kind) {
      case 'partition': {
        const shape = randomInt(rng, 0, 3)
        const durationMs = room(at, randomInt(rng, 5_000, 60_000))
        if (shape === 0 && options.regions > 1) plan.push({ atMs: at, kind: 'partition', groups: 'by-region', durationMs })
        else if (shape <= 1) {
          const a: string[] = []
          for (const id of siteIds) if (rng.nextFloat() < 0.5) a.push(id)
          if (a.length === 0 || a.length === siteIds.length) a.splice(0, a.length, pickSite())
          plan.push({ atMs: at, kind: 'partition', groups: [a], durationMs })
        } else if (shape === 2) {
          plan.push({ atMs: at, kind: 'partition', groups: [[pickSite()]], durationMs })
        } else {
          const pairs: Array<[string, string]> = []
          for (let i = randomInt(rng, 1, 3); i > 0; i--) {
            const from = pickSite()
            let to = pickSite()
            if (to === from) to = siteIds[(siteIds.indexOf(from) + 1) % siteIds.length] as string
            pairs.push([from, to])
          }
          plan.push({ atMs: at, kind: 'one-way', pairs, durationMs })
        }
        break
      }
      case 'crash': plan.push({ atMs: at, kind: 'crash', site: pickSite(), downMs: room(at, randomInt(rng, 2_000, 60_000)) }); break
      case 'site-loss': plan.push({ atMs: at, kind: 'site-loss', site: pickSite(), downMs: room(at, randomInt(rng, 20_000, 90_000)) }); break
      case 'slow-disk': plan.push({ atMs: at, kind: 'slow-disk', site: pickSite(), latencyMs: randomInt(rng, 50, 500), durationMs: room(at, randomInt(rng, 5_000, 60_000)) }); break
      case 'skew': plan.push({ atMs: at, kind: 'skew', site: pickSite(), skewMs: randomInt(rng, -MAX_RANDOM_SKEW_MS / 2, MAX_RANDOM_SKEW_MS / 2) }); break
      case 'not-ready': {
        const site = pickSite()
        plan.push({ atMs: at, kind: 'not-ready', site, cluster: `c${randomInt(rng, 1, options.clusters.perSite)}`, durationMs: room(at, randomInt(rng, 5_000, 60_000)) })
        break
      }
    }
  }
  return sortPlan(plan)
}

function sortPlan (plan: ScheduledFault[]): ScheduledFault[] {
  // Stable: equal times keep their listed order.
  return plan.map((f, i) => ({ f, i })).sort((a, b) => a.f.atMs - b.f.atMs || a.i - b.i).map((x) => x.f)
}
