import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { POLICY_API_VERSION } from '../../src/model/policy.ts'
import { validateOverridePolicy, validatePropagationPolicy } from '../../src/schedule/validate.ts'

const pp = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: POLICY_API_VERSION, kind: 'PropagationPolicy', metadata: { name: 'web', namespace: 'shop' }, spec, ...extra
})
const sel = [{ apiVersion: 'apps/v1', kind: 'Deployment' }]
const byPath = (errs: Array<{ path: string, message: string }>) => Object.fromEntries(errs.map((e) => [e.path, e.message]))

describe('PropagationPolicy validation', () => {
  it('accepts a policy using every supported field', () => {
    expect(validatePropagationPolicy(pp({
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] } }],
      priority: 10,
      residency: { regions: ['eu'], localOnly: false },
      failover: { failback: { policy: 'AfterStabilization', stabilizationSeconds: 300 } },
      placement: {
        clusterAffinities: [{ affinityName: 'home', clusterNames: ['eu1.a'], exclude: ['eu1.b'], labelSelector: { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, fieldSelector: { matchExpressions: [{ key: 'site', operator: 'NotIn', values: ['us1'] }] } }, { affinityName: 'any' }],
        clusterTolerations: [{ key: 'maint', operator: 'Exists', effect: 'NoSchedule' }, { key: 'gpu', operator: 'Equal', value: 'only' }, { operator: 'Exists' }],
        spreadConstraints: [{ spreadByField: 'region', minGroups: 2, maxGroups: 3 }, { spreadByField: 'cluster', minGroups: 2, maxGroups: 4 }],
        replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted', weightPreference: { staticWeightList: [{ targetCluster: { clusterNames: ['eu1.a'] }, weight: 2 }] } }
      }
    }))).toEqual([])
  })

  it('reports unknown fields, wrong types and bad enum values with their paths', () => {
    const errs = byPath(validatePropagationPolicy(pp({
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', nmae: 'web' }],
      priority: '5',
      placement: {
        clusterAffinity: { clusterNames: 'eu1.a', fieldSelector: { matchExpressions: [{ key: 'country', operator: 'Is', values: ['x'] }] } },
        replicaScheduling: { replicaSchedulingType: 'Split' },
        preemption: 'Always'
      }
    })))
    expect(errs['spec.resourceSelectors[0].nmae']).toMatch(/unknown field/)
    expect(errs['spec.priority']).toBe('must be an integer: received "5"')
    expect(errs['spec.placement.clusterAffinity.clusterNames']).toMatch(/must be a list/)
    expect(errs['spec.placement.clusterAffinity.fieldSelector.matchExpressions[0].key']).toMatch(/one of provider, region, zone, site/)
    expect(errs['spec.placement.clusterAffinity.fieldSelector.matchExpressions[0].operator']).toMatch(/one of In, NotIn/)
    expect(errs['spec.placement.replicaScheduling.replicaSchedulingType']).toMatch(/Duplicated, Divided: received "Split"/)
    expect(errs['spec.placement.preemption']).toMatch(/unknown field/)
  })

  it('refuses negative or zero weights, minGroups above maxGroups and contradictory fields', () => {
    const errs = byPath(validatePropagationPolicy(pp({
      resourceSelectors: sel,
      placement: {
        clusterAffinity: {},
        clusterAffinities: [{ affinityName: 'a' }, { affinityName: 'a' }],
        spreadConstraints: [{ spreadByField: 'zone', spreadByLabel: 'rack', minGroups: 3, maxGroups: 2 }, { spreadByField: 'region' }, { spreadByField: 'region' }],
        replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { staticWeightList: [{ targetCluster: {}, weight: -1 }], dynamicWeight: 'AvailableReplicas' } }
      }
    })))
    expect(errs['spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight']).toBe('must be >= 1: received -1')
    expect(errs['spec.placement.replicaScheduling.weightPreference.dynamicWeight']).toMatch(/not be set together with staticWeightList/)
    expect(errs['spec.placement.spreadConstraints[0].minGroups']).toBe('must be <= maxGroups (2): received 3')
    expect(errs['spec.placement.spreadConstraints[0].spreadByLabel']).toMatch(/not be set together with spreadByField/)
    expect(errs['spec.placement.spreadConstraints[2]']).toMatch(/duplicates spreadConstraints\[1\]/)
    expect(errs['spec.placement.clusterAffinities']).toMatch(/not be set together with clusterAffinity/)
    expect(errs['spec.placement.clusterAffinities[1].affinityName']).toMatch(/duplicates/)
  })

  it('checks selector operators against their values, tolerations, and group minimums against the cluster limit', () => {
    const errs = byPath(validatePropagationPolicy(pp({
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Exists', values: ['x'] }] } }],
      placement: {
        clusterTolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { value: 'v' }],
        spreadConstraints: [{ spreadByField: 'region', minGroups: 3 }, { spreadByField: 'cluster', maxGroups: 2 }]
      }
    })))
    expect(errs['spec.resourceSelectors[0].labelSelector.matchExpressions[0].values']).toMatch(/at least one value/)
    expect(errs['spec.resourceSelectors[0].labelSelector.matchExpressions[1].values']).toMatch(/must be empty/)
    expect(errs['spec.placement.clusterTolerations[0].value']).toMatch(/empty when operator is Exists/)
    expect(errs['spec.placement.clusterTolerations[1].operator']).toMatch(/must be Exists when key is empty/)
    expect(errs['spec.placement.spreadConstraints']).toMatch(/at least 3 region groups needs at least 3 clusters/)
  })

  it('requires the envelope and scopes the kinds', () => {
    expect(byPath(validatePropagationPolicy({ kind: 'PropagationPolicy', metadata: { name: 'Bad_Name' } }))).toMatchObject({
      apiVersion: 'is required', spec: 'is required', 'metadata.name': expect.stringMatching(/DNS-1123 subdomain/)
    })
    const cpp = { apiVersion: POLICY_API_VERSION, kind: 'ClusterPropagationPolicy', metadata: { name: 'all', namespace: 'x' }, spec: { resourceSelectors: sel } }
    expect(byPath(validatePropagationPolicy(cpp))['metadata.namespace']).toMatch(/cluster-scoped/)
    expect(byPath(validatePropagationPolicy(pp({ resourceSelectors: [] })))['spec.resourceSelectors']).toMatch(/at least 1 item/)
  })

  it('never throws, whatever it is given', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      expect(Array.isArray(validatePropagationPolicy(v))).toBe(true)
      expect(Array.isArray(validateOverridePolicy(v))).toBe(true)
      expect(Array.isArray(validatePropagationPolicy(pp(v as Record<string, unknown>)))).toBe(true)
      expect(Array.isArray(validateOverridePolicy({ ...pp({}), kind: 'OverridePolicy', spec: { overrideRules: [{ overriders: v }] } }))).toBe(true)
    }), { numRuns: 300, seed: 5 })
  })
})

