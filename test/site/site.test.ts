import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { createSite, type Site, type SiteOptions } from '../../src/site/site.ts'
import { appendEvent, listBindings, listClusters, listEvents, listShares, putShare, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { createDashboardData } from '../../src/ui/dashboard-data.ts'
import { createLatencyHistogram } from '../../src/ui/metrics/histogram.ts'
import { siteMetricFamilies } from '../../src/ui/metrics/site-metrics.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { counterRng, rosterOf, testSite } from '../support/store-fixtures.ts'
import { manualClock, manualFabric, type ManualClock, type ManualFabric } from '../support/manual-network.ts'
import { instantDriver, type InstantDriver } from '../support/instant-driver.ts'
import { encodeDirect } from '../../src/replication/messages.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { toScalar } from '../../src/store/docs/fields.ts'
import { rawEntries, storedBuckets } from '../../src/store/docs/bucketed-map.ts'
import { BUCKETS } from '../../src/store/docs/bucket.ts'
import { openTestStore } from '../support/store-fixtures.ts'

const regions: Record<string, string> = { eu: 'eu-west', ap: 'ap-southeast', us: 'us-east' }

interface Node {
  site: Site
  driver: InstantDriver
  peer: string
  /** The same site in a new process (same key, same storage) with a new driver for its cluster. */
  restart (driver: InstantDriver): Promise<Node>
  storage: Storage
}

async function federation (
  clock: ManualClock, fabric: ManualFabric, names = ['eu', 'ap', 'us'], withClusters = true, failover: Partial<SiteOptions['failover']> = {},
  /** Per site, how far its wall clock is ahead of the others'. */
  wallAheadMs: Record<string, number> = {},
  /** The driver of each site's cluster. */
  newDriver: () => InstantDriver = () => instantDriver('c1', clock)
): Promise<Node[]> {
  const sites = names.map(testSite)
  const roster = rosterOf(sites).map((m) => ({ ...m, region: regions[m.siteId]! }))
  return await Promise.all(sites.map(async (s, i) => {
    const peer = peerIdFromPublicKey(s.keys.publicKey)
    const storage = createMemoryStorage()
    const node = async (driver: InstantDriver): Promise<Node> => {
      const site = await createSite({
        siteId: s.id, region: regions[s.id]!, zone: `${regions[s.id]!}-a`, keys: s.keys, roster,
        limits: { maxFrameBytes: 1 << 22, maxChangeBytes: 1 << 20, maxChangeOps: 100_000, changesPerSecond: 5000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
        failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000, evictionTimeoutMs: 20_000, failback: 'after-stabilization', stabilizationMs: 5000, ...failover },
        clusters: !withClusters ? [] : [{ settings: { name: 'c1', mode: 'push', provider: 'test', region: regions[s.id]!, zone: `${regions[s.id]!}-a`, labels: {}, taints: [], failureThresholdMs: 3000 }, driver }],
        clock: wallAheadMs[s.id] === undefined ? clock : { ...clock, wallMs: () => clock.wallMs() + wallAheadMs[s.id]! },
        rng: counterRng(i + 11), storage, network: fabric.join(peer), logger: silentLogger
      })
      return { site, driver, peer, restart: node, storage }
    }
    return await node(newDriver())
  }))
}

/**
 * A cluster with room for `cpuMilli` of cpu whose node reports the requests of the
 * replicas it runs as allocated (100m each, as `deployment` asks), as a real cluster does:
 * running replicas fill it.
 */
function fillingDriver (clock: ManualClock, cpuMilli: number): InstantDriver {
  const driver = instantDriver('c1', clock, { cpuMilli, memoryBytes: 64 * 2 ** 30, pods: 500, gpu: 0, vgpuCores: 0, vgpuMemoryMiB: 0 })
  const observe = driver.observe.bind(driver)
  driver.observe = () => {
    const o = observe()
    const used = deploymentReplicas(driver) * 100
    return { ...o, nodes: o.nodes.map((n) => ({ ...n, allocated: { ...n.allocated, cpuMilli: used, memoryBytes: used * 64 * 2 ** 20 / 100 } })) }
  }
  return driver
}

const deploymentReplicas = (driver: InstantDriver): number =>
  driver.desired.filter((o) => o.object.kind === 'Deployment').map((o) => o.object.spec?.['replicas'] as number).reduce((a, b) => a + b, 0)

async function run (clock: ManualClock, fabric: ManualFabric, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    await fabric.settle()
    await clock.advance(250)
  }
  await fabric.settle()
}

