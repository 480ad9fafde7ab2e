/**
 * The emulator as @kubernetes/client-node 2.x sees it: typed clients, KubernetesObjectApi
 * with server-side apply, Watch (events, bookmarks, 410 Expired), and the fault knobs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ApiException, AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, Watch,
  type KubernetesObject, type V1ConfigMap, type V1Deployment, type V1Pod
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uniformNodes } from '../../../sim/kube/model/nodes.ts'
import { startKubeEmulator, type KubeEmulator } from '../../../sim/kube/server/start.ts'
import { deployment } from './support.ts'

const NS = 'default'

function statusOf (e: unknown): { code: number, reason: string, message: string, details?: { causes?: Array<{ field: string, message: string }> } } {
  if (!(e instanceof ApiException)) throw e
  const body = typeof e.body === 'string' ? JSON.parse(e.body) as Record<string, unknown> : e.body as Record<string, unknown>
  return { code: e.code, ...(body as { reason: string, message: string }) }
}

async function failure (p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected the call to fail')
}

/** Polls `check` until it returns a value (not undefined), for at most `ms`. */
async function eventually<T> (check: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await check().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function configMap (name: string, data: Record<string, string>, labels?: Record<string, string>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, ...(labels === undefined ? {} : { labels }) }, data }
}

interface Emulated { emulator: KubeEmulator, kc: KubeConfig, core: CoreV1Api, apps: AppsV1Api, objects: KubernetesObjectApi, dir: string }

async function emulated (options: Parameters<typeof startKubeEmulator>[0] = {}): Promise<Emulated> {
  const dir = mkdtempSync(join(tmpdir(), 'kube-emulator-test-'))
  const emulator = await startKubeEmulator({ kubeconfigPath: join(dir, 'kubeconfig'), ...options })
  const kc = new KubeConfig()
  kc.loadFromFile(join(dir, 'kubeconfig'))
  return { emulator, kc, dir, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), objects: KubernetesObjectApi.makeApiClient(kc) }
}

async function dispose (e: Emulated | undefined): Promise<void> {
  if (e === undefined) return
  await e.emulator.close()
  rmSync(e.dir, { recursive: true, force: true })
}

