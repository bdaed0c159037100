/**
 * `npm run x-sim`                         start the fake X API (X_SIM_PORT, default 4780)
 * `npm run x-sim -- mention --from budi [--name "Budi S"] TEXT...`   add a mention to a running fake
 * `npm run x-sim -- fail [STATUS] [COUNT] [RESET_SECONDS] [mentions|tweets|users]`   make the next calls fail (429 by default)
 * `npm run x-sim -- posts`                 print the replies Pintu posted
 * Commands other than the server talk to X_SIM_URL (default http://127.0.0.1:4780).
 */
import { parseArgs } from 'node:util';
import { startXSim } from './server.js';

const port = Number(process.env.X_SIM_PORT ?? 4780);
const base = process.env.X_SIM_URL ?? `http://127.0.0.1:${port}`;

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data: unknown = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'serve') {
    const sim = await startXSim({ port, host: process.env.X_SIM_HOST ?? '127.0.0.1' });
    console.log(`x-sim: fake X API for @${sim.account.username} (user id ${sim.account.id}) on ${sim.url}
Point Pintu at it:  TWITTER_API_BASE_URL=${sim.url} TWITTER_BEARER_TOKEN=dev TWITTER_POLL_INTERVAL_MS=2000 npm start
Add a mention:      npm run x-sim -- mention --from budi "PekalonganKota lampu jalan mati"`);
    const stop = () => void sim.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return;
  }
  if (command === 'mention') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { from: { type: 'string', default: 'warga1708' }, name: { type: 'string' }, photo: { type: 'string' } } });
    const text = positionals.join(' ');
    if (!text) throw new Error('usage: npm run x-sim -- mention --from HANDLE [--name NAME] [--photo URL] TEXT...');
    console.log(JSON.stringify(await control('/sim/mentions', { from: values.from, name: values.name, text, ...(values.photo && { media: [{ type: 'photo', url: values.photo }] }) })));
    return;
  }
  if (command === 'fail') {
    const [status = '429', count = '1', resetInSeconds = '30', endpoint = 'mentions'] = rest;
    console.log(JSON.stringify(await control('/sim/fail', { status: Number(status), count: Number(count), resetInSeconds: Number(resetInSeconds), endpoint })));
    return;
  }
  if (command === 'posts') {
    console.log(JSON.stringify(await control('/sim/posts'), null, 2));
    return;
  }
  throw new Error(`unknown command "${command}" (serve | mention | fail | posts)`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`x-sim: ${(err as Error).message}`);
  process.exit(1);
});
