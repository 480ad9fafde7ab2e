/**
 * `npm run -s bench -- replication [--json]`: replication between real site processes on
 * loopback (libp2p over TCP, LevelDB).
 * - converge_p50_ms / converge_p99_ms: 10 sites; 200 changes committed one after another
 *   at rotating sites; from the commit (the origin's acknowledgement) to the moment every
 *   other site holds the change. Baseline: one direct frame's loopback round trip in the
 *   same run is not meaningful across processes, so the baseline is the same figure for
 *   2 sites (no fan-out).
 * - bytes_per_change_per_peer: bytes the 10 sites' replication handed their transport
 *   during those 200 changes (direct frames with their length prefix, broadcast payloads
 *   once per recipient; no Yamux, Noise, TCP/IP or gossipsub envelopes, see
 *   docs/networking.md), divided by changes and by peer links (9 per sender). Baseline:
 *   the mean encoded size of the 200 signed changes themselves, as their sites report
 *   them in the same run: the ratio is what replication costs per link above the bare
 *   change.
 * - idle_cpu_pct: CPU of one site of the 10 over 20 s with nothing to do. No baseline: a
 *   bare libp2p node in the same federation would need a second set of processes and
 *   would itself be judged a failed site by the others, so the note breaks the figure down
 *   by thread instead (FLOTILLA_BENCH_THREADS=1).
 * - bootstrap_s_10k: a new site joins 5 sites holding 10,000 workloads in total, until it
 *   holds identical heads. The five are prepared on disk first (bench/lib/replication-
 *   federation.ts); the clock starts when the new site's process is spawned. Baseline:
 *   the same with 1,000 workloads.
 * - roundtrips_per_reconcile: mean request/response round trips per reconciliation
 *   session for two sites that each gained 100 changes while apart (in process, over the
 *   replication protocol itself). No baseline: one round trip per session is the
 *   protocol's floor; the note gives the number of sessions measured.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { prepareLocalFederation } from '../../src/runtime/local-federation.ts'
import { eventually, killAll, startSiteProcess, type SiteProcess } from '../../test/support/processes.ts'
import { freePorts } from '../../test/support/ports.ts'
import { measureRoundTrips } from '../lib/reconcile-roundtrips.ts'
import { measureBootstrap } from '../lib/replication-bootstrap.ts'
import { measureIdleCpu, startMaybeProfiled, type IdleCpu } from '../lib/replication-idle.ts'

function deployment (name: string, i = 0): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { replicas: 1 + (i % 3), selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] } } }
  }
}

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

const IDLE_SITE = 3

async function federation (n: number, tag: string, extra = 0): Promise<{ procs: SiteProcess[], dir: string, configs: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), `flotilla-bench-${tag}-`))
  const ports = await freePorts(n + extra)
  const layout = await prepareLocalFederation(dir, Array.from({ length: n + extra }, (_, i) => ({ id: `b${i}`, region: 'r1', p2pPort: ports[i]!, log: { level: 'error' as const } })))
  // the idle site (index 3) may run under the profiler, see replication-idle.ts
  const procs = await Promise.all(layout.slice(0, n).map(async (s, i) => i === IDLE_SITE && n > IDLE_SITE
    ? await startMaybeProfiled(async () => await startSiteProcess(s.spec.id, s.configPath, 60_000))
    : await startSiteProcess(s.spec.id, s.configPath, 60_000)))
  return { procs, dir, configs: layout.map((s) => s.configPath) }
}

async function stopAll (procs: SiteProcess[], dir: string): Promise<void> {
  await Promise.all(procs.map(async (p) => await p.call('stop', {}, 15_000).catch(() => undefined)))
  // a process answers `stop` just before it exits: let it exit (and write a CPU profile, if
  // it has one) before anything left is killed
  await Promise.race([Promise.all(procs.map(async (p) => await p.exited)), new Promise((resolve) => setTimeout(resolve, 5000).unref())])
  killAll()
  await rm(dir, { recursive: true, force: true })
}

interface State { heads: Record<string, string[]> }

async function converged (procs: SiteProcess[]): Promise<boolean> {
  const s = await Promise.all(procs.map(async (p) => await p.call<State>('state', {}, 60_000)))
  return s.every((x) => JSON.stringify(x.heads) === JSON.stringify(s[0]!.heads))
}

async function fullyConnected (procs: SiteProcess[]): Promise<void> {
  const ok = await eventually(async () => {
    const stats = await Promise.all(procs.map(async (p) => await p.call<{ replication: { peers: Array<{ connected: boolean }> } }>('stats')))
    return stats.every((s) => s.replication.peers.filter((x) => x.connected).length >= procs.length - 1)
  }, 60_000, 500)
  if (!ok) throw new Error('sites did not connect within 60 s')
}

/** Commits `count` changes round-robin and measures, per change, when the last other site had it. */
async function convergeLatencies (procs: SiteProcess[], count: number): Promise<{ latencies: number[], changeBytes: number[] }> {
  const commits: Array<{ origin: number, hash: string, at: number }> = []
  const changeBytes: number[] = []
  for (let i = 0; i < count; i++) {
    const origin = i % procs.length
    const r = await procs[origin]!.call<{ heads: string[], at: number, changeBytes: number }>('put', { object: deployment(`conv-${i}`, i) })
    commits.push({ origin, hash: r.heads[0]!, at: r.at })
    changeBytes.push(r.changeBytes)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await eventually(async () => await converged(procs), 60_000, 500)
  const hashes = commits.map((c) => c.hash)
  const arrivals = await Promise.all(procs.map(async (p) => (await p.call<{ arrivals: Record<string, number | null> }>('arrivals', { hashes })).arrivals))
  const latencies = commits.map((c) => {
    let last = c.at
    arrivals.forEach((a, i) => { if (i !== c.origin) last = Math.max(last, a[c.hash] ?? Infinity) })
    return last - c.at
  })
  return { latencies, changeBytes }
}

async function trafficBytes (procs: SiteProcess[]): Promise<number> {
  const stats = await Promise.all(procs.map(async (p) => await p.call<{ replication: { peers: Array<{ bytesOut: number }> } }>('stats')))
  return stats.reduce((s, x) => s + x.replication.peers.reduce((t, p) => t + p.bytesOut, 0), 0)
}

function idleMetric (idle: IdleCpu): BenchMetric {
  const threads = idle.threads === undefined ? '' : `; by thread: ${Object.entries(idle.threads).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`
  return { name: 'idle_cpu_pct', value: idle.pct, unit: '%', target: { op: '<=', value: 2 }, note: `one site of ten, 20 s with no writes (heartbeats every 2 s, anti-entropy every 5 s)${threads}` }
}

/**
 * The ten-site figures. `idleOnly` (`--only=idle`) skips the two-site baseline and
 * reports only the idle CPU, measured in the same state as the full run (after the 200
 * changes), so the figure is comparable while taking a third of the time.
 */
async function measureTenSites (idleOnly: boolean): Promise<BenchMetric[]> {
  let baseline: number[] = []
  if (!idleOnly) {
    const small = await federation(2, 'conv2')
    try {
      await fullyConnected(small.procs)
      baseline = (await convergeLatencies(small.procs, 50)).latencies
    } finally { await stopAll(small.procs, small.dir) }
  }

  const { procs, dir } = await federation(10, 'conv10')
  try {
    await fullyConnected(procs)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const bytesBefore = await trafficBytes(procs)
    const { latencies: lat, changeBytes } = await convergeLatencies(procs, 200)
    const bytesAfter = await trafficBytes(procs)
    // Idle: nothing written for 20 s; CPU of one site.
    const idle = await measureIdleCpu(procs[IDLE_SITE]!, 20_000)
    if (idleOnly) return [idleMetric(idle)]
    const perChangePerPeer = (bytesAfter - bytesBefore) / 200 / 9
    return [
      { name: 'converge_p50_ms', value: percentile(lat, 0.5), unit: 'ms', baseline: { name: 'converge_p50_ms_2_sites', value: percentile(baseline, 0.5) } },
      { name: 'converge_p99_ms', value: percentile(lat, 0.99), unit: 'ms', baseline: { name: 'converge_p99_ms_2_sites', value: percentile(baseline, 0.99) }, target: { op: '<=', value: 300 } },
      { name: 'bytes_per_change_per_peer', value: perChangePerPeer, unit: 'B', target: { op: '<=', value: 2048 },
        baseline: { name: 'signed_change_bytes', value: changeBytes.reduce((s, b) => s + b, 0) / changeBytes.length },
        note: 'everything any site handed its transport while 200 changes were committed (pushes, announcements, heartbeats, digests; direct frames with their length prefix, broadcasts at payload size; no Yamux, Noise, TCP/IP or gossipsub envelope) / 200 / 9 links per sender; baseline: the mean encoded signed change' },
      idleMetric(idle)
    ]
  } finally { await stopAll(procs, dir) }
}

const suite: BenchSuite = {
  name: 'replication',
  description: 'convergence latency, wire bytes and idle CPU of 10 site processes; bootstrap of a new site; reconciliation round trips',
  async run (args) {
    const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',')
    const want = (p: string): boolean => only === undefined || only.some((o) => p.startsWith(o))
    const out: BenchMetric[] = []
    if (want('roundtrips')) out.push(...await measureRoundTrips())
    if (want('converge') || want('bytes')) out.push(...await measureTenSites(false))
    else if (want('idle')) out.push(...await measureTenSites(true))
    if (want('bootstrap')) {
      const small = await measureBootstrap(1000, deployment)
      const big = await measureBootstrap(10_000, deployment)
      out.push({ name: 'bootstrap_s_10k', value: big.seconds, unit: 's', baseline: { name: 'bootstrap_s_1k', value: small.seconds }, target: { op: '<=', value: 10 },
        note: `start of the new site process (key and config already on disk) to identical heads with 5 sites holding 10,000 workloads; it accepted ${big.accepted} changes, received ${big.duplicates} again, opened ${big.sessions.started} sessions (${big.sessions.timedOut} timed out)` })
    }
    return out
  }
}

export default suite
