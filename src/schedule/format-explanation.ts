/**
 * The text `flotilla explain` prints for a placement decision: a header with the
 * policy, residency, strategy, affinity terms and spread groups, then one row per
 * cluster of the view with its verdict, replicas, availability, weight and ideal share,
 * rendezvous score and the reason it was filtered or left out. Plain ASCII, fixed
 * column order, so it diffs well and reads in any terminal.
 */
import { describeResources } from './describe.ts'
import type { ClusterExplanation, PlacementDecision, SpreadExplanation } from './types.ts'

function table (rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
}

function spreadLine (s: SpreadExplanation): string {
  const name = s.by === 'label' ? `label ${s.label ?? ''}` : s.by
  const bounds = `min ${s.minGroups}${s.maxGroups !== undefined ? `, max ${s.maxGroups}` : ''}`
  const head = `${name} (${bounds}): ${s.available} available, ${s.selected} selected${s.selection === 'all' ? '' : s.selection === 'fit' ? ' by rank among the choices that fit' : ` by ${s.selection}`}${s.satisfied ? '' : ' - UNSATISFIED'}`
  if (s.groups === undefined) return head
  const groups = s.groups.map((g) => `${g.value}${g.selected ? '' : ' (not selected)'} [${g.clusters.join(', ')}]`)
  return `${head}\n${groups.map((g) => `             ${g}`).join('\n')}`
}

function row (c: ClusterExplanation): string[] {
  const fmtNum = (n: number | undefined): string => (n === undefined ? '-' : n >= 2 ** 31 - 1 ? 'inf' : String(n))
  return [
    c.cluster,
    c.region || '-',
    c.verdict,
    c.verdict === 'chosen' ? String(c.replicas) : '-',
    fmtNum(c.availableReplicas),
    c.share === undefined ? '-' : String(c.share.weight),
    c.share === undefined ? '-' : `${c.share.ideal.toFixed(2)}${c.share.capped ? ' capped' : ''}`,
    c.score === undefined ? '-' : `${c.score.rendezvous.toFixed(4)}${c.score.penalty > 0 ? ` -${c.score.penalty}` : ''}`,
    c.score?.rank === undefined ? '-' : String(c.score.rank),
    c.rule === undefined ? '' : `${c.rule}: ${c.reason ?? ''}`
  ]
}

/** Multi-line explanation for the CLI; the structured data stays in `decision.explanation`. */
export function formatExplanation (decision: PlacementDecision): string {
  const e = decision.explanation
  const lines: string[] = []
  const label = (k: string, v: string): void => { lines.push(`${k.padEnd(12)} ${v}`) }
  label('workload', `${e.workload} (generation ${e.generation}, origin ${e.origin})`)
  const selected = e.policy.candidates.find((c) => c.verdict === 'selected')
  label('policy', selected === undefined ? 'none selects this workload' : `${selected.kind} ${selected.namespace !== undefined ? `${selected.namespace}/` : ''}${selected.name} (matched by ${selected.matchedBy}, priority ${selected.priority})`)
  for (const c of e.policy.candidates.filter((x) => x.verdict !== 'selected')) {
    label('', `${c.verdict}: ${c.kind} ${c.namespace !== undefined ? `${c.namespace}/` : ''}${c.name} - ${c.note ?? ''}`)
  }
  if (e.residency !== undefined) label('residency', `${e.residency.description}${e.residency.sources.length > 0 ? ` (from ${e.residency.sources.join(' and ')})` : ''}`)
  label('replicas', `${e.desiredReplicas} desired, ${e.placedReplicas} placed${e.perReplica !== undefined ? `; one replica needs ${describeResources(e.perReplica)}` : ''}`)
  if (e.strategy !== undefined) {
    const s = e.strategy
    const text = s.type === 'Duplicated' ? 'Duplicated' : s.division === 'Aggregated' ? 'Divided, Aggregated (fewest clusters that fit, largest first, each filled in turn)' : s.division === undefined ? 'Divided' : `Divided, Weighted by ${s.weights === 'dynamic' ? 'available replicas (dynamic)' : s.weights === 'static' ? 'staticWeightList' : 'equal weights'}`
    label('strategy', `${text}${s.note !== undefined ? ` - ${s.note}` : ''}`)
  }
  for (const t of e.terms) {
    const name = t.name === undefined ? 'clusterAffinity' : `term ${t.index + 1} "${t.name}"`
    const problems = t.problems.length > 0 ? `: ${t.problems.join('; ')}` : ''
    const rules = Object.keys(t.filtered).sort()
    const filtered = rules.length === 0 ? '' : `; filtered ${rules.map((r) => `${t.filtered[r as keyof typeof t.filtered]!} ${r}`).join(', ')}`
    label(t === e.terms[0] ? 'affinity' : '', `${name}: ${t.outcome}${t.outcome === 'not-tried' ? '' : ` (${t.candidates} candidate${t.candidates === 1 ? '' : 's'}${filtered})`}${problems}`)
  }
  e.spread.forEach((s, i) => label(i === 0 ? 'spread' : '', spreadLine(s)))
  if (e.arithmetic !== undefined && e.arithmetic.method === 'sainte-lague') {
    label('arithmetic', `${e.arithmetic.replicas} replicas by weight (total weight ${e.arithmetic.totalWeight ?? 0}, room ${e.arithmetic.capacity ?? 0}): ideal share = replicas x weight / total, remainders by Sainte-Lague, ties by rank`)
  } else if (e.arithmetic !== undefined && e.arithmetic.method === 'largest-first') {
    label('arithmetic', `${e.arithmetic.replicas} replicas over room ${e.arithmetic.capacity ?? 0}: one per cluster, then each filled to its room, largest room first (ties by rank)`)
  }
  label('result', decision.assignments.length === 0 ? 'no cluster' : decision.assignments.map((a) => `${a.cluster}=${a.replicas}`).join(', '))
  if (decision.degraded !== undefined) label('DEGRADED', `${decision.degraded.code}: ${decision.degraded.message}`)
  if (e.clusters.length > 0) {
    lines.push('')
    lines.push(...table([
      ['CLUSTER', 'REGION', 'VERDICT', 'REPLICAS', 'AVAIL', 'WEIGHT', 'IDEAL', 'SCORE', 'RANK', 'REASON'],
      ...e.clusters.map(row)
    ]))
  }
  return lines.join('\n') + '\n'
}
