import type { SyncFormat } from '../model/enums.ts';
import type { Event } from '../model/event.ts';
import { ocsfFileActivity } from './ocsf.ts';

/**
 * What one POST to a sync destination carries (CONTRACT "Labeled-event sync"):
 * `{"tenantId", "sentAt", "deliveryId", "format", "events": [...]}`, each event once with the notify labels
 * whose application this delivery reports (`syncedLabelIds`); the event's other labels are context. Events
 * are the contract's Event objects, or OCSF File System Activity records for `format: "ocsf"`.
 * Bounded: at most 500 events and 1 MB (1,000,000 bytes of UTF-8) per POST.
 */
export const MAX_EVENTS_PER_DELIVERY = 500;
export const MAX_DELIVERY_BYTES = 1_000_000;

/** An event with the label applications a delivery reports on it. */
export interface SyncedEvent {
  event: Event;
  syncedLabelIds: string[];
}

export interface DeliveryEnvelope {
  tenantId: string;
  sentAt: string;
  deliveryId: string;
  format: SyncFormat;
}

/** One event as it goes over the wire in `format`. */
export function wireEvent(synced: SyncedEvent, format: SyncFormat, tenantId: string): unknown {
  return format === 'ocsf' ? ocsfFileActivity(synced.event, { tenantId, syncedLabelIds: synced.syncedLabelIds }) : { ...synced.event, syncedLabelIds: synced.syncedLabelIds };
}

/** The exact bytes of a delivery (what is signed is what is sent). */
export function deliveryBody(envelope: DeliveryEnvelope, events: readonly unknown[]): string {
  return JSON.stringify({ ...envelope, events });
}

/**
 * The events of one delivery, in order, within the limits: as many as fit in `maxEvents` and `maxBytes`
 * (always at least one, so an outsized event cannot block the ones behind it). Answers how many were taken
 * and the body.
 */
export function fillDelivery(
  envelope: DeliveryEnvelope,
  events: readonly SyncedEvent[],
  limits: { maxEvents: number; maxBytes: number } = { maxEvents: MAX_EVENTS_PER_DELIVERY, maxBytes: MAX_DELIVERY_BYTES },
): { taken: number; body: string } {
  const wire: string[] = [];
  // The envelope with an empty list, then each event and its comma.
  let bytes = Buffer.byteLength(deliveryBody(envelope, []));
  for (const synced of events) {
    if (wire.length >= limits.maxEvents) break;
    const json = JSON.stringify(wireEvent(synced, envelope.format, envelope.tenantId));
    const added = Buffer.byteLength(json) + (wire.length ? 1 : 0);
    if (wire.length > 0 && bytes + added > limits.maxBytes) break;
    wire.push(json);
    bytes += added;
  }
  // `..."events":[]}` with the events spliced in: the same bytes as deliveryBody(envelope, events).
  const head = deliveryBody(envelope, []);
  return { taken: wire.length, body: `${head.slice(0, -2)}${wire.join(',')}]}` };
}
