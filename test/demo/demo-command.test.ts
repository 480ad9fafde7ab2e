/**
 * The `demo` command's input and start-up checks, in-process through `createProgram`:
 * a bad `--base-port` is refused before anything starts, and a busy port is reported by
 * number and purpose with the flag that moves the demo, before any site is created.
 * The full run is test/demo/demo.test.ts.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../cli/support/cli-site.ts'
import { parseBasePort } from '../../src/demo/port-check.ts'
import { lastPort } from '../../src/demo/layout.ts'
import { startDemo } from '../../src/demo/run-demo.ts'
import { isFlotillaError } from '../../src/model/errors.ts'
import { freeBasePort } from './free-base-port.ts'

let root: string

beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'flotilla-demo-cmd-')) })
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

describe('flotilla demo', () => {
  it('refuses a base port that is not a number or leaves no room for its ports', async () => {
    for (const bad of ['80', 'abc', String(65535 - lastPort(0) + 1)]) {
      const r = await runCli(['demo', '--dir', join(root, 'bad'), '--base-port', bad])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(`error[input-invalid]: '--base-port' must be an integer from 1024 to ${65535 - lastPort(0)}: received "${bad}"`)
    }
    expect(parseBasePort('7400')).toBe(7400)
    expect(existsSync(join(root, 'bad'))).toBe(false)
  })

  it('names a busy port, what it is for and the flag to move the demo, and creates nothing', async () => {
    const base = await freeBasePort()
    const busy = base + 11 // ap-southeast's Kubernetes API
    const holder: Server = createServer()
    await new Promise<void>((resolve) => holder.listen(busy, '127.0.0.1', resolve))
    try {
      const dir = join(root, 'busy', '.flotilla')
      const r = await runCli(['demo', '--dir', dir, '--base-port', String(base)])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`error[port-in-use]: port ${busy} on 127.0.0.1 (ap-southeast Kubernetes API) is not available: EADDRINUSE`)
      expect(r.stderr).toContain(`--base-port, e.g. \`npm start -- --base-port ${base + 1000}\``)
      expect(existsSync(join(dir, 'eu-west', 'site.yaml'))).toBe(false)
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
  })

  it('stops before starting anything when Ctrl-C came while the sites were written to disk', async () => {
    const controller = new AbortController()
    const out: string[] = []
    const dir = join(root, 'early', '.flotilla')
    const demo = startDemo({
      dir, basePort: await freeBasePort(), signal: controller.signal,
      out: (text) => { out.push(text); if (text.includes('Starting the Flotilla demo')) controller.abort() }
    })
    const error = await demo.then(() => undefined, (e: unknown) => e)
    expect(isFlotillaError(error, 'timed-out')).toBe(true)
    expect((error as Error).message).toBe('the demo was stopped while it was starting')
    // The sites were written (it resumes from them) but no process or cluster was started.
    expect(existsSync(join(dir, 'eu-west', 'site.yaml'))).toBe(true)
    expect(out.join('')).not.toMatch(/sites up/)
  }, 60_000)
})
