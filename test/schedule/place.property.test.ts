/**
 * Property tests of placement: order independence, residency, fit, and the movement
 * bounds. The bounds proven (see docs/scheduling.md) and checked here:
 *  - Divided, Weighted (equal, static with a positive weight left, or dynamic), no spread
 *    cut: removing one cluster c moves exactly min(replicas on c, what the survivors can
 *    still take) replicas, so never more than were on c; adding one cluster moves exactly
 *    its new share. No rounding term: the divisor method never takes a seat from a
 *    survivor.
 *  - Divided, Aggregated: the same, as clusters are filled in a fixed order.
 *  - Duplicated (with or without a cluster maxGroups): removing c moves at most the
 *    replicas that were on c.
 *  - Region spread (maxGroups cutting) and fallback affinity terms: the same bound while
 *    the regions chosen, or the term used, stay the same — and they must stay the same
 *    while they can still hold the replicas. When they cannot, the placement switches
 *    (Karmada's semantics) and the new regions or term are divided afresh: those cases
 *    are excluded from the bound, explicitly, after checking that the switch was forced.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ClusterRecord, PolicyRecord, Residency, WorkloadRecord } from '../../src/model/federation.ts'
import { movedReplicas } from '../../src/schedule/movement.ts'
import { placeInView, placeWorkload } from '../../src/schedule/place.ts'
import type { PlacementDecision } from '../../src/schedule/types.ts'
import { prepareClusterView } from '../../src/schedule/cluster-view.ts'
import { preparePolicies } from '../../src/schedule/policies.ts'
import { cluster, deployment, policy, selectDeployments } from './fixtures.ts'

const RUNS = { numRuns: 150, seed: 20240607 }
/** Nine policy shapes share this one: more runs, so each is covered. */
const REMOVAL_RUNS = { numRuns: 600, seed: 20240607 }
const REGIONS = ['eu', 'us', 'ap'] as const
const SITES = ['s1', 's2', 's3', 's4'] as const

const clusterArb = fc.record({
  site: fc.constantFrom(...SITES),
  name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  region: fc.constantFrom(...REGIONS),
  provider: fc.constantFrom('aws', 'gcp'),
  tier: fc.constantFrom('gold', 'silver'),
  fits: fc.integer({ min: 0, max: 30 }),
  nodes: fc.integer({ min: 1, max: 3 }),
  taint: fc.constantFrom('none', 'none', 'none', 'prefer', 'hard'),
  ready: fc.constantFrom(true, true, true, true, false)
})

const clustersArb = fc.uniqueArray(clusterArb, { selector: (c) => `${c.site}.${c.name}`, minLength: 1, maxLength: 12 })
  .map((list) => list.map((c): ClusterRecord => cluster(`${c.site}.${c.name}`, {
    region: c.region, zone: `${c.region}-${c.name < 'd' ? 'a' : 'b'}`, provider: c.provider, labels: { tier: c.tier },
    fits: c.fits, nodes: c.nodes, health: c.ready ? 'Ready' : 'NotReady',
    taints: c.taint === 'prefer' ? [{ key: 'busy', effect: 'PreferNoSchedule' }] : c.taint === 'hard' ? [{ key: 'maint', effect: 'NoSchedule' }] : []
  })))

const divided = { replicaSchedulingType: 'Divided' }
const weighted = {
  equal: { ...divided },
  static: { ...divided, weightPreference: { staticWeightList: [{ targetCluster: {}, weight: 1 }, { targetCluster: { labelSelector: { matchLabels: { tier: 'gold' } } }, weight: 3 }] } },
  dynamic: { ...divided, weightPreference: { dynamicWeight: 'AvailableReplicas' } }
}

