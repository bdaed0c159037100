/**
 * The producer every channel calls: a citizen message in, durably kept (or an error) out. Messages that arrive
 * together — one SMPP window, concurrent web posts, one X page — are written by one MULTI (see the Batcher):
 * the `complaints` job naming their tracking numbers, then one script that dedups each message on its channel's
 * key, applies the sender's flood cap, writes each complaint's record and its pending reply, and counts the
 * replies it may send at once against their channel's rate limit. The job goes first: should the script fail,
 * the job finds no records and delivers nothing.
 */
import { createHash } from 'node:crypto';
import { Job, type Queue } from 'bullmq';
import { Batcher } from '../src/batcher.js';
import { newComplaintId, type Channel, type Complaint, type ComplaintDraft } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import { activeRoute } from '../src/keyword.js';
import { performanceOps } from '../src/performance.js';
import { APPLY_OPS_LUA, opsArgs, packed } from '../src/redis-ops.js';
import type { RouteRegistry } from '../src/route-registry.js';
import type { Metrics } from '../src/metrics.js';
import type { RedisClient } from '../src/redis.js';
import { receivedFields, recordKeys, type ReplyAddress, type Status } from '../src/status.js';
import type { TrackingNumbers } from '../src/tracking.js';
import { REPLY_GRACE_MS, type Reply, type ReplyEntry, type ReplyOutbox } from './replies.js';
import { batchJobOptions, JOB, pipelineTag, type DeliveryJob } from './topology.js';

/** One citizen message as a channel hands it in. */
export interface Submission {
  channel: Channel;
  /**
   * The channel's own key for the message (SMSC message identity, tweet id, Idempotency-Key): a repeat inside
   * DEDUP_WINDOW_SECONDS is recognised and answers with the first complaint. Null: the channel has none.
   */
  dedupKey: string | null;
  /** The complaint, or null for a message that only gets an answer (format help, status request). */
  draft: ComplaintDraft | null;
  /** The answer to send back on the channel, given the accepted complaint (null when there is none). */
  reply?: (complaint: Complaint | null) => Reply;
  /** Where to tell the citizen about the agency's follow-up later (kept with the complaint). */
  notify?: ReplyAddress;
  /** A sender allowed this many complaints an hour; more are held for review instead. */
  flood?: { sender: string; perHour: number };
  /**
   * How long a repeat is recognised, when not DEDUP_WINDOW_SECONDS: a status request or the format help is
   * remembered only as long as a transport retransmits, so the citizen who asks again tomorrow is answered again.
   */
  dedupSeconds?: number;
}

export type Outcome =
  | { outcome: 'accepted'; complaint: Complaint | null }
  /** A repeat of a message already taken; its complaint (when it made one) as its record says now. */
  | { outcome: 'duplicate'; trackingId: string | null; status: Status | null; route: { code: string; name: string } | null }
  | { outcome: 'held' };

/** How long a message that only gets an answer (status request, format help) is recognised as a retransmit. */
export const ANSWER_DEDUP_SECONDS = 600;

/** Messages per MULTI at most, and MULTIs in flight per process. */
const MAX_BATCH = 32;
const MAX_IN_FLIGHT = 4;

