/**
 * Builds the first JS value of a document whose history arrived before anyone read it
 * (a site joining a federation, or meeting a document for the first time): Automerge's
 * own catch-up (`A.applyChanges(doc, [])`) also hands every patch back to JS and keeps
 * them on the new value for `A.diff`, which for a whole document is as costly as building
 * the value itself, and nobody reads them: the view extracts a document it meets for the
 * first time in full. This does the same catch-up without exporting the patches.
 *
 * It steps inside Automerge's document state (`Symbol.for('_am_meta')`, the handle's
 * `applyPatches`), which Automerge itself uses to clone; the version is pinned by the
 * lock file, any change there makes `firstValue` fall back to the public call, and
 * test/store/first-value.test.ts fails on it so that the fallback is noticed.
 */
import * as A from '@automerge/automerge'

const STATE = Symbol.for('_am_meta')

interface DocState {
  handle: { getHeads: () => string[], applyPatches?: (doc: unknown, meta: unknown) => unknown }
  heads?: string[]
  mostRecentPatch?: unknown
}

function stateOf (doc: A.Doc<unknown>): DocState | undefined {
  const state = Reflect.get(doc as object, STATE) as DocState | undefined
  return state !== undefined && typeof state.handle?.applyPatches === 'function' ? state : undefined
}

/** Whether this Automerge exposes what `firstValue` needs. */
export function firstValueSupported (doc: A.Doc<unknown>): boolean {
  return stateOf(doc) !== undefined
}

/**
 * `doc` caught up with everything applied to its backend, as `A.applyChanges(doc, [])[0]`
 * returns it, minus the exported patches. `doc` becomes an outdated snapshot, as there.
 */
export function firstValue (doc: A.Doc<unknown>): A.Doc<unknown> {
  const state = stateOf(doc)
  if (state === undefined) return A.applyChanges(doc, [])[0]
  const heads = state.handle.getHeads()
  const next = state.handle.applyPatches!(doc, { ...state, heads: undefined, mostRecentPatch: undefined }) as A.Doc<unknown>
  state.heads = heads
  return next
}