const placements: Record<string, Record<string, unknown>> = {
  duplicated: {},
  duplicatedTop2: { spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 2 }] },
  equal: { replicaScheduling: weighted.equal },
  static: { replicaScheduling: weighted.static },
  dynamic: { replicaScheduling: weighted.dynamic },
  aggregated: { replicaScheduling: { ...divided, replicaDivisionPreference: 'Aggregated' } },
  regions: { spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 2 }], replicaScheduling: weighted.equal },
  affinities: {
    clusterAffinities: [
      { affinityName: 'eu', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } },
      { affinityName: 'gold', labelSelector: { matchLabels: { tier: 'gold' } } },
      { affinityName: 'any' }
    ],
    replicaScheduling: weighted.dynamic
  },
  tolerant: { clusterTolerations: [{ key: 'maint', operator: 'Exists' }], replicaScheduling: weighted.equal }
}

const residencyArb: fc.Arbitrary<Residency> = fc.oneof(
  fc.constant({ kind: 'global' as const }),
  fc.subarray([...REGIONS], { minLength: 1 }).map((regions) => ({ kind: 'regions' as const, regions })),
  fc.constant({ kind: 'local-only' as const })
)

const workloadArb = fc.record({
  replicas: fc.integer({ min: 0, max: 40 }),
  cpu: fc.constantFrom(1, 2),
  residency: residencyArb,
  origin: fc.constantFrom(...SITES),
  name: fc.constantFrom('web', 'api', 'db', 'cache')
}).map((w) => deployment(w.name, { replicas: w.replicas, requests: { cpu: String(w.cpu), memory: '1Gi' }, residency: w.residency, origin: w.origin }))

const policyArb = fc.constantFrom(...Object.keys(placements)).map((k) => ({ kind: k, record: policy('main', { resourceSelectors: selectDeployments, placement: placements[k] }) }))

/** Policies that never win against `main`: a lower-priority cluster policy and one for another kind. */
const decoys: PolicyRecord[] = [
  policy('fallback', { resourceSelectors: selectDeployments, priority: -1, placement: { clusterAffinity: { clusterNames: ['s1.a'] } } }, { kind: 'ClusterPropagationPolicy' }),
  policy('services', { resourceSelectors: [{ apiVersion: 'v1', kind: 'Service' }], placement: {} })
]

function place (w: WorkloadRecord, p: PolicyRecord[], clusters: ClusterRecord[], unavailable: string[] = []) {
  return placeWorkload({ workload: w, policies: p, clusters, unavailable: new Set(unavailable) })
}

/** Independent fit estimate for the fixture clusters: cpu binds, one replica per node slot. */
function fitOf (c: ClusterRecord, cpu: number): number {
  return c.nodeFree.reduce((s, n) => s + Math.floor(n.cpuMilli / (cpu * 1000)), 0)
}

function replicasOf (w: WorkloadRecord): number {
  return w.manifest.spec!['replicas'] as number
}

function cpuOf (w: WorkloadRecord): number {
  const spec = w.manifest.spec as { template: { spec: { containers: Array<{ resources: { requests: { cpu: string } } }> } } }
  return Number(spec.template.spec.containers[0]!.resources.requests.cpu)
}

