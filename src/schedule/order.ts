/**
 * Total orders for placement. Every site must reach the same decision from the same
 * inputs, so nothing may depend on input array order, Map insertion order or the locale:
 * strings compare by UTF-16 code units, and a comparator that finds two different
 * records equal throws instead of letting the sort's stability pick a winner.
 */
import { FlotillaError } from '../model/errors.ts'

/** Locale-independent string order (UTF-16 code units), the same on every site. */
export function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Signals a tie that a total order must never produce; it means the inputs broke an invariant. */
export function tieError (what: string, a: string, b: string): FlotillaError {
  return new FlotillaError('internal', `placement order found two different ${what} equal: ${a} and ${b}`,
    'The view holds duplicate ids; this is a bug in the view builder, please report it.',
    { details: { what, a, b } })
}

/** Returns the sorted copy and throws if two distinct entries share a key. */
export function sortedUniqueBy<T> (items: readonly T[], key: (item: T) => string, what: string): T[] {
  const out = [...items].sort((x, y) => compareStrings(key(x), key(y)))
  for (let i = 1; i < out.length; i++) {
    const a = key(out[i - 1]!)
    if (a === key(out[i]!)) throw tieError(what, a, a)
  }
  return out
}
