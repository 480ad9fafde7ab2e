/**
 * The site's event log (failovers, migrations, degradations ...) in its site document:
 * a ring of the last `EVENT_RING` events. `events.next` counts every event ever
 * appended; event n sits in slot n mod EVENT_RING (bucketed by slot), and its id is
 * `<site>#<n>`, unique for the life of the document.
 */
import { ImmutableString, type Doc } from '@automerge/automerge'
import type { FederationEvent, SiteId } from '../../model/federation.ts'
import { BUCKETS } from './bucket.ts'
import { canonicalJson } from './canonical-json.ts'
import { parseJsonScalar } from './fields.ts'
import { checkEventSlot, type EventSlot } from './records.ts'
import { schemaState, SITE_SCHEMA } from './schema.ts'
import { writerSite, type SiteDoc } from './site-doc.ts'
import { expectCount, malformed, own } from './validate.ts'

/** Events kept per site document. */
export const EVENT_RING = 1000
const SLOTS_PER_BUCKET = Math.ceil(EVENT_RING / BUCKETS.events)

export type NewEvent = Omit<FederationEvent, 'id' | 'site' | 'seq'>

export function eventSlotBucket (slot: number): string {
  return Math.floor(slot / SLOTS_PER_BUCKET).toString(16).padStart(2, '0')
}

export function eventId (site: SiteId, seq: number): string {
  return `${site}#${seq}`
}

/** Appends an event, overwriting the oldest once the ring is full; returns it as stored. */
export function appendEvent (d: SiteDoc, ev: NewEvent): FederationEvent {
  const site = writerSite(d)
  const seq = d.events.next
  const slot = seq % EVENT_RING
  const stored: EventSlot = { ...ev, seq }
  const bucketName = eventSlotBucket(slot)
  if (d.events.slots[bucketName] === undefined) d.events.slots[bucketName] = {}
  d.events.slots[bucketName]![String(slot)] = new ImmutableString(canonicalJson(stored))
  d.events.next = seq + 1
  // Read back through JSON so the caller gets exactly what a reader will decode.
  return toEvent(site, JSON.parse(canonicalJson(stored)) as EventSlot)
}

export function toEvent (site: SiteId, slot: EventSlot): FederationEvent {
  const { seq, ...rest } = slot
  return { id: eventId(site, seq), site, seq, ...rest }
}

/** Decodes the event in `slot`, or undefined if it is not the one the ring says it is. */
export function decodeEventSlot (site: SiteId, slot: number, raw: unknown, path: string): FederationEvent {
  const ev = checkEventSlot(parseJsonScalar(raw, path), path)
  if (ev.seq % EVENT_RING !== slot) throw malformed(`${path}.seq`, `a sequence number for slot ${slot}`, ev.seq)
  return toEvent(site, ev)
}

/** The events in the ring, oldest first. */
export function listEvents (doc: Doc<SiteDoc>): FederationEvent[] {
  if (schemaState(doc, SITE_SCHEMA, 'the site document') === 'empty') return []
  const site = writerSite(doc as SiteDoc)
  const next = expectCount(own(doc.events, 'next'), 'events.next')
  const slots = own(doc.events, 'slots')
  const out: FederationEvent[] = []
  for (let seq = Math.max(0, next - EVENT_RING); seq < next; seq++) {
    const slot = seq % EVENT_RING
    const raw = own(own(slots, eventSlotBucket(slot)), String(slot))
    if (raw === undefined) continue
    const ev = decodeEventSlot(site, slot, raw, `events.${slot}`)
    if (ev.seq === seq) out.push(ev)
  }
  return out
}
