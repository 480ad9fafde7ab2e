/**
 * "Is the sample application Ready everywhere?" — asked of every site's API, not of one:
 * each replicated sample workload must be Ready in all its placements as *each* site
 * sees it (every cluster of its placement reporting as many ready replicas as planned,
 * nothing degraded), and the local-only record Ready at its origin and absent from the
 * others (its readiness is read in the member clusters, see `localOnlyReadiness`).
 * `waitForSampleReady` is the one function `npm start`, its test and the start
 * benchmark wait with, so all three measure the same thing.
 */
import type { FlotillaStatus } from '../api/render.ts'
import type { KubeObject } from '../model/kube.ts'
import { isFlotillaError } from '../model/errors.ts'
import type { DemoClients } from './site-clients.ts'
import type { DemoLayout } from './layout.ts'
import { pollUntil, type Observation } from './poll.ts'
import { sampleObjects, type SampleObject } from './sample.ts'

export interface ObjectReadiness {
  /** `deployment.apps/web`. */
  label: string
  site: string
  ready: boolean
  /** `6/6 ready: ap-southeast.main 2/2, eu-west.main 2/2, us-east.main 2/2`, or what is missing. */
  detail: string
  placement: FlotillaStatus['placement']
}

export interface SampleReadiness {
  ready: boolean
  objects: ObjectReadiness[]
  /** One line: `4 of 5 objects Ready at every site; waiting for deployment.apps/web at us-east (4/6 ready)`. */
  summary: string
}

function placementText (f: FlotillaStatus): string {
  return f.placement.filter((p) => p.replicas > 0).map((p) => `${p.cluster} ${p.ready}/${p.replicas}`).join(', ')
}

/**
 * Whether one site's view of one workload is Ready in all its placements: every planned
 * cluster reports exactly its planned replicas ready. Replicas still running outside the
 * plan (draining after a move, or on a failed site whose last report stays) do not count.
 */
export function judgeStatus (f: FlotillaStatus | undefined): { ready: boolean, detail: string } {
  if (f === undefined) return { ready: false, detail: 'no status yet' }
  const planned = f.placement.filter((p) => p.replicas > 0)
  if (planned.length === 0) return { ready: false, detail: f.degraded ?? f.reason ?? 'not placed yet' }
  // Settled means exactly as planned: more ready than planned is a scale-down in progress.
  const unsettled = planned.filter((p) => p.ready !== p.replicas)
  const text = `${f.ready}/${f.desired} ready: ${placementText(f)}`
  if (f.degraded !== undefined) return { ready: false, detail: `${text} (degraded: ${f.degraded})` }
  if (unsettled.length > 0 || f.ready < f.desired) return { ready: false, detail: text }
  return { ready: true, detail: text }
}

/**
 * A local-only workload's readiness, which its origin's API does not carry (share
 * statuses of local-only workloads are not kept: `status.flotilla` says 0 ready), read in
 * the member clusters of its placement instead, as an auditor would: the object must be
 * there, and a Deployment must have its planned replicas ready.
 */
async function localOnlyReadiness (clients: DemoClients, o: SampleObject, f: FlotillaStatus | undefined): Promise<{ ready: boolean, detail: string }> {
  const planned = (f?.placement ?? []).filter((p) => p.replicas > 0)
  if (f === undefined || planned.length === 0) return { ready: false, detail: f?.degraded ?? f?.reason ?? 'not placed yet' }
  if (f.degraded !== undefined) return { ready: false, detail: `degraded: ${f.degraded}` }
  const rows = await Promise.all(planned.map(async (p) => {
    try {
      const live = await (await clients.member(p.cluster)).get<KubeObject>(o.path)
      const ready = o.manifest.kind === 'Deployment' ? Number((live.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) : p.replicas
      return { cluster: p.cluster, replicas: p.replicas, ready: Math.min(ready, p.replicas) }
    } catch {
      return { cluster: p.cluster, replicas: p.replicas, ready: 0 }
    }
  }))
  const ready = rows.reduce((n, r) => n + r.ready, 0)
  const desired = rows.reduce((n, r) => n + r.replicas, 0)
  return {
    ready: ready >= desired,
    detail: `${ready}/${desired} in the member clusters: ${rows.map((r) => `${r.cluster} ${r.ready}/${r.replicas}`).join(', ')} (local-only)`
  }
}

async function readinessAt (clients: DemoClients, site: string, o: SampleObject): Promise<ObjectReadiness> {
  const base = { label: o.label, site }
  let object: KubeObject
  try {
    object = await (await clients.get(site)).get<KubeObject>(o.path)
  } catch (e) {
    if (isFlotillaError(e, 'not-found')) {
      // A local-only record is Ready elsewhere exactly when it is absent there.
      return o.localOnly ? { ...base, ready: true, detail: 'absent (local-only elsewhere)', placement: [] } : { ...base, ready: false, detail: 'not replicated here yet', placement: [] }
    }
    return { ...base, ready: false, detail: (e as Error).message.split('\n')[0] ?? 'unreachable', placement: [] }
  }
  const status = (object.status as { flotilla?: FlotillaStatus } | undefined)?.flotilla
  const judged = o.localOnly ? await localOnlyReadiness(clients, o, status) : judgeStatus(status)
  return { ...base, ...judged, placement: status?.placement ?? [] }
}

/** One look at every site; never throws for a site that is down (it is simply not Ready). */
export async function sampleReadiness (layout: DemoLayout, clients: DemoClients, objects: readonly SampleObject[]): Promise<SampleReadiness> {
  const workloads = objects.filter((o) => o.workload)
  const checks = workloads.flatMap((o) => layout.sites.map((s) => readinessAt(clients, s.id, o)))
  const results = await Promise.all(checks)
  const readyLabels = workloads.filter((o) => results.every((r) => r.label !== o.label || r.ready)).map((o) => o.label)
  const waiting = results.find((r) => !r.ready)
  const summary = waiting === undefined
    ? `${workloads.length} of ${workloads.length} sample workloads Ready at every site`
    : `${readyLabels.length} of ${workloads.length} sample workloads Ready at every site; waiting for ${waiting.label} at ${waiting.site} (${waiting.detail})`
  return { ready: waiting === undefined, objects: results, summary }
}

export interface WaitForSampleOptions {
  layout: DemoLayout
  clients: DemoClients
  /** Default: the demo's sample for the layout's origin. */
  objects?: readonly SampleObject[]
  /** Default 120,000 ms. */
  timeoutMs?: number
  everyMs?: number
  onProgress?: (summary: string) => void
  signal?: AbortSignal
}

/** Resolves once the sample is Ready in all its placements at every site; throws `timed-out` with the last state seen. */
export async function waitForSampleReady (options: WaitForSampleOptions): Promise<SampleReadiness> {
  const { layout, clients } = options
  const origin = layout.sites.find((s) => s.id === layout.originSite)!
  const objects = options.objects ?? sampleObjects({ region: origin.region })
  const seen = await pollUntil(async (): Promise<Observation<SampleReadiness>> => {
    const r = await sampleReadiness(layout, clients, objects)
    return { done: r.ready, detail: r.summary, value: r }
  }, {
    what: 'the sample application to be Ready everywhere',
    timeoutMs: options.timeoutMs ?? 120_000,
    everyMs: options.everyMs ?? 300,
    ...(options.onProgress === undefined ? {} : { onDetail: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    hint: `Look at a dashboard (${layout.sites.map((s) => `http://${layout.host}:${s.ports.dashboard}/`).join(', ')}) or the site logs (<site>/site.log).`
  })
  return seen.value!
}
