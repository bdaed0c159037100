/**
 * Replies to citizens (tracking numbers, format help, status answers). Intake writes each reply durably in the
 * same MULTI as its complaint, as a pending entry (`replies:pending` + `replies:due`), and counts it against the
 * channel's rate limit when this process can send on that channel now. Then:
 * - counted in, the reply goes out at once on this process's channel session, and its entry is removed;
 * - over the limit, with the link down or no session here, or when sending fails, the entry is moved to the
 *   durable `replies-<channel>` queue (run by the channel's session): the entries moved together become one
 *   `replies` job (a burst over the limit costs a job per batch, not per reply); a reply of such a job that cannot
 *   go becomes a `reply` job of its own, with its own attempts, backoff and failed state.
 * All paths count against the same limit — the reply queue's BullMQ limiter key, one for all gateways (operators
 * limit submit_sm per account): intake and the batch job take a count per reply, BullMQ's limiter one per job.
 * A batch job that runs again (a stalled worker, a rate limit) skips the replies it already sent: each reply is
 * claimed by a marker before it goes out. A process that dies holding entries leaves them due: the sweeper of any
 * process queues them after the grace period.
 */
import { createHash } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../src/logger.js';
import type { RedisClient } from '../src/redis.js';
import type { ReplyAddress } from '../src/status.js';
import { bullPrefix, logQueueErrors, pipelineTag } from './topology.js';

/**
 * A message to a citizen: where (the channel whose session sends it; the address on it — E.164 number, tweet id
 * to reply to, …; channel-specific routing details such as transport and shortcode) and what. `params` are the
 * parts of a notification, for a channel that must send a template instead of free text (WhatsApp after 24 hours).
 */
export interface Reply extends ReplyAddress {
  text: string;
  params?: Record<string, string>;
}

/** A reply with its id: deterministic per citizen message, so the same message never gets two. */
export interface ReplyEntry { id: string; reply: Reply }

/** What a sender may keep between attempts of one reply (e.g. parts of a long SMS already accepted). */
export interface ReplyAttempt { id: string; partsSent: number; savePartsSent(n: number): Promise<void> }

/** Thrown by a sender: the channel refuses more for `waitMs` (X 429, SMSC throttling). Not charged as an attempt. */
export class RateLimited extends Error {
  constructor(readonly waitMs: number, message = `rate limited for ${waitMs} ms`) { super(message); }
}
/** Thrown by a sender: this reply can never be sent (a deleted tweet, a refused text). Not retried. */
export class Undeliverable extends Error {}

export interface ReplySender {
  channel: string;
  /** Replies per second across all gateways. */
  perSecond: number;
  /** Whether it can send now (e.g. an SMPP transmitter is bound). */
  ready(): boolean;
  send(reply: Reply, attempt: ReplyAttempt): Promise<void>;
}

/** A channel's reply limit as BullMQ counts it: `max` per window of `duration` ms (below one a second: one per 1/rate s). */
export interface ReplyLimit { channel: string; key: string; max: number; duration: number }

export const replyQueueName = (channel: string) => `replies-${channel}`;

