/**
 * Flotilla's own read routes on a site's API, for what Kubernetes resources cannot
 * carry: the site's status (peers, sync lag, bootstrap, its clusters, alarms), its event
 * log, the Byzantine evidence it recorded, the bindings every deciding site wrote, the
 * scheduler's explanation of a workload, and the compliance report on local-only
 * records. They live under `/apis/flotilla.io/v1/` (a group kubectl never discovers),
 * answer only GET, and are authenticated like every other route before they are reached;
 * what shows local-only data follows the roles of `auth.ts`, and the compliance report is
 * for the auditor role alone. Every answer carries `now` (this site's wall clock) so a
 * client words ages in the site's time, not its own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { localOnlyNeedles } from '../compliance/needles.ts'
import { scanForLocalOnlyLeaks, type LeakFinding } from '../compliance/scan.ts'
import type {
  ClusterAssignment, ClusterRecord, EvidenceRecord, FederationEvent, RedactedStub, WorkloadRecord
} from '../model/federation.ts'
import { parseWorkloadKey } from '../model/kube.ts'
import { partitionEvents } from '../liveness/partition-spans.ts'
import type { Resources } from '../model/resources.ts'
import type { ViewAnomaly } from '../model/view.ts'
import type { EffectivePlacement, PeerStatus, SiteHandle, SiteStatus } from '../site/site-handle.ts'
import { readsLocalOnly, type Identity } from './auth.ts'
import { sendJson } from './http.ts'
import { methodNotAllowed, statusError } from '../k8s/index.ts'
import { flotillaStatus, type FlotillaStatus } from './render.ts'
import { failure, StatusError } from './status-table.ts'

export const FLOTILLA_API_PREFIX = '/apis/flotilla.io/v1'
export const FLOTILLA_API_VERSION = 'flotilla.io/v1'

/** The routes served under the prefix, for the index document and the docs. */
export const FLOTILLA_ROUTES = ['status', 'events', 'evidence', 'bindings', 'explain/<workload key>', 'compliance'] as const

/** Fields every answer carries. */
export interface FlotillaDocument {
  apiVersion: typeof FLOTILLA_API_VERSION
  kind: string
  /** The answering site. */
  site: string
  /** The answering site's wall clock (ms), for ages. */
  now: number
}

export interface PeerRow extends PeerStatus {
  /** Seconds since the last completed reconciliation with the peer (when the site counts it). */
  syncAgeSeconds?: number
  score?: number
}

export interface OwnClusterRow {
  id: string
  name: string
  mode: ClusterRecord['mode']
  provider: string
  region: string
  zone: string
  health: ClusterRecord['health']
  healthSince: number
  nodes: ClusterRecord['nodes']
  capacity: Resources
  allocatable: Resources
  allocated: Resources
}

export interface SiteStatusBody {
  identity: { siteId: string, region: string, zone: string, peerId: string, startedAt: number }
  caller: { user: string, role: string }
  peers: PeerRow[]
  sync: { behind: number, peersBehind: number, oldestSyncAgeSeconds?: number }
  bootstrap: SiteStatus['bootstrap'] & { complete: boolean }
  clusters: OwnClusterRow[]
  view: { version: number, sites: number, clusters: number, workloads: number, policies: number, localOnly: number, stubs: number, anomalies: number }
  alarms: string[]
}

export interface EventListBody { scope: 'site' | 'federation', total: number, items: FederationEvent[] }
export interface EvidenceListBody { items: EvidenceRecord[] }

export interface BindingRow {
  workload: string
  kind: string
  namespace?: string
  name: string
  origin: string
  decidedBy: string
  generation: number
  /** Whether the binding is for the workload's current generation. */
  current: boolean
  placement: ClusterAssignment[]
  policy?: string
  reason: string
  degraded?: string
  decidedAt: number
}
export interface BindingListBody { items: BindingRow[] }

export interface ExplanationBody {
  workload: { key: string, group: string, kind: string, namespace?: string, name: string }
  text: string
  placement?: EffectivePlacement
  status?: FlotillaStatus
}

