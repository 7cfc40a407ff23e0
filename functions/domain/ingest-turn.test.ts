import { describe, expect, it } from 'vitest';
import { comparePositions, ingestTurn, type OtherScan } from './ingest-turn.ts';

const at = (minute: number) => `2026-11-10T09:${String(minute).padStart(2, '0')}:00.000Z`;
const scan = (id: string, minute: number) => ({ id, detectedAt: at(minute) });
const other = (id: string, minute: number, state: 'awaiting' | 'ended' | 'uploading'): OtherScan => ({
  ...scan(id, minute),
  awaitsIngest: state === 'awaiting',
  ended: state === 'ended',
});

describe('ingestTurn: one scan at a time, in the order the agent walked them', () => {
  it('a scan already applied reuses its stats (a retried message)', () => {
    expect(ingestTurn({ scan: scan('b', 2), applied: scan('b', 2), others: [] })).toEqual({ kind: 'applied' });
  });

  it('goes when nothing older is waiting and nobody holds the state', () => {
    expect(ingestTurn({ scan: scan('b', 2), applied: scan('a', 1), others: [] })).toEqual({ kind: 'go', forget: [] });
    expect(ingestTurn({ scan: scan('a', 1), others: [] })).toEqual({ kind: 'go', forget: [] });
  });

  it('waits for an older upload that is not ingested yet (its message may be lost), never diffing past it', () => {
    const turn = ingestTurn({ scan: scan('c', 3), applied: scan('a', 1), others: [other('b', 2, 'awaiting')] });
    expect(turn).toEqual({ kind: 'wait', behind: 'b' });
  });

  it('waits behind the oldest of several', () => {
    const turn = ingestTurn({ scan: scan('d', 4), others: [other('c', 3, 'awaiting'), other('b', 2, 'awaiting')] });
    expect(turn).toEqual({ kind: 'wait', behind: 'b' });
  });

  it('does not wait for newer uploads, for scans still uploading, or for scans that ended', () => {
    const turn = ingestTurn({ scan: scan('b', 2), applied: scan('a', 1), others: [other('c', 3, 'awaiting'), other('x', 1, 'uploading'), other('y', 1, 'ended')] });
    expect(turn).toEqual({ kind: 'go', forget: ['y'] });
  });

  it('waits while another scan holds the state, even a newer one (it is writing its events)', () => {
    const turn = ingestTurn({ scan: scan('b', 2), applied: scan('a', 1), claimant: other('c', 3, 'awaiting'), others: [other('c', 3, 'awaiting')] });
    expect(turn).toEqual({ kind: 'wait', behind: 'c' });
  });

  it('the claim holder goes on (its retry after a crash), whatever was uploaded before it since', () => {
    const turn = ingestTurn({ scan: scan('c', 3), applied: scan('a', 1), claimant: other('c', 3, 'awaiting'), others: [other('b', 2, 'awaiting')] });
    expect(turn).toEqual({ kind: 'go', forget: [] });
  });

  it('takes over a claim whose scan ended without releasing it', () => {
    const turn = ingestTurn({ scan: scan('c', 3), applied: scan('a', 1), claimant: other('b', 2, 'ended'), others: [other('b', 2, 'ended')] });
    expect(turn).toEqual({ kind: 'go', staleClaim: 'b', forget: ['b'] });
  });

  it('an upload older than the applied state (delivered late) reports nothing', () => {
    expect(ingestTurn({ scan: scan('b', 2), applied: scan('c', 3), others: [] })).toEqual({ kind: 'superseded' });
  });

  it('orders by detectedAt, then by id', () => {
    expect(comparePositions(scan('b', 1), scan('a', 2))).toBeLessThan(0);
    expect(comparePositions(scan('a', 1), scan('b', 1))).toBeLessThan(0);
    expect(comparePositions(scan('a', 1), scan('a', 1))).toBe(0);
  });
});