const INTAKE = `${APPLY_OPS_LUA}
local base, ttl, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Reply limits: BullMQ's limiter counters of the reply queues (a value at or above max means: wait).
local limits, i = {}, 5
for _ = 1, tonumber(ARGV[4]) do
  limits[ARGV[i]] = {key = ARGV[i + 1], max = tonumber(ARGV[i + 2]), duration = ARGV[i + 3], used = tonumber(redis.call('GET', ARGV[i + 1]) or '0'), taken = 0}
  i = i + 4
end
local out, pending, due, undelivered = {}, {}, {}, {}
-- One argument per message, its fields packed with msgpack (see write()).
for k = i, #ARGV do
  local a = cmsgpack.unpack(ARGV[k])
  local dedup, dedup_ttl, flood, cap, tid, cid, score, nf = a[1], a[2], a[3], tonumber(a[4]), a[5], a[6], a[7], tonumber(a[8])
  local first = 9
  local j = first + nf
  local reply_id, reply_channel, reply = a[j], a[j + 1], a[j + 2]
  -- The complaint's counts (src/performance.ts) follow the reply; run only when it is accepted.
  local ops_at, accepted = j + 3, false
  local seen = dedup ~= '' and redis.call('GET', base .. dedup)
  if seen then
    if seen == '-' then out[#out + 1] = 'd' else
      local h = redis.call('HMGET', base .. 'complaint:' .. seen, 'status', 'route', 'routeName')
      out[#out + 1] = 'd' .. seen .. '\\n' .. (h[1] or '') .. '\\n' .. (h[2] or '') .. '\\n' .. (h[3] or '')
    end
  elseif flood ~= '' and tonumber(redis.call('GET', base .. flood) or '0') >= cap then
    out[#out + 1] = 'h'
  else
    local result = 'a'
    accepted = tid ~= ''
    if tid ~= '' then
      redis.call('HSET', base .. 'complaint:' .. tid, unpack(a, first, j - 1))
      -- Agencies may name a complaint by its id instead of its tracking number.
      redis.call('SET', base .. 'cid:' .. cid, tid)
      undelivered[#undelivered + 1] = score
      undelivered[#undelivered + 1] = tid
      if flood ~= '' and redis.call('INCR', base .. flood) == 1 then redis.call('EXPIRE', base .. flood, 3600) end
    end
    if reply_id ~= '' then
      pending[#pending + 1] = reply_id
      pending[#pending + 1] = reply
      local limit = limits[reply_channel]
      if limit and limit.used < limit.max then
        limit.used = limit.used + 1
        limit.taken = limit.taken + 1
        due[#due + 1] = now + grace
        result = 'a+'
      else
        due[#due + 1] = now
      end
      due[#due + 1] = reply_id
    end
    -- Last: a message is a duplicate only once everything it wrote is there.
    if dedup ~= '' then redis.call('SET', base .. dedup, tid ~= '' and tid or '-', 'EX', dedup_ttl ~= '' and dedup_ttl or ttl) end
    out[#out + 1] = result
  end
  apply_ops(a, ops_at, accepted)
end
if #undelivered > 0 then redis.call('ZADD', KEYS[1], unpack(undelivered)) end
if #pending > 0 then
  redis.call('HSET', base .. 'replies:pending', unpack(pending))
  redis.call('ZADD', base .. 'replies:due', unpack(due))
end
for _, limit in pairs(limits) do
  if limit.taken > 0 and redis.call('INCRBY', limit.key, limit.taken) == limit.taken then redis.call('PEXPIRE', limit.key, limit.duration) end
end
return out`;

type Scripted = RedisClient & { pintuIntake(undelivered: string, ...args: Array<string | number | Buffer>): Promise<string[]> };

interface Prepared { submission: Submission; dedupHash: string | null; complaint: Complaint | null; reply: ReplyEntry | null }

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

export class Intake {
  private readonly redis: Scripted;
  private readonly batcher: Batcher<Prepared, Outcome>;
  private readonly keys: ReturnType<typeof recordKeys>;

  constructor(
    redis: RedisClient,
    private readonly routes: RouteRegistry,
    private readonly delivery: Queue<DeliveryJob>,
    private readonly tracking: TrackingNumbers,
    private readonly replies: ReplyOutbox,
    private readonly metrics: Metrics,
    private readonly config: Config,
  ) {
    if (!('pintuIntake' in redis)) redis.defineCommand('pintuIntake', { numberOfKeys: 1, lua: INTAKE });
    this.redis = redis as Scripted;
    this.keys = recordKeys(config.PINTU_PREFIX);
    this.batcher = new Batcher((items) => this.write(items), { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT });
  }

