/**
 * Equality of two records as the document stores them: structural, key order ignored and
 * `undefined` members treated as absent — exactly when their canonical JSON is equal,
 * without building either string. The controllers compare every share and cluster
 * record they would write against the one the document holds, every tick.
 */
export function sameRecord (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameRecord(a[i] ?? null, b[i] ?? null)) return false
    return true
  }
  if (Array.isArray(b)) return false
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let defined = 0
  for (const k in x) {
    if (!Object.hasOwn(x, k) || x[k] === undefined) continue
    defined++
    if (!Object.hasOwn(y, k) || !sameRecord(x[k], y[k])) return false
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) defined--
  return defined === 0
}
