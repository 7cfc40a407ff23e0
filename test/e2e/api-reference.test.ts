import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 18: /docs renders the whole reference in a real browser (Debian's Chromium, headless, driven by
 * playwright-core) from the app's own assets, with no request leaving the machine, and "Try it out"
 * calls the real API with a key given to "Authorize". Screenshots are written to SCREENSHOTS.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.DRIFTWATCH_SCREENSHOT_DIR ?? tmpdir();

let stack: TestStack;
let browser: Browser;
let page: Page;
const offHost: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `This test needs Chromium at ${CHROMIUM} and cannot run without it: install it with \`apt-get install chromium\` (.ci/run does), or set CHROMIUM_PATH.`,
    );
  }
  stack = await startTestStack();
  // The flags that work on this kind of machine (headless, as root, no network but loopback); playwright gives it a new, empty profile.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(stack.apiUrl).origin;
  // Offline by construction: anything not asked of the app itself is refused and recorded.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    offHost.push(url);
    return route.abort();
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('/docs in headless Chromium', () => {
  it('renders every operation of /openapi.json from the app\'s own assets, nothing fetched elsewhere', async () => {
    const spec = (await stack.api('GET', '/openapi.json')).json;
    const operationIds = Object.values(spec.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) => Object.values(item).map((op) => op.operationId));
    await page.goto(`${stack.apiUrl}/docs`);
    await page.locator('.information-container .title').waitFor();
    expect(await page.locator('.information-container .title').innerText()).toMatch(new RegExp(`Driftwatch API\\s*${spec.info.version.replaceAll('.', '\\.')}`));
    await page.locator('.opblock').nth(operationIds.length - 1).waitFor();
    expect(await page.locator('.opblock').count()).toBe(operationIds.length);
    // Each operation is shown under its tag with its operationId (a generated client's method name).
    for (const id of ['createPolicy', 'listEvents', 'enrollAgent', 'uploadNodes']) {
      expect(await page.locator(`.opblock[id$="-${id}"] .opblock-summary-operation-id`).innerText()).toBe(id);
    }
    // The introduction's Markdown is rendered, not shown as backticks.
    expect(await page.locator('.information-container .description code').first().innerText()).toBe('Authorization: Bearer <key>');
    await page.screenshot({ path: join(SCREENSHOTS, 'driftwatch-docs.png') });
    expect(offHost).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('"Try it out" calls the real API with the key given to "Authorize"', async () => {
    await page.locator('.auth-wrapper .authorize').click();
    const apiKeyForm = page.locator('.modal-ux .auth-container').filter({ hasText: 'apiKey' });
    await apiKeyForm.locator('input').fill(stack.credentials.adminKey);
    await apiKeyForm.locator('button.authorize').click();
    await page.locator('.modal-ux .close-modal').click();

    const operation = page.locator('.opblock[id$="-listPolicies"]');
    await operation.locator('.opblock-summary').click();
    // The description, the credential it takes and the parameters with their descriptions are shown.
    await expect.poll(() => operation.locator('.opblock-description-wrapper').innerText()).toMatch(/Credential:\s*a tenant API key/);
    expect(await operation.locator('.parameters').innerText()).toMatch(/The `?nextCursor`? of the previous page/);
    await operation.locator('.try-out__btn').click();
    await operation.locator('.execute').click();
    const status = operation.locator('.live-responses-table tr.response .response-col_status');
    await status.waitFor();
    expect((await status.innerText()).trim()).toBe('200');
    await status.scrollIntoViewIfNeeded();
    expect(await operation.locator('.live-responses-table .microlight').first().innerText()).toContain('"nextCursor"');
    await page.screenshot({ path: join(SCREENSHOTS, 'driftwatch-docs-try-it-out.png'), fullPage: false });
    expect(offHost).toEqual([]);
    expect(problems).toEqual([]);
  });
});
