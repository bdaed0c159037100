/**
 * `npm run demo` as a newcomer runs it: the real script, its real gateway child and redis-server, real
 * ports and real signals. The tour must pass step by step, the commands it prints must work, Ctrl-C
 * must stop everything, and no process of the demo may be left running afterwards.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { eventually } from './helpers/gateway.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `npm run demo -- ARGS` in its own process group, as a terminal runs it (Ctrl-C = SIGINT to the group). */
function demo(args: string[], { onTestFinished }: TestContext) {
  const child = spawn('npm', ['run', 'demo', '--', '--any-ports', ...args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // A failed test must not leave the demo running either.
  onTestFinished(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } });
  const output = { text: '' };
  child.stdout!.on('data', (d: Buffer) => { output.text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output.text += d.toString(); });
  // 'close', not 'exit': npm may end before the demo under it has finished stopping (and printing).
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.once('close', (code, signal) => ok({ code, signal })));
  return { child, output, exit };
}

const shell = (line: string) => promisify(execFile)('sh', ['-c', line], { cwd: root });
const running = (args: string[]) => spawnSync('pgrep', ['-a', ...args], { encoding: 'utf8' }).stdout.trim();

/**
 * Nothing the demo started may still run: its own process group (npm, the demo, the simulators inside it),
 * the gateway's group, the gateway's redis-server. Polled briefly: a child that has just exited with its
 * parent (tsx's esbuild helper) is listed until it is reaped.
 */
async function expectNothingLeft(run: ReturnType<typeof demo>): Promise<void> {
  const gatewayPid = /gateway: pintu all, pid (\d+)/.exec(run.output.text)?.[1];
  const redisPort = /started a local redis-server.*redis:\/\/127\.0\.0\.1:(\d+)/.exec(run.output.text)?.[1];
  expect(gatewayPid, 'the demo names its gateway').toBeDefined();
  expect(redisPort, 'the gateway started its own redis-server').toBeDefined();
  const leftovers = () => [
    running(['-g', String(run.child.pid)]),
    running(['-g', gatewayPid!]),
    running(['-f', `redis-server 127\\.0\\.0\\.1:${redisPort}`]),
  ].filter(Boolean).join('\n');
  let left = '';
  await eventually(() => (left = leftovers()) === '', 10_000, 100).catch(() => {});
  expect(left, 'processes still running after the demo exited').toBe('');
}

