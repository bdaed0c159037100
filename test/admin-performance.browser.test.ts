/**
 * The Kinerja page in Chromium against a real gateway and Redis: performance events recorded for a few regions (as the
 * pipeline records them, under its hash tag), then the chart draws them, the table ranks them, filters and sorting
 * change it, and "Unduh CSV" downloads what the API answers for the same filter.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '../src/calendar.js';
import { appendOps, performanceOps, type PerformanceEvent } from '../src/performance.js';
import { pipelineTag } from '../queues/topology.js';
import { ADMIN, ADMIN_ENV, adminApi } from './admin-helpers.js';
import { adminPage, type AdminPage } from './helpers/admin-browser.js';
import { launchChromium } from './helpers/browser.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Days before today (in WIT, where the default period ends), at noon in western Indonesia: the same local day in
// every time zone.
const today = Date.parse(localDate(new Date(), 'WIT'));
const daysAgo = (n: number) => new Date(today - n * DAY + 5 * HOUR);
const dateOf = (n: number) => daysAgo(n).toISOString().slice(0, 10);

/** `channels.length` complaints received and delivered at `code` `ago` days back, each answered after `hours` (within `deadline`). */
function complaints(code: string, ago: number, channels: string[], hours: number | null, deadline = 8): PerformanceEvent[] {
  const at = daysAgo(ago);
  return channels.flatMap((channel): PerformanceEvent[] => [
    { type: 'received', code, at, channel },
    { type: 'delivered', code, at },
    ...(hours === null ? [] : [{ type: 'firstResponse' as const, code, at: new Date(at.getTime() + HOUR), durationMs: hours * HOUR, withinDeadline: hours <= deadline }]),
  ]);
}

const EVENTS: PerformanceEvent[] = [
  // Kota Pekalongan: 3, all answered in an hour. Kota Batang: 3 in 10 h, one past its deadline. Kab. Cilacap: never.
  ...complaints('33.75', 3, ['sms'], 1), ...complaints('33.75', 2, ['web'], 1), ...complaints('33.75', 1, ['sms'], 1),
  ...complaints('33.74', 3, ['twitter', 'twitter'], 10, 12), ...complaints('33.74', 3, ['twitter'], 10, 8),
  ...complaints('33.01', 2, ['sms', 'sms'], null),
  // Kota Makassar: 4 in 2 h; Jawa Tengah itself: 2 in 3 h.
  ...complaints('73.71', 1, ['web', 'web', 'web', 'web'], 2),
  ...complaints('33', 2, ['web', 'web'], 3),
];

