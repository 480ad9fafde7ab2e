/**
 * The writable kinds the kubectl and client-node suites do not write, through a site's
 * API over real HTTPS as admin: StatefulSet, DaemonSet, Namespace (cluster-scoped),
 * OverridePolicy and ClusterPropagationPolicy, each created, read, updated (with its
 * resourceVersion, and refused with a stale one) and deleted, with the site's view
 * checked after every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workloadKey } from '../../src/model/kube.ts'
import { startHarness, type Harness } from './support/harness.ts'
import { clusterRecord } from './support/manifests.ts'

interface Stored { metadata: { name: string, uid: string, resourceVersion: string, generation: number, annotations?: Record<string, string>, namespace?: string }, spec?: Record<string, unknown> }

function podTemplate (app: string, image: string): Record<string, unknown> {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: app, image }] } }
}

interface Kind {
  kind: string
  /** Collection path (namespaced kinds in `default`). */
  path: string
  object: Record<string, unknown>
  /** The same object with a change to its spec (or labels, for a Namespace). */
  changed: Record<string, unknown>
  /** Reads what `changed` changed from a stored object. */
  probe: (o: Stored & Record<string, unknown>) => unknown
  expected: unknown
}

const POLICY = 'policy.flotilla.io/v1alpha1'

const KINDS: Kind[] = [
  {
    kind: 'StatefulSet', path: '/apis/apps/v1/namespaces/default/statefulsets',
    object: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ledger' }, spec: { serviceName: 'ledger', replicas: 2, selector: { matchLabels: { app: 'ledger' } }, template: podTemplate('ledger', 'postgres:16') } },
    changed: { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ledger' }, spec: { serviceName: 'ledger', replicas: 3, selector: { matchLabels: { app: 'ledger' } }, template: podTemplate('ledger', 'postgres:16') } },
    probe: (o) => o.spec?.['replicas'], expected: 3
  },
  {
    kind: 'DaemonSet', path: '/apis/apps/v1/namespaces/default/daemonsets',
    object: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node-agent' }, spec: { selector: { matchLabels: { app: 'node-agent' } }, template: podTemplate('node-agent', 'agent:1.0') } },
    changed: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node-agent' }, spec: { selector: { matchLabels: { app: 'node-agent' } }, template: podTemplate('node-agent', 'agent:1.1') } },
    probe: (o) => ((o.spec?.['template'] as { spec: { containers: Array<{ image: string }> } }).spec.containers[0]!.image), expected: 'agent:1.1'
  },
  {
    kind: 'Namespace', path: '/api/v1/namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    changed: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { owner: 'payments' } } },
    probe: (o) => (o.metadata as { labels?: Record<string, string> }).labels, expected: { owner: 'payments' }
  },
  {
    kind: 'OverridePolicy', path: `/apis/${POLICY}/namespaces/default/overridepolicies`,
    object: {
      apiVersion: POLICY, kind: 'OverridePolicy', metadata: { name: 'mirror' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger' }], overrideRules: [{ targetCluster: { clusterNames: ['eu-west.c1'] }, overriders: { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'eu.mirror.example.com' }] } }] }
    },
    changed: {
      apiVersion: POLICY, kind: 'OverridePolicy', metadata: { name: 'mirror' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger' }], overrideRules: [{ targetCluster: { clusterNames: ['eu-west.c1'] }, overriders: { imageOverrider: [{ component: 'Registry', operator: 'replace', value: 'eu2.mirror.example.com' }] } }] }
    },
    probe: (o) => ((o.spec?.['overrideRules'] as Array<{ overriders: { imageOverrider: Array<{ value: string }> } }>)[0]!.overriders.imageOverrider[0]!.value), expected: 'eu2.mirror.example.com'
  },
  {
    kind: 'ClusterPropagationPolicy', path: `/apis/${POLICY}/clusterpropagationpolicies`,
    object: { apiVersion: POLICY, kind: 'ClusterPropagationPolicy', metadata: { name: 'everywhere' }, spec: { priority: 1, resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }], placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } } } },
    changed: { apiVersion: POLICY, kind: 'ClusterPropagationPolicy', metadata: { name: 'everywhere' }, spec: { priority: 7, resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }], placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } } } },
    probe: (o) => o.spec?.['priority'], expected: 7
  }
]

