/**
 * Replies over the channel's rate go to the reply queue in batches (one `replies` job for the replies moved together),
 * sent at the rate, each once: end to end over SMPP with a burst; and, with a channel that fails or says "slow down"
 * on chosen replies, a failed reply becomes a `reply` job of its own and a batch run again skips what it sent.
 */
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { smsChannel } from '../adapters/sms/index.js';
import { singleMo } from '../adapters/sms/sim/messages.js';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { RateLimited, ReplyOutbox, replyKeys, type Reply, type ReplyAttempt, type ReplyJob, type ReplySender } from '../queues/replies.js';
import { createLogger } from '../src/logger.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, uniquePrefix, type TestGateway } from './helpers/gateway.js';

const isBatch = (job: Job<ReplyJob>) => 'replies' in job.data;

describe('a burst over SMS_REPLY_PER_SECOND', () => {
  let sink: AgencySink;
  let smsc: Smsc;
  let gw: TestGateway;
  beforeAll(async () => {
    sink = await startAgencySink();
    smsc = await Smsc.start({ retryDelayMs: 100 });
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'batch-national-secret-1' }, { channels: [smsChannel({ SMPP_URL: smsc.url, SMS_REPLY_PER_SECOND: '10' })] });
    await eventually(() => smsc.bound.length === 1);
  });
  afterAll(async () => { await gw.close(); await smsc.close(); await sink.close(); });

  it('answers every citizen once, at the rate, through a few batch jobs', async () => {
    const phones = Array.from({ length: 60 }, (_, i) => `0813${String(process.pid % 1000).padStart(3, '0')}${String(i).padStart(5, '0')}`);
    const started = Date.now();
    const results = await smsc.burst(phones.map((p) => singleMo(p, '1708', 'PekalonganKota lampu jalan mati di gang mawar')), 30);
    expect(results.every((r) => r.ok)).toBe(true);
    const to = phones.map((p) => `62${p.slice(1)}`);
    await eventually(() => to.every((n) => smsc.mt.some((m) => m.to === n)), 30_000);
    const replies = smsc.mt.filter((m) => to.includes(m.to));
    expect(replies.map((m) => m.to).sort()).toEqual([...to].sort());
    // 10 a second, shared with the replies intake sent at once: the last went out no sooner than the limit allows.
    expect(Date.parse(replies.at(-1)!.at) - started).toBeGreaterThanOrEqual(((60 - 20) / 10) * 1000);
    const jobs = await gw.pintu.replies.replyQueue('sms').getJobs(['completed', 'active', 'waiting', 'delayed']);
    const batches = jobs.filter(isBatch);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThan(10);
  }, 60_000);
});

describe('a batch job against a channel that fails', () => {
  const prefix = uniquePrefix('batches');
  const redis = new Redis(inject('redisUrl'));
  const workerRedis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  const outbox = new ReplyOutbox(redis, prefix, createLogger('silent'));
  const sent: string[] = [];
  /** Replies that fail once, and that answer "slow down" once. */
  const failOnce = new Set<string>();
  const rateLimitOnce = new Set<string>();
  const sender: ReplySender = {
    channel: 'test', perSecond: 1000, ready: () => true,
    async send(reply: Reply, _attempt: ReplyAttempt) {
      if (failOnce.delete(reply.text)) throw new Error('the channel refused it this time');
      if (rateLimitOnce.delete(reply.text)) throw new RateLimited(300);
      sent.push(reply.text);
    },
  };
  beforeAll(() => { outbox.register(sender, workerRedis); });
  afterAll(async () => { await outbox.close(); redis.disconnect(); workerRedis.disconnect(); });

  /** Replies as intake leaves them (pending), then moved to the queue together. */
  async function moveTogether(texts: string[]): Promise<void> {
    const keys = replyKeys(prefix);
    const entries = texts.map((text) => ({ id: `r-${text}`, reply: { channel: 'test', to: '+6281234567890', text } }));
    for (const e of entries) await redis.multi().hset(keys.pending, e.id, JSON.stringify(e.reply)).zadd(keys.due, Date.now() + 60_000, e.id).exec();
    await outbox.sweep(entries.map((e) => e.id));
  }

  it('sends the others, and the failed reply once more on its own', async () => {
    const texts = ['a1', 'a2', 'a3', 'a4', 'a5'];
    failOnce.add('a3');
    await moveTogether(texts);
    await eventually(() => texts.every((t) => sent.includes(t)), 20_000);
    expect(sent.filter((t) => texts.includes(t)).sort()).toEqual(texts);
    const single = await outbox.replyQueue('test').getJob('r-a3');
    expect(single?.name).toBe('reply');
  });

  it('runs again after "slow down" and skips what it had sent', async () => {
    const texts = ['b1', 'b2', 'b3', 'b4'];
    rateLimitOnce.add('b2');
    await moveTogether(texts);
    await eventually(() => texts.every((t) => sent.includes(t)), 20_000);
    // Give a wrong second run time to show itself.
    await new Promise((r) => setTimeout(r, 500));
    expect(sent.filter((t) => texts.includes(t)).sort()).toEqual(texts);
  });

  it('adds nothing when the same replies are moved again', async () => {
    const texts = ['c1', 'c2'];
    await moveTogether(texts);
    await eventually(() => texts.every((t) => sent.includes(t)), 20_000);
    await moveTogether(texts);
    await new Promise((r) => setTimeout(r, 500));
    expect(sent.filter((t) => texts.includes(t))).toEqual(texts);
  });
});
