/**
 * `npm start` benchmark.
 * - start_to_ready_s: from spawning `node bin/flotilla.js demo` (what `npm start` runs)
 *   into a fresh temporary directory on free ports, with a warm node_modules, until the
 *   sample application is Ready in all its placements at every site — judged from this
 *   process with `waitForSampleReady`, the same function the demo itself and its test
 *   wait with. Target 20 s. The figure includes creating the three sites (keys,
 *   certificates) since the directory is fresh. Baseline, same run: the same demo stopped
 *   with SIGINT and started again on the same directory (resume from disk).
 * - dashboard_load_ms_10k: the dashboard's first render with 10,000 workloads, as the
 *   dashboard suite measures it (its function, imported; see bench/suites/dashboard.ts).
 * Pass `--no-dashboard` to skip the browser part.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchMetric, BenchSuite } from '../contract.ts'
import { demoLayout } from '../../src/demo/layout.ts'
import { waitForSampleReady } from '../../src/demo/readiness.ts'
import { createDemoClients } from '../../src/demo/site-clients.ts'
import { freeBasePort } from '../../test/demo/free-base-port.ts'
import { dashboardMetrics } from './dashboard.ts'

const BIN = fileURLToPath(new URL('../../bin/flotilla.js', import.meta.url))

/**
 * CPU seconds used by this process's finished children and their descendants (Linux
 * `cutime + cstime`), to tell a slow start from a busy machine; undefined elsewhere.
 */
function childrenCpuSeconds (): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[13]) + Number(fields[14])) / 100
  } catch {
    return undefined
  }
}

interface DemoRun {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function spawnDemo (cwd: string, basePort: number): DemoRun {
  let output = ''
  const child = spawn(process.execPath, [BIN, 'demo', '--base-port', String(basePort)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (c: Buffer) => { output += c.toString('utf8') })
  child.stderr!.on('data', (c: Buffer) => { output += c.toString('utf8') })
  const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
  return { child, output: () => output, exited }
}

/** Seconds from spawning the demo until its sample is Ready everywhere, and the demo's own figure. */
async function startToReady (cwd: string, basePort: number): Promise<{ seconds: number, reported: string, run: DemoRun }> {
  const layout = demoLayout({ dir: join(cwd, '.flotilla'), basePort })
  const clients = createDemoClients(layout, { timeoutMs: 3_000 })
  const t0 = performance.now()
  const run = spawnDemo(cwd, basePort)
  try {
    const died = run.exited.then((code) => { throw new Error(`the demo exited (${String(code)}) before the sample was Ready:\n${run.output()}`) })
    await Promise.race([waitForSampleReady({ layout, clients, timeoutMs: 180_000, everyMs: 200 }), died])
    const seconds = (performance.now() - t0) / 1000
    // The demo's own waiter polls on its own beat; let it print its banner before Ctrl-C.
    const deadline = performance.now() + 30_000
    while (!run.output().includes('Flotilla demo is up') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    const reported = /Ready everywhere \(([\d.]+ s)\)/.exec(run.output())?.[1] ?? 'nothing (no banner within 30 s)'
    return { seconds, reported, run }
  } catch (e) {
    run.child.kill('SIGKILL')
    throw e
  } finally {
    clients.close()
  }
}

/** Ctrl-C, as a user would; throws if the demo does not report a clean stop. */
async function interrupt (run: DemoRun): Promise<void> {
  run.child.kill('SIGINT')
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000)
  const code = await run.exited
  clearTimeout(timer)
  if (code !== 0 || !/Stopped: .*stopped cleanly/.test(run.output())) throw new Error(`the demo did not stop cleanly (exit ${String(code)}):\n${run.output().slice(-2000)}`)
}

async function startMetrics (): Promise<BenchMetric> {
  const cwd = await mkdtemp(join(tmpdir(), 'flotilla-bench-start-'))
  try {
    const basePort = await freeBasePort()
    const cpu0 = childrenCpuSeconds()
    const fresh = await startToReady(cwd, basePort)
    await interrupt(fresh.run)
    const cpu1 = childrenCpuSeconds()
    const resumed = await startToReady(cwd, basePort)
    await interrupt(resumed.run)
    const cpu2 = childrenCpuSeconds()
    const cpu = cpu0 === undefined || cpu1 === undefined || cpu2 === undefined
      ? ''
      : `; CPU used by the whole demo (its process, 3 sites, until stopped): ${(cpu1 - cpu0).toFixed(1)} s fresh, ${(cpu2 - cpu1).toFixed(1)} s resumed, on ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} at the end`
    return {
      name: 'start_to_ready_s', value: fresh.seconds, unit: 's',
      baseline: { name: 'resume_to_ready_s', value: resumed.seconds },
      target: { op: '<=', value: 20 },
      note: `spawn of \`node bin/flotilla.js demo\` in a fresh directory until the sample is Ready in all placements at all 3 sites (waitForSampleReady from outside); ` +
        `the demo reported ${fresh.reported} itself; resumed on the same directory: ${resumed.seconds.toFixed(1)} s (demo: ${resumed.reported})${cpu}`
    }
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

const suite: BenchSuite = {
  name: 'start',
  description: '`npm start` to the sample application Ready everywhere; dashboard first render with 10,000 workloads',
  async run (args) {
    const metrics = [await startMetrics()]
    if (!args.includes('--no-dashboard')) {
      const load = (await dashboardMetrics(args)).find((m) => m.name === 'dashboard_load_ms_10k')
      if (load === undefined) throw new Error('the dashboard suite no longer reports dashboard_load_ms_10k')
      metrics.push(load)
    }
    return metrics
  }
}

export default suite
