/**
 * Push mode against the cluster emulator over HTTP through @kubernetes/client-node: the
 * ClusterDriver acceptance suite.
 */
import { runClusterDriverAcceptance } from '../ports/cluster-driver-acceptance.ts'
import { pause, pushedCluster, systemClock } from './support.ts'

runClusterDriverAcceptance('push driver (client-node over HTTP)', async ({ nodes }) => {
  const { emulator, driver } = await pushedCluster({ nodes })
  return {
    driver,
    model: emulator.model,
    clock: systemClock,
    advance: pause,
    setReachable: async (reachable) => { await emulator.setFault({ unreachable: reachable ? false : 'refuse' }) },
    dispose: () => emulator.close()
  }
}, { stepMs: 50, budgetMs: 10_000 })
