import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 16 acceptance on the real local stack: each sample imported through the API and the resulting
 * policy targets asserted one by one; unreadable files are a 400 naming the line and change nothing;
 * limits; export then import into another tenant round-trips the policy exactly (except ids).
 */
const sample = (name: string) => readFileSync(new URL(`../../functions/domain/imports/samples/${name}`, import.meta.url), 'utf8');
const ALL = ['content', 'size', 'mode', 'owner', 'group', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'];

let stack: TestStack;
let admin: string;
let other: { adminKey: string };

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: 'Production' } });
  other = { adminKey: created.json.adminKey };
});
afterAll(() => stack?.stop());

async function newPolicy(name: string, platform = 'linux', extra: Record<string, unknown> = {}, key = admin) {
  const res = await stack.api('POST', '/v1/policies', { key, body: { name, platform, ...extra } });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; targets: unknown[]; updatedAt: string };
}
const importFile = (policyId: string, contentType: string, raw: string | Buffer, query = '', key = admin) =>
  stack.api('POST', `/v1/policies/${policyId}/targets/import${query}`, { key, raw, headers: { 'content-type': contentType } });
const targetsOf = async (policyId: string) => (await stack.api('GET', `/v1/policies/${policyId}`, { key: admin })).json.targets as any[];
/** A stored target without its id, for comparison. */
const bare = ({ id: _id, ...rest }: any) => rest;
const target = (path: string, options: Record<string, unknown> = {}) => ({ path, recursive: true, include: [], exclude: [], attributes: ALL, critical: false, alert: true, ...options });

