/** The admin routes API against a real gateway: auth, edits, clashes, destinations, audit and revert, import/export. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { startGateway, type TestGateway, keptComplaints } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN, ADMIN_ENV, adminApi, startLoggedGateway, VIEWER } from './admin-helpers.js';

const SECRET = 'route-secret-0123456789-abcdef';

/** Every admin endpoint: [method, OpenAPI path or null (not documented), a concrete path, a body that changes nothing]. */
const ENDPOINTS: Array<[string, string | null, string, unknown?]> = [
  ['GET', '/admin/api/routes', '/admin/api/routes'],
  ['GET', '/admin/api/routes/export', '/admin/api/routes/export?format=csv'],
  ['POST', '/admin/api/routes/import', '/admin/api/routes/import', '[]'],
  ['GET', '/admin/api/routes/{code}', '/admin/api/routes/33.75'],
  ['PUT', '/admin/api/routes/{code}', '/admin/api/routes/33.75', {}],
  ['PATCH', '/admin/api/routes/{code}', '/admin/api/routes/33.75', {}],
  ['DELETE', '/admin/api/routes/{code}', '/admin/api/routes/99.99'],
  ['POST', '/admin/api/routes/{code}/revert', '/admin/api/routes/33.75/revert', { version: 999 }],
  ['POST', '/admin/api/resolve', '/admin/api/resolve', { text: 'PekalonganKota jalan rusak' }],
  ['GET', '/admin/api/audit', '/admin/api/audit'],
  ['GET', '/admin/api/dead-letters', '/admin/api/dead-letters'],
  ['GET', '/admin/api/dead-letters/{id}', '/admin/api/dead-letters/dl-none'],
  ['POST', '/admin/api/dead-letters/{id}/replay', '/admin/api/dead-letters/dl-none/replay'],
  ['POST', '/admin/api/dead-letters/replay', '/admin/api/dead-letters/replay', { route: '99' }],
  ['GET', '/admin/api/complaints/{trackingId}', '/admin/api/complaints/ZZZZZZZZ'],
  ['GET', '/admin/api/performance', '/admin/api/performance?from=2026-01-01&to=2026-01-31'],
  ['GET', '/admin/api/overdue', '/admin/api/overdue'],
  ['GET', '/admin/api/performance/daily', '/admin/api/performance/daily?from=2026-01-01&to=2026-01-31'],
  ['GET', null, '/admin'],
  ['GET', null, '/admin/queues/'],
  ['GET', null, '/admin/queues/api/queues'],
  ['PUT', null, '/admin/queues/api/queues/no-such-queue/pause'],
];
const READ_ONLY_POSTS = new Set(['/admin/api/resolve']);

/** A serve-only gateway with the admin tokens, for the enclosing describe block. */
function withAdminGateway(started: (gw: TestGateway) => void): void {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startGateway(ADMIN_ENV, { workers: false, channels: [] }); started(gw); });
  afterAll(async () => { await gw.close(); });
}

