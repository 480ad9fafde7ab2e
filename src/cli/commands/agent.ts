/**
 * `flotilla agent`: the pull-mode agent of one member cluster. `agent init` creates the
 * agent's own key (mode 0600, kind `agent`, id `<site>/<cluster>`) and prints the
 * public key with the `clusters[]` entry the site needs; `agent run` applies the
 * cluster's assignments pulled from its site to the local cluster (kubeconfig) and
 * reports status back until SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { FlotillaError } from '../../model/errors.ts'
import { toHex } from '../../identity/keys.ts'
import { createKeyFile, loadKeyFile } from '../../keystore/key-file.ts'
import type { CliStreams } from '../output.ts'
import { addOutputOption, type OutputFlags } from '../client/connection.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { untilSignal } from '../until-signal.ts'

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

export interface AgentInitOptions {
  keyPath: string
  site: string
  cluster: string
  force?: boolean
}

export interface AgentInitResult {
  keyPath: string
  publicKey: string
  /** The entry to add to the site config's `clusters`. */
  clusterEntry: string
}

function label (flag: string, value: string): string {
  if (!DNS_LABEL.test(value)) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be a DNS-1123 label: received ${JSON.stringify(value)}`, 'Use lower-case letters, digits and "-", e.g. edge-1.')
  }
  return value
}

function count (flag: string, value: string, min: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be an integer >= ${min}: received ${JSON.stringify(value)}`, `Pass a whole number, e.g. --${flag} ${Math.max(min, 1000)}.`)
  }
  return n
}

/** Creates the agent key and says what the site needs to know. */
export async function initAgent (options: AgentInitOptions): Promise<AgentInitResult> {
  const site = label('site', options.site)
  const cluster = label('cluster', options.cluster)
  const keyPath = resolve(options.keyPath)
  const key = await createKeyFile(keyPath, 'agent', `${site}/${cluster}`, options.force === true ? { force: true } : {})
  const publicKey = toHex(key.keys.publicKey)
  return {
    keyPath,
    publicKey,
    clusterEntry: `clusters:\n  - name: ${cluster}\n    mode: pull\n    agentKey: ${publicKey}\n`
  }
}

/** What `flotilla agent run` prints once it pulls (`-o json`: one line). */
export interface AgentStarted {
  kind: 'AgentStarted'
  cluster: string
  siteUrl: string
  kubeconfig: string
  context?: string
  publicKey: string
  pid: number
}

interface RunFlags extends OutputFlags {
  key: string
  siteUrl: string
  kubeconfig: string
  context?: string
  cluster?: string
  ca?: string
  pollWaitMs: string
  reportMs: string
  logLevel: string
}

export function registerAgentCommand (program: Command, streams: CliStreams): void {
  const agent = program.command('agent').description('pull-mode agent of a member cluster: pulls its assignments from the site, applies them, reports status')

  const init = agent.command('init')
    .description('create the agent key and print the clusters[] entry for the site config')
    .requiredOption('--key <file>', 'where to write the agent key (mode 0600)')
    .requiredOption('--site <id>', 'the site that owns the cluster')
    .requiredOption('--cluster <name>', 'the cluster name at that site')
    .option('--force', 'replace an existing key (the site must then get the new public key)')
  addOutputOption(init)
  init.action(async (flags: { key: string, site: string, cluster: string, force?: boolean } & OutputFlags) => {
    const format = parseOutputFormat(flags.output)
    const r = await initAgent({ keyPath: flags.key, site: flags.site, cluster: flags.cluster, force: flags.force === true })
    printAs(streams, format, r, () => `agent key written to ${r.keyPath}\n  public key: ${r.publicKey}\nadd to the site config of ${flags.site}:\n${r.clusterEntry}`)
  })

  const run = agent.command('run')
    .description('run the agent until SIGINT/SIGTERM')
    .requiredOption('--key <file>', 'the agent key (from `flotilla agent init`)')
    .requiredOption('--site-url <url>', 'the site\'s agent endpoint base URL, e.g. https://site:6443')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the local member cluster')
    .option('--context <name>', 'kubeconfig context (default: current)')
    .option('--cluster <name>', 'cluster name at the site (default: from the key id)')
    .option('--ca <file>', 'CA certificate (PEM) of the site, for https')
    .option('--poll-wait-ms <ms>', 'how long the site may hold a poll', '20000')
    .option('--report-ms <ms>', 'heartbeat report period', '5000')
    .option('--log-level <level>', 'log level', 'info')
  addOutputOption(run)
    .action(async (flags: RunFlags) => {
      const format = parseOutputFormat(flags.output)
      const keyFile = await loadKeyFile(resolve(flags.key))
      if (keyFile.kind !== 'agent') {
        throw new FlotillaError('key-invalid', `${flags.key} is a ${keyFile.kind} key, not an agent key`, 'Create one with `flotilla agent init`; never give an agent the site\'s key.')
      }
      const cluster = label('cluster', flags.cluster ?? keyFile.id.split('/').pop() ?? '')
      const pollWaitMs = count('poll-wait-ms', flags.pollWaitMs, 0)
      const reportMs = count('report-ms', flags.reportMs, 100)
      // Loaded on use, so other commands do not pay for client-node at startup.
      const [{ createAgent }, { createPushDriver }, { createSystemClock }, { createPinoLogger }] = await Promise.all([
        import('../../kube/agent.ts'), import('../../kube/push-driver.ts'), import('../../platform/system-clock.ts'), import('../../log/pino-logger.ts')
      ])
      const clock = createSystemClock()
      const logger = createPinoLogger({ level: flags.logLevel as 'info', name: 'flotilla-agent' })
      const driver = createPushDriver({ name: cluster, kubeconfig: resolve(flags.kubeconfig), ...(flags.context === undefined ? {} : { context: flags.context }), clock, logger })
      const ca = flags.ca === undefined ? undefined : await readFile(resolve(flags.ca))
      const running = createAgent({ cluster, siteUrl: flags.siteUrl, keys: keyFile.keys, driver, clock, logger, pollWaitMs, reportMs, ...(ca === undefined ? {} : { ca }) })
      await running.start()
      // Listening before the start-up line is printed, so a signal right after it is never missed.
      const signalled = untilSignal()
      const started: AgentStarted = {
        kind: 'AgentStarted', cluster, siteUrl: flags.siteUrl, kubeconfig: resolve(flags.kubeconfig), publicKey: toHex(keyFile.keys.publicKey), pid: process.pid
      }
      if (flags.context !== undefined) started.context = flags.context
      printAs(streams, format, started, () => `agent of cluster ${cluster} pulling from ${flags.siteUrl}\n  key: ${started.publicKey}\n`, { jsonLine: true })
      const signal = await signalled
      await running.stop()
      // With -o json, stdout stays the one document above; notes go to stderr.
      const note = format === 'table' ? streams.out : streams.err
      note(`agent stopped (${signal})\n`)
    })
}
