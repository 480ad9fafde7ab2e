/**
 * One document's Automerge value with deferred materialisation. `A.applyChanges` does two
 * things: it applies the changes to the document's history (the wasm backend) and then
 * computes patches and rebuilds the changed parts of the plain JS value. The second step
 * costs about as much as the first for one small change and about three times as much
 * for a batch (measured with Automerge 3.5), much of it per call (it copies the objects
 * on each patched path), so it is paid once per read instead of once per received batch:
 * a site reads its documents once per tick, while changes arrive in many small batches.
 *
 * `apply` does the first step at once, so the history, heads and saved bytes are always
 * current; the value catches up, with one set of patches for everything applied since,
 * on the next `value()`. That second step is exactly the tail of `A.applyChanges`
 * (Automerge 3's `progressDocument`), which is not exported: this module reaches the
 * document's internal state, and only this module does. A self-check on first use
 * compares the deferred path with `A.applyChanges`; if this Automerge build does not
 * behave as expected, every `apply` falls back to `A.applyChanges` (correct, slower).
 *
 * A value handed out before an `apply` stays a consistent snapshot, exactly as after
 * `A.applyChanges`: it is marked outdated at its own heads (so `A.change` refuses it and
 * `A.getHeads` reports what it shows).
 */
import * as A from '@automerge/automerge'

export interface MaterialisedDoc {
  /** The value with every applied change in it (patched first if it lags). */
  value (): A.Doc<unknown>
  /** Applies changes to the history now; the value catches up on the next `value()`. */
  apply (changes: readonly ChangeToApply[]): void
  /** `apply`, and the value caught up at once (where it is read next anyway, e.g. at load). */
  applyNow (changes: readonly ChangeToApply[]): A.Doc<unknown>
  /** Replaces the value after a local `A.change` on `value()`. */
  set (doc: A.Doc<unknown>): void
  /** Heads of the applied history, whether or not the value caught up. */
  heads (): string[]
  /** `A.save` of the applied history. */
  save (): Uint8Array
  /** Changes applied since the value last caught up. */
  lagging (): number
  /**
   * Until `release`, `visible()` shows the value as it is now (or nothing, if `hidden`):
   * changes applied meanwhile are not durable yet, and readers must not see them.
   */
  hold (hidden?: boolean): void
  release (): void
  /** What readers may see: `value()`, or while held, what it was at `hold`. */
  visible (): A.Doc<unknown> | undefined
}

export interface ChangeToApply {
  change: Uint8Array
  /** Its op count (from its header): applies are split by ops. */
  ops: number
}

/**
 * Most ops handed to Automerge in one `applyChanges`. Measured with Automerge 3.5 (see
 * docs/data-model.md, "Loaded documents"): the build cost per change is the same for
 * any batch size, but a document built from batches of several thousand ops often makes
 * every later small change cost milliseconds (large column slabs, wasm heap growth),
 * where one built from batches of about a thousand ops keeps them near 0.1 ms.
 */
export const MAX_OPS_PER_APPLY = 1000

/** `changes` in runs of at most MAX_OPS_PER_APPLY ops (a larger change goes alone), in order. */
function * chunks (changes: readonly ChangeToApply[]): Generator<Uint8Array[]> {
  let run: Uint8Array[] = []
  let ops = 0
  for (const c of changes) {
    if (run.length > 0 && ops + c.ops > MAX_OPS_PER_APPLY) {
      yield run
      run = []
      ops = 0
    }
    run.push(c.change)
    ops += c.ops
  }
  if (run.length > 0) yield run
}

/** The parts of Automerge 3's internal document state this module relies on. */
interface Backend {
  getHeads (): string[]
  applyChanges (changes: Uint8Array[]): void
  applyAndReturnPatches (doc: unknown, meta: unknown): { value: unknown, patches: unknown[] }
}
interface DocState {
  handle: Backend
  heads: string[] | undefined
  patchCallback?: unknown
  mostRecentPatch?: unknown
}

const STATE = Symbol.for('_am_meta')

function stateOf (doc: unknown): DocState | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined
  const st = Reflect.get(doc, STATE) as Partial<DocState> | undefined
  if (typeof st !== 'object' || st === null) return undefined
  const h = st.handle as Partial<Backend> | undefined
  if (h === undefined || typeof h.getHeads !== 'function' || typeof h.applyChanges !== 'function' || typeof h.applyAndReturnPatches !== 'function') return undefined
  if (st.heads !== undefined && !Array.isArray(st.heads)) return undefined
  return st as DocState
}

