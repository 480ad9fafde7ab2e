/**
 * The site's drivers from its config (the one builder production uses): a push driver
 * per push cluster on its kubeconfig, a pull driver per pull cluster, and one agent
 * endpoint for the API server to mount when any cluster is in pull mode.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseSiteConfig } from '../../src/config/load.ts'
import type { ClusterSettings } from '../../src/controllers/cluster-status.ts'
import { toHex } from '../../src/identity/keys.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createClusterDrivers, type DriverEndpoints } from '../../src/runtime/cluster-drivers.ts'
import { testKeys } from '../kube/pull-support.ts'

const siteKey = 'a'.repeat(64)

function config (clusters: unknown[]): ReturnType<typeof parseSiteConfig> {
  return parseSiteConfig({
    site: { id: 'eu-west', region: 'eu-west', zone: 'eu-west-a' }, dataDir: '.', p2p: { listen: ['/ip4/127.0.0.1/tcp/7001'] },
    roster: [{ siteId: 'eu-west', publicKey: siteKey, region: 'eu-west' }], api: { listen: '127.0.0.1:6443' }, clusters
  }, 'test.yaml')
}

function settingsOf (names: string[], mode: (name: string) => 'push' | 'pull'): ClusterSettings[] {
  return names.map((name) => ({ name, mode: mode(name), provider: 'on-prem', region: 'eu-west', zone: 'eu-west-a', labels: {}, taints: [], failureThresholdMs: 30_000 }))
}

describe('cluster drivers from the site config', () => {
  it('builds push and pull drivers in config order and one agent endpoint for the pull clusters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-clusters-'))
    const kubeconfig = join(dir, 'kc')
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')
    const c = config([
      { name: 'core-1', kubeconfig },
      { name: 'edge-1', mode: 'pull', agentKey: toHex(testKeys(5).publicKey) },
      { name: 'edge-2', mode: 'pull', agentKey: toHex(testKeys(6).publicKey) }
    ])
    const endpoints: DriverEndpoints = { handlers: [] }
    const settings = settingsOf(['core-1', 'edge-1', 'edge-2'], (n) => n.startsWith('edge') ? 'pull' : 'push')
    const built = await createClusterDrivers(c, settings, { clock: createSystemClock(), logger: silentLogger, endpoints })
    expect(built.map((b) => [b.settings.name, b.driver.name])).toEqual([['core-1', 'core-1'], ['edge-1', 'edge-1'], ['edge-2', 'edge-2']])
    expect('stats' in built[0]!.driver).toBe(true)
    expect(built.slice(1).every((b) => 'acceptReport' in b.driver)).toBe(true)
    expect(endpoints.handlers).toHaveLength(1)
    expect(typeof endpoints.close).toBe('function')
    endpoints.close?.()
  })

  it('mounts no agent endpoint when every cluster is in push mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-clusters-'))
    writeFileSync(join(dir, 'kc'), 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')
    const endpoints: DriverEndpoints = { handlers: [] }
    const built = await createClusterDrivers(config([{ name: 'core-1', kubeconfig: join(dir, 'kc') }]), settingsOf(['core-1'], () => 'push'), { clock: createSystemClock(), logger: silentLogger, endpoints })
    expect(built).toHaveLength(1)
    expect(endpoints.handlers).toEqual([])
    expect(endpoints.close).toBeUndefined()
  })
})
