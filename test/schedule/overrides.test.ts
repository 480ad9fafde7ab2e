import { describe, expect, it } from 'vitest'
import type { PolicyRecord } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { applyOverrides } from '../../src/schedule/overrides.ts'
import { cluster, deployment, policy } from './fixtures.ts'

const eu = cluster('eu1.a', { region: 'eu' })
const us = cluster('us1.b', { region: 'us' })

function op (name: string, spec: Record<string, unknown>, namespace = 'default'): PolicyRecord {
  return { ...policy(name, spec, { namespace }), kind: 'OverridePolicy', key: `OverridePolicy/${namespace}/${name}`, object: { ...policy(name, spec, { namespace }).object, kind: 'OverridePolicy' } }
}

function web (image = 'docker.io/library/nginx:1.27'): KubeObject {
  const m = deployment('web', { image }).manifest
  const containers = (m.spec!['template'] as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers
  containers[0]!['command'] = ['nginx', '-g', 'daemon off;']
  containers.push({ name: 'sidecar', image: 'envoyproxy/envoy:v1.30', args: ['--log-level', 'info'] })
  return m
}

function deepFreeze<T> (o: T): T {
  if (typeof o === 'object' && o !== null) { Object.values(o).forEach(deepFreeze); Object.freeze(o) }
  return o
}

const containers = (o: KubeObject) => (o.spec!['template'] as { spec: { containers: Array<Record<string, unknown>> } }).spec.containers
const regionIs = (region: string) => ({ fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: [region] }] } })

const mirrors = op('mirrors', {
  resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
  overrideRules: [
    { targetCluster: regionIs('eu'), overriders: { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'mirror.eu.example.com' }] } },
    { targetCluster: regionIs('us'), overriders: { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'mirror.us.example.com' }] } }
  ]
})