const deployment = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } }
})

const spreadPolicy: KubeObject = {
  apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'spread', namespace: 'shop' },
  spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' } } }
}

/** Starts every site, applies the spread policy and a 6-replica deployment at the first, and returns the Deployment replicas each site runs. */
async function deploySpreadWeb (clock: ManualClock, fabric: ManualFabric, nodes: Node[]): Promise<number[]> {
  for (const n of nodes) await n.site.start()
  await run(clock, fabric, 3000)
  await nodes[0]!.site.putObject(spreadPolicy)
  await nodes[0]!.site.putObject(deployment('web', 6))
  await run(clock, fabric, 5000)
  return nodes.map((n) => n.driver.desired.filter((o) => o.object.kind === 'Deployment').map((o) => o.object.spec?.['replicas'] as number).reduce((a, b) => a + b, 0))
}

describe('site core', () => {
  it('keeps ticking and sees remote workloads when its ticks have nothing to write', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric, ['eu', 'ap'], false)
    fabric.connect(nodes[0]!.peer, nodes[1]!.peer)
    for (const n of nodes) await n.site.start()
    await run(clock, fabric, 3000)
    for (const name of ['w1', 'w2', 'w3']) {
      await nodes[0]!.site.putObject(deployment(name, 1))
      await run(clock, fabric, 2000)
      expect(nodes[1]!.site.view().workloads.map((w) => w.manifest.metadata.name)).toContain(name)
    }
    for (const n of nodes) await n.site.stop()
  })

  it('places a workload applied at one site across the clusters of all sites', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric)
    for (const a of nodes) for (const b of nodes) if (a.peer < b.peer) fabric.connect(a.peer, b.peer)
    const replicas = await deploySpreadWeb(clock, fabric, nodes)
    expect(replicas.reduce((a, b) => a + b, 0)).toBe(6)
    expect(replicas.filter((r) => r > 0).length).toBe(3)
    const view = nodes[2]!.site.view()
    const w = view.workloads.find((x) => x.key === 'apps/Deployment/shop/web')
    expect(w?.ready).toBe(6)
    // Every site's share status names the plan it runs under: the origin's binding, the same for all.
    expect(w?.shares).toHaveLength(3)
    expect(new Set(w?.shares.map((sh) => sh.basis)).size).toBe(1)
    expect(w?.shares[0]?.basis).toMatch(/^[0-9a-f]{16}$/)
    // The namespace is created on member clusters before the workload.
    expect(nodes[1]!.driver.desired[0]!.object.kind).toBe('Namespace')
    for (const n of nodes) await n.site.stop()
  })

  it('explains a running workload that fills its clusters with the clusters and replicas of its binding, at every site', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    // Room for 3 replicas per cluster: the 6 replicas fill both clusters.
    const nodes = await federation(clock, fabric, ['eu', 'ap'], true, {}, {}, () => fillingDriver(clock, 300))
    fabric.connect(nodes[0]!.peer, nodes[1]!.peer)
    expect(await deploySpreadWeb(clock, fabric, nodes)).toEqual([3, 3])
    const key = 'apps/Deployment/shop/web'
    for (const n of nodes) {
      const view = n.site.view()
      // Full: the scheduler sees no free cpu in either cluster.
      for (const c of view.clusters) expect(c.allocatable.cpuMilli - c.allocated.cpuMilli).toBe(0)
      const binding = view.workloads.find((w) => w.key === key)!.bindings.find((b) => b.decidedBy === 'eu')!
      const text = n.site.explain(key)!
      const chosen = Object.fromEntries(text.split('\n').map((l) => /^(\S+)\s+\S+\s+chosen\s+(\d+)\s/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, Number(m[2])]))
      expect(chosen, `explain at ${n.site.siteId}`).toEqual(Object.fromEntries(binding.placement.map((a) => [a.cluster, a.replicas])))
      expect(chosen).toEqual({ 'ap.c1': 3, 'eu.c1': 3 })
      expect(text).toContain('result       ap.c1=3, eu.c1=3')
      expect(text).not.toContain('DEGRADED')
      expect(text).not.toContain('placed now')
    }
    for (const n of nodes) await n.site.stop()
  })

  it('deletes its share status of a workload deleted at its origin, also one deleted while it was down', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric)
    for (const a of nodes) for (const b of nodes) if (a.peer < b.peer) fabric.connect(a.peer, b.peer)
    await deploySpreadWeb(clock, fabric, nodes)
    const sharesOf = (n: Node): string[] => listShares(n.site.store.document<SiteDoc>(siteDocId(n.site.siteId))!).map((sh) => `${sh.workload}|${sh.cluster}`)
    for (const n of nodes) expect(sharesOf(n)).toEqual([`apps/Deployment/shop/web|${n.site.siteId}.c1`])

    await nodes[0]!.site.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' })
    await run(clock, fabric, 3000)
    for (const n of nodes) expect(sharesOf(n)).toEqual([])

    // A share left in the document of a site that was down when its workload went.
    const us = nodes[2]!
    await us.site.store.change<SiteDoc>(siteDocId('us'), (d) => {
      putShare(d, { workload: 'apps/Deployment/shop/gone', cluster: 'us.c1', desired: 2, ready: 2, available: 2, conditions: [], observedGeneration: 1 })
    })
    expect(sharesOf(us)).toEqual(['apps/Deployment/shop/gone|us.c1'])
    await us.site.stop()
    const back = await us.restart(instantDriver('c1', clock))
    nodes[2] = back
    await back.site.start()
    await run(clock, fabric, 4000)
    expect(sharesOf(back)).toEqual([])
    for (const n of nodes) await n.site.stop()
  })

  it('after a restart keeps its clusters\' last records until their drivers answer, so nobody sees an outage', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const [s] = [testSite('eu')]
    const storage = createMemoryStorage()
    const start = async (driver: InstantDriver): Promise<Site> => {
      const site = await createSite({
        siteId: 'eu', region: 'eu-west', zone: 'eu-west-a', keys: s!.keys, roster: [{ ...rosterOf([s!])[0]!, region: 'eu-west' }],
        limits: { maxFrameBytes: 1 << 22, maxChangeBytes: 1 << 20, maxChangeOps: 100_000, changesPerSecond: 5000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
        failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000, evictionTimeoutMs: 20_000, failback: 'after-stabilization', stabilizationMs: 5000 },
        clusters: [{ settings: { name: 'c1', mode: 'push', provider: 'test', region: 'eu-west', zone: 'eu-west-a', labels: {}, taints: [], failureThresholdMs: 3000 }, driver }],
        clock, rng: counterRng(7), storage, network: fabric.join(peerIdFromPublicKey(s!.keys.publicKey)), logger: silentLogger
      })
      await site.start()
      return site
    }
    const health = (site: Site): string | undefined => site.view().clusters.find((c) => c.id === 'eu.c1')?.health
    const first = await start(instantDriver('c1', clock))
    await run(clock, fabric, 2000)
    expect(health(first)).toBe('Ready')
    await first.stop()
    // The restarted process's driver has not reached the cluster yet.
    const driver = instantDriver('c1', clock)
    driver.reachable = false
    const again = await start(driver)
    await run(clock, fabric, 1500)
    expect(health(again)).toBe('Ready')
    driver.reachable = true
    await run(clock, fabric, 1000)
    expect(health(again)).toBe('Ready')
    // A cluster still silent after its failure threshold is judged as usual.
    await again.stop()
    const silent = instantDriver('c1', clock)
    silent.reachable = false
    const third = await start(silent)
    await run(clock, fabric, 4000)
    // Never reached since this start, for longer than the threshold: NotReady, saying so.
    expect(health(third)).toBe('NotReady')
    expect(third.view().clusters.find((c) => c.id === 'eu.c1')?.conditions[0]).toMatchObject({ reason: 'ClusterNeverReached', message: expect.stringMatching(/never reached since start/) as unknown as string })
    await third.stop()
  })

  it('leaves a new workload to its alive origin instead of binding it itself', async () => {
    /** Bindings the other sites ever wrote for the workload (each of their own changes is checked). */
    const actingBindings = async (failover: Partial<SiteOptions['failover']>): Promise<string[]> => {
      const clock = manualClock(); const fabric = manualFabric()
      const nodes = await federation(clock, fabric, ['eu', 'ap', 'us'], true, failover)
      for (const a of nodes) for (const b of nodes) if (a.peer < b.peer) fabric.connect(a.peer, b.peer)
      const seen: string[] = []
      for (const n of nodes.slice(1)) {
        n.site.store.onChange((docId, _entries, origin) => {
          if (origin !== 'local') return
          const doc = n.site.store.document<SiteDoc>(docId)
          if (docId !== siteDocId(n.site.siteId) || doc === undefined) return
          for (const b of listBindings(doc)) if (b.workload === 'apps/Deployment/shop/web') seen.push(`${b.decidedBy}:${b.reason}`)
        })
      }
      const replicas = await deploySpreadWeb(clock, fabric, nodes)
      expect(replicas.reduce((a, b) => a + b, 0)).toBe(6)
      for (const n of nodes) await n.site.stop()
      return seen
    }
    expect(await actingBindings({})).toEqual([])
    // Without the grace the others race the origin: they compute and bind it themselves first.
    expect((await actingBindings({ originGraceMs: 0 })).length).toBeGreaterThan(0)
  })

  it('does not run its controllers for a peer\'s change that no decision reads, and does for one that it reads', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric, ['eu', 'ap'])
    fabric.connect(nodes[0]!.peer, nodes[1]!.peer)
    for (const n of nodes) await n.site.start()
    await run(clock, fabric, 3000)
    const ticks = (): number => nodes[1]!.site.metrics?.().controllers.ticks ?? 0
    const before = ticks()
    await nodes[0]!.site.store.change<SiteDoc>(siteDocId('eu'), (d) => { appendEvent(d, { kind: 'info', at: clock.wallMs(), subject: 'note', cause: 'an operator note' }) })
    await run(clock, fabric, 1000)
    expect(nodes[1]!.site.view().events.some((e) => e.cause === 'an operator note')).toBe(true)
    expect(ticks()).toBe(before)
    await nodes[0]!.site.putObject(deployment('web', 2))
    await run(clock, fabric, 1000)
    expect(ticks()).toBeGreaterThan(before)
    for (const n of nodes) await n.site.stop()
  })

  it('writes a repeated fault of a peer as one raised count a while later, not one change per repeat', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric, ['eu', 'ap'])
    fabric.connect(nodes[0]!.peer, nodes[1]!.peer)
    for (const n of nodes) await n.site.start()
    await run(clock, fabric, 3000)
    const eu = nodes[0]!.site
    let localChanges = 0
    eu.store.onChange((_doc, _entries, origin) => { if (origin === 'local') localChanges++ })
    const garbage = (): void => { fabric.rawSend(nodes[1]!.peer, nodes[0]!.peer, new Uint8Array([1, 0xee, 0x13, 0x37])) }
    const counts = (): number[] => eu.evidence().filter((e) => e.offender === 'ap').map((e) => e.count)
    garbage()
    await run(clock, fabric, 500)
    expect(counts()).toEqual([1])
    const afterFirst = localChanges
    for (let i = 0; i < 5; i++) { garbage(); await run(clock, fabric, 500) }
    expect(counts()).toEqual([1])
    expect(localChanges).toBe(afterFirst)
    await run(clock, fabric, 10_000)
    expect(counts()).toEqual([6])
    for (const n of nodes) await n.site.stop()
  })

  it('raises a status alarm with the error\'s code and hint while its controller ticks fail', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const eu = testSite('eu')
    const disk = createMemoryStorage()
    let full = false
    const storage: Storage = { ...disk, batch: async (ops) => { if (full) throw new Error('no space left on device'); await disk.batch(ops) } }
    const site = await createSite({
      siteId: 'eu', region: 'eu-west', zone: 'eu-west-a', keys: eu.keys, roster: rosterOf([eu]).map((m) => ({ ...m, region: 'eu-west' })),
      limits: { maxFrameBytes: 1 << 22, maxChangeBytes: 1 << 20, maxChangeOps: 100_000, changesPerSecond: 5000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
      failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000, evictionTimeoutMs: 20_000, failback: 'after-stabilization', stabilizationMs: 5000 },
      clusters: [{ settings: { name: 'c1', mode: 'push', provider: 'test', region: 'eu-west', zone: 'eu-west-a', labels: {}, taints: [], failureThresholdMs: 3000 }, driver: instantDriver('c1', clock) }],
      clock, rng: counterRng(11), storage, network: fabric.join(peerIdFromPublicKey(eu.keys.publicKey)), logger: silentLogger
    })
    await site.start()
    await run(clock, fabric, 3000)
    expect(site.status().alarms).toEqual([])
    // The workload is stored; the tick that binds it is the first write to meet the full disk.
    await site.putObject(deployment('web', 2))
    full = true
    await run(clock, fabric, 10_000)
    const alarm = site.status().alarms.find((a) => a.startsWith('controller ticks failing'))
    expect(alarm).toMatch(/^controller ticks failing \((\d+) in a row; this site decides and writes nothing\): storage-failed: writing the signed change log failed: no space left on device — The store stopped to stay consistent; fix the disk and restart the site/)
    expect(Number(/\((\d+) in a row/.exec(alarm!)![1])).toBeGreaterThanOrEqual(2)
    await site.stop() // and it still shuts down
  })

  it('moves a failed site\'s replicas to the survivors and records the failure and the migration', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const nodes = await federation(clock, fabric)
    for (const a of nodes) for (const b of nodes) if (a.peer < b.peer) fabric.connect(a.peer, b.peer)
    for (const n of nodes) await n.site.start()
    await run(clock, fabric, 3000)
    await nodes[0]!.site.putObject(spreadPolicy)
    await nodes[0]!.site.putObject(deployment('web', 6))
    await run(clock, fabric, 4000)
    // us fails: cut it off and stop it.
    const us = nodes[2]!
    await us.site.stop()
    fabric.cut(nodes[0]!.peer, us.peer); fabric.cut(nodes[1]!.peer, us.peer)
    await run(clock, fabric, 12_000)
    const survivors = nodes.slice(0, 2).map((n) => n.driver.desired.filter((o) => o.object.kind === 'Deployment').map((o) => o.object.spec?.['replicas'] as number).reduce((a, b) => a + b, 0))
    expect(survivors.reduce((a, b) => a + b, 0)).toBe(6)
    const events = nodes[1]!.site.events().map((e) => e.kind)
    expect(events).toContain('site-failed')
    expect(events).toContain('migration')
    for (const n of nodes.slice(0, 2)) await n.site.stop()
  })

  it('after a restart removes nothing its cluster runs before its driver has listed it, and keeps a moved replica until its replacement is Ready', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const [eu, ap] = await federation(clock, fabric, ['eu', 'ap']) as [Node, Node]
    fabric.connect(eu.peer, ap.peer)
    await deploySpreadWeb(clock, fabric, [eu, ap])
    const before = deploymentReplicas(ap.driver)
    expect(before).toBeGreaterThan(0)
    // ap goes down; the origin moves its replicas to eu.c1, where they do not get Ready.
    await ap.site.stop()
    fabric.cut(eu.peer, ap.peer)
    eu.driver.stall = true
    await run(clock, fabric, 10_000)
    expect(deploymentReplicas(eu.driver)).toBe(6)

    // ap comes back; its cluster still runs its old share, which its new driver lists only after a while.
    const driver = instantDriver('c1', clock)
    driver.found = ap.driver.desired
    driver.listed = false
    const back = await ap.restart(driver)
    await back.site.start()
    fabric.connect(eu.peer, ap.peer)
    await run(clock, fabric, 2000)
    expect(driver.declarations).toBe(0)
    driver.listed = true
    await run(clock, fabric, 1000)
    expect(driver.declarations).toBeGreaterThan(0)
    expect(deploymentReplicas(driver)).toBe(before)
    // Once the replacement is Ready, the moved replica goes.
    eu.driver.stall = false
    await run(clock, fabric, 2000)
    expect(deploymentReplicas(driver)).toBe(0)
    for (const n of [eu, back]) await n.site.stop()
  })

  it('starts on a site document stored in layout 1, rewrites it in layout 2 and loses nothing', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const [eu] = await federation(clock, fabric, ['eu']) as [Node]
    await eu.site.start()
    await run(clock, fabric, 3000)
    await eu.site.putObject(spreadPolicy)
    await eu.site.putObject(deployment('web', 2))
    await run(clock, fabric, 3000)
    const before = eu.site.view()
    expect(before.workloads.map((w) => w.key)).toEqual(['apps/Deployment/shop/web'])
    expect(deploymentReplicas(eu.driver)).toBe(2)
    await eu.site.stop()

    // What an older build left on disk: every record a map of scalars, schema 1.
    const old = await openTestStore(testSite('eu'), [testSite('eu')], eu.storage)
    await old.change<SiteDoc>(siteDocId('eu'), (d) => {
      const root = d as unknown as Record<string, unknown>
      const asFields = (container: Record<string, unknown>, key: string): void => {
        const v = container[key]
        if (!A.isImmutableString(v)) return
        const fields = JSON.parse(v.val) as Record<string, unknown>
        container[key] = Object.fromEntries(Object.entries(fields).map(([k, x]) => [k, toScalar(x)]))
      }
      asFields(root, 'site')
      for (const name of Object.keys(d.clusters)) asFields(d.clusters as Record<string, unknown>, name)
      for (const c of ['workloads', 'policies', 'bindings', 'shares'] as const) {
        for (const [, bucket] of storedBuckets(root[c], BUCKETS[c])) for (const key of Object.keys(bucket)) asFields(bucket, key)
      }
      root['schema'] = 1
    })
    await old.close()

    const back = await eu.restart(instantDriver('c1', clock))
    await back.site.start()
    await run(clock, fabric, 6000)
    const stored = back.site.store.document<SiteDoc>(siteDocId('eu'))! as unknown as Record<string, unknown>
    expect(stored['schema']).toBe(2)
    for (const [, , raw] of rawEntries(stored['workloads'], BUCKETS.workloads)) expect(A.isImmutableString(raw)).toBe(true)
    const after = back.site.view()
    expect(after.workloads).toEqual(before.workloads)
    expect(after.anomalies).toEqual([])
    expect(deploymentReplicas(back.driver)).toBe(2)
    // Writers work on it again.
    await back.site.putObject(deployment('api', 1))
    await run(clock, fabric, 2000)
    expect(back.site.view().workloads.map((w) => w.key)).toEqual(['apps/Deployment/shop/api', 'apps/Deployment/shop/web'])
    await back.site.stop()
  })

  it('releases no replica on the Ready report of a site it caught forging, and does on an honest site\'s', async () => {
    const pinTo = (cluster: string): KubeObject => ({
      apiVersion: 'policy.flotilla.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'pin', namespace: 'shop' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }], placement: { clusterAffinity: { clusterNames: [cluster] } } }
    })
    for (const forging of [false, true]) {
      const clock = manualClock(); const fabric = manualFabric()
      const [eu, ap, us] = await federation(clock, fabric) as [Node, Node, Node]
      for (const a of [eu, ap, us]) for (const b of [eu, ap, us]) if (a.peer < b.peer) fabric.connect(a.peer, b.peer)
      for (const n of [eu, ap, us]) await n.site.start()
      await run(clock, fabric, 3000)
      await eu.site.putObject(pinTo('ap.c1'))
      await eu.site.putObject(deployment('web', 2))
      await run(clock, fabric, 5000)
      expect(deploymentReplicas(ap.driver)).toBe(2)
      if (forging) {
        // us hands ap a change to eu's document under eu's key with a signature it made up.
        const change = A.getLastLocalChange(A.change(A.init<Record<string, number>>(), (d) => { d['x'] = 1 }))!
        const forged = { docId: siteDocId('eu'), change, signer: testSite('eu').keys.publicKey, signature: new Uint8Array(64).fill(7) }
        fabric.rawSend(us.peer, ap.peer, encodeDirect({ type: 'changes', session: 0, docId: siteDocId('eu'), changes: [forged], more: false, toResponder: false }))
        await run(clock, fabric, 1000)
        expect(ap.site.evidence().some((e) => e.kind === 'bad-signature' && e.offender === 'us')).toBe(true)
      }
      // The origin moves web to us's cluster, whose owner reports it Ready at once.
      await eu.site.putObject(pinTo('us.c1'))
      await run(clock, fabric, 5000)
      expect(deploymentReplicas(us.driver)).toBe(2)
      expect(us.site.view().workloads.find((w) => w.key === 'apps/Deployment/shop/web')?.shares.find((sh) => sh.cluster === 'us.c1')?.ready).toBe(2)
      expect(deploymentReplicas(ap.driver), forging ? 'kept: a forger\'s word releases nothing' : 'released on an honest Ready').toBe(forging ? 2 : 0)
      let last = ap
      if (forging) {
        // After a restart ap remembers the forgery from its own evidence.
        await ap.site.stop()
        const driver = instantDriver('c1', clock)
        driver.found = ap.driver.desired
        last = await ap.restart(driver)
        await last.site.start()
        await run(clock, fabric, 5000)
        expect(driver.declarations).toBeGreaterThan(0)
        expect(deploymentReplicas(driver)).toBe(2)
      }
      for (const n of [eu, last, us]) await n.site.stop()
    }
  })

  it('records its cluster going NotReady and Ready again as events, each written in the change that writes the cluster record', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const [eu, ap] = await federation(clock, fabric, ['eu', 'ap']) as [Node, Node]
    fabric.connect(eu.peer, ap.peer)
    for (const n of [eu, ap]) await n.site.start()
    await run(clock, fabric, 3000)
    // Per change eu writes to its document: the cluster's health and the cluster events so far.
    const changes: Array<{ health: string | undefined, events: string[] }> = []
    eu.site.store.onChange((docId, _entries, origin) => {
      if (origin !== 'local' || docId !== siteDocId('eu')) return
      const doc = eu.site.store.document<SiteDoc>(docId)!
      changes.push({ health: listClusters(doc).find((c) => c.id === 'eu.c1')?.health, events: listEvents(doc).filter((e) => e.kind.startsWith('cluster-')).map((e) => e.kind) })
    })
    const clusterEvents = (): Array<{ kind: string, subject: string, cause: string }> =>
      eu.site.events().filter((e) => e.kind.startsWith('cluster-')).map(({ kind, subject, cause }) => ({ kind, subject, cause }))
    expect(clusterEvents()).toEqual([])

    eu.driver.reachable = false
    await run(clock, fabric, 5000)
    expect(clusterEvents()).toEqual([{ kind: 'cluster-not-ready', subject: 'eu.c1', cause: 'NotReady: the cluster API is not answering (NotReady after 3 s)' }])
    const down = changes.findIndex((c) => c.events.length === 1)
    expect(changes[down]?.health, 'the event went with the NotReady record').toBe('NotReady')
    expect(changes.slice(0, down).every((c) => c.health === 'Ready')).toBe(true)
    // The owner's event reaches the other sites like any other.
    expect(ap.site.view().events.filter((e) => e.site === 'eu' && e.kind === 'cluster-not-ready').map((e) => e.subject)).toEqual(['eu.c1'])

    // This test driver tells nobody it is back: the next idle tick (10 s) sees it.
    eu.driver.reachable = true
    await run(clock, fabric, 11_000)
    const events = clusterEvents()
    expect(events.map((e) => e.kind)).toEqual(['cluster-not-ready', 'cluster-ready'])
    expect(events[1]?.cause).toMatch(/^Ready: 1 of 1 nodes Ready \(not Ready for \d+ s\)$/)
    const up = changes.findIndex((c) => c.events.length === 2)
    expect(changes[up]?.health, 'the event went with the Ready record').toBe('Ready')
    expect(changes.slice(down, up).every((c) => c.health === 'NotReady')).toBe(true)
    // Nothing more while it stays Ready.
    await run(clock, fabric, 5000)
    expect(clusterEvents()).toHaveLength(2)
    for (const n of [eu, ap]) await n.site.stop()
  })

  it('reports each peer\'s sync age in its metrics and on /metrics: bounded while in sync, growing once cut off', async () => {
    const clock = manualClock(); const fabric = manualFabric()
    const [eu, ap] = await federation(clock, fabric, ['eu', 'ap'], false) as [Node, Node]
    fabric.connect(eu.peer, ap.peer)
    for (const n of [eu, ap]) await n.site.start()
    const age = (): number | undefined => eu.site.metrics?.().peers.find((p) => p.siteId === 'ap')?.syncAgeSeconds
    await run(clock, fabric, 3000)
    expect(age()).toBeDefined()
    // Idle and in sync: the digests an idle pair still exchanges (every 6 anti-entropy periods of 5 s, ±20 %) renew it.
    let worst = 0
    for (let i = 0; i < 60; i++) {
      await run(clock, fabric, 1000)
      worst = Math.max(worst, age() ?? Infinity)
    }
    expect(worst).toBeLessThanOrEqual(36 + 2)
    // A write reconciles at once.
    await ap.site.putObject(deployment('web', 1))
    await run(clock, fabric, 1000)
    expect(age()).toBeLessThanOrEqual(1.5)
    const families = siteMetricFamilies({
      site: eu.site, data: createDashboardData(eu.site), build: { version: 'test', node: process.version },
      dashboard: { liveClients: 0, requests: createLatencyHistogram() }
    })
    expect(families.find((f) => f.name === 'flotilla_sync_age_seconds')?.samples).toEqual([{ labels: { site: 'eu', peer: 'ap' }, value: age() }])

    fabric.cut(eu.peer, ap.peer)
    const cutAt = clock.monotonicMs()
    await run(clock, fabric, 45_000)
    expect(age()).toBeGreaterThanOrEqual((clock.monotonicMs() - cutAt) / 1000)
    for (const n of [eu, ap]) await n.site.stop()
  })

  it('judges a peer whose clock is further off than failover.maxClockSkewMs failed, raises an alarm and counts the refusals; a wider limit accepts it', async () => {
    for (const maxClockSkewMs of [undefined, 15 * 60_000]) {
      const clock = manualClock(); const fabric = manualFabric()
      const [eu, ap] = await federation(clock, fabric, ['eu', 'ap'], false, maxClockSkewMs === undefined ? {} : { maxClockSkewMs }, { ap: 10 * 60_000 }) as [Node, Node]
      fabric.connect(eu.peer, ap.peer)
      for (const n of [eu, ap]) await n.site.start()
      await run(clock, fabric, 10_000)
      const liveness = eu.site.status().peers.find((p) => p.siteId === 'ap')?.liveness
      const refused = eu.site.metrics?.().liveness?.refusedForSkew ?? []
      const alarms = eu.site.status().alarms
      if (maxClockSkewMs === undefined) {
        expect(liveness).toBe('failed')
        expect(refused).toEqual([{ siteId: 'ap', count: expect.any(Number) as unknown as number, lastSkewSeconds: 600 }])
        expect(refused[0]!.count).toBeGreaterThanOrEqual(9)
        expect(alarms).toContain('heartbeats of site ap refused: their wall time is more than 5 min from this site\'s clock (a clock off, or old heartbeats replayed); ap is judged failed while this lasts — check NTP on both sites (failover.maxClockSkewMs)')
        expect(eu.site.events().filter((e) => e.subject === 'ap').map((e) => e.kind)).toEqual(['site-failed'])
      } else {
        expect(liveness).toBe('alive')
        expect(refused).toEqual([])
        expect(alarms).toEqual([])
      }
      for (const n of [eu, ap]) await n.site.stop()
    }
  })
})
