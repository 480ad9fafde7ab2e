/**
 * How a long-running command (`site`, `agent run`, `kube-emulator`) learns it should stop:
 * the first SIGINT or SIGTERM. The listeners go as soon as one arrives, so a second
 * Ctrl-C during a slow shutdown falls to Node's default and ends the process.
 */

/** Resolves with the name of the first SIGINT or SIGTERM. */
export function untilSignal (): Promise<string> {
  return new Promise((done) => {
    const on = (sig: string): void => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      done(sig)
    }
    const onInt = (): void => on('SIGINT')
    const onTerm = (): void => on('SIGTERM')
    process.once('SIGINT', onInt)
    process.once('SIGTERM', onTerm)
  })
}
