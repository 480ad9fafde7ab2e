/**
 * V8 settings every site process runs with. Automerge is one large WebAssembly module,
 * and V8 compiles its functions lazily, on the main thread, at each one's first call: a
 * site's first received changes paid for compiling Automerge's apply path in the middle
 * of verifying and applying them. Compiled when the module loads instead (≈ 30 ms and
 * ≈ 12 MB more at start), a fresh process verified and applied its first 5,000 received
 * changes ≈ 5 % faster (`npm run -s bench -- store`).
 */
import { setFlagsFromString } from 'node:v8'

export const SITE_V8_FLAGS: readonly string[] = ['--no-wasm-lazy-compilation']

/**
 * Sets `SITE_V8_FLAGS` in this process. Call it before anything imports Automerge: the
 * flag applies to WebAssembly modules compiled after it. Processes this one starts get
 * the flags on their command line instead (`[...SITE_V8_FLAGS, entry]`).
 */
export function applySiteV8Flags (): void {
  for (const flag of SITE_V8_FLAGS) setFlagsFromString(flag)
}
