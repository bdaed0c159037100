/**
 * The Open311 GeoReport v2 channel over real HTTP against a real gateway (real Redis, workers, agency sinks): client
 * apps submit in JSON and XML, complaints reach the right agency, repeats keep their number, the agency's signed
 * updates show as open/closed with its note, the reporter never shows, keys and per-key limits hold, Redis down is a
 * 503 in the spec's shape; and `pintu open311 key` makes a key that a gateway admits.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpen311Channel } from '../adapters/open311/index.js';
import { newOpen311ApiKey } from '../adapters/open311/keys.js';
import { Complaint } from '../src/complaint.js';
import { startLocalRedis } from '../src/redis.js';
import { sign } from '../src/signed-http.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { expectErrors, postRequest, readAnswer, type Open311Format } from './helpers/open311.js';

const CITY_SECRET = 'kota-pekalongan-secret-01';
const NATIONAL_SECRET = 'national-desk-secret-0123';
const civic = newOpen311ApiKey('civic-app');
const kota = newOpen311ApiKey('kota-app');
const FORMATS: Open311Format[] = ['json', 'xml'];
const REPORTER = { first_name: 'Siti', last_name: 'Aminah', email: 'Siti.Aminah@example.org', phone: '081234567890' };
/** What of the reporter could show: the name, the email's domain, the phone in any form. */
const IDENTITY = /Siti|Aminah|example\.org|81234567890/;

