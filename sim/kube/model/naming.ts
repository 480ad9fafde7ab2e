/**
 * Deterministic identities for the emulated cluster: uids, generated name suffixes and
 * timestamps come from counters and the cluster's name, never from randomness, so a
 * simulator run with the same inputs produces the same objects.
 */
import type { Clock } from '../../../src/ports/clock.ts'
import { fnv1a, safeEncode } from '../../../src/k8s/json.ts'

export interface Naming {
  uid (): string
  /** A 5-character suffix in Kubernetes' safe alphabet, as for `generateName`. */
  suffix (): string
  /** RFC 3339 wall time, second precision, as metadata timestamps are written. */
  now (): string
  /** RFC 3339 with microseconds, as `MicroTime` fields (event times) are written. */
  nowMicro (): string
}

function hex (n: number, width: number): string {
  return (n >>> 0).toString(16).padStart(width, '0').slice(-width)
}

export function rfc3339 (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function createNaming (clusterName: string, clock: Clock): Naming {
  const seed = fnv1a(clusterName)
  let uids = 0
  let suffixes = 0
  return {
    uid () {
      uids++
      const a = fnv1a(String(uids), seed)
      return `${hex(seed, 8)}-${hex(a >>> 16, 4)}-4${hex(a, 3)}-8${hex(uids >>> 24, 3)}-${hex(Math.floor(uids / 2 ** 32), 4)}${hex(uids, 8)}`
    },
    suffix () {
      suffixes++
      return safeEncode(fnv1a(`s${suffixes}`, seed), 5)
    },
    now: () => rfc3339(clock.wallMs()),
    nowMicro: () => new Date(clock.wallMs()).toISOString().replace(/Z$/, '000Z')
  }
}
