/** The admin UI in real headless Chromium: sign in, change a route's webhook, see the next complaint go there; hostile text stays text. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webChannel } from '../adapters/web/index.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN, ADMIN_ENV, adminApi } from './admin-helpers.js';

const NEW_SECRET = 'new-agency-secret-0123456789';
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_ALIAS = '<svg onload=window.__xss=2>';
const XSS_COMPLAINT = '<img src=x onerror="window.__xss=3"> jalan rusak parah';

describe('admin UI in Chromium', () => {
  let browser: Browser;
  let oldAgency: AgencySink;
  let newAgency: AgencySink;
  let gw: TestGateway;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    [oldAgency, newAgency] = await Promise.all([startAgencySink(), startAgencySink()]);
    gw = await startGateway({ ...ADMIN_ENV, NATIONAL_WEBHOOK_URL: oldAgency.url, WEBHOOK_SECRET: 'national-secret-0123456789', DELIVERY_ATTEMPTS: '1' }, { channels: [webChannel] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    // An Indonesian administrator's browser (the UI's default language).
    page = await browser.newPage({ locale: 'id-ID' });
    // A CSP violation or a script error would show up here.
    page.on('pageerror', (err) => problems.push(err.message));
    // Expected 4xx answers (a wrong token, a refused save) are not problems; CSP refusals and script errors are.
    page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text()); });
  });
  afterAll(async () => { await browser?.close(); await gw.close(); await oldAgency.close(); await newAgency.close(); });

  const complain = (text: string) => json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }));

  it('signs in, changes a route’s webhook, and the next complaint is delivered there', async () => {
    await page.goto(`${gw.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', 'wrong-token');
    await page.click('button[type=submit]');
    await page.getByText('Token tersebut tidak berlaku.').waitFor();
    await page.fill('#token', ADMIN.token);
    await page.click('button[type=submit]');
    await page.waitForURL(`${gw.url}/admin`);
    expect(await page.textContent('#admin-name')).toBe('ayu');

    await page.fill('#route-search-text', 'pekalongan');
    await page.click('#route-search button[type=submit]');
    await page.locator('#route-table tr[data-code="33.75"]').waitFor();
    await page.click('#route-table tr[data-code="33.75"] button.edit-route');
    await page.locator('#route-editor:not([hidden])').waitFor();
    expect(await page.inputValue('#edit-keyword')).toBe('PekalonganKota');
    await page.fill('#edit-webhook', newAgency.url);
    await page.click('#edit-save');
    await page.locator('#editor-status.error').waitFor();
    expect(await page.textContent('#editor-status')).toMatch(/secret is required/);
    await page.fill('#edit-secret', NEW_SECRET);
    await page.click('#edit-save');
    await page.locator('#editor-status.ok').waitFor();
    expect(await page.textContent('#editor-status')).toMatch(/Tersimpan: versi 2/);
    // The table reloads after the save: wait for the row to show it rather than read it at once.
    await page.locator('#route-table tr[data-code="33.75"]', { hasText: newAgency.url }).waitFor();

    const { trackingId } = await complain('PekalonganKota jalan rusak di depan pasar');
    const [delivery] = await eventually(() => newAgency.received.length === 1 && newAgency.received);
    expect(delivery!.body.complaint.trackingId).toBe(trackingId);
    expect(oldAgency.received).toHaveLength(0);

    await page.click('#audit-refresh');
    await page.locator('#audit-table tbody tr', { hasText: 'route.update' }).first().waitFor();
    expect(await page.textContent('#audit-table tbody')).toContain('kunci tanda tangan diganti');
    expect(await page.textContent('#audit-table tbody')).not.toContain(NEW_SECRET);
    expect(problems).toEqual([]);
  });

  it('tests a message with the resolution box', async () => {
    await page.fill('#resolve-text', 'LAPOR Kab. Pekalongan irigasi rusak');
    await page.click('#resolve-form button[type=submit]');
    await page.locator('#resolve-result dd[data-field="Goes to"]').waitFor();
    expect(await page.textContent('#resolve-result dd[data-field="Goes to"]')).toBe('Kabupaten Pekalongan (33.26)');
    expect(await page.textContent('#resolve-result dd[data-field="Complaint text"]')).toBe('irigasi rusak');
  });

  it('renders text from citizens and admins inert', async () => {
    const api = adminApi(gw.url);
    expect((await api('PUT', '/routes/33.90', { name: XSS_NAME, keyword: 'UjiXssKota', aliases: [XSS_ALIAS], destination: { url: newAgency.url, secret: NEW_SECRET } })).status).toBe(201);
    newAgency.fallback = 422;
    const { trackingId } = await complain(`UjiXssKota ${XSS_COMPLAINT}`);
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'failed');

    await page.goto(`${gw.url}/admin`);
    await page.fill('#route-search-text', '33.90');
    await page.click('#route-search button[type=submit]');
    const row = page.locator('#route-table tr[data-code="33.90"]');
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe(XSS_NAME);
    expect(await row.locator('td').nth(3).textContent()).toBe(XSS_ALIAS);
    const letter = page.locator('#dead-letter-table tbody tr', { hasText: trackingId });
    await letter.waitFor();
    expect(await letter.locator('td').nth(5).textContent()).toBe(XSS_COMPLAINT);
    await page.fill('#resolve-text', `UjiXssKota ${XSS_COMPLAINT}`);
    await page.click('#resolve-form button[type=submit]');
    await page.locator('#resolve-result dd[data-field="Complaint text"]').waitFor();
    expect(await page.textContent('#resolve-result dd[data-field="Complaint text"]')).toBe(XSS_COMPLAINT);

    expect(await page.locator('main img, main svg').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();

    newAgency.fallback = 200;
    await letter.locator('button', { hasText: 'Kirim ulang' }).click();
    await page.locator('#dead-letter-status.ok').waitFor();
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    expect(problems).toEqual([]);
  });

  it('opens Bull Board behind the same sign-in', async () => {
    const response = await page.goto(`${gw.url}/admin/queues/`);
    expect(response!.status()).toBe(200);
    await page.getByText('dead-letters').first().waitFor();
    const anonymous = await browser.newPage();
    try {
      await anonymous.goto(`${gw.url}/admin/queues/`);
      expect(new URL(anonymous.url()).pathname).toBe('/admin/login');
    } finally {
      await anonymous.close();
    }
  });
});
