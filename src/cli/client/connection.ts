/**
 * The connection flags every command that talks to a running site shares, and how they
 * pick the kubeconfig: `--kubeconfig <file>` first, else `--site <id>` (that site's
 * kubeconfig under `$FLOTILLA_HOME`, default `./.flotilla`, as `flotilla init` and
 * `npm start` lay it out: `<id>/pki/kubeconfigs/<role>.yaml`), else
 * `$FLOTILLA_KUBECONFIG`. `withSiteClient` opens the client and always closes it.
 */
import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { FlotillaError } from '../../model/errors.ts'
import { isRole, type Role } from '../../pki/roles.ts'
import { parseDuration } from '../format/durations.ts'
import { loadSiteConnection } from './kubeconfig.ts'
import { createSiteClient, type SiteClient } from './site-client.ts'

export interface ConnectionFlags {
  kubeconfig?: string
  site?: string
  role?: string
  context?: string
  timeout: string
}

export interface OutputFlags {
  output: string
}

/** Adds --kubeconfig, --site, --role, --context and --timeout. */
export function addConnectionOptions (cmd: Command, defaultRole: Role = 'admin'): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig of the site to talk to (default: $FLOTILLA_KUBECONFIG, or the one --site picks)')
    .option('--site <id>', `use the kubeconfig of site <id> under ./.flotilla (or $FLOTILLA_HOME): <id>/pki/kubeconfigs/<role>.yaml`)
    .option('--role <role>', `which kubeconfig --site picks: admin, viewer or auditor (default ${defaultRole})`)
    .option('--context <name>', 'kubeconfig context to use (default: its current context)')
    .option('--timeout <duration>', 'deadline of each request to the site, e.g. 30s', '10s')
}

/** Adds -o/--output (table, json, yaml). */
export function addOutputOption (cmd: Command): Command {
  return cmd.option('-o, --output <format>', 'table, json or yaml', 'table')
}

/** Where `$FLOTILLA_HOME` (default `./.flotilla`) points. */
export function flotillaHome (env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['FLOTILLA_HOME'] ?? '.flotilla')
}

/** The kubeconfig file the flags select. */
export async function kubeconfigPath (flags: ConnectionFlags, defaultRole: Role, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (flags.role !== undefined && !isRole(flags.role)) {
    throw new FlotillaError('input-invalid', `'--role' must be admin, viewer or auditor: received ${JSON.stringify(flags.role)}`, 'Each site writes one kubeconfig per role under <dataDir>/pki/kubeconfigs/.')
  }
  if (flags.kubeconfig !== undefined) return resolve(flags.kubeconfig)
  if (flags.site !== undefined) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(flags.site)) {
      throw new FlotillaError('input-invalid', `'--site' must be a site id such as eu-west: received ${JSON.stringify(flags.site)}`, 'Site ids are DNS labels (lower case, digits, "-").')
    }
    const role = (flags.role ?? defaultRole) as Role
    const home = flotillaHome(env)
    const path = join(home, flags.site, 'pki', 'kubeconfigs', `${role}.yaml`)
    if (!await access(path).then(() => true, () => false)) {
      throw new FlotillaError('config-not-found', `no ${role} kubeconfig for site "${flags.site}" at ${path}`,
        `Run this from the directory where the site was created (flotilla init / npm start), set FLOTILLA_HOME to its .flotilla folder, or pass --kubeconfig <file>.`, { details: { path } })
    }
    return path
  }
  const fromEnv = env['FLOTILLA_KUBECONFIG']
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  throw new FlotillaError('input-invalid', 'no site to talk to: pass --kubeconfig <file> or --site <id>, or set FLOTILLA_KUBECONFIG',
    'E.g. `flotilla status --site eu-west` after `npm start`, or --kubeconfig .flotilla/eu-west/pki/kubeconfigs/admin.yaml.')
}

/** Opens a client for the flags, runs `fn`, and closes the client whatever happens. */
export async function withSiteClient<T> (flags: ConnectionFlags, defaultRole: Role, fn: (client: SiteClient) => Promise<T>): Promise<T> {
  const timeoutMs = parseDuration('timeout', flags.timeout)
  if (timeoutMs <= 0) throw new FlotillaError('input-invalid', `'--timeout' must be positive: received ${JSON.stringify(flags.timeout)}`, 'E.g. --timeout 30s.')
  const path = await kubeconfigPath(flags, defaultRole)
  const conn = await loadSiteConnection(path, flags.context)
  const client = createSiteClient(conn, { timeoutMs, userAgent: 'flotilla-cli' })
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}
