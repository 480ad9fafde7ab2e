/**
 * What one simulated run is made of: how many sites in how many regions, their clusters,
 * the workload, the faults and Byzantine behaviours, the failover timings the sites run
 * with and how often the invariants are checked. Everything has a default, so a run is
 * named by its seed and the few options that differ; `resolveScenario` fills in the rest
 * and refuses values that cannot make a meaningful run, naming the field and the rule.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import type { FailoverSettings } from '../../src/site/site.ts'
import type { InjectedBug } from '../../src/testing/injected-bugs.ts'
import { BYZANTINE_BEHAVIOURS, type ByzantineBehaviour } from '../byzantine/behaviour.ts'
import type { ScheduledFault } from '../faults/plan.ts'

export const FAULT_KINDS = ['partition', 'crash', 'site-loss', 'slow-disk', 'skew', 'not-ready'] as const
export type FaultKind = typeof FAULT_KINDS[number]

export interface ClusterOptions {
  /** Clusters per site. Default 1. */
  perSite: number
  /** Nodes per cluster. Default 3. */
  nodes: number
  /** CPU cores per node. Default 8. */
  nodeCpu: number
  /** Memory per node, GiB. Default 32. */
  nodeMemoryGiB: number
  /** Pod slots per node. Default 110. */
  nodePods: number
  /** Every `gpuEvery`-th site (0, k, 2k, ...) gets one GPU node per cluster; 0 for none. Default 2. */
  gpuEvery: number
  /** GPUs on a GPU node (each with 100 vGPU cores and 16 GiB vGPU memory). Default 4. */
  gpusPerNode: number
  /** Range of a cluster's pod ready delay, ms, drawn per cluster. Default 500–3,000. */
  readyDelayMs: [number, number]
}

export interface WorkloadOptions {
  /** Deployments each site creates at the start. Default 4. */
  deploymentsPerSite: number
  /** Services and ConfigMaps each site creates (Duplicated everywhere). Default 1. */
  servicesPerSite: number
  /** Share of deployments restricted to regions by annotation. Default 0.25. */
  regionRestricted: number
  /** Share of deployments marked local-only. Default 0.15. */
  localOnly: number
  /** Share of deployments that ask for GPUs or vGPU. Default 0.15. */
  gpu: number
  /** Mean interval between workload changes (create, update, scale, move, delete), ms; 0 for none. Default 20,000. */
  changeEveryMs: number
  /** Largest replica count. Default 4. */
  maxReplicas: number
}

export interface NetworkOptions {
  /** Loss probability per frame on every link. Default 0.002. */
  loss: number
  /** Duplication probability per frame. Default 0.002. */
  duplicate: number
  /**
   * Probability that a frame may overtake those sent before it on its link. Default 0:
   * frames to a peer travel on one TCP connection in production, which keeps their order.
   */
  reorder: number
  /** Serialisation rate of every link, Mbit/s; 0 for unlimited. Default 0. */
  bandwidthMbps: number
}

export interface FaultOptions {
  /** Random fault kinds drawn from the seed. */
  kinds: FaultKind[]
  /** Mean interval between random faults, ms. Default 30,000. */
  meanIntervalMs: number
  /** Faults planned at fixed times (named scenarios), on top of the random ones. */
  scheduled: ScheduledFault[]
  /** Byzantine sites (the last ones by index). Default 0. */
  byzantine: number
  /** Behaviours every Byzantine site runs. Default: all. */
  behaviours: ByzantineBehaviour[]
  /** No fault starts before this, ms. Default 15,000 (a sixth of shorter runs). */
  warmupMs: number
  /** Every fault ends and no new one starts in this final part of the run, ms. Default a quarter of the run, at least min(45 s, half the run). */
  quietTailMs: number
}

export interface CheckOptions {
  /** Ground-truth sampling period (ready replicas, connectivity), ms. Default 500. */
  sampleMs: number
  /** Period of the incremental log checks (safety, residency, convergence lag), ms. Default 5,000. */
  logCheckMs: number
  /** A change must reach every honest site continuously connected to its author within this, ms. Default 20,000. */
  convergenceLagMs: number
  /** After this long without a fault change, every eligible workload must be at desired ready, ms. Default failMs + 15,000. */
  availabilityBoundMs: number
  /** Stop at the first violation (swarm runs). Default false. */
  stopOnViolation: boolean
}

export interface ScenarioOptions {
  scenario: string
  seed: number | string
  sites: number
  regions: number
  durationMs: number
  clusters: ClusterOptions
  workload: WorkloadOptions
  network: NetworkOptions
  faults: FaultOptions
  failover: FailoverSettings
  tickMs: number
  antiEntropyMs: number
  checks: CheckOptions
  /** Test-only switch: deliberately broken decision points of the core (see src/testing/injected-bugs.ts). */
  injectedBugs: InjectedBug[]
}

/** Options as given: every group and field optional. */
export type ScenarioInput = Partial<Omit<ScenarioOptions, 'clusters' | 'workload' | 'network' | 'faults' | 'failover' | 'checks'>> & {
  clusters?: Partial<ClusterOptions>
  workload?: Partial<WorkloadOptions>
  network?: Partial<NetworkOptions>
  faults?: Partial<FaultOptions>
  failover?: Partial<FailoverSettings>
  checks?: Partial<CheckOptions>
}

export const REGION_NAMES = ['eu-west', 'us-east', 'ap-south', 'sa-east', 'af-south', 'me-central', 'ca-central', 'au-east'] as const

/** Failover timings of issue 8's defaults: heartbeat 2 s, suspect 6 s, fail 12 s. */
export const DEFAULT_FAILOVER: FailoverSettings = {
  heartbeatMs: 2_000,
  suspectMs: 6_000,
  failMs: 12_000,
  evictionTimeoutMs: 60_000,
  failback: 'after-stabilization',
  stabilizationMs: 30_000
}

