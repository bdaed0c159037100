/**
 * Delivery: POST each signed complaint to its agency. A `complaints` job delivers its batch concurrently and
 * records the deliveries in batches; a `deliver` job delivers one complaint (a retry, a replay, a sweep).
 * 2xx delivered; 4xx other than 408/429 is permanent; anything else is retried with backoff. Permanent or
 * exhausted → dead letters, never dropped.
 */
import { createHmac } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { Batcher } from '../src/batcher.js';
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import { activeRoute, type RouteIndex } from '../src/keyword.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { Route } from '../src/route.js';
import type { RouteRegistry } from '../src/route-registry.js';
import type { Claimed, Delivered, StatusStore } from '../src/status.js';
import { deadLetter } from './dead-letters.js';
import { deliverJobId, deliverJobOptions, JOB, type BatchJob, type DeliverJob, type DeliveryJob, type Queues } from './topology.js';

export type Target =
  | { kind: 'webhook'; url: string; secret: string; owner: string }
  | { kind: 'outbox'; file: string };

/** The route's own webhook, else the nearest ancestor's, else the national desk's, else the local outbox. */
export function targetFor(route: Route, index: RouteIndex, config: Config): Target {
  for (let r: Route | undefined = route; r; r = r.parent ? index.routes.get(r.parent) : undefined) {
    if (r.destination) return { kind: 'webhook', url: r.destination.url, secret: r.destination.secret, owner: r.code };
  }
  if (config.NATIONAL_WEBHOOK_URL && config.WEBHOOK_SECRET) {
    return { kind: 'webhook', url: config.NATIONAL_WEBHOOK_URL, secret: config.WEBHOOK_SECRET, owner: 'national' };
  }
  return { kind: 'outbox', file: join(config.PINTU_DATA_DIR, 'outbox.jsonl') };
}

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A citizen who asked for anonymity is not identified to the agency. */
export function forAgency(complaint: Complaint): Complaint {
  if (!complaint.reporter.anonymous) return complaint;
  const { anonymous, confidential } = complaint.reporter;
  return { ...complaint, reporter: { anonymous, confidential } };
}

export class PermanentFailure extends Error {}

export interface DeliveryDeps { queues: Queues; routes: RouteRegistry; status: StatusStore; metrics: Metrics; config: Config; logger: Logger }

type Attempt = { ok: true; delivered: Delivered; route: Route } | { ok: false; permanent: boolean; reason: string; route: Route };

/** Requests to agencies in flight per process at most: a batch's complaints share them with every other job's. */
const MAX_REQUESTS = 64;

