/**
 * `flotilla agent run` as its own process: it loads its key and kubeconfig, pulls from a
 * site endpoint, applies to the emulated cluster, reports back, and stops cleanly on
 * SIGTERM.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initAgent } from '../../src/cli/commands/agent.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { startKubeEmulator, type KubeEmulator } from '../../sim/kube/index.ts'
import { DEPLOYMENTS, deploymentManifest, desired } from '../ports/cluster-driver-acceptance.ts'
import { startSite, type Site } from './pull-support.ts'
import { waitFor } from './support.ts'

const bin = join(import.meta.dirname, '../../bin/flotilla.js')

describe('flotilla agent run', () => {
  let site: Site | undefined
  let emulator: KubeEmulator | undefined
  afterEach(async () => {
    await site?.close()
    await emulator?.close()
  })

  it('applies its cluster\'s assignments, reports them, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-agent-run-'))
    const { keyPath } = await initAgent({ keyPath: join(dir, 'agent.key'), site: 'eu-west', cluster: 'edge-1' })
    const keys = (await loadKeyFile(keyPath)).keys
    emulator = await startKubeEmulator({ adminPort: false })
    writeFileSync(join(dir, 'kubeconfig'), emulator.kubeconfig)
    site = await startSite({ 'edge-1': keys })
    const driver = site.drivers.get('edge-1')!
    await driver.start()
    const web = desired(deploymentManifest('web'))
    driver.setDesired([web])

    const child = spawn(process.execPath, [bin, 'agent', 'run', '--key', keyPath, '--site-url', site.url, '--kubeconfig', join(dir, 'kubeconfig'), '--report-ms', '500', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await waitFor('Ready at the site', () => driver.observe().objects.get(web.key)?.ready === 1, 20_000)
      expect(emulator.model.store.get(DEPLOYMENTS, 'default', 'web')).toBeDefined()
      expect(out).toContain('agent of cluster edge-1 pulling from')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(out).toContain('agent stopped (SIGTERM)')
  })
})