describe('kube emulator through @kubernetes/client-node', () => {
  let env: Emulated
  beforeAll(async () => {
    env = await emulated({
      bookmarkIntervalMs: 150,
      nodes: uniformNodes({ count: 3, gpuNodes: 1, cpu: 4 }),
      token: 'secret-token'
    })
  })
  afterAll(async () => { await dispose(env) })

  it('writes a kubeconfig that client-node loads and authenticates with', async () => {
    expect(env.kc.getCurrentCluster()?.server).toBe(env.emulator.url)
    const nodes = await env.core.listNode()
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-0', 'node-1', 'node-2'])
    const anonymous = new KubeConfig()
    anonymous.loadFromOptions({
      clusters: [{ name: 'c', server: env.emulator.url, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x'
    })
    expect(statusOf(await failure(anonymous.makeApiClient(CoreV1Api).listNode())).code).toBe(401)
  })

  it('creates, gets, lists by label selector and deletes objects', async () => {
    await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('one', { k: '1' }, { tier: 'a' }) })
    await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('two', { k: '2' }, { tier: 'b', skip: 'yes' }) })
    await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('three', { k: '3' }, { tier: 'c' }) })
    const got = await env.core.readNamespacedConfigMap({ name: 'one', namespace: NS })
    expect(got.data).toEqual({ k: '1' })
    expect(got.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(got.metadata?.resourceVersion)).toBeGreaterThan(0)
    expect(got.metadata?.managedFields?.[0]).toMatchObject({ operation: 'Update' })

    const picked = await env.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'tier in (a,b),!skip' })
    expect(picked.items.map((c) => c.metadata?.name)).toEqual(['one'])
    const byField = await env.core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.name=three' })
    expect(byField.items.map((c) => c.metadata?.name)).toEqual(['three'])
    const paged = await env.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'tier', limit: 2 })
    expect(paged.items).toHaveLength(2)
    expect(paged.metadata?.remainingItemCount).toBe(1)
    const rest = await env.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'tier', limit: 2, _continue: paged.metadata?._continue })
    expect(rest.items.map((c) => c.metadata?.name)).toEqual(['two'])

    expect(statusOf(await failure(env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('one', {}) })))).toMatchObject({ code: 409, reason: 'AlreadyExists' })
    await env.core.deleteNamespacedConfigMap({ name: 'one', namespace: NS })
    expect(statusOf(await failure(env.core.readNamespacedConfigMap({ name: 'one', namespace: NS })))).toMatchObject({
      code: 404, reason: 'NotFound', message: 'configmaps "one" not found'
    })
  })

  it('refuses an update carrying a stale resourceVersion with 409 Conflict', async () => {
    const created = await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('cas', { v: '1' }) })
    await env.core.replaceNamespacedConfigMap({ name: 'cas', namespace: NS, body: { ...created, data: { v: '2' } } })
    const stale = await failure(env.core.replaceNamespacedConfigMap({ name: 'cas', namespace: NS, body: { ...created, data: { v: '3' } } }))
    expect(statusOf(stale)).toMatchObject({ code: 409, reason: 'Conflict' })
    expect(statusOf(stale).message).toMatch(/the object has been modified/)
    expect((await env.core.readNamespacedConfigMap({ name: 'cas', namespace: NS })).data).toEqual({ v: '2' })
  })

  it('rejects an invalid object with 422 and the bad fields', async () => {
    const bad = deployment('Bad_Name') as V1Deployment
    const e = statusOf(await failure(env.apps.createNamespacedDeployment({ namespace: NS, body: bad })))
    expect(e).toMatchObject({ code: 422, reason: 'Invalid' })
    expect(e.details?.causes?.map((c) => c.field)).toEqual(['metadata.name'])
  })

  it('server-side applies: creates, updates, refuses a conflicting manager with 409, and lets force win', async () => {
    const apply = (body: KubernetesObject, manager: string, force = false): Promise<KubernetesObject> =>
      env.objects.patch(body, undefined, undefined, manager, force, PatchStrategy.ServerSideApply)
    const created = await apply(configMap('ssa', { a: '1', b: '1' }), 'flotilla') as V1ConfigMap
    expect(created.data).toEqual({ a: '1', b: '1' })
    expect(created.metadata?.managedFields).toEqual([expect.objectContaining({ manager: 'flotilla', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } })])

    const updated = await apply(configMap('ssa', { a: '2' }), 'flotilla') as V1ConfigMap
    expect(updated.data).toEqual({ a: '2' })
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion))

    const conflict = statusOf(await failure(apply(configMap('ssa', { a: 'theirs' }), 'other')))
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "flotilla": .data.a' })
    expect(conflict.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "flotilla"', field: '.data.a' }])

    const forced = await apply(configMap('ssa', { a: 'theirs' }), 'other', true) as V1ConfigMap
    expect(forced.data).toEqual({ a: 'theirs' })
    const owners = Object.fromEntries((forced.metadata?.managedFields ?? []).map((m) => [m.manager, m.fieldsV1]))
    expect(owners).toEqual({ other: { 'f:data': { 'f:a': {} } } })
  })

  it('watches: events arrive in order, bookmarks come, and an object leaving the selector is a deletion', async () => {
    const list = await env.core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'watched=yes' })
    const seen: Array<{ type: string, name: string, rv: string }> = []
    let done: unknown = 'open'
    const controller = await new Watch(env.kc).watch(`/api/v1/namespaces/${NS}/configmaps`,
      { labelSelector: 'watched=yes', allowWatchBookmarks: true, resourceVersion: list.metadata?.resourceVersion },
      (type, obj: KubernetesObject) => { seen.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '' }) },
      (err) => { done = err })
    await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('w1', { x: '1' }, { watched: 'yes' }) })
    await env.core.patchNamespacedConfigMap({ name: 'w1', namespace: NS, body: [{ op: 'add', path: '/data/y', value: '2' }] })
    await env.core.createNamespacedConfigMap({ namespace: NS, body: configMap('unwatched', { x: '1' }) })
    await env.core.patchNamespacedConfigMap({ name: 'w1', namespace: NS, body: [{ op: 'replace', path: '/metadata/labels/watched', value: 'no' }] })
    await eventually(async () => (seen.some((e) => e.type === 'BOOKMARK') && seen.length >= 4 ? true : undefined))
    controller.abort()
    const changes = seen.filter((e) => e.type !== 'BOOKMARK')
    expect(changes.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1'])
    const rvs = changes.map((e) => Number(e.rv))
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs)
    const bookmark = seen.find((e) => e.type === 'BOOKMARK')
    expect(Number(bookmark?.rv)).toBeGreaterThanOrEqual(rvs[rvs.length - 1] as number)
    await eventually(async () => (done !== 'open' ? true : undefined))
  })

  it('brings a Deployment to Ready with its pods bound to nodes', async () => {
    await env.apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', { replicas: 3, requests: { cpu: '250m', memory: '64Mi' } }) as V1Deployment })
    const ready = await eventually(async () => {
      const d = await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })
      return d.status?.readyReplicas === 3 ? d : undefined
    })
    expect(ready.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True')
    expect(ready.status?.observedGeneration).toBe(1)
    const pods = await env.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' })
    expect(pods.items).toHaveLength(3)
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toMatch(/^node-\d$/)
      expect(p.status?.phase).toBe('Running')
      expect(p.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/)
    }
    const onNode = await env.core.listNamespacedPod({ namespace: NS, fieldSelector: `spec.nodeName=${pods.items[0]?.spec?.nodeName ?? ''}` })
    expect(onNode.items.length).toBeGreaterThan(0)
  })

  it('keeps a Deployment that does not fit Pending and says why', async () => {
    await env.apps.createNamespacedDeployment({ namespace: NS, body: deployment('huge', { replicas: 1, requests: { cpu: '64' } }) as V1Deployment })
    const pod = await eventually(async () => {
      const pods = await env.core.listNamespacedPod({ namespace: NS, labelSelector: 'app=huge' })
      const p = pods.items[0]
      return p?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable') === true ? p : undefined
    })
    expect(pod.status?.phase).toBe('Pending')
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(/^0\/3 nodes are available: 3 Insufficient cpu/)
    const events = await env.core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${pod.metadata?.name ?? ''},reason=FailedScheduling` })
    expect(events.items).toHaveLength(1)
    const d = await env.apps.readNamespacedDeployment({ name: 'huge', namespace: NS })
    expect(d.status?.readyReplicas).toBeUndefined()
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' })
  })

  it('places GPU and vGPU requests on the GPU node only', async () => {
    await env.apps.createNamespacedDeployment({ namespace: NS, body: deployment('cuda', { replicas: 2, requests: { 'nvidia.com/gpu': 2 } }) as V1Deployment })
    await env.apps.createNamespacedDeployment({ namespace: NS, body: deployment('vgpu', { replicas: 2, requests: { 'nvidia.com/gpucores': 30, 'nvidia.com/gpumem': 4096 } }) as V1Deployment })
    const pods = await eventually(async () => {
      const list = await env.core.listNamespacedPod({ namespace: NS, labelSelector: 'app in (cuda,vgpu)' })
      return list.items.length === 4 && list.items.every((p: V1Pod) => p.spec?.nodeName !== undefined) ? list.items : undefined
    })
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(['node-2']))
    const gpuNode = await env.core.readNode({ name: 'node-2' })
    expect(gpuNode.status?.allocatable).toMatchObject({ 'nvidia.com/gpu': '4', 'nvidia.com/gpucores': '400', 'nvidia.com/gpumem': '65536' })
    const snapshot = env.emulator.model.nodes().find((n) => n.name === 'node-2')
    expect(snapshot?.allocated).toMatchObject({ gpu: 4, vgpuCores: 60, vgpuMemoryMiB: 8192 })
  })

  it('loses Deployment readiness when the node NotReady knob is set, and regains it after', async () => {
    await eventually(async () => ((await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).status?.readyReplicas === 3 ? true : undefined))
    await env.emulator.setFault({ notReadyNodes: ['node-0', 'node-1', 'node-2'] })
    const lost = await eventually(async () => {
      const d = await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })
      return d.status?.readyReplicas === undefined ? d : undefined
    })
    expect(lost.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('False')
    const node = await env.core.readNode({ name: 'node-0' })
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown')
    await env.emulator.setFault({ notReadyNodes: [] })
    await eventually(async () => ((await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })).status?.readyReplicas === 3 ? true : undefined))
  })

  it('fails client calls while the API is unreachable (refused or reset) and recovers with nothing lost', async () => {
    const before = await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })
    let watchEnded = false
    const controller = await new Watch(env.kc).watch(`/apis/apps/v1/namespaces/${NS}/deployments`, {}, () => {}, () => { watchEnded = true })

    await env.emulator.setFault({ unreachable: 'refuse' })
    const refused = await failure(env.apps.readNamespacedDeployment({ name: 'web', namespace: NS }))
    expect(refused).not.toBeInstanceOf(ApiException)
    expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused)) + String((refused as Error).cause ?? '')).toMatch(/ECONNREFUSED|fetch failed/)
    await eventually(async () => (watchEnded ? true : undefined))

    await env.emulator.setFault({ unreachable: 'reset' })
    expect(await failure(env.core.listNode())).not.toBeInstanceOf(ApiException)

    await env.emulator.setFault({ unreachable: false })
    const after = await env.apps.readNamespacedDeployment({ name: 'web', namespace: NS })
    expect(after.metadata?.uid).toBe(before.metadata?.uid)
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion)
    controller.abort()
  })

  it('adds latency to every request with the slow knob', async () => {
    await env.emulator.setFault({ latencyMs: 150 })
    const t0 = performance.now()
    await env.core.listNode()
    const slow = performance.now() - t0
    await env.emulator.setFault({ latencyMs: 0 })
    expect(slow).toBeGreaterThanOrEqual(140)
  })
})

describe('kube emulator watch history', () => {
  let env: Emulated | undefined
  afterAll(async () => { await dispose(env) })

  it('answers a watch from a resourceVersion older than the retained history with 410 Expired', async () => {
    env = await emulated({ watchHistorySize: 10, recordEvents: false })
    const { core, kc } = env
    const start = await core.listNamespacedConfigMap({ namespace: NS })
    for (let i = 0; i < 15; i++) await core.createNamespacedConfigMap({ namespace: NS, body: configMap(`c${i}`, { i: String(i) }) })
    const events: Array<{ type: string, code?: number, reason?: string }> = []
    let ended = false
    await new Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: start.metadata?.resourceVersion },
      (type, obj: { code?: number, reason?: string }) => { events.push({ type, code: obj.code, reason: obj.reason }) },
      () => { ended = true })
    await eventually(async () => (ended ? true : undefined))
    expect(events).toEqual([{ type: 'ERROR', code: 410, reason: 'Expired' }])

    // A watch from a recent version still resumes.
    const recent = await core.listNamespacedConfigMap({ namespace: NS })
    const resumed: string[] = []
    const controller = await new Watch(kc).watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: recent.metadata?.resourceVersion },
      (type, obj: KubernetesObject) => { resumed.push(`${type} ${obj.metadata?.name ?? ''}`) }, () => {})
    await core.deleteNamespacedConfigMap({ name: 'c3', namespace: NS })
    await eventually(async () => (resumed.length === 1 ? true : undefined))
    controller.abort()
    expect(resumed).toEqual(['DELETED c3'])
  })
})

describe('kube emulator over TLS', () => {
  let env: Emulated | undefined
  afterAll(async () => { await dispose(env) })

  it('serves HTTPS with a self-signed certificate that the kubeconfig trusts', async () => {
    env = await emulated({ tls: 'self-signed' })
    expect(env.emulator.url).toMatch(/^https:\/\//)
    const nodes = await env.core.listNode()
    expect(nodes.items).toHaveLength(3)
  })
})
