/**
 * The benchmark contract every suite follows: a suite measures metrics, and each metric
 * with a baseline carries the baseline measured in the same run, so the ratio is
 * meaningful on whatever machine runs it.
 */

export interface BenchMetric {
  name: string
  value: number
  unit: string
  /** The figure compared against, measured in the same run. */
  baseline?: { name: string, value: number }
  /** The target: `value` should be `<=` or `>=` this. */
  target?: { op: '<=' | '>=', value: number }
  note?: string
}

export interface BenchSuite {
  name: string
  description: string
  run (args: readonly string[]): Promise<BenchMetric[]>
}

export function meetsTarget (m: BenchMetric): boolean | undefined {
  if (m.target === undefined) return undefined
  return m.target.op === '<=' ? m.value <= m.target.value : m.value >= m.target.value
}