let updates = 0;
function agencyUpdate(gw: TestGateway, trackingId: string, status: string, note?: string) {
  const raw = JSON.stringify({ trackingId, updateId: `o311-${process.pid}-${updates++}`, status, ...(note && { note }) });
  return fetch(`${gw.url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': '33.75', 'x-pintu-signature': sign(raw, CITY_SECRET) }, body: raw });
}

let descriptions = 0;
/** Every test its own complaint text, so no two tests make a repeat of each other. */
const fresh = (text: string) => `${text} (laporan ${process.pid}-${descriptions++})`;

describe('Open311 GeoReport v2 over HTTP', () => {
  let city: AgencySink;
  let national: AgencySink;
  let gw: TestGateway;
  const deliveredTo = (sink: AgencySink, trackingId: string) =>
    eventually(() => sink.received.find((d) => d.body?.complaint?.trackingId === trackingId));

  beforeAll(async () => {
    [city, national] = await Promise.all([startAgencySink(), startAgencySink()]);
    const open311 = createOpen311Channel({ OPEN311_API_KEYS: `${civic.entry}, ${kota.entry}`, OPEN311_REQUESTS_PER_MINUTE: '1000' });
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: NATIONAL_SECRET }, { channels: [open311] });
    const routes = gw.pintu.routes.index().routes;
    await gw.pintu.routes.save([{ ...routes.get('33.75')!, destination: { url: city.url, secret: CITY_SECRET } }]);
  });
  afterAll(async () => { await gw.close(); await city.close(); await national.close(); });

  /** A POST that must be accepted: its service_request_id and notice. */
  async function submit(format: Open311Format, fields: Record<string, string>, key = civic.key) {
    const res = await postRequest(gw.url, format, { api_key: key, service_code: 'pengaduan-umum', ...fields });
    expect(res.status).toBe(200);
    const answer = await readAnswer(res, format);
    expect(answer).toEqual([{ service_request_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{8}$/), service_notice: expect.stringContaining('3 hari kerja') }]);
    expect(Object.keys(answer[0]).sort()).toEqual(['service_notice', 'service_request_id']);
    return answer[0] as { service_request_id: string; service_notice: string };
  }

  async function view(format: Open311Format, trackingId: string) {
    const res = await fetch(`${gw.url}/open311/v2/requests/${trackingId}.${format}`);
    const body = await res.clone().text();
    expect(res.status, body).toBe(200);
    expect(body).not.toMatch(IDENTITY);
    const [one, ...more] = await readAnswer(res, format);
    expect(more).toEqual([]);
    return one;
  }

  it.each<{ format: Open311Format; region: Record<string, string>; how: string }>([
    { format: 'json', region: { jurisdiction_id: '33.75' }, how: 'jurisdiction_id as a region code' },
    { format: 'xml', region: { jurisdiction_id: 'PekalonganKota' }, how: 'jurisdiction_id as a keyword' },
    { format: 'json', region: {}, how: 'the description\'s first words' },
  ])('a $format POST naming the region by $how becomes a complaint delivered to Kota Pekalongan', async ({ format, region }) => {
    const text = fresh('Jalan berlubang besar di depan pasar');
    const description = 'jurisdiction_id' in region ? text : `PekalonganKota ${text}`;
    const { service_request_id: trackingId } = await submit(format, {
      ...region, description, ...REPORTER, lat: '-6.8886', long: '109.6753', address_string: 'Jl. Hayam Wuruk No. 5', media_url: 'https://example.net/foto/42.jpg',
    });
    const delivery = await deliveredTo(city, trackingId);
    const complaint = Complaint.parse(delivery.body.complaint);
    expect(complaint).toMatchObject({
      trackingId, channel: 'open311', text, rawText: description,
      region: { code: '33.75', name: 'Kota Pekalongan' },
      reporter: { name: 'Siti Aminah', email: 'siti.aminah@example.org', phone: '+6281234567890', anonymous: false, confidential: false },
      location: { lat: -6.8886, lon: 109.6753, address: 'Jl. Hayam Wuruk No. 5' },
      attachments: [{ url: 'https://example.net/foto/42.jpg', mediaType: 'image/jpeg' }],
      source: { address: `/open311/v2/requests.${format}`, extras: { apiClient: 'civic-app', serviceCode: 'pengaduan-umum' } },
    });
    expect(national.received.some((d) => d.body?.complaint?.trackingId === trackingId)).toBe(false);
  });

  it('answers a repeat with the same service_request_id and keeps one complaint; another app sending the same is another', async () => {
    const fields = { jurisdiction_id: '33.75', description: fresh('Lampu jalan mati di Jl. Merdeka'), device_id: 'hp-7' };
    const first = await submit('json', fields);
    const again = await submit('xml', { device_id: 'hp-7', description: `  ${fields.description} `, jurisdiction_id: '33.75' });
    expect(again.service_request_id).toBe(first.service_request_id);
    const other = await submit('json', fields, kota.key);
    expect(other.service_request_id).not.toBe(first.service_request_id);
    await deliveredTo(city, other.service_request_id);
    await deliveredTo(city, first.service_request_id);
    expect(city.received.filter((d) => d.body?.complaint?.trackingId === first.service_request_id)).toHaveLength(1);
  });

  it('shows open, then the agency\'s latest note, then closed after selesai; never the reporter, in either format', async () => {
    const { service_request_id: trackingId } = await submit('json', { jurisdiction_id: 'PekalonganKota', description: fresh('Sampah menumpuk di TPS dekat stasiun'), ...REPORTER });
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    for (const format of FORMATS) {
      const shown = await view(format, trackingId);
      expect(shown).toMatchObject({ service_request_id: trackingId, status: 'open', agency_responsible: 'Kota Pekalongan', service_code: 'pengaduan-umum', service_name: 'Pengaduan umum' });
      expect(shown.status_notes).toBe(format === 'json' ? null : '');
    }
    expect((await view('json', trackingId)).expected_datetime).toBeNull();
    expect((await agencyUpdate(gw, trackingId, 'diverifikasi', 'Laporan diverifikasi, diteruskan ke DLH.')).status).toBe(200);
    const verified = await view('json', trackingId);
    expect(verified).toMatchObject({ status: 'open', status_notes: 'Laporan diverifikasi, diteruskan ke DLH.' });
    expect(Date.parse(verified.updated_datetime)).toBeGreaterThan(Date.parse(verified.requested_datetime));
    // The follow-up deadline runs from the first response: when the agency is expected to have acted.
    expect(Date.parse(verified.expected_datetime)).toBeGreaterThan(Date.parse(verified.updated_datetime));
    expect((await agencyUpdate(gw, trackingId, 'ditindaklanjuti', 'Petugas kebersihan dijadwalkan besok pagi.')).status).toBe(200);
    expect(await view('xml', trackingId)).toMatchObject({ status: 'open', status_notes: 'Petugas kebersihan dijadwalkan besok pagi.', expected_datetime: '' });
    expect((await agencyUpdate(gw, trackingId, 'selesai', 'Sampah sudah diangkut.')).status).toBe(200);
    for (const format of FORMATS) expect(await view(format, trackingId)).toMatchObject({ status: 'closed', status_notes: 'Sampah sudah diangkut.' });
    expect((await view('json', trackingId)).expected_datetime).toBeNull();
  });

  it('answers GET requests for the numbers asked (comma-separated, any case), leaving out unknown ones', async () => {
    const a = await submit('json', { jurisdiction_id: '33.75', description: fresh('Trotoar rusak') });
    const b = await submit('json', { jurisdiction_id: '33.75', description: fresh('Drainase tersumbat') });
    for (const format of FORMATS) {
      const res = await fetch(`${gw.url}/open311/v2/requests.${format}?service_request_id=${a.service_request_id},${b.service_request_id.toLowerCase()},ZZZZZZZZ`);
      const body = await res.clone().text();
      expect(res.status).toBe(200);
      expect(body).not.toMatch(IDENTITY);
      const listed = await readAnswer(res, format);
      expect(listed.map((r: { service_request_id: string }) => r.service_request_id)).toEqual([a.service_request_id, b.service_request_id]);
    }
    const none = await fetch(`${gw.url}/open311/v2/requests.xml?service_request_id=ZZZZZZZZ`);
    expect(await readAnswer(none, 'xml')).toEqual([]);
    await expectErrors(await fetch(`${gw.url}/open311/v2/requests.json`), 'json', 400, ['service_request_id is required']);
    await expectErrors(await fetch(`${gw.url}/open311/v2/requests/ZZZZZZZZ.xml`), 'xml', 404, ['ZZZZZZZZ was not found']);
  });

  it('hides a confidential complaint\'s text, place and media, showing its status and agency', async () => {
    const { service_request_id: trackingId } = await submit('xml', {
      jurisdiction_id: '33.75', description: fresh('Pungli di kantor kelurahan setiap urus KTP'), ...REPORTER,
      lat: '-6.89', long: '109.67', address_string: 'Kantor Kelurahan Podosugih', media_url: 'https://example.net/bukti.jpg', 'attribute[rahasia]': 'ya', 'attribute[anonim]': 'ya',
    });
    const delivery = await deliveredTo(city, trackingId);
    expect(delivery.body.complaint.reporter).toEqual({ anonymous: true, confidential: true });
    for (const format of FORMATS) {
      const empty = format === 'json' ? null : '';
      const shown = await view(format, trackingId);
      expect(shown).toMatchObject({ status: 'open', agency_responsible: 'Kota Pekalongan', description: empty, address: empty, lat: empty, long: empty, media_url: empty });
    }
  });

  it('refuses a POST without a key, or with a wrong one, with 403 in the spec\'s shape, and keeps nothing', async () => {
    const fields = { service_code: 'pengaduan-umum', jurisdiction_id: '33.75', description: fresh('Tanpa kunci') };
    for (const format of FORMATS) {
      await expectErrors(await postRequest(gw.url, format, fields), format, 403, ['api_key is missing']);
      await expectErrors(await postRequest(gw.url, format, { ...fields, api_key: `${civic.key}x` }), format, 403, ['api_key is not valid']);
      await expectErrors(await postRequest(gw.url, format, { ...fields, api_key: civic.entry }), format, 403, ['api_key is not valid']);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(city.received.some((d) => d.body?.complaint?.text === fields.description)).toBe(false);
  });

  it('lists the services and their definitions, for a jurisdiction too', async () => {
    const services = await readAnswer(await fetch(`${gw.url}/open311/v2/services.xml?jurisdiction_id=PekalonganKota`), 'xml');
    expect(services.map((s: { service_code: string }) => s.service_code)).toEqual(['pengaduan-umum', 'aspirasi', 'permintaan-informasi']);
    expect(services[0]).toMatchObject({ metadata: 'true', type: 'realtime', description: expect.stringMatching(/Laporan diteruskan ke Kota Pekalongan\.$/) });
    const definition = await readAnswer(await fetch(`${gw.url}/open311/v2/services/aspirasi.json`), 'json');
    expect(definition).toMatchObject({ service_code: 'aspirasi', attributes: [{ code: 'anonim', datatype: 'singlevaluelist' }, { code: 'rahasia' }] });
    await expectErrors(await fetch(`${gw.url}/open311/v2/services.json?jurisdiction_id=Atlantis`), 'json', 404, ['jurisdiction_id "Atlantis" was not found']);
    await expectErrors(await fetch(`${gw.url}/open311/v2/services/nope.xml`), 'xml', 404, ['service_code "nope" was not found']);
  });

  it('documents every route at /docs and counts requests by client, resource and outcome', async () => {
    const docs = await (await fetch(`${gw.url}/docs/json`)).json() as { paths: Record<string, Record<string, { summary?: string }>> };
    for (const [path, method] of [['/open311/v2/services.{format}', 'get'], ['/open311/v2/services/{file}', 'get'], ['/open311/v2/requests.{format}', 'post'],
      ['/open311/v2/requests.{format}', 'get'], ['/open311/v2/requests/{file}', 'get']] as const) {
      expect(docs.paths[path]?.[method]?.summary, `${method} ${path} in ${Object.keys(docs.paths).join(' ')}`).toMatch(/^Open311: /);
    }
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    for (const line of [
      /pintu_open311_requests_total\{client="civic-app",resource="create",outcome="accepted"\} [1-9]/,
      /pintu_open311_requests_total\{client="civic-app",resource="create",outcome="duplicate"\} [1-9]/,
      /pintu_open311_requests_total\{client="unknown",resource="create",outcome="forbidden"\} [1-9]/,
      /pintu_open311_requests_total\{client="public",resource="request",outcome="ok"\} [1-9]/,
      /pintu_complaints_total\{channel="open311",/,
    ]) expect(metrics).toMatch(line);
  });
});

describe('Open311 per-key rate limit and Redis failures', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pintu-o311-redis-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('limits each app on its own (429 in the spec\'s shape), and requests without a valid key per address', async () => {
    const channel = createOpen311Channel({ OPEN311_API_KEYS: `${civic.entry},${kota.entry}`, OPEN311_REQUESTS_PER_MINUTE: '3' });
    const gw = await startGateway({}, { channels: [channel], workers: false });
    try {
      const fields = (key: string) => ({ api_key: key, service_code: 'pengaduan-umum', jurisdiction_id: '33.75', description: fresh('Antrean KTP mengular') });
      for (let i = 0; i < 3; i++) expect((await postRequest(gw.url, 'json', fields(civic.key))).status).toBe(200);
      const limited = await postRequest(gw.url, 'json', fields(civic.key));
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      await expectErrors(limited, 'json', 429, ['civic-app made more than 3 requests in a minute']);
      await expectErrors(await postRequest(gw.url, 'xml', fields(civic.key)), 'xml', 429, ['retry in']);
      expect((await postRequest(gw.url, 'json', fields(kota.key))).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await postRequest(gw.url, 'json', fields('o311_guessed'))).status).toBe(403);
      await expectErrors(await postRequest(gw.url, 'json', fields('o311_guessed')), 'json', 429);
      // GETs need no key and are not limited by it.
      expect((await fetch(`${gw.url}/open311/v2/services.json`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });

  it('answers 503 in the spec\'s shape when Redis cannot keep the complaint, and takes it once Redis is back', async () => {
    const redis = await startLocalRedis(join(dir, 'redis'));
    let restarted: Awaited<ReturnType<typeof startLocalRedis>> | undefined;
    const gw = await startGateway({ REDIS_URL: redis.url }, { channels: [createOpen311Channel({ OPEN311_API_KEYS: civic.entry })], workers: false });
    try {
      const fields = { api_key: civic.key, service_code: 'pengaduan-umum', jurisdiction_id: '33.75', description: fresh('Banjir di Jl. Hayam Wuruk') };
      await redis.stop();
      for (const format of FORMATS) {
        const res = await postRequest(gw.url, format, fields);
        expect(res.headers.get('retry-after')).toBe('5');
        await expectErrors(res, format, 503, ['nothing was kept']);
      }
      await expectErrors(await fetch(`${gw.url}/open311/v2/requests/7K3M9QXA.json`), 'json', 503);
      restarted = await startLocalRedis(join(dir, 'redis'), { port: redis.port });
      const res = await eventually(async () => { const r = await postRequest(gw.url, 'json', fields); return r.status === 200 && r; }, 30_000, 250);
      const [{ service_request_id: trackingId }] = await readAnswer(res, 'json');
      expect((await gw.pintu.status.complaint(trackingId))?.text).toBe(fields.description);
    } finally {
      await gw.close();
      await restarted?.stop();
      await redis.stop();
    }
  }, 60_000);
});

describe('pintu open311 key', () => {
  const PINTU = new URL('../bin/pintu.js', import.meta.url).pathname;
  const pintu = (...args: string[]) => promisify(execFile)(process.execPath, [PINTU, ...args])
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));

  it('prints a new key and the OPEN311_API_KEYS entry that admits it on a running gateway', async () => {
    const { code, stdout } = await pintu('open311', 'key', 'lapor-mobile');
    expect(code).toBe(0);
    const key = /^ {2}(o311_[\w-]{43})$/m.exec(stdout)![1]!;
    const entry = /^ {2}(lapor-mobile:[0-9a-f]{64})$/m.exec(stdout)![1]!;
    expect(stdout).toContain('add to OPEN311_API_KEYS');
    const gw = await startGateway({}, { channels: [createOpen311Channel({ OPEN311_API_KEYS: entry })], workers: false });
    try {
      const fields = { service_code: 'aspirasi', jurisdiction_id: 'national', description: fresh('Mohon layanan KTP dibuka hari Sabtu') };
      const res = await postRequest(gw.url, 'json', { ...fields, api_key: key });
      expect(res.status).toBe(200);
      const [{ service_request_id: trackingId }] = await readAnswer(res, 'json');
      expect((await gw.pintu.status.complaint(trackingId))?.source.extras).toMatchObject({ apiClient: 'lapor-mobile', serviceCode: 'aspirasi' });
    } finally {
      await gw.close();
    }
  });

  it('refuses a wrong command line with one line, exit 1', async () => {
    expect(await pintu('open311', 'key')).toMatchObject({ code: 1, stderr: 'pintu: expected: pintu open311 key NAME\n' });
    expect(await pintu('open311', 'key', 'bad name')).toMatchObject({ code: 1, stderr: expect.stringMatching(/client name "bad name" must be 1–64 letters/) });
    expect((await pintu('--help')).stdout).toContain('pintu open311 key NAME');
  });
});