/** At most `max` at once; the rest wait their turn. */
class Limit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((ok) => this.waiting.push(ok));
    this.running++;
    try { return await work(); } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export function deliveryProcessor(deps: DeliveryDeps) {
  const { config } = deps;
  const requests = new Limit(MAX_REQUESTS);
  // Deliveries that finish together are recorded by one script; a job completes only once its deliveries are recorded.
  const recorded = new Batcher<Delivered, void>(async (items) => {
    await deps.status.delivered(items);
    return items.map(() => undefined);
  }, { maxBatch: 500, maxInFlight: 2 });

  async function attempt({ complaint, routeCode }: Claimed): Promise<Attempt> {
    const index = deps.routes.index();
    const route = activeRoute(routeCode, index);
    const target = targetFor(route, index, config);
    const body = JSON.stringify({ complaint: forAgency(complaint), route: { code: route.code, name: route.name, level: route.level, keyword: route.keyword } });
    try {
      await requests.run(async () => {
        if (target.kind === 'webhook') return post(target, body, complaint.id, config.DELIVERY_TIMEOUT_MS);
        await mkdir(config.PINTU_DATA_DIR, { recursive: true });
        await appendFile(target.file, `${JSON.stringify({ idempotencyKey: complaint.id, deliveredAt: new Date().toISOString(), body: JSON.parse(body) })}\n`);
      });
    } catch (err) {
      return { ok: false, permanent: err instanceof PermanentFailure, reason: (err as Error).message, route };
    }
    const deliveredAt = new Date();
    deps.metrics.deliveryLatency.observe({ channel: complaint.channel }, (deliveredAt.getTime() - Date.parse(complaint.receivedAt)) / 1000);
    return { ok: true, route, delivered: { trackingId: complaint.trackingId, routeCode: route.code, routeName: route.name, deliveredAt: deliveredAt.toISOString() } };
  }

  async function delivered(result: Extract<Attempt, { ok: true }>): Promise<void> {
    await recorded.submit(result.delivered);
    deps.metrics.deliveries.inc({ outcome: 'delivered', level: result.route.level });
  }

  /** A batch: every complaint tried once, concurrently; each failure goes on as its own `deliver` job or a dead letter. */
  async function deliverBatch(job: Job<BatchJob>) {
    const claimed = await deps.status.claim(job.data.trackingIds);
    const tally = { delivered: 0, retrying: 0, deadLettered: 0 };
    await Promise.all(claimed.map(async (c) => {
      const result = await attempt(c);
      if (result.ok) {
        tally.delivered++;
        return delivered(result);
      }
      if (result.permanent || config.DELIVERY_ATTEMPTS <= 1) {
        tally.deadLettered++;
        deps.metrics.deliveries.inc({ outcome: 'dead_letter', level: result.route.level });
        return deadLetter(deps, c.complaint, result.route.code, result.reason, 1);
      }
      tally.retrying++;
      deps.metrics.deliveries.inc({ outcome: 'retry', level: result.route.level });
      const data: DeliverJob = { trackingId: c.complaint.trackingId, priorAttempts: 1 };
      await deps.queues.delivery.add(JOB.deliver, data, deliverJobOptions(config, deliverJobId(c.complaint.trackingId), true));
    }));
    return { ...tally, skipped: job.data.trackingIds.length - claimed.length };
  }

  /** One complaint: BullMQ retries it with backoff; the last failed attempt makes it a dead letter. */
  async function deliverOne(job: Job<DeliverJob>) {
    const claimed = await deps.status.claimOne(job.data.trackingId);
    if (!claimed) return { skipped: 'delivered already, or no such complaint' };
    const result = await attempt(claimed);
    if (result.ok) {
      await delivered(result);
      return { delivered: result.route.code };
    }
    const attempts = job.attemptsMade + 1;
    const final = result.permanent || attempts >= (job.opts.attempts ?? 1);
    deps.metrics.deliveries.inc({ outcome: final ? 'dead_letter' : 'retry', level: result.route.level });
    if (!final) throw new Error(result.reason);
    await deadLetter(deps, claimed.complaint, result.route.code, result.reason, attempts + (job.data.priorAttempts ?? 0));
    return { deadLettered: true, reason: result.reason };
  }

  return async (job: Job<DeliveryJob>) =>
    'trackingIds' in job.data ? deliverBatch(job as Job<BatchJob>) : deliverOne(job as Job<DeliverJob>);
}

/** Kept-alive connections per scheme: one agency receives many complaints in a row. */
const AGENTS = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: MAX_REQUESTS }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: MAX_REQUESTS }) };

/** node:http rather than fetch: a third of fetch's cost per delivery was Request/Response/AbortSignal objects. */
function post(target: Extract<Target, { kind: 'webhook' }>, body: string, idempotencyKey: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent: AGENTS[url.protocol as keyof typeof AGENTS],
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'idempotency-key': idempotencyKey,
        'x-pintu-signature': sign(body, target.secret),
        'user-agent': 'Pintu/1 (SP4N-LAPOR! intake gateway)',
      },
    }, (res) => {
      res.resume();
      res.once('error', reject);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve();
        const message = `agency answered HTTP ${status}`;
        reject(status >= 400 && status < 500 && status !== 408 && status !== 429 ? new PermanentFailure(message) : new Error(message));
      });
    });
    req.once('timeout', () => req.destroy(new Error(`agency did not answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}