export interface LocalOnlyRow { key: string, kind: string, namespace?: string, name: string, generation: number, updatedAt: number }

export interface ComplianceBody {
  localOnly: LocalOnlyRow[]
  /** This site's redacted stubs in its replicated document. */
  stubs: RedactedStub[]
  /** Workloads marked local-only that some site's replicated document holds (the view ignored them). */
  replicatedAnomalies: ViewAnomaly[]
  scan: { available: false, reason: string } | {
    available: true
    documents: Array<{ id: string, bytes: number, changes: number, findings: number }>
    bytes: number
    changes: number
    needles: number
    strongFindings: number
    findings: LeakFinding[]
  }
  /** `clean`: nothing found; `review`: only weak marks (a shared name or string) to judge; `leak`: a strong mark found. */
  verdict: 'clean' | 'review' | 'leak' | 'unavailable'
}

export interface FlotillaRouteContext {
  req: IncomingMessage
  res: ServerResponse
  who: Identity
  site: SiteHandle
  /** The request URL (path still percent-encoded). */
  url: URL
  /** This site's wall clock (ms). */
  now: () => number
}

export function isFlotillaPath (pathname: string): boolean {
  return pathname === FLOTILLA_API_PREFIX || pathname.startsWith(`${FLOTILLA_API_PREFIX}/`)
}

/** Answers one request under the prefix; throws Statuses the dispatcher sends. */
export function serveFlotillaRoute (ctx: FlotillaRouteContext): void {
  if (ctx.req.method !== 'GET' && ctx.req.method !== 'HEAD') throw methodNotAllowed(`${ctx.url.pathname} is read-only: only GET is served`)
  const rest = ctx.url.pathname.slice(FLOTILLA_API_PREFIX.length).replace(/^\/+/, '')
  const slash = rest.indexOf('/')
  const head = slash < 0 ? rest : rest.slice(0, slash)
  const tail = slash < 0 ? '' : rest.slice(slash + 1)
  const q = ctx.url.searchParams
  const send = (kind: string, body: object): void => {
    sendJson(ctx.res, 200, JSON.stringify({ apiVersion: FLOTILLA_API_VERSION, kind, site: ctx.site.siteId, now: ctx.now(), ...body }))
  }
  if (head !== 'explain' && tail !== '') throw unknownRoute(ctx.url.pathname)
  switch (head) {
    case '': send('RouteList', { routes: FLOTILLA_ROUTES.map((r) => `${FLOTILLA_API_PREFIX}/${r}`) }); return
    case 'status': send('SiteStatus', siteStatusBody(ctx)); return
    case 'events': send('EventList', eventsBody(ctx.site, q, ctx.now())); return
    case 'evidence': send('EvidenceList', { items: ctx.site.evidence() }); return
    case 'bindings': send('BindingList', bindingsBody(ctx.site, q)); return
    case 'explain': send('Explanation', explainBody(ctx, decodeKey(tail))); return
    case 'compliance': send('ComplianceReport', complianceBody(ctx)); return
    default: throw unknownRoute(ctx.url.pathname)
  }
}

function unknownRoute (path: string): StatusError {
  return new StatusError(failure(404, 'NotFound', `the server could not find the requested resource: ${path} (served: ${FLOTILLA_ROUTES.join(', ')})`))
}

function decodeKey (raw: string): string {
  try { return decodeURIComponent(raw) } catch { throw statusError(400, 'BadRequest', `the workload key ${JSON.stringify(raw)} is not valid percent-encoding`) }
}

function nonNegativeInteger (q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name)
  if (v === null || v === '') return undefined
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw statusError(400, 'BadRequest', `'${name}' must be a non-negative integer: received ${JSON.stringify(v)}`)
  return Number(v)
}

