/**
 * `npm run demo` — the whole product on one laptop, in one terminal: the gateway (`pintu all`, with its
 * own local redis-server as `npm start` has), the SMSC simulator, the fake X API, the fake WhatsApp Cloud API
 * and a local agency inbox, then a scripted tour of every channel, then it stays up for you to try more.
 * Ctrl-C stops everything.
 *
 *   npm run demo                     tour, then stay up (default ports 3000, 2775/2776, 4780, 4790; free ones when taken)
 *   npm run demo -- --tour-only      tour, then stop: exit 1 when any step did not turn out as expected
 *   npm run demo -- --any-ports      free ports instead of the defaults
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { timingSafeEqual } from 'node:crypto';
import { startSmscControl, type SmscControl } from '../adapters/sms/sim/control.js';
import { concatenatedMo, singleMo } from '../adapters/sms/sim/messages.js';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { newOpen311ApiKey } from '../adapters/open311/keys.js';
import { XMLParser } from 'fast-xml-parser';
import { WEBHOOK_PATH as WHATSAPP_WEBHOOK_PATH } from '../adapters/whatsapp/signature.js';
import { startWaSim, type WaSim } from '../adapters/whatsapp/sim/server.js';
import { newAdminToken } from '../src/admin/tokens.js';
import { Complaint } from '../src/complaint.js';
import { toE164 } from '../src/phone.js';
import { freePort } from '../src/redis.js';
import { FORMAT_HELP } from '../src/replies.js';
import { sign } from '../src/signed-http.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { 'tour-only': { type: 'boolean', default: false }, 'any-ports': { type: 'boolean', default: false } } });

// ---- output: one prefix (and, on a terminal, one colour) per part ----

const COLOURS = { demo: 1, pintu: 36, smsc: 33, 'x-api': 35, 'wa-api': 92, inbox: 32, tour: 34 } as const;
type Part = keyof typeof COLOURS;
const colour = process.stdout.isTTY;
function say(part: Part, line: string): void {
  const prefix = `[${part}]`.padEnd(8);
  console.log(colour ? `\x1b[${COLOURS[part]}m${prefix}\x1b[0m ${line}` : `${prefix} ${line}`);
}
const quote = (text: string, max = 200) => JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The default port when it is free (so the sims' own CLI commands reach them), else any free port. */
async function portFor(preferred: number): Promise<number> {
  if (flags['any-ports']) return freePort();
  const free = await new Promise<boolean>((ok) => {
    const probe = createNetServer().once('error', () => ok(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => ok(true)));
  });
  return free ? preferred : freePort();
}

async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: nothing after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the agency inbox: one HTTP server standing in for every agency's complaint system ----

interface Agency { code: string; name: string; secret: string }
interface InboxDelivery { agency: string; complaint: Complaint; signatureValid: boolean; reroutedFrom?: { from: { name: string }; note?: string } }
interface InboxEscalation { agency: string; complaint: Complaint; signatureValid: boolean; idempotencyKey: string; escalation: { stage: string; overdueSince: string; from: { code: string; name: string } } }

/** The agencies whose webhooks the demo sets (the national desk's is `NATIONAL_WEBHOOK_URL`), each with its own signing secret. */
const AGENCIES: Agency[] = [
  { code: '33.75', name: 'Kota Pekalongan', secret: 'demo-kota-pekalongan-secret' },
  { code: '33', name: 'Provinsi Jawa Tengah', secret: 'demo-jawa-tengah-secret' },
  { code: 'national', name: 'the national desk', secret: 'demo-national-desk-secret' },
  // Never answers: its complaints pass the first-response deadline and go up to the province.
  { code: '33.26', name: 'Kabupaten Pekalongan', secret: 'demo-kabupaten-pekalongan-secret' },
];

