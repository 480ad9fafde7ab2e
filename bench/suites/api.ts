/**
 * Kubernetes-compatible API benchmark, over real HTTPS on 127.0.0.1 with keep-alive and
 * the admin client certificate from the site's generated PKI. `apply_p99_ms` and
 * `list_10k_ms` run against the in-memory SiteHandle the API tests use
 * (test/api/support/fake-site.ts: the site's real intake, a view held in memory), so
 * those figures are the API server's own cost; `apply_site_p99_ms` runs against a real
 * site and adds the storage write path.
 * - apply_p99_ms: p99 of 1,000 sequential server-side applies of one Deployment, each
 *   changing an annotation (so each one changes the stored object, the view and the
 *   tracker's diff; nothing reaches a disk), in a view that also holds 1,000 workloads of
 *   other sites. Baseline, same run: the same 1,000 applies against the cluster
 *   emulator's API (sim/kube) over HTTPS.
 * - apply_site_p99_ms: the same applies against a real in-process site (`createSite`:
 *   signed Automerge change, LevelDB in a temporary directory with fsync on, as a site
 *   runs by default; no peers), whose own document already holds 1,000 workloads.
 *   Baseline, same run: one fsynced LevelDB batch of the same size in the same
 *   directory, the disk's share of every write.
 * - list_10k_ms: median time to list all Deployments (all namespaces, JSON, parsed) in a
 *   global view of 10,000 workloads from three sites with placements and shares.
 *   Baseline, same run: a plain node:https server sending the same bytes (transport and
 *   JSON.parse only). Also reported: the Table form kubectl asks for.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, createServer, request } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import { createApiServer } from '../../src/api/index.ts'
import { keyPairFromSeed, toHex } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { createCryptoRng } from '../../src/platform/crypto-rng.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { createSite } from '../../src/site/site.ts'
import { openLevelStorage } from '../../src/storage/level-storage.ts'
import { peerlessNetwork } from '../lib/peerless-network.ts'
import type { Binding, ShareStatus, WorkloadRecord } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createSitePki, loadSitePki, type SitePki } from '../../src/pki/index.ts'
import { intakeObject } from '../../src/site/object-intake.ts'
import { startKubeEmulator } from '../../sim/kube/server/start.ts'
import { createFakeSite } from '../../test/api/support/fake-site.ts'
import { clusterRecord, deployment } from '../../test/api/support/manifests.ts'

const SITES = ['ap-east', 'eu-west', 'us-central'] as const

interface Client { agent: Agent, headers: Record<string, string> }

function send (base: string, client: Client, method: string, path: string, body?: string, contentType?: string, accept = 'application/json'): Promise<{ status: number, text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...client.headers, Accept: accept }
    if (contentType !== undefined) headers['Content-Type'] = contentType
    const req = request(`${base}${path}`, { method, agent: client.agent, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function percentile (samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number
}

function median (samples: number[]): number {
  return percentile(samples, 0.5)
}

/** 1,000 sequential applies of `web`, each with a new annotation value; latencies in ms. */
async function applyLatencies (base: string, client: Client, path: string, n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify(deployment('web', { annotations: { 'bench/iteration': String(i) } }))
    const t0 = performance.now()
    const r = await send(base, client, 'PATCH', `${path}?fieldManager=bench&force=true`, body, 'application/apply-patch+yaml')
    out.push(performance.now() - t0)
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${i} answered ${r.status}: ${r.text.slice(0, 300)}`)
  }
  return out
}

function backgroundWorkloads (count: number, shares: boolean): Array<{ record: WorkloadRecord, bindings: Binding[], shares: ShareStatus[] }> {
  const out = []
  for (let i = 0; i < count; i++) {
    const origin = SITES[i % SITES.length] as string
    const record = workloadRecord(origin, deployment(`app-${i}`, { namespace: `team-${i % 50}`, replicas: 1 + (i % 5), labels: { team: `t${i % 50}` } }), i)
    const clusters = [`${origin}.c${i % 10}`, `${SITES[(i + 1) % SITES.length]}.c${(i + 3) % 10}`]
    const replicas = 1 + (i % 5)
    const bindings: Binding[] = [{ workload: record.key, placement: [{ cluster: clusters[0] as string, replicas: Math.ceil(replicas / 2) }, { cluster: clusters[1] as string, replicas: Math.floor(replicas / 2) }], decidedBy: origin, generation: 1, inputHeads: 'h', reason: 'divided over 2 clusters', decidedAt: 1 }]
    const s: ShareStatus[] = shares ? bindings[0]!.placement.map((a) => ({ workload: record.key, cluster: a.cluster, desired: a.replicas, ready: a.replicas, available: a.replicas, conditions: [], observedGeneration: 1 })) : []
    out.push({ record, bindings, shares: s })
  }
  return out
}

function workloadRecord (origin: string, manifest: KubeObject, i: number): WorkloadRecord {
  const intake = intakeObject({ obj: manifest, site: origin, previous: undefined, nowWall: 1_700_000_000_000 + i, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` })
  if (intake.type !== 'workload') throw new Error('not a workload')
  return intake.record
}

