/**
 * Hostile input at the SMS channel, over real TCP (SMPP, from the SMSC simulator) and real HTTP (the
 * aggregators' MO endpoint): every case gets its expected answer — a PDU status, a generic_nack, a link
 * reset, an HTTP 4xx naming the field — and the gateway keeps taking ordinary messages after each one.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsChannel, type SmsSession } from '../adapters/sms/index.js';
import { concatenatedMo, encodeMo, singleMo, type ConcatScheme, type MoCoding, type MoParams } from '../adapters/sms/sim/messages.js';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { smpp } from '../adapters/sms/smpp.js';
import type { Complaint } from '../src/complaint.js';
import { FORMAT_HELP } from '../src/replies.js';
import { eventually, startGateway, type TestGateway, keptComplaints } from './helpers/gateway.js';

/** Message octets: hex first, then text in a coding, then more hex; `repeat` appends text. */
interface Octets { hex?: string; text?: string; coding?: MoCoding; appendHex?: string; repeat?: [string, number] }
interface SmppCase {
  label: string;
  command?: 'deliver_sm' | 'data_sm' | 'submit_sm';
  pdu?: Record<string, unknown> & { short_message?: Octets; message_payload?: Octets };
  /** Byte surgery on the encoded PDU. */
  smLength?: number; commandLength?: number; cut?: number;
  raw?: { hex: string };
  long?: { scheme: ConcatScheme; parts: number; send?: number[]; reverse?: boolean };
  expect: {
    status?: number; command?: string; answer?: 'none'; link?: 'reset';
    outcome?: 'complaint' | 'help' | 'none'; region?: string; text?: string; flags?: string[]; extras?: Record<string, unknown>; address?: string;
  };
}
interface HttpCase {
  label: string; contentType: string | null; auth?: string | null;
  json?: Record<string, unknown> & { repeatText?: [string, number]; repeatId?: [string, number] }; body?: string; bodyHex?: string;
  status: number; field?: string; message?: string; answer?: string; text?: string;
}
const smppCases = JSON.parse(readFileSync(new URL('./data/hostile-smpp.json', import.meta.url), 'utf8')) as SmppCase[];
const httpCases = JSON.parse(readFileSync(new URL('./data/hostile-sms-http.json', import.meta.url), 'utf8')) as HttpCase[];

const HTTP_SECRET = 'hostile-sms-http-secret';
let phoneCounter = 0;
const nextPhone = () => `0815${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter++).padStart(5, '0')}`;
const e164 = (local: string) => `+62${local.slice(1)}`;

function octets(o: Octets): Buffer {
  const text = o.text === undefined ? '' : o.text + (o.repeat ? o.repeat[0].repeat(o.repeat[1]) : '');
  return Buffer.concat([Buffer.from(o.hex ?? '', 'hex'), encodeMo(text, o.coding ?? 'gsm'), Buffer.from(o.appendHex ?? '', 'hex')]);
}

/** The case's bytes on the wire, with its sequence number. */
function encode(c: SmppCase, from: string, sequence: number): Buffer {
  if (c.raw) return Buffer.from(c.raw.hex, 'hex');
  const { short_message, message_payload, ...fields } = c.pdu!;
  const params: MoParams = {
    source_addr_ton: 1, source_addr_npi: 1, source_addr: from, destination_addr: '1708', ...fields, sequence_number: sequence,
    ...(short_message && { short_message: octets(short_message) }), ...(message_payload && { message_payload: octets(message_payload) }),
  };
  let bytes: Buffer = new smpp.PDU(c.command ?? 'deliver_sm', params).toBuffer();
  // No TLVs here: the sm_length octet sits just before the message.
  if (c.smLength !== undefined) bytes[bytes.length - (params.short_message as Buffer).length - 1] = c.smLength;
  if (c.commandLength !== undefined) bytes.writeUInt32BE(c.commandLength, 0);
  if (c.cut !== undefined) bytes = bytes.subarray(0, c.cut);
  return bytes;
}

