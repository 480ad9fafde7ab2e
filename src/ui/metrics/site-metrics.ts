/**
 * The metric families `/metrics` serves for a site: build and identity, the view (its
 * version and sizes, workloads by phase), peers (connected, liveness, heartbeat age,
 * sync lag, bytes), replication (changes accepted and rejected by reason), decisions
 * (placements, migrations, failbacks), the Kubernetes API's request latency, evidence,
 * and the dashboard's own requests. Figures the site does not report through
 * `metrics()` yet fall back to what its events say, and are left out rather than
 * invented where nothing says them.
 */
import type { SiteHandle, SiteMetrics } from '../../site/site-handle.ts'
import type { DashboardData } from '../dashboard-data.ts'
import { ROW_PHASES } from '../queries/workload-index.ts'
import { histogramSamples, type MetricFamily, type Sample } from './exposition.ts'
import type { LatencyHistogram } from './histogram.ts'

const LIVENESS = ['alive', 'suspect', 'failed', 'recovering', 'unknown'] as const

export interface MetricsInput {
  site: SiteHandle
  data: DashboardData
  build: { version: string, node: string }
  dashboard: { liveClients: number, requests: LatencyHistogram }
}

const family = (name: string, type: MetricFamily['type'], help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples })

function eventCounts (site: SiteHandle): { migrations: number, failbacks: number } {
  let migrations = 0
  let failbacks = 0
  for (const e of site.events()) {
    if (e.kind === 'migration') migrations += e.moved?.length ?? 1
    else if (e.kind === 'failback') failbacks += e.moved?.length ?? 1
  }
  return { migrations, failbacks }
}

