/**
 * Overdue complaints in the admin UI, in Chromium against a real gateway, workers and Redis with second-scale
 * deadlines: a complaint Kota Pekalongan never answers is escalated to the province by the deadline clocks, then
 * shows in the Kinerja page's overdue list (filtered by province) and, through its link, in the complaint view
 * with its deadline and escalation; once the city answers it leaves the list.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../src/signed-http.js';
import { ADMIN, ADMIN_ENV, adminApi } from './admin-helpers.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { adminPage, type AdminPage } from './helpers/admin-browser.js';
import { launchChromium } from './helpers/browser.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const SECRETS = { national: 'overdue-national-secret-01', province: 'overdue-jateng-secret-0001', city: 'overdue-kota-pkl-secret-01' };

describe('overdue complaints in the admin UI', () => {
  let sinks: AgencySink[];
  let gw: TestGateway;
  let browser: Browser;
  let admin: AdminPage;
  let page: Page;
  let trackingId: string;

  beforeAll(async () => {
    sinks = await Promise.all([startAgencySink(), startAgencySink(), startAgencySink()]);
    const [national, province, city] = sinks as [AgencySink, AgencySink, AgencySink];
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: SECRETS.national, ...ADMIN_ENV, DEADLINE_FIRST_RESPONSE: '1s', DEADLINE_FOLLOW_UP: '1h', CLOCK_SCAN_MS: '200' });
    const routes = gw.pintu.routes.index().routes;
    await gw.pintu.routes.save([
      { ...routes.get('33')!, destination: { url: province.url, secret: SECRETS.province } },
      { ...routes.get('33.75')!, destination: { url: city.url, secret: SECRETS.city } },
    ]);
    ({ trackingId } = await json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota lampu jalan mati di Jl. Merdeka' }) })));
    // Past its first-response deadline and escalated to the province, as the API says.
    await eventually(async () => (await json(adminApi(gw.url, ADMIN.token)('GET', '/overdue'))).items.some((i: { trackingId: string; escalatedTo: unknown }) => i.trackingId === trackingId && i.escalatedTo), 30_000);
    browser = await launchChromium();
    admin = await adminPage(browser, gw.url, ADMIN.token);
    page = admin.page;
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await Promise.all((sinks ?? []).map((s) => s.close()));
  });

  const row = () => page.locator(`#overdue-table tbody tr[data-tracking-id="${trackingId}"]`);

  it('lists the overdue complaint on the Kinerja page, with its stage and where it was escalated', async () => {
    await page.goto(`${gw.url}/admin#performance`);
    await row().waitFor();
    const cells = await row().locator('td').allTextContents();
    expect(cells[0]).toBe(trackingId);
    expect(cells.slice(1, 4)).toEqual(['Kota Pekalongan (33.75)', 'Kabupaten/Kota', 'Respons pertama']);
    expect(cells[6]).toBe('Provinsi Jawa Tengah (33)');
    expect(await page.textContent('#overdue-total')).toBe('1 aduan melewati batas waktu');
    expect(await page.locator('#overdue-empty').isHidden()).toBe(true);
  });

  it('filters the list by province like the table', async () => {
    await page.selectOption('#performance-province', '32');
    await page.locator('#overdue-empty:not([hidden])').waitFor();
    expect(await row().count()).toBe(0);
    await page.selectOption('#performance-province', '33');
    await row().waitFor();
  });

  it('opens the complaint from its link, showing the deadline passed and the escalation', async () => {
    await row().locator('a').click();
    await page.locator('#complaint-result:not([hidden])').waitFor();
    expect(page.url()).toMatch(new RegExp(`#aduan/${trackingId}$`));
    const field = (name: string) => page.textContent(`#complaint-summary dd[data-field="${name}"]`);
    expect(await field('trackingId')).toBe(trackingId);
    expect(await field('deadline')).toMatch(/^Respons pertama paling lambat .+: terlambat$/);
    expect(await field('escalations')).toMatch(/^Respons pertama → Provinsi Jawa Tengah \(33\) \(.+\)$/);
    expect(admin.problems).toEqual([]);
  });

  it('drops it from the list once the city answers', async () => {
    const body = JSON.stringify({ trackingId, updateId: `overdue-${trackingId}`, status: 'diverifikasi' });
    const res = await fetch(`${gw.url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': '33.75', 'x-pintu-signature': sign(body, SECRETS.city) }, body });
    expect(res.status).toBe(200);
    await page.goto(`${gw.url}/admin#performance`);
    await page.locator('#overdue-empty:not([hidden])').waitFor();
    expect(await row().count()).toBe(0);
  });
});
