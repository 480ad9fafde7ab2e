/**
 * Builders for signed-store tests: sites with deterministic keys, a roster, a fixed
 * clock, a counter Rng, and a quick way to open a store on the simulator's memory storage.
 */
import { createHash } from 'node:crypto'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import type { Rng } from '../../src/ports/rng.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createSigner, createVerifier, keyPairFromSeed, type KeyPair, type Signer } from '../../src/identity/keys.ts'
import { openDocumentStore, type DocumentStore } from '../../src/store/document-store.ts'
import { rosterWritePolicy } from '../../src/store/roster-write-policy.ts'

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

export async function openTestStore (site: TestSite, roster: readonly TestSite[], storage: Storage = createMemoryStorage(), limits: Partial<{ maxChangeBytes: number, maxChangeOps: number, maxPendingChanges: number }> = {}, rngSeed = site.id.length): Promise<DocumentStore> {
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