function keyOf (k: Kind): string {
  const apiVersion = k.object['apiVersion'] as string
  const name = (k.object['metadata'] as { name: string }).name
  const namespaced = k.kind !== 'Namespace' && k.kind !== 'ClusterPropagationPolicy'
  return workloadKey({ apiVersion, kind: k.kind, metadata: { name, ...(namespaced ? { namespace: 'default' } : {}) } })
}

describe('admin writes every other writable kind', () => {
  let h: Harness

  beforeAll(async () => {
    h = await startHarness()
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
  })

  afterAll(async () => { await h.close() })

  const inView = (k: Kind): { origin: string, generation: number } | undefined => {
    const v = h.site.view()
    return v.workloads.find((w) => w.key === keyOf(k)) ?? v.policies.find((p) => p.key === keyOf(k))
  }

  for (const k of KINDS) {
    it(`creates, gets, updates and deletes a ${k.kind}`, async () => {
      const name = (k.object['metadata'] as { name: string }).name
      const created = await h.request('POST', k.path, { as: 'admin', body: k.object })
      expect(created.status, created.text).toBe(201)
      const c = created.json() as unknown as Stored
      expect(c.metadata).toMatchObject({ name, generation: 1, annotations: { 'flotilla.io/origin': 'eu-west' } })
      expect(inView(k)).toMatchObject({ origin: 'eu-west', generation: 1 })
      expect(created.headers['warning']).toBeUndefined()

      const got = await h.request('GET', `${k.path}/${name}`, { as: 'admin' })
      expect(got.status).toBe(200)
      const g = got.json() as unknown as Stored
      expect(g.metadata.uid).toBe(c.metadata.uid)
      expect(g.metadata.resourceVersion).toBe(c.metadata.resourceVersion)

      const changed = { ...k.changed, metadata: { ...(k.changed['metadata'] as object), resourceVersion: g.metadata.resourceVersion } }
      const updated = await h.request('PUT', `${k.path}/${name}`, { as: 'admin', body: changed })
      expect(updated.status, updated.text).toBe(200)
      const u = updated.json() as unknown as Stored & Record<string, unknown>
      expect(u.metadata).toMatchObject({ uid: c.metadata.uid, generation: 2 })
      expect(Number(u.metadata.resourceVersion)).toBeGreaterThan(Number(c.metadata.resourceVersion))
      expect(k.probe(u)).toEqual(k.expected)
      expect(k.probe((await h.request('GET', `${k.path}/${name}`, { as: 'admin' })).json() as unknown as Stored & Record<string, unknown>)).toEqual(k.expected)
      expect(inView(k)).toMatchObject({ generation: 2 })
      // The resourceVersion read before the update is stale now.
      const stale = await h.request('PUT', `${k.path}/${name}`, { as: 'admin', body: changed })
      expect(stale.status).toBe(409)

      const deleted = await h.request('DELETE', `${k.path}/${name}`, { as: 'admin' })
      expect(deleted.status, deleted.text).toBe(200)
      expect(deleted.json()).toMatchObject({ kind: 'Status', status: 'Success', details: { name, uid: c.metadata.uid } })
      expect(inView(k)).toBeUndefined()
      expect((await h.request('GET', `${k.path}/${name}`, { as: 'admin' })).status).toBe(404)
      expect((await h.request('DELETE', `${k.path}/${name}`, { as: 'admin' })).status).toBe(404)
    })
  }

  it('lists what it created of each kind, cluster-scoped kinds without a namespace', async () => {
    for (const k of KINDS) expect((await h.request('POST', k.path, { as: 'admin', body: k.object })).status).toBe(201)
    for (const k of KINDS) {
      const list = (await h.request('GET', k.path, { as: 'viewer' })).json() as { kind: string, items: Stored[] }
      expect(list.kind).toBe(`${k.kind}List`)
      expect(list.items.map((i) => [i.metadata.name, i.metadata.namespace])).toEqual([[
        (k.object['metadata'] as { name: string }).name, k.kind === 'Namespace' || k.kind === 'ClusterPropagationPolicy' ? undefined : 'default'
      ]])
    }
  })
})
