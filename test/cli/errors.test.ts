import { execFile } from 'node:child_process'
import { writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { errorExitCode } from '../../src/model/errors.ts'

const run = promisify(execFile)
const bin = join(import.meta.dirname, '../../bin/flotilla.js')

async function flotilla (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args])
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code: number, stdout: string, stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

describe('flotilla CLI errors', () => {
  it('prints --help and --version and exits 0', async () => {
    const help = await flotilla('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: flotilla/)
    const version = await flotilla('--version')
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it('prints code and hint for an expected failure, never a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-cli-'))
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'site: {id: Bad, region: eu-west, zone: a}\ndataDir: d\np2p: {listen: ["/ip4/127.0.0.1/tcp/1"]}\nroster: []\n')
    const r = await flotilla('config-check', '--config', file)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[config-invalid\]: /)
    expect(r.stderr).toMatch(/site\.id: expected a DNS-1123 label/)
    expect(r.stderr).toMatch(/hint: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('names a missing config file with its own code', async () => {
    const r = await flotilla('config-check', '--config', '/nonexistent/site.yaml')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[config-not-found\]: cannot read config file \/nonexistent\/site\.yaml/)
  })

  it('stops on a Node older than 22.18 with error[node-too-old], a hint, and that code\'s exit status (3), before loading anything', async () => {
    // The guard reads process.versions.node; a preload makes this Node report 22.17.1.
    const older = 'data:text/javascript,' + encodeURIComponent('Object.defineProperty(process, "versions", { value: { ...process.versions, node: "22.17.1" } })')
    const r = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', older, bin, 'status'], { timeout: 20_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? null, stdout, stderr })
      })
    })
    expect(r.code).toBe(3)
    expect(errorExitCode('node-too-old')).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^error\[node-too-old\]: Node 22\.17\.1 is too old; Flotilla needs Node >= 22\.18 .*\n {2}hint: run it through npm/)
  })

  it('refuses an unknown command with usage guidance', async () => {
    const r = await flotilla('frobnicate')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/error\[input-invalid\]: unknown command 'frobnicate'/)
  })
})
