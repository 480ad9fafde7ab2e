/**
 * Policies at a site's API over real HTTPS: one that contradicts itself is refused with a
 * 422 that says it cannot be satisfied and lists each field (create, dry run and
 * server-side apply alike, nothing stored); one that is valid but matches no cluster of
 * the view — or has parts that never take effect — is stored and answered with
 * `Warning: 299 - "..."` headers saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerResponse } from 'node:http'
import { setWarnings } from '../../src/api/http.ts'
import { startHarness, type Harness, type Reply } from './support/harness.ts'
import { clusterRecord } from './support/manifests.ts'

const PP = '/apis/policy.flotilla.io/v1alpha1/namespaces/default/propagationpolicies'
const CPP = '/apis/policy.flotilla.io/v1alpha1/clusterpropagationpolicies'
const OP = '/apis/policy.flotilla.io/v1alpha1/namespaces/default/overridepolicies'
const SELECT = [{ apiVersion: 'apps/v1', kind: 'Deployment' }]

function policy (name: string, spec: Record<string, unknown>, kind = 'PropagationPolicy'): Record<string, unknown> {
  return { apiVersion: 'policy.flotilla.io/v1alpha1', kind, metadata: { name }, spec: { resourceSelectors: SELECT, ...spec } }
}

function regionIn (...values: string[]): Record<string, unknown> {
  return { fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values }] } }
}

interface Status { code: number, reason: string, message: string, details: { causes: Array<{ field: string, message: string }> } }

/** The texts of the `Warning` headers (299 - "text"), in order. */
function warnings (r: Reply): string[] {
  const raw = r.headers['warning']
  if (raw === undefined) return []
  const joined = Array.isArray(raw) ? raw.join(', ') : raw
  return joined.split(/,\s*(?=299 )/).map((w) => {
    const m = /^299 - "((?:[^"\\]|\\.)*)"$/.exec(w.trim())
    if (m === null) throw new Error(`not a 299 warning: ${w}`)
    return m[1]!.replace(/\\(.)/g, '$1')
  })
}