/**
 * The applies against a real site: `createSite` over LevelDB (fsync on) in `dir`, no
 * peers and no clusters, its document holding `background` other workloads first.
 * Returns the apply latencies and, as the baseline, latencies of bare fsynced batches of
 * one stored change's size in the same directory.
 */
async function realSiteApplies (dir: string, pki: SitePki, client: Client, warmup: number, applies: number, background: number): Promise<{ ours: number[], disk: number[] }> {
  const keys = keyPairFromSeed(createHash('sha256').update('bench-api:eu-west').digest())
  const storage = await openLevelStorage(join(dir, 'site-store'), { sync: true })
  const site = await createSite({
    siteId: 'eu-west', region: 'eu-west', zone: 'eu-west-a', keys,
    roster: [{ siteId: 'eu-west', publicKey: toHex(keys.publicKey), region: 'eu-west' }],
    limits: { maxFrameBytes: 1 << 22, maxChangeBytes: 1 << 22, maxChangeOps: 200_000, changesPerSecond: 5000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
    failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000, evictionTimeoutMs: 20_000, failback: 'after-stabilization', stabilizationMs: 0 },
    clusters: [], clock: createSystemClock(), rng: createCryptoRng(), storage,
    network: peerlessNetwork(peerIdFromPublicKey(keys.publicKey)), logger: silentLogger
  })
  const api = createApiServer({ site, listen: { host: '127.0.0.1', port: 0 }, tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }, auth: { tokens: pki.tokens }, logger: silentLogger })
  try {
    await site.start()
    for (let i = 0; i < background; i++) {
      await site.putObject(deployment(`app-${i}`, { namespace: `team-${i % 50}`, replicas: 1 + (i % 5), labels: { team: `t${i % 50}` } }))
    }
    await api.start()
    const path = '/apis/apps/v1/namespaces/default/deployments/web'
    await applyLatencies(api.url, client, path, warmup)
    const ours = await applyLatencies(api.url, client, path, applies)
    const disk: number[] = []
    const value = new Uint8Array(2048).fill(7)
    for (let i = 0; i < applies; i++) {
      const t0 = performance.now()
      await storage.batch([{ type: 'put', key: `bench/disk/${i}`, value }])
      disk.push(performance.now() - t0)
    }
    return { ours, disk }
  } finally {
    await api.stop()
    await site.stop()
    await storage.close()
  }
}

