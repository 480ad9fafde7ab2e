/**
 * The long-running commands besides `site` — `kube-emulator` and `agent run` — through
 * the real entry point: by default they print their start-up facts for people; with
 * `-o json` the same facts as one JSON line, the only thing on stdout, so a script can
 * read where to connect and go on; both stop cleanly on SIGTERM. Bad input: an unknown
 * output format, and a port another program holds (`port-in-use`, naming the flag).
 * `agent init` prints its result as JSON too.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { AgentStarted } from '../../src/cli/commands/agent.ts'
import type { KubeEmulatorStarted } from '../../src/cli/commands/kube-emulator.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { startKubeEmulator, type KubeEmulator } from '../../sim/kube/index.ts'
import { startSite, type Site } from '../kube/pull-support.ts'
import { runCli } from './support/cli-site.ts'
import { runFlotilla, startFlotilla, type RunningBin } from './support/bin.ts'

const NO_STACK = /\n\s+at /
const UP_MS = 20_000
const STOP_MS = 10_000

const dir = mkdtempSync(join(tmpdir(), 'flotilla-start-facts-'))
const running: RunningBin[] = []

function start (args: readonly string[]): RunningBin {
  const r = startFlotilla(args)
  running.push(r)
  return r
}

afterEach(() => {
  for (const r of running.splice(0)) r.kill()
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('flotilla kube-emulator', () => {
  it('prints where it listens for people by default, and stops on SIGTERM', async () => {
    const kubeconfig = join(dir, 'table', 'kubeconfig')
    const e = start(['kube-emulator', '--name', 'edge-table', '--nodes', '1', '--kubeconfig', kubeconfig])
    await e.waitFor(/ {2}try: .*\n/, UP_MS)
    expect(e.stdout()).toMatch(/^kube emulator "edge-table" listening on http:\/\/127\.0\.0\.1:\d+\n {2}kubeconfig: /)
    expect(e.stdout()).toContain(`  try:        kubectl --kubeconfig ${kubeconfig} get nodes\n`)
    e.child.kill('SIGTERM')
    const exit = await e.exit(STOP_MS)
    expect(exit.code).toBe(0)
    expect(exit.stdout).toMatch(/\nkube emulator stopped \(SIGTERM\)\n$/)
  }, UP_MS + STOP_MS + 5_000)

  it('-o json prints the URL, kubeconfig path and cluster name as one JSON line, and nothing else on stdout', async () => {
    const kubeconfig = join(dir, 'json', 'kubeconfig')
    const e = start(['kube-emulator', '-o', 'json', '--name', 'edge-json', '--nodes', '2', '--gpu-nodes', '1', '--ready-delay-ms', '50', '--kubeconfig', kubeconfig])
    await e.waitFor(/^\{.*\}\n/, UP_MS)
    const facts = JSON.parse(e.stdout()) as KubeEmulatorStarted
    expect(facts).toMatchObject({ kind: 'KubeEmulatorStarted', name: 'edge-json', kubeconfig, nodes: 2, gpuNodes: 1, readyDelayMs: 50, pid: e.child.pid })
    expect(facts.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(facts.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    // The facts are true: the kubeconfig points at the URL, which serves the two nodes.
    const written = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string } }>, users: Array<{ user: { token: string } }> }
    expect(written.clusters[0]!.cluster.server).toBe(facts.url)
    const nodes = await fetch(`${facts.url}/api/v1/nodes`, { headers: { Authorization: `Bearer ${written.users[0]!.user.token}` } })
    expect(((await nodes.json()) as { items: unknown[] }).items).toHaveLength(2)
    e.child.kill('SIGTERM')
    const exit = await e.exit(STOP_MS)
    expect(exit.code).toBe(0)
    expect(exit.stdout.split('\n')).toHaveLength(2)
    expect(exit.stderr).toBe('kube emulator stopped (SIGTERM)\n')
  }, UP_MS + STOP_MS + 5_000)

  it('refuses an unknown output format, and names a busy admin port with the flag that moves it (port-in-use, exit 1)', async () => {
    const format = await runFlotilla(['kube-emulator', '-o', 'xml', '--kubeconfig', join(dir, 'unused', 'kubeconfig')])
    expect(format.code).toBe(2)
    expect(format.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n {2}hint: /)
    expect(existsSync(join(dir, 'unused'))).toBe(false)

    const holder: Server = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const port = (holder.address() as AddressInfo).port
    try {
      const r = await runFlotilla(['kube-emulator', '--admin-port', String(port), '--kubeconfig', join(dir, 'busy', 'kubeconfig')], { timeoutMs: UP_MS })
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`error[port-in-use]: port ${port} on 127.0.0.1 (kube emulator "emulated" admin) is not available: EADDRINUSE\n` +
        '  hint: Another program holds the port: stop it, or pick another --admin-port (0 picks a free one).\n')
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()))
    }
  }, 2 * UP_MS)
})

describe('flotilla agent', () => {
  let site: Site | undefined
  let emulator: KubeEmulator | undefined
  afterAll(async () => {
    await site?.close()
    await emulator?.close()
  })

  it('init -o json prints the key path, public key and the clusters[] entry for the site', async () => {
    const keyPath = join(dir, 'agent-init.key')
    const r = await runCli(['agent', 'init', '--key', keyPath, '--site', 'eu-west', '--cluster', 'edge-1', '-o', 'json'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    const out = r.json<{ keyPath: string, publicKey: string, clusterEntry: string }>()
    expect(out.keyPath).toBe(keyPath)
    expect(out.publicKey).toMatch(/^[0-9a-f]{64}$/)
    expect(parse(out.clusterEntry)).toEqual({ clusters: [{ name: 'edge-1', mode: 'pull', agentKey: out.publicKey }] })
    const again = await runCli(['agent', 'init', '--key', keyPath, '--site', 'eu-west', '--cluster', 'edge-1', '-o', 'json'])
    expect(again.code).toBe(5)
    expect(again.stderr).toMatch(/^error\[key-exists\]: /)
    expect(again.stdout).toBe('')
  })

  it('run -o json prints the cluster, site URL, kubeconfig and key as one JSON line, and stops cleanly on SIGTERM', async () => {
    const init = await runCli(['agent', 'init', '--key', join(dir, 'agent.key'), '--site', 'eu-west', '--cluster', 'edge-2', '-o', 'json'])
    const { keyPath, publicKey } = init.json<{ keyPath: string, publicKey: string }>()
    emulator = await startKubeEmulator({ adminPort: false })
    const kubeconfig = join(dir, 'agent-kubeconfig')
    writeFileSync(kubeconfig, emulator.kubeconfig)
    site = await startSite({ 'edge-2': (await loadKeyFile(keyPath)).keys })
    const a = start(['agent', 'run', '--key', keyPath, '--site-url', site.url, '--kubeconfig', kubeconfig, '--log-level', 'warn', '-o', 'json'])
    await a.waitFor(/^\{.*\}\n/, UP_MS)
    const facts: AgentStarted = { kind: 'AgentStarted', cluster: 'edge-2', siteUrl: site.url, kubeconfig, publicKey, pid: a.child.pid! }
    expect(JSON.parse(a.stdout())).toEqual(facts)
    a.child.kill('SIGTERM')
    const exit = await a.exit(STOP_MS)
    expect(exit.code).toBe(0)
    expect(exit.stdout.split('\n')).toHaveLength(2)
    expect(exit.stderr).toContain('agent stopped (SIGTERM)\n')
  }, UP_MS + STOP_MS + 10_000)

  it('run refuses an unknown output format before it reads the key', async () => {
    const r = await runCli(['agent', 'run', '--key', join(dir, 'no.key'), '--site-url', 'http://127.0.0.1:9', '--kubeconfig', join(dir, 'no-kc'), '-o', 'xml'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n/)
    expect(r.stderr).not.toMatch(NO_STACK)
  })
})
