/**
 * Hostile input at the Open311 channel over HTTP (cases in data/hostile-open311.json): every case gets the spec's
 * answer in the format its path asks for, markup comes back inert (JSON as sent, XML well-formed and reading back as
 * the text less only what XML cannot carry), and the gateway stays up.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xmlText } from '../adapters/open311/format.js';
import { createOpen311Channel } from '../adapters/open311/index.js';
import { newOpen311ApiKey } from '../adapters/open311/keys.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { expectErrors, readAnswer, type Open311Format } from './helpers/open311.js';

interface Case {
  label: string; method?: string; path: string; contentType?: string; body?: string; bodyHex?: string; pad?: { text: string; times: number };
  status: number; format: Open311Format; descriptions?: string[];
  /** An accepted request's description, as GET requests/{id} must show it. */
  readBack?: string;
  /**
   * Refused by fastify's router before any route or plugin sees it (a path parameter over 100 characters, a broken
   * escape in the path): answered in fastify's own JSON, which only the server-wide frameworkErrors option could change.
   */
  beforeRouting?: boolean;
}
const cases = JSON.parse(readFileSync(new URL('./data/hostile-open311.json', import.meta.url), 'utf8')) as Case[];
const client = newOpen311ApiKey('hostile-app');

describe('hostile Open311 input', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({}, { channels: [createOpen311Channel({ OPEN311_API_KEYS: client.entry, OPEN311_REQUESTS_PER_MINUTE: '0' })], workers: false });
  });
  afterAll(async () => { await gw.close(); });

  it.each(cases)('$label → $status', async (c) => {
    const text = (c.body ?? '').replaceAll('{KEY}', client.key).replace('{PAD}', c.pad ? c.pad.text.repeat(c.pad.times) : '');
    const method = c.method ?? 'POST';
    const res = await fetch(`${gw.url}/open311/v2/${c.path}`, {
      method,
      headers: method === 'GET' ? {} : { 'content-type': c.contentType ?? 'application/x-www-form-urlencoded' },
      ...(method !== 'GET' && { body: c.bodyHex ? Buffer.from(c.bodyHex, 'hex') : text }),
    });
    if (c.beforeRouting) {
      expect(res.status).toBe(c.status);
    } else if (c.status >= 400) {
      await expectErrors(res, c.format, c.status, c.descriptions);
    } else {
      expect(res.status).toBe(c.status);
      const answer = await readAnswer(res, c.format);
      expect(Array.isArray(answer) && answer.length > 0).toBe(true);
      if (c.readBack !== undefined) {
        const [{ service_request_id: trackingId }] = answer;
        const [asJson] = await readAnswer(await fetch(`${gw.url}/open311/v2/requests/${trackingId}.json`), 'json');
        expect(asJson.description).toBe(c.readBack);
        const [asXml] = await readAnswer(await fetch(`${gw.url}/open311/v2/requests/${trackingId}.xml`), 'xml');
        expect(asXml.description).toBe(xmlText(c.readBack).trim());
      }
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('refuses a 10 MB body with 413 in the spec\'s shape without reading it, and stays up', async () => {
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = request(`${gw.url}/open311/v2/requests.xml`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(10 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.write(`api_key=${client.key}&description=${'x'.repeat(64 * 1024)}`);
      // The rest never comes: the answer must not wait for it.
    });
    expect(answer.status).toBe(413);
    await expectErrors(new Response(answer.body, { status: answer.status, headers: { 'content-type': answer.type } }), 'xml', 413, ['larger than 65536 bytes']);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