describe('the Kinerja page in Chromium', () => {
  let gw: TestGateway;
  let browser: Browser;
  let admin: AdminPage;
  let page: Page;

  beforeAll(async () => {
    gw = await startGateway({ ...ADMIN_ENV, PERFORMANCE_MIN_COMPLAINTS: '2' }, { workers: false, channels: [] });
    const pipeline = gw.pintu.redis.pipeline();
    for (const event of EVENTS) appendOps(pipeline, performanceOps(pipelineTag(gw.prefix), event));
    expect((await pipeline.exec())!.filter(([err]) => err)).toEqual([]);
    browser = await launchChromium();
    admin = await adminPage(browser, gw.url, ADMIN.token);
    page = admin.page;
    await page.goto(`${gw.url}/admin#performance`);
    await page.locator('#performance-table tbody tr[data-code="33.75"]').waitFor();
  });
  afterAll(async () => { await browser?.close(); await gw?.close(); });

  const cell = (code: string, column: string) => page.locator(`#performance-table tbody tr[data-code="${code}"] td[data-column="${column}"]`).textContent();
  /** A filter change reloads three API answers: give a busy machine time. */
  const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 15_000 });
  const codes = () => page.locator('#performance-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-code')));

  it('draws the complaints per day by channel and the median response time', async () => {
    const chart = page.locator('#performance-chart');
    await chart.locator('canvas').waitFor();
    expect(await chart.getAttribute('data-days')).toBe('30');
    expect(await chart.getAttribute('data-channels')).toBe('sms twitter web');
    expect(await chart.locator('.u-legend').textContent()).toContain('Median respons pertama (jam)');
    // Lines drawn in each series' colour: SMS, web, and the median (not only axes on an empty canvas).
    const drawn = await chart.locator('canvas').evaluate((canvas, colours: number[][]) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      return colours.map(([r, g, b]) => {
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r!) < 12 && Math.abs(data[i + 1]! - g!) < 12 && Math.abs(data[i + 2]! - b!) < 12 && data[i + 3]! > 200) n++;
        return n;
      });
    }, [[0x15, 0x65, 0xc0], [0x2e, 0x7d, 0x32], [0xd8, 0x43, 0x15]]);
    expect(drawn.every((n) => n > 20), `pixels per series: ${drawn.join(', ')}`).toBe(true);
    // The API's default period, shown in the filter: the 30 days up to today.
    expect(await page.inputValue('#performance-from')).toBe(new Date(today - 29 * DAY).toISOString().slice(0, 10));
    expect(await page.inputValue('#performance-to')).toBe(new Date(today).toISOString().slice(0, 10));
  });

  it('lists every region with its figures and ranks, unranked ones with a dash', async () => {
    expect(await page.locator('#performance-table tbody tr').count()).toBe(gw.pintu.routes.index().routes.size);
    expect(await page.textContent('#performance-summary')).toMatch(/^553 daerah, /);
    const row = async (code: string) => Promise.all(['received', 'delivered', 'responded', 'withinDeadline', 'rankInProvince', 'rankNational'].map((c) => cell(code, c)));
    expect(await row('33.75')).toEqual(['3', '3', '3', '100%', '1', '1']);
    expect(await row('73.71')).toEqual(['4', '4', '4', '100%', '1', '2']);
    expect(await row('33.74')).toEqual(['3', '3', '3', '67%', '2', '3']);
    expect(await row('33.01')).toEqual(['2', '2', '0', '0%', '3', '4']);
    expect(await row('33')).toEqual(['2', '2', '2', '100%', '—', '1']);
    expect(await row('73')).toEqual(['0', '0', '0', '—', '—', '—']);
    expect(await page.getAttribute('#performance-table tr[data-code="73"] td[data-column="rankNational"] span', 'title')).toMatch(/Belum diperingkat/);
    // About 10 h (the histogram's estimate), written the Indonesian way.
    expect(await cell('33.74', 'medianResponse')).toMatch(/^10(,\d)?$/);
  });

  it('sorts by a column when its heading is clicked, and back the other way', async () => {
    const heading = page.locator('#performance-table th[data-column="received"]');
    await heading.locator('button').click();
    expect(await heading.getAttribute('aria-sort')).toBe('ascending');
    expect(await cell((await codes())[0]!, 'received')).toBe('0');
    await heading.locator('button').click();
    expect(await heading.getAttribute('aria-sort')).toBe('descending');
    expect((await codes()).slice(0, 3)).toEqual(['73.71', '33.74', '33.75']);
    await page.locator('#performance-table th[data-column="rankNational"] button').click();
    expect(await heading.getAttribute('aria-sort')).toBeNull();
    expect((await codes()).slice(0, 6)).toEqual(['33', '33.75', '73.71', '33.74', '33.01', 'national']);
  });

  it('filters by province, level and period', async () => {
    await page.selectOption('#performance-province', '73');
    await poll(codes).not.toContain('33.75');
    const south = await codes();
    expect(south).toContain('73');
    expect(south.every((code) => code === '73' || code!.startsWith('73.'))).toBe(true);
    await poll(() => page.getAttribute('#performance-chart', 'data-channels')).toBe('web');

    await page.selectOption('#performance-level', 'regency');
    await poll(codes).not.toContain('73');
    expect(await cell('73.71', 'rankInProvince')).toBe('1');

    await page.selectOption('#performance-province', '');
    await page.fill('#performance-from', dateOf(1));
    await page.fill('#performance-to', dateOf(1));
    await poll(() => page.getAttribute('#performance-chart', 'data-days')).toBe('1');
    await poll(() => cell('33.74', 'received')).toBe('0');
    expect([await cell('33.75', 'received'), await cell('73.71', 'received')]).toEqual(['1', '4']);
  });

  it('downloads the CSV of the current filter, the same as the API answers', async () => {
    await page.selectOption('#performance-province', '33');
    await page.fill('#performance-from', dateOf(3));
    await poll(() => cell('33.74', 'received')).toBe('3');
    const href = await page.getAttribute('#performance-csv', 'href');
    expect(Object.fromEntries(new URL(href!, gw.url).searchParams)).toEqual({ from: dateOf(3), to: dateOf(1), province: '33', level: 'regency', format: 'csv' });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#performance-csv')]);
    expect(download.suggestedFilename()).toBe(`kinerja-${dateOf(3)}-${dateOf(1)}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const fromApi = await (await adminApi(gw.url)('GET', `/performance?from=${dateOf(3)}&to=${dateOf(1)}&province=33&level=regency&format=csv`)).text();
    expect(csv).toBe(fromApi);
    expect(csv.split('\r\n').find((line) => line.startsWith('33.75,'))).toMatch(/^33\.75,Kota Pekalongan,regency,33,3,/);
  });

  it('keeps the table for a period longer than the chart covers, and says why there is no chart', async () => {
    await page.fill('#performance-from', dateOf(400));
    await page.locator('#performance-status.error').waitFor();
    expect(await page.textContent('#performance-status')).toMatch(/the per-day figures cover at most 366 days/);
    expect(await page.getAttribute('#performance-chart', 'data-days')).toBe('0');
    expect(await page.locator('#performance-chart canvas').count()).toBe(0);
    expect(await cell('33.74', 'received')).toBe('3');
    expect(await page.getAttribute('#performance-csv', 'href')).toContain(`from=${dateOf(400)}`);
  });

  it('shows an empty overdue list while nothing is overdue', async () => {
    await page.locator('#overdue-empty:not([hidden])').waitFor();
    expect(await page.textContent('#overdue-empty')).toBe('Tidak ada aduan yang melewati batas waktu.');
    expect(await page.locator('#overdue-table').isHidden()).toBe(true);
    expect(admin.problems).toEqual([]);
  });
});
