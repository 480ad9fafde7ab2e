/**
 * The emulator's REST surface at the HTTP level: discovery documents, Tables, patch
 * content types, subresources, dry runs, collection deletes, watch streams (initial
 * events, single object, timeoutSeconds) and the admin endpoints, with the Status codes a
 * kube-apiserver returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKubeEmulator, type KubeEmulator } from '../../../sim/kube/server/start.ts'
import { deployment } from './support.ts'

let emu: KubeEmulator

async function call (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number, json: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

/** Reads watch lines until `stop` says enough or the stream ends; aborts after `ms`. */
async function watchLines (path: string, stop: (lines: Array<Record<string, unknown>>) => boolean, ms = 3_000): Promise<{ lines: Array<Record<string, unknown>>, ended: boolean }> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), ms)
  const lines: Array<Record<string, unknown>> = []
  let ended = false
  try {
    const res = await fetch(`${emu.url}${path}`, { signal: controller.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) { ended = true; break }
      buffer += decoder.decode(value, { stream: true })
      let nl
      while ((nl = buffer.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>)
        buffer = buffer.slice(nl + 1)
      }
      if (stop(lines)) break
    }
    controller.abort()
  } catch (e) {
    if (!controller.signal.aborted) throw e
  } finally {
    clearTimeout(timer)
  }
  return { lines, ended }
}

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json'

beforeAll(async () => { emu = await startKubeEmulator({ bookmarkIntervalMs: 100 }) })
afterAll(async () => { await emu.close() })

