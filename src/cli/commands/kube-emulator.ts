/**
 * `flotilla kube-emulator`: runs an emulated Kubernetes cluster (sim/kube) behind a
 * Kubernetes-compatible API until SIGINT/SIGTERM, writes a kubeconfig for kubectl and
 * client-node, and prints where everything is. Fault knobs are flipped from other
 * processes through the admin URL it prints.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { FlotillaError, isFlotillaError } from '../../model/errors.ts'
import type { CliStreams } from '../output.ts'
import { addOutputOption, type OutputFlags } from '../client/connection.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { untilSignal } from '../until-signal.ts'

/** What `flotilla kube-emulator` prints once it listens (`-o json`: one line). */
export interface KubeEmulatorStarted {
  kind: 'KubeEmulatorStarted'
  name: string
  url: string
  kubeconfig: string
  /** Base URL of the admin listener (fault knobs under /_emulator/), when enabled. */
  adminUrl?: string
  nodes: number
  gpuNodes: number
  readyDelayMs: number
  pid: number
}

interface KubeEmulatorFlags extends OutputFlags {
  port: string
  host: string
  adminPort: string
  name: string
  nodes: string
  gpuNodes: string
  gpusPerNode: string
  nodeCpu: string
  nodeMemory: string
  nodePods: string
  readyDelayMs: string
  evictionDelayMs: string
  watchHistory: string
  bookmarkIntervalMs: string
  kubeconfig?: string
  token?: string
  tls?: boolean
  tlsCert?: string
  tlsKey?: string
}

function count (flag: string, value: string, min: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new FlotillaError('input-invalid', `'--${flag}' must be an integer >= ${min}: received ${JSON.stringify(value)}`,
      `Pass a whole number, e.g. --${flag} ${Math.max(min, 1)}.`)
  }
  return n
}

