import { describe, expect, it } from 'vitest';
import { changeSummary, digestMail, headerText, heldBackMail, heldBackLine, orderForMail, testMail, type DigestChange } from './alert-mail.ts';

const hash = (value: string) => ({ hash: { algorithm: 'sha256', value: value.repeat(64 / value.length) } });
const change = (path: string, over: Partial<DigestChange> = {}): DigestChange => ({
  path,
  changeType: 'modified',
  changedAttributes: ['content', 'mtime'],
  severity: 'normal',
  before: hash('a'),
  after: hash('b'),
  ...over,
});
const base = { hostname: 'web-1', profileName: 'Ops', link: 'https://console.example/v1/events?serverId=srv_1', detectedAt: '2026-12-01T10:15:00.000Z', mailsPerHour: 20 };

describe('headerText', () => {
  it('keeps a header on its one line: CR, LF, other control characters and Unicode line breaks become a space', () => {
    expect(headerText('web-1\r\nBcc: x@evil')).toBe('web-1 Bcc: x@evil');
    expect(headerText('a\nb\rc\u0000d\u2028e\u0085f')).toBe('a b c d e f');
    expect(headerText('x'.repeat(500))).toHaveLength(200);
  });
});

describe('digestMail', () => {
  it('says severity, hostname and counts in the subject', () => {
    const mail = digestMail({ ...base, changes: [change('/etc/a'), change('/bin/x', { severity: 'critical' }), change('/etc/new', { changeType: 'added', before: null })] });
    expect(mail.subject).toBe('[critical] web-1: 3 changes (1 added, 2 modified)');
    expect(digestMail({ ...base, changes: [change('/etc/a')] }).subject).toBe('[normal] web-1: 1 change (1 modified)');
  });

  it('lists each path with change type, attributes, hash prefixes and severity, critical first, in text and HTML', () => {
    const mail = digestMail({ ...base, changes: [change('/etc/a'), change('/bin/x', { severity: 'critical' })] });
    const lines = mail.text.split('\n');
    const critical = lines.findIndex((l) => l.includes('/bin/x'));
    expect(lines[critical]).toMatch(/^CRITICAL\s+modified\s+\/bin\/x$/);
    expect(lines[critical + 1]).toContain('changed: content, mtime; sha256 aaaaaaaaaaaa -> bbbbbbbbbbbb');
    expect(lines.findIndex((l) => l.includes('/etc/a'))).toBeGreaterThan(critical);
    expect(mail.text).toContain(`All changes: ${base.link}`);
    expect(mail.html).toContain('<strong>critical</strong></td><td>modified</td><td><code>/bin/x</code>');
    expect(mail.html).toContain(`href="${base.link}"`);
  });

  it('escapes HTML and flattens control characters of the hostname and paths everywhere', () => {
    const mail = digestMail({ ...base, hostname: 'h\r\nBcc: x@evil', changes: [change('/etc/<script>')] });
    expect(mail.subject).toBe('[normal] h Bcc: x@evil: 1 change (1 modified)');
    expect(mail.html).toContain('/etc/&lt;script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.text).not.toMatch(/\r/);
  });

  it('caps the list at a readable length with "and N more"', () => {
    const many = Array.from({ length: 60 }, (_, i) => change(`/etc/f${String(i).padStart(2, '0')}`));
    const mail = digestMail({ ...base, changes: many });
    expect(mail.subject).toBe('[normal] web-1: 60 changes (60 modified)');
    expect(mail.text.match(/^normal /gm)).toHaveLength(50);
    expect(mail.text).toContain('and 10 more');
    expect(mail.html).toContain('<p>and 10 more</p>');
  });

  it('shows a renamed entry with its old path, and an added one without a before hash', () => {
    const mail = digestMail({ ...base, changes: [change('/etc/new', { changeType: 'renamed', previousPath: '/etc/old', changedAttributes: [] }), change('/etc/add', { changeType: 'added', before: null, changedAttributes: [] })] });
    expect(mail.text).toContain('renamed   /etc/old -> /etc/new');
    expect(mail.text).toContain('sha256 (none) -> bbbbbbbbbbbb');
  });

  it('carries what flood control held back', () => {
    const heldBack = { changes: 37, servers: 12, since: '2026-12-01T10:00:00.000Z', critical: true, link: 'https://console.example/v1/events?from=x' };
    const mail = digestMail({ ...base, changes: [change('/etc/a')], heldBack });
    expect(heldBackLine(heldBack)).toBe('and 37 more changes on 12 servers since 10:00 UTC');
    expect(mail.text).toContain('and 37 more changes on 12 servers since 10:00 UTC (held back: at most 20 mails an hour per profile): https://console.example/v1/events?from=x');
    expect(mail.html).toContain('and 37 more changes on 12 servers since 10:00 UTC');
  });
});

describe('heldBackMail and testMail', () => {
  it('sum up what was held back when no digest carried it', () => {
    const mail = heldBackMail({ profileName: 'Ops', mailsPerHour: 1, heldBack: { changes: 1, servers: 1, since: '2026-12-01T09:59:00.000Z', critical: false, link: 'https://c/x' } });
    expect(mail.subject).toBe('[normal] 1 more change on 1 server since 09:59 UTC');
    expect(mail.text).toContain('sends at most 1 mail an hour');
    expect(mail.text).toContain('https://c/x');
  });

  it('name the profile in a test mail, safely', () => {
    expect(testMail({ profileName: 'Ops\r\nX: y', severities: ['critical'], requestedAt: '2026-12-01T10:00:00.000Z' }).subject).toBe('[test] Driftwatch alert profile "Ops X: y": delivery check');
  });
});

describe('ordering and counts', () => {
  it('orders critical first, then by path; counts change types in a fixed order', () => {
    const list = [change('/b'), change('/a'), change('/z', { severity: 'critical' })];
    expect(orderForMail(list).map((c) => c.path)).toEqual(['/z', '/a', '/b']);
    expect(changeSummary([change('/r', { changeType: 'removed' }), change('/a', { changeType: 'added' })])).toBe('2 changes (1 added, 1 removed)');
  });
});