/** Each agency at `/agency/<route code>`, checking the signature with its own secret as a real one would; complaints and escalations apart. */
async function startAgencyInbox() {
  const agencies = new Map(AGENCIES.map((agency) => [`/agency/${agency.code}`, agency]));
  const deliveries: InboxDelivery[] = [];
  const escalations: InboxEscalation[] = [];
  const signatureValid = (headers: IncomingHttpHeaders, rawBody: string, secret: string) => {
    const presented = Buffer.from(String(headers['x-pintu-signature'] ?? ''));
    const expected = Buffer.from(sign(rawBody, secret));
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const agency = agencies.get(req.url ?? '');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: { complaint?: unknown; reroutedFrom?: InboxDelivery['reroutedFrom']; escalation?: InboxEscalation['escalation'] } = {};
      try { body = JSON.parse(rawBody) as typeof body; } catch { /* answered 404 below */ }
      const parsed = agency && Complaint.safeParse(body.complaint);
      if (!agency || !parsed?.success) return res.writeHead(404).end();
      const valid = signatureValid(req.headers, rawBody, agency.secret);
      if (body.escalation) {
        const escalation: InboxEscalation = { agency: agency.name, complaint: parsed.data, signatureValid: valid, idempotencyKey: String(req.headers['idempotency-key']), escalation: body.escalation };
        escalations.push(escalation);
        const e = body.escalation;
        say('inbox', `${agency.name} ← ESCALATION: ${parsed.data.trackingId} had no ${e.stage === 'firstResponse' ? 'first response' : 'follow-up'} from ${e.from.name} by ${new Date(e.overdueSince).toLocaleTimeString('en-GB', { timeZone: 'Asia/Jakarta' })} WIB, signature ${valid ? 'valid' : 'INVALID'}`);
        return res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: valid }));
      }
      const delivery: InboxDelivery = { agency: agency.name, complaint: parsed.data, signatureValid: valid, ...(body.reroutedFrom && { reroutedFrom: body.reroutedFrom }) };
      deliveries.push(delivery);
      const c = delivery.complaint;
      const from = delivery.reroutedFrom ? `, sent on by ${delivery.reroutedFrom.from.name} (bukan wewenang)` : '';
      say('inbox', `${agency.name} ← ${c.channel} ${c.trackingId} for ${c.region.name} (${c.region.code})${from}, signature ${delivery.signatureValid ? 'valid' : 'INVALID'}: ${quote(c.text, 60)}`);
      res.writeHead(delivery.signatureValid ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: delivery.signatureValid }));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    deliveries,
    escalations,
    urlOf: (agency: Agency) => `${base}/agency/${agency.code}`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

// ---- the gateway: the real `pintu all` as a child process ----

const LEVELS: Record<number, string> = { 40: 'WARN ', 50: 'ERROR ', 60: 'FATAL ' };