const suite: BenchSuite = {
  name: 'api',
  description: 'Kubernetes-compatible API over HTTPS: server-side apply latency and listing a 10,000-workload view',
  async run (args) {
    const quick = args.includes('--quick')
    const applies = quick ? 100 : 1000
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bench-api-'))
    const metrics: BenchMetric[] = []
    try {
      await createSitePki(join(dir, 'pki'), 'eu-west', ['127.0.0.1'])
      const pki = await loadSitePki(join(dir, 'pki'))
      const cert = readFileSync(pki.paths.clientCert.admin, 'utf8')
      const key = readFileSync(pki.paths.clientKey.admin, 'utf8')
      const flotillaClient: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca, cert, key }), headers: {} }

      // apply_p99_ms
      const site = createFakeSite({ siteId: 'eu-west', region: 'eu-west' })
      for (const s of SITES) if (s !== 'eu-west') site.addSite(s, s)
      site.bulkLoad(backgroundWorkloads(1000, true))
      const api = createApiServer({ site, listen: { host: '127.0.0.1', port: 0 }, tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }, auth: { tokens: pki.tokens }, logger: silentLogger })
      await api.start()
      const applyPath = '/apis/apps/v1/namespaces/default/deployments/web'
      await applyLatencies(api.url, flotillaClient, applyPath, 20)
      const ours = await applyLatencies(api.url, flotillaClient, applyPath, applies)
      await api.stop()

      const emulator = await startKubeEmulator({ tls: 'self-signed', token: 'bench', adminPort: false })
      const emulatorClient: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }), headers: { Authorization: 'Bearer bench' } }
      await applyLatencies(emulator.url, emulatorClient, applyPath, 20)
      const theirs = await applyLatencies(emulator.url, emulatorClient, applyPath, applies)
      await emulator.close()
      emulatorClient.agent.destroy()
      metrics.push({
        name: 'apply_p99_ms', value: percentile(ours, 0.99), unit: 'ms',
        baseline: { name: 'emulator_apply_p99_ms', value: percentile(theirs, 0.99) },
        target: { op: '<=', value: 50 },
        note: `${applies} sequential server-side applies over HTTPS against the in-memory site of the API tests (each changes the object; no disk) in a view of 1,000 other workloads; p50 ${median(ours).toFixed(2)} ms (emulator p50 ${median(theirs).toFixed(2)} ms)`
      })

      // apply_site_p99_ms
      const real = await realSiteApplies(dir, pki, flotillaClient, 20, applies, quick ? 100 : 1000)
      metrics.push({
        name: 'apply_site_p99_ms', value: percentile(real.ours, 0.99), unit: 'ms',
        baseline: { name: 'leveldb_fsync_batch_p99_ms', value: percentile(real.disk, 0.99) },
        target: { op: '<=', value: 50 },
        note: `${applies} sequential server-side applies over HTTPS against a real site (signed Automerge change, LevelDB with fsync) whose document holds ${quick ? 100 : 1000} other workloads; p50 ${median(real.ours).toFixed(2)} ms (one fsynced 2 KiB LevelDB batch: p50 ${median(real.disk).toFixed(2)} ms)`
      })

      // list_10k_ms
      const big = createFakeSite({ siteId: 'eu-west', region: 'eu-west' })
      for (const s of SITES) {
        if (s !== 'eu-west') big.addSite(s, s)
        for (let c = 0; c < 10; c++) big.addCluster(clusterRecord(s, `c${c}`, s))
      }
      big.bulkLoad(backgroundWorkloads(10_000, true))
      const bigApi = createApiServer({ site: big, listen: { host: '127.0.0.1', port: 0 }, tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }, auth: { tokens: pki.tokens }, logger: silentLogger })
      const t0 = performance.now()
      await bigApi.start()
      const trackerStartMs = performance.now() - t0
      const runs = quick ? 3 : 7
      const listTimes: number[] = []
      const tableTimes: number[] = []
      let body = ''
      for (let i = 0; i < runs + 1; i++) {
        const s = performance.now()
        const r = await send(bigApi.url, flotillaClient, 'GET', '/apis/apps/v1/deployments')
        const parsed = JSON.parse(r.text) as { items: unknown[] }
        if (parsed.items.length !== 10_000) throw new Error(`listed ${parsed.items.length} deployments, expected 10,000`)
        if (i > 0) listTimes.push(performance.now() - s)
        body = r.text
        const ts = performance.now()
        const table = JSON.parse((await send(bigApi.url, flotillaClient, 'GET', '/apis/apps/v1/deployments?limit=500', undefined, undefined, 'application/json;as=Table;v=v1;g=meta.k8s.io')).text) as { rows: unknown[] }
        if (table.rows.length !== 500) throw new Error('table page incomplete')
        if (i > 0) tableTimes.push(performance.now() - ts)
      }
      await bigApi.stop()

      const echo = createServer({ cert: pki.server.cert, key: pki.server.key }, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) })
        res.end(body)
      })
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
      const echoUrl = `https://127.0.0.1:${(echo.address() as AddressInfo).port}`
      const echoClient: Client = { agent: new Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca }), headers: {} }
      const echoTimes: number[] = []
      for (let i = 0; i < runs + 1; i++) {
        const s = performance.now()
        JSON.parse((await send(echoUrl, echoClient, 'GET', '/')).text)
        if (i > 0) echoTimes.push(performance.now() - s)
      }
      echoClient.agent.destroy()
      await new Promise<void>((resolve) => echo.close(() => resolve()))
      metrics.push({
        name: 'list_10k_ms', value: median(listTimes), unit: 'ms',
        baseline: { name: 'https_same_bytes_ms', value: median(echoTimes) },
        target: { op: '<=', value: 1000 },
        note: `median of ${runs} lists of 10,000 Deployments (${(body.length / 2 ** 20).toFixed(1)} MiB JSON, parsed); first render of the view at start ${trackerStartMs.toFixed(0)} ms`
      })
      metrics.push({ name: 'list_table_page_ms', value: median(tableTimes), unit: 'ms', note: 'one 500-row Table page of the 10,000 (what kubectl get deploy -A asks for first)' })
      flotillaClient.agent.destroy()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    return metrics
  }
}

export default suite
