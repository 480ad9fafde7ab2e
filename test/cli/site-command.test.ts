/**
 * `flotilla site -c <config>` through the real entry point, on a config `flotilla init`
 * wrote into a temporary directory (which `config-check` accepts, and prints resolved
 * with `-o json`): it says where it serves, answers `flotilla status`, and stops cleanly
 * and promptly on SIGTERM and on SIGINT, freeing its ports; `-o json` prints its
 * start-up facts as one line. Bad input ends with the documented code and exit status:
 * a missing or invalid config (naming each bad field), an unknown output format, and a
 * port another program holds (`port-in-use`, naming the port and the field to change).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import type { InitResult } from '../../src/cli/commands/init.ts'
import type { SiteStarted } from '../../src/cli/commands/site.ts'
import { freePorts } from '../support/ports.ts'
import { runFlotilla, startFlotilla, type RunningBin } from './support/bin.ts'
import { runCli } from './support/cli-site.ts'

const NO_STACK = /\n\s+at /
// Start-up of one site process on a shared 2-core machine is a few seconds; the bounds leave room.
const UP_MS = 30_000
const STOP_MS = 15_000

let home: string
let ports: { p2p: number, api: number, dashboard: number }
let site: InitResult
const running: RunningBin[] = []

function start (args: readonly string[]): RunningBin {
  const r = startFlotilla(args)
  running.push(r)
  return r
}

/** Whether a port can be bound again, i.e. the site let go of it. */
function bindable (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(true) }) })
  })
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'flotilla-site-cmd-'))
  const [p2p, api, dashboard] = await freePorts(3)
  ports = { p2p: p2p!, api: api!, dashboard: dashboard! }
  const init = await runFlotilla(['init', '--site-id', 'eu-west', '--region', 'eu-west', '--dir', join(home, 'eu-west'),
    '--p2p-port', String(ports.p2p), '--api-port', String(ports.api), '--dashboard-port', String(ports.dashboard), '-o', 'json'])
  expect(init).toMatchObject({ code: 0, stderr: '' })
  site = JSON.parse(init.stdout) as InitResult
})

afterEach(() => {
  for (const r of running.splice(0)) r.kill()
})

afterAll(async () => {
  await rm(home, { recursive: true, force: true })
})

describe('flotilla config-check', () => {
  it('says the config is valid, and prints it resolved (defaults filled in, paths absolute) with -o json', async () => {
    const r = await runCli(['config-check', '-c', site.configPath])
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: `${site.configPath}: valid (site eu-west, 0 cluster(s), 1 roster member(s))\n` })
    const j = await runCli(['config-check', '-c', site.configPath, '-o', 'json'])
    expect(j.code).toBe(0)
    expect(j.json()).toMatchObject({
      site: { id: 'eu-west', region: 'eu-west', zone: 'eu-west-a' }, dataDir: join(home, 'eu-west'), keyFile: site.keyPath,
      api: { listen: `127.0.0.1:${ports.api}` }, dashboard: { listen: `127.0.0.1:${ports.dashboard}` }, roster: [site.rosterEntry]
    })
  })
})