describe('POST /v1/policies/{id}/targets/import', () => {
  it('text/csv: the watchlist example of the contract (Tanium\'s) into a Windows policy', async () => {
    const policy = await newPolicy('watchlist', 'windows');
    const res = await importFile(policy.id, 'text/csv', sample('watchlist-tanium-example.csv'));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ added: 3, dryRun: false, skipped: [{ line: 7, reason: 'C:\\autoexec.bat is already imported from line 2' }] });
    const write = ['content', 'size', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'];
    expect((await targetsOf(policy.id)).map(bare)).toEqual([
      target('C:\\autoexec.bat', { attributes: write }),
      target('C:\\Windows', { attributes: write, exclude: ['NtServicePackUninstall/', 'NtUninstall/', 'Help/'] }),
      target('C:\\Windows\\assembly', { attributes: ['mode', 'owner', 'group', 'type'] }),
    ]);
    // The answer's targets are the stored ones, ids included, with their lines.
    expect(res.json.targets.map((t: any) => [t.line, t.target.id])).toEqual((await targetsOf(policy.id)).map((t, i) => [[2, 3, 6][i], t.id]));
  });

  it('application/xml: the default ossec.conf syscheck block', async () => {
    const policy = await newPolicy('ossec');
    const res = await importFile(policy.id, 'application/xml', sample('ossec-default.conf'));
    expect(res.status, res.text).toBe(200);
    expect(res.json.added).toBe(8);
    expect(res.json.skipped.map((s: any) => s.line)).toEqual([41, 42, 79, 80, 81]);
    const types = ['*.log', '*.swp'];
    const etc = ['/mtab', '/hosts.deny', '/mail/statistics', '/random-seed', '/random.seed', '/adjtime', '/httpd/logs', '/utmpx', '/wtmpx', '/cups/certs', '/dumpdates', '/svc/volatile'];
    const stored = (await targetsOf(policy.id)).map(bare);
    const all = stored[0].attributes; // every attribute this build records
    expect(all).toEqual(expect.arrayContaining(ALL));
    expect(stored).toEqual([
      target('/etc', { attributes: all, exclude: [...etc, ...types] }),
      target('/usr/bin', { attributes: all, exclude: types }),
      target('/usr/sbin', { attributes: all, exclude: types }),
      target('/bin', { attributes: all, exclude: types }),
      target('/sbin', { attributes: all, exclude: types }),
      target('/boot', { attributes: all, exclude: types }),
      target('/var/www', { attributes: all, exclude: types, description: 'Wazuh tags: web' }),
      target('/etc/nginx', { attributes: ['content', 'mode', 'owner'], recursive: false, include: ['*.conf', '*nginx.conf*'], exclude: types }),
    ]);
  });

  it('text/plain?format=aide: a Debian aide.conf excerpt', async () => {
    const policy = await newPolicy('aide');
    const res = await importFile(policy.id, 'text/plain; charset=utf-8', sample('aide-debian.conf'), '?format=aide');
    expect(res.status, res.text).toBe(200);
    expect(res.json.skipped.map((s: any) => s.line)).toEqual([6, 34, 51, 52, 53, 56]);
    const stored = (await targetsOf(policy.id)).map(bare);
    expect(stored.map((t: any) => t.path)).toEqual([
      '/boot', '/etc', '/usr/bin', '/usr/sbin', '/bin', '/var/log', '/var/log/apt/term.log?(.1)', '/etc/ssh/ssh_host_*_key', '/run/sshd.pid', '/opt/app data',
    ]);
    expect(stored[1]).toEqual(target('/etc', { attributes: stored[0].attributes, exclude: ['/mtab', '*~'] }));
    expect(stored[5]).toMatchObject({ path: '/var/log', recursive: false, exclude: ['*', '*.+([0-9])?(.gz)'] });
  });

  it('paths the policy already has are skipped; ?dryRun=true shows the result and changes nothing', async () => {
    const policy = await newPolicy('dry', 'linux', { targets: [{ path: '/etc' }] });
    const csv = 'path,ops_create,ops_delete,ops_write,ops_rename,ops_permission\n/etc,on,on,on,on,on\n/srv,on,on,on,on,on\n';
    const dry = await importFile(policy.id, 'text/csv', csv, '?dryRun=true');
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ added: 0, dryRun: true, targets: [{ line: 3, target: { path: '/srv' } }], skipped: [{ line: 2, reason: '/etc is already a target of the policy' }] });
    expect((await targetsOf(policy.id)).map((t) => t.path)).toEqual(['/etc']);
    const real = await importFile(policy.id, 'text/csv', csv);
    expect(real.json.added).toBe(1);
    expect((await targetsOf(policy.id)).map((t) => t.path)).toEqual(['/etc', '/srv']);
  });

  it('a file that cannot be read at all is a 400 problem naming the line, and adds nothing', async () => {
    const policy = await newPolicy('broken', 'linux', { targets: [{ path: '/etc' }] });
    const before = (await stack.api('GET', `/v1/policies/${policy.id}`, { key: admin })).json;
    const cases: [string, string, string, RegExp][] = [
      ['application/xml', '', '<ossec_config>\n<syscheck>\n<directories>/usr</directories>\n</syscheck>\n<oops>\n</ossec_config>\n', /line 6/],
      ['text/csv', '', 'path,ops_create\n/usr,on\n"/srv,on\n', /line 3/],
      ['text/csv', '', '/usr,on,on,on,on,on,,\n', /line 1: the first line must be the header/],
      ['text/plain', '?format=aide', '/usr R\n@@endif\n', /line 2: @@endif without a matching @@if/],
    ];
    for (const [type, query, body, line] of cases) {
      const res = await importFile(policy.id, type, body, query);
      expect(res.status, body).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.json.detail).toMatch(line);
      expect(res.json.errors[0].path).toMatch(/^line \d+$/);
    }
    expect((await stack.api('GET', `/v1/policies/${policy.id}`, { key: admin })).json).toEqual(before);
  });

  it('limits: 400 past 500 targets, 415 for another type, 400 for a mismatched format or bad bytes', async () => {
    const policy = await newPolicy('limits');
    const many = `path,ops_create\n${Array.from({ length: 501 }, (_, i) => `/srv/t${i},on`).join('\n')}\n`;
    const tooMany = await importFile(policy.id, 'text/csv', many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.detail).toMatch(/at most 500 targets/);
    expect(await targetsOf(policy.id)).toEqual([]);

    expect((await importFile(policy.id, 'application/json', '{}')).status).toBe(415);
    expect((await importFile(policy.id, 'text/plain', '/etc R\n')).status).toBe(400); // text/plain needs ?format
    expect((await importFile(policy.id, 'text/csv', 'path\n/etc\n', '?format=aide')).status).toBe(400);
    expect((await importFile(policy.id, 'text/csv', 'path\n/etc\n', '?fromat=aide')).status).toBe(400);
    const latin1 = Buffer.concat([Buffer.from('path,ops_create\n/caf'), Buffer.from([0xe9]), Buffer.from(',on\n')]);
    expect((await importFile(policy.id, 'text/csv', latin1)).status).toBe(400);
    const declared = await importFile(policy.id, 'text/csv; charset=iso-8859-1', latin1);
    expect(declared.status, declared.text).toBe(200);
    expect(declared.json.targets[0].target.path).toBe('/café');
  });

  it('authors import; read-only keys get 403; another tenant\'s policy is a 404', async () => {
    const policy = await newPolicy('access');
    const readOnly = (await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'ro', role: 'read-only' } })).json.key;
    const csv = 'path,ops_write\n/etc,on\n';
    expect((await importFile(policy.id, 'text/csv', csv, '', readOnly)).status).toBe(403);
    expect((await importFile(policy.id, 'text/csv', csv, '', other.adminKey)).status).toBe(404);
    expect(await targetsOf(policy.id)).toEqual([]);
  });
});

