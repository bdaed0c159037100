/**
 * `npm run smsc-sim` — the SMSC simulator for development and demos. Pintu binds to it like to an
 * operator's SMSC (SMPP_URL=smpp://pintu:secret@127.0.0.1:2775); MO is injected from stdin or the
 * small HTTP control endpoint, MT replies are printed.
 *
 *   npm run smsc-sim -- [--port 2775] [--http 2776] [--system-id pintu] [--password secret] [--to 1708]
 *   npm run smsc-sim -- [--http 2776] send 081234567890 PekalonganKota jalan rusak   one command to a running simulator
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { HELP, parseLine, startSmscControl } from './control.js';
import { Smsc } from './smsc.js';

/** One stdin command sent to the control endpoint of a simulator already running (`npm run demo` or another terminal). */
async function oneShot(controlUrl: string, line: string): Promise<void> {
  const parsed = parseLine(line);
  const request = typeof parsed !== 'string' ? { path: '/mo', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(parsed) } }
    : parsed === 'mt' ? { path: '/mt', init: {} }
    : parsed === 'drop' ? { path: '/drop', init: { method: 'POST' } }
    : null;
  if (!request) throw new Error(`"${parsed}" is not a one-shot command (send | ucs2 | concat | retransmit | receipt | burst | mt | drop)\n${HELP}`);
  const res = await fetch(`${controlUrl}${request.path}`, request.init).catch((err: Error) => {
    throw new Error(`no simulator control endpoint at ${controlUrl} (${err.message}); start one with npm run smsc-sim, or pass its --http port`);
  });
  console.log((await res.text()).trim());
  if (!res.ok) process.exitCode = 1;
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    port: { type: 'string', default: '2775' }, http: { type: 'string', default: '2776' },
    'system-id': { type: 'string', default: 'pintu' }, password: { type: 'string', default: 'secret' }, to: { type: 'string', default: '1708' },
  } });
  if (positionals.length) return oneShot(`http://127.0.0.1:${values.http}`, positionals.join(' '));
  const smsc = await Smsc.start({ port: Number(values.port), host: '0.0.0.0', systemId: values['system-id'], password: values.password, log: (l) => console.log(l) });
  const control = await startSmscControl(smsc, { port: Number(values.http), shortcode: values.to });
  console.log(`SMSC simulator on smpp://${values['system-id']}:${values.password}@127.0.0.1:${smsc.port} — control on ${control.url}\n${HELP}`);

  createInterface({ input: process.stdin }).on('line', async (line) => {
    if (!line.trim()) return;
    const parsed = parseLine(line);
    const result = typeof parsed === 'string' ? control.control(parsed) : await control.run(parsed);
    console.log(typeof result === 'string' ? result : JSON.stringify(result));
  });
  const stop = async () => { await control.close(); await smsc.close(); process.exit(0); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`smsc-sim: ${(err as Error).message}`);
  process.exit(1);
});
