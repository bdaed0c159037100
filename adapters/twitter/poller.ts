/**
 * The mentions poller: exactly one across all gateways (a Redis lock, renewed while held), reading
 * the mentions timeline with a checkpoint in Redis so that a crash at any point loses nothing.
 *
 * The timeline pages run newest → oldest, so `since_id` can only move once the WHOLE drain is
 * queued. While a drain is under way the checkpoint also records its newest id and the oldest id
 * queued so far (`until_id`): each page is queued first, then the cursor advances; a restart resumes
 * below that cursor. A page fetched twice is harmless: the tweet id is the dedup key at intake.
 * Every checkpoint write is fenced by the lock, so a poller that lost its lock cannot move it.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../src/redis.js';
import type { Logger } from '../../src/logger.js';
import { classifyFailure, type XReader } from './client.js';
import type { TwitterMetrics } from './metrics.js';
import type { Account, Mention } from './normalize.js';

const MAX_BACKOFF_MS = 5 * 60_000;
/** Start a little after the window resets: clocks differ. */
const RESET_MARGIN_MS = 500;

/** Write checkpoint fields only while holding the lock; an empty value deletes the field. */
const FENCED_SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[2], ARGV[i]) else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
return 1`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

class LostLeadership extends Error {}

/** The lock and the checkpoint share a hash tag: the fenced save reads one and writes the other (one Redis Cluster slot). */
export function pollerKeys(prefix: string) {
  const tag = `{${prefix}:twitter}`;
  return { lock: `${tag}:poller-lock`, checkpoint: (account: string) => `${tag}:checkpoint:${account}` };
}

export interface Checkpoint { sinceId?: string; drainNewest?: string; drainUntil?: string }

export interface PollerOptions {
  reader: XReader;
  redis: RedisClient;
  /** Redis key prefix of this deployment. */
  prefix: string;
  account: Account;
  intervalMs: number;
  lockMs: number;
  logger: Logger;
  metrics: TwitterMetrics;
  /** Normalize and queue one mention; resolves once it is durably queued (or deliberately ignored). */
  take(mention: Mention, account: Account): Promise<unknown>;
}

export class MentionPoller {
  private readonly token = randomUUID();
  private readonly lockKey: string;
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private userId: string | undefined;

  constructor(private readonly opts: PollerOptions) {
    this.lockKey = pollerKeys(opts.prefix).lock;
    this.userId = opts.account.userId;
  }

  get isLeader(): boolean { return this.leading; }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.leading) await this.opts.redis.eval(RELEASE, 1, this.lockKey, this.token).catch(() => {});
    this.follow();
  }

  /** Where the next poll starts; exposed for operators and tests. */
  async checkpoint(): Promise<Checkpoint> {
    const h = await this.opts.redis.hgetall(this.checkpointKey());
    return { ...(h.since_id && { sinceId: h.since_id }), ...(h.drain_newest && { drainNewest: h.drain_newest }), ...(h.drain_until && { drainUntil: h.drain_until }) };
  }

  private checkpointKey() {
    return pollerKeys(this.opts.prefix).checkpoint(this.userId ?? this.opts.account.username.toLowerCase());
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.leading && !(await this.lead())) {
          await this.sleep(Math.min(this.opts.intervalMs, this.opts.lockMs / 2));
          continue;
        }
        await this.drain();
        failures = 0;
        await this.sleep(this.opts.intervalMs);
      } catch (err) {
        if (err instanceof LostLeadership) { this.follow(); continue; }
        failures++;
        await this.sleep(this.waitAfter(err, failures));
      }
    }
  }

  private async lead(): Promise<boolean> {
    if ((await this.opts.redis.set(this.lockKey, this.token, 'PX', this.opts.lockMs, 'NX')) !== 'OK') return false;
    this.leading = true;
    this.opts.metrics.pollerLeader.set(1);
    this.opts.logger.info({ lockMs: this.opts.lockMs }, 'X mentions poller: this process is the poller');
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.opts.lockMs / 3)));
    return true;
  }

  private async renew(): Promise<void> {
    try {
      if (await this.opts.redis.eval(RENEW, 1, this.lockKey, this.token, this.opts.lockMs)) return;
      this.opts.logger.warn('X mentions poller: lost the poller lock; another gateway polls now');
      this.follow();
    } catch (err) {
      // The lock expires by itself if Redis stays away; another gateway then takes over.
      this.opts.logger.warn({ err: (err as Error).message }, 'X mentions poller: could not renew the poller lock');
    }
  }

  private follow(): void {
    clearInterval(this.renewTimer);
    this.leading = false;
    this.opts.metrics.pollerLeader.set(0);
  }

  private async save(fields: Record<string, string>): Promise<void> {
    const args = Object.entries(fields).flat();
    if (!(await this.opts.redis.eval(FENCED_SAVE, 2, this.lockKey, this.checkpointKey(), this.token, ...args))) throw new LostLeadership();
  }

  /** Read every mention newer than the checkpoint, page by page, and queue it. */
  private async drain(): Promise<void> {
    this.userId ??= await this.opts.reader.userIdOf(this.opts.account.username);
    const account = { ...this.opts.account, userId: this.userId };
    let paginationToken: string | undefined;
    while (!this.stopped && this.leading) {
      const cp = await this.checkpoint();
      const page = await this.opts.reader.mentions(this.userId, {
        ...(cp.sinceId && { sinceId: cp.sinceId }),
        ...(paginationToken ? { paginationToken } : cp.drainUntil && { untilId: cp.drainUntil }),
      });
      this.opts.metrics.recordBudget('mentions', page.budget);
      await Promise.all(page.mentions.map((mention) => this.opts.take(mention, account)));
      const newest = cp.drainNewest ?? page.newestId;
      if (page.nextToken && page.oldestId && newest) {
        await this.save({ drain_newest: newest, drain_until: page.oldestId });
        paginationToken = page.nextToken;
        continue;
      }
      if (newest) await this.save({ since_id: newest, drain_newest: '', drain_until: '' });
      if (page.mentions.length) this.opts.logger.debug({ sinceId: newest }, 'X mentions drained');
      return;
    }
  }

  private waitAfter(err: unknown, failures: number): number {
    const failure = classifyFailure(err);
    this.opts.metrics.apiFailures.inc({ endpoint: 'mentions', kind: failure.kind });
    if (failure.kind === 'rate-limited') {
      this.opts.metrics.recordBudget('mentions', failure.budget ?? (failure.resetAt ? { limit: 0, remaining: 0, reset: failure.resetAt / 1000 } : undefined));
      const waitMs = Math.max(1000, (failure.resetAt ?? Date.now() + this.opts.intervalMs) - Date.now() + RESET_MARGIN_MS);
      this.opts.logger.warn({ waitMs, resetAt: failure.resetAt && new Date(failure.resetAt).toISOString() }, 'X rate limit reached; polling resumes when the window resets');
      return waitMs;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1));
    const waitMs = Math.round(backoff / 2 + (Math.random() * backoff) / 2);
    const log = { waitMs, failures, err: failure.message };
    if (failure.kind === 'rejected') this.opts.logger.error(log, 'X refused the mentions request; check the token and TWITTER_USERNAME');
    else this.opts.logger.warn(log, 'X mentions poll failed; backing off');
    return waitMs;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((ok) => {
      const done = () => { clearTimeout(timer); this.wake = undefined; ok(); };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
