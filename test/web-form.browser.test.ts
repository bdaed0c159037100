/** The citizen's form in a real browser: fill it in, submit, read the tracking number. */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

describe('web form in headless Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    gw = await startGateway();
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