describe('override policies', () => {
  it('rewrites every container image to the mirror of the cluster region', () => {
    const input = deepFreeze(web())
    const atEu = applyOverrides(input, [mirrors], eu)
    expect(containers(atEu.object).map((c) => c['image'])).toEqual(['mirror.eu.example.com/library/nginx:1.27', 'mirror.eu.example.com/envoyproxy/envoy:v1.30'])
    expect(atEu.applied[0]).toEqual({
      policy: 'default/mirrors', rule: 0, overrider: 'imageOverrider', index: 0, operator: 'replace Registry',
      path: '/spec/template/spec/containers/0/image', from: 'docker.io/library/nginx:1.27', to: 'mirror.eu.example.com/library/nginx:1.27'
    })
    const atUs = applyOverrides(input, [mirrors], us)
    expect(containers(atUs.object)[0]!['image']).toBe('mirror.us.example.com/library/nginx:1.27')
    expect(atUs.errors).toEqual([])
    // The input is untouched (it is frozen: a mutation would have thrown) and shares nothing with the output.
    expect(containers(input)[0]!['image']).toBe('docker.io/library/nginx:1.27')
  })

  it('handles registry add and remove, repository replace, and tag add, replace (tag or digest) and remove', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ component: 'Registry', operator: 'add', value: '-cn' }, 'registry.example.com/app/api:2', 'registry.example.com-cn/app/api:2'],
      [{ component: 'Registry', operator: 'remove' }, 'registry.example.com/app/api:2', 'app/api:2'],
      [{ component: 'Registry', operator: 'replace', value: 'localhost:5000' }, 'nginx', 'localhost:5000/nginx'],
      [{ component: 'Repository', operator: 'replace', value: 'team/api' }, 'registry.example.com/app/api:2', 'registry.example.com/team/api:2'],
      [{ component: 'Tag', operator: 'replace', value: '1.28' }, 'nginx:1.27', 'nginx:1.28'],
      [{ component: 'Tag', operator: 'add', value: '-alpine' }, 'nginx:1.27', 'nginx:1.27-alpine'],
      [{ component: 'Tag', operator: 'remove' }, 'nginx:1.27@sha256:' + 'a'.repeat(64), 'nginx'],
      [{ component: 'Tag', operator: 'replace', value: 'sha256:' + 'b'.repeat(64) }, 'localhost:5000/nginx:1.27', 'localhost:5000/nginx@sha256:' + 'b'.repeat(64)]
    ]
    for (const [overrider, from, to] of cases) {
      const p = op('img', { overrideRules: [{ overriders: { imageOverrider: [{ ...overrider, predicate: { path: '/spec/template/spec/containers/0/image' } }] } }] })
      const out = applyOverrides(web(from), [p], eu)
      expect({ overrider, image: containers(out.object)[0]!['image'] }).toEqual({ overrider, image: to })
      expect(containers(out.object)[1]!['image']).toBe('envoyproxy/envoy:v1.30') // the predicate limits it to one container
    }
  })

  it('adds to and removes from a named container command and args', () => {
    const p = op('cmd', {
      overrideRules: [{
        overriders: {
          commandOverrider: [{ containerName: 'main', operator: 'remove', value: ['-g', 'daemon off;'] }, { containerName: 'main', operator: 'add', value: ['-c', '/etc/nginx/eu.conf'] }],
          argsOverrider: [{ containerName: 'sidecar', operator: 'remove', value: ['info'] }, { containerName: 'sidecar', operator: 'add', value: ['debug'] }, { containerName: 'main', operator: 'add', value: ['--verbose'] }]
        }
      }]
    })
    const out = applyOverrides(web(), [p], eu)
    expect(containers(out.object)[0]).toMatchObject({ command: ['nginx', '-c', '/etc/nginx/eu.conf'], args: ['--verbose'] })
    expect(containers(out.object)[1]).toMatchObject({ args: ['--log-level', 'debug'] })
    expect(out.applied.map((a) => `${a.overrider} ${a.operator} ${a.path}`)).toEqual([
      'commandOverrider remove /spec/template/spec/containers/0/command',
      'commandOverrider add /spec/template/spec/containers/0/command',
      'argsOverrider remove /spec/template/spec/containers/1/args',
      'argsOverrider add /spec/template/spec/containers/1/args',
      'argsOverrider add /spec/template/spec/containers/0/args'
    ])
  })

  it('adds, replaces (existing keys only) and removes labels and annotations', () => {
    const obj = web()
    obj.metadata.labels = { app: 'web', tier: 'front' }
    obj.metadata.annotations = { owner: 'shop' }
    const p = op('meta', {
      overrideRules: [{
        overriders: {
          labelsOverrider: [{ operator: 'add', value: { 'flotilla.io/region': 'eu' } }, { operator: 'replace', value: { tier: 'edge', missing: 'x' } }, { operator: 'remove', value: { app: '' } }],
          annotationsOverrider: [{ operator: 'add', value: { 'example.com/mirror': 'eu' } }, { operator: 'remove', value: { owner: '' } }]
        }
      }]
    })
    const out = applyOverrides(obj, [p], eu)
    expect(out.object.metadata.labels).toEqual({ tier: 'edge', 'flotilla.io/region': 'eu' })
    expect(out.object.metadata.annotations).toEqual({ 'example.com/mirror': 'eu' })
    expect(out.applied.find((a) => a.path === '/metadata/labels/flotilla.io~1region')).toMatchObject({ operator: 'add', to: 'eu' })
  })

  it('applies plaintext JSON patches and reports an operation that cannot apply, leaving the object unchanged by it', () => {
    const p = op('plain', {
      overrideRules: [{
        overriders: {
          plaintext: [
            { path: '/spec/replicas', operator: 'replace', value: 5 },
            { path: '/spec/template/spec/containers/0/env', operator: 'add', value: [{ name: 'REGION', value: 'eu' }] },
            { path: '/spec/template/spec/containers/0/env/-', operator: 'add', value: { name: 'MODE', value: 'prod' } },
            { path: '/spec/template/spec/containers/1', operator: 'remove' },
            { path: '/spec/paused', operator: 'replace', value: true }
          ]
        }
      }]
    })
    const out = applyOverrides(web(), [p], eu)
    expect(out.object.spec!['replicas']).toBe(5)
    expect(containers(out.object)).toHaveLength(1)
    expect(containers(out.object)[0]!['env']).toEqual([{ name: 'REGION', value: 'eu' }, { name: 'MODE', value: 'prod' }])
    expect(out.object.spec!['paused']).toBeUndefined()
    expect(out.errors).toEqual([{ policy: 'default/plain', rule: 0, overrider: 'plaintext', index: 4, message: 'path /spec/paused does not exist' }])
  })

  it('applies overriders in Karmada order: image, command, args, labels, annotations, then plaintext', () => {
    const p = op('order', {
      overrideRules: [{
        overriders: {
          plaintext: [{ path: '/spec/template/spec/containers/0/image', operator: 'replace', value: 'final:1' }],
          labelsOverrider: [{ operator: 'add', value: { step: 'labels' } }],
          imageOverrider: [{ component: 'Tag', operator: 'replace', value: '9' }],
          argsOverrider: [{ containerName: 'main', operator: 'add', value: ['a'] }],
          commandOverrider: [{ containerName: 'main', operator: 'add', value: ['c'] }],
          annotationsOverrider: [{ operator: 'add', value: { step: 'annotations' } }]
        }
      }]
    })
    const out = applyOverrides(web(), [p], eu)
    expect(out.applied.map((a) => a.overrider)).toEqual(['imageOverrider', 'imageOverrider', 'commandOverrider', 'argsOverrider', 'labelsOverrider', 'annotationsOverrider', 'plaintext'])
    expect(containers(out.object)[0]!['image']).toBe('final:1')
  })

  it('orders policies from the least to the most specific match, then by name, so the most specific has the last word', () => {
    const tag = (name: string, value: string, selector: Record<string, unknown> | undefined) => op(name, {
      ...(selector !== undefined ? { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', ...selector }] } : {}),
      overrideRules: [{ overriders: { imageOverrider: [{ component: 'Tag', operator: 'replace', value, predicate: { path: '/spec/template/spec/containers/0/image' } }] } }]
    })
    const policies = [
      tag('a-by-name', 'by-name', { name: 'web' }),
      tag('b-by-label', 'by-label', { labelSelector: { matchLabels: { app: 'web' } } }),
      tag('c-all', 'all', undefined),
      tag('d-kind', 'kind', {}),
      tag('e-kind', 'kind-later', {})
    ]
    const out = applyOverrides(web(), policies, eu)
    expect(out.applied.map((a) => a.policy)).toEqual(['default/c-all', 'default/d-kind', 'default/e-kind', 'default/b-by-label', 'default/a-by-name'])
    expect(containers(out.object)[0]!['image']).toBe('docker.io/library/nginx:by-name')
    // Same result whatever the input order.
    expect(applyOverrides(web(), [...policies].reverse(), eu)).toEqual(out)
  })

  it('targets clusters by site too, skips other namespaces and reports invalid policies', () => {
    const bySite = op('site', { overrideRules: [{ targetCluster: { fieldSelector: { matchExpressions: [{ key: 'site', operator: 'In', values: ['us1'] }] } }, overriders: { labelsOverrider: [{ operator: 'add', value: { site: 'us1' } }] } }] })
    const elsewhere = op('elsewhere', { overrideRules: [{ overriders: { labelsOverrider: [{ operator: 'add', value: { wrong: 'ns' } }] } }] }, 'other')
    const broken = op('broken', { overrideRules: [{ overriders: { imageOverrider: [{ component: 'Registry', operator: 'swap' }] } }] })
    const atUs = applyOverrides(web(), [bySite, elsewhere, broken], us)
    expect(atUs.object.metadata.labels).toEqual({ app: 'web', site: 'us1' })
    expect(atUs.errors).toHaveLength(1)
    expect(atUs.errors[0]).toMatchObject({ policy: 'default/broken', rule: -1, message: expect.stringMatching(/operator must be one of add, remove, replace/) })
    expect(applyOverrides(web(), [bySite], eu).applied).toEqual([])
  })

  it('reports an image it cannot parse or a rewrite that leaves no name, and applies nothing of that overrider', () => {
    const p = op('bad', { overrideRules: [{ overriders: { imageOverrider: [{ component: 'Repository', operator: 'remove' }] } }] })
    const out = applyOverrides(web(), [p], eu)
    expect(containers(out.object)[0]!['image']).toBe('docker.io/library/nginx:1.27')
    expect(out.errors[0]!.message).toMatch(/no image name/)
  })
})
