/**
 * The regional-ops commands through the real entry point, `bin/flotilla.js`, in a child
 * process against a site API over HTTPS: the kubeconfig found by `--site` under
 * `$FLOTILLA_HOME` or by `$FLOTILLA_KUBECONFIG`, a manifest piped on standard input, and
 * a failure leaving with its exit status and `error[code]`, without a stack trace.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { deployment } from '../api/support/manifests.ts'
import { startCliSite, type CliSite } from './support/cli-site.ts'

const BIN = join(import.meta.dirname, '../../bin/flotilla.js')

interface Exit { code: number | null, stdout: string, stderr: string }

function flotilla (args: readonly string[], env: Record<string, string>, stdin?: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`flotilla ${args.join(' ')} did not exit`)) }, 20_000)
    child.on('error', reject)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(stdin ?? '')
  })
}

describe('bin/flotilla.js against a running site', () => {
  let s: CliSite

  beforeAll(async () => { s = await startCliSite() })
  afterAll(async () => { await s.close() })

  it('applies a manifest from standard input and lists it, finding the site by --site and $FLOTILLA_HOME', async () => {
    const env = { FLOTILLA_HOME: s.home }
    const applied = await flotilla(['apply', '--site', 'eu-west', '-f', '-'], env, `${stringify(deployment('piped'))}---\n${stringify(deployment('second', { namespace: 'team' }))}`)
    expect(applied).toMatchObject({ code: 0, stderr: '' })
    expect(applied.stdout).toBe('deployment.apps/piped created\ndeployment.apps/second created\n')
    const listed = await flotilla(['get', 'workloads', '-o', 'json'], { FLOTILLA_KUBECONFIG: s.kubeconfig('viewer') })
    expect(listed.code).toBe(0)
    const list = JSON.parse(listed.stdout) as { items: Array<{ metadata: { namespace: string, name: string }, status: { flotilla: { origin: string } } }> }
    expect(list.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}@${i.status.flotilla.origin}`)).toEqual(['default/piped@eu-west', 'team/second@eu-west'])
  })

  it('prints the status of the site', async () => {
    const r = await flotilla(['status', '--site', 'eu-west', '--role', 'viewer'], { FLOTILLA_HOME: s.home })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^site: {7}eu-west \(region eu-west, zone eu-west-a\)\n/)
    expect(r.stdout).toMatch(/^signed in: {2}viewer@eu-west \(role viewer\)$/m)
  })

  it('exits with the documented status and error[code], never a stack trace', async () => {
    const notFound = await flotilla(['explain', 'deploy/nope', '--site', 'eu-west'], { FLOTILLA_HOME: s.home })
    expect(notFound.code).toBe(4)
    expect(notFound.stderr).toMatch(/^error\[not-found\]: workload "apps\/Deployment\/default\/nope" is not known at site "eu-west"\n {2}hint: /)
    expect(notFound.stderr).not.toMatch(/\n\s+at /)
    const forbidden = await flotilla(['compliance', '--site', 'eu-west', '--role', 'admin'], { FLOTILLA_HOME: s.home })
    expect(forbidden.code).toBe(6)
    expect(forbidden.stderr).toMatch(/^error\[forbidden\]: the compliance report is forbidden/)
    const noSite = await flotilla(['peers'], { FLOTILLA_KUBECONFIG: '' })
    expect(noSite.code).toBe(2)
    expect(noSite.stderr).toMatch(/^error\[input-invalid\]: no site to talk to/)
  })
})