describe.concurrent('npm run demo', () => {
  it('--tour-only: every step of the tour turns out as expected, exit 0, nothing left running', async (context) => {
    const run = demo(['--tour-only'], context);
    expect(await run.exit, run.output.text).toEqual({ code: 0, signal: null });
    const out = run.output.text;
    expect(out).toContain('all 17 steps passed');
    expect(out).not.toContain('✗');
    // Where each complaint went, and what each citizen was told.
    for (const outcome of [
      /✓ went to Kota Pekalongan \(33\.75, match exact\), delivered to the inbox of Kota Pekalongan, signature valid\n/,
      /✓ went to Kota Pekalongan \(33\.75, match exact\).*reassembled whole, emoji intact/,
      /✓ went to Provinsi Jawa Tengah \(33, match ambiguous\)/,
      /✓ went to Desk Nasional SP4N-LAPOR! \(national, match none\), delivered to the inbox of the national desk/,
      /✓ reply SMS: "Format: NamaKota \(spasi\) Isi Aduan/,
      /✓ reply SMS: "Aduan [0-9A-Z]{8}: sudah diterima instansi ke Kota Pekalongan\."/,
      /✓ reply on X: "Aduan Anda diterima\. No\. lacak: [0-9A-Z]{8}\. Diteruskan ke Kota Pekalongan/,
      /✓ went to Kota Bandung \(32\.73, match exact\)/,
      /✓ attachment: whatsapp-media:1013859600285441 \(image\/jpeg\)/,
      /✓ reply on WhatsApp: "Aduan Anda diterima\. No\. lacak: [0-9A-Z]{8}\. Diteruskan ke Kota Pekalongan/,
      /✓ went to Kota Semarang \(33\.74, match exact\), delivered to the inbox of Provinsi Jawa Tengah/,
      /✓ page \/aduan\/[0-9A-Z]{8}: "Status aduan Anda Nomor lacak Anda: [0-9A-Z]{8} Status: /,
      // The way back: the agencies answer, the citizens hear it on their own channel, one complaint goes on to the province.
      /✓ SMS to the citizen: "LAPOR! [0-9A-Z]{8}: aduan Anda sedang ditindaklanjuti oleh Kota Pekalongan\. Catatan: /,
      /✓ SMS to the citizen: "LAPOR! [0-9A-Z]{8}: aduan Anda dinyatakan selesai oleh Kota Pekalongan\./,
      /✓ CEK now: "Aduan [0-9A-Z]{8}: dinyatakan selesai oleh Kota Pekalongan\. Catatan: /,
      /✓ reply in the citizen's thread on X: "LAPOR! [0-9A-Z]{8}: aduan Anda sedang ditindaklanjuti/,
      /✓ re-routed to Provinsi Jawa Tengah's inbox, saying it came from Kota Pekalongan/,
      /✓ SMS to the citizen: "LAPOR! [0-9A-Z]{8}: aduan Anda dialihkan ke Provinsi Jawa Tengah karena bukan wewenang Kota Pekalongan/,
      /✓ timeline: received → delivered \(Kota Pekalongan\) → bukan_wewenang \(Kota Pekalongan → Provinsi Jawa Tengah\) → delivered \(Provinsi Jawa Tengah\)/,
      /✓ WhatsApp to the citizen, free text \(she wrote within 24 hours\): "LAPOR! [0-9A-Z]{8}: aduan Anda sedang ditindaklanjuti oleh Kota Pekalongan\. Catatan: /,
      // A civic app over Open311: the answer, then the status it reads back once the agency answered.
      /✓ answer: "\[\{\\"service_request_id\\":\\"[0-9A-Z]{8}\\",\\"service_notice\\":/,
      /✓ GET \/open311\/v2\/requests\/[0-9A-Z]{8}\.xml: status closed, status_notes "Trotoar sudah dicor ulang\."/,
      // Deadlines: the agency that never answers is escalated to its province, and ranked below the one that answers.
      /✓ went to Kabupaten Pekalongan \(33\.26, match exact\), delivered to the inbox of Kabupaten Pekalongan, signature valid/,
      /✓ no answer in 1[5-9] s: escalated to Provinsi Jawa Tengah's inbox \(stage firstResponse, from Kabupaten Pekalongan/,
      /\[inbox\] +Provinsi Jawa Tengah ← ESCALATION: [0-9A-Z]{8} had no first response from Kabupaten Pekalongan by [0-9:]{8} WIB, signature valid/,
      /✓ admin view \/admin\/api\/complaints\/[0-9A-Z]{8}: overdue \(firstResponse\), escalated firstResponse → Provinsi Jawa Tengah/,
      /✓ Kota Pekalongan: rank 1 in the province, 5 received, [1-5] of 5 first responses within the deadline/,
      /✓ Kabupaten Pekalongan: rank [2-9] in the province, 1 received, 0 of 0 first responses within the deadline, 1 overdue now/,
    ]) expect(out).toMatch(outcome);
    expect(out.match(/\[inbox\] +.* ← (sms|twitter|web|whatsapp|open311) [0-9A-Z]{8} for .*, signature valid/g)).toHaveLength(11);
    expect(out).toMatch(/\[pintu\] +WhatsApp channel on /);
    expect(out).toContain('[demo]   stopped');
    await expectNothingLeft(run);
  }, 120_000);

  it('stays up with working inject commands and stops everything on Ctrl-C', async (context) => {
    const run = demo([], context);
    await eventually(() => run.output.text.includes('everything keeps running until Ctrl-C'), 45_000, 100);
    const out = run.output.text;
    for (const url of ['citizen form', 'admin UI', 'queue dashboard', 'OpenAPI docs']) expect(out).toMatch(new RegExp(`${url} +http://127\\.0\\.0\\.1:\\d+/`));
    const base = /citizen form +(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1]!;
    const token = /one-time demo admin token: (pintu_[\w-]+)/.exec(out)![1]!;
    expect((await fetch(`${base}/admin/api/routes/33.75`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${base}/docs/json`)).status).toBe(200);

    // The commands exactly as printed, pasted into another terminal.
    const command = (pattern: RegExp) => pattern.exec(out)?.[0].trim();
    const smsCommand = command(/^ +npm run smsc-sim -- --http \d+ send .*$/m);
    const mentionCommand = command(/^ +X_SIM_PORT=\d+ npm run x-sim -- mention --from budi .*$/m);
    const locationCommand = command(/^ +WA_SIM_PORT=\d+ npm run wa-sim -- location .*$/m);
    const whatsAppCommand = command(/^ +WA_SIM_PORT=\d+ npm run wa-sim -- text .*$/m);
    for (const line of [smsCommand, mentionCommand, locationCommand, whatsAppCommand]) expect(line).toBeDefined();
    // The location first: the WhatsApp complaint after it carries it.
    for (const line of [smsCommand!, mentionCommand!, locationCommand!, whatsAppCommand!]) await shell(line); // rejects, with its output, unless it exits 0
    await eventually(() => /\[inbox\] +Kota Pekalongan ← sms [0-9A-Z]{8} .*"jalan berlubang di depan sekolah"/.test(run.output.text)
      && /\[inbox\] +Kota Pekalongan ← twitter [0-9A-Z]{8} .*"lampu jalan mati"/.test(run.output.text)
      && /\[inbox\] +Kota Pekalongan ← whatsapp [0-9A-Z]{8} .*"got mampet di depan pasar"/.test(run.output.text)
      && /\[wa-api\] +→ 6281234567891: Aduan Anda diterima\. No\. lacak: /.test(run.output.text), 20_000, 100);

    process.kill(-run.child.pid!, 'SIGINT');
    // npm ends itself with the signal it got (a shell shows 130); the demo under it stops in order.
    const { code, signal } = await run.exit;
    expect(signal === 'SIGINT' || code === 130 || code === 0, `${code} ${signal}\n${run.output.text}`).toBe(true);
    expect(run.output.text).toMatch(/\[pintu\] +stopped\n(.*\n)*\[demo\] +stopped\n/);
    await expectNothingLeft(run);
  }, 120_000);
});
