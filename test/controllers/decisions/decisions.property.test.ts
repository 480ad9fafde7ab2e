/**
 * Property tests of the failover decisions:
 *  - the effective placement is a function of its inputs, not of their order;
 *  - it never places outside the workload's residency, whatever the origin binding says;
 *  - over random sequences of ticks — sites failing and returning, clusters going
 *    NotReady, replacements becoming Ready at random times, failures noticed at once or
 *    only after the detector's delays — no decision takes a stateless workload's ready
 *    replicas to zero, unless the deciding site was misled: it still trusted the last
 *    report of a site that had already died and was not yet suspected (a window of
 *    `suspectMs` after a crash that no decision on observed state can close);
 *  - once every site is back and the stabilisation window has passed (fail-back after
 *    stabilisation), the effective placement is the origin binding and every site runs
 *    exactly it: no lingering extra replicas (with fail-back Never, exactly the placement
 *    it stayed on).
 * Share status in the simulation is as fresh as the view: a live site's report is its
 * cluster's state at the tick; a failed site's report stays frozen at its last value.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  clusterAvailability, effectivePlacement, originBinding, ownShares, preparePlacementContext, trackAvailability,
  type AvailabilityMemory, type EffectivePlacement
} from '../../../src/controllers/decisions/index.ts'
import type { ClusterAssignment, ClusterRecord, PolicyRecord, Residency, ShareStatus, WorkloadRecord } from '../../../src/model/federation.ts'
import { placeWorkload } from '../../../src/schedule/index.ts'
import { cluster, deployment, policy, selectDeployments } from '../../schedule/fixtures.ts'
import { bindingOf, SETTINGS, shuffled } from './fixtures.ts'

const SITES = ['eu1', 'eu2', 'us1', 'us2'] as const
const ORIGIN = 'eu1'
const regionOf = (site: string): string => site.slice(0, 2)

const clustersArb = fc.uniqueArray(fc.record({
  site: fc.constantFrom(...SITES),
  name: fc.constantFrom('a', 'b'),
  fits: fc.integer({ min: 0, max: 12 })
}), { selector: (c) => `${c.site}.${c.name}`, minLength: 1, maxLength: 7 })
  .map((list) => list.map((c): ClusterRecord => cluster(`${c.site}.${c.name}`, { region: regionOf(c.site), zone: `${regionOf(c.site)}-a`, fits: c.fits })))

const placements: Record<string, Record<string, unknown>> = {
  duplicated: {},
  equal: { replicaScheduling: { replicaSchedulingType: 'Divided' } },
  dynamic: { replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { dynamicWeight: 'AvailableReplicas' } } },
  aggregated: { replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' } },
  twoRegions: { spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 2 }], replicaScheduling: { replicaSchedulingType: 'Divided' } }
}

const policyArb = fc.record({
  shape: fc.constantFrom(...Object.keys(placements)),
  failback: fc.constantFrom('site', 'Never', 'AfterStabilization')
}).map(({ shape, failback }): PolicyRecord => policy('main', {
  resourceSelectors: selectDeployments,
  placement: placements[shape],
  ...(failback === 'site' ? {} : { failover: { failback: { policy: failback, stabilizationSeconds: 20 } } })
}))

const residencyArb: fc.Arbitrary<Residency> = fc.constantFrom<Residency>(
  { kind: 'global' }, { kind: 'regions', regions: ['eu'] }, { kind: 'regions', regions: ['us'] }, { kind: 'local-only' })

const workloadArb = fc.record({ replicas: fc.integer({ min: 1, max: 8 }), residency: residencyArb })
  .map((w) => deployment('web', { replicas: w.replicas, residency: w.residency, origin: ORIGIN }))

function inResidency (w: WorkloadRecord, c: ClusterRecord): boolean {
  if (w.residency.kind === 'local-only') return c.site === w.origin
  if (w.residency.kind === 'regions') return w.residency.regions.includes(c.region)
  return true
}

describe('effective placement properties', () => {
  interface Observation { downSites: string[], notReady: string[], returned: string[], returnedAgo: number }
  type BindingChoice = 'scheduler' | 'none' | ClusterAssignment[]
  const observation: fc.Arbitrary<Observation> = fc.record({
    downSites: fc.subarray<string>([...SITES]),
    notReady: fc.subarray(['eu1.a', 'eu2.a', 'us1.b', 'us2.a']),
    returned: fc.subarray(['eu1.b', 'eu2.b', 'us1.a', 'us2.b']),
    returnedAgo: fc.integer({ min: 0, max: 60_000 })
  })
  const bindingArb: fc.Arbitrary<BindingChoice> = fc.oneof(
    fc.constant('scheduler' as const),
    fc.uniqueArray(fc.record({ cluster: fc.constantFrom('eu1.a', 'eu1.b', 'eu2.a', 'us1.a', 'us2.b', 'zz9.x'), replicas: fc.integer({ min: 0, max: 5 }) }), { selector: (a) => a.cluster, maxLength: 4 }),
    fc.constant('none' as const)
  )

  /** A tick as one observer sees it; `order` permutes every input array. */
  function decideWith (clusters: ClusterRecord[], policies: PolicyRecord[], w: WorkloadRecord, obs: Observation,
    binding: ClusterAssignment[] | undefined, previous: EffectivePlacement | undefined, order: number): EffectivePlacement {
    const now = 100_000
    const withHealth = clusters.map((c) => (obs.notReady.includes(c.id) ? { ...c, health: 'NotReady' as const } : c))
    // Memory: some clusters came back `returnedAgo` ms ago, the rest were always there.
    const memory: AvailabilityMemory = new Map(shuffled(withHealth, order).map((c) => [c.id, obs.returned.includes(c.id)
      ? { available: true, since: now - obs.returnedAgo, returned: true, everKnown: true }
      : { available: true, since: 0, returned: false, everKnown: true }]))
    const sites = new Set(shuffled(obs.downSites, order))
    const cs = shuffled(withHealth, order)
    const availability = clusterAvailability({ clusters: cs, unavailableSites: sites, memory: trackAvailability(memory, cs, sites, now), now, stabilizationMs: SETTINGS.stabilizationMs })
    const context = preparePlacementContext({ clusters: cs, policies: shuffled(policies, order), availability, settings: SETTINGS })
    return effectivePlacement({
      context, workload: w, ...(binding !== undefined ? { originBinding: bindingOf(w, shuffled(binding, order)) } : {}), ...(previous !== undefined ? { previous } : {})
    })
  }

  function bindingFor (b: BindingChoice, w: WorkloadRecord, policies: PolicyRecord[], clusters: ClusterRecord[]): ClusterAssignment[] | undefined {
    if (b === 'none') return undefined
    if (b === 'scheduler') return placeWorkload({ workload: w, policies, clusters }).assignments
    return b
  }

  const decoy = policy('fallback', { resourceSelectors: selectDeployments, priority: -1, placement: {} }, { kind: 'ClusterPropagationPolicy' })

  it('is the same for every observer holding the same inputs, in any order', () => {
    fc.assert(fc.property(clustersArb, policyArb, workloadArb, observation, bindingArb, fc.integer(), (clusters, p, w, obs, b, seed) => {
      const policies = [p, decoy]
      const binding = bindingFor(b, w, policies, clusters)
      const first = decideWith(clusters, policies, w, obs, binding, undefined, 1)
      const again = decideWith(clusters, policies, w, obs, binding, undefined, seed)
      expect(again).toEqual(first)
      expect(JSON.stringify(again)).toBe(JSON.stringify(first))
      // With a previous decision (fail-back Never memory) too.
      expect(decideWith(clusters, policies, w, obs, binding, first, seed)).toEqual(decideWith(clusters, policies, w, obs, binding, first, 7))
    }), { numRuns: 120, seed: 8080 })
  })

  it('never places outside the residency, whatever the origin binding and the failures', () => {
    fc.assert(fc.property(clustersArb, policyArb, workloadArb, observation, bindingArb, (clusters, p, w, obs, b) => {
      const binding = bindingFor(b, w, [p], clusters)
      const e = decideWith(clusters, [p], w, obs, binding, undefined, 3)
      const byId = new Map(clusters.map((c) => [c.id, c]))
      for (const a of e.assignments) {
        const c = byId.get(a.cluster)
        if (c !== undefined && a.replicas > 0) expect(inResidency(w, c), `${a.cluster} in ${e.mode}: ${e.reason}`).toBe(true)
      }
      // Never an empty placement in place of a running one because of a failure.
      if (binding !== undefined && binding.some((a) => a.replicas > 0) && e.mode !== 'computed') expect(e.assignments.length).toBeGreaterThan(0)
    }), { numRuns: 150, seed: 4242 })
  })
})

