import { existsSync } from 'node:fs'
import { mkdtemp, stat, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { initSite, type InitResult } from '../../src/cli/commands/init.ts'
import { loadSiteConfig } from '../../src/config/load.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import { runCli } from './support/cli-site.ts'

describe('flotilla init', () => {
  it('creates a key readable only by its owner and a valid config naming the site in its roster', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'flotilla-init-')), 'eu-west')
    const r = await initSite({ siteId: 'eu-west', region: 'eu-west', dir, p2pPort: 7101 })
    expect((await stat(r.keyPath)).mode & 0o777).toBe(0o600)
    const config = await loadSiteConfig(r.configPath)
    expect(config.roster).toEqual([r.rosterEntry])
    expect(config.keyFile).toBe(r.keyPath)
    const key = await loadKeyFile(r.keyPath)
    expect(peerIdFromPublicKey(key.keys.publicKey)).toBe(r.peerId)
    expect(r.p2pAddress).toBe(`/ip4/127.0.0.1/tcp/7101/p2p/${r.peerId}`)
  })

  it('refuses to overwrite an existing site without --force, and replaces it with --force', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'flotilla-init-')), 'ap')
    const first = await initSite({ siteId: 'ap', region: 'ap-southeast', dir })
    await expect(initSite({ siteId: 'ap', region: 'ap-southeast', dir })).rejects.toMatchObject({ code: 'already-exists' })
    const second = await initSite({ siteId: 'ap', region: 'ap-southeast', dir, force: true })
    expect(second.publicKey).not.toBe(first.publicKey)
  })

  it('names the bad field when the site id is not a DNS label', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-init-'))
    await expect(initSite({ siteId: 'EU_West', region: 'eu-west', dir })).rejects.toMatchObject({ code: 'input-invalid', message: expect.stringMatching(/site\.id: expected a DNS-1123 label/) as unknown as string })
  })

  it('refuses to load a key that other users can read', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'flotilla-init-')), 'us')
    const r = await initSite({ siteId: 'us', region: 'us-east', dir })
    await chmod(r.keyPath, 0o644)
    await expect(loadKeyFile(r.keyPath)).rejects.toMatchObject({ code: 'key-permissions', hint: `Restrict it: chmod 600 ${r.keyPath}` })
  })
})

describe('flotilla init (command line)', () => {
  it('prints what it created for people by default, and the same facts as JSON with -o json', async () => {
    const root = await mkdtemp(join(tmpdir(), 'flotilla-init-cli-'))
    const table = await runCli(['init', '--site-id', 'eu-west', '--region', 'eu-west', '--dir', join(root, 'eu-west'), '--p2p-port', '7201'])
    expect(table).toMatchObject({ code: 0, stderr: '' })
    expect(table.stdout).toMatch(/^created site eu-west\n {2}config: {5}.*eu-west\/site\.yaml\n/)
    expect(table.stdout).toContain(`Then run it: flotilla site -c ${join(root, 'eu-west', 'site.yaml')}\n`)

    const r = await runCli(['init', '--site-id', 'ap-east', '--region', 'ap-east', '--dir', join(root, 'ap-east'), '--p2p-port', '7202', '--api-port', '7203', '--dashboard-port', '7204', '-o', 'json'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const out = r.json<InitResult>()
    expect(out).toMatchObject({
      configPath: join(root, 'ap-east', 'site.yaml'), keyPath: join(root, 'ap-east', 'site.key'),
      rosterEntry: { siteId: 'ap-east', region: 'ap-east', publicKey: out.publicKey },
      p2pAddress: `/ip4/127.0.0.1/tcp/7202/p2p/${out.peerId}`,
      kubeconfigs: { admin: join(root, 'ap-east', 'pki', 'kubeconfigs', 'admin.yaml') }
    })
    const config = await loadSiteConfig(out.configPath)
    expect(config.roster).toEqual([out.rosterEntry])
    expect(config.api?.listen).toBe('127.0.0.1:7203')
    expect(config.dashboard?.listen).toBe('127.0.0.1:7204')
  })

  it('refuses a bad site id, a port out of range and an unknown format with input-invalid (exit 2), creating nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'flotilla-init-cli-'))
    const id = await runCli(['init', '--site-id', 'EU_West', '--region', 'eu-west', '--dir', join(root, 'a'), '-o', 'json'])
    expect(id.code).toBe(2)
    expect(id.stdout).toBe('')
    expect(id.stderr).toMatch(/^error\[input-invalid\]: cannot create site "EU_West":\n {2}- site\.id: expected a DNS-1123 label/)
    const port = await runCli(['init', '--site-id', 'eu-west', '--region', 'eu-west', '--dir', join(root, 'b'), '--api-port', '70000'])
    expect(port.code).toBe(2)
    expect(port.stderr).toBe("error[input-invalid]: '--api-port' must be a TCP port from 1 to 65535: received \"70000\"\n  hint: E.g. --api-port 7443.\n")
    const format = await runCli(['init', '--site-id', 'eu-west', '--region', 'eu-west', '--dir', join(root, 'c'), '-o', 'xml'])
    expect(format.code).toBe(2)
    expect(format.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n/)
    for (const d of ['a', 'b', 'c']) expect(existsSync(join(root, d))).toBe(false)
  })
})