describe('hostile input at the SMS channel', () => {
  let smsc: Smsc;
  let gw: TestGateway;
  let session: SmsSession;
  const complaintsFrom = async (phone: string): Promise<Complaint[]> =>
    (await keptComplaints(gw.pintu)).filter((c) => c.reporter.phone === e164(phone));

  beforeAll(async () => {
    smsc = await Smsc.start({ retryDelayMs: 50, respTimeoutMs: 3000 });
    const channel = smsChannel({
      SMPP_URL: smsc.url, SMS_HTTP_SECRET: HTTP_SECRET, SMS_FLOOD_PER_HOUR: '0', SMS_REPLY_PER_SECOND: '100', SMS_REASSEMBLY_TIMEOUT_SECONDS: '1',
      SMPP_ENQUIRE_LINK_SECONDS: '0.5', SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS: '0.5', SMPP_RECONNECT_MAX_SECONDS: '0.5',
    });
    gw = await startGateway({}, { channels: [channel], workers: false, sessions: false });
    session = (await channel.start(gw.pintu))!;
    await eventually(() => smsc.bound.length === 1);
  });
  afterAll(async () => { await session.stop(); await gw.close(); await smsc.close(); });

  /** After every case: the gateway is up and an ordinary message still becomes a complaint. */
  async function stillTakesMessages() {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const phone = nextPhone();
    expect((await smsc.deliver(singleMo(phone, '1708', 'BandungKota lampu taman mati'))).ok).toBe(true);
    await eventually(async () => (await complaintsFrom(phone)).length === 1);
  }

  it.each(smppCases.map((c, i) => ({ ...c, i })))('SMPP: $label', async (c) => {
    const from = nextPhone();
    const binds = session.receiver!.binds;
    if (c.long) {
      const { scheme, parts, send, reverse } = c.long;
      const text = `PekalonganKota ${'a'.repeat(parts * 153 - 'PekalonganKota '.length)}`;
      const order = send ?? Array.from({ length: parts }, (_, k) => (reverse ? parts - k : k + 1));
      const results = await smsc.deliverAll(concatenatedMo(from, '1708', text, { scheme, ref: 200 + c.i, order }));
      expect(results.map((r) => r.attempts[0])).toEqual(order.map(() => c.expect.status));
    } else {
      const answer = await smsc.sendRaw(encode(c, from, 0x5000 + c.i), 3000);
      if (c.expect.link === 'reset') {
        await eventually(() => session.receiver!.binds > binds, 10_000);
      } else if (c.expect.answer === 'none') {
        expect(answer).toBe('timeout');
        expect(session.receiver!.binds).toBe(binds);
      } else {
        expect(answer).not.toBeTypeOf('string');
        const resp = answer as Exclude<typeof answer, string>;
        expect({ command: resp.command, status: resp.command_status }).toEqual({ command: c.expect.command ?? `${c.command ?? 'deliver_sm'}_resp`, status: c.expect.status });
        expect(session.receiver!.binds).toBe(binds);
      }
    }

    const { outcome, region, text, flags, extras, address } = c.expect;
    if (outcome === 'complaint') {
      const [complaint] = await eventually(async () => { const found = await complaintsFrom(from); return found.length > 0 && found; }, 10_000);
      if (region) expect(complaint!.region.code).toBe(region);
      if (text !== undefined) expect(complaint!.text).toBe(text);
      if (flags) expect(complaint!.source.extras.flags).toEqual(expect.arrayContaining(flags));
      if (extras) expect(complaint!.source.extras).toMatchObject(extras);
      if (address) expect(complaint!.source.address).toBe(address);
      expect(await complaintsFrom(from)).toHaveLength(1);
    }
    if (outcome === 'help') await eventually(() => smsc.mt.some((m) => m.to === e164(from).slice(1) && m.text === FORMAT_HELP), 10_000);
    await stillTakesMessages();
    if (outcome === 'none' || outcome === 'help') expect(await complaintsFrom(from)).toEqual([]);
  });

  it.each(httpCases)('HTTP MO: $label → $status', async (c) => {
    let body: Buffer;
    if (c.json) {
      const { repeatText, repeatId, ...fields } = c.json;
      body = Buffer.from(JSON.stringify({
        ...fields,
        ...(repeatText && { text: `${fields.text}${repeatText[0].repeat(repeatText[1])}` }),
        ...(repeatId && { id: repeatId[0].repeat(repeatId[1]) }),
      }));
    } else {
      body = c.bodyHex ? Buffer.from(c.bodyHex, 'hex') : Buffer.from(c.body ?? '');
    }
    const auth = c.auth === undefined ? `Bearer ${HTTP_SECRET}` : c.auth;
    const res = await fetch(`${gw.url}/api/v1/sms/inbound`, { method: 'POST', headers: { ...(c.contentType && { 'content-type': c.contentType }), ...(auth && { authorization: auth }) }, body });
    expect(res.status).toBe(c.status);
    const answer = await res.json() as { status?: string; trackingId?: string; error?: string; message?: string; fields?: Record<string, string> };
    if (c.status >= 400) {
      expect(answer.error).toEqual(expect.any(String));
      expect(answer.message).toEqual(expect.any(String));
    }
    if (c.field) expect(Object.keys(answer.fields ?? {})).toContain(c.field);
    if (c.message) expect(answer.message).toContain(c.message);
    if (c.answer) expect(answer.status).toBe(c.answer);
    if (c.text !== undefined) {
      const from = c.json?.from as string ?? new URLSearchParams(c.body).get('from')!;
      expect((await complaintsFrom(from)).map((x) => x.text)).toEqual([c.text]);
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
