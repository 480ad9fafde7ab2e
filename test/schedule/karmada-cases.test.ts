import { describe, expect, it } from 'vitest'
import type { ClusterRecord, PolicyRecord, WorkloadRecord } from '../../src/model/federation.ts'
import { placeWorkload } from '../../src/schedule/place.ts'
import type { DegradedCode, PlacementDecision } from '../../src/schedule/types.ts'
import { binding, cluster, deployment, policy, pp, res, selectDeployments, service, workloadOf } from './fixtures.ts'

interface Case {
  name: string
  clusters: ClusterRecord[]
  workload: WorkloadRecord
  policies: PolicyRecord[]
  unavailable?: string[]
  failedSites?: string[]
  expected: Record<string, number>
  degraded?: DegradedCode
  check?: (d: PlacementDecision) => void
}

const three = [cluster('eu1.a', { region: 'eu', labels: { env: 'prod' } }), cluster('eu1.b', { region: 'eu', labels: { env: 'dev' } }), cluster('us1.c', { region: 'us', provider: 'gcp', zone: 'us-b' })]
const fits = (a: number, b: number, c: number): ClusterRecord[] => [cluster('s1.a', { fits: a }), cluster('s1.b', { fits: b }), cluster('s1.c', { fits: c })]
const verdict = (d: PlacementDecision, id: string) => d.explanation.clusters.find((c) => c.cluster === id)!
const gpuNode = (gpu: number, extra: Partial<Parameters<typeof res>[0]> = {}) => res({ cpuMilli: 64000, memoryBytes: 256 * 2 ** 30, pods: 110, gpu, ...extra })

