/**
 * The redacted stub of a local-only workload: what other sites may know of it so their
 * capacity figures stay right. Its id is HMAC-SHA256 of the workload key under a secret
 * that never leaves the site, so the id is stable across updates (the stub is updated
 * in place) yet reveals nothing, not even whether two sites hold the same workload.
 */
import { createHmac } from 'node:crypto'
import type { ClusterId, RedactedStub, WorkloadRecord } from '../../model/federation.ts'
import { desiredReplicas, runsPods, type KubeObject } from '../../model/kube.ts'
import { resourcesFromKube, zeroResources, type Resources, RESOURCE_KEYS } from '../../model/resources.ts'

/** Derives the stub secret from the site's key seed (a separate key, bound to this use). */
export function stubSecretFromSeed (seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', seed).update('flotilla/local-stub-id/v1').digest())
}

/** The opaque stub id of a workload key: 32 hex characters of HMAC-SHA256. */
export function stubId (secret: Uint8Array, key: string): string {
  return createHmac('sha256', secret).update(key).digest('hex').slice(0, 32)
}

interface ContainerSpec { resources?: { requests?: Record<string, string | number>, limits?: Record<string, string | number> } }

/**
 * Resources one replica asks for, the way the Kubernetes scheduler counts them: the sum
 * over containers (requests, or limits where a request is missing) and at least the
 * largest init container; plus one pod.
 */
export function perReplicaRequests (manifest: KubeObject): Resources {
  const template = manifest.spec?.['template'] as { spec?: { containers?: ContainerSpec[], initContainers?: ContainerSpec[] } } | undefined
  const pod = template?.spec
  const sum = zeroResources()
  const requestsOf = (c: ContainerSpec, path: string): Resources =>
    resourcesFromKube({ ...c.resources?.limits, ...c.resources?.requests }, path)
  for (const [i, c] of (pod?.containers ?? []).entries()) {
    const r = requestsOf(c, `spec.template.spec.containers[${i}].resources`)
    for (const k of RESOURCE_KEYS) sum[k] += r[k]
  }
  for (const [i, c] of (pod?.initContainers ?? []).entries()) {
    const r = requestsOf(c, `spec.template.spec.initContainers[${i}].resources`)
    for (const k of RESOURCE_KEYS) sum[k] = Math.max(sum[k], r[k])
  }
  sum.pods = 1
  return sum
}

export interface StubOptions {
  /** The cluster the workload runs on, if the stub should count against it. */
  cluster?: ClusterId
}

/** The stub for a local-only workload record, holding nothing but id, kind, origin and resources. */
export function redactedStub (rec: WorkloadRecord, secret: Uint8Array, opts: StubOptions = {}): RedactedStub {
  const pods = runsPods(rec.manifest.kind)
  const stub: RedactedStub = {
    id: stubId(secret, rec.key),
    kind: rec.manifest.kind,
    origin: rec.origin,
    replicas: pods ? desiredReplicas(rec.manifest) : 0,
    perReplica: pods ? perReplicaRequests(rec.manifest) : zeroResources()
  }
  if (opts.cluster !== undefined) stub.cluster = opts.cluster
  return stub
}
