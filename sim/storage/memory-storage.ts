/**
 * The simulator's `Storage`: an in-memory disk with a durability model. A batch is
 * visible to reads as soon as it is issued (like the OS page cache) but becomes durable
 * only after a write latency on the given Clock, and batches become durable in issue
 * order (a write-ahead log). `crash()` is a power cut: every batch not yet durable is
 * lost and its promise rejected, and the handle dies so that code still running for the
 * crashed site cannot write to the disk its successor reopens. Faults: slow or variable
 * latency, bit flips in stored values, injected I/O errors. Keys iterate in UTF-8 byte
 * order through the same range code as the LevelDB adapter.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import type { Clock, Timer } from '../../src/ports/clock.ts'
import type { Rng } from '../../src/ports/rng.ts'
import type { Storage, StorageOp, StorageRange } from '../../src/ports/storage.ts'
import { checkBatch, encodeKey, resolveRange, type CheckedOp } from '../../src/storage/key-range.ts'
import { createSortedEntries, type SortedEntries } from './sorted-entries.ts'

/** Per-batch write latency in ms: a constant, or a sampler (e.g. drawing from the run's Rng). */
export type DiskLatency = number | (() => number)

export interface MemoryStorageOptions {
  /** Clock whose timers model write latency. Default none: every batch is durable when issued. */
  clock?: Clock
  /** Write latency per batch on `clock`. Default 0 (durable at the next event of the same instant). */
  latencyMs?: DiskLatency
  /** Chooses the bit `corrupt` flips when no bit is given. Default none: bit 0 of the middle byte. */
  rng?: Rng
  /** Names the store in error messages, e.g. the site id. Default 'memory'. */
  name?: string
}

/** The operations an injected I/O error can hit. */
export type StorageFaultOp = 'get' | 'batch' | 'entries'

export interface MemoryStorage extends Storage {
  /** Power cut of this handle's disk: drops every batch not yet durable, rejects its promise, and kills the open handle. */
  crash (): void
  /** A new handle on the same disk (its durable state), after `close()` or `crash()`; throws while this one is open. */
  reopen (): MemoryStorage
  /** Flips bit `bit` (default: one chosen by `rng`) of the durable value at `key`, as a disk fault would. */
  corrupt (key: string, bit?: number): void
  /** Makes the next `count` (default 1) calls of `op` fail with `storage-failed`, changing nothing. */
  failNext (op: StorageFaultOp, count?: number): void
  /** Replaces the write latency from now on (a disk turning slow, or recovering). */
  setLatency (latencyMs: DiskLatency): void
  /** Batches issued on this disk and not yet durable. */
  pendingBatches (): number
}

interface PendingBatch {
  ops: CheckedOp[]
  timer: Timer
  resolve: () => void
  reject: (e: unknown) => void
}

interface Disk {
  name: string
  clock: Clock | undefined
  rng: Rng | undefined
  latency: DiskLatency
  durable: SortedEntries
  /** Durable state plus every pending batch, in issue order: what reads see. */
  visible: SortedEntries
  pending: PendingBatch[]
  /** Monotonic time (on `clock`) at which the last issued batch becomes durable. */
  lastDurableAt: number
  faults: Map<StorageFaultOp, number>
  /** The handle currently open on this disk, if any (a disk takes one, like LevelDB's LOCK). */
  owner: { kill (): void } | undefined
}

/** A fresh, empty simulated disk and an open handle on it. */
export function createMemoryStorage (options: MemoryStorageOptions = {}): MemoryStorage {
  const disk: Disk = {
    name: options.name ?? 'memory',
    clock: options.clock,
    rng: options.rng,
    latency: checkLatency(options.latencyMs ?? 0),
    durable: createSortedEntries(),
    visible: createSortedEntries(),
    pending: [],
    lastDurableAt: -Infinity,
    faults: new Map(),
    owner: undefined
  }
  return openHandle(disk)
}

