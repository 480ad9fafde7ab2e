/**
 * The dashboard server over real HTTP on 127.0.0.1 against the in-memory site: the JSON
 * endpoints (summary, sites, clusters, workloads with paging, search and filters, one
 * workload, events, evidence), `/metrics`, the app's files, what it refuses, and the
 * live update stream.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/ports/logger.ts'
import type { SiteMetrics } from '../../src/site/site-handle.ts'
import { createDashboardServer, type DashboardServer } from '../../src/ui/index.ts'
import type {
  ClustersJson, EventsJson, EvidenceJson, SitesJson, SummaryJson, WorkloadDetailJson, WorkloadsJson
} from '../../src/ui/index.ts'
import { deployment } from '../api/support/manifests.ts'
import { get, readEvents } from './support/dashboard-client.ts'
import { createDashboardSite, PEERS, SELF, type DashboardSite } from './support/dashboard-site.ts'

const T = 1_760_000_000_000

const METRICS: SiteMetrics = {
  replication: { changesAccepted: 1234, changesDuplicate: 7, changesRejected: { 'bad-signature': 3, 'unauthorized-writer': 1, 'odd "reason"\\\n': 2 }, sessions: { started: 40, completed: 38, timedOut: 2 } },
  peers: [{ siteId: 'ap-southeast', syncAgeSeconds: 1.5, score: 10 }, { siteId: 'us-east', syncAgeSeconds: 4 }],
  controllers: { placements: 17, migrations: 5, failbacks: 1, ticks: 300 },
  api: {
    requests: [{ verb: 'list', code: 200, count: 12 }, { verb: 'patch', code: 409, count: 1 }],
    latency: { buckets: [{ le: 0.005, count: 6 }, { le: 0.05, count: 12 }], sum: 0.21, count: 13 }
  }
}

async function start (site: DashboardSite, extra: Partial<Parameters<typeof createDashboardServer>[0]> = {}): Promise<DashboardServer> {
  const server = createDashboardServer({ site, listen: '127.0.0.1:0', logger: silentLogger, live: { minIntervalMs: 30, statusIntervalMs: 40 }, ...extra })
  await server.start()
  return server
}

describe('the dashboard server', () => {
  let site: DashboardSite
  let server: DashboardServer
  let url: string

  beforeAll(async () => {
    site = createDashboardSite()
    // A roster member whose site document has not arrived yet.
    site.change((v) => ({ ...v, federation: { ...v.federation, members: [...v.federation.members, { siteId: 'sa-east', publicKey: 'cd'.repeat(32), region: 'sa-east' }] } }))
    await site.putObject(deployment('audit-log', { namespace: 'compliance', replicas: 1, annotations: { 'flotilla.io/residency': 'local-only' } }))
    site.setPlacement('apps/Deployment/compliance/audit-log', { assignments: [{ cluster: 'eu-west.main', replicas: 1 }], mode: 'planned', reason: 'local-only: this site only' })
    site.addPeerEvent('us-east', { kind: 'site-suspected', at: T + 5_000, subject: 'ap-southeast', cause: 'no heartbeat for 10 s' })
    site.addPeerEvent('ap-southeast', { kind: 'partition', at: T + 6_000, subject: 'us-east', cause: 'no path to us-east' })
    site.addOwnEvent({ kind: 'site-recovered', at: T + 9_000, subject: 'ap-southeast', cause: 'heartbeats resumed' }, false)
    site.addEvidence({ id: 'ev-1', kind: 'equivocation', offender: 'mallory', observedBy: SELF, at: T + 7_000, detail: 'two changes with seq 4', count: 2, proof: ['AAAA', 'BBBB'] })
    site.addEvidence({ id: 'ev-2', kind: 'bad-signature', offender: '12D3KooWxyz', observedBy: 'us-east', at: T + 8_000, detail: 'signature does not verify', count: 9 }, false)
    site.setMetrics(METRICS)
    server = await start(site)
    url = server.url
  })

  afterAll(async () => { await server.stop() })

  describe('JSON', () => {
    it('summarises this site, its peers and the federation', async () => {
      const s = (await get(url, '/ui/api/summary')).json<SummaryJson>()
      expect(s.site).toMatchObject({ id: SELF, region: 'eu-west', zone: 'eu-west-a' })
      expect(s.version).toBe(site.viewVersion())
      expect(s.build.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(s.peers.map((p) => [p.siteId, p.liveness, p.connected])).toEqual([['ap-southeast', 'alive', true], ['us-east', 'alive', true]])
      expect(s.counts).toMatchObject({
        sites: 4, sitesByHealth: { self: 1, alive: 2, unknown: 1, failed: 0 },
        clusters: 6, clustersByHealth: { Ready: 6, NotReady: 0, Unknown: 0 },
        workloads: 6, workloadsByPhase: { Ready: 3, Progressing: 1, Degraded: 1, LocalOnly: 1 }, attention: 2,
        events: 3, evidence: 2
      })
    })

    it('lists every site with its health as this site sees it, a roster member without a document as unknown', async () => {
      const sites = (await get(url, '/ui/api/sites')).json<SitesJson>()
      expect(sites.items.map((s) => [s.id, s.region, s.health, s.connected, s.clusters.total, s.workloads])).toEqual([
        ['ap-southeast', 'ap-southeast', 'alive', true, 2, 1],
        ['eu-west', 'eu-west', 'self', true, 2, 4],
        ['sa-east', 'sa-east', 'unknown', false, 0, 0],
        ['us-east', 'us-east', 'alive', true, 2, 1]
      ])
      const ap = sites.items.find((s) => s.id === 'ap-southeast')
      expect(ap).toMatchObject({ lastHeartbeatAgoMs: 800, bytesIn: 120_000, bytesOut: 98_000, member: true })
    })

    it('lists clusters with CPU, memory, pods, GPU and vGPU capacity and the owner\'s health', async () => {
      const c = (await get(url, '/ui/api/clusters')).json<ClustersJson>()
      expect(c.items.map((x) => x.id)).toEqual(['ap-southeast.edge', 'ap-southeast.main', 'eu-west.gpu', 'eu-west.main', 'us-east.batch', 'us-east.main'])
      const gpu = c.items.find((x) => x.id === 'eu-west.gpu')
      expect(gpu).toMatchObject({ site: SELF, siteHealth: 'self', health: 'Ready', nodes: { total: 4, ready: 4 } })
      expect(gpu?.allocatable).toMatchObject({ cpuMilli: 32_000, gpu: 8, vgpuCores: 800, vgpuMemoryMiB: 8 * 24_576 })
      expect(gpu?.allocated).toMatchObject({ gpu: 5, vgpuCores: 430 })
    })

    it('answers a page of workloads with placement and ready replicas per cluster', async () => {
      const page = (await get(url, '/ui/api/workloads?limit=2&offset=1')).json<WorkloadsJson>()
      expect(page).toMatchObject({ total: 6, matched: 6, offset: 1, limit: 2 })
      expect(page.items.map((w) => w.key)).toEqual(['apps/Deployment/finance/ledger', 'apps/Deployment/ml/inference'])
      const all = (await get(url, '/ui/api/workloads')).json<WorkloadsJson>()
      const web = all.items.find((w) => w.key === 'apps/Deployment/shop/web')
      expect(web).toMatchObject({ origin: SELF, residency: 'global', desired: 6, ready: 6, phase: 'Ready', attention: false })
      expect(web?.placement).toEqual([
        { cluster: 'ap-southeast.main', planned: 2, ready: 2, extra: false },
        { cluster: 'eu-west.main', planned: 2, ready: 2, extra: false },
        { cluster: 'us-east.main', planned: 2, ready: 2, extra: false }
      ])
      expect(all.items.find((w) => w.name === 'ledger')?.residency).toBe('regions: eu-west')
      expect(all.facets).toEqual({ origins: ['ap-southeast', 'eu-west', 'us-east'], kinds: ['Deployment', 'Service'], phases: ['Degraded', 'Unplaced', 'Progressing', 'Pending', 'Ready', 'LocalOnly'] })
    })

    it('searches by name, namespace and origin, and filters by origin, kind, phase and degraded', async () => {
      const keys = async (qs: string): Promise<string[]> => (await get(url, `/ui/api/workloads?${qs}`)).json<WorkloadsJson>().items.map((w) => w.key)
      expect(await keys('q=catalog')).toEqual(['apps/Deployment/shop/catalog'])
      expect(await keys('q=SHOP')).toEqual(['apps/Deployment/shop/catalog', 'apps/Deployment/shop/web', 'core/Service/shop/web'])
      expect(await keys('q=shop%20ap-southeast')).toEqual(['apps/Deployment/shop/catalog'])
      expect(await keys('origin=us-east')).toEqual(['apps/Deployment/ml/inference'])
      expect(await keys('kind=Service')).toEqual(['core/Service/shop/web'])
      expect(await keys('phase=LocalOnly')).toEqual(['apps/Deployment/compliance/audit-log'])
      expect(await keys('attention=1')).toEqual(['apps/Deployment/ml/inference', 'apps/Deployment/shop/catalog'])
      expect((await keys('sort=attention')).slice(0, 2)).toEqual(['apps/Deployment/ml/inference', 'apps/Deployment/shop/catalog'])
      const none = (await get(url, '/ui/api/workloads?q=nothing-like-this')).json<WorkloadsJson>()
      expect(none).toMatchObject({ total: 6, matched: 0, items: [] })
    })

    it('refuses bad query parameters with 400, naming the parameter and the value', async () => {
      for (const [qs, param] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['offset=-1', 'offset'], ['phase=Sleeping', 'phase'], ['sort=size', 'sort'], ['attention=maybe', 'attention'], [`q=${'x'.repeat(201)}`, 'q']] as const) {
        const r = await get(url, `/ui/api/workloads?${qs}`)
        expect(r.status, qs).toBe(400)
        expect(r.json()).toMatchObject({ code: 'input-invalid' })
        expect(r.json<{ message: string }>().message).toContain(`'${param}'`)
      }
      expect((await get(url, '/ui/api/events?kind=earthquake')).status).toBe(400)
      expect((await get(url, '/ui/api/workload')).status).toBe(400)
    })

    it('shows one workload with per-cluster status, bindings, where this site runs it and the explanation', async () => {
      const d = (await get(url, `/ui/api/workload?key=${encodeURIComponent('apps/Deployment/shop/web')}`)).json<WorkloadDetailJson>()
      expect(d.row.key).toBe('apps/Deployment/shop/web')
      expect(d.status?.phase).toBe('Ready')
      expect(d.status?.clusters.map((c) => [c.cluster, c.planned, c.ready])).toEqual([['ap-southeast.main', 2, 2], ['eu-west.main', 2, 2], ['us-east.main', 2, 2]])
      expect(d.bindings.map((b) => b.decidedBy)).toEqual([SELF])
      expect(d.effective).toMatchObject({ mode: 'planned' })
      expect(d.explain).toContain('apps/Deployment/shop/web')
      expect(d.manifest?.kind).toBe('Deployment')
      const missing = await get(url, `/ui/api/workload?key=${encodeURIComponent('apps/Deployment/shop/nope')}`)
      expect(missing.status).toBe(404)
      expect(missing.json()).toMatchObject({ code: 'not-found' })
    })

    it('lists this site\'s local-only workload with its placement but withholds its manifest', async () => {
      const d = (await get(url, `/ui/api/workload?key=${encodeURIComponent('apps/Deployment/compliance/audit-log')}`)).json<WorkloadDetailJson>()
      expect(d.row).toMatchObject({ residency: 'local-only', phase: 'LocalOnly', ready: null, origin: SELF, placement: [{ cluster: 'eu-west.main', planned: 1, ready: 0, extra: false }] })
      expect(d.manifest).toBeUndefined()
      expect(d.manifestWithheld).toContain('auditor')
      expect(JSON.stringify(d)).not.toContain('"spec"')
    })

    it('merges the events of every site with this site\'s own not yet replicated, newest first, filterable by kind', async () => {
      const ev = (await get(url, '/ui/api/events')).json<EventsJson>()
      expect(ev.items.map((e) => [e.kind, e.site, e.localOnly === true])).toEqual([
        ['site-recovered', SELF, true], ['partition', 'ap-southeast', false], ['site-suspected', 'us-east', false]
      ])
      const failures = (await get(url, '/ui/api/events?kind=site-failed,site-suspected')).json<EventsJson>()
      expect(failures.items.map((e) => e.kind)).toEqual(['site-suspected'])
      const paged = (await get(url, '/ui/api/events?limit=1&offset=1')).json<EventsJson>()
      expect(paged).toMatchObject({ total: 3, offset: 1, limit: 1 })
      expect(paged.items.map((e) => e.kind)).toEqual(['partition'])
    })

    it('lists the evidence of every observer once, most recent first, without the proof bytes', async () => {
      const ev = (await get(url, '/ui/api/evidence')).json<EvidenceJson>()
      expect(ev.items.map((e) => [e.kind, e.offender, e.observedBy, e.count, e.proofs])).toEqual([
        ['bad-signature', '12D3KooWxyz', 'us-east', 9, 0], ['equivocation', 'mallory', SELF, 2, 2]
      ])
      expect(JSON.stringify(ev)).not.toContain('AAAA')
    })
  })

  describe('/metrics', () => {
    it('serves the text format 0.0.4 with peers, sync lag, bytes, changes by reason, placements, failovers, API latency, view version and build', async () => {
      const r = await get(url, '/metrics')
      expect(r.status).toBe(200)
      expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
      const lines = r.text.split('\n')
      const has = (line: string): void => { expect(lines, line).toContain(line) }
      expect(lines.some((l) => /^flotilla_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+/.test(l))).toBe(true)
      has(`flotilla_view_version{site="eu-west"} ${site.viewVersion()}`)
      has('flotilla_peers{site="eu-west",state="connected"} 2')
      has('flotilla_peer_connected{site="eu-west",peer="ap-southeast"} 1')
      has('flotilla_peer_liveness{site="eu-west",peer="us-east",state="alive"} 1')
      has('flotilla_peer_liveness{site="eu-west",peer="us-east",state="failed"} 0')
      has('flotilla_peer_heartbeat_age_seconds{site="eu-west",peer="ap-southeast"} 0.8')
      has('flotilla_sync_lag_changes{site="eu-west",peer="us-east"} 0')
      has('flotilla_sync_age_seconds{site="eu-west",peer="ap-southeast"} 1.5')
      has('flotilla_peer_received_bytes_total{site="eu-west",peer="ap-southeast"} 120000')
      has('flotilla_peer_sent_bytes_total{site="eu-west",peer="us-east"} 98000')
      has('flotilla_changes_accepted_total{site="eu-west"} 1234')
      has('flotilla_changes_rejected_total{site="eu-west",reason="bad-signature"} 3')
      has('flotilla_changes_rejected_total{site="eu-west",reason="odd \\"reason\\"\\\\\\n"} 2')
      has('flotilla_placements_total{site="eu-west"} 17')
      has('flotilla_failovers_total{site="eu-west",kind="migration"} 5')
      has('flotilla_failovers_total{site="eu-west",kind="failback"} 1')
      has('flotilla_api_requests_total{site="eu-west",verb="patch",code="409"} 1')
      has('flotilla_api_request_duration_seconds_bucket{site="eu-west",le="0.05"} 12')
      has('flotilla_api_request_duration_seconds_bucket{site="eu-west",le="+Inf"} 13')
      has('flotilla_api_request_duration_seconds_count{site="eu-west"} 13')
      has('flotilla_view_workloads{site="eu-west",phase="LocalOnly"} 1')
      has('flotilla_evidence{site="eu-west",kind="bad-signature"} 9')
      has('# TYPE flotilla_dashboard_request_duration_seconds histogram')
      // Every sample line parses as name{labels} value.
      for (const l of lines.filter((x) => x !== '' && !x.startsWith('#'))) expect(l).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/)
    })

    it('counts failovers from this site\'s events when the site reports no metrics, and leaves out what nothing reports', async () => {
      const bare = createDashboardSite()
      bare.failSite('us-east')
      const s = await start(bare)
      try {
        const text = (await get(s.url, '/metrics')).text
        expect(text).toContain('flotilla_failovers_total{site="eu-west",kind="migration"} 3')
        expect(text).toContain('flotilla_peer_liveness{site="eu-west",peer="us-east",state="failed"} 1')
        expect(text).toContain('flotilla_peer_connected{site="eu-west",peer="us-east"} 0')
        expect(text).not.toContain('flotilla_changes_accepted_total')
        expect(text).not.toContain('flotilla_api_request_duration_seconds')
      } finally {
        await s.stop()
      }
    })
  })

  describe('serving', () => {
    it('serves the app and its files with a strict Content-Security-Policy and ETags, answering 304 on revalidation', async () => {
      const page = await get(url, '/')
      expect(page.status).toBe(200)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(page.headers['content-security-policy']).toContain("script-src 'self'")
      expect(page.headers['content-security-policy']).toContain("default-src 'none'")
      expect(page.headers['x-content-type-options']).toBe('nosniff')
      expect(page.text).not.toMatch(/https?:\/\//)
      const js = await get(url, '/assets/app.js')
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
      const again = await get(url, '/assets/app.js', { 'If-None-Match': String(js.headers['etag']) })
      expect(again.status).toBe(304)
      expect((await get(url, '/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8')
      expect((await get(url, '/assets/../server.ts')).status).toBe(404)
      expect((await get(url, '/assets/nothing.js')).status).toBe(404)
    })

    it('preloads every module the app loads, and loads nothing from another origin', async () => {
      const page = (await get(url, '/')).text
      const preloaded = [...page.matchAll(/<link rel="modulepreload" href="\/assets\/([^"]+)">/g)].map((m) => m[1])
      const seen = new Set<string>()
      const queue = ['app.js']
      while (queue.length > 0) {
        const file = queue.shift() as string
        if (seen.has(file)) continue
        seen.add(file)
        const text = (await get(url, `/assets/${file}`)).text
        expect(text).not.toMatch(/from '(https?:)?\/\//)
        const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : ''
        for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) queue.push(new URL(m[1] as string, `http://x/${dir}`).pathname.slice(1))
      }
      seen.delete('app.js')
      expect([...seen].sort()).toEqual([...preloaded].sort())
    })

    it('refuses writes, unknown paths and Host names that are neither loopback nor allowed', async () => {
      const post = await get(url, '/ui/api/summary', {}, 'POST')
      expect(post.status).toBe(405)
      expect(post.headers['allow']).toBe('GET, HEAD')
      expect((await get(url, '/ui/api/nothing')).status).toBe(404)
      expect((await get(url, '/wp-admin')).status).toBe(404)
      const port = new URL(url).port
      expect((await get(url, '/ui/api/summary', { Host: 'evil.example' })).status).toBe(421)
      expect((await get(url, '/ui/api/summary', { Host: `evil.example:${port}` })).status).toBe(421)
      expect((await get(url, '/ui/api/summary', { Host: `localhost:${port}` })).status).toBe(200)
      const head = await get(url, '/ui/api/summary', {}, 'HEAD')
      expect(head.status).toBe(200)
      expect(head.text).toBe('')
    })

    it('accepts the Host names it is told a proxy forwards', async () => {
      const s = await start(site, { allowedHosts: ['dash.example.com', 'other.example:8443'] })
      try {
        expect((await get(s.url, '/healthz', { Host: 'dash.example.com' })).status).toBe(200)
        expect((await get(s.url, '/healthz', { Host: 'dash.example.com:443' })).status).toBe(200)
        expect((await get(s.url, '/healthz', { Host: 'other.example:8443' })).status).toBe(200)
        expect((await get(s.url, '/healthz', { Host: 'other.example:9999' })).status).toBe(421)
      } finally {
        await s.stop()
      }
    })

    it('says which listen address is wrong, and that a taken port is taken', async () => {
      expect(() => createDashboardServer({ site, listen: 'nonsense', logger: silentLogger })).toThrow(/dashboard.listen/)
      const port = new URL(url).port
      const twin = createDashboardServer({ site, listen: `127.0.0.1:${port}`, logger: silentLogger })
      await expect(twin.start()).rejects.toMatchObject({ code: 'port-in-use', message: `port ${port} on 127.0.0.1 (dashboard) is not available: EADDRINUSE` })
    })
  })

  describe('live updates', () => {
    it('says hello, then sends one version notice for a burst of changes, and a status notice when a peer\'s liveness changes', async () => {
      const live = await readEvents(url)
      try {
        expect(live.status).toBe(200)
        const hello = await live.waitFor((f) => f.event === 'hello')
        expect(JSON.parse(hello.data)).toEqual({ site: SELF, version: site.viewVersion() })
        await live.waitFor((f) => f.event === 'status')
        const mark = live.frames.length
        for (let i = 0; i < 5; i++) site.change((v) => ({ ...v }))
        const last = site.viewVersion()
        await live.waitFor((f) => f.event === 'version' && JSON.parse(f.data).version === last, 3000, mark)
        await new Promise((resolve) => setTimeout(resolve, 120))
        const versions = live.frames.slice(mark).filter((f) => f.event === 'version')
        expect(versions.length).toBeLessThanOrEqual(2)

        const before = live.frames.length
        site.setPeers(site.status().peers.map((p) => (p.siteId === PEERS[1] ? { ...p, liveness: 'suspect' } : p)))
        const status = await live.waitFor((f) => f.event === 'status' && f.data.includes('"suspect"'), 3000, before)
        expect(JSON.parse(status.data).peers).toContainEqual(expect.objectContaining({ siteId: 'us-east', liveness: 'suspect', connected: true }))
      } finally {
        site.setPeers(site.status().peers.map((p) => ({ ...p, liveness: 'alive' })))
        live.close()
      }
    })

    it('refuses streams beyond its limit with 503, and serves again once one closes', async () => {
      const s = await start(site, { live: { maxClients: 1 } })
      const first = await readEvents(s.url)
      try {
        await first.waitFor((f) => f.event === 'hello')
        const second = await get(s.url, '/ui/events')
        expect(second.status).toBe(503)
        first.close()
        let third: Awaited<ReturnType<typeof readEvents>> | undefined
        for (let i = 0; i < 50 && third === undefined; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20))
          const attempt = await readEvents(s.url)
          if (attempt.status === 200) third = attempt
          else attempt.close()
        }
        expect(third?.status).toBe(200)
        third?.close()
      } finally {
        first.close()
        await s.stop()
      }
    })
  })

  describe('a failover', () => {
    it('shows the failed site, the migration event with what moved, and the moved replicas ready on this site', async () => {
      const f = createDashboardSite()
      const s = await start(f)
      try {
        f.failSite('us-east')
        const sites = (await get(s.url, '/ui/api/sites')).json<SitesJson>()
        expect(sites.items.find((x) => x.id === 'us-east')).toMatchObject({ health: 'failed', connected: false, lastHeartbeatAgoMs: 45_000 })
        const events = (await get(s.url, '/ui/api/events?kind=site-failed,migration')).json<EventsJson>()
        expect(events.items.map((e) => e.kind)).toEqual(['migration', 'site-failed'])
        expect(events.items[0]?.moved?.map((m) => m.workload)).toContain('apps/Deployment/shop/web')
        const web = (await get(s.url, '/ui/api/workloads?q=shop/web')).json<WorkloadsJson>().items.find((w) => w.kind === 'Deployment')
        expect(web?.ready).toBe(6)
        expect(web?.placement.find((p) => p.cluster === 'eu-west.main')).toMatchObject({ planned: 2, ready: 4 })
      } finally {
        await s.stop()
      }
    })
  })
})

describe('workload paging', () => {
  it('pages add up to the matched list, in order, each row passing the filters, whatever the query', async () => {
    const site = createDashboardSite()
    site.bulk(240)
    const server = await start(site)
    try {
      await fc.assert(fc.asyncProperty(
        fc.record({
          q: fc.constantFrom('', 'team-1', 'app-001', 'us-east', 'shop', 'zzz'),
          origin: fc.constantFrom('', 'eu-west', 'ap-southeast'),
          attention: fc.boolean(),
          sort: fc.constantFrom('key', 'origin', 'attention'),
          limit: fc.integer({ min: 7, max: 120 })
        }),
        async (q) => {
          const base = `q=${encodeURIComponent(q.q)}&origin=${q.origin}&attention=${q.attention ? 1 : 0}&sort=${q.sort}&limit=${q.limit}`
          const first = (await get(server.url, `/ui/api/workloads?${base}&offset=0`)).json<WorkloadsJson>()
          const all = [...first.items]
          for (let offset = q.limit; offset < first.matched; offset += q.limit) {
            all.push(...(await get(server.url, `/ui/api/workloads?${base}&offset=${offset}`)).json<WorkloadsJson>().items)
          }
          expect(all.length).toBe(first.matched)
          expect(new Set(all.map((w) => w.key)).size).toBe(all.length)
          expect(first.total).toBe(245)
          for (const w of all) {
            if (q.origin !== '') expect(w.origin).toBe(q.origin)
            if (q.attention) expect(w.attention).toBe(true)
            if (q.q !== '') expect(`${w.namespace ?? ''}/${w.name} ${w.kind} ${w.origin}`.toLowerCase()).toContain(q.q)
          }
          if (q.sort === 'key') expect(all.map((w) => w.key)).toEqual(all.map((w) => w.key).sort())
          if (q.sort === 'attention') expect(all.findIndex((w) => !w.attention)).toBe(all.filter((w) => w.attention).length === all.length ? -1 : all.filter((w) => w.attention).length)
        }), { numRuns: 25 })
    } finally {
      await server.stop()
    }
  })
})
