import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseBenchArgs, toJson, toTable } from '../../bench/run.ts'

const metrics = [
  { name: 'verify_apply_per_s', value: 9000, unit: '/s', baseline: { name: 'tweetnacl_verify_per_s', value: 110 }, target: { op: '>=' as const, value: 5000 } },
  { name: 'load_ms', value: 1200, unit: 'ms', target: { op: '<=' as const, value: 1000 } }
]

describe('benchmark contract', () => {
  it('prints one JSON object with every metric and its baseline as numbers', () => {
    const out = JSON.parse(toJson('store', metrics)) as { suite: string, machine: string, metrics: Record<string, number> }
    expect(out.suite).toBe('store')
    expect(out.machine).toMatch(/node v\d+/)
    expect(out.metrics).toEqual({ verify_apply_per_s: 9000, tweetnacl_verify_per_s: 110, load_ms: 1200 })
  })

  it('prints a table with the baseline, the ratio and whether the target is met', () => {
    const table = toTable('store', metrics)
    expect(table).toMatch(/verify_apply_per_s\s+9000 \/s\s+tweetnacl_verify_per_s = 110\s+81\.82x\s+>= 5000\s+yes/)
    expect(table).toMatch(/load_ms\s+1200 ms\s+-\s+-\s+<= 1000\s+NO/)
  })
})

describe('bench arguments', () => {
  it('hands the suite its arguments without its own name when --json comes first', () => {
    expect(parseBenchArgs(['--json', 'store', '--quick'])).toEqual({ suite: 'store', json: true, suiteArgs: ['--quick'] })
  })

  it('hands the suite its flags and their values when the name comes first', () => {
    expect(parseBenchArgs(['sim', '--only', 'replay', '--json'])).toEqual({ suite: 'sim', json: true, suiteArgs: ['--only', 'replay'] })
    expect(parseBenchArgs(['failover', '--runs', '5'])).toEqual({ suite: 'failover', json: false, suiteArgs: ['--runs', '5'] })
  })

  it('removes only the name, not a flag value that spells the same word', () => {
    expect(parseBenchArgs(['store', '--only=store', 'store'])).toEqual({ suite: 'store', json: false, suiteArgs: ['--only=store', 'store'] })
  })

  it('reports no suite when every argument is a flag', () => {
    expect(parseBenchArgs(['--json'])).toEqual({ suite: undefined, json: true, suiteArgs: [] })
    expect(parseBenchArgs([])).toEqual({ suite: undefined, json: false, suiteArgs: [] })
  })
})

describe('bench runner', () => {
  it('answers a bad suite argument with its code and hint, not a stack trace', () => {
    const r = spawnSync(process.execPath, ['bench/run.ts', 'sim', '--only', 'bogus'], { encoding: 'utf8' })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^error\[input-invalid\]: --only takes a comma-separated list/)
    expect(r.stderr).toMatch(/hint: Name the metrics to run/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
