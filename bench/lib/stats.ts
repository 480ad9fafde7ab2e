/**
 * Small order statistics shared by benchmark suites. `median` is the upper median (the
 * middle sample, or the higher of the two middle ones), so it is always a measured value.
 */

export function median (xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
