/**
 * The object tracker on its own, against the fake site: resourceVersions stamped only on
 * objects that changed, events for additions, changes (placement included), deletions
 * and residency switches, and a bounded history that refuses versions it cannot serve.
 */
import { describe, expect, it } from 'vitest'
import { createObjectTracker, type TrackerEvent } from '../../src/api/object-tracker.ts'
import { resourceByKind } from '../../src/api/resources.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createFakeSite } from './support/fake-site.ts'
import { clusterRecord, deployment } from './support/manifests.ts'

const DEPLOY = resourceByKind('apps/v1', 'Deployment')!
const CLUSTER = resourceByKind('cluster.flotilla.io/v1alpha1', 'Cluster')!

function setup (historyLimit = 100): { site: ReturnType<typeof createFakeSite>, tracker: ReturnType<typeof createObjectTracker>, events: TrackerEvent[] } {
  const site = createFakeSite({ siteId: 'eu-west', region: 'eu-west' })
  const tracker = createObjectTracker({ site, logger: silentLogger, now: () => 1_700_000_000_000, historyLimit })
  const events: TrackerEvent[] = []
  tracker.subscribe((e) => events.push(e))
  return { site, tracker, events }
}

const summary = (events: TrackerEvent[]): string[] => events.map((e) => `${e.type} ${e.current.resource.kind}/${e.current.name}@${e.rv}`)

describe('API object tracker', () => {
  it('stamps only the objects that changed with the new view version', async () => {
    const { site, tracker, events } = setup()
    await site.putObject(deployment('a'))
    await site.putObject(deployment('b'))
    const rvA = tracker.get(DEPLOY, 'default', 'a')!.rv
    await site.putObject(deployment('b', { replicas: 5 }))
    expect(tracker.get(DEPLOY, 'default', 'a')!.rv).toBe(rvA)
    expect(tracker.get(DEPLOY, 'default', 'b')!.rv).toBe(site.viewVersion())
    expect(tracker.get(DEPLOY, 'default', 'b')!.object.metadata.resourceVersion).toBe(String(site.viewVersion()))
    expect(summary(events)).toEqual([`ADDED Deployment/a@${rvA}`, `ADDED Deployment/b@${rvA + 1}`, `MODIFIED Deployment/b@${rvA + 2}`])
    // A view change that leaves the objects as they were (another site's heads moving) stamps nothing.
    site.change((v) => ({ ...v, sites: v.sites.map((s) => s) }))
    expect(events).toHaveLength(3)
    expect(tracker.list(DEPLOY).map((t) => t.name)).toEqual(['a', 'b'])
  })

  it('reports a new placement as a change of the workload only', async () => {
    const { site, tracker, events } = setup()
    site.addCluster(clusterRecord('eu-west', 'c1', 'eu-west'))
    await site.putObject(deployment('a'))
    await site.putObject(deployment('b'))
    events.length = 0
    const key = 'apps/Deployment/default/a'
    site.change((v) => ({
      ...v,
      workloads: v.workloads.map((w) => (w.key !== key ? w : {
        ...w, bindings: [{ workload: key, placement: [{ cluster: 'eu-west.c1', replicas: 3 }], decidedBy: 'eu-west', generation: 1, inputHeads: 'h', reason: 'no-binding', decidedAt: 1 }]
      }))
    }))
    expect(summary(events).map((s) => s.split('@')[0])).toEqual(['MODIFIED Deployment/a'])
    expect(tracker.get(DEPLOY, 'default', 'a')!.object.status).toMatchObject({ flotilla: { placement: [{ cluster: 'eu-west.c1', replicas: 3, ready: 0 }] } })
    expect(tracker.get(CLUSTER, undefined, 'eu-west.c1')!.object.metadata.creationTimestamp).toBe('2023-11-14T22:13:20Z')
    // This site's own effective placement of a replicated workload is not part of its status
    // (the view's bindings and shares are, the same at every site): no event for it.
    events.length = 0
    site.setPlacement(key, { assignments: [{ cluster: 'eu-west.c1', replicas: 2 }], mode: 'failover', reason: 'moved' })
    expect(events).toEqual([])
  })

  it('turns a switch between replicated and local-only into a deletion and an addition', async () => {
    const { site, tracker, events } = setup()
    await site.putObject(deployment('a'))
    await site.putObject(deployment('a', { annotations: { 'flotilla.io/residency': 'local-only' } }))
    // The Site changes too: it counts its local-only workloads (the redacted stubs).
    expect(summary(events).map((s) => s.split('@')[0])).toEqual(['ADDED Deployment/a', 'DELETED Deployment/a', 'ADDED Deployment/a', 'MODIFIED Site/eu-west'])
    expect(tracker.get(DEPLOY, 'default', 'a')!.localOnly).toBe(true)
    await site.deleteObject({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'a' })
    expect(events.at(-1)).toMatchObject({ type: 'DELETED', rv: site.viewVersion() })
    expect(events.at(-1)!.current.object.metadata.resourceVersion).toBe(String(site.viewVersion()))
    expect(tracker.get(DEPLOY, 'default', 'a')).toBeUndefined()
  })

  it('serves the ready replicas of a local-only workload from what this site\'s clusters report', async () => {
    const { site, tracker, events } = setup()
    await site.putObject(deployment('payroll', { replicas: 2, annotations: { 'flotilla.io/residency': 'local-only' } }))
    const key = 'apps/Deployment/default/payroll'
    site.setPlacement(key, { assignments: [{ cluster: 'eu-west.c1', replicas: 2 }], mode: 'Divided', reason: 'one cluster' })
    events.length = 0
    site.setShares(key, [{ workload: key, cluster: 'eu-west.c1', desired: 2, ready: 2, available: 2, conditions: [], observedGeneration: 1 }])
    expect(summary(events).map((s) => s.split('@')[0])).toEqual(['MODIFIED Deployment/payroll'])
    expect(tracker.get(DEPLOY, 'default', 'payroll')!.object.status).toMatchObject({
      readyReplicas: 2, availableReplicas: 2, flotilla: { residency: 'local-only', ready: 2, desired: 2, placement: [{ cluster: 'eu-west.c1', replicas: 2, ready: 2 }] }
    })
  })

  it('keeps a bounded history per kind and refuses versions it no longer holds or never had', async () => {
    const { site, tracker } = setup(3)
    const start = tracker.version()
    for (let i = 0; i < 7; i++) await site.putObject(deployment(`d${i}`))
    expect(tracker.since(DEPLOY, start)).toBeUndefined()
    expect(tracker.since(DEPLOY, tracker.version() + 1)).toBeUndefined()
    expect(tracker.since(DEPLOY, tracker.version() - 2)?.map((e) => e.current.name)).toEqual(['d5', 'd6'])
    expect(tracker.since(DEPLOY, tracker.version())).toEqual([])
    // Another kind's history is its own: clusters have had no events, and lost none.
    expect(tracker.since(CLUSTER, start)).toEqual([])
  })
})