export function registerKubeEmulatorCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('kube-emulator')
    .description('run an emulated Kubernetes cluster (API, nodes, controllers) for demos and tests')
    .option('--port <port>', 'API port (0 picks a free one)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--admin-port <port>', 'admin port for /_emulator/* fault knobs (0 picks a free one)', '0')
    .option('--name <name>', 'cluster name (kubeconfig context, uid seed)', 'emulated')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--gpu-nodes <n>', 'how many of the nodes carry GPUs', '0')
    .option('--gpus-per-node <n>', 'GPUs (nvidia.com/gpu) per GPU node; vGPU cores 100 and memory 16384 MiB per GPU', '4')
    .option('--node-cpu <quantity>', 'CPU per node', '8')
    .option('--node-memory <quantity>', 'memory per node', '32Gi')
    .option('--node-pods <n>', 'pod slots per node', '110')
    .option('--ready-delay-ms <ms>', 'delay from a pod binding to Running/Ready', '0')
    .option('--eviction-delay-ms <ms>', 'how long a node stays NotReady before its pods are evicted', '300000')
    .option('--watch-history <n>', 'changes kept for watch resumption (older versions get 410 Expired)', '20000')
    .option('--bookmark-interval-ms <ms>', 'interval of watch bookmarks', '60000')
    .option('--kubeconfig <file>', 'where to write the kubeconfig (default .flotilla/kube-emulator/<name>/kubeconfig)')
    .option('--token <token>', 'require this bearer token (written into the kubeconfig)')
    .option('--tls', 'serve HTTPS with a self-signed certificate (needs openssl)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key')
    .option('--tls-key <file>', 'private key (PEM) for --tls-cert')
  addOutputOption(cmd)
    .action(async (flags: KubeEmulatorFlags) => {
      const format = parseOutputFormat(flags.output)
      const nodeCount = count('nodes', flags.nodes, 0)
      const gpuNodes = count('gpu-nodes', flags.gpuNodes, 0)
      const readyDelayMs = count('ready-delay-ms', flags.readyDelayMs, 0)
      if (gpuNodes > nodeCount) {
        throw new FlotillaError('input-invalid', `'--gpu-nodes' (${gpuNodes}) cannot exceed '--nodes' (${nodeCount})`, 'GPU nodes are a subset of the nodes; raise --nodes or lower --gpu-nodes.')
      }
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
        throw new FlotillaError('input-invalid', '--tls-cert and --tls-key go together', 'Pass both files, or --tls for a self-signed certificate.')
      }
      // Loaded on use, so other commands do not pay for the emulator at startup.
      const { readFile } = await import('node:fs/promises')
      const { uniformNodes, startKubeEmulator } = await import('../../../sim/kube/index.ts')
      const tls = flags.tlsCert !== undefined && flags.tlsKey !== undefined
        ? { cert: await readFile(flags.tlsCert), key: await readFile(flags.tlsKey) }
        : flags.tls === true ? 'self-signed' as const : undefined
      const kubeconfigPath = resolve(flags.kubeconfig ?? `.flotilla/kube-emulator/${flags.name}/kubeconfig`)
      const nodes = uniformNodes({
        count: nodeCount,
        gpuNodes,
        gpusPerNode: count('gpus-per-node', flags.gpusPerNode, 1),
        cpu: flags.nodeCpu,
        memory: flags.nodeMemory,
        pods: count('node-pods', flags.nodePods, 1)
      })
      let emulator
      try {
        emulator = await startKubeEmulator({
          name: flags.name,
          host: flags.host,
          port: count('port', flags.port, 0),
          adminPort: count('admin-port', flags.adminPort, 0),
          nodes,
          readyDelayMs,
          evictionDelayMs: count('eviction-delay-ms', flags.evictionDelayMs, 0),
          watchHistorySize: count('watch-history', flags.watchHistory, 1),
          bookmarkIntervalMs: count('bookmark-interval-ms', flags.bookmarkIntervalMs, 1),
          kubeconfigPath,
          ...(flags.token === undefined ? {} : { token: flags.token }),
          ...(tls === undefined ? {} : { tls })
        })
      } catch (e) {
        if (isFlotillaError(e, 'port-in-use')) {
          const flag = e.details?.['listener'] === 'admin' ? '--admin-port' : '--port'
          throw new FlotillaError('port-in-use', e.message, `Another program holds the port: stop it, or pick another ${flag} (0 picks a free one).`, { cause: e, ...(e.details === undefined ? {} : { details: e.details }) })
        }
        if (e instanceof FlotillaError) throw e
        const err = e as NodeJS.ErrnoException
        if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
          throw new FlotillaError('input-invalid', `cannot listen on ${flags.host}:${flags.port} (${err.code})`, 'Pick another --port/--admin-port (0 picks a free one) or --host.', { cause: e })
        }
        throw e
      }
      // Listening before the start-up line is printed, so a signal right after it is never missed.
      const signalled = untilSignal()
      const started: KubeEmulatorStarted = {
        kind: 'KubeEmulatorStarted', name: flags.name, url: emulator.url, kubeconfig: kubeconfigPath,
        nodes: nodeCount, gpuNodes, readyDelayMs, pid: process.pid
      }
      if (emulator.adminUrl !== undefined) started.adminUrl = emulator.adminUrl
      printAs(streams, format, started, () => `kube emulator "${flags.name}" listening on ${emulator.url}\n` +
        `  kubeconfig: ${kubeconfigPath}\n` +
        `  admin:      ${emulator.adminUrl ?? '(disabled)'}/_emulator/faults\n` +
        `  nodes:      ${nodeCount} (${gpuNodes} with GPUs), ready delay ${readyDelayMs} ms\n` +
        `  try:        kubectl --kubeconfig ${kubeconfigPath} get nodes\n`, { jsonLine: true })
      const signal = await signalled
      await emulator.close()
      // With -o json, stdout stays the one document above; notes go to stderr.
      const note = format === 'table' ? streams.out : streams.err
      note(`kube emulator stopped (${signal})\n`)
    })
}
