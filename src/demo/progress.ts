/**
 * Start-up progress for `npm start`: one line per milestone (sites up, peers connected,
 * clusters Ready, sample deployed, sample Ready) with what was seen and how long it took
 * since the start. On a terminal the line of the running step is redrawn as its state
 * changes ("4 of 5 sample workloads Ready..."); elsewhere (tests, pipes, the benchmark)
 * only finished steps are printed, so the output stays readable as a log.
 */

export interface ProgressOutput {
  write: (text: string) => void
  /** Redraw the current line in place (a terminal). Default false. */
  live?: boolean
  /** Milliseconds since the start (default: since `createProgress`). */
  elapsedMs?: () => number
}

export interface Progress {
  /** Runs one milestone; `update` shows what it currently sees. Its result's `detail` ends the line. */
  step<T> (name: string, run: (update: (detail: string) => void) => Promise<{ value: T, detail: string }>): Promise<T>
  /** A line of its own (notes, warnings), never lost in a redraw. */
  line (text: string): void
}

const NAME_WIDTH = 17

export function formatSeconds (ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export function createProgress (output: ProgressOutput): Progress {
  const t0 = performance.now()
  const elapsed = output.elapsedMs ?? (() => performance.now() - t0)
  let drawn = false
  const clear = (): void => {
    if (drawn) output.write('\r\x1b[K')
    drawn = false
  }
  return {
    async step (name, run) {
      const label = name.padEnd(NAME_WIDTH)
      const draw = (detail: string): void => {
        if (output.live !== true) return
        const width = (process.stdout.columns ?? 100) - 4
        const text = `  … ${label} ${detail}`
        clear()
        output.write(text.length > width ? `${text.slice(0, width - 1)}…` : text)
        drawn = true
      }
      draw('')
      try {
        const { value, detail } = await run(draw)
        clear()
        output.write(`  ✓ ${label} ${detail} (${formatSeconds(elapsed())})\n`)
        return value
      } catch (e) {
        clear()
        output.write(`  ✗ ${label} failed after ${formatSeconds(elapsed())}\n`)
        throw e
      }
    },
    line (text) {
      clear()
      output.write(text.endsWith('\n') ? text : `${text}\n`)
    }
  }
}
