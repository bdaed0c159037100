/**
 * What the WhatsApp channel keeps in Redis, shared by every gateway, under hashed names (never a phone number in
 * a key): when each citizen last wrote (the 24-hour customer-service window), a location a citizen shared on its
 * own (for their next complaint), and which notifications went out as free text (so one can be sent again as the
 * template when WhatsApp reports the window closed). Single-key commands only: the keys spread over a cluster.
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../../src/redis.js';
import type { Reply } from '../../queues/replies.js';
import { SERVICE_WINDOW_MS } from './client.js';
import type { Location } from './normalize.js';

/** A bit over the window, so a notification sent near its end still finds the citizen's last message time. */
const LAST_MESSAGE_TTL_MS = SERVICE_WINDOW_MS + 3600_000;
/** How long a location shared on its own waits for the citizen's complaint. */
export const LOCATION_KEEP_SECONDS = 3600;
/** WhatsApp reports a failed message within minutes; a day covers its retries. */
const SENT_KEEP_SECONDS = 24 * 3600;

/** Keeps the latest time only: Meta may resend an older delivery after a newer one. */
const LATEST = `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0`;

type Scripted = RedisClient & { pintuWhatsAppLatest(key: string, at: number, ttlMs: number): Promise<number> };

/** A notification sent as free text: the reply and its id, to send again as the template. */
export interface SentNotification { id: string; reply: Reply }

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

export class WhatsAppStore {
  private readonly redis: Scripted;
  private readonly base: string;

  constructor(redis: RedisClient, prefix: string) {
    if (!('pintuWhatsAppLatest' in redis)) redis.defineCommand('pintuWhatsAppLatest', { numberOfKeys: 1, lua: LATEST });
    this.redis = redis as Scripted;
    this.base = `${prefix}:whatsapp:`;
  }

  /** Key of a citizen's entry (`replyTo`: WhatsApp id or BSUID, hashed). */
  key(kind: 'last' | 'location', replyTo: string): string {
    return `${this.base}${kind}:${digest(replyTo)}`;
  }

  /** The citizen wrote at `at` (ms since the epoch): their window runs from their latest message. */
  async messageFrom(replyTo: string, at: number): Promise<void> {
    const now = Date.now();
    // A clock ahead of ours must not keep the window open longer than it is.
    const seen = Math.min(at, now);
    const ttlMs = seen + LAST_MESSAGE_TTL_MS - now;
    if (ttlMs > 0) await this.redis.pintuWhatsAppLatest(this.key('last', replyTo), seen, ttlMs);
  }

  async lastMessageAt(replyTo: string): Promise<number | null> {
    const at = await this.redis.get(this.key('last', replyTo));
    return at ? Number(at) : null;
  }

  /** WhatsApp refused free text (131047): its window is closed, whatever we saw; later notifications use the template. */
  async windowClosed(replyTo: string): Promise<void> {
    await this.redis.del(this.key('last', replyTo));
  }

  async keepLocation(replyTo: string, location: Location): Promise<void> {
    await this.redis.set(this.key('location', replyTo), JSON.stringify(location), 'EX', LOCATION_KEEP_SECONDS);
  }

  /** The kept locations of these citizens (those that have one). */
  async locations(replyTos: string[]): Promise<Map<string, Location>> {
    const found = await Promise.all(replyTos.map((r) => this.redis.get(this.key('location', r))));
    return new Map(replyTos.flatMap((r, i) => (found[i] ? [[r, JSON.parse(found[i]) as Location] as const] : [])));
  }

  async locationUsed(replyTo: string): Promise<void> {
    await this.redis.del(this.key('location', replyTo));
  }

  /**
   * Kept before it is sent, by its reply id: the id goes with the message as callback data and comes back on its
   * status webhooks, which may arrive before the send has even returned.
   */
  async sendingAsText(sent: SentNotification): Promise<void> {
    await this.redis.set(`${this.base}notification:${digest(sent.id)}`, JSON.stringify(sent), 'EX', SENT_KEEP_SECONDS);
  }

  async sentNotification(replyId: string): Promise<SentNotification | null> {
    const sent = await this.redis.get(`${this.base}notification:${digest(replyId)}`);
    return sent ? JSON.parse(sent) as SentNotification : null;
  }
}