// --- the tick simulation ------------------------------------------------------------

interface World {
  clusters: ClusterRecord[]
  policies: PolicyRecord[]
  workload: WorkloadRecord
  /** The origin binding; rewritten only when `originRewrites`. */
  binding: ClusterAssignment[]
  originRewrites: boolean
  /** Sites that are down, with when they went down. */
  downSites: Map<string, number>
  /** Observers notice a failure only after the detector's delays (suspect 6 s, failed 12 s), or at once. */
  detectionDelay: boolean
  notReady: Set<string>
  memory: AvailabilityMemory
  now: number
  /** Replicas each owner runs per cluster (its last decision). */
  acting: Map<string, number>
  /** Ready, serving replicas per cluster. */
  ready: Map<string, number>
  /** Ready replicas as the view shows them (frozen while the owner or the cluster is down). */
  reported: Map<string, number>
  previous: EffectivePlacement | undefined
  /** The origin's previous tick (its fail-back trigger looks at windows that ended since). */
  originLastTick?: number
}

type Step =
  | { kind: 'toggle-site', site: string }
  | { kind: 'toggle-cluster', index: number }
  | { kind: 'wait' }

const stepArb: fc.Arbitrary<{ step: Step, dt: number, progress: number[] }> = fc.record({
  step: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...SITES).map((site): Step => ({ kind: 'toggle-site', site })) },
    { weight: 1, arbitrary: fc.nat(6).map((index): Step => ({ kind: 'toggle-cluster', index })) },
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'wait' }) }
  ),
  dt: fc.integer({ min: 200, max: 25_000 }),
  // How far each cluster's pending replicas get toward Ready this tick (fraction in 1/4ths).
  progress: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 7, maxLength: 7 })
})

