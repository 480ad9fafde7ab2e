/**
 * The HTTP surface of a site's API beyond what kubectl and client-node exercise:
 * discovery in both forms, Tables, paging, resourceVersions that move only with their
 * object, watch resume and 410, dry runs, all-or-nothing validation, refusals by origin,
 * and the federation status of a workload (placement, draining, degraded, the same ready
 * count as the dashboard's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workloadKey } from '../../src/model/kube.ts'
import { rowOfWorkload } from '../../src/ui/queries/workload-rows.ts'
import { startHarness, type Harness } from './support/harness.ts'
import { clusterRecord, deployment, share } from './support/manifests.ts'

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments'
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'

interface Resource { resource?: string, name?: string, shortNames?: string[], verbs: string[], scope?: string, namespaced?: boolean }

describe('a site\'s API over HTTPS', () => {
  let h: Harness

  beforeAll(async () => {
    h = await startHarness({ api: { watch: { historyLimit: 8 } } })
    h.site.addSite('ap-east', 'ap-east')
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
    h.site.addCluster(clusterRecord('ap-east', 'c2', 'ap-east'))
  })

  afterAll(async () => { await h.close() })

  it('serves discovery: groups, resources with verbs, short names and scope, in the legacy and aggregated forms', async () => {
    const groups = (await h.request('GET', '/apis')).json() as { groups: Array<{ name: string }> }
    expect(groups.groups.map((g) => g.name)).toEqual(['apps', 'networking.k8s.io', 'policy.flotilla.io', 'cluster.flotilla.io'])
    const policy = (await h.request('GET', '/apis/policy.flotilla.io/v1alpha1')).json() as { resources: Resource[] }
    expect(policy.resources.map((r) => [r.name, r.shortNames, r.namespaced])).toEqual([
      ['propagationpolicies', ['pp'], true], ['clusterpropagationpolicies', ['cpp'], false], ['overridepolicies', ['op'], true]
    ])
    const core = (await h.request('GET', '/api/v1')).json() as { resources: Resource[] }
    expect(Object.fromEntries(core.resources.map((r) => [r.name, r.shortNames]))).toEqual({ namespaces: ['ns'], services: ['svc'], configmaps: ['cm'] })
    const flotilla = (await h.request('GET', '/apis/cluster.flotilla.io/v1alpha1')).json() as { resources: Resource[] }
    expect(flotilla.resources.map((r) => [r.name, r.verbs])).toEqual([['clusters', ['get', 'list', 'watch']], ['sites', ['get', 'list', 'watch']]])

    const aggregated = await h.request('GET', '/apis', { accept: AGGREGATED })
    expect(aggregated.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    const items = aggregated.json()['items'] as Array<{ metadata: { name: string }, versions: Array<{ resources: Resource[] }> }>
    const apps = items.find((i) => i.metadata.name === 'apps')?.versions[0]?.resources ?? []
    expect(apps.map((r) => [r.resource, r.scope, r.shortNames])).toEqual([['deployments', 'Namespaced', ['deploy']], ['statefulsets', 'Namespaced', ['sts']], ['daemonsets', 'Namespaced', ['ds']]])
    expect((await h.request('GET', '/api', { accept: AGGREGATED })).json()['items']).toHaveLength(1)
    expect((await h.request('GET', '/openapi/v3')).json()['paths']).toHaveProperty(['apis/policy.flotilla.io/v1alpha1'])
  })

  it('moves an object\'s resourceVersion only when that object changes, and lists at the view\'s version', async () => {
    const a = (await h.request('POST', DEPLOYMENTS, { body: deployment('alpha') })).json() as { metadata: { resourceVersion: string } }
    const b = (await h.request('POST', DEPLOYMENTS, { body: deployment('beta') })).json() as { metadata: { resourceVersion: string } }
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion))
    const again = (await h.request('GET', `${DEPLOYMENTS}/alpha`)).json() as { metadata: { resourceVersion: string } }
    expect(again.metadata.resourceVersion).toBe(a.metadata.resourceVersion)
    // An update that changes nothing writes nothing and keeps the version.
    const writes = h.site.writes
    const same = await h.request('PUT', `${DEPLOYMENTS}/alpha`, { body: { ...deployment('alpha'), metadata: { ...deployment('alpha').metadata, resourceVersion: a.metadata.resourceVersion } } })
    expect(same.status).toBe(200)
    expect(h.site.writes).toBe(writes)
    const list = (await h.request('GET', DEPLOYMENTS)).json() as { metadata: { resourceVersion: string } }
    expect(list.metadata.resourceVersion).toBe(String(h.site.viewVersion()))
  })

  it('stores nothing for an update that changes nothing, even seconds after the create', async () => {
    let wall = Date.UTC(2026, 0, 1)
    const timed = await startHarness({ api: { now: () => wall } })
    try {
      const created = (await timed.request('POST', DEPLOYMENTS, { body: deployment('gamma') })).json() as { metadata: { resourceVersion: string } }
      const writes = timed.site.writes
      wall += 5_000 // managedFields times have one-second resolution
      const same = await timed.request('PUT', `${DEPLOYMENTS}/gamma`, { body: { ...deployment('gamma'), metadata: { ...deployment('gamma').metadata, resourceVersion: created.metadata.resourceVersion } } })
      expect(same.status).toBe(200)
      expect(timed.site.writes).toBe(writes)
      expect((same.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(created.metadata.resourceVersion)
    } finally {
      await timed.close()
    }
  })

  it('lets only one of two concurrent updates carrying the same resourceVersion through', async () => {
    const live = (await h.request('GET', `${DEPLOYMENTS}/alpha`)).json() as { metadata: Record<string, unknown>, spec: Record<string, unknown> }
    h.site.setWriteLatency(30)
    try {
      const [one, two] = await Promise.all([4, 5].map((replicas) => h.request('PUT', `${DEPLOYMENTS}/alpha`, { body: { ...live, spec: { ...live.spec, replicas } } })))
      expect([one?.status, two?.status].sort()).toEqual([200, 409])
    } finally {
      h.site.setWriteLatency(0)
    }
    await h.request('PATCH', `${DEPLOYMENTS}/alpha`, { body: { spec: { replicas: 3 } }, contentType: 'application/merge-patch+json' })
  })

  it('pages lists with limit and continue, and filters by label and field selectors', async () => {
    for (const n of ['p1', 'p2', 'p3']) await h.request('POST', '/api/v1/namespaces/paging/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { n } }, data: {} } })
    const first = (await h.request('GET', '/api/v1/namespaces/paging/configmaps?limit=2')).json() as { items: Array<{ metadata: { name: string } }>, metadata: { continue: string, remainingItemCount: number } }
    expect(first.items.map((i) => i.metadata.name)).toEqual(['p1', 'p2'])
    expect(first.metadata.remainingItemCount).toBe(1)
    const rest = (await h.request('GET', `/api/v1/namespaces/paging/configmaps?limit=2&continue=${first.metadata.continue}`)).json() as { items: Array<{ metadata: { name: string } }>, metadata: Record<string, unknown> }
    expect(rest.items.map((i) => i.metadata.name)).toEqual(['p3'])
    expect(rest.metadata['continue']).toBeUndefined()
    const picked = (await h.request('GET', '/api/v1/configmaps?labelSelector=n%20in%20(p1,p3)&fieldSelector=metadata.name!=p1')).json() as { items: Array<{ metadata: { name: string } }> }
    expect(picked.items.map((i) => i.metadata.name)).toEqual(['p3'])
    expect((await h.request('GET', '/api/v1/configmaps?labelSelector=a%3D%3D%3D')).status).toBe(400)
  })

  it('shows where a workload runs: placement per cluster, draining replicas, degraded, as status and Table columns', async () => {
    const w = h.site.seedWorkload('ap-east', deployment('geo', { replicas: 4 }))
    h.site.change((v) => ({
      ...v,
      workloads: v.workloads.map((x) => (x.key !== w.key ? x : {
        ...x,
        bindings: [{ workload: w.key, placement: [{ cluster: 'eu-west.c1', replicas: 4 }], decidedBy: 'ap-east', generation: 1, inputHeads: 'h', reason: 'ap-east.c2 failed: moved', degraded: 'region ap-east unavailable', decidedAt: 5 }],
        shares: [share(w.key, 'eu-west.c1', 3, 4), share(w.key, 'ap-east.c2', 2)]
      }))
    }))
    const o = (await h.request('GET', `${DEPLOYMENTS}/geo`)).json() as { status: Record<string, unknown> }
    // Ready replicas count wherever they run, the 2 still draining on ap-east.c2 too (aggregateStatus, as on the dashboard).
    expect(o.status).toMatchObject({
      replicas: 4, readyReplicas: 5,
      flotilla: {
        origin: 'ap-east', decidedBy: 'ap-east', degraded: 'ap-east (origin): region ap-east unavailable', reason: 'ap-east.c2 failed: moved', desired: 4, ready: 5,
        placement: [{ cluster: 'ap-east.c2', replicas: 0, ready: 2 }, { cluster: 'eu-west.c1', replicas: 4, ready: 3 }]
      }
    })
    const table = (await h.request('GET', `${DEPLOYMENTS}?labelSelector=app%3Dgeo`, { accept: TABLE })).json() as { columnDefinitions: Array<{ name: string, priority: number }>, rows: Array<{ cells: unknown[], object: { kind: string } }> }
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Origin-Site', 'Placement', 'Ready', 'Age'])
    expect(table.rows[0]?.cells.slice(0, 4)).toEqual(['geo', 'ap-east', 'ap-east.c2=0,eu-west.c1=4', '5/4'])
    expect(table.rows[0]?.cells[6]).toBe('ap-east (origin): region ap-east unavailable')
    expect(table.rows[0]?.object.kind).toBe('PartialObjectMetadata')
  })

  it('reports the ready count the dashboard shows during a failover, with replicas on the old cluster and the new one', async () => {
    const w = h.site.seedWorkload('ap-east', deployment('failing', { replicas: 4 }))
    // The origin's binding still plans ap-east.c2; eu-west failed over to its own c1 and says so
    // in its acting binding. The old cluster still reports 1 of its replicas Ready, the new one 3.
    h.site.change((v) => ({
      ...v,
      workloads: v.workloads.map((x) => (x.key !== w.key ? x : {
        ...x,
        bindings: [
          { workload: w.key, placement: [{ cluster: 'ap-east.c2', replicas: 4 }], decidedBy: 'ap-east', generation: 1, inputHeads: 'h', reason: 'no-binding', decidedAt: 5 },
          { workload: w.key, placement: [{ cluster: 'eu-west.c1', replicas: 4 }], decidedBy: 'eu-west', generation: 1, inputHeads: 'h', reason: 'failover', decidedAt: 9 }
        ],
        shares: [share(w.key, 'ap-east.c2', 1, 4), share(w.key, 'eu-west.c1', 3, 4)]
      }))
    }))
    const o = (await h.request('GET', `${DEPLOYMENTS}/failing`)).json() as { status: { readyReplicas: number, replicas: number, flotilla: { ready: number, desired: number, placement: unknown[] } } }
    const dashboard = rowOfWorkload(h.site.view().workloads.find((x) => x.key === w.key)!).row
    expect(dashboard.ready).toBe(4)
    expect(o.status.readyReplicas).toBe(dashboard.ready)
    expect(o.status.flotilla.ready).toBe(dashboard.ready)
    expect(o.status.flotilla.desired).toBe(dashboard.desired)
    expect(o.status.flotilla.placement).toEqual([{ cluster: 'ap-east.c2', replicas: 4, ready: 1 }, { cluster: 'eu-west.c1', replicas: 4, ready: 3 }])
    const table = (await h.request('GET', `${DEPLOYMENTS}?labelSelector=app%3Dfailing`, { accept: TABLE })).json() as { rows: Array<{ cells: unknown[] }> }
    expect(table.rows[0]?.cells[3]).toBe(`${dashboard.ready}/${dashboard.desired}`)
  })

  it('refuses writes to another site\'s workload with a 403 naming that site, for every write verb', async () => {
    const before = h.site.writes
    const attempts = [
      { method: 'PUT', path: `${DEPLOYMENTS}/geo`, body: deployment('geo', { replicas: 1 }) },
      { method: 'PATCH', path: `${DEPLOYMENTS}/geo`, body: { spec: { replicas: 1 } }, contentType: 'application/merge-patch+json' },
      { method: 'PATCH', path: `${DEPLOYMENTS}/geo?fieldManager=ops`, body: deployment('geo', { replicas: 1 }), contentType: 'application/apply-patch+yaml' },
      { method: 'DELETE', path: `${DEPLOYMENTS}/geo` }
    ]
    for (const a of attempts) {
      const r = await h.request(a.method, a.path, { body: a.body, ...(a.contentType === undefined ? {} : { contentType: a.contentType }) })
      expect(r.status, `${a.method} ${a.path}`).toBe(403)
      expect(r.json()['message']).toContain('deployments.apps "geo" is forbidden: it was created at site "ap-east"')
      expect(r.json()['message']).toContain('Its API: https://ap-east.flotilla.test:6443')
    }
    expect((await h.request('POST', DEPLOYMENTS, { body: deployment('geo') })).json()).toMatchObject({ code: 409, reason: 'AlreadyExists' })
    expect(h.site.writes).toBe(before)
  })

  it('validates a whole object before storing any of it: every bad field in one 422, nothing written', async () => {
    const before = h.site.writes
    const policy = {
      apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'Bad Name', annotations: { 'flotilla.io/residency': 'nowhere' } },
      spec: { resourceSelectors: [{ kind: 'Deployment' }], placement: { replicaScheduling: { replicaSchedulingType: 'Divided', weightPreference: { staticWeightList: [{ targetCluster: {}, weight: 0 }] } } } }
    }
    const r = await h.request('POST', '/apis/policy.flotilla.io/v1alpha1/namespaces/default/propagationpolicies', { body: policy })
    expect(r.status).toBe(422)
    const causes = (r.json()['details'] as { causes: Array<{ field: string }> }).causes.map((c) => c.field)
    expect(causes).toEqual(expect.arrayContaining(['metadata.name', 'spec.resourceSelectors[0].apiVersion', 'spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight']))
    const patch = await h.request('PATCH', `${DEPLOYMENTS}/alpha`, { body: [{ op: 'replace', path: '/spec/replicas', value: -3 }, { op: 'add', path: '/metadata/annotations', value: { 'flotilla.io/residency': 'regions=' } }], contentType: 'application/json-patch+json' })
    expect(patch.status).toBe(422)
    expect((patch.json()['details'] as { causes: Array<{ field: string }> }).causes.map((c) => c.field)).toEqual(['spec.replicas', 'metadata.annotations["flotilla.io/residency"]'])
    expect((await h.request('PATCH', `${DEPLOYMENTS}/alpha`, { body: [{ op: 'test', path: '/spec/replicas', value: 99 }], contentType: 'application/json-patch+json' })).status).toBe(422)
    expect((await h.request('POST', DEPLOYMENTS, { body: 'kind: [unclosed', contentType: 'application/yaml' })).status).toBe(400)
    expect(h.site.writes).toBe(before)
    expect((await h.request('GET', `${DEPLOYMENTS}/alpha`)).json()).toMatchObject({ spec: { replicas: 3 } })
  })

  it('runs dry runs through every check without storing anything', async () => {
    const before = h.site.writes
    const created = await h.request('POST', `${DEPLOYMENTS}?dryRun=All`, { body: deployment('ghost') })
    expect(created.status).toBe(201)
    expect(created.json()).toMatchObject({ metadata: { name: 'ghost', annotations: { 'flotilla.io/origin': 'eu-west' } } })
    expect((await h.request('DELETE', `${DEPLOYMENTS}/alpha?dryRun=All`)).status).toBe(200)
    expect((await h.request('POST', `${DEPLOYMENTS}?dryRun=All`, { body: deployment('Ghost') })).status).toBe(422)
    expect(h.site.writes).toBe(before)
    expect((await h.request('GET', `${DEPLOYMENTS}/ghost`)).status).toBe(404)
    expect((await h.request('GET', `${DEPLOYMENTS}/alpha`)).status).toBe(200)
  })

  it('resumes a watch from a resourceVersion in its history, and answers 410 for one older than it', async () => {
    const start = (await h.request('GET', DEPLOYMENTS)).json() as { metadata: { resourceVersion: string } }
    await h.request('PATCH', `${DEPLOYMENTS}/beta`, { body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json' })
    await h.request('DELETE', `${DEPLOYMENTS}/beta`)
    const resumed = await h.request('GET', `${DEPLOYMENTS}?watch=true&timeoutSeconds=1&resourceVersion=${start.metadata.resourceVersion}`)
    const events = resumed.text.trim().split('\n').map((l) => JSON.parse(l) as { type: string, object: { metadata: { name: string, resourceVersion: string } } })
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED beta', 'DELETED beta'])
    expect(Number(events[1]?.object.metadata.resourceVersion)).toBeGreaterThan(Number(events[0]?.object.metadata.resourceVersion))
    // Each kind keeps its own history (8 to 16 events here): churn in config maps leaves deployment watches alone...
    const cmStart = (await h.request('GET', '/api/v1/configmaps')).json() as { metadata: { resourceVersion: string } }
    for (let i = 0; i < 17; i++) await h.request('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `churn-${i}` }, data: {} } })
    const still = await h.request('GET', `${DEPLOYMENTS}?watch=true&timeoutSeconds=1&resourceVersion=${start.metadata.resourceVersion}`)
    expect(still.text.trim().split('\n')).toHaveLength(2)
    // ...but a config map watch from before the churn can no longer be served.
    const expired = await h.request('GET', `/api/v1/configmaps?watch=true&timeoutSeconds=5&resourceVersion=${cmStart.metadata.resourceVersion}`)
    expect(expired.status).toBe(200)
    expect(JSON.parse(expired.text.trim())).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })
  })

  it('serves the scale subresource that kubectl scale uses', async () => {
    const scale = (await h.request('GET', `${DEPLOYMENTS}/alpha/scale`)).json()
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { selector: 'app=alpha' } })
    const r = await h.request('PATCH', `${DEPLOYMENTS}/alpha/scale`, { body: { spec: { replicas: 6 } }, contentType: 'application/merge-patch+json' })
    expect(r.json()).toMatchObject({ spec: { replicas: 6 } })
    expect(h.site.view().workloads.find((w) => w.key === workloadKey(deployment('alpha')))?.manifest.spec?.['replicas']).toBe(6)
    expect((await h.request('PATCH', `${DEPLOYMENTS}/alpha/scale`, { body: { spec: { replicas: -1 } }, contentType: 'application/merge-patch+json' })).status).toBe(422)
    expect((await h.request('GET', `${DEPLOYMENTS}/alpha/status`)).status).toBe(404)
  })
})
