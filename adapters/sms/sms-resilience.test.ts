/**
 * What the network, the SMSC and Redis do to the SMS channel, over real TCP with a real redis-server
 * of the test's own (it is stopped and started again here): nothing acknowledged is lost, nothing
 * is duplicated, the link comes back by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Complaint } from '../../src/complaint.js';
import { startLocalRedis, type LocalRedis } from '../../src/redis.js';
import { startAgencySink, type AgencySink } from '../../test/helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from '../../test/helpers/gateway.js';
import { smsChannel, type SmsSession } from './index.js';
import { concatenatedMo, singleMo } from './sim/messages.js';
import { Smsc } from './sim/smsc.js';
import { STATUS } from './smpp.js';

const LONG = 'air PDAM mati tiga hari berturut-turut tanpa pemberitahuan apa pun kepada warga, '.repeat(4).trim();

let phoneCounter = 0;
const nextPhone = () => `0813${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter++).padStart(5, '0')}`;
const e164 = (local: string) => `+62${local.slice(1)}`;

interface Rig { sink: AgencySink; smsc: Smsc; gw: TestGateway; session: SmsSession; complaintsFrom(phone: string): Complaint[]; close(): Promise<void> }

async function rig(env: Record<string, string>, gatewayEnv: Record<string, string> = {}): Promise<Rig> {
  const sink = await startAgencySink();
  const smsc = await Smsc.start({ retryDelayMs: 100, respTimeoutMs: 3000, maxAttempts: 200 });
  const channel = smsChannel({ SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '0', ...env });
  const gw = await startGateway({ NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'test-national-secret-123', ...gatewayEnv }, { channels: [channel], sessions: false });
  const session = (await channel.start(gw.pintu))!;
  await eventually(() => smsc.bound.length >= 1);
  return {
    sink, smsc, gw, session,
    complaintsFrom: (phone) => sink.received.map((d) => Complaint.parse(d.body.complaint)).filter((c) => c.reporter.phone === e164(phone)),
    async close() { await session.stop(); await gw.close(); await smsc.close(); await sink.close(); },
  };
}

describe('Redis stops while the SMSC delivers', () => {
  let redis: LocalRedis;
  let dir: string;
  let r: Rig;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pintu-sms-redis-'));
    redis = await startLocalRedis(dir);
    r = await rig({}, { REDIS_URL: redis.url });
  });
  afterAll(async () => { await r.close(); await redis.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('answers 0x64 while Redis is down, then accepts the retransmits with nothing lost or doubled', async () => {
    const phone = nextPhone();
    const long = concatenatedMo(phone, '1708', `PekalonganKota ${LONG}`, { scheme: 'udh8', ref: 12 });
    // The first part is kept before the outage; the rest arrive during it.
    expect((await r.smsc.deliver(long[0]!)).attempts).toEqual([0]);
    await redis.stop();
    const during = Promise.all([
      r.smsc.deliver(singleMo(phone, '1708', 'PekalonganKota jalan berlubang di depan SD')),
      r.smsc.deliverAll(long.slice(1)),
    ]);
    await eventually(() => r.smsc.answers.filter((a) => a === STATUS.RX_T_APPN).length >= 2);
    redis = await startLocalRedis(dir, { port: redis.port });
    const [single, rest] = await during;
    expect(single.ok).toBe(true);
    expect(single.attempts).toContain(STATUS.RX_T_APPN);
    expect(rest.every((d) => d.ok)).toBe(true);
    const complaints = await eventually(() => r.complaintsFrom(phone).length === 2 && r.complaintsFrom(phone));
    expect(complaints.map((c) => c.text).sort()).toEqual([LONG, 'jalan berlubang di depan SD'].sort());
    await new Promise((res) => setTimeout(res, 500));
    expect(r.complaintsFrom(phone)).toHaveLength(2);
    expect(r.smsc.answers).not.toContain('timeout');
  });
});

describe('the SMPP link', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ SMPP_ENQUIRE_LINK_SECONDS: '0.2', SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS: '0.3', SMPP_RECONNECT_MAX_SECONDS: '0.5', SMPP_MAX_IN_FLIGHT: '2' });
  });
  afterAll(async () => { await r.close(); });

  const deliversAgain = async () => {
    const phone = nextPhone();
    const result = await r.smsc.deliver(singleMo(phone, '1708', 'BandungKota lampu taman mati'));
    expect(result.ok).toBe(true);
    await eventually(() => r.complaintsFrom(phone).length === 1);
  };

  it('sends enquire_link and answers the SMSC’s', async () => {
    const before = r.smsc.enquireLinks;
    await eventually(() => r.smsc.enquireLinks >= before + 2);
    expect(await r.smsc.enquireLinkAll()).toEqual([0]);
  });

  it('reconnects with a fresh session when the SMSC drops the link, and carries on', async () => {
    const binds = r.session.receiver!.binds;
    r.smsc.dropLinks();
    await eventually(() => r.session.receiver!.binds > binds && r.smsc.bound.length === 1);
    await deliversAgain();
  });

  it('reconnects when enquire_link goes unanswered (watchdog)', async () => {
    const binds = r.session.receiver!.binds;
    r.smsc.answerEnquireLink = false;
    await eventually(() => r.session.receiver!.binds > binds);
    r.smsc.answerEnquireLink = true;
    await eventually(() => r.smsc.bound.length === 1);
    await deliversAgain();
  });

  it('reconnects after bytes node-smpp cannot parse (it would otherwise stop reading silently)', async () => {
    const binds = r.session.receiver!.binds;
    r.smsc.sendGarbage();
    await eventually(() => r.session.receiver!.binds > binds);
    await deliversAgain();
  });

  it('stops reading above the in-flight bound and still takes every message of a burst', async () => {
    const phone = nextPhone();
    const burst = Array.from({ length: 40 }, (_, i) => singleMo(phone, '1708', `PekalonganKota aduan ke-${i} soal sampah`));
    const results = await r.smsc.burst(burst, 40);
    expect(results.every((d) => d.ok)).toBe(true);
    expect(r.session.receiver!.pauses).toBeGreaterThan(0);
    await eventually(() => r.complaintsFrom(phone).length === 40);
  });

  it('unbinds cleanly on stop', async () => {
    const channel = smsChannel({ SMPP_URL: r.smsc.url });
    const session = (await channel.start(r.gw.pintu))!;
    await eventually(() => session.receiver!.bound);
    const unbinds = r.smsc.unbinds;
    await session.stop();
    expect(r.smsc.unbinds).toBe(unbinds + 1);
  });
});

describe('a silent SMSC at shutdown', () => {
  it('does not hold up stop: the unanswered reply fails at once and stays queued for a retry', async () => {
    // Without failing the pending submit_sm, stop would wait out its 600 s response timeout.
    const r = await rig({ SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS: '600' });
    const replies = r.gw.pintu.replies.replyQueue('sms');
    try {
      r.smsc.answerSubmits = false;
      const phone = nextPhone();
      await r.smsc.deliverAll([singleMo(phone, '1708', 'PekalonganKota jembatan ambruk, mohon segera diperbaiki')]);
      await eventually(() => r.smsc.submits > 0);
      await r.session.stop();
      // Sent at once on the transmitter, unanswered, failed by the stop: moved to the reply queue, not lost.
      const [kept] = (await replies.getJobs(['delayed', 'waiting', 'failed'])).map((j) => j.data).filter((d) => 'to' in d && d.to === e164(phone));
      expect(kept && 'text' in kept && kept.text).toContain('Aduan Anda diterima');
    } finally {
      await r.gw.close(); await r.smsc.close(); await r.sink.close();
    }
  }, 30_000);
});

describe('receiver bind + separate transmitter', () => {
  it('takes MO on the receiver and sends replies on the transmitter', async () => {
    const r = await rig({ SMPP_BIND: 'receiver' });
    try {
      await eventually(() => r.smsc.bound.length === 2);
      expect(r.smsc.bound.map((b) => b.bind).sort()).toEqual(['receiver', 'transmitter']);
      const phone = nextPhone();
      await r.smsc.deliver(singleMo(phone, '1708', 'PekalonganKota pungli parkir'));
      await eventually(() => r.smsc.mt.some((m) => m.to === e164(phone).slice(1)));
    } finally {
      await r.close();
    }
  });
});