/** Reply queue job options: retried with backoff; sent replies kept a day for inspection. */
const REPLY_JOB = { attempts: 8, backoff: { type: 'exponential', delay: 2000, jitter: 0.5 }, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;
/** A batch run again (after an error of its own, not of a reply's) skips what it sent: the same retries. */
const BATCH_JOB = { ...REPLY_JOB, removeOnComplete: { age: 3600, count: 1_000 } } as const;
/** Replies per `replies` job. */
const BATCH_SIZE = 32;
/** How long a reply claimed by a batch is its alone (a send that takes longer may be repeated by a re-run). */
const CLAIM_MS = 120_000;
/** A sent reply's marker outlives any re-run of its batch. */
const SENT_MS = 24 * 3600_000;

/** The jobs of a reply queue: one reply, or the replies moved to the queue together. */
export type ReplyJob = Reply | { replies: ReplyEntry[] };

/** A pending reply is left to its own process this long before any sweeper queues it (covers a slow SMSC answer). */
export const REPLY_GRACE_MS = 60_000;
const SWEEP_MS = 2_000;
const SWEEP_BATCH = 200;

export function replyKeys(prefix: string) {
  const base = `${pipelineTag(prefix)}:replies:`;
  return {
    pending: `${base}pending`,
    due: `${base}due`,
    /** The BullMQ rate limiter of the channel's reply queue. */
    limiter: (channel: string) => `${bullPrefix(prefix, replyQueueName(channel))}:${replyQueueName(channel)}:limiter`,
    /** A reply of a batch job being sent, or sent. */
    sent: (id: string) => `${base}sent:${id}`,
  };
}

export function rateWindow(perSecond: number): { max: number; duration: number } {
  return perSecond >= 1 ? { max: Math.floor(perSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / perSecond) };
}

/** Due entries: their ids and replies. */
const DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
local replies = redis.call('HMGET', KEYS[1], unpack(ids))
local out = {}
for i, id in ipairs(ids) do out[#out + 1] = id; out[#out + 1] = replies[i] or false end
return out`;

/**
 * A batch's reply may go now: claim it (nobody else sends it) and take a count from the limiter, in one call.
 * 0: go; -1: done already (sent, or handed to a job of its own); -2: claimed by a sender that may still be at it (or
 * died); n > 0: the limit is reached, wait n ms.
 */
const CLAIM = `
local marker = redis.call('GET', KEYS[1])
if marker == 'claimed' then return -2 end
if marker then return -1 end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if count > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[2])
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 1 then ttl = 1 end
  return ttl
end
redis.call('SET', KEYS[1], 'claimed', 'PX', ARGV[3])
return 0`;

type Scripted = RedisClient & {
  pintuDueReplies(pending: string, due: string, now: number, limit: number): Promise<Array<string | null>>;
  pintuClaimReply(sent: string, limiter: string, max: number, duration: number, claimMs: number): Promise<number>;
};

interface Registered { sender: ReplySender; worker: Worker<ReplyJob> }

export class ReplyOutbox {
  private readonly redis: Scripted;
  private readonly keys: ReturnType<typeof replyKeys>;
  private readonly senders = new Map<string, Registered>();
  private readonly queues = new Map<string, Queue<ReplyJob>>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(redis: RedisClient, private readonly prefix: string, private readonly logger: Logger, private readonly onSent?: (channel: string, how: 'direct' | 'queued') => void) {
    if (!('pintuDueReplies' in redis)) redis.defineCommand('pintuDueReplies', { numberOfKeys: 2, lua: DUE });
    if (!('pintuClaimReply' in redis)) redis.defineCommand('pintuClaimReply', { numberOfKeys: 2, lua: CLAIM });
    this.redis = redis as Scripted;
    this.keys = replyKeys(prefix);
  }

  /** Sweep due entries into the queues every few seconds (every process does; queuing is idempotent). */
  start(): void {
    this.sweeper ??= setInterval(() => { void this.sweep(); }, SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * A channel session that can send registers here: its replies may go out directly from this process, and it
   * runs the channel's queue worker on `connection` (a patient connection: workers wait out Redis outages).
   */
  register(sender: ReplySender, connection: ConnectionOptions): Worker<ReplyJob> {
    const worker: Worker<ReplyJob> = new Worker<ReplyJob>(replyQueueName(sender.channel), (job) => ('replies' in job.data ? this.sendBatch(sender, job as Job<{ replies: ReplyEntry[] }>, worker) : this.sendQueued(sender, job as Job<Reply>, worker)), {
      connection,
      prefix: bullPrefix(this.prefix, replyQueueName(sender.channel)),
      concurrency: Math.min(64, Math.max(1, Math.ceil(sender.perSecond))),
      limiter: rateWindow(sender.perSecond),
    });
    worker.on('failed', (job, err) => this.logger.warn({ channel: sender.channel, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'reply not sent; will retry'));
    worker.on('error', (err) => this.logger.warn({ channel: sender.channel, err: err.message }, 'reply worker error'));
    this.senders.set(sender.channel, { sender, worker });
    return worker;
  }

  async unregister(channel: string): Promise<void> {
    const registered = this.senders.get(channel);
    if (!registered) return;
    this.senders.delete(channel);
    await Promise.allSettled([...this.inFlight]);
    await registered.worker.close();
  }

  /** The limits intake may count direct replies against: channels this process can send on now. */
  limits(): ReplyLimit[] {
    return [...this.senders.values()].filter((r) => r.sender.ready())
      .map(({ sender }) => ({ channel: sender.channel, key: this.keys.limiter(sender.channel), ...rateWindow(sender.perSecond) }));
  }

  /**
   * After intake's MULTI: replies counted in go out now, and leave `pending` together once all are sent; the
   * others (and any that fail) are moved to their queue at once.
   */
  dispatch(direct: ReplyEntry[], queued: ReplyEntry[]): void {
    if (queued.length) this.track(this.sweep(queued.map((e) => e.id)));
    if (direct.length) this.track(this.sendDirect(direct));
  }

  /** Straight into the channel's queue (a reply that need not wait with a complaint: held, re-sent). */
  async queue(entry: ReplyEntry): Promise<void> {
    await this.replyQueue(entry.reply.channel).add('reply', entry.reply, { ...REPLY_JOB, jobId: entry.id });
  }

  /** Several replies of one channel as one job; its id names its replies, so moving the same ones again adds nothing. */
  private async queueBatch(channel: string, entries: ReplyEntry[]): Promise<void> {
    if (entries.length === 1) return this.queue(entries[0]!);
    const jobId = `rb-${createHash('sha256').update(entries.map((e) => e.id).join('\n')).digest('hex').slice(0, 32)}`;
    await this.replyQueue(channel).add('replies', { replies: entries }, { ...BATCH_JOB, jobId });
  }

  /** Work that goes on after intake answered: kept to wait for at shutdown, its failure logged (the sweeper retries it). */
  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'reply step failed; the sweeper will queue what is left'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async sendDirect(entries: ReplyEntry[]): Promise<void> {
    const outcomes = await Promise.allSettled(entries.map(async ({ id, reply }) => {
      const registered = this.senders.get(reply.channel);
      if (!registered) throw new Error(`no ${reply.channel} session in this process`);
      try {
        await registered.sender.send(reply, { id, partsSent: 0, savePartsSent: async () => {} });
      } catch (err) {
        // Every gateway's worker (and every direct send, which counts against the same limiter) waits.
        if (err instanceof RateLimited) await registered.worker.rateLimit(err.waitMs).catch(() => {});
        throw err;
      }
      this.onSent?.(reply.channel, 'direct');
    }));
    const sent = entries.filter((_, i) => outcomes[i]!.status === 'fulfilled').map((e) => e.id);
    const failed = entries.filter((_, i) => outcomes[i]!.status === 'rejected');
    for (const [i, entry] of entries.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.status === 'rejected') this.logger.warn({ channel: entry.reply.channel, replyId: entry.id, err: (outcome.reason as Error).message }, 'reply not sent directly; queued');
    }
    await Promise.all([
      // Should removing fail, the sweeper sends these a second time after the grace period: logged, not hidden.
      sent.length && this.remove(sent).catch((err: Error) => this.logger.error({ replies: sent.length, err: err.message }, 'sent replies still pending: they may be sent again')),
      failed.length && this.sweep(failed.map((e) => e.id)).catch((err: Error) => this.logger.warn({ err: err.message }, 'could not queue replies; the sweeper will')),
    ]);
  }

  private async remove(ids: string[]): Promise<void> {
    await this.redis.multi().hdel(this.keys.pending, ...ids).zrem(this.keys.due, ...ids).exec();
  }

  private async sendQueued(sender: ReplySender, job: Job<Reply>, worker: Worker<ReplyJob>): Promise<void> {
    const attempt: ReplyAttempt = {
      id: job.id!,
      partsSent: typeof job.progress === 'number' ? job.progress : 0,
      savePartsSent: (n) => job.updateProgress(n),
    };
    // A batch may have sent it after all (its claim had only lapsed).
    if ((await this.redis.get(this.keys.sent(job.id!))) === 'sent') return;
    try {
      await sender.send(job.data, attempt);
      this.onSent?.(sender.channel, 'queued');
      await this.redis.set(this.keys.sent(job.id!), 'sent', 'PX', SENT_MS);
    } catch (err) {
      if (err instanceof RateLimited) {
        await worker.rateLimit(err.waitMs);
        throw Worker.RateLimitError();
      }
      if (err instanceof Undeliverable) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /**
   * A `replies` job: each reply claimed and counted against the limit (waiting when it is reached), sent, marked sent.
   * What fails becomes a `reply` job of its own (the parts of a long SMS already sent are not sent again), and so does
   * one another run of this batch claimed and did not finish (after its claim lapses); the channel saying "slow
   * down" puts the batch back, to skip what it sent when it runs again.
   */
  private async sendBatch(sender: ReplySender, job: Job<{ replies: ReplyEntry[] }>, worker: Worker<ReplyJob>): Promise<void> {
    const limit = rateWindow(sender.perSecond);
    const limiter = this.keys.limiter(sender.channel);
    let rateLimited: RateLimited | undefined;
    const sending: Array<Promise<void>> = [];
    for (const entry of job.data.replies) {
      if (rateLimited) break;
      let claim: number;
      while ((claim = await this.redis.pintuClaimReply(this.keys.sent(entry.id), limiter, limit.max, limit.duration, CLAIM_MS)) > 0) {
        await new Promise((r) => setTimeout(r, claim));
      }
      if (claim === -2) await this.replyQueue(sender.channel).add('reply', entry.reply, { ...REPLY_JOB, jobId: entry.id, delay: CLAIM_MS });
      if (claim < 0) continue;
      sending.push(this.sendOne(sender, entry).catch((err: Error) => {
        if (!(err instanceof RateLimited)) throw err;
        rateLimited = err;
      }));
    }
    await Promise.all(sending);
    if (rateLimited) {
      await worker.rateLimit(rateLimited.waitMs);
      throw Worker.RateLimitError();
    }
  }

  /** One reply of a batch: sent and marked, or handed to a job of its own; a rate limit is the batch's to handle. */
  private async sendOne(sender: ReplySender, { id, reply }: ReplyEntry): Promise<void> {
    const attempt: ReplyAttempt = { id, partsSent: 0, savePartsSent: async (n) => { attempt.partsSent = n; } };
    try {
      await sender.send(reply, attempt);
    } catch (err) {
      if (err instanceof RateLimited) {
        await this.redis.del(this.keys.sent(id));
        throw err;
      }
      this.logger.warn({ channel: sender.channel, replyId: id, err: (err as Error).message }, 'reply of a batch not sent; queued on its own');
      const single = await this.replyQueue(sender.channel).add('reply', reply, { ...REPLY_JOB, jobId: id });
      if (attempt.partsSent) await single.updateProgress(attempt.partsSent);
      await this.redis.set(this.keys.sent(id), 'queued', 'PX', SENT_MS);
      return;
    }
    this.onSent?.(sender.channel, 'queued');
    await this.redis.set(this.keys.sent(id), 'sent', 'PX', SENT_MS);
  }

  /** The durable queue of a channel's replies (made on first use). */
  replyQueue(channel: string): Queue<ReplyJob> {
    let queue = this.queues.get(channel);
    if (!queue) {
      queue = new Queue<ReplyJob>(replyQueueName(channel), { connection: this.redis, prefix: bullPrefix(this.prefix, replyQueueName(channel)) });
      logQueueErrors(queue as Queue, this.logger);
      this.queues.set(channel, queue);
    }
    return queue;
  }

  /** Move entries to their queues: the given ids now, or every entry whose grace is over. Job ids make a repeat harmless. */
  async sweep(ids?: string[]): Promise<void> {
    if (!ids) {
      this.sweeping ??= this.sweepDue().finally(() => { this.sweeping = null; });
      return this.sweeping;
    }
    const replies = await this.redis.hmget(this.keys.pending, ...ids);
    await this.move(ids.map((id, i) => [id, replies[i] ?? null]));
  }

  private async sweepDue(): Promise<void> {
    try {
      for (;;) {
        const flat = await this.redis.pintuDueReplies(this.keys.pending, this.keys.due, Date.now(), SWEEP_BATCH);
        const entries: Array<[string, string | null]> = [];
        for (let i = 0; i < flat.length; i += 2) entries.push([flat[i]!, flat[i + 1] ?? null]);
        await this.move(entries);
        if (entries.length < SWEEP_BATCH) return;
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'reply sweep failed; will retry');
    }
  }

  private async move(entries: Array<[string, string | null]>): Promise<void> {
    const byChannel = new Map<string, ReplyEntry[]>();
    for (const [id, json] of entries) {
      if (!json) continue;
      const reply = JSON.parse(json) as Reply;
      byChannel.set(reply.channel, [...(byChannel.get(reply.channel) ?? []), { id, reply }]);
    }
    const batches = [...byChannel].flatMap(([channel, list]) => Array.from({ length: Math.ceil(list.length / BATCH_SIZE) }, (_, i) => [channel, list.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE)] as const));
    await Promise.all(batches.map(([channel, list]) => this.queueBatch(channel, list)));
    if (entries.length) await this.remove(entries.map(([id]) => id));
  }

  /** Let direct sends finish (their entries stay due for the sweeper if they do not), stop workers and queues. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all([...this.senders.keys()].map((channel) => this.unregister(channel)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
