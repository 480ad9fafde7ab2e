/**
 * The site's pull driver on its own, on a virtual clock: reachability from report
 * freshness, the last contact carried as an age and kept frozen while the agent reports
 * the same contact, assignments revisions that change only with the set, and objects
 * restricted to what is desired now.
 */
import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../sim/engine/virtual-clock.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createPullDriver } from '../../src/kube/pull-driver.ts'
import type { AgentReport } from '../../src/kube/agent-protocol.ts'
import { zeroResources } from '../../src/model/resources.ts'
import { deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'

const web = desired(deploymentManifest('web', { replicas: 2 }))
const api = desired(deploymentManifest('api'))

function report (over: Partial<AgentReport> = {}): AgentReport {
  return {
    reachable: true,
    contact: { id: 500, ageMs: 10 },
    nodes: [{ name: 'node-0', ready: true, allocatable: { ...zeroResources(), cpuMilli: 4000, pods: 110 }, allocated: zeroResources() }],
    objects: [
      { key: web.key, desired: 2, ready: 2, available: 2, conditions: [], observedGeneration: 1 },
      { key: 'apps/Deployment/default/gone', desired: 1, ready: 1, available: 1, conditions: [], observedGeneration: 1 }
    ],
    ...over
  }
}

async function setup (reportTimeoutMs = 1_000) {
  const clock = createVirtualClock()
  const driver = createPullDriver({ name: 'edge-1', clock, logger: silentLogger, reportTimeoutMs })
  await driver.start()
  let changes = 0
  driver.onChange(() => { changes++ })
  return { clock, driver, changes: () => changes }
}

describe('pull driver', () => {
  it('is unreachable until the agent reports, then shows the report for desired objects only', async () => {
    const { clock, driver } = await setup()
    driver.setDesired([web, api])
    const before = driver.observe()
    expect(before).toMatchObject({ reachable: false, lastContactMs: undefined })
    expect(before.lastError).toMatch(/has not reported yet/)
    expect([...before.objects.values()].map((o) => [o.key, o.ready])).toEqual([[web.key, 0], [api.key, 0]])

    driver.acceptReport(report())
    const obs = driver.observe()
    expect(obs.reachable).toBe(true)
    expect(obs.lastError).toBeUndefined()
    expect(obs.lastContactMs).toBe(clock.monotonicMs() - 10)
    expect(obs.nodes.map((n) => n.name)).toEqual(['node-0'])
    expect([...obs.objects.keys()]).toEqual([web.key, api.key])
    expect(obs.objects.get(web.key)?.ready).toBe(2)
    expect(obs.objects.get(api.key)).toMatchObject({ desired: 1, ready: 0 })
  })

  it('before the site declares anything, shows everything the agent reports and is listed only once it reported', async () => {
    const { driver } = await setup()
    expect(driver.observe().listed).toBe(false)
    expect(driver.assignments().declared).toBe(false)
    driver.acceptReport(report({ listed: false }))
    expect(driver.observe().listed).toBe(false)
    driver.acceptReport(report())
    const obs = driver.observe()
    expect(obs.listed).toBe(true)
    expect([...obs.objects.keys()]).toEqual([web.key, 'apps/Deployment/default/gone'])
    driver.setDesired([web])
    expect(driver.assignments().declared).toBe(true)
    expect([...driver.observe().objects.keys()]).toEqual([web.key])
  })

  it('goes unreachable when reports stop, with a message that does not tick, and back when they resume', async () => {
    const { clock, driver, changes } = await setup(1_000)
    driver.setDesired([web])
    driver.acceptReport(report())
    const contact = driver.observe().lastContactMs
    await clock.runFor(900)
    expect(driver.observe().reachable).toBe(true)
    const seen = changes()
    await clock.runFor(200)
    const stale = driver.observe()
    expect(stale.reachable).toBe(false)
    expect(stale.lastError).toMatch(/has not reported for more than 1 s/)
    expect(stale.lastContactMs).toBe(contact)
    expect(changes()).toBeGreaterThan(seen)
    await clock.runFor(5_000)
    expect(driver.observe().lastError).toBe(stale.lastError)
    expect(driver.observe().lastContactMs).toBe(contact)

    driver.acceptReport(report({ contact: { id: 9_000, ageMs: 5 } }))
    expect(driver.observe()).toMatchObject({ reachable: true, lastContactMs: clock.monotonicMs() - 5 })
  })

  it('keeps lastContactMs frozen while the agent reports the same contact, and relays its error', async () => {
    const { clock, driver } = await setup(10_000)
    driver.setDesired([web])
    driver.acceptReport(report({ reachable: false, lastError: 'connect ECONNREFUSED', contact: { id: 777, ageMs: 50 } }))
    const first = driver.observe()
    expect(first).toMatchObject({ reachable: false, lastError: 'connect ECONNREFUSED' })
    for (let i = 1; i <= 3; i++) {
      await clock.runFor(1_000)
      driver.acceptReport(report({ reachable: false, lastError: 'connect ECONNREFUSED', contact: { id: 777, ageMs: 50 + i * 1_000 } }))
      expect(driver.observe().lastContactMs).toBe(first.lastContactMs)
    }
  })

  it('changes the assignments revision only when the set changes, and wakes waiting polls then', async () => {
    const { clock, driver } = await setup()
    driver.setDesired([web])
    const r1 = driver.assignments().revision
    driver.setDesired([desired(deploymentManifest('web', { replicas: 2 }))])
    expect(driver.assignments().revision).toBe(r1)

    let woke = false
    const wait = driver.waitForAssignments(r1, 60_000)
    void wait.promise.then(() => { woke = true })
    await clock.runFor(10)
    expect(woke).toBe(false)
    driver.setDesired([web, api])
    await clock.runFor(0)
    expect(woke).toBe(true)
    expect(driver.assignments().revision).not.toBe(r1)

    let timedOut = false
    void driver.waitForAssignments(driver.assignments().revision, 500).promise.then(() => { timedOut = true })
    await clock.runFor(499)
    expect(timedOut).toBe(false)
    await clock.runFor(2)
    expect(timedOut).toBe(true)
  })
})
