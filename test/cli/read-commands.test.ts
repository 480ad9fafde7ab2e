/**
 * The read commands of regional ops — peers, status, get, explain, events, evidence —
 * against a real site API over HTTPS (fake SiteHandle, credentials from createSitePki),
 * run in-process: tables for people, `-o json|yaml` for scripts, and every bad input
 * ending in `error[code]` with a hint and its documented exit status, never a stack.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { Binding, EvidenceRecord, FederationEvent } from '../../src/model/federation.ts'
import { workloadKey } from '../../src/model/kube.ts'
import { clusterRecord, deployment, share } from '../api/support/manifests.ts'
import { runCli, startCliSite, type CliSite } from './support/cli-site.ts'

const NO_STACK = /\n\s+at /
const T0 = Date.parse('2025-06-01T12:00:00Z')

function binding (workload: string, decidedBy: string, placement: Binding['placement'], extra: Partial<Binding> = {}): Binding {
  return { workload, placement, decidedBy, generation: 1, inputHeads: 'h', reason: 'spread over 2 regions', decidedAt: Date.now() - 60_000, ...extra }
}

describe('regional ops read commands', () => {
  let s: CliSite
  let kc: string
  const webKey = workloadKey(deployment('web'))
  const catalogKey = workloadKey(deployment('catalog', { namespace: 'shop' }))
  const secretKey = workloadKey(deployment('ledger'))

  beforeAll(async () => {
    s = await startCliSite()
    kc = s.kubeconfig('admin')
    const site = s.site
    site.addSite('ap-east', 'ap-east')
    site.addSite('us-east', 'us-east')
    site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west', { gpu: 4 }))
    site.addCluster(clusterRecord('eu-west', 'c2', 'eu-west', { health: 'NotReady' }))
    site.addCluster(clusterRecord('ap-east', 'c1', 'ap-east'))
    site.setPeers([
      { siteId: 'ap-east', peerId: '12D3KooWApEastPeerIdentifierLongEnough', connected: true, liveness: 'alive', lastHeartbeatAgoMs: 1200, behind: 0, bytesIn: 2048, bytesOut: 1024 },
      { siteId: 'us-east', peerId: '12D3KooWUsEastPeerIdentifierLongEnough', connected: false, liveness: 'failed', behind: 7, bytesIn: 0, bytesOut: 512 }
    ])
    s.status = {
      startedAt: Date.now() - 125_000,
      bootstrap: { documents: { have: 3, total: 3 }, changes: { have: 40, total: 47 } },
      alarms: ['site us-east is failed (no heartbeat)', 'cluster eu-west.c2 is NotReady']
    }
    site.seedWorkload('eu-west', deployment('web', { replicas: 3 }), {
      bindings: [binding(webKey, 'eu-west', [{ cluster: 'eu-west.c1', replicas: 2 }, { cluster: 'ap-east.c1', replicas: 1 }])],
      shares: [share(webKey, 'eu-west.c1', 2), share(webKey, 'ap-east.c1', 1)]
    })
    site.setPlacement(webKey, { assignments: [{ cluster: 'eu-west.c1', replicas: 2 }, { cluster: 'ap-east.c1', replicas: 1 }], mode: 'normal', reason: 'spread over 2 regions' })
    site.seedWorkload('ap-east', deployment('catalog', { namespace: 'shop', replicas: 2 }), {
      bindings: [
        binding(catalogKey, 'ap-east', [{ cluster: 'ap-east.c1', replicas: 2 }], { degraded: 'region ap-east has 1 cluster', reason: 'regions=ap-east' }),
        binding(catalogKey, 'eu-west', [{ cluster: 'ap-east.c1', replicas: 2 }], { generation: 0 })
      ]
    })
    await site.putObject(deployment('ledger', { annotations: { 'flotilla.io/residency': 'local-only' } }))
    s.events = [
      { id: 'e1', kind: 'site-suspected', at: T0, site: 'eu-west', subject: 'us-east', cause: 'no heartbeat for 3s' },
      { id: 'e3', kind: 'migration', at: T0 + 2000, site: 'eu-west', subject: webKey, cause: 'us-east failed', moved: [{ workload: webKey, from: ['us-east.c1'], to: ['eu-west.c1'] }] },
      { id: 'e2', kind: 'site-failed', at: T0 + 1000, site: 'eu-west', subject: 'us-east', cause: 'no heartbeat for 10s' }
    ] satisfies FederationEvent[]
    s.evidence = [
      { id: 'v1', kind: 'equivocation', offender: 'us-east', observedBy: 'eu-west', at: T0, detail: 'two changes with seq 4', proof: ['AAEC', 'AwQF'], count: 1 },
      { id: 'v2', kind: 'bad-signature', offender: '12D3KooWStranger', observedBy: 'eu-west', at: T0 + 5000, detail: 'signature does not verify', count: 12 }
    ] satisfies EvidenceRecord[]
  })

  afterAll(async () => { await s.close() })

  describe('peers', () => {
    it('lists each peer with connection, liveness, last heartbeat, changes behind and bytes', async () => {
      const r = await runCli(['peers', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^SITE\s+PEER-ID\s+CONNECTED\s+LIVENESS\s+LAST-HEARTBEAT\s+BEHIND\s+BYTES-IN\s+BYTES-OUT$/)
      expect(lines[1]).toMatch(/^ap-east\s+12D3KooWApEa…Enough\s+yes\s+alive\s+1s ago\s+0\s+2\.0 KiB\s+1\.0 KiB$/)
      expect(lines[2]).toMatch(/^us-east\s+\S+\s+no\s+failed\s+never\s+7\s+0 B\s+512 B$/)
    })

    it('prints the full records with -o json and -o yaml', async () => {
      const r = await runCli(['peers', '--kubeconfig', kc, '-o', 'json'])
      expect(r.code).toBe(0)
      const doc = r.json<{ kind: string, site: string, items: Array<{ siteId: string, peerId: string, behind: number }> }>()
      expect(doc.kind).toBe('PeerList')
      expect(doc.site).toBe('eu-west')
      expect(doc.items.map((p) => [p.siteId, p.peerId, p.behind])).toEqual([
        ['ap-east', '12D3KooWApEastPeerIdentifierLongEnough', 0], ['us-east', '12D3KooWUsEastPeerIdentifierLongEnough', 7]
      ])
      const y = await runCli(['peers', '--kubeconfig', kc, '-o', 'yaml'])
      expect((parse(y.stdout) as { items: unknown[] }).items).toHaveLength(2)
    })

    it('refuses an unknown output format before connecting', async () => {
      const r = await runCli(['peers', '--kubeconfig', '/nonexistent/kubeconfig', '-o', 'xml'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n {2}hint: /)
    })

    it('names a missing kubeconfig and how to pick one', async () => {
      const r = await runCli(['peers', '--kubeconfig', join(s.home, 'nope.yaml')])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[config-not-found\]: cannot read kubeconfig .*nope\.yaml\n {2}hint: Pass --kubeconfig <file>, or --site <id>/)
    })
  })

  describe('status', () => {
    it('shows identity, peers, sync lag, bootstrap progress, clusters and alarms', async () => {
      const r = await runCli(['status', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^site: {7}eu-west \(region eu-west, zone eu-west-a\)$/m)
      expect(r.stdout).toMatch(/^up: {9}2m\d+s \(since \d{4}-\d\d-\d\dT/m)
      expect(r.stdout).toMatch(/^signed in: {2}admin@eu-west \(role admin\)$/m)
      expect(r.stdout).toMatch(/^peers: {6}1 of 2 connected \(alive 1, failed 1\)$/m)
      expect(r.stdout).toMatch(/^sync: {7}7 change\(s\) behind 1 peer\(s\)$/m)
      expect(r.stdout).toMatch(/^bootstrap: {2}\[#+-*\] +85% 40\/47 \(3\/3 documents, 40\/47 changes\)$/m)
      expect(r.stdout).toMatch(/^clusters: {3}2 \(NotReady 1, Ready 1\)$/m)
      expect(r.stdout).toMatch(/^ {2}eu-west\.c1\s+Ready\s+4\/4\s+2\/15\s+8Gi\/60Gi\s+1\/4$/m)
      expect(r.stdout).not.toMatch(/ap-east\.c1/)
      expect(r.stdout).toMatch(/^alarms: {5}2\n {2}- site us-east is failed \(no heartbeat\)\n {2}- cluster eu-west\.c2 is NotReady$/m)
    })

    it('prints the status document with -o json', async () => {
      const r = await runCli(['status', '--kubeconfig', kc, '-o', 'json'])
      expect(r.code).toBe(0)
      const doc = r.json<{ kind: string, identity: { siteId: string }, sync: { behind: number, peersBehind: number }, bootstrap: { complete: boolean }, clusters: Array<{ id: string }>, view: { localOnly: number }, caller: { role: string } }>()
      expect(doc.kind).toBe('SiteStatus')
      expect(doc.identity.siteId).toBe('eu-west')
      expect(doc.sync).toEqual({ behind: 7, peersBehind: 1 })
      expect(doc.bootstrap.complete).toBe(false)
      expect(doc.clusters.map((c) => c.id)).toEqual(['eu-west.c1', 'eu-west.c2'])
      expect(doc.view.localOnly).toBe(1)
      expect(doc.caller.role).toBe('admin')
    })

    it('reports the oldest reconciliation age when the site counts it', async () => {
      s.metrics = {
        replication: { changesAccepted: 0, changesDuplicate: 0, changesRejected: {}, sessions: { started: 0, completed: 0, timedOut: 0 } },
        peers: [{ siteId: 'ap-east', syncAgeSeconds: 4 }, { siteId: 'us-east', syncAgeSeconds: 95 }],
        controllers: { placements: 0, migrations: 0, failbacks: 0, ticks: 0 }
      }
      try {
        const r = await runCli(['status', '--kubeconfig', kc])
        expect(r.stdout).toMatch(/^sync: {7}7 change\(s\) behind 1 peer\(s\); oldest reconciliation 95s ago$/m)
        const j = (await runCli(['peers', '--kubeconfig', kc, '-o', 'json'])).json<{ items: Array<{ syncAgeSeconds?: number }> }>()
        expect(j.items.map((p) => p.syncAgeSeconds)).toEqual([4, 95])
      } finally {
        s.metrics = undefined
      }
    })

    it('--wait follows the bootstrap sync until it completes, in plain lines off a terminal', async () => {
      const saved = s.status
      s.status = { ...saved, bootstrap: { documents: { have: 1, total: 3 }, changes: { have: 10, total: 47 } } }
      const timer = setTimeout(() => { s.status = { ...saved, bootstrap: { documents: { have: 3, total: 3 }, changes: { have: 47, total: 47 } } } }, 700)
      try {
        const r = await runCli(['status', '--kubeconfig', kc, '--wait', '--wait-timeout', '10s'])
        expect(r.code).toBe(0)
        expect(r.stderr).toMatch(/^bootstrap: 1\/3 documents, 10\/47 changes\n(.*\n)*bootstrap: 3\/3 documents, 47\/47 changes\n$/)
        expect(r.stderr).not.toMatch(/\r/)
        expect(r.stdout).toMatch(/^bootstrap: {2}complete \(3\/3 documents, 47\/47 changes\)$/m)
      } finally {
        clearTimeout(timer)
        s.status = saved
      }
    })

    it('--wait draws a progress bar on a terminal and gives up with timed-out (exit 7)', async () => {
      const r = await runCli(['status', '--kubeconfig', kc, '--wait', '--wait-timeout', '600ms'], { tty: true })
      expect(r.code).toBe(7)
      expect(r.stderr.replaceAll('\x1b', '<ESC>')).toMatch(/\r<ESC>\[K\[#+-*\] +85% 40\/47 bootstrap: 3\/3 documents/)
      expect(r.stderr).toMatch(/error\[timed-out\]: site eu-west did not finish its bootstrap sync within 600ms \(3\/3 documents, 40\/47 changes\)\n {2}hint: /)
    })

    it('refuses a malformed --timeout', async () => {
      const r = await runCli(['status', '--kubeconfig', kc, '--timeout', 'soon'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: '--timeout' must be a duration such as 30s/)
    })

    it('says the credentials were refused (401, exit 6) for a token the site does not know', async () => {
      const bad = join(s.home, 'stranger.yaml')
      const ca = readFileSync(s.pki.paths.caCert).toString('base64')
      writeFileSync(bad, `apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "${s.api.url}", certificate-authority-data: ${ca}}}]\nusers: [{name: u, user: {token: not-a-token}}]\ncontexts: [{name: c, context: {cluster: x, user: u}}]\ncurrent-context: c\n`)
      const r = await runCli(['status', '--kubeconfig', bad])
      expect(r.code).toBe(6)
      expect(r.stderr).toMatch(/^error\[unauthenticated\]: the site refused the credentials of user "u" \(401 Unauthorized\)\n {2}hint: Use a kubeconfig this site issued/)
      expect(r.stderr).not.toMatch(NO_STACK)
    })

    it('uses a token context and $FLOTILLA_KUBECONFIG', async () => {
      const before = process.env['FLOTILLA_KUBECONFIG']
      process.env['FLOTILLA_KUBECONFIG'] = s.kubeconfig('viewer')
      try {
        const r = await runCli(['status', '--context', 'eu-west-viewer-token', '-o', 'json'])
        expect(r.code).toBe(0)
        expect(r.json<{ caller: { user: string, role: string } }>().caller).toEqual({ user: 'viewer@eu-west', role: 'viewer' })
      } finally {
        if (before === undefined) delete process.env['FLOTILLA_KUBECONFIG']
        else process.env['FLOTILLA_KUBECONFIG'] = before
      }
    })

    it('names the contexts a kubeconfig has when --context matches none', async () => {
      const r = await runCli(['status', '--kubeconfig', kc, '--context', 'nowhere'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[config-invalid\]: kubeconfig .* has no context "nowhere"\n {2}hint: Pick one of: eu-west-admin, eu-west-admin-token\./)
    })

    it('finds a site\'s kubeconfig with --site under $FLOTILLA_HOME, and says where it looked when there is none', async () => {
      const before = process.env['FLOTILLA_HOME']
      process.env['FLOTILLA_HOME'] = s.home
      try {
        const ok = await runCli(['status', '--site', 'eu-west', '--role', 'auditor', '-o', 'json'])
        expect(ok.code).toBe(0)
        expect(ok.json<{ caller: { role: string } }>().caller.role).toBe('auditor')
        const missing = await runCli(['status', '--site', 'mars'])
        expect(missing.code).toBe(2)
        expect(missing.stderr).toMatch(/^error\[config-not-found\]: no admin kubeconfig for site "mars" at .*mars\/pki\/kubeconfigs\/admin\.yaml\n {2}hint: /)
        const badRole = await runCli(['status', '--site', 'eu-west', '--role', 'root'])
        expect(badRole.code).toBe(2)
        expect(badRole.stderr).toMatch(/^error\[input-invalid\]: '--role' must be admin, viewer or auditor/)
      } finally {
        if (before === undefined) delete process.env['FLOTILLA_HOME']
        else process.env['FLOTILLA_HOME'] = before
      }
    })
  })

  describe('get', () => {
    it('get sites shows each site with its liveness as this site sees it', async () => {
      const r = await runCli(['get', 'sites', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^NAME\s+REGION\s+ZONE\s+CLUSTERS\s+LIVENESS\s+CONNECTED\s+LOCAL-ONLY\s+API\s+AGE$/)
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 7))).toEqual([
        ['ap-east', 'ap-east', 'ap-east-a', '1', 'alive', 'yes', '0'],
        ['eu-west', 'eu-west', 'eu-west-a', '2', 'self', 'yes', '1'],
        ['us-east', 'us-east', 'us-east-a', '0', 'failed', 'no', '0']
      ])
    })

    it('get clusters shows health, nodes and capacity (with GPUs when any cluster has them)', async () => {
      const r = await runCli(['get', 'clusters', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^NAME\s+SITE\s+REGION\s+HEALTH\s+NODES\s+CPU\s+MEMORY\s+GPU\s+MODE$/m)
      expect(r.stdout).toMatch(/^eu-west\.c1\s+eu-west\s+eu-west\s+Ready\s+4\/4\s+2\/15\s+8Gi\/60Gi\s+1\/4\s+push$/m)
      expect(r.stdout).toMatch(/^eu-west\.c2\s+eu-west\s+eu-west\s+NotReady\s/m)
    })

    it('get sites -o json prints the SiteList the site serves, with each site\'s liveness as this site sees it', async () => {
      const r = await runCli(['get', 'sites', '--kubeconfig', kc, '-o', 'json'])
      expect(r).toMatchObject({ code: 0, stderr: '' })
      const list = r.json<{ apiVersion: string, kind: string, items: Array<{ kind: string, metadata: { name: string }, spec: { region: string, zone: string }, status: { clusters: string[], liveness: string, connected: boolean, localOnlyStubs: number } }> }>()
      expect([list.apiVersion, list.kind]).toEqual(['cluster.flotilla.io/v1alpha1', 'SiteList'])
      expect(list.items.map((i) => [i.kind, i.metadata.name, i.spec.region, i.spec.zone, i.status.clusters, i.status.liveness, i.status.connected, i.status.localOnlyStubs])).toEqual([
        ['Site', 'ap-east', 'ap-east', 'ap-east-a', ['ap-east.c1'], 'alive', true, 0],
        ['Site', 'eu-west', 'eu-west', 'eu-west-a', ['eu-west.c1', 'eu-west.c2'], 'self', true, 1],
        ['Site', 'us-east', 'us-east', 'us-east-a', [], 'failed', false, 0]
      ])
    })

    it('get clusters -o json|yaml prints the ClusterList with owner, health, nodes and capacity', async () => {
      const r = await runCli(['get', 'clusters', '--kubeconfig', kc, '-o', 'json'])
      expect(r).toMatchObject({ code: 0, stderr: '' })
      type ClusterList = { kind: string, items: Array<{ kind: string, metadata: { name: string }, spec: { site: string, mode: string }, status: { health: string, nodes: { ready: number, total: number }, allocatable: Record<string, string> } }> }
      const list = r.json<ClusterList>()
      expect(list.kind).toBe('ClusterList')
      expect(list.items.map((i) => [i.kind, i.metadata.name, i.spec.site, i.spec.mode, i.status.health, `${i.status.nodes.ready}/${i.status.nodes.total}`])).toEqual([
        ['Cluster', 'ap-east.c1', 'ap-east', 'push', 'Ready', '4/4'],
        ['Cluster', 'eu-west.c1', 'eu-west', 'push', 'Ready', '4/4'],
        ['Cluster', 'eu-west.c2', 'eu-west', 'push', 'NotReady', '4/4']
      ])
      expect(list.items[1]!.status.allocatable['nvidia.com/gpu']).toBe('4')
      const y = await runCli(['get', 'clusters', '--kubeconfig', kc, '-o', 'yaml'])
      expect(y.code).toBe(0)
      expect((parse(y.stdout) as ClusterList).items.map((i) => i.metadata.name)).toEqual(list.items.map((i) => i.metadata.name))
    })

    it('get workloads shows origin, residency, placement, ready/desired and degraded across kinds', async () => {
      const r = await runCli(['get', 'workloads', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+ORIGIN\s+RESIDENCY\s+PLACEMENT\s+READY\s+DEGRADED$/)
      expect(lines).toContainEqual(expect.stringMatching(/^Deployment\s+default\s+web\s+eu-west\s+global\s+ap-east\.c1=1,eu-west\.c1=2\s+3\/3\s+-$/))
      expect(lines).toContainEqual(expect.stringMatching(/^Deployment\s+default\s+ledger\s+eu-west\s+local-only\s+<none>\s+0\/3\s+-$/))
      expect(lines).toContainEqual(expect.stringMatching(/^Deployment\s+shop\s+catalog\s+ap-east\s+global\s+ap-east\.c1=2\s+0\/2\s+ap-east \(origin\): region ap-east has 1 cluster$/))
    })

    it('get workloads -o json prints a List of the objects kubectl would get; -n narrows it', async () => {
      const r = await runCli(['get', 'workloads', '--kubeconfig', kc, '-o', 'json', '-n', 'shop'])
      expect(r.code).toBe(0)
      const list = r.json<{ kind: string, items: Array<{ kind: string, apiVersion: string, metadata: { name: string }, status: { flotilla: { origin: string, decidedBy?: string } } }> }>()
      expect(list.kind).toBe('List')
      expect(list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name, i.status.flotilla.origin])).toEqual([['apps/v1', 'Deployment', 'catalog', 'ap-east']])
    })

    it('hides this site\'s local-only workloads from a viewer', async () => {
      const r = await runCli(['get', 'workloads', '--kubeconfig', s.kubeconfig('viewer'), '-o', 'json'])
      expect(r.json<{ items: Array<{ metadata: { name: string } }> }>().items.map((i) => i.metadata.name)).toEqual(['web', 'catalog'])
    })

    it('get bindings lists each deciding site\'s placement, marking bindings for an old generation', async () => {
      const r = await runCli(['get', 'bindings', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+DECIDED-BY\s+GENERATION\s+PLACEMENT\s+DEGRADED\s+REASON\s+AGE$/m)
      expect(r.stdout).toMatch(/^Deployment\s+default\s+web\s+eu-west\s+1\s+eu-west\.c1=2,ap-east\.c1=1\s+-\s+spread over 2 regions\s+\d+s$/m)
      expect(r.stdout).toMatch(/^Deployment\s+shop\s+catalog\s+eu-west\s+0 \(old\)\s+ap-east\.c1=2\s+-/m)
      const j = await runCli(['get', 'bindings', '--kubeconfig', kc, '-o', 'yaml'])
      const doc = parse(j.stdout) as { kind: string, items: Array<{ workload: string, decidedBy: string, current: boolean }> }
      expect(doc.kind).toBe('BindingList')
      expect(doc.items.map((b) => [b.workload, b.decidedBy, b.current])).toEqual([
        [webKey, 'eu-west', true], [catalogKey, 'ap-east', true], [catalogKey, 'eu-west', false]
      ])
    })

    it('refuses what the global view does not have, and -n where it means nothing', async () => {
      const r = await runCli(['get', 'pods', '--kubeconfig', kc])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: cannot get "pods": the global view has sites, clusters, workloads and bindings\n {2}hint: /)
      const n = await runCli(['get', 'sites', '-n', 'x', '--kubeconfig', kc])
      expect(n.code).toBe(2)
      expect(n.stderr).toMatch(/sites are not namespaced/)
    })
  })

  describe('explain', () => {
    it('prints the scheduler\'s explanation for kind/name and for a full key', async () => {
      const r = await runCli(['explain', 'deploy/web', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe(`${webKey} at site eu-west:\nworkload ${webKey}: spread over 2 regions\n`)
      const byKey = await runCli(['explain', catalogKey, '--kubeconfig', kc])
      expect(byKey.code).toBe(0)
      expect(byKey.stdout).toMatch(/^apps\/Deployment\/shop\/catalog at site eu-west:/)
      const ns = await runCli(['explain', 'deployments.apps/catalog', '-n', 'shop', '--kubeconfig', kc])
      expect(ns.stdout).toBe(byKey.stdout)
    })

    it('-o json carries the text, the effective placement and the workload status', async () => {
      const r = await runCli(['explain', 'deploy/web', '--kubeconfig', kc, '-o', 'json'])
      const doc = r.json<{ kind: string, workload: { key: string, kind: string, name: string }, text: string, placement: { mode: string }, status: { desired: number, ready: number } }>()
      expect(doc.kind).toBe('Explanation')
      expect(doc.workload).toMatchObject({ key: webKey, kind: 'Deployment', name: 'web' })
      expect(doc.placement.mode).toBe('normal')
      expect(doc.status).toMatchObject({ desired: 3, ready: 3 })
    })

    it('refuses a bare name, a kind the site does not serve, and says not-found (exit 4) for an unknown workload', async () => {
      const bare = await runCli(['explain', 'web', '--kubeconfig', kc])
      expect(bare.code).toBe(2)
      expect(bare.stderr).toMatch(/^error\[input-invalid\]: cannot tell which workload "web" is\n {2}hint: Name the workload as kind\/name/)
      const kind = await runCli(['explain', 'pod/web', '--kubeconfig', kc])
      expect(kind.code).toBe(2)
      expect(kind.stderr).toMatch(/^error\[input-invalid\]: the site serves no resource type "pod"\n {2}hint: Use one of: ns, svc, cm, deploy/)
      const none = await runCli(['explain', 'deploy/nope', '--kubeconfig', kc])
      expect(none.code).toBe(4)
      expect(none.stderr).toMatch(/^error\[not-found\]: workload "apps\/Deployment\/default\/nope" is not known at site "eu-west"\n {2}hint: /)
    })

    it('says when the scheduler has not considered a known workload yet, rather than not-found', async () => {
      const explain = s.site.explain
      s.site.explain = () => undefined
      try {
        const r = await runCli(['explain', 'deploy/web', '--kubeconfig', kc])
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(`${webKey} at site eu-west:\nthe scheduler of site eu-west has not considered ${webKey} yet (it runs on the next controller tick); try again in a moment\n`)
      } finally {
        s.site.explain = explain
      }
    })

    it('keeps local-only workloads from a viewer (404) and shows them to the admin', async () => {
      expect((await runCli(['explain', 'deploy/ledger', '--kubeconfig', kc])).code).toBe(0)
      const viewer = await runCli(['explain', 'deploy/ledger', '--kubeconfig', s.kubeconfig('viewer')])
      expect(viewer.code).toBe(4)
      expect(viewer.stderr).toContain(`workload "${secretKey}" is not known`)
    })
  })

  describe('events', () => {
    it('prints the site\'s event log oldest first, newest last', async () => {
      const r = await runCli(['events', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      const lines = r.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^TIME\s+SITE\s+KIND\s+SUBJECT\s+CAUSE\s+MOVED$/)
      expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
        '2025-06-01T12:00:00Z eu-west site-suspected', '2025-06-01T12:00:01Z eu-west site-failed', '2025-06-01T12:00:02Z eu-west migration'
      ])
      expect(lines[3]).toMatch(/us-east failed\s+apps\/Deployment\/default\/web: us-east\.c1 -> eu-west\.c1$/)
    })

    it('--limit keeps the newest, --since filters by time, -o json prints the records', async () => {
      const r = await runCli(['events', '--kubeconfig', kc, '--limit', '1'])
      expect(r.stdout).toMatch(/^\(newest 1 of 3; --limit 0 shows all\)\nTIME/)
      expect(r.stdout).toMatch(/migration/)
      const since = await runCli(['events', '--kubeconfig', kc, '--since', '2025-06-01T12:00:01Z', '-o', 'json'])
      const doc = since.json<{ kind: string, scope: string, total: number, items: FederationEvent[] }>()
      expect(doc).toMatchObject({ kind: 'EventList', scope: 'site', total: 2 })
      expect(doc.items.map((e) => e.id)).toEqual(['e2', 'e3'])
      const recent = await runCli(['events', '--kubeconfig', kc, '--since', '10m'])
      expect(recent.code).toBe(0)
      expect(recent.stdout).toBe('')
      expect(recent.stderr).toBe('No events since 10m at site eu-west.\n')
    })

    it('--all-sites reads the events every site wrote, from the replicated view', async () => {
      s.site.change((v) => ({ ...v, events: [{ id: 'x1', kind: 'partition', at: T0 + 9000, site: 'ap-east', subject: 'eu-west', cause: 'no route' }] }))
      const r = await runCli(['events', '--kubeconfig', kc, '--all-sites', '-o', 'json'])
      expect(r.json<{ scope: string, items: FederationEvent[] }>()).toMatchObject({ scope: 'federation', items: [{ id: 'x1', site: 'ap-east' }] })
    })

    it('shows a partition where one observer lost several peers together, derived from its failures, never recorded', async () => {
      s.site.change((v) => ({
        ...v,
        events: [
          { id: 'f1', kind: 'site-failed', at: T0 + 20_000, site: 'ap-east', subject: 'eu-west', cause: 'no heartbeat for 12 s (limit 12 s)' },
          { id: 'f2', kind: 'site-failed', at: T0 + 21_000, site: 'ap-east', subject: 'us-east', cause: 'no heartbeat for 12 s (limit 12 s)' },
          { id: 'r1', kind: 'site-recovered', at: T0 + 80_000, site: 'ap-east', subject: 'eu-west', cause: 'heartbeats steady for 2 s' },
          { id: 'r2', kind: 'site-recovered', at: T0 + 81_000, site: 'ap-east', subject: 'us-east', cause: 'heartbeats steady for 2 s' }
        ]
      }))
      const r = await runCli(['events', '--kubeconfig', kc, '--all-sites', '-o', 'json'])
      const items = r.json<{ total: number, items: FederationEvent[] }>().items
      // Oldest first; the partition starts with the first failure of its group.
      expect(items.map((e) => `${e.kind}:${e.subject}`)).toEqual([
        'site-failed:eu-west', 'partition:eu-west, us-east', 'site-failed:us-east', 'site-recovered:eu-west', 'site-recovered:us-east'
      ])
      const partition = items.find((e) => e.kind === 'partition')!
      expect(partition).toMatchObject({ site: 'ap-east', at: T0 + 20_000, subject: 'eu-west, us-east' })
      expect(partition.cause).toMatch(/^cut off from eu-west, us-east — 2 of \d+ peers failed within 10 s .*; all back after 61 s$/)
      const table = await runCli(['events', '--kubeconfig', kc, '--all-sites'])
      expect(table.stdout).toMatch(/ap-east\s+partition\s+eu-west, us-east\s+cut off from/)
    })

    it('refuses a --since it cannot read and a negative --limit', async () => {
      const r = await runCli(['events', '--kubeconfig', kc, '--since', 'yesterday'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: '--since' must be a duration \(10m, 2h\) or a time/)
      const l = await runCli(['events', '--kubeconfig', kc, '--limit', '-1'])
      expect(l.code).toBe(2)
      expect(l.stderr).toMatch(/'--limit' must be a whole number >= 0/)
    })
  })

  describe('evidence', () => {
    it('lists what each offender did, how often, with the proof only in json', async () => {
      const r = await runCli(['evidence', '--kubeconfig', kc])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^KIND\s+OFFENDER\s+OBSERVED-BY\s+COUNT\s+LAST-SEEN\s+PROOF\s+DETAIL$/m)
      expect(r.stdout).toMatch(/^equivocation\s+us-east\s+eu-west\s+1\s+2025-06-01T12:00:00Z\s+2 item\(s\)\s+two changes with seq 4$/m)
      expect(r.stdout).toMatch(/^bad-signature\s+12D3KooWStranger\s+eu-west\s+12\s+2025-06-01T12:00:05Z\s+-\s+signature does not verify$/m)
      expect(r.stdout).not.toContain('AAEC')
      const j = await runCli(['evidence', '--kubeconfig', kc, '-o', 'json'])
      expect(j.json<{ kind: string, items: EvidenceRecord[] }>()).toMatchObject({ kind: 'EvidenceList', items: [{ id: 'v1', proof: ['AAEC', 'AwQF'] }, { id: 'v2' }] })
    })

    it('says so when no peer misbehaved', async () => {
      const saved = s.evidence
      s.evidence = []
      try {
        const r = await runCli(['evidence', '--kubeconfig', kc])
        expect(r.code).toBe(0)
        expect(r.stdout).toBe('')
        expect(r.stderr).toBe('No evidence recorded at site eu-west: no peer misbehaved.\n')
      } finally {
        s.evidence = saved
      }
    })

    it('refuses arguments it does not take', async () => {
      const r = await runCli(['evidence', 'us-east', '--kubeconfig', kc])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^error\[input-invalid\]: too many arguments for 'evidence'/)
    })
  })
})
