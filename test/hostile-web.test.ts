/** Hostile input at the web channel: every case gets a clear answer, and the gateway stays up. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

interface Case { label: string; contentType: string | null; body?: string; bodyHex?: string; status: number; field?: string; message?: string }
const cases = JSON.parse(readFileSync(new URL('./data/hostile-web.json', import.meta.url), 'utf8')) as Case[];

describe('hostile web input', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startGateway(); });
  afterAll(async () => { await gw.close(); });

  it.each(cases)('$label → $status', async (c) => {
    const body = c.bodyHex ? Buffer.from(c.bodyHex, 'hex') : Buffer.from(c.body ?? '');
    const res = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: c.contentType ? { 'content-type': c.contentType } : {}, body });
    expect(res.status).toBe(c.status);
    const answer = await json(res);
    if (c.status >= 400) {
      expect(answer.error).toEqual(expect.any(String));
      expect(answer.message).toEqual(expect.any(String));
      if (c.field) expect(Object.keys(answer.fields)).toContain(c.field);
      if (c.message) expect(answer.message).toContain(c.message);
    } else {
      expect(answer.trackingId).toMatch(/^[0-9A-Z]{8}$/);
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('refuses a 10 MB body with 413 without reading it, and stays up', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024) } }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      req.write(`{"text":"${'x'.repeat(64 * 1024)}`);
      // The rest never comes: the answer must not wait for it.
    });
    expect(status).toBe(413);
    const chunked = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Blob([`{"text":"${'y'.repeat(10 * 1024 * 1024)}"}`]) });
    expect(chunked.status).toBe(413);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('renders script text inert on the status page and the form', async () => {
    const { trackingId } = await json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota <img src=x onerror=alert(1)> jalan rusak' }) }));
    const page = await (await fetch(`${gw.url}/aduan/${trackingId}`)).text();
    expect(page).not.toContain('<img');
    const missing = await (await fetch(`${gw.url}/aduan/%3Cscript%3Ealert(1)%3C%2Fscript%3E`)).text();
    expect(missing).not.toContain('<script>');
    const form = await fetch(`${gw.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=%3Cb%3Ex%3C%2Fb%3E&name=%22%3E%3Cscript%3Ex%3C%2Fscript%3E', redirect: 'manual' });
    expect(form.status).toBe(400);
    const html = await form.text();
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('<b>x');
    expect(html).toContain('&#34;&#62;&#60;script&#62;x');
  });
});
