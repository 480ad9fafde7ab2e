/**
 * Builds a site's cluster drivers from its config, the one place that does: push mode
 * through the cluster's kubeconfig, pull mode through a `PullDriver` fed by the cluster's
 * agent, with one agent endpoint (keyed by each cluster's `agentKey`) added to
 * `endpoints.handlers` for the site to mount on its API server — which the config
 * validator therefore requires when any cluster is in pull mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SiteConfig } from '../config/schema.ts'
import type { ClusterDriver } from '../ports/cluster-driver.ts'
import type { Clock } from '../ports/clock.ts'
import type { Logger } from '../ports/logger.ts'
import type { ClusterSettings } from '../controllers/cluster-status.ts'
import { createPullDriver, type PullDriver } from '../kube/pull-driver.ts'
import { createAgentEndpoint } from '../kube/agent-endpoint.ts'

export interface DriverEndpoints {
  handlers: Array<(req: IncomingMessage, res: ServerResponse) => boolean>
  close?: () => void
}

export async function createClusterDrivers (
  config: SiteConfig, settings: readonly ClusterSettings[], ctx: { clock: Clock, logger: Logger, endpoints: DriverEndpoints }
): Promise<Array<{ settings: ClusterSettings, driver: ClusterDriver }>> {
  const out: Array<{ settings: ClusterSettings, driver: ClusterDriver }> = []
  const pulled: Array<{ name: string, agentKey: string, driver: PullDriver }> = []
  // @kubernetes/client-node costs half a second to import: a site without push-mode
  // clusters (pull mode only, or none yet) starts, and joins its federation, without it.
  const { createPushDriver } = config.clusters.some((c) => c.mode === 'push') ? await import('../kube/push-driver.ts') : { createPushDriver: undefined }
  config.clusters.forEach((c, i) => {
    const s = settings[i]!
    if (c.mode === 'push' && createPushDriver !== undefined) {
      const driver = createPushDriver({ name: c.name, kubeconfig: c.kubeconfig!, ...(c.context === undefined ? {} : { context: c.context }), clock: ctx.clock, logger: ctx.logger.child({ cluster: c.name }) })
      out.push({ settings: s, driver })
    } else {
      const driver = createPullDriver({ name: c.name, clock: ctx.clock, logger: ctx.logger })
      pulled.push({ name: c.name, agentKey: c.agentKey!, driver })
      out.push({ settings: s, driver })
    }
  })
  if (pulled.length > 0) {
    const endpoint = createAgentEndpoint({ clusters: pulled, clock: ctx.clock, logger: ctx.logger.child({ component: 'agent-endpoint' }) })
    ctx.endpoints.handlers.push(endpoint)
    ctx.endpoints.close = () => { endpoint.close() }
  }
  return out
}
