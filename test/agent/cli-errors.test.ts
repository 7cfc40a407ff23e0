import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../agent/args.ts';
import { isTlsFailure, networkReason, notTheApi, withoutVersionPath, type Answer } from '../../agent/errors.ts';
import { AGENT_VERSION } from '../../agent/version.ts';
import pkg from '../../package.json' with { type: 'json' };

/** The CLI's reading of answers and failures (issue 18); the real CLI's lines are in test/e2e/cli-messages.test.ts. */

const problem = (status: number, type: string, detail: string): Answer => ({
  status,
  contentType: 'application/problem+json',
  body: { type: `https://driftwatch.dev/problems/${type}`, title: 'x', status, detail },
  location: null,
});

describe('notTheApi: whether an answer can come from a Driftwatch API route', () => {
  it('a problem of the API about a thing (a scan gone, a conflict) is the API speaking: callers may act on it', () => {
    expect(notTheApi(problem(404, 'not-found', 'No such scan.'))).toBeNull();
    expect(notTheApi(problem(409, 'conflict', 'The scan is finished.'))).toBeNull();
    expect(notTheApi(problem(401, 'unauthorized', 'A valid credential is required.'))).toBeNull();
    expect(notTheApi({ status: 200, contentType: 'application/json', body: { serverId: 's' }, location: null })).toBeNull();
  });

  it('a 404 "No such route" of the API, or any answer without its problem document, is not an API route', () => {
    expect(notTheApi(problem(404, 'not-found', 'No such route.'))).toBe('no such route');
    expect(notTheApi({ status: 404, contentType: 'application/problem+json', body: { type: 'about:blank', title: 'Not Found' }, location: null })).toBe('application/problem+json');
    expect(notTheApi({ status: 404, contentType: 'application/json', body: { error: 'x' }, location: null })).toBe('application/json');
    expect(notTheApi({ status: 200, contentType: '', body: '', location: null })).toBe('no Content-Type instead of JSON');
    expect(notTheApi({ status: 302, contentType: 'text/html', body: '', location: 'https://x/login' })).toBe('redirected to https://x/login');
  });
});

describe('network failures in words', () => {
  const failure = (code: string, message = 'x') => Object.assign(new Error('POST /v1/agent/check-in failed'), { cause: Object.assign(new Error(message), { code }) });

  it.each([
    ['ECONNREFUSED', 'connection refused [ECONNREFUSED]', false],
    ['ENOTFOUND', 'host not found [ENOTFOUND]', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS failed: self-signed certificate (trust its CA with NODE_EXTRA_CA_CERTS) [DEPTH_ZERO_SELF_SIGNED_CERT]', true],
    ['CERT_HAS_EXPIRED', 'TLS failed: the certificate has expired [CERT_HAS_EXPIRED]', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS failed: the certificate is for another host name [ERR_TLS_CERT_ALTNAME_INVALID]', true],
  ])('%s', (code, words, tls) => {
    expect(networkReason(failure(code))).toBe(words);
    expect(isTlsFailure(failure(code))).toBe(tls);
  });

  it("keeps OpenSSL's reason, not its source location", () => {
    const e = failure('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', '80EC6EFF0E7F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/ssl/record/rec_layer_s3.c:1605:');
    expect(networkReason(e)).toBe('TLS failed: sslv3 alert handshake failure [ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE]');
  });
});

describe('the CLI itself', () => {
  it('suggests the address without /v1 only when the address ends in /v1', () => {
    expect(withoutVersionPath('http://h:8080/v1')).toBe('http://h:8080');
    expect(withoutVersionPath('https://h/driftwatch/v1/')).toBe('https://h/driftwatch');
    expect(withoutVersionPath('http://h:8080/api')).toBeNull();
  });

  it('--version, -V and `version` ask for the version, which is package.json\'s', () => {
    for (const argv of [['--version'], ['-V'], ['version']]) expect(parseArgs(argv)).toEqual({ version: true });
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});