function openHandle (disk: Disk): MemoryStorage {
  if (disk.owner !== undefined) {
    throw new FlotillaError('storage-failed', `the simulated disk '${disk.name}' is already open`,
      'close or crash the open handle first; one process holds a store at a time, as with LevelDB\'s LOCK',
      { details: { name: disk.name, reason: 'locked' } })
  }
  let state: 'open' | 'closing' | 'closed' | 'crashed' = 'open'
  /** Promises of this handle's batches still pending, so close() can wait for them. */
  const inFlight = new Set<Promise<void>>()
  const handle: MemoryStorage = {
    async get (key: string): Promise<Uint8Array | undefined> {
      usable('get')
      const bytes = encodeKey(key)
      takeFault(disk, 'get')
      const e = disk.visible.get(bytes)
      return e === undefined ? undefined : e.value.slice()
    },

    batch (ops: readonly StorageOp[]): Promise<void> {
      const p = issue(ops)
      if (p === undefined) return Promise.resolve()
      inFlight.add(p)
      const forget = (): void => { inFlight.delete(p) }
      p.then(forget, forget)
      return p
    },

    async * entries (range?: StorageRange): AsyncIterable<[string, Uint8Array]> {
      usable('entries')
      const r = resolveRange(range)
      takeFault(disk, 'entries')
      // Like a LevelDB iterator, the iteration sees the store as it was when it started.
      for (const e of disk.visible.slice(r)) {
        usable('entries')
        yield [e.key, e.value.slice()]
      }
    },

    async close (): Promise<void> {
      if (state === 'closed') return
      if (state === 'crashed') throw crashedError(disk, 'close')
      state = 'closing'
      await Promise.allSettled([...inFlight])
      if ((state as string) === 'crashed') throw crashedError(disk, 'close')
      state = 'closed'
      disk.owner = undefined
    },

    crash (): void {
      crashDisk(disk)
      if (state !== 'closed') state = 'crashed'
    },

    reopen (): MemoryStorage {
      if (disk.owner === owner) {
        throw new FlotillaError('storage-failed', `the simulated disk '${disk.name}' is still open by this handle`,
          'close() or crash() it before reopening, as a restarted process would', { details: { name: disk.name, reason: 'locked' } })
      }
      return openHandle(disk)
    },

    corrupt (key: string, bit?: number): void {
      corruptValue(disk, key, bit)
    },

    failNext (op: StorageFaultOp, count = 1): void {
      if (!Number.isInteger(count) || count < 0) {
        throw new FlotillaError('input-invalid', `'count' must be a non-negative integer: received ${count}`, 'pass how many calls should fail')
      }
      disk.faults.set(op, (disk.faults.get(op) ?? 0) + count)
    },

    setLatency (latencyMs: DiskLatency): void {
      disk.latency = checkLatency(latencyMs)
    },

    pendingBatches (): number {
      return disk.pending.length
    }
  }
  const owner = { kill (): void { if (state !== 'closed') state = 'crashed' } }
  disk.owner = owner
  return handle

  function usable (op: string): void {
    if (state === 'crashed') throw crashedError(disk, op)
    if (state !== 'open') {
      throw new FlotillaError('store-closed', `storage ${op} after close (simulated disk '${disk.name}')`,
        'the site is shutting down or restarting; use the reopened store', { details: { name: disk.name, op } })
    }
  }

  /** Applies a batch to the visible state and schedules its durability; undefined when it is already durable. */
  function issue (ops: readonly StorageOp[]): Promise<void> | undefined {
    let checked: CheckedOp[]
    let latency: number
    try {
      usable('batch')
      // Copied once here: the caller may reuse its buffers as soon as batch() returns.
      checked = checkBatch(ops).map((op) => op.type === 'put' ? { ...op, value: op.value.slice() } : op)
      takeFault(disk, 'batch')
      latency = disk.clock === undefined ? 0 : sampleLatency(disk)
    } catch (e) {
      return Promise.reject(e)
    }
    if (checked.length === 0) return undefined
    apply(disk.visible, checked)
    const clock = disk.clock
    if (clock === undefined) {
      apply(disk.durable, checked)
      return undefined
    }
    const now = clock.monotonicMs()
    disk.lastDurableAt = Math.max(disk.lastDurableAt, now + latency)
    const delay = Math.max(0, disk.lastDurableAt - now)
    return new Promise<void>((resolve, reject) => {
      const batch: PendingBatch = { ops: checked, resolve, reject, timer: { cancel () {} } }
      disk.pending.push(batch)
      batch.timer = clock.setTimer(delay, () => { makeDurableThrough(disk, batch) })
    })
  }
}

