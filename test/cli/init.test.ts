import { mkdtemp, stat, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { initSite } from '../../src/cli/commands/init.ts'
import { loadSiteConfig } from '../../src/config/load.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'

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