describe('kube emulator HTTP API', () => {
  it('serves discovery documents for the core group and named groups', async () => {
    const version = await call('GET', '/version')
    expect(version.json).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.0' })
    expect((await call('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] })
    const groups = (await call('GET', '/apis')).json['groups'] as Array<{ name: string }>
    expect(groups.map((g) => g.name)).toEqual(['apps', 'networking.k8s.io'])
    const apps = (await call('GET', '/apis/apps/v1')).json
    const names = (apps['resources'] as Array<{ name: string }>).map((r) => r.name)
    expect(names).toEqual(['deployments', 'deployments/status', 'deployments/scale', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status'])
    const core = (await call('GET', '/api/v1')).json['resources'] as Array<Record<string, unknown>>
    expect(core.find((r) => r['name'] === 'pods')).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'] })
    expect(core.find((r) => r['name'] === 'nodes')).toMatchObject({ kind: 'Node', namespaced: false })
    expect((await call('GET', '/apis/batch/v1')).status).toBe(404)
    const openapi = (await call('GET', '/openapi/v3')).json['paths'] as Record<string, unknown>
    expect(Object.keys(openapi)).toEqual(['api/v1', 'apis/apps/v1', 'apis/networking.k8s.io/v1'])
  })

  it('answers unknown resources with 404 and unsupported methods with 405', async () => {
    const unknown = await call('GET', '/apis/apps/v1/namespaces/default/replicasets')
    expect(unknown.status).toBe(404)
    expect(unknown.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 })
    const post = await call('POST', '/api/v1/namespaces/default/configmaps/x', {})
    expect(post.status).toBe(405)
    expect(post.json['reason']).toBe('MethodNotAllowed')
  })

  it('prints Tables with the columns kubectl shows when asked for them', async () => {
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('tab', { replicas: 2 }))
    emu.model.settle()
    const table = (await call('GET', '/apis/apps/v1/namespaces/default/deployments', undefined, { Accept: TABLE })).json
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' })
    const columns = (table['columnDefinitions'] as Array<{ name: string, priority: number }>).filter((c) => c.priority === 0).map((c) => c.name)
    expect(columns).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age'])
    const rows = table['rows'] as Array<{ cells: unknown[], object: Record<string, unknown> }>
    expect(rows[0]?.cells.slice(0, 4)).toEqual(['tab', '2/2', 2, 2])
    expect(rows[0]?.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tab' } })
    const nodes = (await call('GET', '/api/v1/nodes', undefined, { Accept: TABLE })).json
    expect((nodes['rows'] as Array<{ cells: unknown[] }>).map((r) => r.cells.slice(0, 3))).toEqual([['node-0', 'Ready', '<none>'], ['node-1', 'Ready', '<none>'], ['node-2', 'Ready', '<none>']])
  })

  it('applies strategic merge, merge and JSON patches by content type, and refuses unknown ones with 415', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/tab'
    const smp = await call('PATCH', path, { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'A', value: '1' }] }] } } } }, { 'Content-Type': 'application/strategic-merge-patch+json' })
    expect(smp.status).toBe(200)
    const container = ((((smp.json['spec'] as Record<string, unknown>)['template'] as Record<string, unknown>)['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, unknown>>)[0]
    expect(container).toMatchObject({ name: 'main', image: 'nginx:1.27', env: [{ name: 'A', value: '1' }] })
    expect((smp.json['metadata'] as Record<string, unknown>)['generation']).toBe(2)
    const merge = await call('PATCH', path, { metadata: { labels: { extra: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' })
    expect((merge.json['metadata'] as Record<string, unknown>)['labels']).toEqual({ app: 'tab', extra: 'yes' })
    expect((merge.json['metadata'] as Record<string, unknown>)['generation']).toBe(2)
    const json = await call('PATCH', path, [{ op: 'test', path: '/spec/replicas', value: 99 }], { 'Content-Type': 'application/json-patch+json' })
    expect(json.status).toBe(422)
    const bad = await call('PATCH', path, {}, { 'Content-Type': 'text/plain' })
    expect(bad.status).toBe(415)
    expect(bad.json['reason']).toBe('UnsupportedMediaType')
  })

  it('serves the scale and status subresources', async () => {
    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/tab/scale')
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 2 }, status: { selector: 'app=tab' } })
    const put = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/tab/scale', { ...scale.json, spec: { replicas: 3 } })
    expect(put.status).toBe(200)
    const status = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/tab/status', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'tab' }, spec: { replicas: 100 }, status: { replicas: 42 }
    })
    expect((status.json['spec'] as Record<string, unknown>)['replicas']).toBe(3)
    expect((status.json['status'] as Record<string, unknown>)['replicas']).toBe(42)
  })

  it('does not persist a dry run, and deletes a collection by label selector', async () => {
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: {} })
    expect(dry.status).toBe(201)
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404)
    for (const [name, group] of [['g1', 'x'], ['g2', 'x'], ['g3', 'y']]) {
      await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { group } } })
    }
    const deleted = await call('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=group%3Dx')
    expect((deleted.json['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['g1', 'g2'])
    const left = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=group')
    expect((left.json['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name)).toEqual(['g3'])
  })

  it('streams a watch: current objects first, then changes, ending at timeoutSeconds', async () => {
    const started = Date.now()
    const { lines, ended } = await watchLines('/api/v1/namespaces/default/configmaps?watch=1&labelSelector=group&timeoutSeconds=1', () => false)
    expect(ended).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(lines.map((l) => `${String(l['type'])} ${String((l['object'] as { metadata: { name: string } }).metadata.name)}`)).toEqual(['ADDED g3'])
  })

  it('watches one object through the legacy /watch/ path, with initial-events-end bookmarks on request', async () => {
    const pending = watchLines('/api/v1/watch/namespaces/default/configmaps/g3?allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      (lines) => lines.some((l) => l['type'] === 'MODIFIED'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    await call('PATCH', '/api/v1/namespaces/default/configmaps/g3', { data: { k: 'v' } }, { 'Content-Type': 'application/merge-patch+json' })
    await call('PATCH', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', { metadata: { labels: { touched: 'yes' } } }, { 'Content-Type': 'application/merge-patch+json' })
    const { lines } = await pending
    const types = lines.map((l) => l['type'])
    expect(types[0]).toBe('ADDED')
    expect(lines.find((l) => l['type'] === 'BOOKMARK')?.['object']).toMatchObject({ metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } })
    const changed = lines.filter((l) => l['type'] === 'MODIFIED').map((l) => (l['object'] as { metadata: { name: string } }).metadata.name)
    expect(changed).toEqual(['g3'])
  })

  it('watches in Table form for kubectl get -w, with column definitions on the first event only', async () => {
    const { lines } = await (async () => {
      const res = fetch(`${emu.url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1`, { headers: { Accept: TABLE } })
      const text = await (await res).text()
      return { lines: text.trim().split('\n').map((l) => JSON.parse(l) as { type: string, object: Record<string, unknown> }) }
    })()
    expect(lines.map((l) => l.type)).toEqual(['ADDED', 'ADDED'])
    expect(lines.map((l) => ((l.object['rows'] as Array<{ cells: unknown[] }>)[0]?.cells[0]))).toEqual(['g3', 'kube-root-ca.crt'])
    expect((lines[0]?.object['columnDefinitions'] as Array<{ name: string }>).map((c) => c.name)).toEqual(['Name', 'Data', 'Age'])
    expect(lines[1]?.object['columnDefinitions']).toBeNull()
  })

  it('serves admin endpoints: snapshot, nodes and faults', async () => {
    const admin = emu.adminUrl as string
    const snapshot = await (await fetch(`${admin}/_emulator/snapshot`)).json() as { nodes: Array<{ name: string }>, workloads: Array<{ name: string, ready: number }> }
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['node-0', 'node-1', 'node-2'])
    expect(snapshot.workloads.find((w) => w.name === 'tab')).toMatchObject({ ready: 3 })
    const added = await fetch(`${admin}/_emulator/nodes`, { method: 'POST', body: JSON.stringify({ name: 'gpu-x', gpu: 2 }) })
    expect(added.status).toBe(201)
    expect(await added.json()).toMatchObject({ name: 'gpu-x', allocatable: { gpu: 2, vgpuCores: 200, vgpuMemoryMiB: 32768 } })
    const notReady = await fetch(`${admin}/_emulator/nodes/gpu-x/ready`, { method: 'PUT', body: JSON.stringify({ ready: false }) })
    expect(await notReady.json()).toMatchObject({ name: 'gpu-x', ready: false })
    const faults = await fetch(`${admin}/_emulator/faults`)
    expect(await faults.json()).toEqual({ unreachable: false, latencyMs: 0, notReadyNodes: ['gpu-x'] })
    const bad = await fetch(`${admin}/_emulator/faults`, { method: 'PUT', body: JSON.stringify({ unreachable: 'sometimes' }) })
    expect(bad.status).toBe(400)
    expect((await fetch(`${admin}/_emulator/nodes/gpu-x`, { method: 'DELETE' })).status).toBe(200)
    expect(emu.model.nodes().map((n) => n.name)).toEqual(['node-0', 'node-1', 'node-2'])
  })
})
