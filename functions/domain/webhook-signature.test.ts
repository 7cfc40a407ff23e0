import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { isUsableSecret, signatureHeaders } from './webhook-signature.ts';

/** Signatures checked with Standard Webhooks' own verifier and a hand-made HMAC, not with this module. */
const body = JSON.stringify({ tenantId: 't', events: [{ path: '/etc/ü' }] });
const at = new Date();

describe('signatureHeaders', () => {
  it('signs with a plain secret: X-Driftwatch-Signature and Standard Webhooks (raw key)', () => {
    const headers = signatureHeaders({ id: 'msg_1', at, body, secrets: ['plain-secret-of-16+'] });
    expect(headers['x-driftwatch-signature']).toBe(`sha256=${createHmac('sha256', 'plain-secret-of-16+').update(body).digest('hex')}`);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(new Webhook('plain-secret-of-16+', { format: 'raw' }).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with a whsec_ secret by its decoded bytes, as Standard Webhooks verifiers expect', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef01234567').toString('base64')}`;
    const headers = signatureHeaders({ id: 'msg_2', at, body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  it('carries one signature per secret during a rotation, each verifiable alone', () => {
    const headers = signatureHeaders({ id: 'msg_3', at, body, secrets: ['the-new-secret-123', 'the-old-secret-456'] });
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of ['the-new-secret-123', 'the-old-secret-456']) {
      expect(() => new Webhook(secret, { format: 'raw' }).verify(body, headers)).not.toThrow();
      expect(headers['x-driftwatch-signature']!.split(', ')).toContain(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    }
    expect(() => new Webhook('a-third-secret-789', { format: 'raw' }).verify(body, headers)).toThrow();
  });

  it('refuses a webhook id with a dot (it would change what is signed)', () => {
    expect(() => signatureHeaders({ id: 'msg.1', at, body, secrets: ['s'] })).toThrow();
  });
});

describe('isUsableSecret', () => {
  it('takes any plain secret, and whsec_ secrets of 24 to 64 bytes of valid base64', () => {
    expect(isUsableSecret('anything-at-all')).toBe(true);
    expect(isUsableSecret(`whsec_${Buffer.alloc(24).toString('base64')}`)).toBe(true);
    expect(isUsableSecret(`whsec_${Buffer.alloc(16).toString('base64')}`)).toBe(false);
    expect(isUsableSecret(`whsec_${Buffer.alloc(65).toString('base64')}`)).toBe(false);
    expect(isUsableSecret('whsec_not-base64!')).toBe(false);
  });
});
