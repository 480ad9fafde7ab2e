/**
 * The pull-mode agent end to end over HTTP: credentials that reach only their own
 * cluster, and a site that sees the cluster go unreachable when its agent falls silent
 * (last contact frozen) and come back when an agent reports again, without re-creating
 * what runs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DEPLOYMENTS, deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'
import { agentFor, startAgent, startSite, testKeys, type AgentWorld, type Site } from './pull-support.ts'
import { pause, waitFor } from './support.ts'

const keyA = testKeys(11)
const keyB = testKeys(12)

describe('pull-mode agent', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c()
    cleanup.length = 0
  })

  async function site (timeoutMs = 2_000): Promise<Site> {
    const s = await startSite({ a: keyA, b: keyB }, timeoutMs)
    for (const d of s.drivers.values()) await d.start()
    cleanup.push(() => s.close())
    return s
  }

  async function agent (s: Site, cluster: string, keys: typeof keyA): Promise<AgentWorld> {
    const w = await startAgent(s.url, cluster, keys)
    cleanup.push(() => w.close())
    return w
  }

  it('cannot pull another cluster\'s assignments with its own key', async () => {
    const s = await site()
    s.drivers.get('b')?.setDesired([desired(deploymentManifest('only-for-b'))])
    const impostor = await agent(s, 'b', keyA)
    await waitFor('refused', () => impostor.agent.status().lastError?.includes('HTTP 403') === true)
    await pause(300)
    expect(impostor.agent.status()).toMatchObject({ pulls: 0, reports: 0, revision: undefined })
    expect(impostor.emulator.model.store.list(DEPLOYMENTS)).toEqual([])
    expect(s.drivers.get('b')?.observe().reachable).toBe(false)
  })

  it('goes unreachable at the site when its agent falls silent, and recovers without re-creating anything', async () => {
    const s = await site(800)
    const driver = s.drivers.get('a')!
    const web = desired(deploymentManifest('web', { replicas: 2 }))
    driver.setDesired([web])
    const first = await agent(s, 'a', keyA)
    await waitFor('Ready at the site', () => driver.observe().objects.get(web.key)?.ready === 2)
    const uid = first.emulator.model.store.get(DEPLOYMENTS, 'default', 'web')?.metadata.uid

    await first.agent.stop()
    const silent = await waitFor('unreachable', () => (driver.observe().reachable ? undefined : driver.observe()), 5_000)
    expect(silent.lastError).toMatch(/has not reported for more than 1 s/)
    await pause(300)
    expect(driver.observe().lastContactMs).toBe(silent.lastContactMs)
    expect(driver.observe().objects.get(web.key)?.ready).toBe(2)

    // A new agent process on the same cluster picks up where the old one left.
    const second = agentFor(first.emulator, s.url, 'a', keyA)
    cleanup.push(() => second.stop())
    await second.start()
    await waitFor('reachable again', () => driver.observe().reachable && driver.observe().objects.get(web.key)?.ready === 2)
    expect(first.emulator.model.store.get(DEPLOYMENTS, 'default', 'web')?.metadata.uid).toBe(uid)
    expect(second.status()).toMatchObject({ lastPullOk: true, lastReportOk: true })
  })
})
