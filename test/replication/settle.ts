/**
 * Waits until a manual fabric is quiet for real: `fabric.settle()` stops once no frame is
 * queued after a few event-loop turns, but a store ingest (signature checks, snapshot,
 * storage promises) can take longer than that on a loaded machine, and the frames it
 * causes would then be missed. This repeats settle with short real-time pauses until two
 * rounds in a row delivered nothing and `busy` (e.g. sessions still open) says nothing is
 * under way (bounded).
 */
import type { ManualFabric } from '../support/manual-network.ts'

export async function quiesce (fabric: ManualFabric, busy: () => boolean = () => false, maxRounds = 400): Promise<void> {
  let quiet = 0
  for (let i = 0; i < maxRounds && quiet < 2; i++) {
    const delivered = await fabric.settle()
    quiet = delivered === 0 && !busy() ? quiet + 1 : 0
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
