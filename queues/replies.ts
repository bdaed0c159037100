/**
 * Replies to citizens (tracking numbers, format help, status answers). Intake writes each reply durably in the
 * same MULTI as its complaint, as a pending entry (`replies:pending` + `replies:due`), and takes a token from the
 * channel's shared rate bucket when this process can send on that channel now. Then:
 * - with a token, the reply goes out at once on this process's channel session, and its entry is removed;
 * - without one (over the rate, link down, no session here), or when sending fails, the entry is moved to the
 *   durable `replies-<channel>` queue, whose worker (run by the channel's session) takes a token per reply.
 * A process that dies holding entries leaves them due: the sweeper of any process moves them to the queue after
 * the grace period. The rate bucket is one for all gateways (operators limit submit_sm per account).
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../src/logger.js';
import type { RedisClient } from '../src/redis.js';
import { Batcher } from '../src/batcher.js';
import { bullPrefix, pipelineTag } from './topology.js';

export interface Reply {
  /** The channel whose session sends it. */
  channel: string;
  /** The citizen's address on the channel: E.164 number, tweet id to reply to, … */
  to: string;
  text: string;
  /** Channel-specific routing details (transport, shortcode, …). */
  extras?: Record<string, string>;
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

export const replyQueueName = (channel: string) => `replies-${channel}`;

/** Reply queue job options: retried with backoff; sent replies kept a day for inspection. */
const REPLY_JOB = { attempts: 8, backoff: { type: 'exponential', delay: 2000, jitter: 0.5 }, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } } as const;

/** A pending reply is left to its own process this long before any sweeper queues it (covers a slow SMSC answer). */
export const REPLY_GRACE_MS = 60_000;
const SWEEP_MS = 2_000;
const SWEEP_BATCH = 200;

export function replyKeys(prefix: string) {
  const base = `${pipelineTag(prefix)}:replies:`;
  return { pending: `${base}pending`, due: `${base}due`, bucket: (channel: string) => `${base}rate:${channel}` };
}

/** A bucket refills `rate` tokens a second and holds a tenth of a second's worth (at least one): no bursts above the rate. */
export const bucketSize = (perSecond: number) => Math.max(1, Math.ceil(perSecond / 10));

/**
 * The token bucket in Lua, shared by intake's script and the reply worker's: `bucket_open(key, rate, size, now)`
 * returns the bucket's tokens now; `bucket_close` writes what is left.
 */
export const BUCKET_LUA = `
local function bucket_open(key, rate, size, now)
  local b = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(b[1]) or size
  local at = tonumber(b[2]) or now
  return math.min(size, tokens + math.max(0, now - at) * rate / 1000)
end
local function bucket_close(key, tokens, rate, size, now)
  redis.call('HSET', key, 'tokens', tokens, 'at', now)
  redis.call('PEXPIRE', key, math.ceil(size / rate * 1000) + 1000)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`;

/** One token, or how many ms until there is one. */
const TAKE_TOKEN = `${BUCKET_LUA}
local rate, size, now = tonumber(ARGV[1]), tonumber(ARGV[2]), now_ms()
local tokens = bucket_open(KEYS[1], rate, size, now)
if tokens >= 1 then bucket_close(KEYS[1], tokens - 1, rate, size, now) return 0 end
bucket_close(KEYS[1], tokens, rate, size, now)
return math.ceil((1 - tokens) / rate * 1000)`;

