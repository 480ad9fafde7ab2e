/**
 * `flotilla init`: creates a site — its key (mode 0600), and a site config listing the
 * site itself in the roster — and prints the roster entry and bootstrap address the
 * other sites need. Refuses to replace an existing identity without --force.
 */
import { mkdir, writeFile, access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { stringify } from 'yaml'
import { FlotillaError } from '../../model/errors.ts'
import { siteConfigSchema, type SiteConfigInput } from '../../config/schema.ts'
import { toHex } from '../../identity/keys.ts'
import { peerIdFromPublicKey } from '../../identity/peer-id.ts'
import { createKeyFile } from '../../keystore/key-file.ts'
import { issuesOf } from '../../config/load.ts'
import { createSitePki } from '../../pki/index.ts'
import type { CliStreams } from '../output.ts'
import { addOutputOption, type OutputFlags } from '../client/connection.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { parsePort } from '../format/flags.ts'

export interface InitOptions {
  siteId: string
  region: string
  zone?: string
  dir?: string
  host?: string
  p2pPort?: number
  apiPort?: number
  dashboardPort?: number
  force?: boolean
}

export interface InitResult {
  configPath: string
  keyPath: string
  publicKey: string
  peerId: string
  p2pAddress: string
  rosterEntry: { siteId: string, publicKey: string, region: string }
  /** Kubeconfig per role, when the site serves the API. */
  kubeconfigs?: Record<'admin' | 'viewer' | 'auditor', string>
}

const ED25519_BASE_POINT_HEX = '58' + '66'.repeat(31)

/** The init work itself, shared by the CLI and `npm start`. */
export async function initSite (options: InitOptions): Promise<InitResult> {
  const dir = resolve(options.dir ?? join('.flotilla', options.siteId))
  const host = options.host ?? '127.0.0.1'
  const p2pPort = options.p2pPort ?? 7001
  const configPath = join(dir, 'site.yaml')
  const keyPath = join(dir, 'site.key')
  if (options.force !== true) {
    const exists = await access(configPath).then(() => true, () => false)
    if (exists) {
      throw new FlotillaError('already-exists', `a site config already exists at ${configPath}`,
        'Run the existing site with `flotilla site -c ' + configPath + '`, or pass --force to start over (a new identity).')
    }
  }
  const probe = siteConfigSchema.safeParse({
    site: { id: options.siteId, region: options.region, zone: options.zone ?? `${options.region}-a` },
    dataDir: '.', p2p: { listen: [`/ip4/${host}/tcp/${p2pPort}`] },
    // The probe checks the names before a key exists; the base point stands in for it.
    roster: [{ siteId: options.siteId, publicKey: ED25519_BASE_POINT_HEX, region: options.region }]
  } satisfies SiteConfigInput)
  if (!probe.success) {
    throw new FlotillaError('input-invalid', `cannot create site "${options.siteId}":\n${issuesOf(probe.error).map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
      'Site ids and regions are DNS labels such as "eu-west" (lower case, digits, "-").')
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await createKeyFile(keyPath, 'site', options.siteId, { force: options.force === true })
  const publicKey = toHex(key.keys.publicKey)
  const rosterEntry = { siteId: options.siteId, publicKey, region: options.region }
  const config: SiteConfigInput = {
    site: { id: options.siteId, region: options.region, zone: options.zone ?? `${options.region}-a` },
    dataDir: '.',
    keyFile: 'site.key',
    p2p: { listen: [`/ip4/${host}/tcp/${p2pPort}`], bootstrap: [] },
    roster: [rosterEntry],
    clusters: []
  }
  if (options.apiPort !== undefined) config.api = { listen: `${host}:${options.apiPort}` }
  if (options.dashboardPort !== undefined) config.dashboard = { listen: `${host}:${options.dashboardPort}` }
  await writeFile(configPath, '# Flotilla site config; see docs/operations.md\n' + stringify(config), { mode: 0o600 })
  let kubeconfigs: InitResult['kubeconfigs']
  if (options.apiPort !== undefined) {
    // The API's CA, server certificate and one kubeconfig per role (admin, viewer, auditor).
    const pki = await createSitePki(join(dir, 'pki'), options.siteId, [host], { server: `https://${host}:${options.apiPort}`, force: options.force === true })
    kubeconfigs = pki.paths.kubeconfig
  }
  const peerId = peerIdFromPublicKey(key.keys.publicKey)
  const result: InitResult = { configPath, keyPath, publicKey, peerId, p2pAddress: `/ip4/${host}/tcp/${p2pPort}/p2p/${peerId}`, rosterEntry }
  if (kubeconfigs !== undefined) result.kubeconfigs = kubeconfigs
  return result
}

export function registerInitCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('init')
    .description('create a site: its ed25519 key (mode 0600) and a site config')
    .requiredOption('--site-id <id>', 'site id, a DNS label such as eu-west')
    .requiredOption('--region <region>', 'region of the site, e.g. eu-west')
    .option('--zone <zone>', 'zone of the site (default <region>-a)')
    .option('--dir <dir>', 'directory for the config, key and data (default .flotilla/<site-id>)')
    .option('--host <ip>', 'address to listen on', '127.0.0.1')
    .option('--p2p-port <port>', 'libp2p TCP port', (v) => parsePort('p2p-port', v), 7001)
    .option('--api-port <port>', 'Kubernetes API port (and the site\'s kubeconfigs)', (v) => parsePort('api-port', v))
    .option('--dashboard-port <port>', 'dashboard port', (v) => parsePort('dashboard-port', v))
    .option('--force', 'replace an existing identity (peers will refuse the old one)')
  addOutputOption(cmd)
  cmd.action(async (opts: InitOptions & OutputFlags) => {
    const format = parseOutputFormat(opts.output)
    const r = await initSite(opts)
    printAs(streams, format, r, () => [
      `created site ${opts.siteId}`,
      `  config:     ${r.configPath}`,
      `  key:        ${r.keyPath} (mode 0600; keep it secret)`,
      `  peer id:    ${r.peerId}`,
      ...(r.kubeconfigs === undefined ? [] : [`  kubeconfig: ${r.kubeconfigs.admin} (admin; viewer and auditor beside it)`]),
      '',
      'Give the other sites this roster entry and bootstrap address:',
      `  roster:     - { siteId: ${r.rosterEntry.siteId}, publicKey: ${r.rosterEntry.publicKey}, region: ${r.rosterEntry.region} }`,
      `  bootstrap:  ${r.p2pAddress}`,
      '',
      `Then run it: flotilla site -c ${r.configPath}`
    ].join('\n') + '\n')
  })
}
