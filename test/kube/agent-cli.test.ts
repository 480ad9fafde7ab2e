/**
 * `flotilla agent`: `init` makes the agent's own key (0600, kind agent) and prints the
 * site config entry; `run` refuses a site key, since an agent must never hold it.
 */
import { mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { initAgent, registerAgentCommand } from '../../src/cli/commands/agent.ts'
import { siteConfigSchema } from '../../src/config/schema.ts'
import { createKeyFile, loadKeyFile } from '../../src/keystore/key-file.ts'
import { parse } from 'yaml'

describe('flotilla agent', () => {
  it('init writes an agent key readable only by its owner and prints the clusters[] entry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-agent-'))
    const r = await initAgent({ keyPath: join(dir, 'agent.key'), site: 'eu-west', cluster: 'edge-1' })
    expect((await stat(r.keyPath)).mode & 0o777).toBe(0o600)
    const key = await loadKeyFile(r.keyPath)
    expect(key).toMatchObject({ kind: 'agent', id: 'eu-west/edge-1' })
    const entry = (parse(r.clusterEntry) as { clusters: unknown[] }).clusters[0]
    const parsed = siteConfigSchema.shape.clusters.parse([entry])
    expect(parsed[0]).toMatchObject({ name: 'edge-1', mode: 'pull', agentKey: r.publicKey })
    await expect(initAgent({ keyPath: r.keyPath, site: 'eu-west', cluster: 'edge-1' })).rejects.toMatchObject({ code: 'key-exists' })
    await expect(initAgent({ keyPath: join(dir, 'x.key'), site: 'eu-west', cluster: 'Edge_1' })).rejects.toMatchObject({ code: 'input-invalid' })
  })

  it('run refuses a site key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-agent-'))
    const siteKey = join(dir, 'site.key')
    await createKeyFile(siteKey, 'site', 'eu-west')
    const out: string[] = []
    const program = new Command('flotilla').exitOverride()
    registerAgentCommand(program, { out: (t) => out.push(t), err: (t) => out.push(t) })
    await expect(program.parseAsync(['node', 'flotilla', 'agent', 'run', '--key', siteKey, '--site-url', 'http://127.0.0.1:9', '--kubeconfig', join(dir, 'kc')]))
      .rejects.toMatchObject({ code: 'key-invalid', message: expect.stringContaining('not an agent key') })
  })
})
