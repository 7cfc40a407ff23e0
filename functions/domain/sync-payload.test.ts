import { describe, expect, it } from 'vitest';
import type { Event } from '../model/event.ts';
import { fillDelivery, type SyncedEvent } from './sync-payload.ts';

const envelope = { tenantId: 't1', sentAt: '2026-12-01T00:00:00.000Z', deliveryId: 'msg_1', format: 'driftwatch' as const };
const synced = (i: number, pathLength = 10): SyncedEvent => ({
  event: { id: `evt_${i}`, path: `/${'x'.repeat(pathLength)}`, labels: [] } as unknown as Event,
  syncedLabelIds: ['lbl_important'],
});

describe('fillDelivery', () => {
  it('writes the contract body: the envelope and the events, byte for byte what JSON.stringify gives', () => {
    const events = [synced(1), synced(2)];
    const { taken, body } = fillDelivery(envelope, events);
    expect(taken).toBe(2);
    expect(body).toBe(JSON.stringify({ ...envelope, events: events.map((s) => ({ ...s.event, syncedLabelIds: s.syncedLabelIds })) }));
  });

  it('takes at most 500 events', () => {
    expect(fillDelivery(envelope, Array.from({ length: 501 }, (_, i) => synced(i))).taken).toBe(500);
  });

  it('stays within 1 MB, and sends an outsized event alone rather than never', () => {
    const big = Array.from({ length: 30 }, (_, i) => synced(i, 50_000));
    const { taken, body } = fillDelivery(envelope, big);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1_000_000);
    expect(taken).toBe(19);
    expect(fillDelivery(envelope, [synced(1, 1_200_000), synced(2)]).taken).toBe(1);
  });
});
