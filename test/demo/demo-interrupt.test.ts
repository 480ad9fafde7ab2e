/**
 * Ctrl-C during `npm start`, through the real entry point: `flotilla demo` runs in its own
 * process group in a temporary directory on free ports, and as soon as its site processes
 * are up (the "sites up" progress line, a few seconds in, long before the sample is
 * Ready) the whole group gets SIGINT, as a terminal sends it. The demo says it stopped,
 * exits 0 within a bound, and leaves no process behind: neither the site processes it
 * named nor any other process started from its directory. The full run and a stop once
 * everything is Ready are test/demo/demo.test.ts and the start benchmark.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFlotilla, type RunningBin } from '../cli/support/bin.ts'
import { freeBasePort } from './free-base-port.ts'

// On the shared 2-core machine the sites are up in about 5 s; stopping them takes 1-3 s.
const UP_MS = 20_000
const STOP_MS = 8_000

let root: string
let demo: RunningBin | undefined

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

/** Pids of processes whose command line mentions `text` (Linux /proc). */
function processesMentioning (text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(join('/proc', entry, 'cmdline'), 'utf8').includes(text)) pids.push(Number(entry))
    } catch {
      // Gone meanwhile.
    }
  }
  return pids
}

beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'flotilla-demo-int-')) })

afterAll(async () => {
  demo?.kill()
  await rm(root, { recursive: true, force: true })
})

describe('Ctrl-C during npm start (flotilla demo)', () => {
  it.skipIf(!existsSync('/proc/self/cmdline'))('stops the site processes it started, says so and exits 0, leaving no process behind', async () => {
    const dir = join(root, '.flotilla')
    demo = startFlotilla(['demo', '--dir', dir, '--base-port', String(await freeBasePort())], { cwd: root, detached: true })
    const up = await demo.waitFor(/✓ sites up +(.*) \(\d+\.\d s\)\n/, UP_MS)
    const pids = [...up[1]!.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]))
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(alive(pid)).toBe(true)

    const t0 = Date.now()
    demo.signalGroup('SIGINT')
    const exit = await demo.exit(STOP_MS)
    expect(Date.now() - t0).toBeLessThan(STOP_MS)
    expect(exit.code).toBe(0)
    expect(exit.stderr).toContain('SIGINT: stopping the demo (press Ctrl-C again to kill at once)...')
    expect(exit.stdout).toMatch(/Stopped while starting; the next `npm start` resumes from disk\.\n$/)
    expect(exit.stderr).not.toMatch(/error\[/)
    for (const pid of pids) expect(alive(pid)).toBe(false)
    expect(processesMentioning(dir)).toEqual([])
    // Each site stopped itself cleanly (it logs so), rather than being killed.
    for (const site of ['eu-west', 'ap-southeast', 'us-east']) {
      expect(readFileSync(join(dir, site, 'site.log'), 'utf8')).toMatch(/"msg":"stopped cleanly"/)
    }
  }, UP_MS + STOP_MS + 10_000)
})
