/**
 * One document's Automerge value, with received changes applied to its history at once
 * and to its plain JS value on the next read. `A.applyChanges` does both in one call, and
 * the second part (patches, then new JS objects along every patched path) costs about
 * twice the first for small records (Automerge 3.5, measured in bench/suites/store.ts).
 * A site reads each document once per controller tick while changes arrive in many small
 * batches, so the value catches up once per read instead of once per batch.
 *
 * Public Automerge API does the rest: changes go to the document's backend
 * (`A.getBackend(doc).applyChanges`), and `A.applyChanges(doc, [])` later patches the
 * value with everything applied since it last caught up (Automerge diffs from a cursor
 * it keeps per backend). A value handed to a reader is sealed first, by that same call
 * with nothing pending: it becomes an outdated snapshot at its own heads, exactly as
 * after `A.applyChanges`, so `A.change` refuses it and `A.getHeads` reports what it shows.
 *
 * A value that never showed anything (a document met for the first time) is built
 * without handing the patches to JS (`first-value.ts`): the view reads such a document
 * in full, and exporting a whole document's patches cost as much as building it.
 *
 * A lagging value is always patched, never rebuilt with one `A.load` of its history,
 * although that load is cheaper: a document loaded in one piece keeps its columns in
 * large slabs, and every later change applied to it costs milliseconds instead of
 * a tenth of one (docs/data-model.md, "Loaded documents").
 */
import * as A from '@automerge/automerge'
import { firstValue } from './first-value.ts'

export interface ChangeToApply {
  env: { change: Uint8Array }
  /** Its op count (from its header): applies are split by ops. */
  ops: number
}

export interface DocumentValue {
  /** The value with every applied change in it (catching up first if it lags). */
  read (): A.Doc<unknown>
  /** Applies changes to the history now; the value catches up on the next `read`. */
  apply (changes: readonly ChangeToApply[]): void
  /** Takes the value a local `A.change` on `read()` returned. */
  replace (doc: A.Doc<unknown>): void
  /** Heads of the applied history, whether or not the value caught up. */
  heads (): string[]
  /** `A.save` of the applied history, whether or not the value caught up. */
  save (): Uint8Array
  /** Changes applied that the value does not show yet. */
  lagging (): number
}

/**
 * Most ops handed to Automerge in one call. Each call has a fixed cost, so larger runs
 * apply faster (10,000 one-workload changes of ~7 ops, 500 per batch: ≈ 47 µs a change in
 * runs of 1,000 ops, ≈ 39 µs in runs of 4,000), but a document built from runs of 8,000
 * ops or more makes every later small change slower (0.57-0.6 ms instead of 0.4 ms at
 * 10,000 workloads, p90 up to 1.7 ms: larger column slabs, see docs/data-model.md,
 * "Loaded documents"). 4,000 keeps later changes where runs of 1,000 left them.
 */
export const MAX_OPS_PER_APPLY = 4000

function * runs (changes: readonly ChangeToApply[]): Generator<Uint8Array[]> {
  let run: Uint8Array[] = []
  let ops = 0
  for (const c of changes) {
    if (run.length > 0 && ops + c.ops > MAX_OPS_PER_APPLY) {
      yield run
      run = []
      ops = 0
    }
    run.push(c.env.change)
    ops += c.ops
  }
  if (run.length > 0) yield run
}

export function createDocumentValue (initial: A.Doc<unknown>): DocumentValue {
  let doc = initial
  /** Changes applied since `doc` was last read: while 0, a reader may hold `doc`. */
  let lag = 0
  /** Whether the value ever showed a change; until then nobody can want its patches. */
  let shown = A.getHeads(initial).length > 0

  return {
    read () {
      if (lag > 0) {
        doc = shown ? A.applyChanges(doc, [])[0] : firstValue(doc)
        shown = true
        lag = 0
      }
      return doc
    },

    apply (changes) {
      if (changes.length === 0) return
      // A value a reader may hold is sealed first, at its own heads.
      if (lag === 0) [doc] = A.applyChanges(doc, [])
      const backend = A.getBackend(doc)
      for (const run of runs(changes)) backend.applyChanges(run)
      lag += changes.length
    },

    replace (next) {
      doc = next
      shown = true
      lag = 0
    },

    heads: () => A.getHeads(doc),
    save: () => A.save(doc),
    lagging: () => lag
  }
}