describe('OverridePolicy validation', () => {
  const opol = (spec: Record<string, unknown>) => ({ apiVersion: POLICY_API_VERSION, kind: 'OverridePolicy', metadata: { name: 'o', namespace: 'shop' }, spec })

  it('accepts every overrider', () => {
    expect(validateOverridePolicy(opol({
      resourceSelectors: sel,
      overrideRules: [{
        targetCluster: { fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } },
        overriders: {
          imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'mirror.eu', predicate: { path: '/spec/template/spec/containers/0/image' } }, { component: 'Tag', operator: 'remove' }],
          commandOverrider: [{ containerName: 'main', operator: 'add', value: ['--x'] }],
          argsOverrider: [{ containerName: 'main', operator: 'remove', value: ['--y'] }],
          labelsOverrider: [{ operator: 'add', value: { 'flotilla.io/region': 'eu' } }],
          annotationsOverrider: [{ operator: 'remove', value: { note: '' } }],
          plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 2 }, { path: '/spec/paused', operator: 'remove' }]
        }
      }]
    }))).toEqual([])
  })

  it('reports bad operators, missing or extra values, bad pointers, empty overriders and deprecated fields', () => {
    const errs = byPath(validateOverridePolicy(opol({
      targetCluster: {},
      overrideRules: [{
        overriders: {
          imageOverrider: [{ component: 'Digest', operator: 'add' }, { component: 'Tag', operator: 'remove', value: 'x' }],
          commandOverrider: [{ containerName: 'main', operator: 'replace', value: ['a'] }],
          labelsOverrider: [{ operator: 'add', value: { 'bad key!': 'v' } }],
          plaintext: [{ path: 'spec/replicas', operator: 'replace', value: 1 }, { path: '/spec/x', operator: 'remove', value: 1 }, { path: '/spec/y', operator: 'add' }]
        }
      }, { overriders: {} }]
    })))
    expect(errs['spec.targetCluster']).toMatch(/deprecated in Karmada/)
    expect(errs['spec.overrideRules[0].overriders.imageOverrider[0].component']).toMatch(/Registry, Repository, Tag/)
    expect(errs['spec.overrideRules[0].overriders.imageOverrider[0].value']).toMatch(/required for operator add/)
    expect(errs['spec.overrideRules[0].overriders.imageOverrider[1].value']).toMatch(/empty for operator remove/)
    expect(errs['spec.overrideRules[0].overriders.commandOverrider[0].operator']).toMatch(/one of add, remove/)
    expect(errs['spec.overrideRules[0].overriders.labelsOverrider[0].value.bad key!']).toMatch(/label key/)
    expect(errs['spec.overrideRules[0].overriders.plaintext[0].path']).toMatch(/starting with '\/'/)
    expect(errs['spec.overrideRules[0].overriders.plaintext[1].value']).toMatch(/empty for operator remove/)
    expect(errs['spec.overrideRules[0].overriders.plaintext[2].value']).toMatch(/required for operator add/)
    expect(errs['spec.overrideRules[1].overriders']).toMatch(/at least one overrider/)
  })
})