/** Due entries: their ids and replies; moved ones are removed by REMOVE after their job is queued. */
const DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
local replies = redis.call('HMGET', KEYS[1], unpack(ids))
local out = {}
for i, id in ipairs(ids) do out[#out + 1] = id; out[#out + 1] = replies[i] or false end
return out`;

type Scripted = RedisClient & {
  pintuTakeToken(bucket: string, rate: number, size: number): Promise<number>;
  pintuDueReplies(pending: string, due: string, now: number, limit: number): Promise<Array<string | null>>;
};

interface Registered { sender: ReplySender; worker: Worker<Reply>; pausedUntil: number }

export class ReplyOutbox {
  private readonly redis: Scripted;
  private readonly keys: ReturnType<typeof replyKeys>;
  private readonly senders = new Map<string, Registered>();
  private readonly queues = new Map<string, Queue<Reply>>();
  private readonly removed: Batcher<string, void>;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(redis: RedisClient, private readonly prefix: string, private readonly logger: Logger, private readonly onSent?: (channel: string, how: 'direct' | 'queued') => void) {
    if (!('pintuTakeToken' in redis)) {
      redis.defineCommand('pintuTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
      redis.defineCommand('pintuDueReplies', { numberOfKeys: 2, lua: DUE });
    }
    this.redis = redis as Scripted;
    this.keys = replyKeys(prefix);
    this.removed = new Batcher(async (ids) => {
      await this.redis.multi().hdel(this.keys.pending, ...ids).zrem(this.keys.due, ...ids).exec();
      return ids.map(() => undefined);
    }, { maxBatch: 500, maxInFlight: 1 });
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
  register(sender: ReplySender, connection: ConnectionOptions): Worker<Reply> {
    const worker: Worker<Reply> = new Worker<Reply>(replyQueueName(sender.channel), (job) => this.sendQueued(sender, job, worker), {
      connection,
      prefix: bullPrefix(this.prefix, replyQueueName(sender.channel)),
      concurrency: Math.min(64, Math.max(1, Math.ceil(sender.perSecond))),
    });
    worker.on('failed', (job, err) => this.logger.warn({ channel: sender.channel, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'reply not sent; will retry'));
    worker.on('error', (err) => this.logger.warn({ channel: sender.channel, err: err.message }, 'reply worker error'));
    this.senders.set(sender.channel, { sender, worker, pausedUntil: 0 });
    return worker;
  }

  async unregister(channel: string): Promise<void> {
    const registered = this.senders.get(channel);
    if (!registered) return;
    this.senders.delete(channel);
    await Promise.allSettled([...this.inFlight]);
    await registered.worker.close();
  }

  /** The rate buckets intake may take tokens from for direct sends: channels this process can send on now. */
  buckets(): Array<{ channel: string; perSecond: number; size: number }> {
    const now = Date.now();
    return [...this.senders.values()]
      .filter((r) => r.pausedUntil <= now && r.sender.ready())
      .map(({ sender }) => ({ channel: sender.channel, perSecond: sender.perSecond, size: bucketSize(sender.perSecond) }));
  }

  /** After intake's MULTI: replies with a token go out now; the others are moved to their queue at once. */
  dispatch(granted: ReplyEntry[], queued: ReplyEntry[]): void {
    for (const entry of granted) this.track(this.sendDirect(entry));
    if (queued.length) this.track(this.sweep(queued.map((e) => e.id)));
  }

  /** Straight into the channel's queue (a reply that need not wait with a complaint: held, re-sent). */
  async queue(entry: ReplyEntry): Promise<void> {
    await this.replyQueue(entry.reply.channel).add('reply', entry.reply, { ...REPLY_JOB, jobId: entry.id });
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async sendDirect(entry: ReplyEntry): Promise<void> {
    const registered = this.senders.get(entry.reply.channel);
    try {
      if (!registered) throw new Error(`no ${entry.reply.channel} session in this process`);
      await registered.sender.send(entry.reply, { id: entry.id, partsSent: 0, savePartsSent: async () => {} });
    } catch (err) {
      if (err instanceof RateLimited && registered) await this.pause(registered, err.waitMs);
      this.logger.warn({ channel: entry.reply.channel, replyId: entry.id, err: (err as Error).message }, 'reply not sent directly; queued');
      await this.sweep([entry.id]).catch((e: Error) => this.logger.warn({ err: e.message }, 'could not queue a reply; the sweeper will'));
      return;
    }
    this.onSent?.(entry.reply.channel, 'direct');
    // Should this fail, the sweeper sends the reply a second time after the grace period: logged, not hidden.
    await this.removed.submit(entry.id).catch((err: Error) => this.logger.error({ replyId: entry.id, err: err.message }, 'sent reply still pending: it may be sent again'));
  }

  /** Every gateway's worker of the channel waits `ms`, and this process sends nothing directly meanwhile. */
  private async pause(registered: Registered, ms: number): Promise<void> {
    registered.pausedUntil = Date.now() + ms;
    await registered.worker.rateLimit(ms).catch(() => {});
  }

  private async sendQueued(sender: ReplySender, job: Job<Reply>, worker: Worker<Reply>): Promise<void> {
    const paused = (this.senders.get(sender.channel)?.pausedUntil ?? 0) - Date.now();
    const waitMs = paused > 0 ? paused : await this.redis.pintuTakeToken(this.keys.bucket(sender.channel), sender.perSecond, bucketSize(sender.perSecond));
    if (waitMs > 0) {
      await worker.rateLimit(waitMs);
      throw Worker.RateLimitError();
    }
    const attempt: ReplyAttempt = {
      id: job.id!,
      partsSent: typeof job.progress === 'number' ? job.progress : 0,
      savePartsSent: (n) => job.updateProgress(n),
    };
    try {
      await sender.send(job.data, attempt);
      this.onSent?.(sender.channel, 'queued');
    } catch (err) {
      if (err instanceof RateLimited) {
        const registered = this.senders.get(sender.channel);
        if (registered) await this.pause(registered, err.waitMs);
        throw Worker.RateLimitError();
      }
      if (err instanceof Undeliverable) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /** The durable queue of a channel's replies (made on first use). */
  replyQueue(channel: string): Queue<Reply> {
    let queue = this.queues.get(channel);
    if (!queue) {
      queue = new Queue<Reply>(replyQueueName(channel), { connection: this.redis, prefix: bullPrefix(this.prefix, replyQueueName(channel)) });
      queue.on('error', (err) => this.logger.warn({ channel, err: err.message }, 'reply queue error'));
      this.queues.set(channel, queue);
    }
    return queue;
  }

  /** Move entries to their queues: the given ids now, or every entry whose grace is over. Job ids make a repeat harmless. */
  async sweep(ids?: string[]): Promise<void> {
    if (!ids) {
      if (this.sweeping) return this.sweeping;
      this.sweeping = this.sweepDue().finally(() => { this.sweeping = null; });
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
    await Promise.all(entries.map(([id, json]) => json && this.queue({ id, reply: JSON.parse(json) as Reply })));
    if (entries.length) await this.redis.multi().hdel(this.keys.pending, ...entries.map(([id]) => id)).zrem(this.keys.due, ...entries.map(([id]) => id)).exec();
  }

  /** Let direct sends finish (their entries stay due for the sweeper if they do not), stop workers and queues. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await Promise.allSettled([...this.inFlight]);
    await this.removed.drained();
    await Promise.all([...this.senders.keys()].map((channel) => this.unregister(channel)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