function siteStatusBody (ctx: FlotillaRouteContext): SiteStatusBody {
  const { site } = ctx
  const s = site.status()
  const metrics = site.metrics?.()
  const view = site.view()
  const peers: PeerRow[] = s.peers.map((p) => {
    const m = metrics?.peers.find((x) => x.siteId === p.siteId)
    return { ...p, ...(m?.syncAgeSeconds === undefined ? {} : { syncAgeSeconds: m.syncAgeSeconds }), ...(m?.score === undefined ? {} : { score: m.score }) }
  })
  const ages = peers.flatMap((p) => (p.syncAgeSeconds === undefined ? [] : [p.syncAgeSeconds]))
  const clusters: OwnClusterRow[] = view.clusters.filter((c) => c.site === site.siteId).map((c) => ({
    id: c.id, name: c.name, mode: c.mode, provider: c.provider, region: c.region, zone: c.zone, health: c.health, healthSince: c.healthSince,
    nodes: c.nodes, capacity: c.capacity, allocatable: c.allocatable, allocated: c.allocated
  }))
  const { documents, changes } = s.bootstrap
  return {
    identity: { siteId: s.siteId, region: s.region, zone: s.zone, peerId: s.peerId, startedAt: s.startedAt },
    caller: { user: ctx.who.user, role: ctx.who.role },
    peers,
    sync: {
      behind: peers.reduce((n, p) => n + p.behind, 0),
      peersBehind: peers.filter((p) => p.behind > 0).length,
      ...(ages.length === 0 ? {} : { oldestSyncAgeSeconds: Math.max(...ages) })
    },
    bootstrap: { documents, changes, complete: documents.have >= documents.total && changes.have >= changes.total },
    clusters,
    view: {
      version: site.viewVersion(), sites: view.sites.length, clusters: view.clusters.length, workloads: view.workloads.length,
      policies: view.policies.length, localOnly: site.localWorkloads().length, stubs: view.stubs.length, anomalies: view.anomalies.length
    },
    alarms: s.alarms
  }
}

function eventsBody (site: SiteHandle, q: URLSearchParams, now: number): EventListBody {
  const scope = q.get('scope') ?? 'site'
  if (scope !== 'site' && scope !== 'federation') throw statusError(400, 'BadRequest', `'scope' must be "site" or "federation": received ${JSON.stringify(scope)}`)
  const sinceSeconds = nonNegativeInteger(q, 'sinceSeconds')
  const sinceTimeText = q.get('sinceTime')
  let since: number | undefined = sinceSeconds === undefined ? undefined : now - sinceSeconds * 1000
  if (sinceTimeText !== null && sinceTimeText !== '') {
    const t = Date.parse(sinceTimeText)
    if (Number.isNaN(t)) throw statusError(400, 'BadRequest', `'sinceTime' must be an RFC 3339 time: received ${JSON.stringify(sinceTimeText)}`)
    since = Math.max(since ?? -Infinity, t)
  }
  const limit = nonNegativeInteger(q, 'limit')
  const recorded: FederationEvent[] = scope === 'site' ? site.events() : site.view().events
  // Partitions are derived from each observer's failures at read time (partition-spans.ts), never recorded.
  const all = [...recorded, ...partitionEvents(recorded, Math.max(0, site.view().sites.length - 1)).map((p) => p.event)]
  // Newest last, as a log reads; same-time events keep their writer's order.
  let items = [...all].sort((a, b) => a.at - b.at || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0) || (a.seq ?? 0) - (b.seq ?? 0))
  if (since !== undefined) items = items.filter((e) => e.at >= since)
  const total = items.length
  if (limit !== undefined && limit > 0) items = items.slice(-limit)
  return { scope, total, items }
}

function bindingsBody (site: SiteHandle, q: URLSearchParams): BindingListBody {
  const only = q.get('workload')
  const items: BindingRow[] = site.view().workloads
    .filter((w) => only === null || only === '' || w.key === only)
    .flatMap((w) => w.bindings.map((b) => ({
      workload: w.key,
      kind: w.manifest.kind,
      ...(w.manifest.metadata.namespace === undefined ? {} : { namespace: w.manifest.metadata.namespace }),
      name: w.manifest.metadata.name,
      origin: w.origin,
      decidedBy: b.decidedBy,
      generation: b.generation,
      current: b.generation === w.generation,
      placement: b.placement,
      ...(b.policy === undefined ? {} : { policy: b.policy }),
      reason: b.reason,
      ...(b.degraded === undefined ? {} : { degraded: b.degraded }),
      decidedAt: b.decidedAt
    })))
  return { items }
}

