/**
 * The site's boot counter: read, incremented and persisted at every start, so the
 * counters of this boot's heartbeats start above every earlier boot's and peers never
 * take them for replays.
 */
import { FlotillaError } from '../model/errors.ts'
import type { Storage } from '../ports/storage.ts'

const BOOTS_KEY = 'meta/site-boots'

/** Reads, increments and persists the boot counter (heartbeat counters start above every earlier boot's). */
export async function nextBoot (storage: Storage): Promise<number> {
  const raw = await storage.get(BOOTS_KEY)
  const boot = raw === undefined ? 1 : Number(Buffer.from(raw).toString('utf8')) + 1
  if (!Number.isSafeInteger(boot) || boot < 1) {
    throw new FlotillaError('corrupt-record', `boot counter at ${BOOTS_KEY} is unreadable`, 'Delete that key only if no other copy of this site ever ran; heartbeats would otherwise look like replays.')
  }
  await storage.batch([{ type: 'put', key: BOOTS_KEY, value: new Uint8Array(Buffer.from(String(boot))) }])
  return boot
}