function up (world: World, c: ClusterRecord): boolean {
  return !world.downSites.has(c.site) && !world.notReady.has(c.id)
}

function totalReady (world: World): number {
  let sum = 0
  for (const c of world.clusters) if (up(world, c)) sum += world.ready.get(c.id) ?? 0
  return sum
}

/** One controller tick of every live site; returns the effective placement. */
function runTick (world: World, progress: readonly number[]): { effective: EffectivePlacement, before: number, after: number, misled: boolean } {
  // Pods become Ready; a cluster that is down serves nothing; live owners report.
  world.clusters.forEach((c, i) => {
    if (!up(world, c)) { world.ready.set(c.id, 0); return }
    const acting = world.acting.get(c.id) ?? 0
    const ready = world.ready.get(c.id) ?? 0
    world.ready.set(c.id, Math.min(acting, ready + Math.ceil((acting - ready) * (progress[i] ?? 0) / 4)))
    world.reported.set(c.id, world.ready.get(c.id)!)
  })
  const before = totalReady(world)

  const health = world.clusters.map((c) => (world.notReady.has(c.id) ? { ...c, health: 'NotReady' as const } : c))
  // What the observers' failure detectors say: failed after 12 s of silence, suspect after 6 s.
  const silentFor = (site: string): number => (world.downSites.has(site) ? world.now - world.downSites.get(site)! : -1)
  const failed = new Set<string>(SITES.filter((s) => silentFor(s) >= (world.detectionDelay ? 12_000 : 0)))
  const trusted = new Set<string>(SITES.filter((s) => silentFor(s) < (world.detectionDelay ? 6_000 : 0)))
  world.memory = trackAvailability(world.memory, health, failed, world.now)
  const availability = clusterAvailability({ clusters: health, unavailableSites: failed, memory: world.memory, now: world.now, stabilizationMs: SETTINGS.stabilizationMs })
  const context = preparePlacementContext({ clusters: health, policies: world.policies, availability, settings: SETTINGS })
  const effective = effectivePlacement({
    context, workload: world.workload, originBinding: bindingOf(world.workload, world.binding),
    ...(world.previous !== undefined ? { previous: world.previous } : {})
  })
  world.previous = effective

  const shares: ShareStatus[] = world.clusters.map((c) => ({
    workload: world.workload.key, cluster: c.id, desired: world.acting.get(c.id) ?? 0, ready: world.reported.get(c.id) ?? 0,
    available: world.reported.get(c.id) ?? 0, conditions: [], observedGeneration: 1
  }))
  const live = new Set<string>(SITES.filter((s) => !world.downSites.has(s)))
  const decisions = new Map<string, number>()
  for (const site of live) {
    const current = new Map(world.clusters.filter((c) => c.site === site).map((c) => [c.id, world.acting.get(c.id) ?? 0]))
    const mine = ownShares({
      site, effective: effective.assignments, current, shares, availability, trustedSites: new Set([site, ...trusted]), now: world.now, evictionTimeoutMs: SETTINGS.evictionTimeoutMs
    })
    for (const [id, s] of mine) decisions.set(id, s.replicas)
  }
  // Every live site acts on the same snapshot, at once.
  for (const [id, n] of decisions) {
    world.acting.set(id, n)
    world.ready.set(id, Math.min(world.ready.get(id) ?? 0, n))
  }

  // An origin that is up rewrites its binding on its triggers (failover, fail-back).
  if (world.originRewrites && live.has(ORIGIN)) {
    const d = originBinding({
      context, workload: world.workload, current: bindingOf(world.workload, world.binding, { policy: 'PropagationPolicy/default/main' }),
      ...(world.originLastTick !== undefined ? { previousNow: world.originLastTick } : {})
    })
    if (d.write) world.binding = d.placement
    world.originLastTick = world.now
  }
  // A down site still trusted (not yet suspected) shows its last report as if it were live.
  const misled = [...world.downSites.keys()].some((site) => trusted.has(site))
  return { effective, before, after: totalReady(world), misled }
}