describe('flotilla site', () => {
  it('runs the site from its config, answers `flotilla status`, and stops cleanly on SIGTERM', async () => {
    const s = start(['site', '-c', site.configPath, '--log-level', 'warn'])
    await s.waitFor(/^ {2}dashboard: .*\n/m, UP_MS)
    expect(s.stdout()).toBe([
      `site eu-west running (peer ${site.peerId})`,
      `  p2p: /ip4/127.0.0.1/tcp/${ports.p2p}/p2p/${site.peerId}`,
      `  api: https://127.0.0.1:${ports.api}`,
      `  dashboard: http://127.0.0.1:${ports.dashboard}/`
    ].join('\n') + '\n')

    const status = await runFlotilla(['status', '--site', 'eu-west', '-o', 'json'], { env: { FLOTILLA_HOME: home } })
    expect(status.stderr).toBe('')
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: 'SiteStatus', site: 'eu-west', identity: { siteId: 'eu-west', peerId: site.peerId }, caller: { role: 'admin' } })
    const dashboard = await fetch(`http://127.0.0.1:${ports.dashboard}/healthz`)
    expect(dashboard.status).toBe(200)

    const t0 = Date.now()
    s.child.kill('SIGTERM')
    const exit = await s.exit(STOP_MS)
    expect(exit.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(STOP_MS)
    expect(exit.stdout).toMatch(/\nstopping site eu-west \(SIGTERM\)\nsite eu-west stopped\n$/)
    expect(exit.stderr).not.toMatch(/error|Error/)
    for (const port of [ports.p2p, ports.api, ports.dashboard]) expect(await bindable(port)).toBe(true)
  }, UP_MS + STOP_MS + 20_000)

  it('-o json prints the start-up facts as one JSON line, keeps stdout to it, and stops cleanly on SIGINT', async () => {
    const s = start(['site', '-c', site.configPath, '--log-level', 'warn', '-o', 'json'])
    await s.waitFor(/^\{.*\}\n/, UP_MS)
    const facts = JSON.parse(s.stdout()) as SiteStarted
    expect(facts).toEqual({
      kind: 'SiteStarted', site: 'eu-west', region: 'eu-west', peerId: site.peerId,
      p2p: [`/ip4/127.0.0.1/tcp/${ports.p2p}/p2p/${site.peerId}`],
      api: `https://127.0.0.1:${ports.api}`, dashboard: `http://127.0.0.1:${ports.dashboard}/`, pid: s.child.pid
    })
    s.child.kill('SIGINT')
    const exit = await s.exit(STOP_MS)
    expect(exit.code).toBe(0)
    expect(exit.stdout.split('\n')).toHaveLength(2) // the one line and its newline
    expect(exit.stderr).toContain('stopping site eu-west (SIGINT)\nsite eu-west stopped\n')
  }, UP_MS + STOP_MS + 10_000)

  it('names a missing config file (config-not-found, exit 2) and every bad field of an invalid one (config-invalid, exit 2)', async () => {
    const missing = await runFlotilla(['site', '-c', join(home, 'nowhere.yaml')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(new RegExp(`^error\\[config-not-found\\]: cannot read config file ${join(home, 'nowhere.yaml').replaceAll('.', '\\.')}: .*\n {2}hint: .*flotilla init`))
    expect(missing.stderr).not.toMatch(NO_STACK)

    const config = parse(await readFile(site.configPath, 'utf8')) as { site: { region: string }, dashboard: { listen: string } }
    config.site.region = 'EU West'
    config.dashboard.listen = 'anywhere'
    const bad = join(home, 'eu-west', 'bad.yaml')
    await writeFile(bad, stringify(config))
    const invalid = await runFlotilla(['site', '-c', bad])
    expect(invalid.code).toBe(2)
    expect(invalid.stderr).toMatch(/^error\[config-invalid\]: .*bad\.yaml is not a valid site config:\n/)
    expect(invalid.stderr).toMatch(/\n {2}- site\.region: .*\n/)
    expect(invalid.stderr).toMatch(/\n {2}- dashboard\.listen: expected "host:port", e\.g\. "127\.0\.0\.1:6443"\n/)
    expect(invalid.stderr).toMatch(/\n {2}hint: Fix each field listed above/)
    expect(invalid.stderr).not.toMatch(NO_STACK)

    const format = await runFlotilla(['site', '-c', site.configPath, '-o', 'xml'])
    expect(format.code).toBe(2)
    expect(format.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n/)
  }, 60_000)

  it('refuses a key the roster does not name for this site (key-invalid), before it touches the network', async () => {
    const config = parse(await readFile(site.configPath, 'utf8')) as { roster: Array<{ siteId: string, publicKey: string }> }
    config.roster = config.roster.map((m) => (m.siteId === 'eu-west' ? { ...m, publicKey: 'ab'.repeat(32) } : m))
    const wrong = join(home, 'eu-west', 'wrong-key.yaml')
    await writeFile(wrong, stringify(config))
    const r = await runFlotilla(['site', '-c', wrong])
    expect(r.code).toBe(8) // a key problem, as docs/operations.md lists
    expect(r.stderr).toMatch(/^error\[key-invalid\]: .*site\.key holds public key [0-9a-f]{16}…, but the roster lists site "eu-west" with abababababababab…\n {2}hint: .*roster entry/)
    expect(r.stderr).not.toMatch(NO_STACK)
    expect(await bindable(ports.p2p)).toBe(true)
  }, 60_000)

  it('names a port another program holds (port-in-use, exit 1) with the config field to change — the p2p port as the dashboard\'s — then exits', async () => {
    const cases = [
      { port: ports.p2p, what: `libp2p, /ip4/127.0.0.1/tcp/${ports.p2p}`, field: 'p2p.listen', others: [ports.api, ports.dashboard] },
      { port: ports.dashboard, what: 'dashboard', field: 'dashboard.listen', others: [ports.p2p, ports.api] }
    ]
    for (const c of cases) {
      const holder: Server = createServer()
      await new Promise<void>((resolve) => holder.listen(c.port, '127.0.0.1', resolve))
      try {
        const r = await runFlotilla(['site', '-c', site.configPath, '--log-level', 'fatal'], { timeoutMs: UP_MS })
        expect(r.code).toBe(1)
        expect(r.stdout).toBe('')
        expect(r.stderr).toBe(`error[port-in-use]: port ${c.port} on 127.0.0.1 (${c.what}) is not available: EADDRINUSE\n` +
          `  hint: Another program holds the port (another site, or one still stopping): stop it, or pick a free port in ${c.field} of the site config.\n`)
      } finally {
        await new Promise<void>((resolve) => holder.close(() => resolve()))
      }
      // What the failed start opened, it closed again.
      for (const port of c.others) expect(await bindable(port)).toBe(true)
    }
  }, 2 * UP_MS + 10_000)
})