function bad (field: string, rule: string, value: unknown): never {
  throw new FlotillaError('input-invalid', `'${field}' ${rule}: received ${JSON.stringify(value)}`,
    'Fix the simulator option (see `npm run sim -- --help`).', { details: { field, value } })
}

function int (field: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) bad(field, `must be an integer from ${min} to ${max}`, v)
  return v
}

function share (field: string, v: number): number {
  if (!(typeof v === 'number' && v >= 0 && v <= 1)) bad(field, 'must be a number from 0 to 1', v)
  return v
}

/** Fills every default and checks every field. */
export function resolveScenario (input: ScenarioInput): ScenarioOptions {
  const sites = int('sites', input.sites ?? 5, 2, 500)
  const durationMs = int('durationMs', input.durationMs ?? 300_000, 10_000)
  const failover: FailoverSettings = { ...DEFAULT_FAILOVER, ...input.failover }
  const seed = input.seed ?? 1
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) bad('seed', 'must be a safe integer or a string', seed)
  const clusters: ClusterOptions = {
    perSite: 1, nodes: 3, nodeCpu: 8, nodeMemoryGiB: 32, nodePods: 110, gpuEvery: 2, gpusPerNode: 4, readyDelayMs: [500, 3_000],
    ...input.clusters
  }
  int('clusters.perSite', clusters.perSite, 1, 4)
  int('clusters.nodes', clusters.nodes, 1, 50)
  int('clusters.gpuEvery', clusters.gpuEvery, 0)
  const [rdLo, rdHi] = clusters.readyDelayMs
  if (!(rdLo >= 0 && rdHi >= rdLo)) bad('clusters.readyDelayMs', 'must be [min, max] with 0 <= min <= max', clusters.readyDelayMs)
  const workload: WorkloadOptions = {
    deploymentsPerSite: 4, servicesPerSite: 1, regionRestricted: 0.25, localOnly: 0.15, gpu: 0.15, changeEveryMs: 20_000, maxReplicas: 4,
    ...input.workload
  }
  int('workload.deploymentsPerSite', workload.deploymentsPerSite, 0, 1000)
  int('workload.servicesPerSite', workload.servicesPerSite, 0, 1000)
  int('workload.maxReplicas', workload.maxReplicas, 1, 100)
  share('workload.regionRestricted', workload.regionRestricted)
  share('workload.localOnly', workload.localOnly)
  share('workload.gpu', workload.gpu)
  if (workload.regionRestricted + workload.localOnly > 1) bad('workload.regionRestricted + workload.localOnly', 'must not exceed 1', workload.regionRestricted + workload.localOnly)
  const network: NetworkOptions = { loss: 0.002, duplicate: 0.002, reorder: 0, bandwidthMbps: 0, ...input.network }
  share('network.loss', network.loss)
  share('network.duplicate', network.duplicate)
  share('network.reorder', network.reorder)
  if (!(typeof network.bandwidthMbps === 'number' && network.bandwidthMbps >= 0 && Number.isFinite(network.bandwidthMbps))) bad('network.bandwidthMbps', 'must be a finite number >= 0 (0: unlimited)', network.bandwidthMbps)
  const faults: FaultOptions = {
    kinds: [], meanIntervalMs: 30_000, scheduled: [], byzantine: 0, behaviours: [...BYZANTINE_BEHAVIOURS],
    warmupMs: Math.min(15_000, Math.floor(durationMs / 6)),
    quietTailMs: Math.max(Math.min(45_000, Math.floor(durationMs / 2)), Math.floor(durationMs / 4)),
    ...input.faults
  }
  for (const k of faults.kinds) if (!(FAULT_KINDS as readonly string[]).includes(k)) bad('faults.kinds', `must list only ${FAULT_KINDS.join(', ')}`, k)
  for (const b of faults.behaviours) if (!(BYZANTINE_BEHAVIOURS as readonly string[]).includes(b)) bad('faults.behaviours', `must list only ${BYZANTINE_BEHAVIOURS.join(', ')}`, b)
  int('faults.byzantine', faults.byzantine, 0, sites - 2)
  int('faults.meanIntervalMs', faults.meanIntervalMs, 1_000)
  if (faults.warmupMs + faults.quietTailMs >= durationMs) {
    bad('faults.quietTailMs', `plus faults.warmupMs (${faults.warmupMs}) must leave time for faults within durationMs (${durationMs})`, faults.quietTailMs)
  }
  const checks: CheckOptions = {
    sampleMs: 500, logCheckMs: 5_000, convergenceLagMs: 20_000, availabilityBoundMs: failover.failMs + 15_000, stopOnViolation: false,
    ...input.checks
  }
  int('checks.sampleMs', checks.sampleMs, 50)
  int('checks.logCheckMs', checks.logCheckMs, checks.sampleMs)
  return {
    scenario: input.scenario ?? 'standard',
    seed,
    sites,
    regions: int('regions', input.regions ?? Math.min(3, sites), 1, Math.min(sites, REGION_NAMES.length)),
    durationMs,
    clusters,
    workload,
    network,
    faults,
    failover,
    tickMs: int('tickMs', input.tickMs ?? 1_000, 50),
    antiEntropyMs: int('antiEntropyMs', input.antiEntropyMs ?? 5_000, 100),
    checks,
    injectedBugs: [...(input.injectedBugs ?? [])]
  }
}

/** Parses `90s`, `10m`, `1h`, `1500ms` or a bare number of ms. */
export function parseDuration (text: string, field = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (m === null) bad(field, 'must be a duration such as 90s, 10m, 1h or 1500ms', text)
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  const ms = unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1_000 : n
  return Math.round(ms)
}
