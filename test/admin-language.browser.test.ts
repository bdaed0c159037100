/**
 * The admin UI's language: Indonesian unless the browser prefers English, or the admin chose with the ID | EN switch
 * (a cookie that beats the browser). Server-rendered pages and admin.js speak the same language; both dictionaries
 * carry the same values in every text.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DICTIONARIES, pageLanguage, preferredLanguage, type TextKey } from '../src/admin/i18n.js';
import { ADMIN, ADMIN_ENV } from './admin-helpers.js';
import { adminPage } from './helpers/admin-browser.js';
import { launchChromium } from './helpers/browser.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

describe('choosing the language', () => {
  it.each([
    [undefined, null], ['', null], ['id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7', 'id'], ['en-US,en;q=0.9', 'en'], ['en-GB', 'en'],
    ['fr-FR,fr;q=0.9,en;q=0.5', 'en'], ['de-DE', null], ['en;q=0.4, id;q=0.8', 'id'], ['id;q=0, en', 'en'], ['in-ID', 'id'], ['*', null], ['EN-us', 'en'],
  ])('Accept-Language %j prefers %j', (header, language) => {
    expect(preferredLanguage(header)).toBe(language);
  });

  it('takes the admin’s choice over the browser’s, and Indonesian when neither says', () => {
    expect(pageLanguage('en', 'id-ID')).toBe('en');
    expect(pageLanguage('id', 'en-US')).toBe('id');
    expect(pageLanguage('fr', 'en-US')).toBe('en');
    expect(pageLanguage(undefined, undefined)).toBe('id');
  });

  it('has every text in both languages with the same {values}', () => {
    const values = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const keys = Object.keys(DICTIONARIES.id) as TextKey[];
    expect(Object.keys(DICTIONARIES.en).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(values(DICTIONARIES.en[key]), key).toEqual(values(DICTIONARIES.id[key]));
  });
});

describe('the admin UI’s language in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    gw = await startGateway(ADMIN_ENV, { workers: false, channels: [] });
    browser = await launchChromium();
  });
  afterAll(async () => { await browser?.close(); await gw?.close(); });

  const signInPage = async (acceptLanguage?: string, cookie?: string) => {
    const res = await fetch(`${gw.url}/admin/login`, { headers: { ...(acceptLanguage && { 'accept-language': acceptLanguage }), ...(cookie && { cookie }) } });
    expect(res.headers.get('vary')).toMatch(/Accept-Language/);
    return res.text();
  };

  it('renders the sign-in page in Indonesian by default, in English for an English browser or choice', async () => {
    expect(await signInPage()).toMatch(/<html lang="id">[\s\S]*<button type="submit">Masuk<\/button>/);
    expect(await signInPage('en-US,en;q=0.9')).toMatch(/<html lang="en">[\s\S]*<button type="submit">Sign in<\/button>/);
    expect(await signInPage('en-US', 'pintu_lang=id')).toMatch(/<html lang="id">/);
    expect(await signInPage('id-ID', 'pintu_lang=en')).toMatch(/<html lang="en">/);
    // A cookie that is not one of ours (or not even valid percent-encoding) counts as no choice.
    expect(await signInPage(undefined, 'pintu_lang=%E0%A4%A')).toMatch(/<html lang="id">/);
  });

  it('refuses a language switch that would leave /admin', async () => {
    for (const next of ['https://evil.example/admin', '//evil.example', '/administrator', '/']) {
      const res = await fetch(`${gw.url}/admin/language`, { method: 'POST', body: new URLSearchParams({ lang: 'en', next }), redirect: 'manual' });
      expect(res.status, next).toBe(400);
    }
    const bad = await fetch(`${gw.url}/admin/language`, { method: 'POST', body: new URLSearchParams({ lang: 'fr' }), redirect: 'manual' });
    expect(bad.status).toBe(400);
  });

  it('speaks Indonesian to an Indonesian browser, and English after the switch, which sticks', async () => {
    const { page, problems, context } = await adminPage(browser, gw.url, null);
    await page.goto(`${gw.url}/admin`);
    await page.fill('#token', 'salah');
    await page.click('form[action="/admin/session"] button[type=submit]');
    await page.getByText('Token tersebut tidak berlaku.').waitFor();
    await page.fill('#token', ADMIN.token);
    await page.click('form[action="/admin/session"] button[type=submit]');
    await page.waitForURL(`${gw.url}/admin`);
    await page.goto(`${gw.url}/admin#audit`);

    expect(await page.getAttribute('html', 'lang')).toBe('id');
    expect(await page.locator('nav a').allTextContents()).toEqual(['Kinerja', 'Cari aduan', 'Rute', 'Uji pesan', 'Aduan gagal kirim', 'Riwayat audit', 'Antrean']);
    expect(await page.textContent('header')).toContain('Keluar');
    // Texts admin.js writes: the route pager and table, the performance table's headings.
    await page.locator('#route-page', { hasText: /dari 553$/ }).waitFor();
    expect(await page.textContent('#route-table tbody tr:first-child td:nth-child(6)')).toBe('ya');
    expect(await page.textContent('#performance-table th[data-column="rankNational"]')).toBe('Peringkat nasional');
    expect(await page.getAttribute('#language-id', 'aria-pressed')).toBe('true');

    await page.click('#language-en');
    await page.waitForURL(`${gw.url}/admin#audit`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('nav a').allTextContents()).toEqual(['Performance', 'Find a complaint', 'Routes', 'Test a message', 'Dead letters', 'Audit log', 'Queues']);
    await page.locator('#route-page', { hasText: /of 553$/ }).waitFor();
    expect(await page.textContent('#performance-table th[data-column="rankNational"]')).toBe('National rank');
    expect(await page.textContent('#route-table tbody tr:first-child td:nth-child(6)')).toBe('yes');

    // The choice sticks: a new page, and the sign-in page after signing out.
    const again = await context.newPage();
    await again.goto(`${gw.url}/admin`);
    expect(await again.getAttribute('html', 'lang')).toBe('en');
    await again.click('header button.link');
    await again.waitForURL(`${gw.url}/admin/login`);
    expect(await again.textContent('h1')).toBe('Pintu administration');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('speaks English to an English browser until the admin switches to Indonesian', async () => {
    const { page, problems, context } = await adminPage(browser, gw.url, ADMIN.token, { locale: 'en-US' });
    await page.goto(`${gw.url}/admin`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('header')).toContain('Sign out');
    await page.locator('#route-page', { hasText: /of 553$/ }).waitFor();

    await page.click('#language-id');
    await page.waitForURL(`${gw.url}/admin`);
    expect(await page.getAttribute('html', 'lang')).toBe('id');
    await page.locator('#route-page', { hasText: /dari 553$/ }).waitFor();
    await page.reload();
    expect(await page.textContent('header')).toContain('Keluar');
    expect(problems).toEqual([]);
    await context.close();
  });
});
