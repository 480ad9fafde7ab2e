/**
 * The production `Storage` adapter on LevelDB (`level`, i.e. classic-level). Keys are
 * stored as their UTF-8 bytes and values as raw bytes, so iteration order is LevelDB's
 * bytewise order and binary values round-trip untouched. A batch is one LevelDB
 * WriteBatch (atomic), written with `sync` (fsync) by default so an acknowledged batch
 * survives a power cut, not only a killed process. Every failure of LevelDB or the file
 * system surfaces as `storage-failed` with a hint; nothing is ever turned into "not found".
 */
import { Level, type BatchOperation } from 'level'
import { FlotillaError } from '../model/errors.ts'
import type { Storage, StorageOp, StorageRange } from '../ports/storage.ts'
import { checkOps, decodeKey, encodeKey, resolveRange } from './key-range.ts'

export interface LevelStorageOptions {
  /** fsync each batch before acknowledging it (survives power loss, not just a kill). Default true. */
  sync?: boolean
}

/** Entries fetched from LevelDB per round trip while iterating. */
const ITERATION_CHUNK = 256

/** Opens (creating if missing) the LevelDB store in directory `path`. */
export async function openLevelStorage (path: string, options: LevelStorageOptions = {}): Promise<Storage> {
  const sync = options.sync ?? true
  let db: Level<Uint8Array, Uint8Array>
  try {
    db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
  } catch (e) {
    throw openError(path, e)
  }
  let closed = false

  const ensureOpen = (op: string): void => {
    if (closed) {
      throw new FlotillaError('store-closed', `storage ${op} after close (${path})`,
        'the site is shutting down or restarting; retry against the reopened store', { details: { path, op } })
    }
  }
  const fail = (op: string, e: unknown): FlotillaError => closed
    ? new FlotillaError('store-closed', `storage ${op} interrupted by close (${path})`,
      'the store was closed while the operation ran; retry against the reopened store', { cause: e, details: { path, op } })
    : ioError(path, op, e)

  return {
    async get (key: string): Promise<Uint8Array | undefined> {
      ensureOpen('get')
      const k = encodeKey(key)
      let value: Uint8Array | undefined
      try {
        value = await db.get(k)
      } catch (e) {
        throw fail('get', e)
      }
      return value === undefined ? undefined : asPlainBytes(value)
    },

    async batch (ops: readonly StorageOp[]): Promise<void> {
      ensureOpen('batch')
      checkOps(ops)
      if (ops.length === 0) return
      // Checked keys go to LevelDB as strings ('utf8'): it encodes them natively to the
      // same bytes TextEncoder gives, at a fraction of the cost for a batch of hundreds.
      // Fresh op objects, so nothing but type, key and value reaches `level`.
      const levelOps = new Array<BatchOperation<typeof db, string, Uint8Array>>(ops.length)
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!
        levelOps[i] = op.type === 'put' ? { type: 'put', key: op.key, value: op.value } : { type: 'del', key: op.key }
      }
      try {
        await db.batch<string, Uint8Array>(levelOps, { sync, keyEncoding: 'utf8' })
      } catch (e) {
        throw fail('batch', e)
      }
    },

    async * entries (range?: StorageRange): AsyncIterable<[string, Uint8Array]> {
      ensureOpen('entries')
      const r = resolveRange(range)
      if (r.empty) return
      const it = db.iterator({
        ...(r.gte === undefined ? {} : { gte: r.gte }),
        ...(r.lt === undefined ? {} : { lt: r.lt }),
        reverse: r.reverse,
        limit: r.limit === Infinity ? -1 : r.limit
      })
      let failed = false
      try {
        for (;;) {
          let chunk: Array<[Uint8Array, Uint8Array]>
          try {
            chunk = await it.nextv(ITERATION_CHUNK)
          } catch (e) {
            failed = true
            throw fail('entries', e)
          }
          if (chunk.length === 0) return
          for (const [k, v] of chunk) yield [decodeKey(k), asPlainBytes(v)]
        }
      } finally {
        try {
          await it.close()
        } catch (e) {
          // An earlier failure is the one to report; a close failure after a clean read (or an early
          // break by the consumer) is an I/O error in its own right and must not vanish.
          // eslint-disable-next-line no-unsafe-finally
          if (!failed && !closed) throw ioError(path, 'entries', e)
        }
      }
    },

    async close (): Promise<void> {
      if (closed) return
      closed = true
      try {
        await db.close()
      } catch (e) {
        throw ioError(path, 'close', e)
      }
    }
  }
}

/** LevelDB hands back Buffers (often slices of a shared pool); callers get a plain Uint8Array view. */
function asPlainBytes (b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

function errorCode (e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function rootCause (e: unknown): unknown {
  let cur = e
  for (let i = 0; i < 5; i++) {
    const next = (cur as { cause?: unknown } | null)?.cause
    if (next === undefined || next === null) return cur
    cur = next
  }
  return cur
}

function messageOf (e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function openError (path: string, e: unknown): FlotillaError {
  const cause = rootCause(e)
  const code = errorCode(cause)
  const details = { path, op: 'open', levelCode: code ?? errorCode(e) }
  if (code === 'LEVEL_LOCKED') {
    return new FlotillaError('storage-failed',
      `the data dir ${path} is locked: another process holds its LevelDB LOCK`,
      'another Flotilla site process is most likely running with this data dir; stop it first, or give this site its own data dir',
      { cause: e, details: { ...details, reason: 'locked' } })
  }
  if (code === 'LEVEL_CORRUPTION') {
    return new FlotillaError('storage-failed', `the store in ${path} is corrupt: ${messageOf(cause)}`,
      'the LevelDB files are damaged; move the data dir aside and let the site resync from its peers, or restore it from a backup',
      { cause: e, details: { ...details, reason: 'corrupt' } })
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new FlotillaError('storage-failed', `cannot open the store in ${path}: ${messageOf(cause)}`,
      'the site process may not write its data dir; fix the directory owner and permissions, or choose another data dir',
      { cause: e, details: { ...details, reason: 'permission' } })
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return new FlotillaError('storage-failed', `cannot open the store in ${path}: ${messageOf(cause)}`,
      'the data dir path (or one of its parents) is a file, not a directory; choose another data dir',
      { cause: e, details: { ...details, reason: 'not-a-directory' } })
  }
  return new FlotillaError('storage-failed', `cannot open the store in ${path}: ${messageOf(cause)}`,
    'check that the data dir exists on a healthy, writable disk with free space',
    { cause: e, details })
}

function ioError (path: string, op: string, e: unknown): FlotillaError {
  const cause = rootCause(e)
  const code = errorCode(cause) ?? errorCode(e)
  const hint = code === 'LEVEL_CORRUPTION'
    ? 'the LevelDB files are damaged; stop the site, move the data dir aside and let it resync from its peers, or restore a backup'
    : 'the disk under the data dir failed (full, read-only, removed or faulty); check it and restart the site'
  return new FlotillaError('storage-failed', `storage ${op} failed in ${path}: ${messageOf(cause)}`, hint,
    { cause: e, details: { path, op, levelCode: code } })
}