function explainBody (ctx: FlotillaRouteContext, key: string): ExplanationBody {
  const { site } = ctx
  const local = site.localWorkloads().find((r) => r.key === key)
  // A local-only record is invisible to roles that may not read it, exactly as in lists.
  const hidden = local !== undefined && !readsLocalOnly(ctx.who.role)
  const w = site.view().workloads.find((x) => x.key === key)
  if (hidden || (w === undefined && local === undefined)) {
    throw statusError(404, 'NotFound', `workload "${key}" is not known at site "${site.siteId}"`, { name: key, group: 'flotilla.io', kind: 'workloads' })
  }
  // A workload that arrived since the controllers' last tick has no explanation yet.
  const text = site.explain(key) ?? `the scheduler of site ${site.siteId} has not considered ${key} yet (it runs on the next controller tick); try again in a moment`
  const effective = site.placement(key)
  const record = w ?? local
  const status = record === undefined ? undefined
    : flotillaStatus({ record, bindings: w?.bindings ?? [], shares: w?.shares ?? site.localShares(key), effective })
  const parsed = parseWorkloadKey(key)
  return {
    workload: { key, group: parsed.group, kind: parsed.kind, ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }), name: parsed.name },
    text,
    ...(effective === undefined ? {} : { placement: effective }),
    ...(status === undefined ? {} : { status })
  }
}

function complianceBody (ctx: FlotillaRouteContext): ComplianceBody {
  const { site, who } = ctx
  if (who.role !== 'auditor') {
    // Separation of duties: the role that writes local-only records does not certify them.
    throw new StatusError(failure(403, 'Forbidden',
      `the compliance report is forbidden: User "${who.user}" (role "${who.role}") cannot get the compliance report of site "${site.siteId}": only the auditor role may`,
      { group: 'flotilla.io', kind: 'compliance' }))
  }
  const local = site.localWorkloads()
  const records: WorkloadRecord[] = local.map((r) => ({
    key: r.key, origin: site.siteId, residency: { kind: 'local-only' }, stateless: false, manifest: r.manifest, generation: r.generation, updatedAt: r.updatedAt
  }))
  const needles = localOnlyNeedles(records)
  const view = site.view()
  const localOnly: LocalOnlyRow[] = local.map((r) => ({
    key: r.key, kind: r.manifest.kind, ...(r.manifest.metadata.namespace === undefined ? {} : { namespace: r.manifest.metadata.namespace }),
    name: r.manifest.metadata.name, generation: r.generation, updatedAt: r.updatedAt
  }))
  const stubs = view.stubs.filter((s) => s.origin === site.siteId)
  const replicatedAnomalies = view.anomalies.filter((a) => a.code === 'local-only-replicated')
  const documents = site.replicatedDocuments?.()
  if (documents === undefined) {
    return { localOnly, stubs, replicatedAnomalies, scan: { available: false, reason: 'this site does not expose its replicated documents for scanning' }, verdict: 'unavailable' }
  }
  const perDocument: Array<{ id: string, bytes: number, changes: number, findings: number }> = []
  const findings: LeakFinding[] = []
  for (const d of [...documents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const r = scanForLocalOnlyLeaks([{ label: d.id, bytes: d.bytes }], needles)
    perDocument.push({ id: d.id, bytes: r.bytes, changes: r.changes, findings: r.findings.length })
    findings.push(...r.findings)
  }
  const strong = findings.filter((f) => f.strong).length
  const verdict = strong > 0 ? 'leak' : findings.length > 0 ? 'review' : 'clean'
  return {
    localOnly, stubs, replicatedAnomalies,
    scan: {
      available: true,
      documents: perDocument,
      bytes: perDocument.reduce((n, d) => n + d.bytes, 0),
      changes: perDocument.reduce((n, d) => n + d.changes, 0),
      needles: needles.length,
      strongFindings: strong,
      findings
    },
    verdict
  }
}
