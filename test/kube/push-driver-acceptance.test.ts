/**
 * Push mode against the cluster emulator over HTTP through @kubernetes/client-node: the
 * ClusterDriver acceptance suite.
 */
import { createPushDriver } from '../../src/kube/push-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import type { ClusterDriver } from '../../src/ports/cluster-driver.ts'
import { runClusterDriverAcceptance } from '../ports/cluster-driver-acceptance.ts'
import { FAST, pause, pushedCluster, systemClock } from './support.ts'

runClusterDriverAcceptance('push driver (client-node over HTTP)', async ({ nodes }) => {
  const { emulator, driver } = await pushedCluster({ nodes })
  let current: ClusterDriver = driver
  return {
    driver,
    restart: async () => {
      await current.stop()
      current = createPushDriver({ name: 'member-1', kubeconfig: { yaml: emulator.kubeconfig }, clock: systemClock, logger: silentLogger, ...FAST })
      return current
    },
    model: emulator.model,
    clock: systemClock,
    advance: pause,
    setReachable: async (reachable) => { await emulator.setFault({ unreachable: reachable ? false : 'refuse' }) },
    dispose: () => emulator.close()
  }
}, { stepMs: 50, budgetMs: 10_000 })
