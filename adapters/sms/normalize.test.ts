import { describe, expect, it } from 'vitest';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { readTsv } from '../../test/helpers/tsv.js';
import { loadSmsConfig, smppEndpoint } from './config.js';
import { normalizeSms, type SmsMessage } from './normalize.js';
import { assembleText } from './reassembly.js';
import { encodeUcs2 } from './codec.js';
import { smsChannel } from './index.js';
import type { Pintu } from '../../src/pintu.js';

const index = buildRouteIndex(seedRoutes());
const message = (from: string, text: string): SmsMessage => ({ from, to: '1708', text, messageId: 'm1', receivedAt: '2026-01-01T00:00:00.000Z', extras: { transport: 'smpp' } });

describe('SMS → outcome (normalize-cases.tsv)', () => {
  it.each(readTsv(new URL('./normalize-cases.tsv', import.meta.url)))('$label', ({ from, text, kind, phone, region, complaintText }) => {
    const outcome = normalizeSms(message(from!, text!), index);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'invalid') expect(outcome.field).toBe('from');
    if (outcome.kind !== 'invalid') expect(outcome.phone).toBe(phone);
    if (outcome.kind === 'complaint') {
      expect(outcome.draft).toMatchObject({ channel: 'sms', text: complaintText, region: { code: region }, reporter: { phone }, source: { messageId: 'm1', address: '1708', extras: { transport: 'smpp' } } });
    }
  });
});

describe('shared 1708 samples (../shared/samples/sms-examples.tsv)', () => {
  it.each(readTsv(new URL('../../../shared/samples/sms-examples.tsv', import.meta.url)))('$label', ({ text, expect: expected }) => {
    const outcome = normalizeSms(message('081234567890', text!), index);
    if (expected === 'help') expect(outcome.kind).toBe('help');
    else expect(outcome.kind === 'complaint' && outcome.draft.region.code).toBe(expected);
  });
});

describe('long text', () => {
  it('keeps a complaint longer than the schema allows, truncated and flagged', () => {
    const outcome = normalizeSms(message('081234567890', `PekalonganKota ${'jalan rusak '.repeat(1200)}`), index);
    expect(outcome.kind === 'complaint' && outcome.draft.rawText.length).toBe(10_000);
    expect(outcome.kind === 'complaint' && outcome.draft.source.extras.truncated).toBe(true);
  });

  it('joins parts in order, decodes a pair split across parts, marks gaps', () => {
    const octets = encodeUcs2('a😡b');
    const parts = [{ seq: 2, dataCoding: 8, octets: octets.subarray(4) }, { seq: 1, dataCoding: 8, octets: octets.subarray(0, 4) }];
    expect(assembleText({ total: 2, parts }, 'gsm')).toMatchObject({ text: 'a😡b', encoding: 'ucs2', missing: [] });
    const gappy = [{ seq: 1, dataCoding: 0, octets: Buffer.from('AB') }, { seq: 4, dataCoding: 0, octets: Buffer.from('CD') }];
    expect(assembleText({ total: 4, parts: gappy }, 'gsm')).toMatchObject({ text: 'AB […] CD', missing: [2, 3] });
  });
});

describe('SMS configuration', () => {
  it('has defaults and reads credentials from the URL', () => {
    const config = loadSmsConfig({ SMPP_URL: 'smpp://lapor:s%40cret@smsc.example:2775' });
    expect(config).toMatchObject({ SMPP_BIND: 'transceiver', SMPP_SHORTCODE: '1708', SMPP_DC0: 'gsm', SMS_REASSEMBLY_TIMEOUT_SECONDS: 3600 });
    expect(smppEndpoint(config.SMPP_URL!)).toEqual({ url: 'smpp://smsc.example:2775', systemId: 'lapor', password: 's@cret', tls: false });
    expect(smppEndpoint('ssmpp://a:b@smsc.example').tls).toBe(true);
  });

  it('fails with one line naming the variable, never echoing a secret', () => {
    expect(() => loadSmsConfig({ SMPP_URL: 'http://x:secretpw@h' })).toThrow(/^invalid SMS configuration — SMPP_URL: SMPP_URL must look like/);
    expect(() => loadSmsConfig({ SMPP_URL: 'http://x:secretpw@h' })).not.toThrow(/secretpw/);
    expect(() => loadSmsConfig({ SMPP_BIND: 'both' })).toThrow(/SMPP_BIND/);
    expect(() => loadSmsConfig({ SMS_HTTP_SECRET: 'short' })).toThrow(/SMS_HTTP_SECRET must be at least 16/);
  });

  it('is off without SMPP_URL, and says so in one log line', async () => {
    const lines: string[] = [];
    const pintu = { logger: { info: (line: string) => lines.push(line) } } as unknown as Pintu;
    expect(await smsChannel({}).start(pintu)).toBeNull();
    expect(lines).toEqual(['SMPP_URL not set: the SMS channel over SMPP is off']);
  });
});
