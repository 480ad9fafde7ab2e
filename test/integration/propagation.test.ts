/**
 * Propagation end to end (issue 7), with real site processes and emulated member
 * clusters: a Deployment applied with the real kubectl (server-side) at one site, with a
 * PropagationPolicy spreading it over two regions and an OverridePolicy rewriting the
 * image registry to each region's mirror, runs in the clusters of two sites; the objects
 * the emulators received carry their region's image, and the third region never gets it.
 *
 * The same small federation then checks a failure-detector property that needs a quiet
 * federation to show (issue 8): a site whose process is paused for longer than T_fail
 * does not declare the others failed when it resumes.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startClusterFederation, type ClusterFederation } from '../support/cluster-federation.ts'
import { eventually } from '../support/processes.ts'
import { hasKubectl, kubectlRunner } from '../api/support/kubectl.ts'

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop}
spec:
  replicas: 4
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: policy.flotilla.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: shop-two-regions
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: shop}
  placement:
    clusterAffinity:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [eu-west, us-east]}
    spreadConstraints:
    - {spreadByField: region, minGroups: 2, maxGroups: 2}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
---
apiVersion: policy.flotilla.io/v1alpha1
kind: OverridePolicy
metadata:
  name: shop-regional-mirrors
spec:
  resourceSelectors:
  - {apiVersion: apps/v1, kind: Deployment, name: shop}
  overrideRules:
  - targetCluster:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [eu-west]}
    overriders:
      imageOverrider:
      - {component: Registry, operator: replace, value: eu-west.mirror.example.com}
  - targetCluster:
      fieldSelector:
        matchExpressions:
        - {key: region, operator: In, values: [us-east]}
    overriders:
      imageOverrider:
      - {component: Registry, operator: replace, value: us-east.mirror.example.com}
`

const FAIL_MS = 4000
let fed: ClusterFederation

beforeAll(async () => {
  fed = await startClusterFederation({
    name: 'propagation',
    sites: [
      { id: 'eu', region: 'eu-west', clusters: 2, api: true },
      { id: 'us', region: 'us-east', clusters: 1 },
      { id: 'ap', region: 'ap-south', clusters: 1 }
    ],
    failover: { heartbeatMs: 500, suspectMs: 2000, failMs: FAIL_MS, stabilizationMs: 5000 }
  })
}, 90_000)

afterAll(async () => { await fed?.close() }, 30_000)

function imagesIn (clusterId: string): string[] {
  const d = fed.appliedObject(clusterId, 'shop')
  const containers = ((d?.spec as { template?: { spec?: { containers?: Array<{ image: string }> } } } | undefined)?.template?.spec?.containers) ?? []
  return containers.map((c) => c.image)
}

describe.skipIf(!hasKubectl)('propagation over two regions with per-region image overrides', () => {
  it('runs a Deployment applied at one site in the clusters of two sites, each with its region\'s mirror image', async () => {
    expect(await fed.waitAllAlive(30_000)).toBe(true)
    const eu = fed.site('eu')
    writeFileSync(join(fed.dir, 'shop.yaml'), MANIFESTS)
    const kubectl = kubectlRunner(fed.dir, eu.kubeconfig!).run
    const r = await kubectl('apply', '--server-side', '-f', join(fed.dir, 'shop.yaml'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('deployment.apps/shop serverside-applied')
    expect(r.stdout).toContain('overridepolicy.policy.flotilla.io/shop-regional-mirrors serverside-applied')

    // Ground truth from the emulators: 4 Ready pods over eu-west and us-east only, each
    // running its region's mirror image (the Deployment may first land without the
    // override, applied a moment later, and then roll out).
    const mirror = (clusterId: string): string => `${clusterId.startsWith('eu.') ? 'eu-west' : 'us-east'}.mirror.example.com/shop/web:1.4.2`
    const rolledOut = (): boolean => {
      const counts = fed.deployment('shop')
      const pods = [...counts.keys()].flatMap((id) => fed.pods(id, 'shop').map((p) => ({ ...p, cluster: id })))
      return pods.length === 4 && pods.every((p) => p.ready && p.images.length === 1 && p.images[0] === mirror(p.cluster)) &&
        pods.some((p) => p.cluster.startsWith('eu.')) && pods.some((p) => p.cluster === 'us.c1')
    }
    const spread = await eventually(async () => rolledOut(), 30_000, 200)
    const counts = fed.deployment('shop')
    expect(spread, JSON.stringify([...counts].map(([id, c]) => [id, c, fed.pods(id, 'shop'), fed.clusters.find((x) => x.id === id)!.churn.get('default/shop')]))).toBe(true)
    expect([...counts.values()].reduce((n, c) => n + c.desired, 0)).toBe(4)
    // The objects each emulator received carry the overridden image.
    for (const [id] of counts) expect(imagesIn(id), id).toEqual([mirror(id)])
    // The third region never held it.
    expect(fed.site('ap').clusters.flatMap((c) => [...c.everHeld])).not.toContain('default/shop')

    // Every site agrees on the binding and sees the aggregated ready count.
    type Placements = { workloads: Array<{ key: string, origin: string, bindings: Array<{ decidedBy: string, placement: Array<{ cluster: string, replicas: number }> }>, shares: Array<{ cluster: string, ready: number }> }> }
    const agreed = await eventually(async () => {
      const all = await Promise.all(['eu', 'us', 'ap'].map(async (id) => await fed.proc(id).call<Placements>('placements')))
      const shop = all.map((p) => p.workloads.find((w) => w.key === 'apps/Deployment/default/shop'))
      return shop.every((w) => w !== undefined && w.origin === 'eu' && JSON.stringify(w.bindings) === JSON.stringify(shop[0]!.bindings) &&
        w.shares.reduce((n, s) => n + s.ready, 0) === 4)
    }, 15_000, 250)
    expect(agreed).toBe(true)
    const view = await fed.proc('ap').call<Placements>('placements')
    const shop = view.workloads.find((w) => w.key === 'apps/Deployment/default/shop')!
    expect(shop.bindings.map((b) => b.decidedBy)).toEqual(['eu'])
    expect(shop.bindings[0]!.placement.map((a) => a.cluster).sort()).toEqual([...counts.keys()].sort())
  }, 60_000)
})

describe('an observer\'s own pause', () => {
  it('is not taken for the failure of others: a site stopped for longer than T_fail declares nobody failed when it resumes', async () => {
    // What a GC pause, a VM freeze or an overloaded host does to a site: its timers and its
    // reading of the network stop together. When it runs again, the heartbeats the others
    // sent meanwhile are still queued behind its timers. Twice, since the order in which a
    // resumed process reads its sockets and fires its timers is not fixed.
    expect(await fed.waitAllAlive(30_000)).toBe(true)
    const paused = fed.proc('ap')
    for (let round = 0; round < 2; round++) {
      const stoppedAt = Date.now()
      paused.child.kill('SIGSTOP')
      let resumedAt = 0
      try {
        await new Promise((r) => setTimeout(r, FAIL_MS + 1000))
      } finally {
        paused.child.kill('SIGCONT')
        resumedAt = Date.now()
      }
      await new Promise((r) => setTimeout(r, 2000))
      const { events } = await paused.call<{ events: Array<{ at: number, kind: string, subject: string, cause: string }> }>('events')
      const judged = events.filter((e) => e.at >= stoppedAt && (e.kind === 'site-suspected' || e.kind === 'site-failed'))
      expect(judged.map((e) => `${e.at - resumedAt} ms after resume: ${e.kind} ${e.subject}: ${e.cause}`), `round ${round}: what ap concluded about the others`).toEqual([])
      // The others did see ap fall silent: that part is real.
      const { events: seen } = await fed.proc('eu').call<{ events: Array<{ at: number, kind: string, subject: string }> }>('events')
      expect(seen.some((e) => e.at >= stoppedAt && e.kind === 'site-failed' && e.subject === 'ap')).toBe(true)
      expect(await fed.waitAllAlive(15_000)).toBe(true)
    }
  }, 60_000)
})