export function siteMetricFamilies (input: MetricsInput): MetricFamily[] {
  const { site, data } = input
  const status = site.status()
  const view = site.view()
  const m: SiteMetrics | undefined = site.metrics?.()
  const self = { site: status.siteId }
  const peerExtra = new Map((m?.peers ?? []).map((p) => [p.siteId, p]))
  const index = data.index()

  const evidenceByKind = new Map<string, number>()
  for (const e of data.evidence()) evidenceByKind.set(e.kind, (evidenceByKind.get(e.kind) ?? 0) + e.count)

  const families: MetricFamily[] = [
    family('flotilla_build_info', 'gauge', 'Build of the running site; the value is always 1.', [{ labels: { version: input.build.version, node: input.build.node }, value: 1 }]),
    family('flotilla_site_info', 'gauge', 'Identity of this site; the value is always 1.', [{ labels: { site: status.siteId, region: status.region, zone: status.zone, peer_id: status.peerId }, value: 1 }]),
    family('flotilla_site_start_time_seconds', 'gauge', 'Wall time the site started, in seconds since the epoch.', [{ labels: self, value: status.startedAt / 1000 }]),
    family('flotilla_view_version', 'gauge', 'Version of this site\'s global view; grows by one on every change.', [{ labels: self, value: site.viewVersion() }]),
    family('flotilla_view_sites', 'gauge', 'Sites in the global view.', [{ labels: self, value: view.sites.length }]),
    family('flotilla_view_clusters', 'gauge', 'Clusters in the global view, by health.',
      (['Ready', 'NotReady', 'Unknown'] as const).map((h) => ({ labels: { ...self, health: h }, value: view.clusters.filter((c) => c.health === h).length }))),
    family('flotilla_view_workloads', 'gauge', 'Workloads in the global view (and this site\'s local-only ones), by phase.',
      ROW_PHASES.map((phase) => ({ labels: { ...self, phase }, value: index.counts.byPhase[phase] }))),
    family('flotilla_view_anomalies', 'gauge', 'Records the view ignored (malformed, misplaced, foreign).', [{ labels: self, value: view.anomalies.length }]),
    family('flotilla_alarms', 'gauge', 'Alarms this site raises now (failed peers, peers whose heartbeats are refused for clock skew, clusters not ready, corrupt records, degraded workloads, controller ticks failing).', [{ labels: self, value: status.alarms.length }]),
    family('flotilla_peers', 'gauge', 'Peer sites in the roster, by whether a connection is open.', [
      { labels: { ...self, state: 'connected' }, value: status.peers.filter((p) => p.connected).length },
      { labels: { ...self, state: 'disconnected' }, value: status.peers.filter((p) => !p.connected).length }
    ]),
    family('flotilla_peer_connected', 'gauge', '1 when a connection to the peer site is open.',
      status.peers.map((p) => ({ labels: { ...self, peer: p.siteId }, value: p.connected ? 1 : 0 }))),
    family('flotilla_peer_liveness', 'gauge', 'Liveness of each peer site as this site judges it from signed heartbeats (1 for the current state).',
      status.peers.flatMap((p) => LIVENESS.map((state) => ({ labels: { ...self, peer: p.siteId, state }, value: p.liveness === state ? 1 : 0 })))),
    family('flotilla_peer_heartbeat_age_seconds', 'gauge', 'Seconds since the last accepted heartbeat of each peer site.',
      status.peers.filter((p) => p.lastHeartbeatAgoMs !== undefined).map((p) => ({ labels: { ...self, peer: p.siteId }, value: (p.lastHeartbeatAgoMs as number) / 1000 }))),
    family('flotilla_sync_lag_changes', 'gauge', 'Changes a peer site holds that this site lacks (approximate).',
      status.peers.map((p) => ({ labels: { ...self, peer: p.siteId }, value: p.behind }))),
    family('flotilla_peer_received_bytes_total', 'counter', 'Bytes received from each peer site.',
      status.peers.map((p) => ({ labels: { ...self, peer: p.siteId }, value: p.bytesIn }))),
    family('flotilla_peer_sent_bytes_total', 'counter', 'Bytes sent to each peer site.',
      status.peers.map((p) => ({ labels: { ...self, peer: p.siteId }, value: p.bytesOut })))
  ]

  if (m !== undefined) {
    families.push(
      family('flotilla_sync_age_seconds', 'gauge', 'Seconds since the last completed reconciliation with each peer site.',
        status.peers.filter((p) => peerExtra.get(p.siteId)?.syncAgeSeconds !== undefined).map((p) => ({ labels: { ...self, peer: p.siteId }, value: peerExtra.get(p.siteId)?.syncAgeSeconds as number }))),
      family('flotilla_peer_score', 'gauge', 'Replication guard score of each peer site (lower is worse).',
        (m.peers).filter((p) => p.score !== undefined).map((p) => ({ labels: { ...self, peer: p.siteId }, value: p.score as number }))),
      family('flotilla_changes_accepted_total', 'counter', 'Signed changes from peers accepted into documents.', [{ labels: self, value: m.replication.changesAccepted }]),
      family('flotilla_changes_duplicate_total', 'counter', 'Changes received that this site already held.', [{ labels: self, value: m.replication.changesDuplicate }]),
      family('flotilla_changes_rejected_total', 'counter', 'Changes refused or dropped, by reason.',
        Object.keys(m.replication.changesRejected).sort().map((reason) => ({ labels: { ...self, reason }, value: m.replication.changesRejected[reason] as number }))),
      family('flotilla_sync_sessions_total', 'counter', 'Reconciliation sessions, by outcome.', [
        { labels: { ...self, outcome: 'started' }, value: m.replication.sessions.started },
        { labels: { ...self, outcome: 'completed' }, value: m.replication.sessions.completed },
        { labels: { ...self, outcome: 'timed-out' }, value: m.replication.sessions.timedOut }
      ]),
      family('flotilla_placements_total', 'counter', 'Placement decisions (bindings) this site wrote.', [{ labels: self, value: m.controllers.placements }]),
      family('flotilla_heartbeats_refused_total', 'counter', 'Signed heartbeats of each peer site refused by the failure detector, by reason (clock-skew: wall time further from this site\'s clock than failover.maxClockSkewMs).',
        (m.liveness?.refusedForSkew ?? []).map((k) => ({ labels: { ...self, peer: k.siteId, reason: 'clock-skew' }, value: k.count }))),
      family('flotilla_peer_clock_skew_seconds', 'gauge', 'Wall time of the last heartbeat of each peer site refused for clock skew, minus this site\'s clock.',
        (m.liveness?.refusedForSkew ?? []).map((k) => ({ labels: { ...self, peer: k.siteId }, value: k.lastSkewSeconds }))),
      family('flotilla_controller_ticks_total', 'counter', 'Controller ticks run.', [{ labels: self, value: m.controllers.ticks }])
    )
  }
  const moved = m === undefined ? eventCounts(site) : { migrations: m.controllers.migrations, failbacks: m.controllers.failbacks }
  families.push(family('flotilla_failovers_total', 'counter', 'Workloads this site moved: off failed clusters (migration) or back (failback).', [
    { labels: { ...self, kind: 'migration' }, value: moved.migrations },
    { labels: { ...self, kind: 'failback' }, value: moved.failbacks }
  ]))
  families.push(family('flotilla_evidence', 'gauge', 'Byzantine evidence known to this site (all observers), by kind; counts repeated offences.',
    [...evidenceByKind].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([kind, n]) => ({ labels: { ...self, kind }, value: n }))))

  if (m?.api !== undefined) {
    families.push(
      family('flotilla_api_requests_total', 'counter', 'Requests the Kubernetes-compatible API answered, by verb and status code.',
        m.api.requests.map((r) => ({ labels: { ...self, verb: r.verb, code: String(r.code) }, value: r.count }))),
      family('flotilla_api_request_duration_seconds', 'histogram', 'Latency of the Kubernetes-compatible API\'s requests (watches excluded).', histogramSamples(m.api.latency, self))
    )
  }
  families.push(
    family('flotilla_dashboard_live_clients', 'gauge', 'Browsers following the dashboard\'s live updates.', [{ labels: self, value: input.dashboard.liveClients }]),
    family('flotilla_dashboard_request_duration_seconds', 'histogram', 'Latency of the dashboard\'s JSON and metrics requests.', histogramSamples(input.dashboard.requests.snapshot(), self))
  )
  return families
}
