/**
 * Progress of a long operation (a large apply, a bootstrap sync). On a terminal it draws
 * one bar on stderr, redrawn in place at most every 50 ms, and keeps it below the result
 * lines the command prints to stdout; elsewhere (a pipe, a log, CI) it draws nothing, so
 * output stays plain lines.
 */
import type { CliStreams } from '../output.ts'

export interface Progress {
  /** Sets how far the operation is (`done` of `total`) and what it is doing now. */
  update (done: number, total: number, label?: string): void
  /** Prints one result line (stdout, or stderr for errors) without tearing the bar. */
  line (text: string, to?: 'out' | 'err'): void
  /** Removes the bar. */
  finish (): void
}

const WIDTH = 28
const CLEAR = '\r\x1b[K'

/** The bar as text, e.g. `[##########------------------]  36% 36/100 applying web`. */
export function progressBar (done: number, total: number, label = ''): string {
  const frac = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total))
  const filled = Math.round(frac * WIDTH)
  const pct = `${Math.floor(frac * 100)}%`.padStart(4)
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${pct} ${done}/${total}${label === '' ? '' : ` ${label}`}`
}

export function createProgress (streams: CliStreams, options: { enabled?: boolean } = {}): Progress {
  const draw = streams.errIsTTY === true && options.enabled !== false
  let shown = ''
  let lastDraw = 0
  let state = { done: 0, total: 0, label: '' }
  const render = (force: boolean): void => {
    if (!draw) return
    const now = Date.now()
    if (!force && now - lastDraw < 50) return
    lastDraw = now
    const columns = process.stderr.columns ?? 100
    shown = progressBar(state.done, state.total, state.label).slice(0, Math.max(20, columns - 1))
    streams.err(CLEAR + shown)
  }
  return {
    update (done, total, label = '') {
      state = { done, total, label }
      render(done >= total)
    },
    line (text, to = 'out') {
      if (draw && shown !== '') streams.err(CLEAR)
      streams[to](text.endsWith('\n') ? text : `${text}\n`)
      if (draw && shown !== '') render(true)
    },
    finish () {
      if (draw && shown !== '') streams.err(CLEAR)
      shown = ''
    }
  }
}