describe('placement properties', () => {
  it('decides the same whatever the order of clusters and policies', () => {
    fc.assert(fc.property(clustersArb, workloadArb, policyArb, fc.integer(), (clusters, w, p, seed) => {
      const shuffled = <T>(xs: T[]): T[] => {
        const out = [...xs]
        let s = seed >>> 0
        for (let i = out.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0
          const j = s % (i + 1)
          ;[out[i], out[j]] = [out[j]!, out[i]!]
        }
        return out
      }
      const a = place(w, [p.record, ...decoys], clusters, ['s2.a'])
      const b = place(w, shuffled([...decoys, p.record]), shuffled(clusters), ['s2.a'])
      expect(b).toEqual(a)
      // Byte for byte, key order included: sites may hash what they write.
      expect(JSON.stringify(b)).toBe(JSON.stringify(a))
      // The prepared fast path is the same function.
      const view = prepareClusterView(shuffled(clusters), { unavailable: new Set(['s2.a']) })
      expect(placeInView(view, preparePolicies([p.record, ...decoys]), w)).toEqual(a)
    }), RUNS)
  })

  it('never places outside the residency, whatever the policy and fallbacks', () => {
    fc.assert(fc.property(clustersArb, workloadArb, policyArb, (clusters, w, p) => {
      const d = place(w, [p.record], clusters)
      const byId = new Map(clusters.map((c) => [c.id, c]))
      for (const a of d.assignments) {
        const c = byId.get(a.cluster)!
        if (w.residency.kind === 'local-only') expect(c.site).toBe(w.origin)
        if (w.residency.kind === 'regions') expect(w.residency.regions).toContain(c.region)
      }
      if (d.assignments.length === 0 && d.degraded?.code === 'residency') expect(d.degraded.blockedByResidency).toBeGreaterThan(0)
    }), RUNS)
  })

  it('never assigns more replicas to a cluster than fit there', () => {
    fc.assert(fc.property(clustersArb, workloadArb, policyArb, (clusters, w, p) => {
      const d = place(w, [p.record], clusters)
      const byId = new Map(clusters.map((c) => [c.id, c]))
      for (const a of d.assignments) expect(a.replicas).toBeLessThanOrEqual(fitOf(byId.get(a.cluster)!, cpuOf(w)))
      const placed = d.assignments.reduce((s, a) => s + a.replicas, 0)
      if (p.kind !== 'duplicated' && p.kind !== 'duplicatedTop2') expect(placed).toBeLessThanOrEqual(w.manifest.spec!['replicas'] as number)
    }), RUNS)
  })

  it('removing a cluster moves at most the replicas it held (exactly them when the rest has room)', () => {
    const kinds = ['equal', 'static', 'dynamic', 'tolerant', 'duplicated', 'duplicatedTop2', 'aggregated', 'regions', 'affinities']
    const switching = new Set(['regions', 'affinities'])
    let exercised = 0
    const bounded = new Map<string, number>()
    let forced = 0
    fc.assert(fc.property(clustersArb, workloadArb, fc.constantFrom(...kinds), fc.nat(), (clusters, w, kind, pick) => {
      const p = policy('main', { resourceSelectors: selectDeployments, placement: placements[kind] })
      const before = place(w, [p], clusters)
      if (before.assignments.length === 0) return
      const gone = before.assignments[pick % before.assignments.length]!
      const after = place(w, [p], clusters, [gone.cluster])
      const moved = movedReplicas(before.assignments, after.assignments)
      if (kind === 'affinities') {
        // A term that can no longer place the workload hands over to the next one, which
        // divides every replica afresh: Karmada's fallback, not churn. Only then may it switch.
        const termOf = (d: PlacementDecision): number | undefined => d.explanation.terms.find((t) => t.outcome === 'used' || t.outcome === 'best-effort')?.index
        const was = termOf(before)!
        if (termOf(after) !== was) {
          const old = after.explanation.terms[was]!
          expect(old.outcome).toBe('infeasible')
          expect(old.candidates === 0 || old.problems.length > 0).toBe(true)
          forced++
          return
        }
      }
      if (kind === 'regions') {
        // The chosen regions stay while they can hold the replicas; only a region left with
        // no cluster, or regions left short of room, bring another one in, and the
        // replicas are then divided over the new regions' clusters.
        const chosen = (d: PlacementDecision): string[] => (d.explanation.spread[0]?.groups ?? []).filter((g) => g.selected).map((g) => g.value)
        const was = chosen(before)
        const room = new Map((after.explanation.spread[0]?.groups ?? []).map((g) => [g.value, g.capacity]))
        const stillServes = was.every((v) => room.has(v)) && was.reduce((sum, v) => sum + room.get(v)!, 0) >= replicasOf(w)
        if (stillServes) expect(chosen(after)).toEqual(was)
        else if (JSON.stringify(chosen(after)) !== JSON.stringify(was)) { forced++; return }
      }
      if (moved > 0) exercised++
      if (switching.has(kind) || kind === 'aggregated') bounded.set(kind, (bounded.get(kind) ?? 0) + (moved > 0 ? 1 : 0))
      expect(moved).toBeLessThanOrEqual(gone.replicas)
      const isDivided = kind !== 'duplicated' && kind !== 'duplicatedTop2'
      if (isDivided && after.degraded === undefined && before.degraded === undefined) expect(moved).toBe(gone.replicas)
      if (isDivided) {
        // No survivor loses a replica.
        const now = new Map(after.assignments.map((a) => [a.cluster, a.replicas]))
        for (const a of before.assignments) if (a.cluster !== gone.cluster) expect(now.get(a.cluster) ?? 0).toBeGreaterThanOrEqual(a.replicas)
      }
    }), REMOVAL_RUNS)
    // Guard against a vacuous run: most generated cases must actually move replicas under the
    // bound, each new shape among them, and the explicit exclusions must stay the exception.
    expect(exercised).toBeGreaterThan(REMOVAL_RUNS.numRuns / 4)
    for (const kind of ['aggregated', 'regions', 'affinities']) expect(bounded.get(kind) ?? 0).toBeGreaterThan(REMOVAL_RUNS.numRuns / 40)
    expect(forced).toBeLessThan(exercised / 2)
  })

  it('region spread keeps its regions while they can hold the replicas, so a removal moves at most what the removed cluster held', () => {
    // Many regions, many PreferNoSchedule taints and tight room: the shapes where a choice
    // by member taints or by capacity order would swap a region that could still serve.
    const regionClusters = fc.uniqueArray(fc.record({
      site: fc.constantFrom(...SITES), name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), region: fc.constantFrom('eu', 'us', 'ap', 'sa'),
      fits: fc.integer({ min: 1, max: 30 }), prefer: fc.boolean()
    }), { selector: (c) => `${c.site}.${c.name}`, minLength: 3, maxLength: 14 })
      .map((list) => list.map((c) => cluster(`${c.site}.${c.name}`, { region: c.region, fits: c.fits, taints: c.prefer ? [{ key: 'busy', effect: 'PreferNoSchedule' }] : [] })))
    const p = policy('main', { resourceSelectors: selectDeployments, placement: placements['regions'] })
    let kept = 0
    let cut = 0
    fc.assert(fc.property(regionClusters, fc.integer({ min: 1, max: 60 }), fc.constantFrom('web', 'api', 'db'), fc.nat(), (clusters, replicas, name, pick) => {
      const w = deployment(name, { replicas })
      const before = place(w, [p], clusters)
      if (before.assignments.length === 0) return
      const gone = before.assignments[pick % before.assignments.length]!
      const after = place(w, [p], clusters, [gone.cluster])
      const chosen = (d: PlacementDecision): string[] => (d.explanation.spread[0]?.groups ?? []).filter((g) => g.selected).map((g) => g.value)
      const was = chosen(before)
      const room = new Map((after.explanation.spread[0]?.groups ?? []).map((g) => [g.value, g.capacity]))
      if (!was.every((v) => room.has(v)) || was.reduce((sum, v) => sum + room.get(v)!, 0) < replicas) return
      kept++
      if (before.explanation.spread[0]?.selection !== 'all') cut++
      expect(chosen(after)).toEqual(was)
      expect(movedReplicas(before.assignments, after.assignments)).toBeLessThanOrEqual(gone.replicas)
    }), { numRuns: 300, seed: 20240607 })
    expect(kept).toBeGreaterThan(100)
    expect(cut).toBeGreaterThan(50)
  })

  it('region spread takes the best-ranked regions, else the first ones in rank order that hold the replicas, else the roomiest', () => {
    const regionClusters = fc.uniqueArray(fc.record({
      site: fc.constantFrom(...SITES), name: fc.constantFrom('a', 'b', 'c', 'd'), region: fc.constantFrom('eu', 'us', 'ap', 'sa', 'af'), fits: fc.integer({ min: 1, max: 20 })
    }), { selector: (c) => `${c.site}.${c.name}`, minLength: 2, maxLength: 14 })
      .map((list) => list.map((c) => cluster(`${c.site}.${c.name}`, { region: c.region, fits: c.fits })))
    /** Index sets of size k over n, in lexicographic order. */
    const choices = (n: number, k: number): number[][] => k === 0 ? [[]] : n < k ? [] : [...choices(n - 1, k - 1).map((c) => [...c, n - 1]), ...choices(n - 1, k)].sort((a, b) => { for (let i = 0; i < k; i++) if (a[i] !== b[i]) return a[i]! - b[i]!; return 0 })
    const seen = new Set<string>()
    fc.assert(fc.property(regionClusters, fc.integer({ min: 1, max: 80 }), fc.constantFrom(2, 3), fc.constantFrom('web', 'api', 'db'), (clusters, replicas, max, name) => {
      const p = policy('main', { resourceSelectors: selectDeployments, placement: { spreadConstraints: [{ spreadByField: 'region', maxGroups: max }], replicaScheduling: weighted.equal } })
      const d = place(deployment(name, { replicas }), [p], clusters)
      const spread = d.explanation.spread[0]!
      const groups = spread.groups! // in rank order
      if (groups.length <= max) { expect(spread.selection).toBe('all'); return }
      const room = (c: number[]): number => c.reduce((sum, i) => sum + groups[i]!.capacity, 0)
      const fitting = choices(groups.length, max).find((c) => room(c) >= replicas)
      const expected = fitting ?? choices(groups.length, max).reduce((best, c) => room(c) > room(best) ? c : best)
      const selected = groups.flatMap((g, i) => g.selected ? [i] : [])
      seen.add(spread.selection)
      if (fitting !== undefined) {
        expect(selected).toEqual(fitting)
        expect(spread.selection).toBe(fitting.every((i, j) => i === j) ? 'rank' : 'fit')
      } else {
        // Best effort: the most room (ties to the better rank, as the first best in this order).
        expect(room(selected)).toBe(room(expected))
      }
    }), { numRuns: 300, seed: 20240607 })
    expect([...seen].sort()).toEqual(['capacity', 'fit', 'rank'])
  })

  it('adding a cluster moves exactly its new share', () => {
    let exercised = 0
    fc.assert(fc.property(clustersArb, workloadArb, fc.constantFrom('equal', 'static', 'dynamic'), fc.integer({ min: 1, max: 30 }), (clusters, w, kind, fits) => {
      const p = policy('main', { resourceSelectors: selectDeployments, placement: placements[kind] })
      const extra = cluster('new.x', { region: w.residency.kind === 'regions' ? w.residency.regions[0]! : 'eu', fits })
      const withExtra = w.residency.kind === 'local-only' ? cluster(`${w.origin}.x`, { fits }) : extra
      if (clusters.some((c) => c.id === withExtra.id)) return
      const before = place(w, [p], clusters)
      const after = place(w, [p], [...clusters, withExtra])
      const share = after.assignments.find((a) => a.cluster === withExtra.id)?.replicas ?? 0
      if (share > 0) exercised++
      expect(movedReplicas(before.assignments, after.assignments)).toBe(share)
    }), RUNS)
    expect(exercised).toBeGreaterThan(RUNS.numRuns / 4)
  })

  it('treats a removed cluster and an unavailable one alike', () => {
    fc.assert(fc.property(clustersArb, workloadArb, policyArb, fc.nat(), (clusters, w, p, pick) => {
      const gone = clusters[pick % clusters.length]!
      const a = place(w, [p.record], clusters, [gone.id])
      const b = place(w, [p.record], clusters.filter((c) => c !== gone))
      expect(b.assignments).toEqual(a.assignments)
      expect(b.degraded?.code).toBe(a.degraded?.code)
    }), RUNS)
  })
})