const cases: Case[] = [
  // --- replica scheduling -------------------------------------------------------------
  {
    name: 'Duplicated is the default: every matching cluster runs the full count',
    clusters: three, workload: deployment('web'), policies: [pp({})],
    expected: { 'eu1.a': 3, 'eu1.b': 3, 'us1.c': 3 }
  },
  {
    name: 'Divided with static weights 1:2 over two clusters splits 9 replicas 3:6',
    clusters: three, workload: deployment('web', { replicas: 9 }),
    policies: [pp({
      clusterAffinity: { clusterNames: ['eu1.a', 'eu1.b'] },
      replicaScheduling: {
        replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted',
        weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['eu1.a'] }, weight: 1 }, { targetCluster: { clusterNames: ['eu1.b'] }, weight: 2 }] }
      }
    })],
    expected: { 'eu1.a': 3, 'eu1.b': 6 },
    check: (d) => {
      expect(verdict(d, 'eu1.b').share).toMatchObject({ weight: 2, ideal: 6, floor: 6, remainder: 0 })
      expect(d.explanation.arithmetic).toMatchObject({ method: 'sainte-lague', totalWeight: 3, placed: 9 })
    }
  },
  {
    name: 'static weights: a cluster no weight rule matches gets nothing (weight 0)',
    clusters: three, workload: deployment('web', { replicas: 4 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { staticWeightList: [{ targetCluster: { fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } }, weight: 1 }] } } })],
    expected: { 'eu1.a': 2, 'eu1.b': 2 },
    check: (d) => expect(verdict(d, 'us1.c')).toMatchObject({ verdict: 'not-selected', rule: 'weight' })
  },
  {
    name: 'dynamic weights by available replicas: clusters fitting 6, 12, 18 share 12 replicas 2:4:6',
    clusters: fits(6, 12, 18), workload: deployment('web', { replicas: 12 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted', weightPreference: { dynamicWeight: 'AvailableReplicas' } } })],
    expected: { 's1.a': 2, 's1.b': 4, 's1.c': 6 },
    check: (d) => {
      expect(verdict(d, 's1.a')).toMatchObject({ availableReplicas: 6, share: { weight: 6, ideal: 2 } })
      expect(d.explanation.arithmetic).toMatchObject({ totalWeight: 36, capacity: 36 })
    }
  },
  {
    name: 'Divided without a weight preference splits equally, remainders by rendezvous rank',
    clusters: [...three, cluster('us1.d', { region: 'us' })], workload: deployment('web', { replicas: 10 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    // Pinned: the remainder seats follow the rendezvous rank, which the check below asserts.
    expected: { 'eu1.a': 3, 'eu1.b': 2, 'us1.c': 3, 'us1.d': 2 },
    check: (d) => {
      // The two extra replicas go to the two best-ranked clusters.
      const ranked = d.explanation.clusters.filter((c) => c.replicas === 3).map((c) => c.score!.rank!)
      expect(ranked.sort()).toEqual([1, 2])
    }
  },
  {
    name: 'Divided never assigns more than fits; the overflow goes to the others',
    clusters: [cluster('s1.a', { fits: 2 }), cluster('s1.b', { fits: 100 })], workload: deployment('web', { replicas: 10 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    expected: { 's1.a': 2, 's1.b': 8 },
    check: (d) => expect(verdict(d, 's1.a').share).toMatchObject({ ideal: 5, cap: 2, capped: true })
  },
  {
    name: 'Divided beyond total capacity places what fits and reports insufficient capacity',
    clusters: fits(1, 2, 2), workload: deployment('web', { replicas: 10 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    expected: { 's1.a': 1, 's1.b': 2, 's1.c': 2 }, degraded: 'insufficient-capacity'
  },
  {
    name: 'Aggregated uses the fewest clusters that fit, largest first',
    clusters: fits(6, 12, 18), workload: deployment('web', { replicas: 10 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' } })],
    expected: { 's1.c': 10 },
    check: (d) => expect(verdict(d, 's1.b')).toMatchObject({ verdict: 'not-selected', rule: 'aggregated' })
  },
  {
    // Karmada shares the aggregated clusters by available replicas (12:8); Flotilla fills them
    // largest first, which keeps a removal from moving more than the removed cluster held.
    name: 'Aggregated over two clusters fills the largest first (18 + 2 for 20)',
    clusters: fits(6, 12, 18), workload: deployment('web', { replicas: 20 }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' } })],
    expected: { 's1.b': 2, 's1.c': 18 },
    check: (d) => {
      expect(d.explanation.arithmetic).toEqual({ method: 'largest-first', replicas: 20, placed: 20, capacity: 30 })
      expect(verdict(d, 's1.c').share).toMatchObject({ weight: 18, cap: 18, capped: true })
      expect(verdict(d, 's1.a')).toMatchObject({ verdict: 'not-selected', rule: 'aggregated' })
    }
  },
  {
    name: 'Duplicated needs the full count to fit in each cluster',
    clusters: fits(2, 3, 5), workload: deployment('web', { replicas: 3 }), policies: [pp({})],
    expected: { 's1.b': 3, 's1.c': 3 },
    check: (d) => expect(verdict(d, 's1.a')).toMatchObject({ verdict: 'filtered', rule: 'fit', availableReplicas: 2 })
  },
  {
    name: 'kinds without replicas are duplicated even under a Divided policy',
    clusters: three, workload: service('web'),
    policies: [policy('svc', { resourceSelectors: [{ apiVersion: 'v1', kind: 'Service' }], placement: { replicaScheduling: { replicaSchedulingType: 'Divided' } } })],
    expected: { 'eu1.a': 1, 'eu1.b': 1, 'us1.c': 1 },
    check: (d) => expect(d.explanation.strategy).toMatchObject({ type: 'Duplicated' })
  },
  {
    name: 'a DaemonSet is duplicated',
    clusters: three, workload: deployment('agent', { kind: 'DaemonSet' }),
    policies: [policy('ds', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }], placement: { replicaScheduling: { replicaSchedulingType: 'Divided' } } })],
    expected: { 'eu1.a': 1, 'eu1.b': 1, 'us1.c': 1 }
  },
  // --- cluster affinity -----------------------------------------------------------------
  {
    name: 'clusterAffinity.clusterNames selects the named clusters',
    clusters: three, workload: deployment('web'), policies: [pp({ clusterAffinity: { clusterNames: ['eu1.a', 'us1.c'] } })],
    expected: { 'eu1.a': 3, 'us1.c': 3 },
    check: (d) => expect(verdict(d, 'eu1.b')).toMatchObject({ verdict: 'filtered', rule: 'affinity', reason: expect.stringMatching(/clusterNames/) })
  },
  {
    name: 'clusterAffinity.exclude removes clusters',
    clusters: three, workload: deployment('web'), policies: [pp({ clusterAffinity: { exclude: ['eu1.b'] } })],
    expected: { 'eu1.a': 3, 'us1.c': 3 }
  },
  {
    name: 'clusterAffinity.labelSelector matches cluster labels',
    clusters: three, workload: deployment('web'),
    policies: [pp({ clusterAffinity: { labelSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] } } })],
    expected: { 'eu1.a': 3 }
  },
  {
    name: 'clusterAffinity.fieldSelector on provider and zone',
    clusters: three, workload: deployment('web'),
    policies: [pp({ clusterAffinity: { fieldSelector: { matchExpressions: [{ key: 'provider', operator: 'In', values: ['gcp'] }, { key: 'zone', operator: 'NotIn', values: ['us-a'] }] } } })],
    expected: { 'us1.c': 3 }
  },
  {
    name: 'clusterAffinities fall back in order: the first term with a feasible placement wins',
    clusters: three, workload: deployment('web'), unavailable: ['us1.c'],
    policies: [pp({
      clusterAffinities: [
        { affinityName: 'primary', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] } },
        { affinityName: 'backup', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } },
        { affinityName: 'last', clusterNames: ['eu1.a'] }
      ]
    })],
    expected: { 'eu1.a': 3, 'eu1.b': 3 },
    check: (d) => expect(d.explanation.terms.map((t) => t.outcome)).toEqual(['infeasible', 'used', 'not-tried'])
  },
  {
    name: 'a fallback term is also taken when the first one cannot fit every replica',
    clusters: [cluster('eu1.a', { region: 'eu', fits: 2 }), cluster('us1.c', { region: 'us', fits: 50 })],
    workload: deployment('web', { replicas: 6 }),
    policies: [pp({
      clusterAffinities: [{ affinityName: 'home', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } }, { affinityName: 'away', clusterNames: ['us1.c'] }],
      replicaScheduling: { replicaSchedulingType: 'Divided' }
    })],
    expected: { 'us1.c': 6 }
  },
  // --- spread constraints ---------------------------------------------------------------
  {
    name: 'spread by region with minGroups 2 / maxGroups 2 picks two of three regions',
    clusters: [cluster('eu1.a', { region: 'eu' }), cluster('eu1.b', { region: 'eu' }), cluster('us1.a', { region: 'us' }), cluster('ap1.a', { region: 'ap' })],
    workload: deployment('web', { replicas: 4 }),
    policies: [pp({
      spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 2 }, { spreadByField: 'cluster', minGroups: 2, maxGroups: 2 }],
      replicaScheduling: { replicaSchedulingType: 'Divided' }
    })],
    // Pinned: regions eu and ap win on their rendezvous score, and eu1.a outranks eu1.b.
    expected: { 'ap1.a': 2, 'eu1.a': 2 },
    check: (d) => {
      const region = d.explanation.spread.find((s) => s.by === 'region')!
      expect(region).toMatchObject({ available: 3, selected: 2, satisfied: true, selection: 'rank' })
      expect(region.groups!.filter((g) => g.selected).map((g) => g.value).sort()).toEqual(['ap', 'eu'])
      expect(verdict(d, 'us1.a')).toMatchObject({ verdict: 'not-selected', rule: 'spread' })
      expect(verdict(d, 'eu1.a').score!.rank).toBeLessThan(verdict(d, 'eu1.b').score!.rank!)
    }
  },
  {
    name: 'spread by region is infeasible with fewer regions than minGroups in every term: the first term is used as best effort and the fallback is infeasible',
    clusters: [cluster('eu1.a', { region: 'eu' }), cluster('eu1.b', { region: 'eu' }), cluster('us1.a', { region: 'us' })],
    unavailable: ['us1.a'], workload: deployment('web', { replicas: 4 }),
    policies: [pp({
      clusterAffinities: [{ affinityName: 'spread' }, { affinityName: 'eu-only', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } }],
      spreadConstraints: [{ spreadByField: 'region', minGroups: 2 }],
      replicaScheduling: { replicaSchedulingType: 'Divided' }
    })],
    // The fallback term has the same spread constraint, so nothing is fully feasible: best effort over eu.
    expected: { 'eu1.a': 2, 'eu1.b': 2 }, degraded: 'spread-unsatisfiable',
    check: (d) => expect(d.explanation.terms.map((t) => t.outcome)).toEqual(['best-effort', 'infeasible'])
  },
  {
    name: 'spread by region: when the best-ranked regions cannot hold the replicas, the first regions in rank order that can are taken',
    clusters: [cluster('eu1.a', { region: 'eu', fits: 10 }), cluster('ap1.a', { region: 'ap', fits: 1 }), cluster('sa1.a', { region: 'sa', fits: 20 }), cluster('us1.a', { region: 'us', fits: 25 })],
    workload: deployment('web', { replicas: 12 }),
    policies: [pp({ spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 2 }], replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    // Rendezvous rank for this workload: eu, ap, sa, us. eu+ap hold 11 of 12; eu+sa is the
    // first pair in rank order that holds them. A choice by capacity alone would be sa+us and
    // drop eu, the best-ranked region, which could still serve.
    expected: { 'eu1.a': 6, 'sa1.a': 6 },
    check: (d) => {
      const region = d.explanation.spread.find((s) => s.by === 'region')!
      expect(region).toMatchObject({ available: 4, selected: 2, satisfied: true, selection: 'fit' })
      expect(region.groups!.map((g) => g.value)).toEqual(['eu', 'ap', 'sa', 'us'])
      expect(verdict(d, 'us1.a')).toMatchObject({ verdict: 'not-selected', rule: 'spread' })
    }
  },
  {
    name: 'spread by cluster with maxGroups keeps the best-ranked clusters (Duplicated)',
    clusters: three, workload: deployment('web'),
    policies: [pp({ spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 1 }] })],
    expected: { 'us1.c': 3 },
    check: (d) => expect(verdict(d, 'us1.c').score!.rank).toBe(1)
  },
  {
    name: 'spread by label groups clusters by a label value',
    clusters: [cluster('a.1', { labels: { rack: 'r1' } }), cluster('a.2', { labels: { rack: 'r1' } }), cluster('a.3', { labels: { rack: 'r2' } }), cluster('a.4')],
    workload: deployment('web', { replicas: 2 }),
    policies: [pp({ spreadConstraints: [{ spreadByLabel: 'rack', minGroups: 2 }, { spreadByField: 'cluster', maxGroups: 2 }], replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    // One cluster per rack first: a.2 is the best of rack r1, a.3 the only one of r2.
    expected: { 'a.2': 1, 'a.3': 1 },
    check: (d) => {
      expect(verdict(d, 'a.2').score!.rank).toBeLessThan(verdict(d, 'a.1').score!.rank!)
      expect(verdict(d, 'a.4')).toMatchObject({ rule: 'spread', reason: expect.stringMatching(/no label rack/) })
    }
  },
  {
    name: 'spread by site with a cluster limit keeps one cluster in each of two sites',
    clusters: [cluster('s1.a'), cluster('s1.b'), cluster('s2.a'), cluster('s2.b'), cluster('s3.a')],
    workload: deployment('web', { replicas: 2 }),
    policies: [pp({ spreadConstraints: [{ spreadByField: 'site', minGroups: 2, maxGroups: 2 }, { spreadByField: 'cluster', maxGroups: 2 }] })],
    // Pinned: sites s1 and s2 win on their rendezvous score; one cluster of each is kept.
    expected: { 's1.a': 2, 's2.a': 2 },
    check: (d) => {
      const sites = d.explanation.spread.find((s) => s.by === 'site')!.groups!.filter((g) => g.selected).map((g) => g.value)
      expect(d.assignments.map((a) => a.cluster.split('.')[0]).sort()).toEqual(sites.sort())
    }
  },
  {
    name: 'spread by zone with fewer zones than minGroups is unsatisfiable: best effort over the zones left',
    clusters: [cluster('s1.a', { zone: 'z1' }), cluster('s1.b', { zone: 'z2' }), cluster('s1.c', { zone: 'z2', provider: 'gcp' })],
    workload: deployment('web', { replicas: 3 }),
    policies: [pp({ spreadConstraints: [{ spreadByField: 'zone', minGroups: 3 }, { spreadByField: 'provider', maxGroups: 1 }], replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    // provider applies first (the wider level): aws wins, leaving zones z1 and z2.
    expected: { 's1.a': 2, 's1.b': 1 }, degraded: 'spread-unsatisfiable',
    check: (d) => {
      expect(d.degraded?.message).toMatch(/spread by zone: 2 groups available, minGroups is 3/)
      expect(verdict(d, 's1.c')).toMatchObject({ rule: 'spread', reason: 'spread by provider: gcp is not among the 1 selected groups' })
    }
  },
  // --- taints and tolerations -----------------------------------------------------------
  {
    name: 'an untolerated NoSchedule or NoExecute taint filters the cluster out',
    clusters: [cluster('s.a', { taints: [{ key: 'maint', effect: 'NoSchedule' }] }), cluster('s.b', { taints: [{ key: 'evict', value: 'yes', effect: 'NoExecute' }] }), cluster('s.c')],
    workload: deployment('web'), policies: [pp({})],
    expected: { 's.c': 3 },
    check: (d) => expect(verdict(d, 's.a')).toMatchObject({ rule: 'taint', reason: 'taint maint:NoSchedule is not tolerated' })
  },
  {
    name: 'tolerations (Equal and Exists) let tainted clusters in',
    clusters: [cluster('s.a', { taints: [{ key: 'gpu', value: 'only', effect: 'NoSchedule' }] }), cluster('s.b', { taints: [{ key: 'evict', value: 'x', effect: 'NoExecute' }] }), cluster('s.c')],
    workload: deployment('web'),
    policies: [pp({ clusterTolerations: [{ key: 'gpu', operator: 'Equal', value: 'only', effect: 'NoSchedule' }, { key: 'evict', operator: 'Exists' }] })],
    expected: { 's.a': 3, 's.b': 3, 's.c': 3 }
  },
  {
    name: 'PreferNoSchedule only lowers preference: the tainted cluster ranks last',
    clusters: [cluster('s.a', { taints: [{ key: 'busy', effect: 'PreferNoSchedule' }] }), cluster('s.b'), cluster('s.c')],
    workload: deployment('web'), policies: [pp({ spreadConstraints: [{ spreadByField: 'cluster', maxGroups: 2 }] })],
    expected: { 's.b': 3, 's.c': 3 },
    check: (d) => expect(verdict(d, 's.a')).toMatchObject({ verdict: 'not-selected', score: { penalty: 1, rank: 3 } })
  },
  // --- resource fit -----------------------------------------------------------------------
  {
    name: 'nvidia.com/gpu per replica must fit on one node',
    clusters: [
      cluster('g.a', { nodeFree: [gpuNode(1), gpuNode(1)] }),
      cluster('g.b', { nodeFree: [gpuNode(2), gpuNode(0)] })
    ],
    workload: deployment('train', { replicas: 1, requests: { cpu: '1', memory: '1Gi' }, limits: { 'nvidia.com/gpu': 2 } }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })],
    expected: { 'g.b': 1 },
    check: (d) => {
      expect(verdict(d, 'g.a')).toMatchObject({ rule: 'fit', availableReplicas: 0 })
      expect(d.explanation.perReplica).toMatchObject({ gpu: 2, cpuMilli: 1000 })
    }
  },
  {
    name: 'vGPU cores and memory bound the replicas per node',
    clusters: [
      cluster('v.a', { nodeFree: [gpuNode(0, { vgpuCores: 100, vgpuMemoryMiB: 16384 })] }),
      cluster('v.b', { nodeFree: [gpuNode(0, { vgpuCores: 300, vgpuMemoryMiB: 8192 })] })
    ],
    workload: deployment('infer', { replicas: 4, requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpucores': 50, 'nvidia.com/gpumem': '4096' } }),
    policies: [pp({ replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { dynamicWeight: 'AvailableReplicas' } } })],
    expected: { 'v.a': 2, 'v.b': 2 },
    check: (d) => {
      expect(verdict(d, 'v.a').availableReplicas).toBe(2) // cores: 100 / 50
      expect(verdict(d, 'v.b').availableReplicas).toBe(2) // memory: 8192 / 4096
    }
  },
  // --- residency ------------------------------------------------------------------------
  {
    name: 'a region-restricted workload lands only in its regions',
    clusters: three, workload: deployment('web', { residency: { kind: 'regions', regions: ['us'] } }), policies: [pp({})],
    expected: { 'us1.c': 3 },
    check: (d) => expect(verdict(d, 'eu1.a')).toMatchObject({ rule: 'residency' })
  },
  {
    name: 'a local-only workload lands only in its origin site',
    clusters: three, workload: deployment('web', { origin: 'us1', residency: { kind: 'local-only' } }), policies: [pp({})],
    expected: { 'us1.c': 3 }
  },
  {
    name: 'no fallback crosses residency: with its region down the workload is degraded, not moved',
    clusters: three, unavailable: ['us1.c'],
    workload: deployment('web', { residency: { kind: 'regions', regions: ['us'] } }),
    policies: [pp({ clusterAffinities: [{ affinityName: 'us', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] } }, { affinityName: 'anywhere' }] })],
    expected: {}, degraded: 'residency',
    check: (d) => {
      expect(d.degraded?.blockedByResidency).toBe(2)
      expect(d.explanation.terms.map((t) => t.outcome)).toEqual(['infeasible', 'best-effort'])
      expect(verdict(d, 'eu1.a')).toMatchObject({ verdict: 'filtered', rule: 'residency' })
    }
  },
  {
    name: 'a policy residency narrows a global workload',
    clusters: three, workload: deployment('web'), policies: [pp({}, { residency: { regions: ['eu'] } })],
    expected: { 'eu1.a': 3, 'eu1.b': 3 },
    check: (d) => expect(d.explanation.residency).toMatchObject({ regions: ['eu'], sources: ['policy'] })
  },
  {
    name: 'a policy cannot widen a workload residency: regions intersect',
    clusters: three, workload: deployment('web', { residency: { kind: 'regions', regions: ['eu'] } }), policies: [pp({}, { residency: { regions: ['us'] } })],
    expected: {}, degraded: 'residency'
  },
  // --- availability -----------------------------------------------------------------------
  {
    name: 'unavailable, failed-site and NotReady clusters are filtered with their reason',
    clusters: [...three, cluster('eu2.z', { region: 'eu', health: 'NotReady' })],
    unavailable: ['eu1.b'], failedSites: ['us1'],
    workload: deployment('web'), policies: [pp({})],
    expected: { 'eu1.a': 3 },
    check: (d) => {
      expect(verdict(d, 'eu1.b').rule).toBe('unavailable')
      expect(verdict(d, 'us1.c').rule).toBe('site-failed')
      expect(verdict(d, 'eu2.z')).toMatchObject({ rule: 'not-ready', reason: 'health is NotReady' })
    }
  },
  {
    name: 'nothing available: degraded with no-feasible-cluster',
    clusters: three, unavailable: ['eu1.a', 'eu1.b', 'us1.c'], workload: deployment('web'), policies: [pp({})],
    expected: {}, degraded: 'no-feasible-cluster'
  },
  // --- policy selection -------------------------------------------------------------------
  {
    name: 'a PropagationPolicy wins over a ClusterPropagationPolicy whatever their priorities',
    clusters: three, workload: deployment('web'),
    policies: [
      policy('cpp', { resourceSelectors: selectDeployments, priority: 100, placement: { clusterAffinity: { clusterNames: ['us1.c'] } } }, { kind: 'ClusterPropagationPolicy' }),
      policy('pp', { resourceSelectors: selectDeployments, placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } })
    ],
    expected: { 'eu1.a': 3 },
    check: (d) => expect(d.policy).toBe('PropagationPolicy/default/pp')
  },
  {
    name: 'explicit priority beats a more specific match',
    clusters: three, workload: deployment('web'),
    policies: [
      policy('by-name', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }], placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } }),
      policy('urgent', { resourceSelectors: selectDeployments, priority: 5, placement: { clusterAffinity: { clusterNames: ['eu1.b'] } } })
    ],
    expected: { 'eu1.b': 3 }
  },
  {
    name: 'at equal priority the most specific match wins: name > labelSelector > kind',
    clusters: three, workload: deployment('web', { labels: { app: 'web', tier: 'front' } }),
    policies: [
      policy('kind', { resourceSelectors: selectDeployments, placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } }),
      policy('label', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { tier: 'front' } } }], placement: { clusterAffinity: { clusterNames: ['eu1.b'] } } }),
      policy('name', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }], placement: { clusterAffinity: { clusterNames: ['us1.c'] } } })
    ],
    expected: { 'us1.c': 3 },
    check: (d) => expect(d.explanation.policy.candidates.map((c) => [c.name, c.matchedBy, c.verdict])).toEqual([
      ['name', 'name', 'selected'], ['label', 'labelSelector', 'outranked'], ['kind', 'kind', 'outranked']])
  },
  {
    name: 'a tie in priority and specificity breaks on the policy name',
    clusters: three, workload: deployment('web'),
    policies: [
      policy('zeta', { resourceSelectors: selectDeployments, placement: { clusterAffinity: { clusterNames: ['eu1.b'] } } }),
      policy('alpha', { resourceSelectors: selectDeployments, placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } })
    ],
    expected: { 'eu1.a': 3 }
  },
  {
    name: 'a PropagationPolicy only selects workloads of its own namespace',
    clusters: three, workload: deployment('web', { namespace: 'shop' }),
    policies: [policy('other-ns', { resourceSelectors: selectDeployments, placement: {} })],
    expected: {},
    check: (d) => {
      expect(d.policy).toBeUndefined()
      expect(d.degraded).toBeUndefined()
      expect(d.explanation.summary).toMatch(/not propagated/)
    }
  },
  {
    name: 'resourceSelector.namespace: a ClusterPropagationPolicy selecting namespace shop places a Deployment of shop',
    clusters: three, workload: deployment('web', { namespace: 'shop' }),
    policies: [
      policy('shop-only', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop' }], placement: { clusterAffinity: { clusterNames: ['us1.c'] } } }, { kind: 'ClusterPropagationPolicy' }),
      policy('staging-only', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'staging' }], priority: 10, placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } }, { kind: 'ClusterPropagationPolicy' })
    ],
    expected: { 'us1.c': 3 },
    check: (d) => {
      expect(d.policy).toBe('ClusterPropagationPolicy/_/shop-only')
      // The higher-priority policy is for another namespace: it is not even a candidate.
      expect(d.explanation.policy.candidates.map((c) => c.name)).toEqual(['shop-only'])
    }
  },
  {
    name: 'resourceSelector.namespace: the same policy leaves a Deployment of another namespace unpropagated',
    clusters: three, workload: deployment('web', { namespace: 'default' }),
    policies: [policy('shop-only', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop' }], placement: {} }, { kind: 'ClusterPropagationPolicy' })],
    expected: {},
    check: (d) => {
      expect(d.policy).toBeUndefined()
      expect(d.degraded).toBeUndefined()
    }
  },
  {
    name: 'an invalid policy is ignored and reported to the workloads it would have selected',
    clusters: three, workload: deployment('web'),
    policies: [
      policy('broken', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }], placement: { spreadConstraints: [{ spreadByField: 'region', minGroups: 3, maxGroups: 1 }] } }),
      policy('fine', { resourceSelectors: selectDeployments, placement: { clusterAffinity: { clusterNames: ['eu1.a'] } } })
    ],
    expected: { 'eu1.a': 3 },
    check: (d) => expect(d.explanation.policy.candidates.find((c) => c.name === 'broken')).toMatchObject({ verdict: 'invalid', note: expect.stringMatching(/minGroups/) })
  },
  {
    name: 'a malformed quantity degrades the workload instead of throwing',
    clusters: three, workload: deployment('web', { requests: { cpu: 'lots' } }), policies: [pp({})],
    expected: {}, degraded: 'invalid-workload'
  },
  {
    name: 'a Namespace (cluster-scoped) is placed by a ClusterPropagationPolicy',
    clusters: three, workload: workloadOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }),
    policies: [policy('ns', { resourceSelectors: [{ apiVersion: 'v1', kind: 'Namespace' }], placement: { clusterAffinity: { clusterNames: ['eu1.a', 'eu1.b'] } } }, { kind: 'ClusterPropagationPolicy' })],
    expected: { 'eu1.a': 1, 'eu1.b': 1 }
  }
]

