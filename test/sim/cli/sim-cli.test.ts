import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import { parseSeed, replayCommand, scenarioFromFlags } from '../../../sim/cli-args.ts'
import { resolveScenario } from '../../../sim/runner/options.ts'
import { SCENARIOS } from '../../../sim/scenarios/index.ts'
import { runSwarm, swarmReplay } from '../../../sim/swarm.ts'

const bin = join(import.meta.dirname, '../../../bin/flotilla.js')

function flotilla (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr })
    })
  })
}

describe('simulator options', () => {
  it('lays the flags over the named scenario and keeps the exact replay command', () => {
    const input = scenarioFromFlags({ scenario: 'site-loss', seed: '42', sites: '6', duration: '90s', faults: 'partition,crash,byzantine=2', behaviours: 'forge,flood', loss: '0.01', reorder: '0.5' })
    const o = resolveScenario(input)
    expect(o).toMatchObject({ scenario: 'site-loss', seed: 42, sites: 6, durationMs: 90_000, network: { loss: 0.01, reorder: 0.5 } })
    // Frames keep their order unless asked, as on one TCP connection.
    expect(resolveScenario(scenarioFromFlags({})).network.reorder).toBe(0)
    expect(replayCommand({ reorder: '1' }, 3)).toBe('npm run sim -- --reorder 1 --seed 3')
    expect(o.faults).toMatchObject({ kinds: ['partition', 'crash'], byzantine: 2, behaviours: ['forge', 'flood'] })
    // The scenario's scheduled site loss stays.
    expect(o.faults.scheduled).toEqual([{ atMs: 40_000, kind: 'site-loss', site: 's1', downMs: 60_000 }])
    expect(replayCommand({ scenario: 'site-loss', sites: '6', faults: 'partition,crash,byzantine=2' }, 42))
      .toBe('npm run sim -- --scenario site-loss --sites 6 --faults partition,crash,byzantine=2 --seed 42')
    expect(replayCommand({}, 'weird seed')).toBe("npm run sim -- --seed 'weird seed'")
    expect(parseSeed('17')).toBe(17)
    expect(parseSeed('abc')).toBe('abc')
  })

  it('refuses bad values naming the flag and the rule', () => {
    const refuse = (flags: Record<string, string>, pattern: RegExp): void => {
      try {
        resolveScenario(scenarioFromFlags(flags))
        expect.unreachable(`accepted ${JSON.stringify(flags)}`)
      } catch (e) {
        expect(isFlotillaError(e, 'input-invalid')).toBe(true)
        expect((e as Error).message).toMatch(pattern)
      }
    }
    refuse({ sites: '1' }, /'--sites' must be an integer >= 2/)
    refuse({ faults: 'meteor' }, /'--faults' must list/)
    refuse({ behaviours: 'charm' }, /unknown behaviour: "charm"/)
    refuse({ duration: 'soon' }, /'--duration' must be a duration/)
    refuse({ loss: '2' }, /'--loss' must be a probability/)
    refuse({ reorder: 'often' }, /'--reorder' must be a probability/)
    refuse({ scenario: 'apocalypse' }, /'--scenario' must be one of/)
    refuse({ sites: '4', faults: 'byzantine=3' }, /'faults.byzantine' must be an integer from 0 to 2/)
  })

  it('names the five scenarios of the issue besides the standard one', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(['standard', 'site-loss', 'regional-partition', 'byzantine-minority', 'rolling-restarts', 'gpu-constrained'])
  })
})

describe('flotilla sim', () => {
  it('runs a scenario, prints verdicts, the trace hash and the replay command, and writes the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-sim-cli-'))
    try {
      const r = await flotilla('sim', '--seed', '5', '--sites', '3', '--duration', '15s', '--faults', 'none', '--workloads', '1', '--report', dir)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^flotilla sim: scenario standard, seed 5: PASS/)
      expect(r.stdout).toMatch(/trace hash [0-9a-f]{64}/)
      expect(r.stdout).toContain('replay: npm run sim -- --sites 3 --duration 15s --faults none --workloads 1 --seed 5')
      const json = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { traceHash: string, ok: boolean }
      expect(r.stdout).toContain(json.traceHash)
      expect(await readFile(join(dir, 'report.html'), 'utf8')).toContain('<svg')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)

  it('refuses a bad option with error[input-invalid] and a hint, never a stack', async () => {
    const r = await flotilla('sim', '--sites', 'many')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error\[input-invalid\]: '--sites' must be an integer >= 2/)
    expect(r.stderr).toContain('hint:')
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/)
  })
})

describe('swarm', () => {
  it('runs seeds in parallel worker processes and lists each failing seed with the command that replays it', async () => {
    const flags = { sites: '3', regions: '2', duration: '20s', faults: 'byzantine=1', behaviours: 'forge', workloads: '1', changeEvery: '0', quietTail: '5s' }
    const result = await runSwarm({ seeds: 2, from: 1, jobs: 2, bugs: ['skip-signature-check'], flags, maxFailures: 10 })
    expect(result.verdicts.map((v) => v.seed)).toEqual([1, 2])
    expect(result.failing.map((v) => v.seed)).toEqual([1, 2])
    expect(new Set(result.verdicts.map((v) => v.worker)).size).toBe(2)
    expect(result.failing[0]!.failures[0]).toMatch(/^safety\/log at/)
    // Flags in their canonical order, whatever order they were given in.
    expect(swarmReplay(flags, ['skip-signature-check'], 2))
      .toBe('npm run -s sim:swarm -- --sites 3 --regions 2 --duration 20s --faults byzantine=1 --behaviours forge --quiet-tail 5s --workloads 1 --change-every 0 --inject-bug skip-signature-check --from 2 --seeds 1 --jobs 1')
    expect(swarmReplay(flags, [], 2)).toBe('npm run sim -- --sites 3 --regions 2 --duration 20s --faults byzantine=1 --behaviours forge --quiet-tail 5s --workloads 1 --change-every 0 --seed 2')
  }, 120_000)

  it('kills a seed that runs past its wall-time limit, lists it as hung, and goes on with the next in a new worker', async () => {
    const flags = { sites: '3', regions: '2', duration: '20s', workloads: '1', changeEvery: '0', quietTail: '5s' }
    // 50 ms is far less than any run takes (loading the worker alone takes longer): every seed "hangs".
    const result = await runSwarm({ seeds: 2, from: 1, jobs: 1, bugs: [], flags, maxFailures: 10, seedTimeoutMs: 50 })
    expect(result.verdicts.map((v) => v.seed)).toEqual([1, 2])
    for (const v of result.failing) expect(v.failures[0]).toMatch(/did not finish within 0.05 s of wall time \(a hang\)/)
    expect(result.failing).toHaveLength(2)
    // Each seed had its own worker: the hung one was killed, not reused.
    expect(new Set(result.failing.map((v) => v.worker)).size).toBe(2)
  }, 60_000)
})
