/**
 * The site's API through @kubernetes/client-node 2.x with the admin kubeconfig:
 * server-side apply of the web stack (policy kind included, resolved through
 * discovery), typed and custom-object reads across origin sites, optimistic
 * concurrency, the patch types, field-manager conflicts, 422 causes, delete, and Watch
 * (ordered events, bookmarks, leaving a selector, 410 for a version it cannot serve).
 */
import {
  ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, Watch,
  type KubernetesObject, type V1Deployment
} from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './support/harness.ts'
import { clusterRecord, deployment, share, WEB_STACK_YAML } from './support/manifests.ts'

interface Failure { code: number, reason: string, message: string, details?: { causes?: Array<{ field: string, message: string }> } }

async function failure (p: Promise<unknown>): Promise<Failure> {
  try {
    await p
  } catch (e) {
    if (!(e instanceof ApiException)) throw e
    const body = typeof e.body === 'string' ? JSON.parse(e.body) as Record<string, unknown> : e.body as Record<string, unknown>
    return { code: e.code, ...(body as Omit<Failure, 'code'>) }
  }
  throw new Error('expected the call to fail')
}

async function eventually (what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('a site\'s API through @kubernetes/client-node', () => {
  let h: Harness
  let kc: KubeConfig
  let apps: AppsV1Api
  let core: CoreV1Api
  let custom: CustomObjectsApi
  let objects: KubernetesObjectApi
  const apply = (body: KubernetesObject, manager = 'client-node', force = false): Promise<KubernetesObject> =>
    objects.patch(body, undefined, undefined, manager, force, PatchStrategy.ServerSideApply)

  beforeAll(async () => {
    h = await startHarness({ api: { watch: { bookmarkIntervalMs: 100 } } })
    h.site.addSite('ap-east', 'ap-east')
    h.site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
    h.site.addCluster(clusterRecord('ap-east', 'c2', 'ap-east', { gpu: 2 }))
    const catalog = h.site.seedWorkload('ap-east', deployment('catalog', { namespace: 'shop', replicas: 2, labels: { tier: 'back' } }))
    h.site.setShares(catalog.key, [share(catalog.key, 'ap-east.c2', 1, 2)])
    kc = new KubeConfig()
    kc.loadFromFile(h.kubeconfig('admin'))
    apps = kc.makeApiClient(AppsV1Api)
    core = kc.makeApiClient(CoreV1Api)
    custom = kc.makeApiClient(CustomObjectsApi)
    objects = KubernetesObjectApi.makeApiClient(kc)
  })

  afterAll(async () => { await h.close() })

  it('server-side applies the Deployment, Service, Ingress and PropagationPolicy', async () => {
    const docs = parseAllDocuments(WEB_STACK_YAML).map((d) => ({ ...d.toJS() as KubernetesObject, metadata: { ...(d.toJS() as KubernetesObject).metadata, namespace: 'default' } }))
    const results = []
    for (const d of docs) results.push(await apply(d))
    expect(results.map((r) => `${r.kind}/${r.metadata?.name} ${r.metadata?.annotations?.['flotilla.io/origin']}`)).toEqual([
      'Deployment/web eu-west', 'Service/web eu-west', 'Ingress/web eu-west', 'PropagationPolicy/web-spread eu-west'
    ])
    expect(results[0]?.metadata?.managedFields?.[0]).toMatchObject({ manager: 'client-node', operation: 'Apply' })
    const policy = await custom.getNamespacedCustomObject({ group: 'policy.flotilla.io', version: 'v1alpha1', namespace: 'default', plural: 'propagationpolicies', name: 'web-spread' }) as KubernetesObject & { spec: { priority: number } }
    expect(policy.spec.priority).toBe(5)
  })

  it('lists workloads of every origin site, by label too, with the placement in status', async () => {
    const all = await apps.listDeploymentForAllNamespaces()
    expect(all.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}@${d.metadata?.annotations?.['flotilla.io/origin']}`)).toEqual(['default/web@eu-west', 'shop/catalog@ap-east'])
    expect(all.items[1]?.status).toMatchObject({ readyReplicas: 1, replicas: 2 })
    // The typed client drops fields it does not know; the raw object carries the federation status.
    const raw = await custom.getNamespacedCustomObject({ group: 'apps', version: 'v1', namespace: 'shop', plural: 'deployments', name: 'catalog' }) as { status: Record<string, unknown> }
    expect(raw.status['flotilla']).toMatchObject({ origin: 'ap-east', placement: [{ cluster: 'ap-east.c2', replicas: 2, ready: 1 }], ready: 1, desired: 2, residency: 'global' })
    expect((await apps.listDeploymentForAllNamespaces({ labelSelector: 'tier in (back)' })).items.map((d) => d.metadata?.name)).toEqual(['catalog'])
    expect((await apps.listNamespacedDeployment({ namespace: 'shop', fieldSelector: 'metadata.name=catalog' })).items).toHaveLength(1)
    const clusters = await custom.listClusterCustomObject({ group: 'cluster.flotilla.io', version: 'v1alpha1', plural: 'clusters' }) as { items: Array<{ metadata: { name: string }, spec: { site: string } }> }
    expect(clusters.items.map((c) => `${c.metadata.name}@${c.spec.site}`)).toEqual(['ap-east.c2@ap-east', 'eu-west.c1@eu-west'])
    const sites = await custom.listClusterCustomObject({ group: 'cluster.flotilla.io', version: 'v1alpha1', plural: 'sites' }) as { items: Array<{ metadata: { name: string }, status: { liveness: string } }> }
    expect(sites.items.map((s) => `${s.metadata.name}:${s.status.liveness}`)).toEqual(['ap-east:unknown', 'eu-west:self'])
  })

  it('refuses a replace carrying a stale resourceVersion with 409, and applies each patch type', async () => {
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: { ...read, spec: { ...read.spec!, replicas: 4 } } })
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion))
    expect(replaced.metadata?.generation).toBe(2)
    const stale = await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: { ...read, spec: { ...read.spec!, replicas: 9 } } }))
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' })
    expect(stale.message).toContain('the object has been modified')

    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] })
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { metadata: { labels: { color: 'blue' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy:1.30' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
    const patched = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(patched.spec?.replicas).toBe(5)
    expect(patched.metadata?.labels).toMatchObject({ app: 'web', color: 'blue' })
    expect(patched.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['web', 'sidecar'])
    expect(h.site.view().workloads.find((w) => w.manifest.metadata.name === 'web')?.manifest.spec?.['replicas']).toBe(5)
  })

  it('reports a conflicting field manager with 409 and lets force take the field', async () => {
    const config = deployment('web', { replicas: 7 }) as KubernetesObject
    const conflict = await failure(apply(config, 'other'))
    expect(conflict.code).toBe(409)
    expect(conflict.message).toMatch(/^Apply failed with \d+ conflicts?: conflict with "/)
    expect(conflict.message).toContain('.spec.replicas')
    const forced = await apply(config, 'other', true) as V1Deployment
    expect(forced.spec?.replicas).toBe(7)
  })

  it('answers an invalid object with 422 listing each bad field, and stores nothing', async () => {
    const writes = h.site.writes
    const bad = deployment('Bad_Name', { replicas: -1 }) as unknown as V1Deployment
    const e = await failure(apps.createNamespacedDeployment({ namespace: 'default', body: bad }))
    expect(e).toMatchObject({ code: 422, reason: 'Invalid' })
    expect(e.details?.causes?.map((c) => c.field)).toEqual(['metadata.name', 'spec.replicas'])
    const wrongKind = await failure(apps.createNamespacedDeployment({ namespace: 'default', body: { ...bad, kind: 'Pod', metadata: { name: 'x' } } as V1Deployment }))
    expect(wrongKind).toMatchObject({ code: 422, reason: 'Invalid' })
    expect(wrongKind.details?.causes?.map((c) => c.field)).toEqual(['kind'])
    expect(h.site.writes).toBe(writes)
  })

  it('watches: ordered events from a listed version, bookmarks, and an object leaving the selector is a deletion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'watched=yes' })
    const seen: Array<{ type: string, name: string, rv: string }> = []
    let ended = false
    const controller = await new Watch(kc).watch('/api/v1/namespaces/default/configmaps',
      { labelSelector: 'watched=yes', allowWatchBookmarks: true, resourceVersion: list.metadata?.resourceVersion },
      (type, obj: KubernetesObject) => { seen.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '' }) },
      () => { ended = true })
    const cm = (name: string, labels: Record<string, string>): KubernetesObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: { k: 'v' } } as KubernetesObject)
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('w1', { watched: 'yes' }) })
    await core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: [{ op: 'add', path: '/data/more', value: '2' }] })
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('unwatched', {}) })
    await core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: [{ op: 'replace', path: '/metadata/labels/watched', value: 'no' }] })
    await eventually('events and then a bookmark', () => seen.findLastIndex((e) => e.type === 'BOOKMARK') > seen.findLastIndex((e) => e.type !== 'BOOKMARK') && seen.filter((e) => e.type !== 'BOOKMARK').length >= 3)
    controller.abort()
    const changes = seen.filter((e) => e.type !== 'BOOKMARK')
    expect(changes.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1'])
    const rvs = changes.map((e) => Number(e.rv))
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs)
    const bookmarks = seen.filter((e) => e.type === 'BOOKMARK')
    expect(Number(bookmarks[bookmarks.length - 1]?.rv)).toBeGreaterThanOrEqual(rvs[rvs.length - 1] as number)
    await eventually('the watch to end', () => ended)

    const future: Array<{ type: string, code?: number, reason?: string }> = []
    let done = false
    await new Watch(kc).watch('/apis/apps/v1/deployments', { resourceVersion: '999999' },
      (type, obj: { code?: number, reason?: string }) => { future.push({ type, code: obj.code, reason: obj.reason }) }, () => { done = true })
    await eventually('the expired watch to end', () => done)
    expect(future).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }])
  })

  it('deletes what this site created, and refuses what another site created with a 403 naming it', async () => {
    const status = await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default' })
    expect(status).toMatchObject({ status: 'Success', details: { name: 'web', kind: 'deployments' } })
    expect((await failure(apps.readNamespacedDeployment({ name: 'web', namespace: 'default' }))).code).toBe(404)
    const refused = await failure(apps.deleteNamespacedDeployment({ name: 'catalog', namespace: 'shop' }))
    expect(refused).toMatchObject({ code: 403, reason: 'Forbidden' })
    expect(refused.message).toContain('created at site "ap-east"')
  })
})