describe('policies that cannot be satisfied, and policies that match nothing yet', () => {
  let h: Harness

  beforeAll(async () => {
    h = await startHarness()
    h.site.addSite('ap-east', 'ap-east')
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
    h.site.addCluster(clusterRecord('ap-east', 'c2', 'ap-east'))
  })

  afterAll(async () => { await h.close() })

  const contradictions: Array<{ what: string, path: string, body: Record<string, unknown>, fields: string[], says: RegExp }> = [
    {
      what: 'a spread whose minGroups is above its maxGroups', path: PP,
      body: policy('min-above-max', { placement: { spreadConstraints: [{ spreadByField: 'region', minGroups: 3, maxGroups: 1 }] } }),
      fields: ['spec.placement.spreadConstraints[0].minGroups'], says: /must be <= maxGroups \(1\): received 3/
    },
    {
      what: 'static weights only for a cluster its affinity excludes', path: PP,
      body: policy('weights-excluded', {
        placement: {
          clusterAffinity: { exclude: ['eu-west.c1'] },
          replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['eu-west.c1'] }, weight: 3 }] } }
        }
      }),
      fields: ['spec.placement.replicaScheduling.weightPreference.staticWeightList[0].targetCluster'], says: /no cluster the placement admits gets a weight/
    },
    {
      what: 'static weights only for clusters outside its clusterNames', path: PP,
      body: policy('weights-elsewhere', {
        placement: {
          clusterAffinity: { clusterNames: ['eu-west.c1'] },
          replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted', weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['ap-east.c2'] }, weight: 1 }, { targetCluster: { fieldSelector: { matchExpressions: [{ key: 'site', operator: 'In', values: ['ap-east'] }] } }, weight: 2 }] } }
        }
      }),
      fields: ['spec.placement.replicaScheduling.weightPreference.staticWeightList[0].targetCluster', 'spec.placement.replicaScheduling.weightPreference.staticWeightList[1].targetCluster'],
      says: /outside spec\.placement\.clusterAffinity/
    },
    {
      what: 'duplicated replicas with weights and a division preference', path: PP,
      body: policy('duplicated-weights', { placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated', replicaDivisionPreference: 'Weighted', weightPreference: { dynamicWeight: 'AvailableReplicas' } } } }),
      fields: ['spec.placement.replicaScheduling.replicaDivisionPreference', 'spec.placement.replicaScheduling.weightPreference'], says: /replicaSchedulingType is Duplicated/
    },
    {
      what: 'residency regions the affinity never admits', path: PP,
      body: policy('residency-elsewhere', { residency: { regions: ['eu-west'] }, placement: { clusterAffinity: regionIn('ap-east') } }),
      fields: ['spec.residency.regions'], says: /no region satisfies region In \[ap-east\] and spec\.residency\.regions \[eu-west\]/
    },
    {
      what: 'an affinity that excludes every cluster it names', path: PP,
      body: policy('names-excluded', { placement: { clusterAffinity: { clusterNames: ['eu-west.c1'], exclude: ['eu-west.c1'] } } }),
      fields: ['spec.placement.clusterAffinity.clusterNames'], says: /every cluster it names is also excluded/
    },
    {
      what: 'more cluster groups than the clusters it names', path: PP,
      body: policy('too-few-names', { placement: { clusterAffinity: { clusterNames: ['eu-west.c1', 'ap-east.c2'] }, spreadConstraints: [{ spreadByField: 'cluster', minGroups: 3 }] } }),
      fields: ['spec.placement.spreadConstraints[0].minGroups'], says: /at least 3 cluster groups, but the placement reaches at most 2/
    },
    {
      what: 'selectors of another namespace only', path: PP,
      body: policy('other-namespace', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop' }] }),
      fields: ['spec.resourceSelectors[0].namespace'], says: /selects only objects of that namespace, not of "shop"/
    },
    {
      what: 'a local-only residency spread over two sites', path: CPP,
      body: policy('local-two-sites', { residency: { localOnly: true }, placement: { spreadConstraints: [{ spreadByField: 'site', minGroups: 2 }] } }, 'ClusterPropagationPolicy'),
      fields: ['spec.placement.spreadConstraints[0].minGroups'], says: /localOnly keeps every workload at its origin site/
    },
    {
      what: 'override rules that reach no cluster', path: OP,
      body: {
        apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'OverridePolicy', metadata: { name: 'nowhere' },
        spec: { overrideRules: [{ targetCluster: { fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu-west'] }, { key: 'region', operator: 'In', values: ['ap-east'] }] } }, overriders: { labelsOverrider: [{ operator: 'add', value: { tier: 'x' } }] } }] }
      },
      fields: ['spec.overrideRules[0].targetCluster.fieldSelector'], says: /no region satisfies region In \[eu-west\] and region In \[ap-east\]/
    }
  ]

  for (const c of contradictions) {
    it(`refuses ${c.what} as unsatisfiable, listing each field, and stores nothing`, async () => {
      const before = h.site.writes
      const r = await h.request('POST', c.path, { body: c.body })
      expect(r.status, r.text).toBe(422)
      const status = r.json() as unknown as Status
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 })
      expect(status.message).toContain('is invalid: the policy cannot be satisfied: ')
      expect(status.details.causes.map((x) => x.field)).toEqual(c.fields)
      for (const cause of status.details.causes) expect(cause.message).toMatch(/^cannot be satisfied: /)
      expect(status.details.causes.map((x) => x.message).join('\n')).toMatch(c.says)
      expect(h.site.writes).toBe(before)
      const name = (c.body['metadata'] as { name: string }).name
      expect((await h.request('GET', `${c.path}/${name}`)).status).toBe(404)
    })
  }

  it('refuses a contradictory policy on a dry run and on server-side apply too', async () => {
    const body = contradictions[0]!.body
    const dry = await h.request('POST', `${PP}?dryRun=All`, { body })
    expect(dry.status).toBe(422)
    expect((dry.json() as unknown as Status).message).toContain('cannot be satisfied')
    const applied = await h.request('PATCH', `${PP}/min-above-max?fieldManager=kubectl&force=true`, { body, contentType: 'application/apply-patch+yaml' })
    expect(applied.status, applied.text).toBe(422)
    expect((applied.json() as unknown as Status).details.causes.map((x) => x.field)).toEqual(['spec.placement.spreadConstraints[0].minGroups'])
  })

  it('lists malformed fields and contradictions together, each once', async () => {
    const r = await h.request('POST', PP, {
      body: policy('both-wrong', { placement: { spreadConstraints: [{ spreadByField: 'region', minGroups: 3, maxGroups: 1 }], replicaScheduling: { replicaSchedulingType: 'Sideways' } } })
    })
    expect(r.status).toBe(422)
    const status = r.json() as unknown as Status
    expect(status.details.causes.map((x) => x.field).sort()).toEqual(['spec.placement.replicaScheduling.replicaSchedulingType', 'spec.placement.spreadConstraints[0].minGroups'])
    expect(status.message).not.toContain('the policy cannot be satisfied')
  })

  it('stores a policy that matches no cluster of the view and warns why, naming the clusters it knows', async () => {
    const r = await h.request('POST', PP, { body: policy('us-only', { placement: { clusterAffinity: regionIn('us-east') } }) })
    expect(r.status, r.text).toBe(201)
    expect(warnings(r)).toEqual([
      'no cluster in this site\'s view matches the placement (2 clusters: ap-east.c2: region ap-east is not in [us-east]; eu-west.c1: region eu-west is not in [us-east]); the policy is stored and places workloads once a cluster matches'
    ])
    expect((await h.request('GET', `${PP}/us-only`)).status).toBe(200)
    // The same on a dry run; and nothing to say about a policy that matches.
    const dry = await h.request('POST', `${PP}?dryRun=All`, { body: policy('us-only-dry', { residency: { regions: ['us-east'] } }) })
    expect(dry.status).toBe(201)
    expect(warnings(dry)[0]).toMatch(/^no cluster in this site's view matches the placement \(2 clusters: ap-east\.c2: region ap-east is outside spec\.residency\.regions \[us-east\]/)
    const fine = await h.request('POST', PP, { body: policy('eu-and-ap', { placement: { clusterAffinity: regionIn('eu-west', 'ap-east') } }) })
    expect(fine.status).toBe(201)
    expect(fine.headers['warning']).toBeUndefined()
  })

  it('warns about a spread the matching clusters cannot reach, weights that match none of them, and dead parts', async () => {
    const spread = await h.request('POST', PP, { body: policy('three-regions', { placement: { spreadConstraints: [{ spreadByField: 'region', minGroups: 3 }] } }) })
    expect(spread.status).toBe(201)
    expect(warnings(spread)).toEqual([
      'spec.placement.spreadConstraints[0] asks for at least 3 region groups, but the matching clusters in this site\'s view span 2 (ap-east, eu-west): placements will be degraded until more join'
    ])
    const weights = await h.request('POST', PP, {
      body: policy('weights-unknown', { placement: { replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { staticWeightList: [{ targetCluster: regionIn('us-east'), weight: 2 }] } } } })
    })
    expect(weights.status).toBe(201)
    expect(warnings(weights)).toEqual([expect.stringMatching(/^no entry of spec\.placement\.replicaScheduling\.weightPreference\.staticWeightList matches a cluster the placement admits/)])
    const partly = await h.request('POST', PP, {
      body: policy('partly-dead', {
        resourceSelectors: [...SELECT, { apiVersion: 'v1', kind: 'Secret' }],
        placement: { clusterAffinities: [{ affinityName: 'never', clusterNames: ['eu-west.c1'], exclude: ['eu-west.c1'] }, { affinityName: 'any' }] }
      })
    })
    expect(partly.status, partly.text).toBe(201)
    expect(warnings(partly)).toEqual([
      'spec.resourceSelectors[1].kind selects nothing: Flotilla propagates Deployment, StatefulSet, DaemonSet, Service, ConfigMap, Namespace, Ingress, not Secret',
      'spec.placement.clusterAffinities[0].clusterNames matches no cluster (the other terms still apply): every cluster it names is also excluded (exclude [eu-west.c1])'
    ])
    const never = await h.request('POST', PP, { body: policy('never-back', { failover: { failback: { policy: 'Never', stabilizationSeconds: 300 } } }) })
    expect(never.status, never.text).toBe(201)
    expect(warnings(never)).toEqual(['spec.failover.failback.stabilizationSeconds is never used: with failback policy Never, work does not move back'])
  })

  it('warns about an override rule that reaches no cluster of the view', async () => {
    const r = await h.request('POST', OP, {
      body: {
        apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'OverridePolicy', metadata: { name: 'us-mirror' },
        spec: { overrideRules: [{ targetCluster: regionIn('us-east'), overriders: { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'us.mirror.example.com' }] } }, { overriders: { labelsOverrider: [{ operator: 'add', value: { tier: 'x' } }] } }] }
      }
    })
    expect(r.status, r.text).toBe(201)
    expect(warnings(r)).toEqual(['spec.overrideRules[0].targetCluster matches no cluster in this site\'s view (2 clusters): the rule applies nowhere until one does'])
  })

  it('sends warning texts as quoted, printable header values', () => {
    const headers = new Map<string, unknown>()
    const res = { headersSent: false, setHeader: (k: string, v: unknown) => { headers.set(k, v) } } as unknown as ServerResponse
    setWarnings(res, ['say "hi" \\ there', 'caf\u00e9\nnext', 'x'.repeat(600)])
    const sent = headers.get('Warning') as string[]
    expect(sent[0]).toBe('299 - "say \\"hi\\" \\\\ there"')
    expect(sent[1]).toBe('299 - "caf??next"')
    expect(sent[2]).toBe(`299 - "${'x'.repeat(509)}..."`)
    setWarnings(res, [])
    expect(headers.size).toBe(1)
  })
})
