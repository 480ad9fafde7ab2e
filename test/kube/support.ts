/**
 * Shared pieces of the driver tests: an emulated cluster over HTTP with a push driver
 * bound to it, tuned for short tests (small backoffs), and real-time helpers.
 */
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createPushDriver, type PushDriverOptions } from '../../src/kube/push-driver.ts'
import type { ReconcilingDriver } from '../../src/kube/reconciler.ts'
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../sim/kube/index.ts'

export const systemClock = createSystemClock()

export const FAST: Pick<PushDriverOptions, 'retryBaseMs' | 'retryMaxMs' | 'watchBackoffMaxMs' | 'probeMs' | 'requestTimeoutMs'> = {
  retryBaseMs: 100, retryMaxMs: 1_000, watchBackoffMaxMs: 300, probeMs: 300, requestTimeoutMs: 3_000
}

export function pause (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms) })
}

/** Polls `check` until it returns a value, for at most `ms` of real time. */
export async function waitFor<T> (what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`not ${what} within ${ms} ms`)
    await pause(25)
  }
}

export interface PushedCluster {
  emulator: KubeEmulator
  driver: ReconcilingDriver
  close (): Promise<void>
}

export async function pushedCluster (emulatorOptions: KubeEmulatorOptions = {}, driverOptions: Partial<PushDriverOptions> = {}): Promise<PushedCluster> {
  const emulator = await startKubeEmulator({ adminPort: false, readyDelayMs: 0, ...emulatorOptions })
  const driver = createPushDriver({ name: 'member-1', kubeconfig: { yaml: emulator.kubeconfig }, clock: systemClock, logger: silentLogger, ...FAST, ...driverOptions })
  return {
    emulator,
    driver,
    async close () {
      await driver.stop()
      await emulator.close()
    }
  }
}