/** Pino JSON lines as one readable line each. */
function printGatewayLine(line: string): void {
  let entry: Record<string, unknown>;
  try { entry = JSON.parse(line) as Record<string, unknown>; } catch { say('pintu', line); return; }
  const { level, time: _time, pid: _pid, hostname: _hostname, service: _service, msg, ...fields } = entry;
  if ('reqId' in fields && (level as number) < 40) return; // fastify's per-request lines: noise here
  const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  say('pintu', `${LEVELS[level as number] ?? ''}${String(msg)}${extra}`);
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
/** The gateway and its redis-server at once (they share the gateway's process group). */
function killGroup(child: ChildProcess): void {
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
}

function startGateway(env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | null> } {
  // Its own process group: Ctrl-C reaches only the demo, which then stops the gateway first, so the
  // gateway drains and stops its redis-server in order instead of everything dying at once.
  const child = spawn(process.execPath, [join(root, 'bin', 'pintu.js'), 'all'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout! }).on('line', printGatewayLine);
  createInterface({ input: child.stderr! }).on('line', (line) => say('pintu', line));
  // 'close': its last log lines are read too, not only its exit seen.
  const exited = new Promise<number | null>((ok) => child.once('close', (code) => ok(code)));
  return { child, exited };
}

// ---- the tour ----

/** A civic-reporting app speaking Open311 GeoReport v2, with its own API key (the gateway gets the entry). */
const CIVIC_APP = newOpen311ApiKey('lapor-warga');

interface Parts { smsc: Smsc; xsim: XSim; wasim: WaSim; inbox: Awaited<ReturnType<typeof startAgencyInbox>>; gatewayUrl: string; adminToken: string }

/** Second-scale deadlines, so the tour sees a complaint nobody answers go up a level. */
const DEADLINES = { DEADLINE_FIRST_RESPONSE: '15s', DEADLINE_FOLLOW_UP: '60s', CLOCK_SCAN_MS: '500', PERFORMANCE_MIN_COMPLAINTS: '1' };

/** The citizen who writes on WhatsApp (a WhatsApp id: the number in international digits). */
const SITI = { phone: '6281234567890', name: 'Siti Aminah' };

const LONG_SMS_BODY = 'banjir setinggi lutut di Jl Hayam Wuruk sejak pagi 🌧️ saluran tersumbat sampah, air masuk ke rumah warga 😡 anak-anak tidak bisa sekolah, mohon segera dikeruk 🙏 terima kasih';

function tourSteps({ smsc, xsim, wasim, inbox, gatewayUrl, adminToken }: Parts) {
  const [pekalongan, jawaTengah, , kabPekalongan] = AGENCIES as [Agency, Agency, Agency, Agency];
  const admin = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${gatewayUrl}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  /** Deliver MO PDUs as the SMSC does and wait for the reply SMS to that citizen. */
  const sms = async (from: string, pdus: Array<Record<string, unknown>>): Promise<string> => {
    const to = toE164(from)!.slice(1);
    const before = smsc.mt.filter((m) => m.to === to).length;
    const results = await smsc.deliverAll(pdus);
    if (!results.every((r) => r.ok)) throw new Error(`the gateway did not accept every PDU: ${JSON.stringify(results.map((r) => r.attempts))}`);
    const reply = await until(`reply SMS to ${from}`, () => smsc.mt.filter((m) => m.to === to)[before]);
    return reply.text;
  };
  const smsText = (from: string, text: string) => sms(from, [singleMo(from, '1708', text)]);
  const mention = async (from: string, name: string, text: string): Promise<string> => {
    const tweetId = xsim.addMention({ from, name, text });
    return (await until(`reply to tweet ${tweetId}`, () => xsim.posts.find((p) => p.inReplyTo === tweetId))).text;
  };
  /** Where a complaint went: its delivery in an agency inbox, checked against the route expected. */
  const delivered = async (reply: string, code: string): Promise<InboxDelivery> => {
    const trackingId = /No\. lacak: ([0-9A-Z]+)/.exec(reply)?.[1];
    if (!trackingId) throw new Error(`the reply carries no tracking number: ${quote(reply)}`);
    return landedAt(trackingId, code);
  };
  const landedAt = async (trackingId: string, code: string): Promise<InboxDelivery> => {
    const delivery = await until(`delivery of ${trackingId}`, () => inbox.deliveries.find((d) => d.complaint.trackingId === trackingId));
    if (delivery.complaint.region.code !== code) throw new Error(`${trackingId} went to ${delivery.complaint.region.name} (${delivery.complaint.region.code}), expected ${code}`);
    if (!delivery.signatureValid) throw new Error(`${trackingId} arrived with an invalid signature`);
    return delivery;
  };
  /** An agency answering through the updates API, signed with its webhook secret as a real one would. */
  const answer = async (agency: Agency, trackingId: string, status: string, note?: string) => {
    const body = JSON.stringify({ trackingId, updateId: `demo-${trackingId}-${status}`, status, ...(note && { note }) });
    const res = await fetch(`${gatewayUrl}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': agency.code, 'x-pintu-signature': sign(body, agency.secret) }, body });
    if (res.status !== 200) throw new Error(`${agency.name}'s ${status} update answered ${res.status} ${await res.text()}`);
    say('inbox', `${agency.name} → Pintu: ${trackingId} ${status}${note ? ` (${quote(note, 60)})` : ''}`);
  };
  /** The next SMS to a citizen after `before` of them, the way they receive it. */
  const nextSmsTo = (from: string, before: number) => until(`SMS to ${from}`, () => smsc.mt.filter((m) => m.to === toE164(from)!.slice(1))[before]).then((m) => m.text);
  const smsCount = (from: string) => smsc.mt.filter((m) => m.to === toE164(from)!.slice(1)).length;
  /** The next WhatsApp message the gateway sent the citizen after `before` of them, as the fake Cloud API recorded it. */
  const nextWhatsAppTo = (before: number) => until(`WhatsApp message to ${SITI.phone}`, () => wasim.sent.filter((m) => m.to === SITI.phone)[before]);
  const went = (d: InboxDelivery) => `went to ${d.complaint.region.name} (${d.complaint.region.code}, match ${d.complaint.region.matchType}), delivered to the inbox of ${d.agency}, signature valid`;

  let firstTrackingId = '';
  let longTrackingId = '';
  let xTrackingId = '';
  let xTweet = '';
  let waTrackingId = '';
  let kabTrackingId = '';
  return [
    {
      title: 'SMS 081234567890 → 1708: "PekalonganKota jalan rusak di depan pasar"',
      async run() {
        const reply = await smsText('081234567890', 'PekalonganKota jalan rusak di depan pasar');
        const d = await delivered(reply, '33.75');
        firstTrackingId = d.complaint.trackingId;
        return [went(d), `reply SMS: ${quote(reply)}`];
      },
    },
    {
      title: `long UCS-2 SMS with emoji, 3 parts delivered 3-1-2: "PekalonganKota ${LONG_SMS_BODY.slice(0, 40)}…"`,
      async run() {
        const parts = concatenatedMo('085712345678', '1708', `PekalonganKota ${LONG_SMS_BODY}`, { scheme: 'udh8', ref: 42, order: [3, 1, 2] });
        if (parts.length !== 3) throw new Error(`expected 3 parts, the text made ${parts.length}`);
        const reply = await sms('085712345678', parts);
        const d = await delivered(reply, '33.75');
        longTrackingId = d.complaint.trackingId;
        if (d.complaint.text !== LONG_SMS_BODY) throw new Error(`reassembled text differs: ${quote(d.complaint.text)}`);
        return [`${went(d)}; reassembled whole, emoji intact (one split across parts 1 and 2)`, `reply SMS: ${quote(reply)}`];
      },
    },
    {
      title: 'SMS 081398765432: "Pekalongan sampah menumpuk di TPS dekat stasiun" (Kota and Kabupaten share the name)',
      async run() {
        const reply = await smsText('081398765432', 'Pekalongan sampah menumpuk di TPS dekat stasiun');
        return [went(await delivered(reply, '33')), `reply SMS: ${quote(reply)}`];
      },
    },
    {
      title: 'SMS 087812345678: "lampu penerangan jalan mati sudah seminggu" (no region)',
      async run() {
        const reply = await smsText('087812345678', 'lampu penerangan jalan mati sudah seminggu');
        return [went(await delivered(reply, 'national')), `reply SMS: ${quote(reply)}`];
      },
    },
    {
      title: 'SMS 081234567890: "PekalonganKota" (a keyword and nothing to complain about)',
      async run() {
        const reply = await smsText('081234567890', 'PekalonganKota');
        if (reply !== FORMAT_HELP) throw new Error(`expected the format help, got ${quote(reply)}`);
        return ['no complaint: the citizen is told the format', `reply SMS: ${quote(reply)}`];
      },
    },
    {
      get title() { return `SMS 081234567890: "CEK ${firstTrackingId}" (the first SMS's tracking number)`; },
      async run() {
        const reply = await smsText('081234567890', `CEK ${firstTrackingId}`);
        if (!reply.includes(firstTrackingId) || !reply.includes('sudah diterima instansi')) throw new Error(`expected "delivered" status of ${firstTrackingId}, got ${quote(reply)}`);
        return ['status lookup, no complaint', `reply SMS: ${quote(reply)}`];
      },
    },
    {
      title: 'X mention by @budi_pkl: "@lapor1708 PekalonganKota lampu jalan mati di Jl. Merdeka"',
      async run() {
        xTweet = xsim.addMention({ from: 'budi_pkl', name: 'Budi Santoso', text: '@lapor1708 PekalonganKota lampu jalan mati di Jl. Merdeka' });
        const reply = (await until(`reply to tweet ${xTweet}`, () => xsim.posts.find((p) => p.inReplyTo === xTweet))).text;
        const d = await delivered(reply, '33.75');
        xTrackingId = d.complaint.trackingId;
        return [went(d), `reply on X: ${quote(reply)}`];
      },
    },
    {
      title: 'X mention by @sari_bdg: "@lapor1708 trotoar rusak parah depan sekolah #BandungKota" (region as a hashtag)',
      async run() {
        const reply = await mention('sari_bdg', 'Sari', '@lapor1708 trotoar rusak parah depan sekolah #BandungKota');
        return [went(await delivered(reply, '32.73')), `reply on X: ${quote(reply)}`];
      },
    },
    {
      title: 'WhatsApp from Siti (+62 812-3456-7890): a photo with the caption "PekalonganKota air PDAM keruh sejak kemarin"',
      async run() {
        const before = wasim.sent.filter((m) => m.to === SITI.phone).length;
        const report = await wasim.sendMedia(SITI, { kind: 'image', caption: 'PekalonganKota air PDAM keruh sejak kemarin', id: '1013859600285441' }).delivered;
        if (!report.delivered) throw new Error(`the gateway did not take the webhook: ${JSON.stringify(report.attempts)}`);
        const reply = await nextWhatsAppTo(before);
        const d = await delivered(reply.text ?? '', '33.75');
        waTrackingId = d.complaint.trackingId;
        const [photo] = d.complaint.attachments;
        return [went(d), `attachment: ${photo && 'ref' in photo ? photo.ref : '?'} (${photo?.mediaType}), the media id for the agency to fetch`, `reply on WhatsApp: ${quote(reply.text ?? '')}`];
      },
    },
    {
      title: 'web form at / : region Kota Semarang, "antrean KTP elektronik mengular sejak pagi"',
      async run() {
        // As a browser does: load the form (it carries a submission id), post it, follow the redirect.
        const form = await (await fetch(`${gatewayUrl}/`)).text();
        const submissionId = /name="submissionId" value="([0-9A-Z]{26})"/.exec(form)?.[1];
        if (!submissionId) throw new Error('the form has no submission id');
        const body = new URLSearchParams({ submissionId, region: '33.74', text: 'antrean KTP elektronik mengular sejak pagi', name: 'Ayu', phone: '081211112222' });
        const posted = await fetch(`${gatewayUrl}/`, { method: 'POST', body, redirect: 'manual' });
        const location = posted.headers.get('location');
        const trackingId = /^\/aduan\/([0-9A-Z]+)$/.exec(location ?? '')?.[1];
        if (posted.status !== 303 || !trackingId) throw new Error(`expected 303 to /aduan/<tracking number>, got ${posted.status} ${location}`);
        const page = await (await fetch(`${gatewayUrl}${location}`)).text();
        const shown = page.slice(page.indexOf('<body>'), page.indexOf('<p class="hint">')).replace(/<\/?(?:strong|code|a)\b[^>]*>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
        return [went(await landedAt(trackingId, '33.74')), `page ${location}: ${quote(shown)}`];
      },
    },
    {
      get title() { return `Kota Pekalongan answers the first SMS (${firstTrackingId}): diverifikasi, ditindaklanjuti with a note, selesai`; },
      async run() {
        const before = smsCount('081234567890');
        await answer(pekalongan, firstTrackingId, 'diverifikasi');
        await answer(pekalongan, firstTrackingId, 'ditindaklanjuti', 'Tim Dinas PU sudah meninjau lokasi, penambalan dijadwalkan Kamis.');
        const followUp = await nextSmsTo('081234567890', before);
        await answer(pekalongan, firstTrackingId, 'selesai', 'Jalan di depan pasar sudah ditambal.');
        const done = await nextSmsTo('081234567890', before + 1);
        if (!followUp.includes('ditindaklanjuti') || !done.includes('selesai')) throw new Error(`unexpected notifications: ${quote(followUp)} ${quote(done)}`);
        const cek = await smsText('081234567890', `CEK ${firstTrackingId}`);
        return ['diverifikasi is shown on the status page but not sent (noise)', `SMS to the citizen: ${quote(followUp)}`, `SMS to the citizen: ${quote(done)}`, `CEK now: ${quote(cek)}`];
      },
    },
    {
      get title() { return `Kota Pekalongan answers the X complaint (${xTrackingId}): ditindaklanjuti`; },
      async run() {
        await answer(pekalongan, xTrackingId, 'ditindaklanjuti', 'Lampu akan diganti petugas besok pagi.');
        const notice = await until('a second reply in the X thread', () => xsim.posts.filter((p) => p.inReplyTo === xTweet)[1]);
        return [`reply in the citizen's thread on X: ${quote(notice.text)}`];
      },
    },
    {
      get title() { return `Kota Pekalongan sends the flood SMS (${longTrackingId}) on: bukan_wewenang (a provincial drain)`; },
      async run() {
        const before = smsCount('085712345678');
        await answer(pekalongan, longTrackingId, 'bukan_wewenang', 'Saluran di Jl Hayam Wuruk adalah saluran provinsi.');
        const atProvince = await until(`delivery of ${longTrackingId} to the province`, () => inbox.deliveries.find((d) => d.complaint.trackingId === longTrackingId && d.agency === jawaTengah.name));
        const notice = await nextSmsTo('085712345678', before);
        const status = await (await fetch(`${gatewayUrl}/api/v1/complaints/${longTrackingId}`)).json() as { timeline: Array<{ status: string; agency?: { name: string }; to?: { name: string } }> };
        return [
          `re-routed to ${atProvince.agency}'s inbox, saying it came from ${atProvince.reroutedFrom?.from.name ?? '?'}: ${quote(atProvince.reroutedFrom?.note ?? '')}`,
          `SMS to the citizen: ${quote(notice)}`,
          `timeline: ${status.timeline.map((e) => `${e.status}${e.agency ? ` (${e.agency.name}${e.to ? ` → ${e.to.name}` : ''})` : ''}`).join(' → ')}`,
        ];
      },
    },
    {
      get title() { return `Kota Pekalongan answers the WhatsApp complaint (${waTrackingId}): ditindaklanjuti`; },
      async run() {
        const before = wasim.sent.filter((m) => m.to === SITI.phone).length;
        await answer(pekalongan, waTrackingId, 'ditindaklanjuti', 'Petugas PDAM sudah memeriksa pipa di lokasi.');
        const notice = await nextWhatsAppTo(before);
        if (notice.type !== 'text') throw new Error(`within 24 hours of Siti's message: expected free text, got a ${notice.type}`);
        return [
          `WhatsApp to the citizen, free text (she wrote within 24 hours): ${quote(notice.text ?? '')}`,
          'after 24 hours without a message from her, the same news would go as the approved template (WHATSAPP_TEMPLATE_STATUS=status_aduan)',
        ];
      },
    },
    {
      title: 'civic app "lapor-warga" → POST /open311/v2/requests.json (Open311 GeoReport v2): jurisdiction_id=PekalonganKota, "trotoar ambles di depan SD Negeri 3"',
      async run() {
        const form = new URLSearchParams({ api_key: CIVIC_APP.key, service_code: 'pengaduan-umum', jurisdiction_id: 'PekalonganKota', description: 'trotoar ambles di depan SD Negeri 3', first_name: 'Rina', email: 'rina@example.org' });
        const posted = await fetch(`${gatewayUrl}/open311/v2/requests.json`, { method: 'POST', body: form });
        const answered = await posted.text();
        const trackingId = posted.status === 200 ? (JSON.parse(answered) as Array<{ service_request_id?: string }>)[0]?.service_request_id : undefined;
        if (!trackingId) throw new Error(`expected 200 [{service_request_id, service_notice}], got ${posted.status} ${quote(answered)}`);
        const d = await landedAt(trackingId, '33.75');
        await answer(pekalongan, trackingId, 'selesai', 'Trotoar sudah dicor ulang.');
        // The app reads the status back as the spec's XML.
        const xml = await (await fetch(`${gatewayUrl}/open311/v2/requests/${trackingId}.xml`)).text();
        const shown = (new XMLParser().parse(xml) as { service_requests?: { request?: { status?: string; status_notes?: string } } }).service_requests?.request;
        if (shown?.status !== 'closed' || /rina/i.test(xml)) throw new Error(`expected closed, without the reporter: ${quote(xml, 400)}`);
        return [went(d), `answer: ${quote(answered, 80)}`, `GET /open311/v2/requests/${trackingId}.xml: status ${shown.status}, status_notes ${quote(shown.status_notes ?? '')}`];
      },
    },
    {
      title: `SMS 081355556666: "PekalonganKab jembatan gantung putus, anak sekolah memutar 5 km" — Kabupaten Pekalongan never answers (first response due in ${DEADLINES.DEADLINE_FIRST_RESPONSE})`,
      async run() {
        const reply = await smsText('081355556666', 'PekalonganKab jembatan gantung putus, anak sekolah memutar 5 km');
        const d = await delivered(reply, '33.26');
        kabTrackingId = d.complaint.trackingId;
        const e = await until(`escalation of ${kabTrackingId}`, () => inbox.escalations.find((x) => x.complaint.trackingId === kabTrackingId), 60_000);
        if (e.agency !== jawaTengah.name || !e.signatureValid || e.escalation.from.code !== kabPekalongan.code || e.idempotencyKey !== `${d.complaint.id}:escalation:firstResponse`) {
          throw new Error(`expected a signed first-response escalation from Kabupaten Pekalongan at Provinsi Jawa Tengah, got ${JSON.stringify(e)}`);
        }
        const seconds = Math.round((Date.parse(e.escalation.overdueSince) - Date.parse(d.complaint.receivedAt)) / 1000);
        const view = await admin<{ deadline: { stage: string; overdue: boolean } | null; escalations: Array<{ stage: string; to: { name: string } }> }>(`/admin/api/complaints/${kabTrackingId}`);
        if (!view.deadline?.overdue || view.escalations[0]?.to.name !== jawaTengah.name) throw new Error(`the admin view does not show it overdue and escalated: ${JSON.stringify(view)}`);
        return [
          went(d),
          `no answer in ${seconds} s: escalated to Provinsi Jawa Tengah's inbox (stage firstResponse, from Kabupaten Pekalongan, Idempotency-Key <complaint id>:escalation:firstResponse), signature valid`,
          `admin view /admin/api/complaints/${kabTrackingId}: overdue (${view.deadline.stage}), escalated ${view.escalations.map((x) => `${x.stage} → ${x.to.name}`).join(', ')}`,
        ];
      },
    },
    {
      title: 'Kinerja: the performance table of Provinsi Jawa Tengah (GET /admin/api/performance?province=33, the admin UI\'s #performance page)',
      async run() {
        interface Row { code: string; name: string; received: number; firstResponse: { count: number; withinDeadline: number }; overdueNow: number; rankInProvince: number | null }
        const table = await admin<{ regions: Row[] }>('/admin/api/performance?province=33');
        const row = (code: string) => table.regions.find((r) => r.code === code);
        const [kota, kab] = [row(pekalongan.code), row(kabPekalongan.code)];
        if (!kota || !kab || kota.rankInProvince !== 1 || !(kab.rankInProvince! > 1)) throw new Error(`expected Kota Pekalongan ranked first and Kabupaten Pekalongan after it: ${JSON.stringify([kota, kab])}`);
        const line = (r: Row) => `${r.name}: rank ${r.rankInProvince} in the province, ${r.received} received, ${r.firstResponse.withinDeadline} of ${r.firstResponse.count} first responses within the deadline, ${r.overdueNow} overdue now`;
        return [line(kota), line(kab), `the same table, sortable and with the chart: ${gatewayUrl}/admin#performance`];
      },
    },
  ];
}

async function runTour(parts: Parts): Promise<number> {
  const steps = tourSteps(parts);
  let failed = 0;
  for (const [i, step] of steps.entries()) {
    say('tour', `${i + 1}/${steps.length} ${step.title}`);
    try {
      for (const line of await step.run()) say('tour', `    ✓ ${line}`);
    } catch (err) {
      failed++;
      say('tour', `    ✗ FAILED: ${(err as Error).message}`);
    }
  }
  say('tour', failed ? `${failed} of ${steps.length} steps FAILED` : `all ${steps.length} steps passed`);
  return failed;
}

// ---- putting it together ----

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pintu-demo-'));
  const [gatewayPort, smppPort, controlPort, xPort, waPort] = await Promise.all([portFor(3000), portFor(2775), portFor(2776), portFor(4780), portFor(4790)]);
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  let gateway: ReturnType<typeof startGateway> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (code: number) => (stopping ??= (async () => {
    say('demo', 'stopping: gateway first (it drains and stops its redis-server), then the simulators and the inbox');
    if (gateway && running(gateway.child)) {
      gateway.child.kill('SIGTERM');
      const force = setTimeout(() => { say('demo', 'gateway did not stop in 20 s: killing it'); killGroup(gateway!.child); }, 20_000);
      await gateway.exited;
      clearTimeout(force);
    }
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    say('demo', 'stopped');
    process.exit(code);
  })());
  // `on`, not `once`: one Ctrl-C can arrive twice (from the terminal and forwarded by npm), and a signal
  // with no listener left would kill the demo on the spot, leaving the gateway's process group behind.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  // Last resort (an exception in the demo itself): never leave the gateway and its redis-server behind.
  process.once('exit', () => { if (gateway && running(gateway.child)) killGroup(gateway.child); });

  try {
    say('demo', `Pintu demo: the gateway, its own redis-server, an SMSC, a fake X API, a fake WhatsApp Cloud API and agency inboxes on this machine (data in ${dataDir}, removed on exit)`);
    const inbox = await startAgencyInbox();
    cleanups.push(inbox.close);
    say('inbox', `agency inboxes: ${AGENCIES.map((agency) => `${agency.name} ${inbox.urlOf(agency)}`).join(', ')}`);
    const [pekalongan, jawaTengah, nationalDesk, kabPekalongan] = AGENCIES as [Agency, Agency, Agency, Agency];

    const smsc = await Smsc.start({ port: smppPort, systemId: 'pintu', password: 'secret', log: (line) => say('smsc', line) });
    cleanups.push(() => smsc.close());
    const control: SmscControl = await startSmscControl(smsc, { port: controlPort, shortcode: '1708' });
    cleanups.push(control.close);
    say('smsc', `SMSC simulator on ${smsc.url}, control endpoint ${control.url}`);

    const xsim = await startXSim({ port: xPort });
    cleanups.push(xsim.close);
    say('x-api', `fake X API for @${xsim.account.username} on ${xsim.url}`);
    // The fake API keeps what Pintu posts in memory; show each reply as it is posted.
    let postsShown = 0;
    const showPosts = setInterval(() => {
      for (const post of xsim.posts.slice(postsShown)) say('x-api', `reply posted to tweet ${post.inReplyTo}: ${quote(post.text)}`);
      postsShown = xsim.posts.length;
    }, 200);
    cleanups.push(async () => clearInterval(showPosts));

    // The fake Cloud API with wa-sim's development values (so `npm run wa-sim -- …` works against it): it signs
    // webhooks to the gateway as Meta does, reports sent/delivered on each message, and prints what Pintu sends.
    const wa = { appSecret: 'wa-sim-app-secret-not-for-production', verifyToken: 'wa-sim-verify-token', accessToken: 'wa-sim-access-token' };
    const wasim = await startWaSim({
      port: waPort, appSecret: wa.appSecret, accessToken: wa.accessToken, webhookUrl: `${gatewayUrl}${WHATSAPP_WEBHOOK_PATH}`,
      autoStatuses: true, print: (line) => say('wa-api', line),
    });
    cleanups.push(wasim.close);
    say('wa-api', `fake WhatsApp Cloud API on ${wasim.url}, phone number id ${wasim.phoneNumberId}; webhooks to ${gatewayUrl}${WHATSAPP_WEBHOOK_PATH}`);

    const { token, entry } = newAdminToken('demo', 'admin');
    // Only PATH and HOME from the caller: a developer's own Pintu settings (a real X token, SMPP_BIND…) must not bend the demo.
    gateway = startGateway({
      PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir(),
      PORT: String(gatewayPort), HOST: '127.0.0.1', PINTU_DATA_DIR: dataDir, REDIS_URL: '', LOG_LEVEL: 'info',
      NATIONAL_WEBHOOK_URL: inbox.urlOf(nationalDesk), WEBHOOK_SECRET: nationalDesk.secret,
      ADMIN_TOKENS: entry,
      OPEN311_API_KEYS: CIVIC_APP.entry,
      SMPP_URL: smsc.url,
      TWITTER_API_BASE_URL: xsim.url, TWITTER_BEARER_TOKEN: 'demo', TWITTER_POLL_INTERVAL_MS: '1000', TWITTER_REPLIES_PER_SECOND: '5',
      TWITTER_APP_KEY: 'demo', TWITTER_APP_SECRET: 'demo', TWITTER_ACCESS_TOKEN: 'demo', TWITTER_ACCESS_SECRET: 'demo',
      WHATSAPP_API_BASE_URL: wasim.apiBaseUrl, WHATSAPP_PHONE_NUMBER_ID: wasim.phoneNumberId, WHATSAPP_APP_SECRET: wa.appSecret,
      WHATSAPP_VERIFY_TOKEN: wa.verifyToken, WHATSAPP_ACCESS_TOKEN: wa.accessToken, WHATSAPP_TEMPLATE_STATUS: 'status_aduan',
      ...DEADLINES,
    });
    say('demo', `gateway: pintu all, pid ${gateway.child.pid}`);
    void gateway.exited.then((code) => { if (!stopping) { say('demo', `the gateway exited (code ${code})`); void stop(1); } });
    await until('gateway ready', async () => (await fetch(`${gatewayUrl}/readyz`).catch(() => null))?.ok, 60_000);
    await until('SMPP bind', () => smsc.bound.length > 0);

    // Agencies' own webhooks, set the way an administrator would (the admin API); other regions fall back to the national desk.
    for (const agency of [pekalongan, jawaTengah, kabPekalongan]) {
      const res = await fetch(`${gatewayUrl}/admin/api/routes/${agency.code}`, {
        method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ destination: { url: inbox.urlOf(agency), secret: agency.secret } }),
      });
      if (!res.ok) throw new Error(`admin API: PATCH /admin/api/routes/${agency.code} answered ${res.status} ${await res.text()}`);
    }
    say('demo', 'admin API: Kota Pekalongan (33.75), Kabupaten Pekalongan (33.26) and Provinsi Jawa Tengah (33) now deliver to their own inboxes; everything else goes to the national desk');
    say('demo', `deadlines in seconds for the demo: first response ${DEADLINES.DEADLINE_FIRST_RESPONSE}, follow-up ${DEADLINES.DEADLINE_FOLLOW_UP} (working days in production); a complaint nobody answers goes up to the level above`);

    const failed = await runTour({ smsc, xsim, wasim, inbox, gatewayUrl, adminToken: token });
    if (flags['tour-only']) return void stop(failed ? 1 : 0);

    const sms = controlPort !== 2776 ? `npm run smsc-sim -- --http ${controlPort}` : 'npm run smsc-sim --';
    const x = xPort === 4780 ? 'npm run x-sim --' : `X_SIM_PORT=${xPort} npm run x-sim --`;
    const whatsapp = waPort === 4790 ? 'npm run wa-sim --' : `WA_SIM_PORT=${waPort} npm run wa-sim --`;
    say('demo', `ready — everything keeps running until Ctrl-C:
    citizen form      ${gatewayUrl}/
    admin UI          ${gatewayUrl}/admin   (one-time demo admin token: ${token})
    queue dashboard   ${gatewayUrl}/admin/queues   (same sign-in)
    OpenAPI docs      ${gatewayUrl}/docs
  send more from another terminal:
    ${sms} send 081234567890 PekalonganKota jalan berlubang di depan sekolah
    ${sms} ucs2 085712345678 "PekalonganKota banjir lagi 😡"
    ${x} mention --from budi "PekalonganKota lampu jalan mati"
    ${x} mention --from sari "sampah menumpuk #SemarangKota"
    ${x} posts
    ${whatsapp} location --from 6281234567891 --lat=-6.8898 --lon 109.6746 --name "Pasar Banjarsari"
    ${whatsapp} text --from 6281234567891 --name Rina "PekalonganKota got mampet di depan pasar"
    ${whatsapp} sent
  answers to SMS show up here as [smsc] MT lines, WhatsApp messages as [wa-api] lines; every delivered complaint as an [inbox] line,
  and ${DEADLINES.DEADLINE_FIRST_RESPONSE} later, as nobody answers it, its escalation to the level above as an [inbox] ESCALATION line.`);
  } catch (err) {
    say('demo', `FAILED: ${(err as Error).message}`);
    await stop(1);
  }
}

void main();