describe('placement inputs', () => {
  it('refuses a view with two records for one cluster id instead of letting order decide', () => {
    expect(() => placeWorkload({ workload: deployment('web'), policies: [pp({})], clusters: [cluster('s.a'), cluster('s.a', { fits: 3 })] }))
      .toThrow(expect.objectContaining({ code: 'internal' }))
  })

  it('refuses two policy records with one key', () => {
    expect(() => placeWorkload({ workload: deployment('web'), policies: [pp({}), pp({ replicaScheduling: { replicaSchedulingType: 'Divided' } })], clusters: three }))
      .toThrow(expect.objectContaining({ code: 'internal' }))
  })
})

describe('placement follows Karmada semantics', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = placeWorkload({
        workload: c.workload,
        policies: c.policies,
        clusters: c.clusters,
        ...(c.unavailable !== undefined ? { unavailable: new Set(c.unavailable) } : {}),
        ...(c.failedSites !== undefined ? { failedSites: new Set(c.failedSites) } : {})
      })
      expect(binding(d)).toEqual(c.expected)
      expect(d.degraded?.code).toBe(c.degraded)
      expect(d.assignments.map((a) => a.cluster)).toEqual([...d.assignments.map((a) => a.cluster)].sort())
      expect(d.explanation.clusters.map((x) => x.cluster)).toEqual(c.clusters.map((x) => x.id).sort())
      c.check?.(d)
    })
  }
})