  /**
   * Keep a citizen message: resolves once its complaint, dedup key and reply are in Redis (the channel may
   * acknowledge it then), rejects when Redis could not keep them (nothing was acknowledged; the channel refuses
   * the message so that it is sent again).
   */
  async submit(submission: Submission): Promise<Outcome> {
    // Not parsed again here: every channel's normalize() is property-tested to produce schema-valid drafts
    // (test/properties*.test.ts). Parsing twice on the way in cost a tenth of a web complaint's CPU.
    const complaint: Complaint | null = submission.draft && { version: 1, id: newComplaintId(), trackingId: await this.tracking.take(), ...submission.draft };
    const dedupHash = submission.dedupKey === null ? null : hash(submission.dedupKey, 32);
    // One reply per citizen message: a repeat of the message (had it been written twice) would name the same reply.
    const replyId = dedupHash ? `m-${submission.channel}-${dedupHash}` : complaint ? `c-${complaint.trackingId}` : `x-${newComplaintId()}`;
    const reply = submission.reply ? { id: replyId, reply: submission.reply(complaint) } : null;
    const outcome = await this.batcher.submit({ submission, dedupHash, complaint, reply });
    if (outcome.outcome === 'accepted' && complaint) {
      this.metrics.complaints.inc({ channel: complaint.channel, level: complaint.region.level, match_type: complaint.region.matchType });
    } else if (outcome.outcome === 'duplicate') {
      this.metrics.duplicates.inc({ channel: submission.channel });
    }
    return outcome;
  }

  private async write(items: Prepared[]): Promise<Outcome[]> {
    const limits = this.replies.limits();
    const args: Array<string | number | Buffer> = [this.keys.base, this.config.DEDUP_WINDOW_SECONDS, REPLY_GRACE_MS, limits.length];
    for (const l of limits) args.push(l.channel, l.key, l.max, l.duration);
    this.metrics.intakeBatch.observe(items.length);
    const trackingIds: string[] = [];
    for (const { submission, dedupHash, complaint, reply } of items) {
      const { channel, flood } = submission;
      const fields = complaint ? receivedFields(complaint, submission.notify ?? null) : [];
      if (complaint) trackingIds.push(complaint.trackingId);
      args.push(packed([
        dedupHash ? `dedup:${channel}:${dedupHash}` : '',
        String(submission.dedupSeconds ?? ''),
        flood && flood.perHour > 0 ? `flood:${hash(flood.sender, 24)}:${Math.floor(Date.now() / 3_600_000)}` : '',
        flood?.perHour ?? 0,
        complaint?.trackingId ?? '',
        complaint?.id ?? '',
        String(complaint ? Date.parse(complaint.receivedAt) || Date.now() : 0),
        fields.length, ...fields,
        reply?.id ?? '', reply?.reply.channel ?? '', reply ? JSON.stringify(reply.reply) : '',
        // Counted for the region that has it (a deactivated region's province).
        ...opsArgs(complaint ? performanceOps(pipelineTag(this.config.PINTU_PREFIX), { type: 'received', code: activeRoute(complaint.region.code, this.routes.index()).code, at: new Date(complaint.receivedAt), channel: complaint.channel }) : []),
      ]));
    }
    const multi = (await this.delivery.getBackend().client).multi();
    if (trackingIds.length) {
      const job = new Job<DeliveryJob>(this.delivery, JOB.batch, { trackingIds }, batchJobOptions(), `b-${newComplaintId()}`);
      // Queued on the transaction synchronously; its promise settles with the transaction.
      job.addJob(multi).catch(() => {});
    }
    (multi as unknown as Scripted).pintuIntake(this.keys.undelivered, ...args);
    const results = await multi.exec();
    if (!results) throw new Error('intake transaction was discarded');
    for (const [err] of results) if (err) throw err;
    const answers = results.at(-1)![1] as string[];
    const direct: ReplyEntry[] = [];
    const queued: ReplyEntry[] = [];
    const outcomes = items.map(({ complaint, reply }, i): Outcome => {
      const answer = answers[i]!;
      if (answer === 'h') return { outcome: 'held' };
      if (answer.startsWith('d')) {
        if (answer === 'd') return { outcome: 'duplicate', trackingId: null, status: null, route: null };
        const [trackingId, status, code, name] = answer.slice(1).split('\n');
        return { outcome: 'duplicate', trackingId: trackingId!, status: (status || null) as Status | null, route: code ? { code, name: name || code } : null };
      }
      if (reply) (answer === 'a+' ? direct : queued).push(reply);
      return { outcome: 'accepted', complaint };
    });
    this.replies.dispatch(direct, queued);
    return outcomes;
  }
}
