/**
 * The complaint lookup in Chromium: a web complaint delivered to a real agency sink, a signed agency update, then the
 * admin opens its link (#aduan/<tracking number>) and sees status, route, timeline and the reporter's identity (with
 * the audit notice, and the view in the audit log); a viewer sees the same complaint with the identity hidden.
 */
import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webChannel } from '../adapters/web/index.js';
import { ADMIN, ADMIN_ENV, adminApi, VIEWER } from './admin-helpers.js';
import { adminPage } from './helpers/admin-browser.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { launchChromium } from './helpers/browser.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const SECRET = 'pekalongan-secret-0123456789';
const NOTE = 'Tim PU turun ke lokasi <img src=x onerror="window.__xss=1"> besok pagi';
const REPORTER = { name: 'Siti Aminah', email: 'siti.aminah@example.id' };

describe('the complaint lookup in Chromium', () => {
  let gw: TestGateway;
  let agency: AgencySink;
  let browser: Browser;
  let trackingId: string;

  beforeAll(async () => {
    agency = await startAgencySink();
    gw = await startGateway(ADMIN_ENV, { channels: [webChannel] });
    expect((await adminApi(gw.url)('PATCH', '/routes/33.75', { destination: { url: agency.url, secret: SECRET } })).status).toBe(200);
    ({ trackingId } = await json(fetch(`${gw.url}/api/v1/complaints`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota jalan rusak di depan pasar Banjarsari', ...REPORTER }),
    })));
    await eventually(() => agency.received.length === 1);
    expect(agency.received[0]!.headers['x-pintu-signature']).toBeDefined();
    const update = JSON.stringify({ trackingId, updateId: 'pu-2026-0001', status: 'ditindaklanjuti', note: NOTE });
    const answered = await fetch(`${gw.url}/api/v1/agency/updates`, {
      method: 'POST', body: update,
      headers: { 'content-type': 'application/json', 'x-pintu-agency': '33.75', 'x-pintu-signature': `sha256=${createHmac('sha256', SECRET).update(update).digest('hex')}` },
    });
    expect(answered.status).toBe(200);
    browser = await launchChromium();
  });
  afterAll(async () => { await browser?.close(); await gw?.close(); await agency?.close(); });

  it('opens a complaint from its link: status, route, timeline, and the identity for an admin, audited', async () => {
    const { page, problems, context } = await adminPage(browser, gw.url, ADMIN.token);
    await page.goto(`${gw.url}/admin#aduan/${trackingId}`);
    await page.locator('#complaint-result:not([hidden])').waitFor();
    const field = (name: string) => page.textContent(`#complaint-summary dd[data-field="${name}"]`);
    expect(await field('trackingId')).toBe(trackingId);
    expect(await field('status')).toMatch(/^Ditindaklanjuti \(/);
    expect(await field('route')).toBe('Kota Pekalongan (33.75)');
    expect(await field('hop')).toBe('ke-1 (dialihkan 0 kali)');
    expect(await field('reference')).toBe('—');
    expect(await field('channel')).toBe('Formulir web');
    expect(await page.textContent('#complaint-text')).toBe('jalan rusak di depan pasar Banjarsari');

    const { timeline } = await json(adminApi(gw.url)('GET', `/complaints/${trackingId}`));
    const rows = page.locator('#complaint-timeline tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).toEqual(timeline.map((e: { status: string }) => e.status));
    const update = rows.filter({ has: page.locator('td', { hasText: 'Ditindaklanjuti' }) });
    expect(await update.locator('td').allTextContents()).toEqual([expect.any(String), 'Ditindaklanjuti', 'Kota Pekalongan (33.75)', NOTE, '—']);
    expect(await rows.filter({ hasText: 'Diterima instansi' }).locator('td').nth(2).textContent()).toBe('Kota Pekalongan (33.75)');

    expect(await page.textContent('#complaint-reporter dd[data-field="name"]')).toBe(REPORTER.name);
    expect(await page.textContent('#complaint-reporter dd[data-field="email"]')).toBe(REPORTER.email);
    expect(await page.textContent('#complaint-identity-audited')).toBe('Setiap kali identitas pelapor ditampilkan, hal itu dicatat di riwayat audit.');
    await page.locator('#audit-table tbody tr', { hasText: 'complaint.identity-viewed' }).filter({ hasText: trackingId }).first().waitFor();

    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#aduan img').count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a viewer the complaint found by its number, with the identity hidden', async () => {
    const { page, problems, context } = await adminPage(browser, gw.url, VIEWER.token);
    await page.goto(`${gw.url}/admin`);
    await page.fill('#complaint-search-text', trackingId.toLowerCase());
    await page.click('#complaint-search button[type=submit]');
    await page.locator('#complaint-result:not([hidden])').waitFor();
    expect(new URL(page.url()).hash).toBe(`#aduan/${trackingId}`);
    expect(await page.textContent('#complaint-summary dd[data-field="status"]')).toMatch(/^Ditindaklanjuti/);
    expect(await page.locator('#complaint-timeline tbody tr', { hasText: NOTE }).count()).toBe(1);
    expect(await page.textContent('#complaint-identity-hidden')).toBe('Identitas pelapor disembunyikan: hanya admin yang dapat melihatnya.');
    expect(await page.locator('#complaint-reporter').count()).toBe(0);
    const body = await page.textContent('body');
    expect(body).not.toContain(REPORTER.name);
    expect(body).not.toContain(REPORTER.email);

    await page.goto(`${gw.url}/admin#aduan/ZZZZZZZZ`);
    await page.locator('#complaint-status.error').waitFor();
    expect(await page.textContent('#complaint-status')).toBe('Aduan dengan nomor lacak ZZZZZZZZ tidak ditemukan.');
    expect(await page.locator('#complaint-result').isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });
});
