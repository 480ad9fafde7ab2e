/**
 * Pull mode end to end: the site's pull driver behind the real agent endpoint over HTTP,
 * an agent with its own key pulling and applying to an emulated cluster through
 * client-node, reporting back. The ClusterDriver acceptance suite, seen from the site.
 */
import { runClusterDriverAcceptance } from '../ports/cluster-driver-acceptance.ts'
import { startAgent, startSite, testKeys } from './pull-support.ts'
import { pause, systemClock } from './support.ts'

runClusterDriverAcceptance('pull driver + agent (signed HTTP, client-node)', async ({ nodes }) => {
  const keys = testKeys(7)
  let site = await startSite({ 'edge-1': keys })
  const world = await startAgent(site.url, 'edge-1', keys, { nodes })
  return {
    driver: site.drivers.get('edge-1')!,
    restart: async () => {
      await site.drivers.get('edge-1')!.stop()
      await site.close()
      site = await startSite({ 'edge-1': keys }, undefined, Number(new URL(site.url).port))
      return site.drivers.get('edge-1')!
    },
    model: world.emulator.model,
    clock: systemClock,
    advance: pause,
    setReachable: async (reachable) => { await world.emulator.setFault({ unreachable: reachable ? false : 'refuse' }) },
    dispose: async () => {
      await world.close()
      await site.close()
    }
  }
}, { stepMs: 50, budgetMs: 10_000 })
