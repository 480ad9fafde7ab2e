/**
 * The text a run prints: what ran, the trace hash that proves a replay is exact, each
 * invariant's verdict with its first violations, the figures of the run and the command
 * that replays it.
 */
import type { RunResult } from '../run.ts'

function fmt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function seconds (ms: number): string {
  return ms >= 120_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`
}

export function summaryText (r: RunResult, replay: string, reportPath?: string): string {
  const o = r.options
  const byz = r.sites.filter((s) => !s.honest)
  const lines: string[] = []
  lines.push(`flotilla sim: scenario ${o.scenario}, seed ${String(o.seed)}: ${r.ok ? 'PASS' : 'FAIL'}`)
  lines.push(`  ${o.sites} sites in ${o.regions} regions, ${seconds(o.durationMs)} virtual; random faults: ${o.faults.kinds.length === 0 ? 'none' : o.faults.kinds.join(', ')}` +
    `${o.faults.scheduled.length > 0 ? `; ${o.faults.scheduled.length} scheduled` : ''}` +
    `${byz.length > 0 ? `; Byzantine: ${byz.map((s) => s.id).join(', ')} (${o.faults.behaviours.join(', ')})` : ''}` +
    `${o.injectedBugs.length > 0 ? `; INJECTED BUGS: ${o.injectedBugs.join(', ')}` : ''}`)
  lines.push(`  trace hash ${r.traceHash} (${fmt(r.stats.traceRecords)} records)`)
  lines.push('  invariants:')
  for (const inv of r.invariants) {
    const count = inv.violations.length + inv.more
    lines.push(`    ${inv.name.padEnd(13)} ${inv.ok ? 'PASS' : 'FAIL'}  ${inv.ok ? `${fmt(inv.checked)} checks` : `${count} violation${count === 1 ? '' : 's'} in ${fmt(inv.checked)} checks`}`)
    for (const v of inv.violations.slice(0, 5)) lines.push(`      at ${(v.timeMs / 1000).toFixed(1)} s [${v.rule}] ${v.message}`)
    if (count > 5) lines.push(`      ... and ${count - 5} more`)
  }
  for (const e of r.internalErrors) lines.push(`  SIMULATOR ERROR: ${e.split('\n').slice(0, 6).join('\n    ')}`)
  if (r.stoppedEarly) lines.push(`  stopped at the first violation (${seconds(r.stats.virtualMs)})`)
  if (r.outOfWallBudget) lines.push(`  stopped when the wall-clock budget ran out, at ${seconds(r.stats.virtualMs)} virtual (final checks not run)`)
  const s = r.stats
  lines.push('  run:')
  lines.push(`    wall ${(s.wallMs / 1000).toFixed(1)} s, ${s.speedup.toFixed(1)} virtual s per wall s, ${fmt(s.events)} events`)
  lines.push(`    network: ${fmt(s.network.framesSent)} frames sent, ${fmt(s.network.framesDelivered)} delivered, ${fmt(s.network.dropped)} dropped, ${fmt(s.network.broadcasts)} broadcasts`)
  const kinds = Object.entries(s.faults.byKind).map(([k, n]) => `${k} ${n}`).join(', ')
  lines.push(`    faults: ${s.faults.applied} applied${kinds === '' ? '' : ` (${kinds})`}, ${s.faults.skipped} skipped as meaningless when due`)
  if (byz.length > 0) lines.push(`    byzantine: ${Object.entries(s.byzantine.actions).map(([k, n]) => `${n} ${k}`).join(', ') || 'no actions'}, ${fmt(s.byzantine.withheld)} frames withheld`)
  lines.push(`    workload: ${s.workload.deployments} deployments, ${s.workload.applied} changes applied, ${s.workload.skipped} skipped or refused`)
  lines.push(`    checks: ${fmt(s.monitor.logEntriesChecked)} log entries, ${fmt(s.monitor.framesScanned)} frames scanned (${fmt(s.monitor.chunksDecoded)} distinct chunks decoded), ${fmt(s.monitor.samples)} samples`)
  lines.push(`    core log: ${fmt(s.logs.warnings)} warnings, ${fmt(s.logs.errors)} errors${r.firstErrors[0] === undefined ? '' : ` (first at ${(r.firstErrors[0].timeMs / 1000).toFixed(1)} s, ${r.firstErrors[0].site}: ${r.firstErrors[0].msg})`}`)
  lines.push(`  replay: ${replay}`)
  if (reportPath !== undefined) lines.push(`  report: ${reportPath}`)
  return lines.join('\n') + '\n'
}