describe('policy export and import', () => {
  it('round-trips a policy into another tenant exactly, except ids (QA to production)', async () => {
    const qa = await newPolicy('web tier', 'linux', {
      description: 'Checked in QA',
      state: 'real-time',
      hashAlgorithm: 'sha512',
      cpuUsage: 'low',
      reports: true,
      fullRehashEvery: 3,
      fromTemplate: 'linux-web-server',
      targets: [{ path: '/srv/app', recursive: false, include: ['*.conf'], exclude: ['cache/'], attributes: ['content', 'mode'], critical: true, alert: false, description: 'app' }],
    });
    const exported = await stack.api('GET', `/v1/policies/${qa.id}/export`, { key: admin });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe('attachment; filename="policy-web-tier.json"');
    expect(exported.json).toMatchObject({ format: 'driftwatch-policy', version: 1 });
    expect(exported.text).not.toContain(qa.id);

    const imported = await stack.api('POST', '/v1/policies/import', { key: other.adminKey, body: exported.json });
    expect(imported.status, imported.text).toBe(201);
    const original = (await stack.api('GET', `/v1/policies/${qa.id}`, { key: admin })).json;
    const copy = (await stack.api('GET', `/v1/policies/${imported.json.id}`, { key: other.adminKey })).json;
    const withoutIds = ({ id: _id, createdAt: _c, updatedAt: _u, targets, ...rest }: any) => ({ ...rest, targets: targets.map(bare) });
    expect(withoutIds(copy)).toEqual(withoutIds(original));
    expect(copy.id).not.toBe(original.id);
    expect(copy.targets.map((t: any) => t.id)).not.toEqual(expect.arrayContaining([original.targets[0].id]));
    // The copy lives in the other tenant only.
    expect((await stack.api('GET', `/v1/policies/${imported.json.id}`, { key: admin })).status).toBe(404);
  });

  it('the baseline server is not carried; an edited or foreign document is a 400', async () => {
    const policy = await newPolicy('strict');
    const exported = (await stack.api('GET', `/v1/policies/${policy.id}/export`, { key: admin })).json;
    expect(exported.policy.baselineServerId).toBeUndefined();
    const bad = await stack.api('POST', '/v1/policies/import', { key: admin, body: { ...exported, policy: { ...exported.policy, id: 'pol_x' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ path: 'policy.id', message: 'unknown field' }]);
    expect((await stack.api('POST', '/v1/policies/import', { key: admin, body: { ...exported, version: 2 } })).status).toBe(400);
  });
});

// Last: the server answers 413 before reading the whole body and closes that connection, which a
// keep-alive client would otherwise try to reuse for the next test.
describe('import body limit', () => {
  it('413 over 1 MiB, nothing added', async () => {
    const policy = await newPolicy('too big');
    const big = Buffer.from(`path,ops_create\n${'/x,on\n'.repeat(200_000)}`);
    const tooBig = await importFile(policy.id, 'text/csv', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json).toMatchObject({ status: 413, detail: 'The request body exceeds 1048576 bytes.' });
  });
});
