/**
 * Drivers from a site config: push clusters get a push driver on their kubeconfig,
 * pull clusters a pull driver served by one agent endpoint keyed by their agent keys.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clusterConfigSchema } from '../../src/config/schema.ts'
import { toHex } from '../../src/identity/keys.ts'
import { clusterDriversFromConfig } from '../../src/kube/from-config.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { testKeys } from './pull-support.ts'
import { systemClock } from './support.ts'

describe('cluster drivers from config', () => {
  it('builds push and pull drivers and one agent endpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-clusters-'))
    const kubeconfig = join(dir, 'kc')
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n')
    const clusters = [
      clusterConfigSchema.parse({ name: 'core-1', kubeconfig }),
      clusterConfigSchema.parse({ name: 'edge-1', mode: 'pull', agentKey: toHex(testKeys(5).publicKey) })
    ]
    const { drivers, agentEndpoint } = clusterDriversFromConfig(clusters, { clock: systemClock, logger: silentLogger })
    expect([...drivers.keys()]).toEqual(['core-1', 'edge-1'])
    expect(typeof agentEndpoint).toBe('function')
    expect('acceptReport' in (drivers.get('edge-1') as object)).toBe(true)
    expect('stats' in (drivers.get('core-1') as object)).toBe(true)
    expect(clusterDriversFromConfig([clusters[0]!], { clock: systemClock, logger: silentLogger }).agentEndpoint).toBeUndefined()
  })
})
