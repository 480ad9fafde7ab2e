/**
 * A pull-mode world for tests: a site HTTP listener with the agent endpoint and one pull
 * driver per cluster, and agents (with their own keys) driving emulated clusters over
 * HTTP through the push machinery.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { keyPairFromSeed, toHex, type KeyPair } from '../../src/identity/keys.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createAgent, type Agent, type AgentOptions } from '../../src/kube/agent.ts'
import { createAgentEndpoint, type AgentEndpoint } from '../../src/kube/agent-endpoint.ts'
import { createPullDriver, type PullDriver } from '../../src/kube/pull-driver.ts'
import { createPushDriver } from '../../src/kube/push-driver.ts'
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../sim/kube/index.ts'
import { FAST, systemClock } from './support.ts'

export function testKeys (n: number): KeyPair {
  return keyPairFromSeed(new Uint8Array(32).fill(n))
}

export interface Site {
  url: string
  endpoint: AgentEndpoint
  drivers: Map<string, PullDriver>
  server: Server
  close (): Promise<void>
}

/** A site listener serving the agent endpoint for `clusters` (name → agent key). */
export async function startSite (clusters: Record<string, KeyPair>, reportTimeoutMs = 2_000, port = 0): Promise<Site> {
  const drivers = new Map<string, PullDriver>()
  for (const name of Object.keys(clusters)) drivers.set(name, createPullDriver({ name, clock: systemClock, logger: silentLogger, reportTimeoutMs }))
  const endpoint = createAgentEndpoint({
    clusters: Object.entries(clusters).map(([name, keys]) => ({ name, agentKey: toHex(keys.publicKey), driver: drivers.get(name) as PullDriver })),
    clock: systemClock, logger: silentLogger, maxWaitMs: 2_000
  })
  const server = createServer((req, res) => {
    if (!endpoint(req, res)) { res.writeHead(404); res.end() }
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    endpoint,
    drivers,
    server,
    async close () {
      endpoint.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export interface AgentWorld {
  emulator: KubeEmulator
  agent: Agent
  close (): Promise<void>
}

/** An agent (tuned for short tests) applying to `emulator` what it pulls from `siteUrl` as `cluster`. */
export function agentFor (emulator: KubeEmulator, siteUrl: string, cluster: string, keys: KeyPair, agentOptions: Partial<AgentOptions> = {}): Agent {
  const local = createPushDriver({ name: cluster, kubeconfig: { yaml: emulator.kubeconfig }, clock: systemClock, logger: silentLogger, ...FAST })
  return createAgent({
    cluster, siteUrl, keys, driver: local, clock: systemClock, logger: silentLogger,
    pollWaitMs: 1_500, reportMs: 200, reportDebounceMs: 20, retryMaxMs: 300, ...agentOptions
  })
}

/** An emulated cluster and its agent pulling from `siteUrl` as `cluster`. */
export async function startAgent (siteUrl: string, cluster: string, keys: KeyPair, emulatorOptions: KubeEmulatorOptions = {}, agentOptions: Partial<AgentOptions> = {}): Promise<AgentWorld> {
  const emulator = await startKubeEmulator({ adminPort: false, readyDelayMs: 0, ...emulatorOptions })
  const agent = agentFor(emulator, siteUrl, cluster, keys, agentOptions)
  await agent.start()
  return {
    emulator,
    agent,
    async close () {
      await agent.stop()
      await emulator.close()
    }
  }
}
