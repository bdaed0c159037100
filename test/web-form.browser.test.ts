/** The citizen's form in a real browser: fill it in, submit, read the tracking number. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { sign } from '../src/signed-http.js';

const NATIONAL_SECRET = 'national-desk-secret-0123';

describe('web form in headless Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    gw = await startGateway({ WEBHOOK_SECRET: NATIONAL_SECRET });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('submits a complaint and shows the tracking number, which the status API knows', async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/`);
    expect(await page.title()).toContain('Aduan');
    await page.selectOption('select[name=region]', '33.75');
    await page.fill('textarea[name=text]', 'Jalan rusak di depan pasar, mohon segera diperbaiki');
    await page.fill('input[name=name]', 'Siti <b>Aminah</b>');
    await page.fill('input[name=phone]', '081234567890');
    await page.check('input[name=anonymous]');
    await page.click('button[type=submit]');
    await page.waitForSelector('#tracking-id');
    const trackingId = (await page.textContent('#tracking-id'))!.trim();
    expect(trackingId).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(await page.textContent('body')).toContain('Kota Pekalongan');
    expect(page.url()).toBe(`${gw.url}/aduan/${trackingId}`);
    const status = await eventually(async () => { const s = await json(fetch(`${gw.url}/api/v1/complaints/${trackingId}`)); return s.status === 'delivered' && s; });
    expect(status.route).toEqual({ code: '33.75', name: 'Kota Pekalongan' });

    // Reload after submit shows the same number and does not submit again.
    await page.reload();
    expect((await page.textContent('#tracking-id'))!.trim()).toBe(trackingId);
    await page.close();
  });

  it('shows each error next to its field and keeps what the citizen typed', async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/`);
    await page.fill('textarea[name=text]', 'pendek');
    await page.fill('input[name=email]', 'budi@');
    await page.fill('input[name=name]', '<script>alert(1)</script>');
    await page.click('button[type=submit]');
    await page.waitForSelector('#text-error');
    expect(await page.textContent('#text-error')).toMatch(/minimal 10 karakter/);
    expect(await page.textContent('#email-error')).toMatch(/Email tidak valid/);
    expect(await page.inputValue('textarea[name=text]')).toBe('pendek');
    expect(await page.inputValue('input[name=name]')).toBe('<script>alert(1)</script>');
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.getAttribute('textarea[name=text]', 'aria-invalid')).toBe('true');
    await page.close();
  });

  it('shows the agency’s follow-up as a timeline on the status page', async () => {
    const page = await browser.newPage();
    await page.goto(`${gw.url}/`);
    await page.fill('textarea[name=text]', 'PekalonganKota lampu penerangan jalan mati sejak seminggu');
    await page.click('button[type=submit]');
    await page.waitForSelector('#tracking-id');
    const trackingId = (await page.textContent('#tracking-id'))!.trim();
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    for (const [status, note] of [['ditindaklanjuti', 'Petugas <b>PLN</b> dijadwalkan besok.'], ['selesai', 'Lampu sudah menyala.']]) {
      const raw = JSON.stringify({ trackingId, updateId: `${trackingId}-${status}`, status, note });
      const res = await fetch(`${gw.url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': 'national', 'x-pintu-signature': sign(raw, NATIONAL_SECRET) }, body: raw });
      expect(res.status).toBe(200);
    }
    await page.reload();
    expect(await page.textContent('#current-status')).toBe('Selesai');
    const entries = await page.locator('#timeline li').allTextContents();
    expect(entries).toHaveLength(4);
    expect(entries[0]).toContain('Diterima');
    expect(entries[1]).toContain('Diterima instansi');
    expect(entries[2]).toContain('Ditindaklanjuti');
    // The agency's note is shown as text, never as markup.
    expect(entries[2]).toContain('Petugas <b>PLN</b> dijadwalkan besok.');
    expect(await page.locator('#timeline b').count()).toBe(0);
    expect(entries[3]).toContain('Selesai');
    expect(entries[3]).toContain('Lampu sudah menyala.');
    await page.close();
  });

  it('works without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${gw.url}/`);
    await page.fill('textarea[name=text]', 'SurabayaKota banjir di jalan utama sejak pagi');
    await page.click('button[type=submit]');
    await page.waitForSelector('#tracking-id');
    expect(await page.textContent('body')).toContain('Kota Surabaya');
    await context.close();
  });
});