/** Durability is in issue order: when a batch is durable, so is every batch issued before it. */
function makeDurableThrough (disk: Disk, last: PendingBatch): void {
  if (!disk.pending.includes(last)) return
  for (;;) {
    const b = disk.pending.shift()
    if (b === undefined) return
    b.timer.cancel()
    apply(disk.durable, b.ops)
    b.resolve()
    if (b === last) return
  }
}

function crashDisk (disk: Disk): void {
  const lost = disk.pending
  disk.pending = []
  disk.visible = disk.durable.clone()
  disk.lastDurableAt = -Infinity
  const owner = disk.owner
  disk.owner = undefined
  owner?.kill()
  for (const b of lost) {
    b.timer.cancel()
    b.reject(new FlotillaError('storage-failed', `batch lost in a simulated crash of '${disk.name}' before it was durable`,
      'the site crashed; the batch never happened and must not be acknowledged', { details: { name: disk.name, reason: 'crashed' } }))
  }
}

function apply (entries: SortedEntries, ops: CheckedOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') entries.set({ key: op.text, bytes: op.key, value: op.value })
    else entries.delete(op.key)
  }
}

function corruptValue (disk: Disk, key: string, bit: number | undefined): void {
  const bytes = encodeKey(key)
  const stored = disk.durable.get(bytes)
  if (stored === undefined || stored.value.length === 0) {
    throw new FlotillaError('input-invalid', `no durable non-empty value at ${JSON.stringify(key)} on '${disk.name}' to corrupt`,
      'corrupt a key whose batch has become durable (run the clock past its write latency first)')
  }
  const bits = stored.value.length * 8
  const chosen = bit ?? (disk.rng === undefined ? Math.floor(stored.value.length / 2) * 8 : Math.floor(disk.rng.nextFloat() * bits))
  if (!Number.isInteger(chosen) || chosen < 0 || chosen >= bits) {
    throw new FlotillaError('input-invalid', `'bit' must be an integer in [0, ${bits}): received ${chosen}`, 'pick a bit inside the stored value')
  }
  const value = stored.value.slice()
  value[chosen >>> 3] = (value[chosen >>> 3] ?? 0) ^ (1 << (chosen & 7))
  const damaged = { key: stored.key, bytes: stored.bytes, value }
  // Reads see the damage unless a pending batch has already replaced the value.
  if (disk.visible.get(bytes)?.value === stored.value) disk.visible.set(damaged)
  disk.durable.set(damaged)
}

function takeFault (disk: Disk, op: StorageFaultOp): void {
  const left = disk.faults.get(op) ?? 0
  if (left === 0) return
  disk.faults.set(op, left - 1)
  throw new FlotillaError('storage-failed', `injected I/O error on ${op} of simulated disk '${disk.name}'`,
    'a fault injected by the simulator; the operation changed nothing', { details: { name: disk.name, op, reason: 'injected' } })
}

function crashedError (disk: Disk, op: string): FlotillaError {
  return new FlotillaError('storage-failed', `storage ${op} on a handle that died in a simulated crash of '${disk.name}'`,
    'this process crashed; the restarted site must use reopen()', { details: { name: disk.name, op, reason: 'crashed' } })
}

function checkLatency (latency: DiskLatency): DiskLatency {
  if (typeof latency === 'function') return latency
  if (!Number.isFinite(latency) || latency < 0) {
    throw new FlotillaError('input-invalid', `'latencyMs' must be a finite non-negative number: received ${latency}`, 'pass 0 for an instant disk')
  }
  return latency
}

function sampleLatency (disk: Disk): number {
  const ms = typeof disk.latency === 'function' ? disk.latency() : disk.latency
  if (!Number.isFinite(ms) || ms < 0) {
    throw new FlotillaError('input-invalid', `the disk latency sampler must return a finite non-negative number: received ${ms}`,
      'fix the latencyMs sampler passed to the memory storage')
  }
  return ms
}
