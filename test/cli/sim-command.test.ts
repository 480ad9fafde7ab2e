/**
 * `flotilla sim` output through the real entry point: `-o json` (the form every command
 * shares) prints the run as one JSON line, and `--json`, kept for older scripts, prints
 * the same run; `--list -o json` lists the scenarios as data; `--json` with another `-o`
 * and an unknown format are refused before anything runs. The summary and the report
 * files are covered by test/sim/cli/sim-cli.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { runFlotilla } from './support/bin.ts'

// A small run: two sites for ten virtual seconds, no faults; about a second of CPU.
const RUN = ['sim', '--seed', '5', '--sites', '2', '--regions', '2', '--duration', '10s', '--faults', 'none', '--workloads', '1']

interface SimJson { replay: string, ok: boolean, traceHash: string, invariants: Array<{ name: string, ok: boolean }>, stats: Record<string, unknown> }

describe('flotilla sim -o json', () => {
  it('prints the run as one JSON line with the replay command, and --json prints the same run', async () => {
    const o = await runFlotilla([...RUN, '-o', 'json'], { timeoutMs: 60_000 })
    expect(o.stderr).toBe('')
    expect(o.code).toBe(0)
    expect(o.stdout.split('\n')).toHaveLength(2)
    const run = JSON.parse(o.stdout) as SimJson
    expect(run.ok).toBe(true)
    expect(run.replay).toBe('npm run sim -- --sites 2 --regions 2 --duration 10s --faults none --workloads 1 --seed 5')
    expect(run.traceHash).toMatch(/^[0-9a-f]{64}$/)
    expect(run.invariants.length).toBeGreaterThan(0)
    expect(run.invariants.every((i) => i.ok)).toBe(true)

    const alias = await runFlotilla([...RUN, '--json'], { timeoutMs: 60_000 })
    expect(alias.code).toBe(0)
    const same = JSON.parse(alias.stdout) as SimJson
    // The same seed replays the same run; only wall-clock figures in stats may differ.
    expect({ replay: same.replay, ok: same.ok, traceHash: same.traceHash, invariants: same.invariants })
      .toEqual({ replay: run.replay, ok: run.ok, traceHash: run.traceHash, invariants: run.invariants })
  }, 120_000)

  it('lists the named scenarios as data with --list -o json', async () => {
    const r = await runFlotilla(['sim', '--list', '-o', 'json'])
    expect(r.code).toBe(0)
    const list = JSON.parse(r.stdout) as { kind: string, items: Array<{ name: string, description: string }> }
    expect(list.kind).toBe('ScenarioList')
    expect(list.items.map((s) => s.name)).toEqual(['standard', 'site-loss', 'regional-partition', 'byzantine-minority', 'rolling-restarts', 'gpu-constrained'])
    expect(list.items.every((s) => s.description.length > 0)).toBe(true)
  })

  it('refuses --json with another -o, and an unknown format, before running anything (input-invalid, exit 2)', async () => {
    const both = await runFlotilla([...RUN, '--json', '-o', 'table'])
    expect(both.code).toBe(2)
    expect(both.stdout).toBe('')
    expect(both.stderr).toBe("error[input-invalid]: '--json' contradicts '-o table'\n  hint: Use -o json (or its older spelling --json) for JSON, -o table for the summary.\n")
    const xml = await runFlotilla([...RUN, '-o', 'xml'])
    expect(xml.code).toBe(2)
    expect(xml.stdout).toBe('')
    expect(xml.stderr).toMatch(/^error\[input-invalid\]: '--output' must be one of table, json, yaml: received "xml"\n/)
  })
})
