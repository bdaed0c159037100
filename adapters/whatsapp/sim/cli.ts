/**
 * `npm run wa-sim`                                  start the fake Cloud API (WA_SIM_PORT, default 4790)
 * `npm run wa-sim -- text --from 6281234567890 [--name "Siti"] TEXT...`   a citizen writes (signed webhook to Pintu)
 * `npm run wa-sim -- media --from … --kind image [--caption TEXT] [--filename F]`
 * `npm run wa-sim -- location --from … --lat=-6.88 --lon 109.67 [--name N] [--address A]`
 * `npm run wa-sim -- choice --from … --id ID --title TITLE [--list]`   a reply-button (or list) choice
 * `npm run wa-sim -- fail [STATUS] [COUNT] [CODE] [RETRY_AFTER_SECONDS]`  the next API calls fail (429 by default)
 * `npm run wa-sim -- verify [--token T] [--url U]`   the GET handshake against Pintu
 * `npm run wa-sim -- sent | deliveries`            what Pintu sent / how webhook deliveries went
 * Commands other than the server talk to WA_SIM_URL (default http://127.0.0.1:4790). `--from` may be a BSUID
 * (e.g. ID.1502576394655843) for a citizen who hides the number.
 */
import { parseArgs } from 'node:util';
import type { Citizen } from './server.js';
import { startWaSim } from './server.js';

const port = Number(process.env.WA_SIM_PORT ?? 4790);
const base = process.env.WA_SIM_URL ?? `http://127.0.0.1:${port}`;
const webhookUrl = process.env.WA_SIM_WEBHOOK_URL ?? 'http://127.0.0.1:3000/api/v1/whatsapp/webhook';
/** Development values only; Pintu must be started with the same ones. */
const appSecret = process.env.WHATSAPP_APP_SECRET ?? 'wa-sim-app-secret-not-for-production';
const verifyToken = process.env.WHATSAPP_VERIFY_TOKEN ?? 'wa-sim-verify-token';

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data: unknown = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const citizen = (from: string, name?: string): Citizen =>
  ({ ...(/^\+?\d+$/.test(from) ? { phone: from } : { userId: from }), ...(name && { name }) });

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      from: { type: 'string', default: '6281234567890' }, name: { type: 'string' },
      kind: { type: 'string', default: 'image' }, caption: { type: 'string' }, filename: { type: 'string' },
      lat: { type: 'string' }, lon: { type: 'string' }, address: { type: 'string' },
      id: { type: 'string' }, title: { type: 'string' }, list: { type: 'boolean', default: false },
      token: { type: 'string', default: verifyToken }, url: { type: 'string', default: webhookUrl },
    },
  });
  const from = citizen(values.from, values.name);
  const print = (data: unknown) => console.log(JSON.stringify(data, null, 2));
  switch (command) {
    case 'serve': {
      const sim = await startWaSim({
        port, host: process.env.WA_SIM_HOST ?? '127.0.0.1', appSecret, webhookUrl, autoStatuses: true, print: (line) => console.log(line),
        ...(process.env.WHATSAPP_ACCESS_TOKEN && { accessToken: process.env.WHATSAPP_ACCESS_TOKEN }),
        ...(process.env.WHATSAPP_PHONE_NUMBER_ID && { phoneNumberId: process.env.WHATSAPP_PHONE_NUMBER_ID }),
      });
      console.log(`wa-sim: fake WhatsApp Cloud API on ${sim.url}, phone number id ${sim.phoneNumberId}, webhooks to ${webhookUrl}
Point Pintu at it:  WHATSAPP_API_BASE_URL=${sim.apiBaseUrl} WHATSAPP_PHONE_NUMBER_ID=${sim.phoneNumberId} WHATSAPP_APP_SECRET=${appSecret} WHATSAPP_VERIFY_TOKEN=${verifyToken} WHATSAPP_ACCESS_TOKEN=wa-sim-access-token npm start
A citizen writes:   npm run wa-sim -- text --from 6281234567890 --name Siti "PekalonganKota air PDAM keruh"`);
      const stop = () => void sim.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'text': {
      const text = positionals.join(' ');
      if (!text) throw new Error('usage: npm run wa-sim -- text --from NUMBER [--name NAME] TEXT...');
      return print(await control('/sim/text', { from, text }));
    }
    case 'media':
      return print(await control('/sim/media', { from, media: { kind: values.kind, ...(values.caption !== undefined && { caption: values.caption }), ...(values.filename && { filename: values.filename }) } }));
    case 'location':
      if (values.lat === undefined || values.lon === undefined) throw new Error('usage: npm run wa-sim -- location --from NUMBER --lat=LAT --lon=LON [--name N] [--address A]');
      return print(await control('/sim/location', { from, location: { lat: Number(values.lat), lon: Number(values.lon), ...(values.name && { name: values.name }), ...(values.address && { address: values.address }) } }));
    case 'choice':
      if (!values.id || !values.title) throw new Error('usage: npm run wa-sim -- choice --from NUMBER --id ID --title TITLE [--list]');
      return print(await control('/sim/choice', { from, choice: { kind: values.list ? 'list_reply' : 'button_reply', id: values.id, title: values.title } }));
    case 'fail': {
      const [status = '429', count = '1', code, retryAfter] = positionals;
      return print(await control('/sim/fail', { status: Number(status), count: Number(count), ...(code && { code: Number(code) }), ...(retryAfter && { retryAfterSeconds: Number(retryAfter) }) }));
    }
    case 'verify':
      return print(await control('/sim/verify', { url: values.url, verifyToken: values.token }));
    case 'sent':
      return print(await control('/sim/sent'));
    case 'deliveries':
      return print(await control('/sim/deliveries'));
    default:
      throw new Error(`unknown command "${command}" (serve | text | media | location | choice | fail | verify | sent | deliveries)`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`wa-sim: ${(err as Error).message}`);
  process.exit(1);
});
