/** `pintu admin token` and `pintu routes export|import` as real child processes against a running gateway's Redis. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN_ENV, adminApi } from './admin-helpers.js';

const run = promisify(execFile);
const PINTU = new URL('../bin/pintu.js', import.meta.url).pathname;

describe('pintu admin and routes commands', () => {
  let gw: TestGateway;
  let dir: string;
  beforeAll(async () => {
    gw = await startGateway(ADMIN_ENV, { workers: false, channels: [] });
    dir = mkdtempSync(join(tmpdir(), 'pintu-cli-'));
  });
  afterAll(async () => { await gw.close(); rmSync(dir, { recursive: true, force: true }); });

  const pintu = (...args: string[]) => run(process.execPath, [PINTU, ...args], { env: { ...process.env, REDIS_URL: inject('redisUrl'), PINTU_PREFIX: gw.prefix, LOG_LEVEL: 'warn' } })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));

  it('prints a new token and the ADMIN_TOKENS entry that admits it', async () => {
    const { code, stdout } = await pintu('admin', 'token', 'budi', 'viewer');
    expect(code).toBe(0);
    const token = /pintu_[\w-]{43}/.exec(stdout)![0];
    expect(stdout).toContain(`budi:viewer:${createHash('sha256').update(token).digest('hex')}`);
    expect((await pintu('admin', 'token', 'budi', 'root')).stderr).toMatch(/pintu admin token NAME admin\|viewer/);
  });

  it('exports, and imports with the same validation; a running gateway sees the import', async () => {
    const file = join(dir, 'routes.csv');
    expect((await pintu('routes', 'export', file)).stdout).toMatch(/wrote 553 routes/);
    const csv = readFileSync(file, 'utf8');
    expect(csv).toContain('33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan,33,true,,');

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, csv.replace('33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan,', '33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan;BandungKota,')
      .replace('33.26,Kabupaten Pekalongan,regency,PekalonganKab,KabPekalongan,33,true,,', '33.26,Kabupaten Pekalongan,regency,PekalonganKab,KabPekalongan,33,true,http://agency.example/x,0123456789abcdef0'));
    const refused = await pintu('routes', 'import', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bad\.csv:\d+ \(33\.26\): destination\.url: webhook URL must be https/);
    expect(refused.stderr).toMatch(/bad\.csv:\d+ \(33\.75\): "BandungKota" already belongs to Kota Bandung \(32\.73, line \d+\)/);
    expect(refused.stderr).toMatch(/2 row\(s\) are invalid; nothing was applied/);

    const good = join(dir, 'good.csv');
    writeFileSync(good, csv.replace('33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan,', '33.75,Kota Pekalongan,regency,PekalonganKota,KotaPekalongan;Kota Batik,'));
    const imported = await pintu('routes', 'import', good);
    expect(imported.stdout).toMatch(/imported 553 rows from .*good\.csv: 1 changed \(33\.75 v2\)/);
    await eventually(() => gw.pintu.routes.index().routes.get('33.75')!.aliases.includes('Kota Batik'));
    const [entry] = (await json(adminApi(gw.url)('GET', '/audit?target=33.75'))).items;
    expect(entry).toMatchObject({ action: 'route.import', actor: expect.stringMatching(/^cli:/), version: 2 });
  });
});