/** Whether `doc` can take the deferred path: a current root value without a patch callback. */
function deferrable (doc: A.Doc<unknown>): DocState | undefined {
  const st = stateOf(doc)
  if (st === undefined || st.heads !== undefined || st.patchCallback != null) return undefined
  if (A.getBackend(doc) !== st.handle) return undefined
  return st
}

/** The tail of `A.applyChanges`: patches `doc` (outdated at `before`) up to its backend. */
function catchUp (doc: A.Doc<unknown>, before: string[]): A.Doc<unknown> {
  const st = stateOf(doc)!
  const next: DocState = { ...st, heads: undefined }
  const { value, patches } = st.handle.applyAndReturnPatches(doc, next)
  if (patches.length > 0) {
    const after = stateOf(value)
    if (after !== undefined) after.mostRecentPatch = { before, after: after.handle.getHeads(), patches }
  }
  return value as A.Doc<unknown>
}

let supported: boolean | undefined

/**
 * Checks once that the deferred path gives what `A.applyChanges` gives: the same value,
 * the same heads, and an outdated earlier value that still reports its own heads.
 */
function deferredSupported (): boolean {
  if (supported !== undefined) return supported
  try {
    const source = A.change(A.init<Record<string, unknown>>({ actor: 'aa' }), { time: 0 }, (d) => { d['a'] = { b: 1 }; d['c'] = 'x' })
    const later = A.change(source, { time: 0 }, (d) => { (d['a'] as Record<string, unknown>)['b'] = 2; d['e'] = [1, 2] })
    const changes = A.getAllChanges(later)
    const [eager] = A.applyChanges(A.init<unknown>({ actor: 'bb' }), changes)
    const lazyBase = A.applyChanges(A.init<unknown>({ actor: 'bb' }), changes.slice(0, 1))[0]
    const baseHeads = A.getHeads(lazyBase)
    const md = build(lazyBase, () => true)
    md.apply(changes.slice(1).map((change) => ({ change, ops: 1 })))
    let refused = false
    try { A.change(lazyBase as A.Doc<Record<string, unknown>>, (d) => { d['z'] = 1 }) } catch { refused = true }
    const lazy = md.value()
    supported = refused &&
      JSON.stringify(A.getHeads(lazyBase)) === JSON.stringify(baseHeads) &&
      JSON.stringify(A.toJS(lazy)) === JSON.stringify(A.toJS(eager)) &&
      JSON.stringify(A.getHeads(lazy)) === JSON.stringify(A.getHeads(eager)) &&
      JSON.stringify(md.heads()) === JSON.stringify(A.getHeads(eager)) &&
      A.change(lazy as A.Doc<Record<string, unknown>>, (d) => { d['z'] = 1 }) !== lazy
  } catch {
    supported = false
  }
  return supported
}

export function createMaterialisedDoc (initial: A.Doc<unknown>): MaterialisedDoc {
  return build(initial, deferredSupported)
}

function build (initial: A.Doc<unknown>, canDefer: () => boolean): MaterialisedDoc {
  let doc = initial
  /** Heads of `doc` while it lags its backend; undefined when current. */
  let behind: string[] | undefined
  let lag = 0
  let held = false
  let shown: A.Doc<unknown> | undefined

  function value (): A.Doc<unknown> {
    if (behind !== undefined) {
      doc = catchUp(doc, behind)
      behind = undefined
      lag = 0
    }
    return doc
  }

  function apply (changes: readonly ChangeToApply[]): void {
    if (changes.length === 0) return
    if (behind === undefined) {
      const st = canDefer() ? deferrable(doc) : undefined
      if (st === undefined) {
        for (const chunk of chunks(changes)) doc = A.applyChanges(doc, chunk)[0]
        return
      }
      // As A.applyChanges does before it patches: the old value now shows its own heads.
      st.heads = behind = st.handle.getHeads()
    }
    const backend = stateOf(doc)!.handle
    for (const chunk of chunks(changes)) {
      backend.applyChanges(chunk)
      lag += chunk.length
    }
  }

  return {
    value,
    apply,
    applyNow (changes) {
      if (behind !== undefined) {
        apply(changes)
        return value()
      }
      for (const chunk of chunks(changes)) doc = A.applyChanges(doc, chunk)[0]
      return doc
    },
    set (next) {
      doc = next
      behind = undefined
      lag = 0
    },
    heads: () => A.getBackend(doc).getHeads(),
    save: () => A.getBackend(doc).save(),
    lagging: () => lag,
    hold (hidden = false) {
      if (held) return
      held = true
      shown = hidden ? undefined : doc
    },
    release () {
      held = false
      shown = undefined
    },
    visible: () => held ? shown : value()
  }
}
