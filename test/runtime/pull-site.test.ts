/**
 * Pull mode through a whole site, as production wires it: a site process (`runSite`, in
 * this process) started from its config file with one pull-mode cluster, whose agent
 * endpoint its HTTPS API server mounts; an agent with its own key pulling over TLS into
 * an emulated cluster. A Deployment applied at the site becomes Ready there, and the
 * site's own document carries its share status and the cluster's record (health,
 * capacity and allocatable as the nodes report them); deleting it at the site prunes it
 * from the cluster and nothing else — not another workload, nor objects Flotilla does
 * not own.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSiteConfig } from '../../src/config/load.ts'
import { toHex } from '../../src/identity/keys.ts'
import { workloadKey, type KubeObject } from '../../src/model/kube.ts'
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/ports/cluster-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { sitePkiPaths } from '../../src/pki/index.ts'
import { prepareLocalFederation } from '../../src/runtime/local-federation.ts'
import { runSite, type RunningSite } from '../../src/runtime/run-site.ts'
import { getCluster, getShare, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import type { ClusterRecord, ShareStatus } from '../../src/model/federation.ts'
import { mustResource, startKubeEmulator, uniformNodes, type KubeEmulator } from '../../sim/kube/index.ts'
import { deploymentManifest } from '../ports/cluster-driver-acceptance.ts'
import { freePorts } from '../support/ports.ts'
import { agentFor, testKeys } from '../kube/pull-support.ts'
import type { Agent } from '../../src/kube/agent.ts'

const DEPLOYMENTS = mustResource('apps/v1', 'Deployment')
const NODES = mustResource('v1', 'Node')
const SITE = 'eu'
const CLUSTER = 'edge-1'
const CLUSTER_ID = `${SITE}.${CLUSTER}`
const GI = 2 ** 30

const policy: KubeObject = {
  apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'all-deployments', namespace: 'default' },
  spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } } }
}

let dir: string
let emulator: KubeEmulator
let running: RunningSite | undefined
let agent: Agent | undefined

async function until<T> (what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function siteDoc (): SiteDoc {
  const doc = running!.site.store.document<SiteDoc>(siteDocId(SITE))
  if (doc === undefined) throw new Error('the site has no document of its own')
  return doc
}
const clusterRecord = (): ClusterRecord | undefined => getCluster(siteDoc(), CLUSTER)
const share = (key: string): ShareStatus | undefined => getShare(siteDoc(), key, CLUSTER_ID)
const live = (name: string): KubeObject | undefined => emulator.model.store.get(DEPLOYMENTS, 'default', name)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-pull-site-'))
  // Two 8-cpu nodes; the kubelet of node-1 reserves 1 cpu and 2 GiB, and node-1 has 2 GPUs.
  emulator = await startKubeEmulator({ adminPort: false, readyDelayMs: 100, nodes: uniformNodes({ count: 2, cpu: 8, memory: '32Gi', gpuNodes: 1, gpusPerNode: 2 }) })
  emulator.model.api.patch({ resource: NODES }, 'node-1', 'merge', { status: { allocatable: { cpu: '7', memory: '30Gi' } } }, { subresource: 'status', fieldManager: 'kubelet' })
  const agentKeys = testKeys(41)
  const [p2pPort, apiPort] = await freePorts(2)
  const [layout] = await prepareLocalFederation(dir, [{
    id: SITE, region: 'eu-west', p2pPort: p2pPort!, apiPort: apiPort!,
    clusters: [{ name: CLUSTER, mode: 'pull', agentKey: toHex(agentKeys.publicKey), failureThresholdMs: 10_000 }],
    failover: { heartbeatMs: 500, suspectMs: 2000, failMs: 4000, stabilizationMs: 0 },
    log: { level: 'silent' }
  }])
  running = await runSite({ config: await loadSiteConfig(layout!.configPath), logger: silentLogger })
  const ca = await readFile(sitePkiPaths(join(layout!.dir, 'pki')).caCert)
  agent = agentFor(emulator, `https://127.0.0.1:${apiPort!}`, CLUSTER, agentKeys, { ca })
  await agent.start()
}, 60_000)

afterAll(async () => {
  await agent?.stop()
  await running?.stop()
  await emulator?.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
}, 30_000)

describe('a site with a pull-mode cluster', () => {
  it('records the cluster Ready in its own document with the capacity and allocatable its nodes report', async () => {
    const rec = await until('the cluster Ready in the site document', () => { const r = clusterRecord(); return r?.health === 'Ready' ? r : undefined })
    expect(rec).toMatchObject({ id: CLUSTER_ID, mode: 'pull', nodes: { total: 2, ready: 2 } })
    expect(rec.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'ClusterReady' })
    expect(rec.capacity).toMatchObject({ cpuMilli: 16_000, memoryBytes: 64 * GI, gpu: 2 })
    expect(rec.allocatable).toMatchObject({ cpuMilli: 15_000, memoryBytes: 62 * GI, gpu: 2 })
    expect(rec.nodeFree.reduce((n, s) => n + (s.count ?? 1), 0)).toBe(2)
  })

  it('brings a Deployment applied at the site to Ready in the cluster and reports it in its document', async () => {
    await running!.site.putObject(policy)
    const web = deploymentManifest('web', { replicas: 2, requests: { cpu: '500m', memory: '256Mi' } })
    const api = deploymentManifest('api', { requests: { cpu: '250m', memory: '128Mi' } })
    await running!.site.putObject(web)
    await running!.site.putObject(api)
    const webShare = await until('web Ready in the site document', () => { const s = share(workloadKey(web)); return s !== undefined && s.ready === 2 ? s : undefined })
    expect(webShare).toMatchObject({ cluster: CLUSTER_ID, desired: 2, ready: 2, available: 2, observedGeneration: 1 })
    expect(webShare.error).toBeUndefined()
    await until('api Ready in the site document', () => share(workloadKey(api))?.ready === 1 ? true : undefined)
    // Ground truth: the emulator runs them, applied by Flotilla.
    expect(live('web')?.metadata.labels?.[MANAGED_BY_LABEL]).toBe(MANAGED_BY_VALUE)
    expect((live('web')?.status as { readyReplicas?: number } | undefined)?.readyReplicas).toBe(2)
    // The record's allocation follows the pods the agent reported.
    const rec = await until('allocation in the record', () => { const r = clusterRecord(); return r !== undefined && r.allocated.pods === 3 ? r : undefined })
    expect(rec.allocated).toMatchObject({ cpuMilli: 1250, memoryBytes: 640 * 2 ** 20 })
  })

  it('prunes a Deployment deleted at the site and leaves everything else in the cluster alone', async () => {
    // Someone else's Deployment, and one wearing Flotilla's label without its workload annotation.
    emulator.model.api.patch({ resource: DEPLOYMENTS, namespace: 'default' }, 'theirs', 'apply', deploymentManifest('theirs'), { fieldManager: 'kubectl' })
    emulator.model.api.patch({ resource: DEPLOYMENTS, namespace: 'default' }, 'pretender', 'apply',
      deploymentManifest('pretender', { labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }), { fieldManager: 'kubectl' })
    emulator.model.settle()
    const before = { theirs: live('theirs')!, pretender: live('pretender')!, api: live('api')! }

    expect(await running!.site.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' })).toBe(true)
    await until('web pruned from the cluster', () => live('web') === undefined ? true : undefined)
    expect(running!.site.view().workloads.map((w) => w.key)).not.toContain('apps/Deployment/default/web')
    // A report later nothing else has moved.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    for (const name of ['theirs', 'pretender', 'api'] as const) {
      const after = live(name)
      expect(after, `${name} still exists`).toBeDefined()
      expect(after!.metadata.uid).toBe(before[name].metadata.uid)
      expect(after!.metadata.generation).toBe(before[name].metadata.generation)
      expect(after!.spec).toEqual(before[name].spec)
    }
    for (const name of ['theirs', 'pretender'] as const) {
      expect(live(name)!.metadata.managedFields?.map((m) => (m as { manager: string }).manager)).not.toContain('flotilla')
    }
    expect(share('apps/Deployment/default/api')?.ready).toBe(1)
  })
})
