import { describe, expect, it } from 'vitest'
import { formatExplanation } from '../../src/schedule/format-explanation.ts'
import { placeWorkload } from '../../src/schedule/place.ts'
import { cluster, deployment, policy, pp, selectDeployments } from './fixtures.ts'

const view = [
  cluster('eu1.a', { region: 'eu', fits: 6 }),
  cluster('eu1.b', { region: 'eu', fits: 12 }),
  cluster('eu2.c', { region: 'eu', fits: 18 }),
  cluster('eu2.d', { region: 'eu', taints: [{ key: 'maint', effect: 'NoSchedule' }] }),
  cluster('us1.e', { region: 'us' }),
  cluster('us1.f', { region: 'us', fits: 0 })
]

const dynamic = pp({
  clusterAffinities: [
    { affinityName: 'us-first', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['us'] }] }, exclude: ['us1.e'] },
    { affinityName: 'eu', fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } }
  ],
  replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted', weightPreference: { dynamicWeight: 'AvailableReplicas' } }
})

describe('placement explanation', () => {
  it('accounts for every cluster of the view: chosen with its arithmetic, or filtered with the rule that refused it', () => {
    const d = placeWorkload({ workload: deployment('web', { replicas: 12 }), policies: [dynamic], clusters: view })
    expect(d.explanation.terms).toEqual([
      { index: 0, name: 'us-first', outcome: 'infeasible', candidates: 0, filtered: { affinity: 5, fit: 1 }, problems: ['no cluster passes the filters'] },
      { index: 1, name: 'eu', outcome: 'used', candidates: 3, filtered: { affinity: 2, taint: 1 }, problems: [] }
    ])
    const byId = Object.fromEntries(d.explanation.clusters.map((c) => [c.cluster, c]))
    expect(byId['eu1.a']).toMatchObject({ verdict: 'chosen', replicas: 2, availableReplicas: 6, share: { weight: 6, ideal: 2, cap: 6, floor: 2, remainder: 0, capped: false } })
    expect(byId['eu2.c']).toMatchObject({ verdict: 'chosen', replicas: 6 })
    expect(byId['eu2.d']).toMatchObject({ verdict: 'filtered', rule: 'taint', reason: 'taint maint:NoSchedule is not tolerated' })
    expect(byId['us1.e']).toMatchObject({ verdict: 'filtered', rule: 'affinity', reason: 'affinity term "eu": region us is not in [eu]' })
    expect(d.explanation.arithmetic).toEqual({ method: 'sainte-lague', replicas: 12, placed: 12, totalWeight: 36, capacity: 36 })
    expect(d.explanation.summary).toBe('PropagationPolicy default/pp: Divided, dynamic weights, affinity term "eu"; eu1.a=2 eu1.b=4 eu2.c=6')
    // Plain data: survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)
  })

  it('prints a readable report for the CLI', () => {
    const d = placeWorkload({ workload: deployment('web', { replicas: 12 }), policies: [dynamic], clusters: view })
    const text = formatExplanation(d)
    expect(text).toContain('policy       PropagationPolicy default/pp (matched by kind, priority 0)')
    expect(text).toContain('strategy     Divided, Weighted by available replicas (dynamic)')
    expect(text).toContain('affinity     term 1 "us-first": infeasible (0 candidates; filtered 5 affinity, 1 fit): no cluster passes the filters')
    expect(text).toContain('             term 2 "eu": used (3 candidates; filtered 2 affinity, 1 taint)')
    expect(text).toContain('result       eu1.a=2, eu1.b=4, eu2.c=6')
    expect(text).toMatch(/^eu1\.a\s+eu\s+chosen\s+2\s+6\s+6\s+2\.00\s+0\.\d{4}\s+\d\s*$/m)
    expect(text).toMatch(/^eu2\.d\s+eu\s+filtered\s+-\s+100\s+-\s+-\s+0\.\d{4}\s+-\s+taint: taint maint:NoSchedule is not tolerated$/m)
    expect(text.split('\n').filter((l) => /^(eu|us)\d\./.test(l))).toHaveLength(view.length)
  })

  it('tells a degraded story: residency blocked the only clusters that could run it', () => {
    const d = placeWorkload({
      workload: deployment('web', { residency: { kind: 'regions', regions: ['us'] } }),
      policies: [policy('spread', { resourceSelectors: selectDeployments, placement: {} })],
      clusters: view,
      failedSites: new Set(['us1'])
    })
    expect(d.degraded).toEqual({
      code: 'residency',
      message: 'no cluster inside the residency (regions [us]) can take the workload; 3 clusters outside it could, and residency forbids them',
      blockedByResidency: 3
    })
    const text = formatExplanation(d)
    expect(text).toContain('DEGRADED     residency: no cluster inside the residency')
    expect(text).toContain('residency    regions [us] (from workload)')
    expect(text).toMatch(/^us1\.e\s+us\s+filtered.*site-failed: site us1 has failed$/m)
  })

  it('explains a workload no policy selects', () => {
    const d = placeWorkload({ workload: deployment('web', { namespace: 'other' }), policies: [pp({})], clusters: view })
    expect(d.assignments).toEqual([])
    expect(formatExplanation(d)).toContain('policy       none selects this workload')
    expect(d.explanation.clusters.every((c) => c.rule === 'no-policy')).toBe(true)
  })
})
