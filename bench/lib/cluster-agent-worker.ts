/**
 * The pull-mode agent for the cluster benchmarks, run in a worker thread: in production
 * the agent is its own process next to its cluster, so it must not wait behind the site's
 * controller ticks on the site's event loop. `startAgentWorker` starts it (with its own
 * push driver against the emulator's kubeconfig) and returns a stop function; this same
 * module is the worker's entry point.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { createAgent } from '../../src/kube/agent.ts'
import { createPushDriver } from '../../src/kube/push-driver.ts'
import { keyPairFromSeed } from '../../src/identity/keys.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { silentLogger } from '../../src/ports/logger.ts'

const ROLE = 'flotilla-bench-agent'

export interface AgentWorkerOptions {
  cluster: string
  siteUrl: string
  /** The agent key's 32-byte seed (the site's endpoint knows its public key). */
  seed: Uint8Array
  /** The local cluster's kubeconfig YAML. */
  kubeconfig: string
}

interface WorkerInput extends AgentWorkerOptions { role: typeof ROLE }

type WorkerMessage = { type: 'started' } | { type: 'stopped' } | { type: 'failed', message: string }

/** Starts the agent in a worker thread; resolves once it has started. */
export async function startAgentWorker (options: AgentWorkerOptions): Promise<{ stop: () => Promise<void> }> {
  const input: WorkerInput = { role: ROLE, ...options }
  const worker = new Worker(new URL(import.meta.url), { workerData: input })
  const next = (): Promise<WorkerMessage> => new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage): void => { cleanup(); resolve(m) }
    const onError = (e: Error): void => { cleanup(); reject(e) }
    const onExit = (code: number): void => { cleanup(); reject(new Error(`the agent worker exited with code ${code}`)) }
    const cleanup = (): void => { worker.off('message', onMessage); worker.off('error', onError); worker.off('exit', onExit) }
    worker.on('message', onMessage); worker.on('error', onError); worker.on('exit', onExit)
  })
  const first = await next().catch(async (e: unknown) => { await worker.terminate(); throw e })
  if (first.type !== 'started') {
    await worker.terminate()
    throw new Error(`the agent worker did not start: ${first.type === 'failed' ? first.message : first.type}`)
  }
  return {
    async stop () {
      const done = next().catch(() => undefined)
      worker.postMessage('stop')
      const timer = setTimeout(() => { void worker.terminate() }, 10_000)
      await done
      clearTimeout(timer)
      await worker.terminate()
    }
  }
}

async function runInWorker (input: WorkerInput): Promise<void> {
  const port = parentPort!
  const clock = createSystemClock()
  const driver = createPushDriver({ name: input.cluster, kubeconfig: { yaml: input.kubeconfig }, clock, logger: silentLogger })
  const agent = createAgent({ cluster: input.cluster, siteUrl: input.siteUrl, keys: keyPairFromSeed(input.seed), driver, clock, logger: silentLogger })
  port.on('message', (m: unknown) => {
    if (m !== 'stop') return
    void agent.stop().then(() => { port.postMessage({ type: 'stopped' } satisfies WorkerMessage) }, (e: unknown) => {
      port.postMessage({ type: 'failed', message: (e as Error).message } satisfies WorkerMessage)
    })
  })
  try {
    await agent.start()
    port.postMessage({ type: 'started' } satisfies WorkerMessage)
  } catch (e) {
    port.postMessage({ type: 'failed', message: (e as Error).message } satisfies WorkerMessage)
  }
}

if (!isMainThread && (workerData as Partial<WorkerInput> | undefined)?.role === ROLE) {
  void runInWorker(workerData as WorkerInput)
}
