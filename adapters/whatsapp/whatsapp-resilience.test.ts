/**
 * The WhatsApp channel when things are missing: Redis stops while Meta delivers (a real redis-server of the test's
 * own, stopped and started again: 503, then the resent delivery is one complaint and one answer), the channel's
 * settings are absent (off, one log line, no route), and no template is configured for notifications after 24 hours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/redis.js';
import { startAgencySink, type AgencySink } from '../../test/helpers/agency-sink.js';
import { eventually, keptComplaints, startGateway } from '../../test/helpers/gateway.js';
import { createWhatsAppChannel } from './index.js';
import { WEBHOOK_PATH } from './signature.js';
import { startWhatsAppRig, VERIFY_TOKEN, type WhatsAppRig } from './sim/rig.js';

let citizens = 0;
const nextCitizen = () => ({ phone: `62814${String(process.pid % 1000).padStart(3, '0')}${String(citizens++).padStart(5, '0')}`, name: 'Warga' });

describe('Redis stops while Meta delivers', () => {
  let redis: LocalRedis;
  let dir: string;
  let sink: AgencySink;
  let rig: WhatsAppRig;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pintu-wa-redis-'));
    redis = await startLocalRedis(dir);
    sink = await startAgencySink();
    rig = await startWhatsAppRig({
      gatewayEnv: { REDIS_URL: redis.url, NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'test-national-secret-123' },
      sim: { retry: { attempts: 60, firstDelayMs: 250, maxDelayMs: 1000, timeoutMs: 5000 } },
    });
  });
  afterAll(async () => { await rig.close(); await redis.stop(); await sink.close(); rmSync(dir, { recursive: true, force: true }); });

  it('answers 503 while Redis is down, then takes the resent delivery: one complaint, one answer', async () => {
    const citizen = nextCitizen();
    await redis.stop();
    const posted = rig.sim.sendText(citizen, 'PekalonganKota jalan ambles di depan puskesmas');
    const report = rig.sim.deliveries.at(-1)!;
    await eventually(() => report.attempts.filter((a) => a.status === 503).length >= 2);
    redis = await startLocalRedis(dir, { port: redis.port });
    const delivered = await posted.delivered;
    expect(delivered.delivered).toBe(true);
    expect(delivered.attempts.at(-1)!.status).toBe(200);
    expect(delivered.attempts.slice(0, -1).every((a) => a.status === 503)).toBe(true);
    const to = citizen.phone;
    await eventually(() => rig.sim.sent.some((s) => s.to === to));
    const delivery = await eventually(() => sink.received.find((d) => d.body?.complaint?.source?.messageId === posted.messageId));
    expect(delivery.body.complaint).toMatchObject({ channel: 'whatsapp', text: 'jalan ambles di depan puskesmas' });
    await new Promise((r) => setTimeout(r, 500));
    expect((await keptComplaints(rig.gw.pintu)).filter((c) => c.source.messageId === posted.messageId)).toHaveLength(1);
    expect(rig.sim.sent.filter((s) => s.to === to)).toHaveLength(1);
  });
});

describe('without its settings', () => {
  it('is off, says why in one log line, and has no webhook', async () => {
    const channel = createWhatsAppChannel({ WHATSAPP_APP_SECRET: 'an-app-secret-0123456789' });
    const gw = await startGateway({}, { channels: [channel], workers: false, sessions: false });
    try {
      const info = vi.spyOn(gw.pintu.logger, 'info');
      expect(await channel.start(gw.pintu)).toBeNull();
      expect(info.mock.calls).toEqual([['WhatsApp channel off: WHATSAPP_VERIFY_TOKEN, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID are not set']]);
      expect((await fetch(`${gw.url}${WEBHOOK_PATH}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`)).status).toBe(404);
    } finally {
      await gw.close();
    }
  });
});

describe('without a template', () => {
  let city: AgencySink;
  let rig: WhatsAppRig;
  beforeAll(async () => {
    city = await startAgencySink();
    rig = await startWhatsAppRig({ cityUrl: city.url });
  });
  afterAll(async () => { await rig.close(); await city.close(); });

  it('sends a notification after 24 hours nowhere, and says why on the failed reply', async () => {
    const { gw, sim } = rig;
    const citizen = nextCitizen();
    const posted = sim.sendText(citizen, 'PekalonganKota lampu taman mati');
    await posted.delivered;
    const { trackingId } = await eventually(async () => (await keptComplaints(gw.pintu)).find((c) => c.source.messageId === posted.messageId));
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered' && sim.sent.some((s) => s.to === citizen.phone));
    await rig.lastWrote(citizen.phone, 25);
    expect((await rig.update(trackingId, { status: 'selesai' })).status).toBe(200);
    const queue = gw.pintu.replies.replyQueue('whatsapp');
    const failed = await eventually(async () => (await queue.getFailed()).find((j) => 'params' in j.data && j.data.params?.trackingId === trackingId));
    expect(failed.failedReason).toContain('WHATSAPP_TEMPLATE_STATUS is not set');
    expect(failed.attemptsMade).toBe(1);
    expect(sim.sent.filter((s) => s.to === citizen.phone)).toHaveLength(1);
  });
});
