/**
 * Builders for signed-store tests: sites with deterministic keys, a roster, a plain
 * in-memory Storage, a manual clock, and a quick way to open a store.
 */
import { createHash } from 'node:crypto'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import type { Rng } from '../../src/ports/rng.ts'
import type { Storage, StorageOp, StorageRange } from '../../src/ports/storage.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createSigner, createVerifier, keyPairFromSeed, type KeyPair, type Signer } from '../../src/identity/keys.ts'
import { openDocumentStore, rosterWritePolicy, type DocumentStore } from '../../src/store/document-store.ts'

export interface TestSite { id: string, keys: KeyPair, signer: Signer }

export function testSite (id: string): TestSite {
  const keys = keyPairFromSeed(createHash('sha256').update(`seed:${id}`).digest())
  return { id, keys, signer: createSigner(keys) }
}

export function rosterOf (sites: readonly TestSite[]): Array<{ siteId: string, publicKey: string, region: string }> {
  return sites.map((s) => ({ siteId: s.id, publicKey: s.signer.publicKeyHex, region: 'r1' }))
}

export function fixedClock (wall = 1_700_000_000_000): Clock {
  return { monotonicMs: () => 0, wallMs: () => wall, setTimer: (): Timer => ({ cancel () {} }) }
}

export function counterRng (seed = 1): Rng {
  let n = seed
  const next = (): number => { n = (Math.imul(n, 1664525) + 1013904223) >>> 0; return n }
  return { nextUint32: next, nextFloat: () => next() / 2 ** 32, bytes: (k) => Uint8Array.from({ length: k }, () => next() & 0xff) }
}

/** A minimal ordered in-memory Storage for unit tests of the store. */
export function mapStorage (data = new Map<string, Uint8Array>()): Storage & { data: Map<string, Uint8Array> } {
  const cmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
  return {
    data,
    get: async (key) => data.get(key),
    batch: async (ops: readonly StorageOp[]) => {
      for (const op of ops) {
        if (op.type === 'put') data.set(op.key, Uint8Array.from(op.value))
        else data.delete(op.key)
      }
    },
    entries: async function * (range: StorageRange = {}) {
      let keys = [...data.keys()].sort(cmp)
      if (range.prefix !== undefined) keys = keys.filter((k) => k.startsWith(range.prefix!))
      if (range.gte !== undefined) keys = keys.filter((k) => cmp(k, range.gte!) >= 0)
      if (range.lt !== undefined) keys = keys.filter((k) => cmp(k, range.lt!) < 0)
      if (range.reverse === true) keys.reverse()
      if (range.limit !== undefined) keys = keys.slice(0, range.limit)
      for (const k of keys) yield [k, data.get(k)!] as [string, Uint8Array]
    },
    close: async () => {}
  }
}

export async function openTestStore (site: TestSite, roster: readonly TestSite[], storage: Storage = mapStorage(), limits: Partial<{ maxChangeBytes: number, maxChangeOps: number, maxPendingChanges: number }> = {}, rngSeed = site.id.length): Promise<DocumentStore> {
  return await openDocumentStore({
    storage,
    clock: fixedClock(),
    rng: counterRng(rngSeed),
    signer: site.signer,
    verify: createVerifier(),
    writePolicy: rosterWritePolicy(() => rosterOf(roster)),
    limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000, ...limits },
    snapshotEvery: 5,
    logger: silentLogger
  })
}