describe('tick simulation', () => {
  const worldArb = fc.record({
    clusters: clustersArb.map((cs) => cs.map((c) => ({ ...c }))),
    shape: fc.constantFrom('equal', 'duplicated', 'dynamic', 'aggregated'),
    replicas: fc.integer({ min: 1, max: 8 }),
    originRewrites: fc.boolean(),
    detectionDelay: fc.boolean(),
    never: fc.boolean()
  })

  it('no decision takes a stateless workload\'s ready replicas to zero, and after recovery every site runs exactly the origin binding (fail-back Never: exactly its placement)', () => {
    fc.assert(fc.property(worldArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), (spec, steps) => {
      const workload = deployment('web', { replicas: spec.replicas, origin: ORIGIN, requests: { cpu: '100m', memory: '64Mi' } })
      // Ample room: the workload fits wherever the policy puts it, also after it moved.
      const clusters = spec.clusters.map((c) => cluster(c.id, { region: c.region, zone: c.zone, fits: 400 }))
      const policies = [policy('main', {
        resourceSelectors: selectDeployments, placement: placements[spec.shape],
        ...(spec.never ? { failover: { failback: { policy: 'Never' } } } : {})
      })]
      const binding = placeWorkload({ workload, policies, clusters }).assignments
      const world: World = {
        clusters, policies, workload, binding, originRewrites: spec.originRewrites,
        downSites: new Map(), detectionDelay: spec.detectionDelay, notReady: new Set(), memory: new Map(), now: 0,
        acting: new Map(binding.map((a) => [a.cluster, a.replicas])),
        ready: new Map(binding.map((a) => [a.cluster, a.replicas])),
        reported: new Map(binding.map((a) => [a.cluster, a.replicas])),
        previous: undefined
      }
      for (const { step, dt, progress } of steps) {
        world.now += dt
        if (step.kind === 'toggle-site') {
          if (world.downSites.has(step.site)) world.downSites.delete(step.site)
          else world.downSites.set(step.site, world.now)
        } else if (step.kind === 'toggle-cluster') {
          const id = clusters[step.index % clusters.length]!.id
          if (world.notReady.has(id)) world.notReady.delete(id)
          else world.notReady.add(id)
        }
        const { effective, before, after, misled } = runTick(world, progress)
        if (before > 0 && !misled && effective.assignments.some((a) => a.replicas > 0)) {
          expect(after, `ready fell from ${before} to 0 at ${world.now} ms: ${effective.mode}, ${effective.reason}`).toBeGreaterThan(0)
        }
      }

      // Everything returns; ticks run past the stabilisation window with every pod getting Ready.
      world.downSites.clear()
      world.notReady.clear()
      const full = clusters.map(() => 4)
      let last: EffectivePlacement | undefined
      for (let i = 0; i < 6; i++) {
        world.now += SETTINGS.stabilizationMs / 2 + 1
        last = runTick(world, full).effective
      }
      if (spec.never) {
        // Fail-back Never: the site stays where the failover put it, or on the origin binding.
        expect(['origin', 'failover']).toContain(last!.mode)
      } else {
        expect(last!.mode).toBe('origin')
        expect(last!.assignments).toEqual(world.binding)
      }
      // Either way every site runs exactly the effective placement: nothing extra lingers.
      const want = new Map(last!.assignments.map((a) => [a.cluster, a.replicas]))
      for (const c of clusters) {
        expect(world.acting.get(c.id) ?? 0, `acting on ${c.id}`).toBe(want.get(c.id) ?? 0)
        expect(world.ready.get(c.id) ?? 0, `ready on ${c.id}`).toBe(want.get(c.id) ?? 0)
      }
    }), { numRuns: 150, seed: 1977 })
  })
})
