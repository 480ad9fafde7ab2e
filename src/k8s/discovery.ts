/**
 * The apiserver's group discovery documents (`/api`, `/apis`, `/apis/<group>`) for a
 * given set of served group versions; shared by the site API and the emulator, which
 * serve different resources but must answer kubectl's discovery identically.
 */
import type { JsonObject } from './json.ts'

export interface GroupVersion { group: string, version: string }

export function apiVersions (serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }
}

function groupEntry (served: readonly GroupVersion[], group: string): JsonObject | undefined {
  const versions = served.filter((g) => g.group === group)
  if (versions.length === 0) return undefined
  const list = versions.map((v) => ({ groupVersion: `${group}/${v.version}`, version: v.version }))
  return { name: group, versions: list, preferredVersion: list[0] as JsonObject }
}

export function apiGroupList (served: readonly GroupVersion[]): JsonObject {
  const groups = [...new Set(served.filter((g) => g.group !== '').map((g) => g.group))]
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => groupEntry(served, g) as JsonObject) }
}

export function apiGroup (served: readonly GroupVersion[], group: string): JsonObject | undefined {
  const entry = groupEntry(served, group)
  return entry === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...entry }
}
