/**
 * Builds a site's cluster drivers from its validated config: a push driver per
 * `mode: push` cluster (its kubeconfig and context), a pull driver per `mode: pull`
 * cluster, and — when there is any pull cluster — the agent endpoint that serves them,
 * keyed by each cluster's `agentKey`. The site mounts the endpoint on its API server (or
 * a listener of its own) and hands the drivers to its controllers.
 */
import type { ClusterConfig } from '../config/schema.ts'
import type { Clock } from '../ports/clock.ts'
import type { ClusterDriver } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { createAgentEndpoint, type AgentEndpoint, type AgentEndpointOptions } from './agent-endpoint.ts'
import { createPullDriver, type PullDriver } from './pull-driver.ts'
import { createPushDriver, type PushDriverOptions } from './push-driver.ts'

export interface ClusterDriversOptions {
  clock: Clock
  logger: Logger
  /** Overrides for every push driver (concurrency, retry and probe timings). */
  push?: Partial<Omit<PushDriverOptions, 'name' | 'kubeconfig' | 'context' | 'clock' | 'logger'>>
  /** Pull drivers: a report older than this makes the cluster unreachable. Default 15,000 ms. */
  reportTimeoutMs?: number
  endpoint?: Partial<Omit<AgentEndpointOptions, 'clusters' | 'clock' | 'logger'>>
}

export interface ClusterDrivers {
  /** By cluster name, in config order. */
  drivers: Map<string, ClusterDriver>
  /** The agent endpoint, when some cluster is in pull mode. */
  agentEndpoint: AgentEndpoint | undefined
}

export function clusterDriversFromConfig (clusters: readonly ClusterConfig[], options: ClusterDriversOptions): ClusterDrivers {
  const drivers = new Map<string, ClusterDriver>()
  const pulled: Array<{ name: string, agentKey: string, driver: PullDriver }> = []
  for (const c of clusters) {
    if (c.mode === 'push') {
      drivers.set(c.name, createPushDriver({
        ...options.push,
        name: c.name,
        kubeconfig: c.kubeconfig as string,
        ...(c.context === undefined ? {} : { context: c.context }),
        clock: options.clock,
        logger: options.logger
      }))
    } else {
      const driver = createPullDriver({ name: c.name, clock: options.clock, logger: options.logger, ...(options.reportTimeoutMs === undefined ? {} : { reportTimeoutMs: options.reportTimeoutMs }) })
      drivers.set(c.name, driver)
      pulled.push({ name: c.name, agentKey: c.agentKey as string, driver })
    }
  }
  const agentEndpoint = pulled.length === 0
    ? undefined
    : createAgentEndpoint({ ...options.endpoint, clusters: pulled, clock: options.clock, logger: options.logger })
  return { drivers, agentEndpoint }
}
