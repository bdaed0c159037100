/**
 * The SMSC simulator's commands and its HTTP control endpoint (POST /mo, GET /mt, POST /drop), shared by
 * `npm run smsc-sim` and `npm run demo` so both answer the same one-shot `npm run smsc-sim -- send …`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { concatenatedMo, receiptMo, singleMo } from './messages.js';
import type { DeliveryResult, Smsc } from './smsc.js';

export const HELP = `commands (stdin) — the same as JSON to POST /mo on the HTTP port:
  send <from> <text>              single message, GSM 03.38 if it fits else UCS-2   {"kind":"single","from":…,"text":…}
  ucs2 <from> <text>              single message forced to UCS-2 (dc 8)            {"kind":"ucs2",…}
  concat <udh8|udh16|sar> <from> <text>   long message, parts sent in reverse order  {"kind":"concat","scheme":"udh16",…}
  retransmit <from> <text>        the same deliver_sm twice (a lost resp)           {"kind":"retransmit",…}
  receipt <from>                  a delivery receipt (never a complaint)            {"kind":"receipt","from":…}
  burst <n> [window]              n distinct complaints, at most window unanswered  {"kind":"burst","count":n,"window":100}
  drop | mute | unmute | mt | help   cut links, stop/start answering enquire_link, list MT replies
HTTP: POST /mo, GET /mt, POST /drop`;

export const Injection = z.discriminatedUnion('kind', [
  z.object({ kind: z.enum(['single', 'ucs2', 'retransmit']), from: z.string().min(3), to: z.string().optional(), text: z.string() }),
  z.object({ kind: z.literal('concat'), scheme: z.enum(['udh8', 'udh16', 'sar']).default('udh8'), from: z.string().min(3), to: z.string().optional(), text: z.string() }),
  z.object({ kind: z.literal('receipt'), from: z.string().min(3), to: z.string().optional() }),
  z.object({ kind: z.literal('burst'), count: z.coerce.number().int().positive().max(1_000_000), window: z.coerce.number().int().positive().default(100), to: z.string().optional() }),
]);
export type Injection = z.infer<typeof Injection>;

function summary(results: DeliveryResult[]) {
  const acked = results.filter((r) => r.ok).length;
  const retried = results.filter((r) => r.attempts.length > 1).length;
  return { pdus: results.length, acked, retried };
}

let nextRef = 1;

async function inject(smsc: Smsc, injection: Injection, shortcode: string) {
  const to = injection.to ?? shortcode;
  switch (injection.kind) {
    case 'single': return summary([await smsc.deliver(singleMo(injection.from, to, injection.text))]);
    case 'ucs2': return summary([await smsc.deliver(singleMo(injection.from, to, injection.text, 'ucs2'))]);
    case 'retransmit': {
      const pdu = singleMo(injection.from, to, injection.text);
      return summary(await smsc.deliverAll([pdu, pdu]));
    }
    case 'concat': {
      const parts = concatenatedMo(injection.from, to, injection.text, { scheme: injection.scheme, ref: nextRef++ % 256 });
      return summary(await smsc.deliverAll(parts.reverse()));
    }
    case 'receipt': return summary([await smsc.deliver(receiptMo(injection.from, to, `sim-${Date.now()}`))]);
    case 'burst': {
      const base = 81_200_000_000 + Math.floor(Math.random() * 1_000_000);
      const pdus = Array.from({ length: injection.count }, (_, i) => singleMo(`0${base + i}`, to, `PekalonganKota aduan uji beban nomor ${i}`));
      const started = performance.now();
      const results = await smsc.burst(pdus, injection.window);
      return { ...summary(results), seconds: Number(((performance.now() - started) / 1000).toFixed(2)) };
    }
  }
}

/** A command line (stdin, or the CLI's arguments) as an injection, or the bare control word. */
export function parseLine(line: string): Injection | string {
  const [command = '', ...rest] = line.trim().split(/\s+/);
  const text = (n: number) => line.trim().split(/\s+/).slice(n).join(' ');
  switch (command) {
    case 'send': return { kind: 'single', from: rest[0] ?? '', text: text(2) };
    case 'ucs2': return { kind: 'ucs2', from: rest[0] ?? '', text: text(2) };
    case 'retransmit': return { kind: 'retransmit', from: rest[0] ?? '', text: text(2) };
    case 'concat': return { kind: 'concat', scheme: (rest[0] ?? 'udh8') as 'udh8', from: rest[1] ?? '', text: text(3) };
    case 'receipt': return { kind: 'receipt', from: rest[0] ?? '' };
    case 'burst': return { kind: 'burst', count: Number(rest[0] ?? 100), window: Number(rest[1] ?? 100) };
    default: return command;
  }
}

export interface SmscControl {
  url: string;
  /** Validate and deliver an injection (or answer why it is invalid). */
  run(injection: unknown): Promise<Awaited<ReturnType<typeof inject>> | { error: string }>;
  /** drop | mute | unmute | mt; anything else answers the help text. */
  control(command: string): unknown;
  close(): Promise<void>;
}

/** The HTTP control endpoint for a running simulator, on `port` (0: any free port). */
export async function startSmscControl(smsc: Smsc, options: { port: number; host?: string; shortcode: string }): Promise<SmscControl> {
  const run: SmscControl['run'] = async (injection) => {
    const parsed = Injection.safeParse(injection);
    if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    return inject(smsc, parsed.data, options.shortcode);
  };
  const control = (command: string): unknown => {
    if (command === 'drop') smsc.dropLinks();
    else if (command === 'mute') smsc.answerEnquireLink = false;
    else if (command === 'unmute') smsc.answerEnquireLink = true;
    else if (command === 'mt') return smsc.mt;
    else return HELP;
    return { ok: true };
  };

  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
      try {
        if (req.method === 'POST' && req.url === '/mo') {
          const result = await run(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
          return send('error' in result ? 400 : 200, result);
        }
        if (req.method === 'GET' && req.url === '/mt') return send(200, smsc.mt);
        if (req.method === 'POST' && req.url === '/drop') return send(200, control('drop'));
        return send(404, { error: 'POST /mo, GET /mt or POST /drop', help: HELP });
      } catch (err) {
        return send(400, { error: (err as Error).message });
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => { http.once('error', fail); http.listen(options.port, host, () => ok()); });
  return {
    url: `http://${host}:${(http.address() as AddressInfo).port}`,
    run,
    control,
    close: () => new Promise((ok) => { http.closeAllConnections(); http.close(() => ok()); }),
  };
}
