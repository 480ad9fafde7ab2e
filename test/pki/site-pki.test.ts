/**
 * A site's API credentials as `flotilla init` creates them: a CA, a server certificate
 * for the API's addresses, client certificates carrying the role, hashed tokens, and a
 * kubeconfig per role — every secret 0600, nothing replaced without force, and nothing
 * loaded that other users can read.
 */
import { X509Certificate } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import {
  createSitePki, findToken, hashToken, loadSitePki, retargetSiteKubeconfigs, ROLES, serverHosts, type SitePkiResult
} from '../../src/pki/index.ts'

function mode (path: string): number {
  return statSync(path).mode & 0o777
}

async function rejection (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (e) { return e }
  throw new Error('expected a rejection')
}

interface Kubeconfig {
  clusters: Array<{ name: string, cluster: { server: string, 'certificate-authority-data': string } }>
  users: Array<{ name: string, user: { token?: string, 'client-certificate-data'?: string, 'client-key-data'?: string } }>
  contexts: Array<{ name: string, context: { cluster: string, user: string, namespace: string } }>
  'current-context': string
}

describe('site PKI', () => {
  let dir: string
  let pki: SitePkiResult

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-pki-'))
    pki = await createSitePki(join(dir, 'pki'), 'eu-west', ['10.1.2.3', 'api.eu-west.example.com'], { server: 'https://10.1.2.3:6443' })
  })

  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('writes every private key, the token hashes, client credentials and kubeconfigs 0600 in 0700 directories', () => {
    const p = pki.paths
    for (const secret of [p.caKey, p.serverKey, p.tokens, ...ROLES.flatMap((r) => [p.clientKey[r], p.clientCert[r], p.kubeconfig[r]])]) {
      expect(mode(secret), secret).toBe(0o600)
    }
    for (const d of [p.dir, join(p.dir, 'users'), join(p.dir, 'kubeconfigs')]) expect(mode(d), d).toBe(0o700)
    expect(readdirSync(p.dir).sort()).toEqual(['ca.crt', 'ca.key', 'kubeconfigs', 'server.crt', 'server.key', 'tokens.json', 'users'])
  })

  it('issues a server certificate for 127.0.0.1, localhost and the configured hosts, signed by the site CA', () => {
    const ca = new X509Certificate(readFileSync(pki.paths.caCert))
    const server = new X509Certificate(readFileSync(pki.paths.serverCert))
    expect(ca.ca).toBe(true)
    expect(server.ca).toBe(false)
    expect(server.verify(ca.publicKey)).toBe(true)
    expect(server.checkIssued(ca)).toBe(true)
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.checkIP('10.1.2.3')).toBe('10.1.2.3')
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkHost('api.eu-west.example.com')).toBe('api.eu-west.example.com')
    expect(server.checkHost('evil.example.com')).toBeUndefined()
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
    expect(pki.hosts).toEqual(['127.0.0.1', 'localhost', '10.1.2.3', 'api.eu-west.example.com'])
  })

  it('issues per-role client certificates whose CN is the user and O carries the role', () => {
    const ca = new X509Certificate(readFileSync(pki.paths.caCert))
    for (const role of ROLES) {
      const cert = new X509Certificate(readFileSync(pki.paths.clientCert[role]))
      expect(cert.verify(ca.publicKey)).toBe(true)
      expect(cert.subject.split('\n')).toEqual([`CN=${role}@eu-west`, `O=flotilla:${role}`])
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2'])
    }
  })

  it('keeps only token hashes on the site side; the tokens live in the users\' kubeconfigs', () => {
    const file = readFileSync(pki.paths.tokens, 'utf8')
    const records = (JSON.parse(file) as { tokens: Array<{ user: string, role: string, sha256: string }> }).tokens
    expect(records.map((r) => [r.user, r.role])).toEqual([['admin@eu-west', 'admin'], ['viewer@eu-west', 'viewer'], ['auditor@eu-west', 'auditor']])
    for (const role of ROLES) {
      expect(file).not.toContain(pki.tokens[role])
      expect(records.find((r) => r.role === role)?.sha256).toBe(hashToken(pki.tokens[role]))
      expect(findToken(records as never, pki.tokens[role])?.role).toBe(role)
    }
    expect(findToken(records as never, 'flt_admin_guess')).toBeUndefined()
  })

  it('writes a kubeconfig per role with a certificate context (current) and a token context', () => {
    for (const role of ROLES) {
      const k = parse(readFileSync(pki.paths.kubeconfig[role], 'utf8')) as Kubeconfig
      expect(k['current-context']).toBe(`eu-west-${role}`)
      expect(k.contexts.map((c) => c.name)).toEqual([`eu-west-${role}`, `eu-west-${role}-token`])
      expect(k.clusters[0]?.cluster.server).toBe('https://10.1.2.3:6443')
      expect(Buffer.from(k.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString()).toBe(readFileSync(pki.paths.caCert, 'utf8'))
      expect(Buffer.from(k.users[0]?.user['client-certificate-data'] ?? '', 'base64').toString()).toBe(readFileSync(pki.paths.clientCert[role], 'utf8'))
      expect(k.users[1]?.user.token).toBe(pki.tokens[role])
    }
  })

  it('points the kubeconfigs at the API once its address is known', async () => {
    await retargetSiteKubeconfigs(pki.paths.dir, 'https://127.0.0.1:40001')
    for (const role of ROLES) {
      expect((parse(readFileSync(pki.paths.kubeconfig[role], 'utf8')) as Kubeconfig).clusters[0]?.cluster.server).toBe('https://127.0.0.1:40001')
      expect(mode(pki.paths.kubeconfig[role])).toBe(0o600)
    }
  })

  it('loads what the API server needs', async () => {
    const loaded = await loadSitePki(pki.paths.dir)
    expect(loaded.ca).toBe(readFileSync(pki.paths.caCert, 'utf8'))
    expect(loaded.server.key).toContain('PRIVATE KEY')
    expect(loaded.tokens.map((t) => t.role)).toEqual(['admin', 'viewer', 'auditor'])
  })

  it('refuses to replace existing credentials unless forced', async () => {
    const before = readFileSync(pki.paths.caKey, 'utf8')
    const e = await rejection(createSitePki(pki.paths.dir, 'eu-west', []))
    expect(isFlotillaError(e, 'key-exists')).toBe(true)
    expect(readFileSync(pki.paths.caKey, 'utf8')).toBe(before)
    const other = join(dir, 'forced')
    await createSitePki(other, 'eu-west', [])
    const first = readFileSync(join(other, 'ca.key'), 'utf8')
    await createSitePki(other, 'eu-west', [], { force: true })
    expect(readFileSync(join(other, 'ca.key'), 'utf8')).not.toBe(first)
  })

  it('refuses to load a private key that other users can read', async () => {
    const other = join(dir, 'loose')
    await createSitePki(other, 'eu-west', [])
    chmodSync(join(other, 'server.key'), 0o644)
    const e = await rejection(loadSitePki(other))
    expect(isFlotillaError(e, 'key-permissions')).toBe(true)
    expect((e as Error).message).toContain('server.key is readable by other users (mode 644)')
  })

  it('refuses host names that are neither DNS names nor addresses', () => {
    expect(serverHosts(['0.0.0.0', '[::1]', 'Api.Example.com'])).toEqual(['127.0.0.1', 'localhost', '::1', 'Api.Example.com'])
    expect(() => serverHosts(['bad host'])).toThrow(/'hosts' must hold DNS names or IP addresses: received "bad host"/)
  })
})