describe('admin auth', () => {
  let gw: TestGateway;
  withAdminGateway((started) => { gw = started; });

  const call = (method: string, path: string, body: unknown, headers: Record<string, string>) => fetch(`${gw.url}${path}`, {
    method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });

  it('covers every documented admin endpoint in the matrix', async () => {
    const openapi = await json(fetch(`${gw.url}/docs/json`));
    const documented = Object.entries(openapi.paths as Record<string, object>).filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).toEqual(ENDPOINTS.filter(([, doc]) => doc).map(([m, doc]) => `${m} ${doc}`).sort());
  });

  it.each(ENDPOINTS)('%s %s: 401 without a valid token, 403 for a viewer writing', async (method, _doc, path, body) => {
    const anonymous = await call(method, path, body, {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(method, path, body, { authorization: 'Bearer not-a-real-token' })).status).toBe(401);
    expect((await call(method, path, body, { authorization: `Basic ${Buffer.from(`ayu:${ADMIN.token}`).toString('base64')}` })).status).toBe(401);
    expect((await call(method, path, body, { authorization: `Bearer ${ADMIN.token}x` })).status).toBe(401);

    const viewer = await call(method, path, body, { authorization: `Bearer ${VIEWER.token}` });
    // The queue dashboard shows job data (reporters' identities): admins only, even to read.
    const viewerMayCall = (method === 'GET' && !path.startsWith('/admin/queues')) || READ_ONLY_POSTS.has(path);
    if (viewerMayCall) expect([401, 403]).not.toContain(viewer.status);
    else expect(viewer.status).toBe(403);

    const admin = await call(method, path, body, { authorization: `Bearer ${ADMIN.token}` });
    expect([401, 403]).not.toContain(admin.status);
  });

  it('sends a person to the sign-in page, and signs in with a cookie that only works from our own origin', async () => {
    const page = await fetch(`${gw.url}/admin`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${gw.url}/admin/login`)).status).toBe(200);

    const refused = await fetch(`${gw.url}/admin/session`, { method: 'POST', body: new URLSearchParams({ token: 'wrong' }), redirect: 'manual' });
    expect(refused.status).toBe(401);
    const signIn = await fetch(`${gw.url}/admin/session`, { method: 'POST', body: new URLSearchParams({ token: ADMIN.token }), redirect: 'manual' });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    expect((await fetch(`${gw.url}/admin`, { headers: { cookie: session } })).status).toBe(200);
    const patch = (origin: string) => fetch(`${gw.url}/admin/api/routes/33.75`, { method: 'PATCH', headers: { cookie: session, origin, 'content-type': 'application/json' }, body: '{}' });
    expect((await patch('https://evil.example')).status).toBe(403);
    expect((await patch(gw.url)).status).toBe(200);
  });

  it('is off (404) when no tokens are configured, and says so in the log', async () => {
    const off = await startLoggedGateway({});
    try {
      for (const path of ['/admin', '/admin/api/routes', '/admin/queues/', '/admin/login']) expect((await fetch(`${off.url}${path}`)).status).toBe(404);
      expect(off.logs.some((line) => JSON.parse(line).msg.startsWith('admin API is off: ADMIN_TOKENS is not set'))).toBe(true);
    } finally {
      await off.close();
    }
  });

  it('refuses a malformed ADMIN_TOKENS at start-up with one readable line', () => {
    expect(() => loadConfig({ ADMIN_TOKENS: 'ayu:root:abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ ADMIN_TOKENS: 'ayu:root:abc' })).toThrow(/ADMIN_TOKENS: entry "ayu:…" is not name:role:sha256/);
    expect(() => loadConfig({ ADMIN_TOKENS: `${ADMIN.entry},${ADMIN.entry}` })).toThrow(/appears twice/);
    expect(loadConfig({ ADMIN_TOKENS: `${ADMIN.entry}\n${VIEWER.entry}` }).ADMIN_TOKENS.map((t) => [t.name, t.role])).toEqual([['ayu', 'admin'], ['vito', 'viewer']]);
  });
});

describe('admin routes API', () => {
  let gw: TestGateway;
  let api: ReturnType<typeof adminApi>;
  withAdminGateway((started) => { gw = started; api = adminApi(gw.url); });

  it('lists routes with filters and pagination', async () => {
    const all = await json(api('GET', '/routes?limit=2'));
    expect(all).toMatchObject({ total: 553, offset: 0, limit: 2 });
    expect(all.items.map((r: any) => r.code)).toEqual(['national', '11']);
    const central = await json(api('GET', '/routes?province=33&level=regency&limit=500'));
    expect(central.total).toBe(35);
    expect(central.items.every((r: any) => r.parent === '33')).toBe(true);
    expect((await json(api('GET', '/routes?text=kota%20pekalongan'))).items.map((r: any) => r.code)).toEqual(['33.75']);
    expect((await json(api('GET', '/routes?text=Jaksel'))).items.map((r: any) => r.code)).toEqual(['31.74']);
    expect((await json(api('GET', '/routes?level=province&offset=1&limit=1'))).items[0].code).toBe('12');
    expect((await api('GET', '/routes?limit=0')).status).toBe(400);
  });

  it('gets one route with its version, and 404s an unknown one', async () => {
    expect(await json(api('GET', '/routes/33.75'))).toMatchObject({ code: '33.75', name: 'Kota Pekalongan', keyword: 'PekalonganKota', version: 1, seeded: true, destination: null });
    expect((await api('GET', '/routes/33.99')).status).toBe(404);
    expect((await api('GET', '/routes/bogus')).status).toBe(400);
  });

  it('creates, replaces, patches and deletes a route; an official region is only deactivated', async () => {
    const created = await api('PUT', '/routes/33.99', { name: 'Kota Baru Uji', keyword: 'BaruUjiKota', aliases: ['Kota Baru Uji'] });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ code: '33.99', level: 'regency', parent: '33', version: 1, seeded: false, active: true });
    expect(gw.pintu.routes.index().routes.get('33.99')?.keyword).toBe('BaruUjiKota');
    const resolved = await json(api('POST', '/resolve', { text: 'kota baru uji jalan rusak' }));
    expect(resolved).toMatchObject({ route: { code: '33.99' }, matchType: 'alias', complaintText: 'jalan rusak' });

    const replaced = await api('PUT', '/routes/33.99', { name: 'Kota Baru Uji', keyword: 'BaruUjiKota', aliases: [] });
    expect(await json(replaced)).toMatchObject({ aliases: [], version: 2 });
    expect(await json(api('PATCH', '/routes/33.99', { active: false }))).toMatchObject({ active: false, aliases: [], version: 3 });
    expect(await json(api('DELETE', '/routes/33.99'))).toEqual({ code: '33.99', deleted: true, deactivated: false });
    expect((await api('GET', '/routes/33.99')).status).toBe(404);

    expect(await json(api('DELETE', '/routes/33.75'))).toEqual({ code: '33.75', deleted: false, deactivated: true });
    expect(await json(api('GET', '/routes/33.75'))).toMatchObject({ active: false, seeded: true });
    expect(await json(api('POST', '/resolve', { text: 'PekalonganKota jalan rusak' }))).toMatchObject({ route: { code: '33' }, matched: { code: '33.75', active: false } });
    await api('PATCH', '/routes/33.75', { active: true });
    expect((await api('DELETE', '/routes/national')).status).toBe(409);
    expect((await api('DELETE', '/routes/99.98')).status).toBe(404);
  });

  it('checks that code, level and parent agree', async () => {
    const wrongLevel = await api('PUT', '/routes/33.98', { name: 'X', keyword: 'XKota', level: 'province' });
    expect(wrongLevel.status).toBe(400);
    expect((await json(wrongLevel)).fields.level).toMatch(/regency/);
    expect((await json(api('PUT', '/routes/33.98', { name: 'X', keyword: 'XKota', parent: '34' }))).fields.parent).toMatch(/33/);
    expect((await json(api('PUT', '/routes/99.01', { name: 'X', keyword: 'XKota' }))).fields.parent).toMatch(/route 99 does not exist/);
    expect((await json(api('PATCH', '/routes/33.75', { keyword: 'two words' }))).fields.keyword).toBeDefined();
    expect((await json(api('PATCH', '/routes/33.75', { aliases: ['---'] }))).fields.aliases).toMatch(/letter or digit/);
    expect((await json(api('PATCH', '/routes/national', { active: false }))).fields.active).toMatch(/national desk/);
  });

  it('answers 409 naming the route that has a keyword or alias, compared the way resolution compares', async () => {
    for (const aliases of [['Kota-Bandung'], ['kota bandung'], ['BANDUNGKOTA'], ['Kotamadya Bandung']]) {
      const res = await api('PATCH', '/routes/33.75', { aliases });
      expect(res.status, aliases[0]).toBe(409);
      expect(await json(res)).toMatchObject({ error: 'keyword_taken', owner: { code: '32.73', name: 'Kota Bandung' }, word: aliases[0] });
    }
    const keyword = await api('PUT', '/routes/33.97', { name: 'Tiruan', keyword: 'pekalongankota' });
    expect(keyword.status).toBe(409);
    expect((await json(keyword)).message).toMatch(/Kota Pekalongan \(33\.75\)/);
    expect(gw.pintu.routes.index().routes.get('33.75')!.aliases).toEqual(['KotaPekalongan']);
  });

  it('takes a webhook over https or to localhost only, and keeps its secret write-only', async () => {
    const http = await api('PATCH', '/routes/33.74', { destination: { url: 'http://agency.example.go.id/hook', secret: SECRET } });
    expect(http.status).toBe(400);
    expect((await json(http)).fields['destination.url']).toMatch(/https/);
    expect((await json(api('PATCH', '/routes/33.74', { destination: { url: 'https://agency.example.go.id/hook', secret: 'short' } }))).fields['destination.secret']).toBeDefined();
    expect((await json(api('PATCH', '/routes/33.74', { destination: { url: 'https://agency.example.go.id/hook' } }))).fields['destination.secret']).toMatch(/required/);

    const set = await json(api('PATCH', '/routes/33.74', { destination: { url: 'https://agency.example.go.id/hook', secret: SECRET } }));
    expect(set.destination).toEqual({ url: 'https://agency.example.go.id/hook' });
    expect((await api('PATCH', '/routes/33.74', { destination: { url: 'http://127.0.0.1:9/hook', secret: SECRET } })).status).toBe(200);
    // Same URL without a secret keeps the stored one; a new URL needs a new secret.
    expect((await api('PATCH', '/routes/33.74', { destination: { url: 'http://127.0.0.1:9/hook' }, aliases: ['KotaSemarang', 'Semarang Kota'] })).status).toBe(200);
    expect(gw.pintu.routes.index().routes.get('33.74')!.destination).toEqual({ url: 'http://127.0.0.1:9/hook', secret: SECRET });
    expect((await api('PATCH', '/routes/33.74', { destination: null })).status).toBe(200);
    expect(gw.pintu.routes.index().routes.get('33.74')!.destination).toBeUndefined();
  });

  it('explains what would happen to a message without queueing it', async () => {
    expect(await json(api('POST', '/resolve', { text: 'LAPOR! Kab. Pekalongan: irigasi rusak' }))).toMatchObject({ route: { code: '33.26', name: 'Kabupaten Pekalongan', level: 'regency', keyword: 'PekalonganKab' }, complaintText: 'irigasi rusak' });
    const help = await json(api('POST', '/resolve', { text: 'PekalonganKota' }));
    expect(help).toMatchObject({ route: null, matched: { code: '33.75' }, complaintText: '' });
    expect(help.explanation).toMatch(/format help/);
    expect(await json(api('POST', '/resolve', { text: 'jalan rusak' }))).toMatchObject({ route: { code: 'national' }, matchType: 'none', keyword: null });
    expect(await keptComplaints(gw.pintu)).toEqual([]);
  });

  it('versions and audits every change, and reverts to an earlier version', async () => {
    const original = await json(api('GET', '/routes/33.72'));
    await api('PATCH', '/routes/33.72', { aliases: [...original.aliases, 'Surakarta Kota'] });
    await api('PATCH', '/routes/33.72', { keyword: 'SoloRayaKota' });
    const now = await json(api('GET', '/routes/33.72'));
    expect(now).toMatchObject({ keyword: 'SoloRayaKota', version: original.version + 2 });

    const audit = await json(api('GET', '/audit?target=33.72'));
    expect(audit.total).toBe(2);
    expect(audit.items[0]).toMatchObject({ actor: 'ayu', action: 'route.update', target: '33.72', version: now.version, before: { keyword: 'SurakartaKota' }, after: { keyword: 'SoloRayaKota' } });
    expect(Date.parse(audit.items[0].at)).toBeGreaterThan(0);

    const reverted = await json(api('POST', '/routes/33.72/revert', { version: original.version }));
    expect(reverted).toMatchObject({ keyword: 'SurakartaKota', aliases: original.aliases, version: original.version + 3 });
    expect(await json(api('POST', '/resolve', { text: 'SurakartaKota sampah' }))).toMatchObject({ route: { code: '33.72' } });
    expect((await json(api('GET', '/audit?target=33.72&limit=1'))).items[0]).toMatchObject({ action: 'route.revert', details: { toVersion: original.version } });
    expect(await json(api('POST', '/routes/33.72/revert', { version: original.version + 2 }))).toMatchObject({ keyword: 'SoloRayaKota' });
    expect((await api('POST', '/routes/33.72/revert', { version: 99 })).status).toBe(404);
  });

  it('does not record a change that changes nothing', async () => {
    const before = await json(api('GET', '/routes/35.78'));
    expect(await json(api('PATCH', '/routes/35.78', { name: before.name }))).toMatchObject({ version: before.version });
    expect((await json(api('GET', '/audit?target=35.78'))).total).toBe(0);
  });
});

describe('route import and export', () => {
  let gw: TestGateway;
  let api: ReturnType<typeof adminApi>;
  withAdminGateway((started) => { gw = started; api = adminApi(gw.url); });

  const importFile = (body: string, type: string) => api('POST', '/routes/import', body, { 'content-type': type });

  it('exports every route as JSON and CSV; re-importing the export changes nothing', async () => {
    await api('PATCH', '/routes/33.75', { destination: { url: 'https://pekalongankota.go.id/lapor', secret: SECRET } });
    const exported = await fetch(`${gw.url}/admin/api/routes/export?format=json`, { headers: { authorization: `Bearer ${ADMIN.token}` } });
    expect(exported.headers.get('content-disposition')).toMatch(/pintu-routes\.json/);
    const text = await exported.text();
    expect(JSON.parse(text)).toHaveLength(553);
    expect(text).toContain('https://pekalongankota.go.id/lapor');
    expect(text).not.toContain(SECRET);
    const csv = await (await fetch(`${gw.url}/admin/api/routes/export?format=csv`, { headers: { authorization: `Bearer ${ADMIN.token}` } })).text();
    expect(csv.split('\n')[0]).toBe('code,name,level,keyword,aliases,parent,active,webhook_url,webhook_secret');
    expect(csv).toContain('33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan,33,true,https://pekalongankota.go.id/lapor,');

    const version = gw.pintu.routes.index().version;
    expect(await json(importFile(text, 'application/json'))).toEqual({ rows: 553, changed: [] });
    expect(await json(importFile(csv, 'text/csv'))).toEqual({ rows: 553, changed: [] });
    expect(gw.pintu.routes.index().version).toBe(version);
    expect(gw.pintu.routes.index().routes.get('33.75')!.destination!.secret).toBe(SECRET);
  });

  it('applies nothing when one row is bad, and names every bad row with its line', async () => {
    const version = gw.pintu.routes.index().version;
    const file = `[
  {"code": "33.96", "name": "Kota Satu", "keyword": "SatuKota"},
  {"code": "33.95", "name": "Kota Dua", "keyword": "DuaKota",
   "destination": {"url": "http://agency.example/hook", "secret": "${SECRET}"}},
  {"code": "33.94", "name": "Kota Tiga", "keyword": "Tiga Kota"},
  {"code": "33.93", "name": "Kota Empat", "keyword": "EmpatKota", "aliases": ["Kota Bandung"]},
  {"code": "33.96", "name": "Kota Satu Lagi", "keyword": "SatuLagiKota"}
]`;
    const res = await importFile(file, 'application/json');
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.message).toMatch(/4 row\(s\) are invalid; nothing was applied/);
    expect(body.problems.map((p: any) => [p.line, p.code])).toEqual([[3, '33.95'], [5, '33.94'], [6, '33.93'], [7, '33.96']]);
    expect(body.problems[0].reason).toMatch(/https/);
    expect(body.problems[1].reason).toMatch(/keyword/);
    expect(body.problems[2].reason).toMatch(/"Kota Bandung" already belongs to Kota Bandung \(32\.73/);
    expect(body.problems[3].reason).toMatch(/already on line 2/);
    expect(gw.pintu.routes.index().version).toBe(version);
    expect(gw.pintu.routes.index().routes.has('33.96')).toBe(false);
  });

  it('reports CSV rows by line, clashes inside the file included, then applies a good file whole', async () => {
    const bad = 'code,name,keyword,aliases,active\n33.92,"Kota ""Lima""",LimaKota,Kota Lima;Lima Kota,true\n33.91,Kota Enam,EnamKota,Kota Lima,maybe\n';
    const body = await json(importFile(bad, 'text/csv'));
    expect(body.problems.map((p: any) => p.line)).toEqual([3]);
    expect(body.problems[0].reason).toMatch(/active/);
    const clash = await json(importFile('code,name,keyword,aliases\n33.92,Kota Lima,LimaKota,\n33.91,Kota Enam,EnamKota,limakota\n', 'text/csv'));
    expect(clash.problems).toEqual([
      { line: 2, code: '33.92', reason: expect.stringMatching(/Kota Enam \(33\.91, line 3\)/) },
      { line: 3, code: '33.91', reason: expect.stringMatching(/Kota Lima \(33\.92, line 2\)/) },
    ]);
    const good = await json(importFile(bad.replace('maybe', 'false').replace(',Kota Lima,false', ',Kota Enam,false'), 'text/csv'));
    expect(good).toEqual({ rows: 2, changed: [{ code: '33.92', version: 1 }, { code: '33.91', version: 1 }] });
    expect(gw.pintu.routes.index().routes.get('33.92')).toMatchObject({ name: 'Kota "Lima"', aliases: ['Kota Lima', 'Lima Kota'], active: true });
    expect((await json(api('GET', '/audit?target=33.91'))).items[0]).toMatchObject({ action: 'route.import', actor: 'ayu' });
    expect((await importFile('not json', 'application/json')).status).toBe(400);
    expect((await json(importFile('code,nama\n', 'text/csv'))).problems[0]).toMatchObject({ line: 1, reason: expect.stringMatching(/missing name, keyword; unknown nama/) });
  });
});

describe('secrets', () => {
  it('never appear in responses or logs', async () => {
    const gw = await startLoggedGateway(ADMIN_ENV);
    try {
      const api = adminApi(gw.url);
      const responses: string[] = [];
      const keep = async (res: Promise<Response>) => { const text = await (await res).text(); responses.push(text); return text; };
      await keep(api('PUT', '/routes/33.75', { name: 'Kota Pekalongan', keyword: 'PekalonganKota', aliases: ['KotaPekalongan'], destination: { url: 'https://pekalongankota.go.id/lapor', secret: SECRET } }));
      await keep(api('PATCH', '/routes/33.75', { destination: { url: 'https://pekalongankota.go.id/lapor-2', secret: `${SECRET}-2` } }));
      await keep(api('PATCH', '/routes/33.75', { destination: { url: 'https://pekalongankota.go.id/lapor-2', secret: 'too short' } }));
      await keep(api('POST', '/routes/33.75/revert', { version: 2 }));
      for (const path of ['/routes/33.75', '/routes?text=pekalongan', '/audit', '/audit?target=33.75', '/routes/export?format=json', '/routes/export?format=csv']) await keep(api('GET', path));
      await keep(api('POST', '/routes/import', `[{"code":"33.75","name":"Kota Pekalongan","keyword":"PekalonganKota","destination":{"url":"https://pekalongankota.go.id/x","secret":"${SECRET}-3"}}]`));
      expect(gw.pintu.routes.index().routes.get('33.75')!.destination!.secret).toBe(`${SECRET}-3`);
      const audit = JSON.parse(responses[6]!);
      expect(audit.items.some((e: any) => e.details?.secretChanged)).toBe(true);
      expect(gw.logs.length).toBeGreaterThan(10);
      for (const text of [...responses, ...gw.logs]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(ADMIN.token);
      }
    } finally {
      await gw.close();
    }
  });
});
