/**
 * Figures over many measured site losses: the failover time of each run (crash to the
 * last counted workload Ready elsewhere) and its percentiles, where that time went on the
 * run's critical workload (detection, start of the replacement, pod readiness), the
 * zero-ready samples, and the Karmada baseline for the same runs.
 *
 * The baseline is a model, not a Karmada run: Karmada's defaults mark a cluster NotReady
 * after the 40 s cluster-monitor grace period and evict its workloads only when the
 * 300 s `not-ready` NoExecute toleration expires. Each run's baseline replaces this run's
 * detection (crash to the failure verdict of the site that started the replacement) by
 * those 340 s and keeps the rest as measured (replacement start and pod readiness on the
 * same clusters), so the ratio compares detection and eviction rules, nothing else.
 */
import type { FailoverMeasurement, WorkloadFailover } from './failover.ts'

export const KARMADA_DEFAULTS = { clusterMonitorGracePeriodMs: 40_000, notReadyTolerationMs: 300_000 } as const

/** Nearest-rank percentile (`q` in (0, 1]); of 20 values, p99 is the largest. */
export function percentile (values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export interface RunFigures {
  seed: number
  site: string
  /** Crash to the last counted workload Ready elsewhere; the outage's length when one did not move before the site returned (a lower bound). */
  failoverMs: number
  recovered: boolean
  counted: number
  /** The workload that set `failoverMs`, and its path: crash → failure verdict → replacement started → Ready. */
  critical?: { key: string, detectMs: number, startMs: number, readyMs: number }
  karmadaMs: number
  zeroReadySamples: number
}

export interface FailoverSummary {
  runs: RunFigures[]
  /** Runs that counted no workload (the lost site ran nothing that can move). */
  emptyRuns: number[]
  p50Ms: number
  p99Ms: number
  karmadaP50Ms: number
  karmadaP99Ms: number
  /** Per-workload crash → Ready elsewhere over every run. */
  workloadP50Ms: number
  workloadP99Ms: number
  breakdown: { detectP50Ms: number, detectMaxMs: number, startP50Ms: number, startMaxMs: number, readyP50Ms: number, readyMaxMs: number }
  /** Sample instants (over all runs) at which some workload the lost site ran had zero Ready replicas after having had one since the crash. */
  zeroReadySamples: number
  zeroReadyExamples: string[]
  /** Samples of counted workloads at zero because all their replicas were on the lost site and no replacement was Ready yet. */
  inherentZeroSamples: number
  samples: number
  excluded: Record<string, number>
  unrecovered: string[]
  violations: string[]
}

function pathOf (w: WorkloadFailover, crashAtMs: number): { detectMs: number, startMs: number, readyMs: number } {
  const ready = w.readyAtMs!
  const started = w.startedAtMs ?? ready
  const detected = Math.min(w.detectedAtMs ?? started, started)
  return { detectMs: detected - crashAtMs, startMs: started - detected, readyMs: ready - started }
}

export function runFigures (m: FailoverMeasurement): RunFigures | undefined {
  const counted = m.workloads.filter((w) => w.excluded === undefined)
  if (counted.length === 0) return undefined
  const recovered = m.unrecovered.length === 0
  const done = counted.filter((w) => w.readyAtMs !== undefined)
  const last = done.reduce<WorkloadFailover | undefined>((a, w) => a === undefined || w.readyAtMs! > a.readyAtMs! ? w : a, undefined)
  const karmada = KARMADA_DEFAULTS.clusterMonitorGracePeriodMs + KARMADA_DEFAULTS.notReadyTolerationMs
  const karmadaMs = done.length === 0 ? karmada : Math.max(...done.map((w) => { const p = pathOf(w, m.crashAtMs); return karmada + p.startMs + p.readyMs }))
  return {
    seed: m.seed,
    site: m.site,
    failoverMs: recovered ? m.failoverMs! : m.returnAtMs - m.crashAtMs,
    recovered,
    counted: counted.length,
    ...(last === undefined ? {} : { critical: { key: last.key, ...pathOf(last, m.crashAtMs) } }),
    karmadaMs,
    zeroReadySamples: new Set(m.zeroReady.map((z) => z.timeMs)).size
  }
}

export function summarizeFailover (measurements: readonly FailoverMeasurement[]): FailoverSummary {
  const runs: RunFigures[] = []
  const emptyRuns: number[] = []
  const excluded: Record<string, number> = {}
  const perWorkload: number[] = []
  const violations: string[] = []
  const unrecovered: string[] = []
  const zeroReadyExamples: string[] = []
  let inherentZeroSamples = 0
  let zeroReadySamples = 0
  let samples = 0
  for (const m of measurements) {
    const f = runFigures(m)
    if (f === undefined) emptyRuns.push(m.seed)
    else runs.push(f)
    for (const w of m.workloads) {
      if (w.excluded !== undefined) excluded[w.excluded] = (excluded[w.excluded] ?? 0) + 1
      else if (w.readyAtMs !== undefined) perWorkload.push(w.readyAtMs - m.crashAtMs)
    }
    for (const k of m.unrecovered) unrecovered.push(`seed ${m.seed}: ${k}`)
    for (const v of [...m.run.internalErrors, ...m.run.violations]) violations.push(`seed ${m.seed}: ${v}`)
    for (const z of m.zeroReady.slice(0, 3)) zeroReadyExamples.push(`seed ${m.seed} at ${(z.timeMs / 1000).toFixed(1)} s (crash ${(m.crashAtMs / 1000).toFixed(1)} s, return ${(m.returnAtMs / 1000).toFixed(1)} s): ${z.key}`)
    inherentZeroSamples += m.inherentZero
    zeroReadySamples += new Set(m.zeroReady.map((z) => z.timeMs)).size
    samples += m.samples
  }
  const totals = runs.map((r) => r.failoverMs)
  const crit = runs.flatMap((r) => r.critical === undefined ? [] : [r.critical])
  const max = (xs: number[]): number => xs.length === 0 ? Number.NaN : Math.max(...xs)
  return {
    runs,
    emptyRuns,
    p50Ms: percentile(totals, 0.5),
    p99Ms: percentile(totals, 0.99),
    karmadaP50Ms: percentile(runs.map((r) => r.karmadaMs), 0.5),
    karmadaP99Ms: percentile(runs.map((r) => r.karmadaMs), 0.99),
    workloadP50Ms: percentile(perWorkload, 0.5),
    workloadP99Ms: percentile(perWorkload, 0.99),
    breakdown: {
      detectP50Ms: percentile(crit.map((c) => c.detectMs), 0.5),
      detectMaxMs: max(crit.map((c) => c.detectMs)),
      startP50Ms: percentile(crit.map((c) => c.startMs), 0.5),
      startMaxMs: max(crit.map((c) => c.startMs)),
      readyP50Ms: percentile(crit.map((c) => c.readyMs), 0.5),
      readyMaxMs: max(crit.map((c) => c.readyMs))
    },
    zeroReadySamples,
    zeroReadyExamples,
    inherentZeroSamples,
    samples,
    excluded,
    unrecovered,
    violations
  }
}
